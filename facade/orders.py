"""The orders-and-invoices tab and one order with its lines (right ORDER_READ).

Source: ``tblOrder`` (``DocType`` O order / I invoice / C credit note; ``Status`` 0 draft,
1 confirmed, 2 invoiced, 3 sent, 9 cancelled; amounts in the order's ``Currency``, ``ExchangeRate``
= SEK per unit), ``tblOrderLine`` (by ``LineNum``), ``tblUser`` (seller), ``tblPerson`` (the
customer's reference). Live orders (``Deleted = 0``) of a live company; on a contact card the
orders whose reference person (``PersonID``) is the contact. Base-currency amounts are
``round(amount × ExchangeRate, 2)`` half-up.

Search: a text matches the order number or invoice number when it is a whole number, and
``YourRef``/``OurRef`` containing it (case-insensitive); the period is the document date
(``InvoiceDate`` of invoices and credit notes, ``OrderDate`` of orders), local days inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from .auth import require
from .errors import InvalidInput, NotFound
from .i18n import N_
from .model import ORDER_READ, User, round_money
from .paging import Page, PageRequest, SortOption, check_period, parse_date
from .tabs import Card, CardHeaderQueries, CardOwner, open_card

ORDER_SORTS = (
    SortOption("date", N_("Date"), descending=True),
    SortOption("number", N_("Number"), descending=True),
    SortOption("type", N_("Type")),
    SortOption("status", N_("Status")),
    SortOption("due", N_("Due date"), descending=True),
    SortOption("amount", N_("Amount in SEK"), descending=True),
)
ORDER_DEFAULT_SORT = "date"
DOC_TYPES = {"O": N_("Order"), "I": N_("Invoice"), "C": N_("Credit note")}
STATUSES = {0: N_("Draft"), 1: N_("Confirmed"), 2: N_("Invoiced"), 3: N_("Sent"), 9: N_("Cancelled")}
ORDER_NOT_FOUND = N_("The order does not exist, has been deleted or does not belong here.")


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount`` (order currency) in SEK: ``round(amount × ExchangeRate, 2)`` half-up."""
    return round_money(Decimal(amount) * Decimal(rate))


@dataclass(frozen=True)
class OrderRow:
    """An order, invoice or credit note. Amounts in ``currency``; ``*_sek`` in the base currency."""

    order_id: int
    order_no: int
    doc_type: str
    status: int
    order_date: date
    invoice_no: int | None
    invoice_date: date | None
    due_date: date | None
    your_ref: str | None
    our_ref: str | None
    seller_name: str | None
    seller_active: bool | None
    person_id: int | None
    person_name: str | None
    company_id: int
    company_name: str
    currency: str
    exchange_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    net_sek: Decimal = field(init=False)
    total_sek: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "net_sek", to_base(self.net_amount, self.exchange_rate))
        object.__setattr__(self, "total_sek", to_base(self.total_amount, self.exchange_rate))

    @property
    def document_date(self) -> date:
        """The invoice date of invoices and credit notes, the order date of orders."""
        return self.invoice_date or self.order_date


@dataclass(frozen=True)
class OrderLine:
    """A line (``tblOrderLine``); text lines have no article and zero amounts. ``line_net`` in currency."""

    line_num: int
    article_no: str | None
    description: str | None
    quantity: Decimal
    unit: str | None
    unit_price: Decimal
    discount_pct: Decimal
    vat_pct: Decimal
    line_net: Decimal


@dataclass(frozen=True)
class VatSum:
    """The VAT of one rate: ``round(Σ LineNet at that rate × VatPct / 100, 2)`` (order currency)."""

    vat_pct: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class OrderDetail:
    order: OrderRow
    lines: tuple[OrderLine, ...]
    vat: tuple[VatSum, ...]
    vat_sek: Decimal


@dataclass(frozen=True)
class OrderSearch:
    """``text`` (number or reference), ``status``, ``doc_type`` and a document-date period."""

    text: str = ""
    status: int | None = None
    doc_type: str | None = None
    first: date | None = None
    last: date | None = None

    @property
    def number(self) -> int | None:
        """``text`` as an order/invoice number when it is a whole number."""
        t = self.text.strip()
        return int(t) if t.isdigit() and len(t) <= 9 else None


@dataclass(frozen=True)
class OrdersTab:
    card: Card
    search: OrderSearch
    page: Page[OrderRow]


@dataclass(frozen=True)
class OrderView:
    card: Card
    detail: OrderDetail


class OrderQueries(Protocol):
    def list_orders(self, owner: CardOwner, search: OrderSearch, req: PageRequest) -> Page[OrderRow]:
        """One page of the owner's live orders matching ``search``.

        Sort keys: ``date`` (document date), ``number`` (``OrderNo``), ``type``, ``status``, ``due``
        (unknown last), ``amount`` (``TotalAmount × ExchangeRate``); ties broken by ``OrderID``.
        Raises ClassicUnavailable.
        """

    def get_order(self, order_id: int, owner: CardOwner | None) -> tuple[OrderRow, list[OrderLine]] | None:
        """The live order of a live company (and of ``owner`` when given) with its lines by
        ``LineNum``, else None."""


def parse_order_search(text: str | None, status: str | None, doc_type: str | None,
                       first: str | None, last: str | None) -> OrderSearch:
    """An OrderSearch from user input. Raises InvalidInput (unknown status/type, bad dates)."""
    st: int | None = None
    if (status or "").strip():
        try:
            st = int(status.strip())  # type: ignore[union-attr]
        except ValueError:
            st = -1
        if st not in STATUSES:
            raise InvalidInput(N_("Unknown status."), fields={"status": N_("Unknown status.")})
    dt = (doc_type or "").strip().upper() or None
    if dt is not None and dt not in DOC_TYPES:
        raise InvalidInput(N_("Unknown document type."), fields={"type": N_("Unknown document type.")})
    f, to = parse_date(first, "from"), parse_date(last, "to")
    check_period(f, to)
    return OrderSearch((text or "").strip()[:100], st, dt, f, to)


def vat_breakdown(lines: list[OrderLine]) -> tuple[VatSum, ...]:
    """VAT per rate of the lines, highest rate first (the classic rule: round per rate)."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.vat_pct).quantize(Decimal("0.01"))
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + Decimal(line.line_net)
    return tuple(VatSum(rate, round_money(net), round_money(net * rate / 100))
                 for rate, net in sorted(by_rate.items(), reverse=True))


def orders_tab(user: User, owner: CardOwner, search: OrderSearch, req: PageRequest, *,
               orders: OrderQueries, headers: CardHeaderQueries) -> OrdersTab:
    """The orders-and-invoices tab of a company or contact card. Needs ORDER_READ.

    Raises Forbidden, NotFound (unknown or soft-deleted owner), ClassicUnavailable.
    """
    card = open_card(user, owner, "orders", headers=headers)
    return OrdersTab(card, search, orders.list_orders(owner, search, req))


def _detail(found: tuple[OrderRow, list[OrderLine]] | None) -> OrderDetail:
    if found is None:
        raise NotFound(ORDER_NOT_FOUND)
    order, lines = found
    return OrderDetail(order, tuple(lines), vat_breakdown(lines), to_base(order.vat_amount, order.exchange_rate))


def open_order(user: User, owner: CardOwner, order_id: int, *, orders: OrderQueries,
               headers: CardHeaderQueries) -> OrderView:
    """One order of ``owner``'s card with its lines and totals. Needs ORDER_READ.

    Raises Forbidden, NotFound (owner or order unknown, deleted or not the owner's), ClassicUnavailable.
    """
    card = open_card(user, owner, "orders", headers=headers)
    return OrderView(card, _detail(orders.get_order(order_id, owner)))


def get_order(user: User, order_id: int, *, orders: OrderQueries) -> OrderDetail:
    """An order by id (JSON API): live, of a live company, with lines. Needs ORDER_READ.

    Raises Forbidden, NotFound, ClassicUnavailable.
    """
    require(user, ORDER_READ)
    return _detail(orders.get_order(order_id, None))
