"""The ledger tab of the company card: customer ledger and supplier ledger, read-only.

Source: ``tblLedgerEntry`` (``Ledger`` C/S; ``AmountCur`` in ``Currency``; ``Amount`` and
``OpenAmount`` in the base currency SEK; ``Closed`` 'Y'/'N'; ``DueDate``) of a live company. Rights:
LEDGER_CUSTOMER for the customer ledger, LEDGER_SUPPLIER for the supplier ledger (see
``facade.tabs`` for which ledgers a company has).

An open item is overdue when ``Closed = 'N'`` and its ``DueDate`` is before the installation's
today (``local_now(clock, TimeZone)``); days overdue = today − DueDate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from .errors import Forbidden, InvalidInput, NotFound
from .i18n import N_
from .model import User, round_money
from .paging import Page, PageRequest, SortOption
from .periods import local_now
from .ports import Clock, InstallationRepository
from .tabs import (
    COMPANY,
    CUSTOMER_LEDGER,
    LEDGER_RIGHTS,
    SUPPLIER_LEDGER,
    Card,
    CardHeaderQueries,
    CardOwner,
    open_card,
    visible_ledgers,
)

LEDGER_SORTS = (
    SortOption("voucher_date", N_("Voucher date"), descending=True),
    SortOption("voucher_no", N_("Voucher no."), descending=True),
    SortOption("invoice_no", N_("Invoice no.")),
    SortOption("due_date", N_("Due date")),
    SortOption("amount", N_("Amount in SEK"), descending=True),
    SortOption("open_amount", N_("Open amount"), descending=True),
)
LEDGER_DEFAULT_SORT = "voucher_date"
STATES = ("open", "closed", "all")
NEEDS_RIGHT = {CUSTOMER_LEDGER: N_("This needs the classic right LEDGER_CUSTOMER."),
               SUPPLIER_LEDGER: N_("This needs the classic right LEDGER_SUPPLIER.")}
LEDGER_NAMES = {CUSTOMER_LEDGER: N_("Customer ledger"), SUPPLIER_LEDGER: N_("Supplier ledger")}


@dataclass(frozen=True)
class LedgerEntryRow:
    """A ledger line. ``amount_cur`` in ``currency``; ``amount``/``open_amount`` in SEK (2 decimals).

    ``days_overdue`` is set for open items past their due date (days after ``DueDate``), else None.
    """

    entry_id: int
    ledger: str
    voucher_no: int
    voucher_date: date
    invoice_no: str | None
    due_date: date | None
    description: str | None
    currency: str
    amount_cur: Decimal
    amount: Decimal
    open_amount: Decimal
    closed: bool
    closed_date: date | None
    match_no: int | None
    ocr_ref: str | None
    days_overdue: int | None


@dataclass(frozen=True)
class LedgerTotals:
    """Over the company's whole ledger: open items' Σ ``OpenAmount`` and the overdue part (SEK)."""

    open_count: int
    open_amount: Decimal
    overdue_count: int
    overdue_amount: Decimal


@dataclass(frozen=True)
class LedgerTab:
    card: Card
    ledgers: tuple[str, ...]  # the ledgers the user may switch between
    ledger: str
    state: str
    today: date
    totals: LedgerTotals
    page: Page[LedgerEntryRow]


@dataclass(frozen=True)
class RawEntry:
    """A ``tblLedgerEntry`` row as read (the adapter's shape; amounts as stored)."""

    entry_id: int
    ledger: str
    voucher_no: int
    voucher_date: date
    invoice_no: str | None
    due_date: date | None
    description: str | None
    currency: str
    amount_cur: Decimal
    amount: Decimal
    open_amount: Decimal
    closed: str
    closed_date: date | None
    match_no: int | None
    ocr_ref: str | None


class LedgerQueries(Protocol):
    def list_entries(self, company_id: int, ledger: str, state: str, req: PageRequest) -> Page[RawEntry]:
        """One page of the company's entries of ``ledger`` (C/S); ``state`` open/closed/all.

        Sort keys: ``voucher_date``, ``voucher_no``, ``invoice_no``, ``due_date`` (unknown last),
        ``amount``, ``open_amount``; ties broken by ``EntryID``. Raises ClassicUnavailable.
        """

    def totals(self, company_id: int, ledger: str, today: date) -> LedgerTotals:
        """Open and overdue (``DueDate < today``) counts and Σ ``OpenAmount`` of ``Closed = 'N'`` items."""


def days_overdue(closed: str | bool, due: date | None, today: date) -> int | None:
    """Days an open item is past its due date (``today − DueDate``), None when not overdue."""
    is_closed = closed if isinstance(closed, bool) else (closed or "").strip().upper() == "Y"
    if is_closed or due is None or due >= today:
        return None
    return (today - due).days


def _row(raw: RawEntry, today: date) -> LedgerEntryRow:
    closed = (raw.closed or "").strip().upper() == "Y"
    return LedgerEntryRow(
        raw.entry_id, raw.ledger.strip().upper(), raw.voucher_no, raw.voucher_date, raw.invoice_no,
        raw.due_date, raw.description, (raw.currency or "").strip(), round_money(raw.amount_cur),
        round_money(raw.amount), round_money(raw.open_amount), closed, raw.closed_date, raw.match_no,
        raw.ocr_ref, days_overdue(closed, raw.due_date, today),
    )


def ledger_tab(user: User, company_id: int, ledger: str | None, state: str | None, req: PageRequest, *,
               ledgers: LedgerQueries, headers: CardHeaderQueries, clock: Clock,
               installation: InstallationRepository) -> LedgerTab:
    """The ledger tab: one page of the chosen ledger's items, with open and overdue totals.

    ``ledger`` ``C``/``S`` (blank: the first the user may see), ``state`` ``open`` (default),
    ``closed`` or ``all``. Raises Forbidden (no right for that ledger, or for any ledger the company
    has), NotFound (unknown or deleted company, a ledger the company has not), InvalidInput
    (unknown ledger code or state), ClassicUnavailable.
    """
    card = open_card(user, CardOwner(COMPANY, company_id), "ledger", headers=headers)
    allowed = visible_ledgers(user, card.header.ledgers)
    code = (ledger or "").strip().upper() or allowed[0]
    if code not in LEDGER_RIGHTS:
        raise InvalidInput(N_("Unknown ledger."), fields={"ledger": N_("Unknown ledger.")})
    if not user.can(LEDGER_RIGHTS[code]):
        raise Forbidden(NEEDS_RIGHT[code], right=LEDGER_RIGHTS[code])
    if code not in card.header.ledgers:
        raise NotFound(N_("This company has no such ledger."))
    st = (state or "").strip().lower() or "open"
    if st not in STATES:
        raise InvalidInput(N_("Unknown selection."), fields={"state": N_("Unknown selection.")})
    today = local_now(clock, installation.get().time_zone).date()
    raw = ledgers.list_entries(company_id, code, st, req)
    page = Page(tuple(_row(r, today) for r in raw.items), raw.total, raw.page, raw.per_page, raw.sort,
                raw.descending)
    totals = ledgers.totals(company_id, code, today)
    return LedgerTab(card, allowed, code, st, today, totals, page)
