"""The contacts tab and the card header of the tab pages.

Tables: ``tblCompanyPerson`` (live links), ``tblPerson`` (live persons), ``tblCompany`` (name,
``IsCustomer``/``IsSupplier``, ``Deleted``), ``tblLedgerEntry`` (whether C/S entries exist).
"""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, select

from facade.contacts import ContactRow
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CUSTOMER_LEDGER, SUPPLIER_LEDGER, CardHeader, CardOwner

from .companies import has_ledger, ledgers_of
from .engine import classic_connection
from .paging import SortPart, blank_last, fetch_page, person_name, text_key
from .tables import tblCompany, tblCompanyPerson, tblPerson

_p, _cp = tblPerson, tblCompanyPerson
_NAME = [blank_last(_p.c.LastName), SortPart(text_key(_p.c.LastName), "asc"),
         SortPart(text_key(_p.c.FirstName), "asc")]
SORTS = {
    "main": [SortPart(_cp.c.IsMain), *_NAME],
    "name": [blank_last(_p.c.LastName), SortPart(text_key(_p.c.LastName)), SortPart(text_key(_p.c.FirstName))],
    "role": [blank_last(_cp.c.Role), SortPart(text_key(_cp.c.Role)), *_NAME],
    "email": [blank_last(_p.c.Email), SortPart(text_key(_p.c.Email)), *_NAME],
}


# The card header's statements, built once (every tab page runs one).
_COMPANY_HEADER = select(
    tblCompany.c.Name, tblCompany.c.IsCustomer, tblCompany.c.IsSupplier,
    has_ledger(CUSTOMER_LEDGER).label("has_c"), has_ledger(SUPPLIER_LEDGER).label("has_s"),
).where(tblCompany.c.CompanyID == bindparam("owner_id", type_=tblCompany.c.CompanyID.type), tblCompany.c.Deleted == 0)
_PERSON_HEADER = select(_p.c.FirstName, _p.c.LastName).where(
    _p.c.PersonID == bindparam("owner_id", type_=_p.c.PersonID.type), _p.c.Deleted == 0
)


class SqlContactQueries:
    """``ContactQueries`` and ``CardHeaderQueries`` over the classic database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def card_header(self, owner: CardOwner) -> CardHeader | None:
        """The live company's name and ledgers, or the live person's name; None when unknown/deleted."""
        with classic_connection(self.engine) as conn:
            if owner.kind == COMPANY:
                row = conn.execute(_COMPANY_HEADER, {"owner_id": owner.owner_id}).first()
                if row is None:
                    return None
                ledgers = ledgers_of(row.IsCustomer, row.IsSupplier, row.has_c, row.has_s)
                return CardHeader(owner, " ".join((row.Name or "").split()), ledgers)
            row = conn.execute(_PERSON_HEADER, {"owner_id": owner.owner_id}).first()
        if row is None:
            return None
        return CardHeader(owner, person_name(row.FirstName, row.LastName) or "")

    def list_contacts(self, company_id: int, req: PageRequest) -> Page[ContactRow]:
        """One page of the company's live contacts (live link, live person) in ``req``'s order."""
        q = (
            select(_p.c.PersonID, _p.c.FirstName, _p.c.LastName, _p.c.JobTitle, _cp.c.Role, _cp.c.IsMain,
                   _p.c.Phone, _p.c.Mobile, _p.c.Email)
            .select_from(_cp.join(_p, _p.c.PersonID == _cp.c.PersonID))
            .where(_cp.c.CompanyID == company_id, _cp.c.Deleted == 0, _p.c.Deleted == 0)
        )
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _p.c.PersonID, _to_row)


def _to_row(r) -> ContactRow:
    return ContactRow(r.PersonID, r.FirstName, r.LastName, r.JobTitle, r.Role, r.IsMain == 1, r.Phone,
                      r.Mobile, r.Email)
