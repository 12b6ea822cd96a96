"""The orders-and-invoices tab and one order with its lines.

Tables: ``tblOrder`` (live, of a live ``tblCompany``), ``tblOrderLine`` (by ``LineNum``), ``tblUser``
(seller, may be NULL or inactive), ``tblPerson`` (the customer's reference, live only).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, and_, func, or_, select

from facade.orders import OrderLine, OrderRow, OrderSearch
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CardOwner

from .engine import classic_connection, like_escape
from .paging import DESC, SortPart, fetch_page, null_last, person_name
from .tables import tblCompany, tblOrder, tblOrderLine, tblPerson, tblUser

_o, _u, _p, _c, _ol = tblOrder, tblUser, tblPerson, tblCompany, tblOrderLine
DOC_DATE = func.coalesce(_o.c.InvoiceDate, _o.c.OrderDate)
SORTS = {
    "date": [SortPart(DOC_DATE), SortPart(_o.c.OrderNo)],
    "number": [SortPart(_o.c.OrderNo)],
    "type": [SortPart(_o.c.DocType), SortPart(DOC_DATE, DESC)],
    "status": [SortPart(_o.c.Status), SortPart(DOC_DATE, DESC)],
    "due": [null_last(_o.c.DueDate), SortPart(_o.c.DueDate)],
    "amount": [SortPart(_o.c.TotalAmount * _o.c.ExchangeRate)],
}
_COLUMNS = (
    _o.c.OrderID, _o.c.OrderNo, _o.c.DocType, _o.c.Status, _o.c.OrderDate, _o.c.InvoiceNo, _o.c.InvoiceDate,
    _o.c.DueDate, _o.c.YourRef, _o.c.OurRef, _u.c.FullName.label("SellerName"), _u.c.Active.label("SellerActive"),
    _p.c.PersonID.label("RefPersonID"), _p.c.FirstName, _p.c.LastName, _o.c.CompanyID, _c.c.Name.label("CompanyName"),
    _o.c.Currency, _o.c.ExchangeRate, _o.c.NetAmount, _o.c.VatAmount, _o.c.TotalAmount,
)
_FROM = (
    _o.join(_c, and_(_c.c.CompanyID == _o.c.CompanyID, _c.c.Deleted == 0))
    .outerjoin(_u, _u.c.UserID == _o.c.SalesUserID)
    .outerjoin(_p, and_(_p.c.PersonID == _o.c.PersonID, _p.c.Deleted == 0))
)


def _contains(col, text: str):
    """``col`` contains ``text`` ignoring case on every engine.

    SQLite's lower()/upper() fold ASCII only, so both foldings are tried: a Nordic letter then
    matches when column and query agree in its case after folding either way.
    """
    low = "%" + like_escape(text.lower()) + "%"
    up = "%" + like_escape(text.upper()) + "%"
    return or_(func.lower(col).like(low, escape="!"), func.upper(col).like(up, escape="!"))


def _owned(owner: CardOwner):
    if owner.kind == COMPANY:
        return _o.c.CompanyID == owner.owner_id
    return _o.c.PersonID == owner.owner_id


def _search(q, s: OrderSearch):
    if s.text:
        refs = or_(_contains(_o.c.YourRef, s.text), _contains(_o.c.OurRef, s.text))
        n = s.number
        q = q.where(or_(_o.c.OrderNo == n, _o.c.InvoiceNo == n, refs) if n is not None else refs)
    if s.status is not None:
        q = q.where(_o.c.Status == s.status)
    if s.doc_type:
        q = q.where(_o.c.DocType == s.doc_type)
    if s.first:
        q = q.where(DOC_DATE >= s.first)
    if s.last:
        q = q.where(DOC_DATE <= s.last)
    return q


class SqlOrderQueries:
    """``OrderQueries`` over ``tblOrder``/``tblOrderLine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_orders(self, owner: CardOwner, search: OrderSearch, req: PageRequest) -> Page[OrderRow]:
        """One page of the owner's live orders matching ``search`` in ``req``'s order."""
        q = _search(select(*_COLUMNS).select_from(_FROM).where(_o.c.Deleted == 0, _owned(owner)), search)
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _o.c.OrderID, _to_row)

    def get_order(self, order_id: int, owner: CardOwner | None) -> tuple[OrderRow, list[OrderLine]] | None:
        """The live order (of ``owner`` when given) of a live company, with its lines by ``LineNum``."""
        q = select(*_COLUMNS).select_from(_FROM).where(_o.c.OrderID == order_id, _o.c.Deleted == 0)
        if owner is not None:
            q = q.where(_owned(owner))
        lines_q = (
            select(_ol.c.LineNum, _ol.c.ArticleNo, _ol.c.Description, _ol.c.Quantity, _ol.c.Unit, _ol.c.UnitPrice,
                   _ol.c.DiscountPct, _ol.c.VatPct, _ol.c.LineNet)
            .where(_ol.c.OrderID == order_id)
            .order_by(_ol.c.LineNum, _ol.c.LineID)
        )
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
            if r is None:
                return None
            lines = [
                OrderLine(x.LineNum, x.ArticleNo, x.Description, _dec(x.Quantity), x.Unit, _dec(x.UnitPrice),
                          _dec(x.DiscountPct), _dec(x.VatPct), _dec(x.LineNet))
                for x in conn.execute(lines_q).all()
            ]
        return _to_row(r), lines


def _dec(value) -> Decimal:
    # SQLite stores money as REAL: go through str() so 0.1 stays 0.1, then keep 4 decimals at most.
    if value is None:
        return Decimal(0)
    d = Decimal(str(value))
    return d.quantize(Decimal("0.0001")) if d.as_tuple().exponent < -4 else d


def _to_row(r) -> OrderRow:
    return OrderRow(
        r.OrderID, r.OrderNo, (r.DocType or "").strip().upper(), int(r.Status), r.OrderDate, r.InvoiceNo,
        r.InvoiceDate, r.DueDate, r.YourRef, r.OurRef, r.SellerName,
        None if r.SellerActive is None else r.SellerActive == 1, r.RefPersonID,
        person_name(r.FirstName, r.LastName), r.CompanyID, " ".join((r.CompanyName or "").split()),
        (r.Currency or "").strip().upper() or "SEK", _dec(r.ExchangeRate), _dec(r.NetAmount), _dec(r.VatAmount),
        _dec(r.TotalAmount),
    )
