"""The call-log tab.

Tables: ``tblCall`` (no soft delete), ``tblUser`` (the user on our side), ``tblPerson`` (the contact
called, live only), ``tblCompanyPerson`` (the company's live contacts), ``tblCompany`` (``Deleted``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Engine, and_, or_, select

from facade.calls import CallFilter, CallRow
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CardOwner

from .engine import classic_connection
from .paging import DESC, SortPart, fetch_page, live_companies, null_last, person_name, text_key
from .tables import tblCall, tblCompany, tblCompanyPerson, tblPerson, tblUser

_k, _u, _p, _cp = tblCall, tblUser, tblPerson, tblCompanyPerson
SORTS = {
    "time": [SortPart(_k.c.StartedAt)],
    "duration": [null_last(_k.c.DurationSec), SortPart(_k.c.DurationSec), SortPart(_k.c.StartedAt, DESC)],
    "direction": [SortPart(_k.c.Direction), SortPart(_k.c.StartedAt, DESC)],
    "user": [null_last(_u.c.FullName), SortPart(text_key(_u.c.FullName)), SortPart(_k.c.StartedAt, DESC)],
}


def _owned(owner: CardOwner):
    """The calls shown on ``owner``'s card (see facade.calls)."""
    company_live = or_(_k.c.CompanyID.is_(None), _k.c.CompanyID.in_(live_companies(tblCompany)))
    if owner.kind == COMPANY:
        p2 = tblPerson.alias("contact")
        contacts = (
            select(_cp.c.PersonID)
            .select_from(_cp.join(p2, p2.c.PersonID == _cp.c.PersonID))
            .where(_cp.c.CompanyID == owner.owner_id, _cp.c.Deleted == 0, p2.c.Deleted == 0)
        )
        return or_(_k.c.CompanyID == owner.owner_id, and_(_k.c.PersonID.in_(contacts), company_live))
    return and_(_k.c.PersonID == owner.owner_id, company_live)


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
