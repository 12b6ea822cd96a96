"""Orders and invoices through the classic InvoiceService.

SOAP operations: ``InvoiceService.SaveInvoices``, ``DeleteInvoices``, ``GetInvoiceDocument``,
``SendInvoices`` (they write ``tblOrder`` and ``tblOrderLine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from facade.errors import ClassicUnavailable, NotFound
from facade.i18n import N_
from facade.ports_classic import (
    ClassicItemError,
    ClassicOrder,
    ClassicOrderLine,
    OrderChanges,
    OrderLineInput,
    OrderSaveResult,
)

from .client import CLASSIC_GARBLED, CLASSIC_NOT_FOUND, SoapEndpoint
from .convert import (
    as_datetime,
    error_for,
    item_error,
    items_of,
    put,
    read_date,
    read_decimal,
    read_int,
    read_text,
)

DOC_TYPES = {"Order": "O", "Invoice": "I", "CreditNote": "C"}
STATUSES = {"Draft": 0, "Confirmed": 1, "Invoiced": 2, "Sent": 3, "Cancelled": 9}
METHODS = {1: "Print", 2: "EMail", 3: "ElectronicInvoice"}

#: Classic element names in Validation messages → facade field names (OrderChanges).
FIELD_NAMES = {
    "OrderId": "order_id", "ChangeNo": "change_no", "CustomerId": "company_id", "ContactPersonId": "person_id",
    "SalesUserId": "sales_user_id", "Currency": "currency", "ExchangeRate": "exchange_rate",
    "DateOrdered": "order_date", "YourReference": "your_ref", "OurReference": "our_ref",
    "InvoiceRows": "lines", "DocType": "doc_type", "OrderStatus": "status", "emailAddress": "email",
    "method": "method",
}

ONLY_DRAFTS = N_("Only draft orders can be changed.")
CANNOT_DELETE = N_("Only draft and confirmed orders can be deleted; invoices, credit notes and cancelled orders stay.")
CANNOT_SEND = N_("A cancelled order cannot be sent.")


class ClassicInvoiceGateway:
    """``ClassicInvoiceService`` over ``InvoiceService.asmx``; every call acts as the session's user."""

    def __init__(self, endpoint: SoapEndpoint) -> None:
        self.endpoint = endpoint

    def save_invoices(self, session_id: str, items: Sequence[OrderChanges]) -> list[OrderSaveResult]:
        """Create or update draft orders (needs ORDER_WRITE); one result per item, in input order.

        Amounts are computed by classic (in the order's currency). Raises NotAuthenticated,
        Forbidden, ClassicUnavailable.
        """
        if not items:
            return []
        result = self.endpoint.call(
            "SaveInvoices", session_id=session_id, invoices={"InvoiceOrder": [order_in(i) for i in items]}
        )
        orders = list(result or [])
        if len(orders) != len(items):
            raise ClassicUnavailable(CLASSIC_GARBLED, operation="SaveInvoices", cause="result count")
        out = []
        for o in orders:
            error = item_error(getattr(o, "APIException", None), FIELD_NAMES) if o is not None else None
            if o is None or error is not None:
                out.append(OrderSaveResult(error=error or ClassicItemError("Unknown", "")))
            else:
                out.append(OrderSaveResult(order=order_out(o)))
        return out

    def save_invoice(self, session_id: str, item: OrderChanges) -> ClassicOrder:
        """Create or update one draft order. Raises InvalidInput, Conflict, NotFound, ClassicRejected
        (not a draft), NotAuthenticated, Forbidden, ClassicUnavailable."""
        (result,) = self.save_invoices(session_id, [item])
        if result.error is not None:
            raise error_for(result.error, FIELD_NAMES, not_allowed=ONLY_DRAFTS)
        assert result.order is not None
        return result.order

    def delete_invoices(self, session_id: str, order_ids: Sequence[int]) -> list[ClassicItemError]:
        """Soft-delete draft/confirmed orders (needs ORDER_WRITE); one error per id that failed."""
        if not order_ids:
            return []
        result = self.endpoint.call(
            "DeleteInvoices", session_id=session_id, orderIds={"int": [int(i) for i in order_ids]}
        )
        return [e for e in (item_error(x, FIELD_NAMES) for x in (result or [])) if e is not None]

    def delete_invoice(self, session_id: str, order_id: int) -> None:
        """Soft-delete one order. Raises NotFound, ClassicRejected (invoice, credit note, cancelled)."""
        errors = self.delete_invoices(session_id, [order_id])
        if errors:
            raise error_for(errors[0], FIELD_NAMES, not_allowed=CANNOT_DELETE)

    def get_invoice_document(self, session_id: str, order_id: int) -> bytes:
        """The PDF bytes of an order, invoice or credit note (needs ORDER_READ). Raises NotFound."""
        data = self.endpoint.call("GetInvoiceDocument", session_id=session_id, orderId=int(order_id))
        if not data:
            raise NotFound(CLASSIC_NOT_FOUND, operation="GetInvoiceDocument", order_id=order_id)
        return bytes(data)

    def send_invoices(
        self, session_id: str, order_ids: Sequence[int], method: int, email: str | None = None
    ) -> list[ClassicItemError]:
        """Send documents by ``method`` (1 print, 2 e-mail, 3 e-invoice; needs ORDER_WRITE): a draft
        order becomes confirmed, an invoiced invoice sent. One error per id that failed."""
        if not order_ids:
            return []
        params: dict[str, Any] = {"orderIds": {"int": [int(i) for i in order_ids]}, "method": METHODS[method]}
        put(params, "emailAddress", email)
        result = self.endpoint.call("SendInvoices", session_id=session_id, **params)
        return [e for e in (item_error(x, FIELD_NAMES) for x in (result or [])) if e is not None]

    def send_invoice(self, session_id: str, order_id: int, method: int, email: str | None = None) -> None:
        """Send one document. Raises InvalidInput (no e-mail address), NotFound, ClassicRejected."""
        errors = self.send_invoices(session_id, [order_id], method, email)
        if errors:
            raise error_for(errors[0], FIELD_NAMES, not_allowed=CANNOT_SEND)


def _line_in(line: OrderLineInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    put(out, "ArticleNo", line.article_no)
    put(out, "Name", line.description)
    put(out, "Quantity", line.quantity)
    put(out, "Unit", line.unit)
    put(out, "Price", line.unit_price)
    put(out, "DiscountRate", line.discount_pct)
    put(out, "VatRate", line.vat_pct)
    return out


def order_in(o: OrderChanges) -> dict[str, Any]:
    """An ``InvoiceOrder`` element: only what is set; ``lines`` (when given) replace all rows."""
    out: dict[str, Any] = {}
    put(out, "OrderId", o.order_id)
    put(out, "CustomerId", o.company_id)
    put(out, "ContactPersonId", o.person_id)
    put(out, "SalesUserId", o.sales_user_id)
    put(out, "DateOrdered", as_datetime(o.order_date))
    put(out, "Currency", o.currency)
    put(out, "ExchangeRate", o.exchange_rate)
    put(out, "YourReference", o.your_ref)
    put(out, "OurReference", o.our_ref)
    put(out, "ChangeNo", o.change_no)
    if o.lines is not None:
        out["InvoiceRows"] = {"InvoiceRow": [_line_in(line) for line in o.lines]}
    return out


def order_out(o: Any) -> ClassicOrder:
    """A zeep ``InvoiceOrder`` as a ClassicOrder: sentinels and empty strings as None."""
    return ClassicOrder(
        order_id=read_int(o.OrderId) or 0,
        order_no=read_int(o.OrderNo),
        doc_type=DOC_TYPES.get(o.DocType or "", "O"),
        status=STATUSES.get(o.OrderStatus) if o.OrderStatus else None,
        company_id=read_int(o.CustomerId),
        change_no=read_int(o.ChangeNo),
        invoice_no=read_int(o.InvoiceNo),
        person_id=read_int(o.ContactPersonId),
        sales_user_id=read_int(o.SalesUserId),
        order_date=read_date(o.DateOrdered),
        invoice_date=read_date(o.DateInvoiced),
        due_date=read_date(o.DueDate),
        currency=read_text(o.Currency),
        exchange_rate=read_decimal(o.ExchangeRate),
        your_ref=read_text(o.YourReference),
        our_ref=read_text(o.OurReference),
        net_amount=read_decimal(o.NetAmount),
        vat_amount=read_decimal(o.VatAmount),
        total_amount=read_decimal(o.TotalAmount),
        lines=tuple(
            ClassicOrderLine(
                description=read_text(r.Name), article_no=read_text(r.ArticleNo), quantity=read_decimal(r.Quantity),
                unit=read_text(r.Unit), unit_price=read_decimal(r.Price), discount_pct=read_decimal(r.DiscountRate),
                vat_pct=read_decimal(r.VatRate), line_net=read_decimal(r.LineNet),
            )
            for r in items_of(o.InvoiceRows, "InvoiceRow")
            if r is not None
        ),
    )
