"""Reads of the contact (person) card (SQLAlchemy Core, one query per method).

Classic tables: ``tblPerson``, ``tblAddress`` (``PersonID``, ``AddrType`` 1–4), ``tblUser``
(owner, audit users, authors), ``tblCompanyPerson``, ``tblCompany``, ``tblActivity``,
``tblWallPost``. Every read filters ``Deleted = 0`` (joins included).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from facade.companies import Activity, Listing, WallPost, company_kind, person_name
from facade.persons import Person, PersonCompany

from .companies import (
    activity_listing,
    addresses_of,
    audit_of,
    text_or_none,
    user_ref,
    wall_listing,
    with_addresses,
    with_owner_and_audit,
)
from .engine import classic_connection
from .tables import tblCompany, tblCompanyPerson, tblPerson


class SqlPersonQueries:
    """``facade.persons.PersonQueries`` over the classic database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def person(self, person_id: int) -> Person | None:
        """The live person with owner, audit users and addresses in one query; None when unknown
        or soft-deleted."""
        p = tblPerson
        base, user_cols = with_owner_and_audit(p)
        joined, addr_cols = with_addresses(base, "PersonID", p.c.PersonID)
        q = (
            select(
                p.c.PersonID,
                p.c.FirstName,
                p.c.LastName,
                p.c.JobTitle,
                p.c.Phone,
                p.c.Mobile,
                p.c.Email,
                p.c.Notes,
                p.c.CreatedAt.label("created_at"),
                p.c.ChangedAt.label("changed_at"),
                p.c.ChangeNo.label("change_no"),
                *user_cols,
                *addr_cols,
            )
            .select_from(joined)
            .where(p.c.PersonID == person_id, p.c.Deleted == 0)
        )
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return Person(
            person_id=r.PersonID,
            name=person_name(r.FirstName, r.LastName),
            first_name=text_or_none(r.FirstName),
            last_name=text_or_none(r.LastName),
            job_title=text_or_none(r.JobTitle),
            phone=text_or_none(r.Phone),
            mobile=text_or_none(r.Mobile),
            email=text_or_none(r.Email),
            notes=r.Notes if r.Notes and r.Notes.strip() else None,
            owner=user_ref(r, "owner"),
            addresses=addresses_of(r),
            audit=audit_of(r),
        )

    def companies(self, person_id: int) -> list[PersonCompany]:
        """Live companies (``tblCompany.Deleted = 0``) on live links (``tblCompanyPerson.Deleted = 0``)."""
        cp, c = tblCompanyPerson, tblCompany
        q = (
            select(
                c.c.CompanyID,
                c.c.Name,
                c.c.CompanyKind,
                c.c.IsCustomer,
                c.c.IsSupplier,
                c.c.CustomerNo,
                cp.c.Role,
                cp.c.IsMain,
            )
            .select_from(cp.join(c, c.c.CompanyID == cp.c.CompanyID))
            .where(cp.c.PersonID == person_id, cp.c.Deleted == 0, c.c.Deleted == 0)
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [
            PersonCompany(
                company_id=r.CompanyID,
                name=(r.Name or "").strip(),
                kind=company_kind(r.CompanyKind, bool(r.IsCustomer), bool(r.IsSupplier)),
                customer_no=r.CustomerNo,
                role=text_or_none(r.Role),
                is_main=bool(r.IsMain),
            )
            for r in rows
        ]

    def activities(self, *, person_id: int, now_local: datetime, limit: int) -> Listing[Activity]:
        """Live activities with ``PersonID = person_id`` (see ``companies.activity_listing``)."""
        with classic_connection(self.engine) as conn:
            return activity_listing(conn, person_id=person_id, now_local=now_local, limit=limit)

    def wall(self, *, person_id: int, limit: int) -> Listing[WallPost]:
        """Live wall posts with ``PersonID = person_id``, newest first."""
        with classic_connection(self.engine) as conn:
            return wall_listing(conn, person_id=person_id, limit=limit)
