"""The e-mail tab and reading one e-mail.

Tables: ``tblEmail`` (``Deleted = 1`` when deleted in the e-mail module), ``tblEmailLink``
(``CompanyID``/``PersonID``), ``tblCompany`` and ``tblPerson`` (``Deleted``). An e-mail is listed
once however many of its links match (IN / EXISTS, never a join).
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, exists, or_, select

from facade.emails import EmailMessage, EmailRow
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CardOwner

from .engine import classic_connection
from .paging import DESC, SortPart, blank_last, fetch_page, live_companies, live_persons, null_last, text_key
from .tables import tblCompany, tblEmail, tblEmailLink, tblPerson

_e, _l = tblEmail, tblEmailLink
SORTS = {
    "date": [null_last(_e.c.SentAt), SortPart(_e.c.SentAt)],
    "subject": [blank_last(_e.c.Subject), SortPart(text_key(_e.c.Subject)), null_last(_e.c.SentAt),
                SortPart(_e.c.SentAt, DESC)],
    "from": [blank_last(_e.c.FromAddr), SortPart(text_key(_e.c.FromAddr)), null_last(_e.c.SentAt),
             SortPart(_e.c.SentAt, DESC)],
    "direction": [SortPart(_e.c.Direction), null_last(_e.c.SentAt), SortPart(_e.c.SentAt, DESC)],
}


def _linked(owner: CardOwner | None):
    """The e-mail is shown on ``owner``'s card (None: on any live card).

    For an owner this is ``EmailID IN (links of the owner)``: the indexed ``CompanyID``/``PersonID``
    of ``tblEmailLink`` find the few links first (the table has no index on ``EmailID``).
    """
    if owner is None:
        cond = or_(_l.c.CompanyID.in_(live_companies(tblCompany)),
                   and_(_l.c.CompanyID.is_(None), _l.c.PersonID.in_(live_persons(tblPerson))))
        return exists().where(_l.c.EmailID == _e.c.EmailID, cond)
    if owner.kind == COMPANY:
        links = select(_l.c.EmailID).where(_l.c.CompanyID == owner.owner_id)
    else:
        links = select(_l.c.EmailID).where(
            _l.c.PersonID == owner.owner_id,
            or_(_l.c.CompanyID.is_(None), _l.c.CompanyID.in_(live_companies(tblCompany))))
    return _e.c.EmailID.in_(links)


class SqlEmailQueries:
    """``EmailQueries`` over ``tblEmail``/``tblEmailLink``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_emails(self, owner: CardOwner, req: PageRequest) -> Page[EmailRow]:
        """One page of the owner's live e-mails (see facade.emails) in ``req``'s order."""
        q = select(_e.c.EmailID, _e.c.SentAt, _e.c.Direction, _e.c.FromAddr, _e.c.ToAddrs, _e.c.Subject,
                   _e.c.HasAttachments).where(_e.c.Deleted == 0, _linked(owner))
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _e.c.EmailID, _to_row)

    def get_email(self, email_id: int, owner: CardOwner | None) -> EmailMessage | None:
        """The live e-mail when ``owner``'s card shows it (None: any live card), else None."""
        q = select(_e).where(_e.c.EmailID == email_id, _e.c.Deleted == 0, _linked(owner))
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return EmailMessage(r.EmailID, r.SentAt, (r.Direction or "").strip().upper(), r.FromAddr, r.ToAddrs,
                            r.CcAddrs, r.Subject, r.HasAttachments == 1, r.MessageID, r.BodyText)


def _to_row(r) -> EmailRow:
    return EmailRow(r.EmailID, r.SentAt, (r.Direction or "").strip().upper(), r.FromAddr, r.ToAddrs, r.Subject,
                    r.HasAttachments == 1)
