"""The call-log tab.

Tables: ``tblCall`` (no soft delete), ``tblUser`` (the user on our side), ``tblPerson`` (the contact
called, live only), ``tblCompanyPerson`` (the company's live contacts), ``tblCompany`` (``Deleted``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Engine, and_, exists, or_, select, union

from facade.calls import CallFilter, CallRow
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CardOwner

from .engine import classic_connection
from .paging import DESC, SortPart, fetch_page, null_last, person_name, text_key
from .tables import tblCall, tblCompany, tblCompanyPerson, tblPerson, tblUser

_k, _u, _p, _cp = tblCall, tblUser, tblPerson, tblCompanyPerson
SORTS = {
    "time": [SortPart(_k.c.StartedAt)],
    "duration": [null_last(_k.c.DurationSec), SortPart(_k.c.DurationSec), SortPart(_k.c.StartedAt, DESC)],
    "direction": [SortPart(_k.c.Direction), SortPart(_k.c.StartedAt, DESC)],
    "user": [null_last(_u.c.FullName), SortPart(text_key(_u.c.FullName)), SortPart(_k.c.StartedAt, DESC)],
}


def _company_live(call):
    """The call has no company, or a live one: a primary-key lookup per call (an ``IN`` over every
    live company made SQLite and PostgreSQL build a set of 100 000+ ids per page)."""
    c = tblCompany.alias("call_company")
    return or_(
        call.c.CompanyID.is_(None),
        exists().where(c.c.CompanyID == call.c.CompanyID, c.c.Deleted == 0),
    )


def _owned(owner: CardOwner):
    """The calls shown on ``owner``'s card (see facade.calls)."""
    if owner.kind == COMPANY:
        # Two index lookups (IX_tblCall_CompanyID, IX_tblCall_PersonID) joined by UNION: an OR of
        # both made the engines scan every call.
        p2 = tblPerson.alias("contact")
        by_contact = tblCall.alias("by_contact")
        contacts = (
            select(_cp.c.PersonID)
            .select_from(_cp.join(p2, p2.c.PersonID == _cp.c.PersonID))
            .where(_cp.c.CompanyID == owner.owner_id, _cp.c.Deleted == 0, p2.c.Deleted == 0)
        )
        by_company = tblCall.alias("by_company")
        ids = union(
            select(by_company.c.CallID).where(by_company.c.CompanyID == owner.owner_id),
            select(by_contact.c.CallID).where(by_contact.c.PersonID.in_(contacts), _company_live(by_contact)),
        )
        return _k.c.CallID.in_(ids)
    return and_(_k.c.PersonID == owner.owner_id, _company_live(_k))


class SqlCallQueries:
    """``CallQueries`` over ``tblCall``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_calls(self, owner: CardOwner, flt: CallFilter, req: PageRequest) -> Page[CallRow]:
        """One page of the owner's calls matching ``flt`` in ``req``'s order."""
        q = (
            select(_k.c.CallID, _k.c.StartedAt, _k.c.Direction, _k.c.Number, _k.c.Extension, _k.c.DurationSec,
                   _k.c.Answered, _p.c.PersonID.label("LivePersonID"), _u.c.FullName, _p.c.FirstName, _p.c.LastName)
            .select_from(
                _k.outerjoin(_u, _u.c.UserID == _k.c.UserID)
                .outerjoin(_p, and_(_p.c.PersonID == _k.c.PersonID, _p.c.Deleted == 0))
            )
            .where(_owned(owner))
        )
        if flt.direction:
            q = q.where(_k.c.Direction == flt.direction)
        if flt.first:
            q = q.where(_k.c.StartedAt >= datetime.combine(flt.first, time.min))
        if flt.last:
            q = q.where(_k.c.StartedAt < datetime.combine(flt.last + timedelta(days=1), time.min))
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _k.c.CallID, _to_row)


def _to_row(r) -> CallRow:
    # A deleted contact is not named (the outer join finds live persons only).
    return CallRow(r.CallID, r.StartedAt, (r.Direction or "").strip().upper(), r.Number, r.Extension,
                   r.FullName, r.LivePersonID, person_name(r.FirstName, r.LastName), r.DurationSec,
                   r.Answered == 1)
