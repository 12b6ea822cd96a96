"""The ledger tab (read-only): customer and supplier ledger entries of a company.

Table: ``tblLedgerEntry`` (``Ledger`` C/S, ``Closed`` 'Y'/'N', ``Amount``/``OpenAmount`` in SEK,
``AmountCur`` in ``Currency``). The company's existence and ``Deleted = 0`` are checked by the card
header (``adapters.sql.contacts``) before these run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, Select, and_, bindparam, case, func, select

from facade.ledger import LedgerTotals, RawEntry
from facade.model import round_money
from facade.paging import Page, PageRequest

from .engine import classic_connection
from .paging import SortPart, blank_last, fetch_page, null_last
from .tables import tblLedgerEntry

_le = tblLedgerEntry
SORTS = {
    "voucher_date": [SortPart(_le.c.VoucherDate), SortPart(_le.c.VoucherNo)],
    "voucher_no": [SortPart(_le.c.VoucherNo)],
    "invoice_no": [blank_last(_le.c.InvoiceNo), SortPart(func.length(func.trim(_le.c.InvoiceNo))),
                   SortPart(func.trim(_le.c.InvoiceNo))],
    "due_date": [null_last(_le.c.DueDate), SortPart(_le.c.DueDate)],
    "amount": [SortPart(_le.c.Amount)],
    "open_amount": [SortPart(_le.c.OpenAmount)],
}


def _totals_statement() -> Select:
    is_open = _le.c.Closed == "N"
    overdue = and_(is_open, _le.c.DueDate < bindparam("today", type_=_le.c.DueDate.type))
    return select(
        func.sum(case((is_open, 1), else_=0)),
        func.sum(case((is_open, _le.c.OpenAmount), else_=0)),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(case((overdue, _le.c.OpenAmount), else_=0)),
    ).where(_le.c.CompanyID == bindparam("company_id", type_=_le.c.CompanyID.type),
            _le.c.Ledger == bindparam("ledger", type_=_le.c.Ledger.type))


#: ``totals``' statement, built once (bind parameters: company_id, ledger, today).
_TOTALS = _totals_statement()


class SqlLedgerQueries:
    """``LedgerQueries`` over ``tblLedgerEntry``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_entries(self, company_id: int, ledger: str, state: str, req: PageRequest) -> Page[RawEntry]:
        """One page of the company's ``ledger`` entries; ``state`` open (``Closed = 'N'``), closed, all."""
        q = select(_le).where(_le.c.CompanyID == company_id, _le.c.Ledger == ledger)
        if state == "open":
            q = q.where(_le.c.Closed == "N")
        elif state == "closed":
            q = q.where(_le.c.Closed == "Y")
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _le.c.EntryID, _to_raw)

    def totals(self, company_id: int, ledger: str, today: date) -> LedgerTotals:
        """Counts and Σ ``OpenAmount`` (SEK) of the open items, and of those due before ``today``."""
        with classic_connection(self.engine) as conn:
            n_open, s_open, n_over, s_over = conn.execute(
                _TOTALS, {"company_id": company_id, "ledger": ledger, "today": today}
            ).one()
        return LedgerTotals(int(n_open or 0), _money(s_open), int(n_over or 0), _money(s_over))


def _money(value) -> Decimal:
    # Sums over SQLite REAL carry float noise: the classic rule rounds half-up to 2 decimals.
    return round_money(Decimal(str(value))) if value is not None else Decimal("0.00")


def _to_raw(r) -> RawEntry:
    return RawEntry(r.EntryID, r.Ledger, r.VoucherNo, r.VoucherDate, r.InvoiceNo, r.DueDate, r.Description,
                    r.Currency, Decimal(str(r.AmountCur)), Decimal(str(r.Amount)), Decimal(str(r.OpenAmount)),
                    r.Closed, r.ClosedDate, r.MatchNo, r.OcrRef)
