"""InvoiceService.asmx: SaveInvoices, DeleteInvoices, GetInvoiceDocument, SendInvoices.

Tables: ``tblOrder``, ``tblOrderLine``; ``tblNumberSeries`` (``ORDERNO``); ``tblCompany`` (live
customer, currency, country, invoice e-mail); ``tblPerson`` (reference person); ``tblUser``
(seller); ``tblSetting`` (``Rate.<code>``, ``DefaultVatPct``, ``BaseCurrency``). Each saved,
deleted or sent item is one transaction.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from adapters.sql.tables import tblCompany, tblOrder, tblOrderLine, tblPerson, tblUser

from .base import Call, ItemError, Service
from .companies import check_text
from .db import Installation, next_number, transaction
from .pdf import order_pdf
from .soap import SoapFault
from .values import (
    in_datetime,
    in_decimal,
    in_int,
    in_text,
    is_set,
    out_datetime,
    out_decimal,
    out_int,
    out_text,
)

DOC_TYPES = {"O": "Order", "I": "Invoice", "C": "CreditNote"}
STATUSES = {0: "Draft", 1: "Confirmed", 2: "Invoiced", 3: "Sent", 9: "Cancelled"}
METHODS = {"Print": 1, "EMail": 2, "ElectronicInvoice": 3}
CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """Half-up (away from zero) to 2 decimals, the classic rule."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def amounts(lines: list[dict[str, Any]]) -> tuple[Decimal, Decimal, Decimal]:
    """(NetAmount, VatAmount, TotalAmount) of lines that carry ``LineNet`` and ``VatPct``."""
    net = sum((line["LineNet"] for line in lines), Decimal(0))
    per_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        per_rate[line["VatPct"]] = per_rate.get(line["VatPct"], Decimal(0)) + line["LineNet"]
    vat = sum((round_money(total * rate / 100) for rate, total in per_rate.items()), Decimal(0))
    return round_money(net), round_money(vat), round_money(net + vat)


class InvoiceService(Service):
    """Draft orders, deletion, documents and sending."""

    # -- SaveInvoices ----------------------------------------------------------------------------

    def SaveInvoices(self, call: Call) -> dict[str, Any]:
        """One InvoiceOrder per input item, in order: as stored, or as sent with its APIException."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "ORDER_WRITE")
        items = (call.params.get("invoices") or {}).get("InvoiceOrder") or []
        results = []
        for item in items:
            try:
                with transaction(self.engine) as conn:
                    results.append(self._save_one(conn, user_id, item))
            except ItemError as err:
                echo = dict(item or {})
                echo["APIException"] = err.as_api_exception()
                results.append(echo)
        return {"InvoiceOrder": results}

    def _save_one(self, conn: Connection, user_id: int, item: dict | None) -> dict[str, Any]:
        if item is None:
            raise ItemError("Validation", "InvoiceOrder: the item is empty")
        inst = Installation(conn)
        now = inst.now(self.clock)
        order_id = in_int(item, "OrderId")
        stored = None
        if is_set(order_id) and order_id != 0:
            stored = conn.execute(
                sa.select(tblOrder).where(tblOrder.c.OrderID == order_id).with_for_update()
            ).first()
            if stored is None or int(stored.Deleted) != 0:
                raise ItemError("NotFound", f"Order {order_id} does not exist or is deleted", order_id)
            if stored.DocType != "O" or int(stored.Status) != 0:
                raise ItemError("NotAllowed", f"Order {order_id} is not a draft order", order_id)
            change_no = in_int(item, "ChangeNo")
            if not is_set(change_no):
                raise ItemError("Validation", "ChangeNo: required on update", order_id)
            if change_no != int(stored.ChangeNo):
                raise ItemError(
                    "Conflict",
                    f"ChangeNo: the order was changed by someone else (stored {stored.ChangeNo}, sent {change_no})",
                    order_id,
                )
        item_id = None if stored is None else int(stored.OrderID)
        values, lines = self._values(conn, inst, item, stored, item_id)
        if stored is None:
            values.update(
                OrderNo=next_number(conn, "ORDERNO", now), DocType="O", Status=0, InvoiceNo=None,
                InvoiceDate=None, DueDate=None, Deleted=0, CreatedAt=now, CreatedBy=user_id,
                ChangedAt=None, ChangedBy=None, ChangeNo=1,
            )
            values.update(zip(("NetAmount", "VatAmount", "TotalAmount"), amounts(lines or [])))
            order_id = int(conn.execute(sa.insert(tblOrder).values(**values)).inserted_primary_key[0])
            self._store_lines(conn, order_id, lines or [])
        else:
            if lines is not None:
                conn.execute(sa.delete(tblOrderLine).where(tblOrderLine.c.OrderID == order_id))
                self._store_lines(conn, order_id, lines)
                values.update(zip(("NetAmount", "VatAmount", "TotalAmount"), amounts(lines)))
            values.update(ChangedAt=now, ChangedBy=user_id, ChangeNo=tblOrder.c.ChangeNo + 1)
            done = conn.execute(
                sa.update(tblOrder)
                .where(tblOrder.c.OrderID == order_id, tblOrder.c.ChangeNo == stored.ChangeNo)
                .values(**values)
            )
            if done.rowcount != 1:
                raise ItemError("Conflict", "ChangeNo: the order was changed by someone else", order_id)
        return order_out(conn, order_id)

    def _values(
        self, conn: Connection, inst: Installation, item: dict, stored: Any | None, item_id: int | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
        """Validate; the header columns the item sets and the lines (None: lines not given)."""
        errors: list[str] = []
        values: dict[str, Any] = {}
        doc_type = item.get("DocType")
        if doc_type is not None and doc_type != "Order":
            errors.append("DocType: only orders (Order) can be saved")
        status = item.get("OrderStatus")
        if status is not None and status != "Draft":
            errors.append("OrderStatus: only draft orders (Draft) can be saved")

        customer = None
        customer_id = in_int(item, "CustomerId")
        if is_set(customer_id):
            customer = conn.execute(
                sa.select(tblCompany.c.CompanyID, tblCompany.c.Currency, tblCompany.c.Country)
                .where(tblCompany.c.CompanyID == customer_id, tblCompany.c.Deleted == 0,
                       tblCompany.c.IsCustomer == 1)
            ).first()
            if customer is None:
                errors.append(f"CustomerId: {customer_id} is not a live customer")
            values["CompanyID"] = customer_id
        elif stored is None:
            errors.append("CustomerId: required")
        elif stored is not None:
            customer = conn.execute(
                sa.select(tblCompany.c.CompanyID, tblCompany.c.Currency, tblCompany.c.Country)
                .where(tblCompany.c.CompanyID == stored.CompanyID)
            ).first()

        person_id = in_int(item, "ContactPersonId")
        if is_set(person_id):
            person = conn.execute(
                sa.select(tblPerson.c.PersonID).where(tblPerson.c.PersonID == person_id, tblPerson.c.Deleted == 0)
            ).first()
            if person is None:
                errors.append(f"ContactPersonId: {person_id} is not a live person")
            values["PersonID"] = person_id
        seller_id = in_int(item, "SalesUserId")
        if is_set(seller_id):
            seller = conn.execute(
                sa.select(tblUser.c.UserID).where(tblUser.c.UserID == seller_id, tblUser.c.Active == 1)
            ).first()
            if seller is None:
                errors.append(f"SalesUserId: {seller_id} is not an active user")
            values["SalesUserID"] = seller_id

        currency = in_text(item, "Currency")
        rate = in_decimal(item, "ExchangeRate")
        if is_set(currency) and currency:
            code = currency.strip().upper()
            if inst.rate(code) is None:
                errors.append(f"Currency: unknown currency {code[:10]}")
            values["Currency"] = code
        elif stored is None:
            cur = (customer.Currency or "").strip().upper() if customer is not None else ""
            values["Currency"] = cur or inst.base_currency
        if is_set(rate):
            if rate <= 0 or rate >= Decimal(1000000):
                errors.append("ExchangeRate: must be above 0")
            values["ExchangeRate"] = rate
        elif "Currency" in values:
            values["ExchangeRate"] = inst.rate(values["Currency"]) or Decimal(1)

        ordered = in_datetime(item, "DateOrdered")
        if is_set(ordered):
            values["OrderDate"] = ordered.date()
        elif stored is None:
            values["OrderDate"] = inst.today(self.clock)
        for element, column in (("YourReference", "YourRef"), ("OurReference", "OurRef")):
            v = in_text(item, element)
            if is_set(v):
                problem = check_text(element, v, 100, False)
                if problem:
                    errors.append(problem)
                values[column] = v

        lines = None
        rows = item.get("InvoiceRows")
        if rows is not None or stored is None:
            lines = []
            country = (customer.Country or "SE").strip().upper() if customer is not None else "SE"
            default_vat = inst.default_vat_pct if country == "SE" else Decimal(0)
            for n, row in enumerate((rows or {}).get("InvoiceRow") or [], start=1):
                line, problems = self._line(n, row or {}, default_vat)
                errors.extend(problems)
                lines.append(line)
        if errors:
            raise ItemError("Validation", "; ".join(errors), item_id)
        return values, lines

    @staticmethod
    def _line(n: int, row: dict, default_vat: Decimal) -> tuple[dict[str, Any], list[str]]:
        problems: list[str] = []
        article = in_text(row, "ArticleNo")
        name = in_text(row, "Name")
        quantity = in_decimal(row, "Quantity")
        price = in_decimal(row, "Price")
        discount = in_decimal(row, "DiscountRate")
        vat = in_decimal(row, "VatRate")
        unit = in_text(row, "Unit")
        article = article if is_set(article) else None
        name = name if is_set(name) else None
        if not (article or "").strip() and not (name or "").strip():
            problems.append(f"InvoiceRows: row {n} needs a Name or an ArticleNo")
        text_line = not (article or "").strip() and not is_set(price) and not is_set(quantity)
        quantity = Decimal(0) if text_line else (quantity if is_set(quantity) else Decimal(1))
        price = price if is_set(price) else Decimal(0)
        discount = discount if is_set(discount) else Decimal(0)
        vat = vat if is_set(vat) else default_vat
        if quantity < 0:
            problems.append(f"InvoiceRows: row {n} Quantity must not be negative")
        if price < 0:
            problems.append(f"InvoiceRows: row {n} Price must not be negative")
        if not Decimal(0) <= discount <= Decimal(100):
            problems.append(f"InvoiceRows: row {n} DiscountRate must be between 0 and 100")
        if not Decimal(0) <= vat <= Decimal(100):
            problems.append(f"InvoiceRows: row {n} VatRate must be between 0 and 100")
        for field, value, limit, varchar in (("ArticleNo", article, 50, True), ("Name", name, 400, False),
                                             ("Unit", unit if is_set(unit) else None, 20, False)):
            problem = check_text(f"InvoiceRows: row {n} {field}", value, limit, varchar)
            if problem:
                problems.append(problem)
        line_net = Decimal(0) if text_line else round_money(quantity * price * (1 - discount / 100))
        line = {
            "LineNum": n, "ArticleNo": article, "Description": name, "Quantity": quantity,
            "Unit": unit if is_set(unit) else None, "UnitPrice": price, "DiscountPct": discount,
            "VatPct": vat, "LineNet": line_net,
        }
        return line, problems

    @staticmethod
    def _store_lines(conn: Connection, order_id: int, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            conn.execute(sa.insert(tblOrderLine).values(OrderID=order_id, **line))

    # -- DeleteInvoices --------------------------------------------------------------------------

    def DeleteInvoices(self, call: Call) -> dict[str, Any]:
        """Soft-delete draft or confirmed orders; one APIException per id that failed."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "ORDER_WRITE")
        failures = []
        for order_id in (call.params.get("orderIds") or {}).get("int") or []:
            try:
                with transaction(self.engine) as conn:
                    now = Installation(conn).now(self.clock)
                    row = self._locked_order(conn, int(order_id))
                    if row.DocType != "O" or int(row.Status) not in (0, 1):
                        raise ItemError(
                            "NotAllowed", f"Order {order_id} is an invoice, a credit note or cancelled", order_id
                        )
                    conn.execute(
                        sa.update(tblOrder)
                        .where(tblOrder.c.OrderID == order_id)
                        .values(Deleted=1, ChangedAt=now, ChangedBy=user_id, ChangeNo=tblOrder.c.ChangeNo + 1)
                    )
            except ItemError as err:
                failures.append(err.as_api_exception())
        return {"APIException": failures}

    @staticmethod
    def _locked_order(conn: Connection, order_id: int) -> Any:
        row = conn.execute(sa.select(tblOrder).where(tblOrder.c.OrderID == order_id).with_for_update()).first()
        if row is None or int(row.Deleted) != 0:
            raise ItemError("NotFound", f"Order {order_id} does not exist or is deleted", order_id)
        return row

    # -- GetInvoiceDocument ----------------------------------------------------------------------

    def GetInvoiceDocument(self, call: Call) -> bytes:
        """The PDF of an order, invoice or credit note; fault NotFound for an unknown or deleted one."""
        user_id = self.session_user(call)
        order_id = call.params.get("orderId")
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "ORDER_READ")
            row = conn.execute(
                sa.select(tblOrder, tblCompany.c.Name.label("CompanyName"))
                .join(tblCompany, tblCompany.c.CompanyID == tblOrder.c.CompanyID)
                .where(tblOrder.c.OrderID == order_id, tblOrder.c.Deleted == 0)
            ).first()
            if row is None:
                raise SoapFault("NotFound", f"order {order_id} does not exist or is deleted")
            lines = conn.execute(
                sa.select(tblOrderLine).where(tblOrderLine.c.OrderID == order_id).order_by(tblOrderLine.c.LineNum)
            ).all()
        return order_pdf(row, lines)

    # -- SendInvoices ----------------------------------------------------------------------------

    def SendInvoices(self, call: Call) -> dict[str, Any]:
        """Send documents; Draft → Confirmed, Invoiced → Sent; one APIException per id that failed."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "ORDER_WRITE")
        method = call.params.get("method")
        if method not in METHODS:
            raise SoapFault("Validation", f"method: must be one of {', '.join(METHODS)}", client=True)
        address = (call.params.get("emailAddress") or "").strip() or None
        failures = []
        for order_id in (call.params.get("orderIds") or {}).get("int") or []:
            try:
                with transaction(self.engine) as conn:
                    self._send_one(conn, user_id, int(order_id), method, address)
            except ItemError as err:
                failures.append(err.as_api_exception())
        return {"APIException": failures}

    def _send_one(self, conn: Connection, user_id: int, order_id: int, method: str, address: str | None) -> None:
        now = Installation(conn).now(self.clock)
        row = self._locked_order(conn, order_id)
        if int(row.Status) == 9:
            raise ItemError("NotAllowed", f"Order {order_id} is cancelled", order_id)
        to = None
        if method == "EMail":
            company = conn.execute(
                sa.select(tblCompany.c.InvoiceEmail, tblCompany.c.Email).where(tblCompany.c.CompanyID == row.CompanyID)
            ).first()
            candidates = (address, company.InvoiceEmail if company else None, company.Email if company else None)
            to = next((c.strip() for c in candidates if c and c.strip()), None)
            if to is None:
                raise ItemError("Validation", "emailAddress: the customer has no e-mail address", order_id)
        new_status = {0: 1, 2: 3}.get(int(row.Status))
        if new_status is not None:
            conn.execute(
                sa.update(tblOrder)
                .where(tblOrder.c.OrderID == order_id)
                .values(Status=new_status, ChangedAt=now, ChangedBy=user_id, ChangeNo=tblOrder.c.ChangeNo + 1)
            )
        self.sandbox.outbox.append({"OrderID": order_id, "method": method, "to": to, "at": now})


def order_out(conn: Connection, order_id: int) -> dict[str, Any]:
    """The ``InvoiceOrder`` element of a stored order with its rows."""
    row = conn.execute(sa.select(tblOrder).where(tblOrder.c.OrderID == order_id)).one()
    lines = conn.execute(
        sa.select(tblOrderLine).where(tblOrderLine.c.OrderID == order_id).order_by(tblOrderLine.c.LineNum)
    ).all()
    return {
        "OrderId": int(row.OrderID),
        "OrderNo": out_int(row.OrderNo),
        "DocType": DOC_TYPES.get(row.DocType),
        "InvoiceNo": out_int(row.InvoiceNo),
        "CustomerId": out_int(row.CompanyID),
        "ContactPersonId": out_int(row.PersonID),
        "SalesUserId": out_int(row.SalesUserID),
        "OrderStatus": STATUSES.get(int(row.Status)),
        "DateOrdered": out_datetime(row.OrderDate),
        "DateInvoiced": out_datetime(row.InvoiceDate),
        "DueDate": out_datetime(row.DueDate),
        "Currency": out_text(row.Currency),
        "ExchangeRate": out_decimal(row.ExchangeRate),
        "YourReference": out_text(row.YourRef),
        "OurReference": out_text(row.OurRef),
        "NetAmount": out_decimal(row.NetAmount),
        "VatAmount": out_decimal(row.VatAmount),
        "TotalAmount": out_decimal(row.TotalAmount),
        "ChangeNo": int(row.ChangeNo),
        "InvoiceRows": {
            "InvoiceRow": [
                {
                    "ArticleNo": out_text(line.ArticleNo),
                    "Name": out_text(line.Description),
                    "Quantity": out_decimal(line.Quantity),
                    "Unit": out_text(line.Unit),
                    "Price": out_decimal(line.UnitPrice),
                    "DiscountRate": out_decimal(line.DiscountPct),
                    "VatRate": out_decimal(line.VatPct),
                    "LineNet": out_decimal(line.LineNet),
                }
                for line in lines
            ]
        },
    }


__all__ = ["InvoiceService", "amounts", "order_out", "round_money"]
