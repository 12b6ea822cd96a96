"""A small, valid PDF of an order, invoice or credit note (``GetInvoiceDocument``).

Hand-written PDF 1.4: one A4 page per 45 lines, Helvetica with WinAnsiEncoding (Nordic letters
print; characters outside Windows-1252 become ``?``), a correct cross-reference table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

TITLES = {"O": "Orderbekräftelse", "I": "Faktura", "C": "Kreditnota"}
LINES_PER_PAGE = 45


def _pdf_text(text: str) -> bytes:
    raw = text.replace("\r\n", " ").replace("\n", " ").encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _money(v: Any) -> str:
    return f"{Decimal(str(v or 0)):,.2f}".replace(",", " ")


def document_lines(order: Any, lines: list[Any]) -> list[str]:
    """The printed text lines of a document."""
    title = TITLES.get(order.DocType, "Dokument")
    number = order.InvoiceNo if order.DocType in ("I", "C") else order.OrderNo
    out = [f"{title} {number}", "", f"Kund: {order.CompanyName}"]
    out.append(f"Orderdatum: {order.OrderDate}")
    if order.InvoiceDate:
        out.append(f"Fakturadatum: {order.InvoiceDate}   Förfallodatum: {order.DueDate or ''}")
    if order.YourRef:
        out.append(f"Er referens: {order.YourRef}")
    out.append("")
    for line in lines:
        desc = (line.Description or line.ArticleNo or "")[:60]
        if Decimal(str(line.Quantity or 0)) == 0 and Decimal(str(line.LineNet or 0)) == 0:
            out.append(desc)
        else:
            quantity = f"{Decimal(str(line.Quantity or 0)).normalize():f}"
            out.append(f"{desc}  {quantity} {line.Unit or ''} x {_money(line.UnitPrice)}  = {_money(line.LineNet)}")
    out += ["", f"Netto: {_money(order.NetAmount)} {order.Currency}",
            f"Moms: {_money(order.VatAmount)} {order.Currency}",
            f"Att betala: {_money(order.TotalAmount)} {order.Currency}"]
    return out


def order_pdf(order: Any, lines: list[Any]) -> bytes:
    """PDF bytes (starting with ``%PDF-1.4``) of ``order`` (a tblOrder row with ``CompanyName``)."""
    text = document_lines(order, lines)
    pages = [text[i:i + LINES_PER_PAGE] for i in range(0, len(text), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, then (page, content) pairs
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(pages):
        stream = b"BT /F1 11 Tf 56 790 Td 14 TL\n" + b"".join(b"(" + _pdf_text(t) + b") Tj T*\n" for t in page) + b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
