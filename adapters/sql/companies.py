"""Reads of the company card's overview (SQLAlchemy Core, one query per method).

Classic tables: ``tblCompany``, ``tblAddress`` (``AddrType`` 1–4, at most one per type and
owner), ``tblUser`` (owner, audit users, authors, managers), ``tblCompanyPerson``,
``tblPerson``, ``tblActivity``, ``tblWallPost``, ``tblProject``, ``tblSalesOpp``,
``tblCompanyCategory``, ``tblCategory``. Every read filters ``Deleted = 0`` (joins included);
bit columns are compared with ints. The activity and wall queries are shared with the contact
card (``adapters/sql/persons.py``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.sql import ColumnElement, FromClause

from facade.companies import (
    ACT_APPOINTMENT,
    ACT_TASK,
    ADDRESS_TYPES,
    Activity,
    Address,
    Audit,
    CategoryNode,
    Company,
    CompanyContact,
    Listing,
    Opportunity,
    Project,
    UserRef,
    WallPost,
    person_name,
)
from facade.model import round_money
from facade.tabs import CUSTOMER_LEDGER, SUPPLIER_LEDGER

from .engine import classic_connection
from .tables import (
    tblActivity,
    tblAddress,
    tblCategory,
    tblCompany,
    tblCompanyCategory,
    tblCompanyPerson,
    tblLedgerEntry,
    tblPerson,
    tblProject,
    tblSalesOpp,
    tblUser,
    tblWallPost,
)

# --- shared helpers (also used by persons.py and employees.py) ------------------------------


def user_columns(alias: Any, prefix: str) -> list[ColumnElement]:
    """``UserID``, ``FullName`` and ``Active`` of a ``tblUser`` alias, labelled ``<prefix>_…``."""
    return [
        alias.c.UserID.label(f"{prefix}_id"),
        alias.c.FullName.label(f"{prefix}_name"),
        alias.c.Active.label(f"{prefix}_active"),
    ]


def user_ref(row: Any, prefix: str) -> UserRef | None:
    """The ``UserRef`` of the columns ``user_columns(…, prefix)`` of ``row``; None for no user."""
    user_id = getattr(row, f"{prefix}_id")
    if user_id is None:
        return None
    name = (getattr(row, f"{prefix}_name") or "").strip()
    return UserRef(int(user_id), name, bool(getattr(row, f"{prefix}_active")))


def text_or_none(value: str | None) -> str | None:
    """``value`` trimmed; None for NULL, the empty string and blanks (both mean "no value")."""
    if value is None:
        return None
    trimmed = value.strip()
    return trimmed or None


def money_or_none(value: Any) -> Decimal | None:
    """A money column as Decimal rounded half-up to 2 decimals (SQLite stores REAL)."""
    return None if value is None else round_money(Decimal(str(value)))


def with_addresses(base: FromClause, owner_column: str, owner_id: ColumnElement) -> tuple[FromClause, list]:
    """``base`` outer-joined to one ``tblAddress`` alias per ``AddrType`` (1–4) of the owner
    (``owner_column`` is ``CompanyID`` or ``PersonID``); returns the join and its columns."""
    columns: list[ColumnElement] = []
    joined = base
    for addr_type in ADDRESS_TYPES:
        a = tblAddress.alias(f"addr{addr_type}")
        joined = joined.outerjoin(a, and_(a.c[owner_column] == owner_id, a.c.AddrType == addr_type))
        columns += [
            a.c.AddressID.label(f"a{addr_type}_id"),
            a.c.Line1.label(f"a{addr_type}_line1"),
            a.c.Line2.label(f"a{addr_type}_line2"),
            a.c.PostCode.label(f"a{addr_type}_post_code"),
            a.c.City.label(f"a{addr_type}_city"),
            a.c.Country.label(f"a{addr_type}_country"),
        ]
    return joined, columns


def with_owner_and_audit(table: Any) -> tuple[FromClause, list[ColumnElement]]:
    """``table`` outer-joined to its owner (``OwnerUserID``) and the users who created and last
    changed it (``CreatedBy``, ``ChangedBy``), as ``tblUser`` aliases; returns the join and the
    users' columns (``user_columns`` with prefixes owner, cby, chby; read with ``user_ref``/``audit_of``)."""
    owner, cby, chby = tblUser.alias("owner"), tblUser.alias("cby"), tblUser.alias("chby")
    joined = (
        table.outerjoin(owner, owner.c.UserID == table.c.OwnerUserID)
        .outerjoin(cby, cby.c.UserID == table.c.CreatedBy)
        .outerjoin(chby, chby.c.UserID == table.c.ChangedBy)
    )
    return joined, [*user_columns(owner, "owner"), *user_columns(cby, "cby"), *user_columns(chby, "chby")]


def has_ledger(code: str) -> ColumnElement:
    """1 when ``tblLedgerEntry`` has entries of ledger ``code`` (C/S) for the ``tblCompany`` row of
    the enclosing query, else 0."""
    le = tblLedgerEntry
    return case((exists().where(le.c.CompanyID == tblCompany.c.CompanyID, le.c.Ledger == code), 1), else_=0)


def ledgers_of(is_customer: Any, is_supplier: Any, has_customer_ledger: Any, has_supplier_ledger: Any) -> frozenset[str]:
    """The company's ledgers: C when it is a customer or has customer-ledger entries, S likewise."""
    out = set()
    if is_customer == 1 or has_customer_ledger:
        out.add(CUSTOMER_LEDGER)
    if is_supplier == 1 or has_supplier_ledger:
        out.add(SUPPLIER_LEDGER)
    return frozenset(out)


def addresses_of(row: Any) -> tuple[Address, ...]:
    """The addresses of a row built with ``with_addresses``, by ``AddrType``."""
    out = []
    for addr_type, kind in ADDRESS_TYPES.items():
        if getattr(row, f"a{addr_type}_id") is None:
            continue
        parts = [
            text_or_none(getattr(row, f"a{addr_type}_{f}")) for f in ("line1", "line2", "post_code", "city")
        ]
        country = text_or_none(getattr(row, f"a{addr_type}_country"))
        out.append(Address(addr_type, kind, *parts, country.upper() if country else None))
    return tuple(out)


def audit_of(row: Any) -> Audit:
    """``Audit`` from the columns ``created_at``, ``changed_at``, ``change_no`` and users ``cby``/``chby``."""
    return Audit(
        row.created_at, user_ref(row, "cby"), row.changed_at, user_ref(row, "chby"), int(row.change_no or 1)
    )


def activity_rows(conn: Connection, where: list, order_by: list, limit: int) -> Listing[Activity]:
    """Live activities (``tblActivity.Deleted = 0``) matching ``where``, in ``order_by`` order
    (then ``ActivityID``), with owner, live person and live company; activities of a soft-deleted
    company are hidden and a soft-deleted person is not named. ``total`` counts every match
    (``COUNT(*) OVER ()``); ``limit`` rows are returned (state left unset)."""
    return run_activities(conn, activity_statement(where, order_by, limit), {})


def activity_statement(where: list, order_by: list, limit: int) -> Select:
    """The SELECT of ``activity_rows`` (bind parameters in ``where``/``order_by`` stay open)."""
    a = tblActivity
    owner = tblUser.alias("owner")
    p = tblPerson.alias("p")
    c = tblCompany.alias("c")
    return (
        select(
            a.c.ActivityID,
            a.c.ActType,
            a.c.Subject,
            a.c.Location,
            a.c.StartAt,
            a.c.EndAt,
            a.c.DueAt,
            a.c.Done,
            a.c.DoneAt,
            a.c.Priority,
            a.c.CompanyID,
            a.c.PersonID,
            p.c.PersonID.label("live_person_id"),
            p.c.FirstName,
            p.c.LastName,
            c.c.CompanyID.label("live_company_id"),
            c.c.Name.label("company_name"),
            *user_columns(owner, "owner"),
            func.count().over().label("total"),
        )
        .select_from(
            a.outerjoin(owner, owner.c.UserID == a.c.OwnerUserID)
            .outerjoin(p, and_(p.c.PersonID == a.c.PersonID, p.c.Deleted == 0))
            .outerjoin(c, and_(c.c.CompanyID == a.c.CompanyID, c.c.Deleted == 0))
        )
        .where(a.c.Deleted == 0, or_(a.c.CompanyID.is_(None), c.c.CompanyID.is_not(None)), *where)
        .order_by(*order_by, a.c.ActivityID.desc())
        .limit(limit)
    )


def run_activities(conn: Connection, statement: Select, params: dict) -> Listing[Activity]:
    """Run an ``activity_statement`` with ``params``: the rows as a ``Listing``."""
    rows = conn.execute(statement, params).all()
    return Listing(tuple(activity_of(r) for r in rows), int(rows[0].total) if rows else 0)


def activity_listing(
    conn: Connection,
    *,
    company_id: int | None = None,
    person_id: int | None = None,
    now_local: datetime,
    limit: int,
) -> Listing[Activity]:
    """Live activities of a company or a person (see ``activity_rows``).

    Order: open tasks and coming or running appointments first (soonest first: overdue tasks
    lead), then the rest newest first; ``ActivityID`` breaks ties.
    """
    statement = _activity_listing_statement(company_id is not None, person_id is not None, limit)
    params: dict[str, Any] = {"now_local": now_local}
    if company_id is not None:
        params["company_id"] = company_id
    if person_id is not None:
        params["person_id"] = person_id
    return run_activities(conn, statement, params)


@functools.lru_cache(maxsize=32)
def _activity_listing_statement(by_company: bool, by_person: bool, limit: int) -> Select:
    """``activity_listing``'s statement, built once (bind parameters: now_local, company_id,
    person_id): building and cache-keying a statement costs more than running it."""
    a = tblActivity
    now_local = bindparam("now_local", type_=a.c.StartAt.type)
    is_current = case(
        (and_(a.c.ActType == ACT_TASK, a.c.Done == 0), 0),
        (
            and_(
                a.c.ActType == ACT_APPOINTMENT,
                a.c.Done == 0,
                or_(a.c.StartAt >= now_local, a.c.EndAt > now_local),
            ),
            0,
        ),
        else_=1,
    )
    when = case((a.c.ActType == ACT_APPOINTMENT, a.c.StartAt), else_=a.c.DueAt)
    where = []
    if by_company:
        where.append(a.c.CompanyID == bindparam("company_id", type_=a.c.CompanyID.type))
    if by_person:
        where.append(a.c.PersonID == bindparam("person_id", type_=a.c.PersonID.type))
    return activity_statement(where, [is_current, case((is_current == 0, when)).asc(), when.desc()], limit)


def activity_of(r: Any) -> Activity:
    """An ``Activity`` (state unset) from a row of ``activity_listing``'s columns."""
    return Activity(
        activity_id=r.ActivityID,
        act_type=int(r.ActType),
        subject=(r.Subject or "").strip(),
        location=text_or_none(r.Location),
        start_at=r.StartAt,
        end_at=r.EndAt,
        due_at=r.DueAt,
        done=bool(r.Done),
        done_at=r.DoneAt,
        priority=None if r.Priority is None else int(r.Priority),
        owner=user_ref(r, "owner"),
        person_id=r.live_person_id,
        person_name=person_name(r.FirstName, r.LastName) if r.live_person_id is not None else None,
        company_id=r.live_company_id,
        company_name=(r.company_name or "").strip() if r.live_company_id is not None else None,
    )


def wall_listing(
    conn: Connection, *, company_id: int | None = None, person_id: int | None = None, limit: int
) -> Listing[WallPost]:
    """Live wall posts (``tblWallPost.Deleted = 0``) of a company or a person, newest first
    (``CreatedAt`` desc, ``PostID`` desc); posts of a soft-deleted company are hidden; ``total``
    counts every match."""
    params = {}
    if company_id is not None:
        params["company_id"] = company_id
    if person_id is not None:
        params["person_id"] = person_id
    rows = conn.execute(_wall_statement(company_id is not None, person_id is not None, limit), params).all()
    posts = tuple(
        WallPost(r.PostID, r.Body or "", r.CreatedAt, user_ref(r, "author"), r.ChangedAt) for r in rows
    )
    return Listing(posts, int(rows[0].total) if rows else 0)


@functools.lru_cache(maxsize=16)
def _wall_statement(by_company: bool, by_person: bool, limit: int) -> Select:
    w = tblWallPost
    author = tblUser.alias("author")
    c = tblCompany.alias("c")
    q = (
        select(
            w.c.PostID,
            w.c.Body,
            w.c.CreatedAt,
            w.c.ChangedAt,
            *user_columns(author, "author"),
            func.count().over().label("total"),
        )
        .select_from(
            w.outerjoin(author, author.c.UserID == w.c.CreatedBy).outerjoin(
                c, and_(c.c.CompanyID == w.c.CompanyID, c.c.Deleted == 0)
            )
        )
        .where(w.c.Deleted == 0, or_(w.c.CompanyID.is_(None), c.c.CompanyID.is_not(None)))
        .order_by(w.c.CreatedAt.desc(), w.c.PostID.desc())
        .limit(limit)
    )
    if by_company:
        q = q.where(w.c.CompanyID == bindparam("company_id", type_=w.c.CompanyID.type))
    if by_person:
        q = q.where(w.c.PersonID == bindparam("person_id", type_=w.c.PersonID.type))
    return q


@functools.cache
def _company_statement() -> Select:
    """``SqlCompanyQueries.company``'s statement, built once (bind parameter: company_id). Whether
    the company has customer / supplier ledger entries comes along (the card's tab bar needs it)."""
    co = tblCompany
    base, user_cols = with_owner_and_audit(co)
    joined, addr_cols = with_addresses(base, "CompanyID", co.c.CompanyID)
    return (
        select(
            co.c.CompanyID,
            co.c.CustomerNo,
            co.c.SupplierNo,
            co.c.Name,
            co.c.NickName,
            co.c.OrgNo,
            co.c.VatNo,
            co.c.CompanyKind,
            co.c.IsCustomer,
            co.c.IsSupplier,
            co.c.Phone,
            co.c.Fax,
            co.c.Email,
            co.c.Web,
            co.c.Notes,
            co.c.Country,
            co.c.Currency,
            co.c.PaymentDays,
            co.c.InvoiceMethod,
            co.c.InvoiceEmail,
            co.c.DiscountPct,
            co.c.CreditLimit,
            co.c.LanguageCode,
            co.c.CreatedAt.label("created_at"),
            co.c.ChangedAt.label("changed_at"),
            co.c.ChangeNo.label("change_no"),
            *user_cols,
            *addr_cols,
            has_ledger(CUSTOMER_LEDGER).label("has_customer_ledger"),
            has_ledger(SUPPLIER_LEDGER).label("has_supplier_ledger"),
        )
        .select_from(joined)
        .where(co.c.CompanyID == bindparam("company_id", type_=co.c.CompanyID.type), co.c.Deleted == 0)
    )


@functools.cache
def _contacts_statement() -> Select:
    """``SqlCompanyQueries.contacts``'s statement, built once (bind parameter: company_id)."""
    cp, p = tblCompanyPerson, tblPerson
    return (
        select(
            p.c.PersonID,
            p.c.FirstName,
            p.c.LastName,
            p.c.JobTitle,
            p.c.Phone,
            p.c.Mobile,
            p.c.Email,
            cp.c.Role,
            cp.c.IsMain,
        )
        .select_from(cp.join(p, p.c.PersonID == cp.c.PersonID))
        .where(cp.c.CompanyID == bindparam("company_id"), cp.c.Deleted == 0, p.c.Deleted == 0)
    )


@functools.cache
def _projects_statement() -> Select:
    """``SqlCompanyQueries.projects``'s statement, built once (bind parameter: company_id)."""
    pr = tblProject
    manager = tblUser.alias("manager")
    return (
        select(
            pr.c.ProjectID,
            pr.c.ProjectNo,
            pr.c.Name,
            pr.c.Status,
            pr.c.StartDate,
            pr.c.EndDate,
            pr.c.Budget,
            *user_columns(manager, "manager"),
        )
        .select_from(pr.outerjoin(manager, manager.c.UserID == pr.c.ManagerUserID))
        .where(pr.c.CompanyID == bindparam("company_id"), pr.c.Deleted == 0)
    )


@functools.cache
def _opportunities_statement() -> Select:
    """``SqlCompanyQueries.opportunities``'s statement, built once (bind parameter: company_id)."""
    so = tblSalesOpp
    owner = tblUser.alias("owner")
    p = tblPerson.alias("p")
    return (
        select(
            so.c.OppID,
            so.c.Title,
            so.c.Stage,
            so.c.Amount,
            so.c.Currency,
            so.c.Probability,
            so.c.CloseDate,
            p.c.PersonID,
            p.c.FirstName,
            p.c.LastName,
            *user_columns(owner, "owner"),
        )
        .select_from(
            so.outerjoin(owner, owner.c.UserID == so.c.OwnerUserID).outerjoin(
                p, and_(p.c.PersonID == so.c.PersonID, p.c.Deleted == 0)
            )
        )
        .where(so.c.CompanyID == bindparam("company_id"), so.c.Deleted == 0)
    )


@functools.cache
def _categories_statement() -> Select:
    """``SqlCompanyQueries.categories``'s statement, built once (bind parameter: company_id)."""
    k, cc = tblCategory, tblCompanyCategory
    return select(k.c.CategoryID, k.c.ParentID, k.c.Name, k.c.Deleted, cc.c.CompanyID).select_from(
        k.outerjoin(cc, and_(cc.c.CategoryID == k.c.CategoryID, cc.c.CompanyID == bindparam("company_id")))
    )


# --- the adapter -----------------------------------------------------------------------------


class SqlCompanyQueries:
    """``facade.companies.CompanyQueries`` over the classic database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def company(self, company_id: int) -> Company | None:
        """The live company, its owner, audit users and addresses in one query; None when unknown
        or soft-deleted."""
        with classic_connection(self.engine) as conn:
            r = conn.execute(_company_statement(), {"company_id": company_id}).first()
        if r is None:
            return None
        country = text_or_none(r.Country)
        return Company(
            company_id=r.CompanyID,
            name=(r.Name or "").strip(),
            nick_name=text_or_none(r.NickName),
            customer_no=r.CustomerNo,
            supplier_no=r.SupplierNo,
            org_no=text_or_none(r.OrgNo),
            vat_no=text_or_none(r.VatNo),
            company_kind=int(r.CompanyKind or 1),
            is_customer=bool(r.IsCustomer),
            is_supplier=bool(r.IsSupplier),
            phone=text_or_none(r.Phone),
            fax=text_or_none(r.Fax),
            email=text_or_none(r.Email),
            web=text_or_none(r.Web),
            notes=r.Notes if r.Notes and r.Notes.strip() else None,
            owner=user_ref(r, "owner"),
            country=country.upper() if country else None,
            currency=text_or_none(r.Currency),
            payment_days=r.PaymentDays,
            invoice_method=r.InvoiceMethod,
            invoice_email=text_or_none(r.InvoiceEmail),
            discount_pct=None if r.DiscountPct is None else Decimal(str(r.DiscountPct)),
            credit_limit=money_or_none(r.CreditLimit),
            language_code=text_or_none(r.LanguageCode),
            addresses=addresses_of(r),
            audit=audit_of(r),
            ledgers=ledgers_of(r.IsCustomer, r.IsSupplier, r.has_customer_ledger, r.has_supplier_ledger),
        )

    def contacts(self, company_id: int) -> list[CompanyContact]:
        """Live persons (``tblPerson.Deleted = 0``) on live links (``tblCompanyPerson.Deleted = 0``)."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_contacts_statement(), {"company_id": company_id}).all()
        return [
            CompanyContact(
                person_id=r.PersonID,
                name=person_name(r.FirstName, r.LastName),
                first_name=text_or_none(r.FirstName),
                last_name=text_or_none(r.LastName),
                role=text_or_none(r.Role),
                job_title=text_or_none(r.JobTitle),
                phone=text_or_none(r.Phone),
                mobile=text_or_none(r.Mobile),
                email=text_or_none(r.Email),
                is_main=bool(r.IsMain),
            )
            for r in rows
        ]

    def activities(
        self, *, company_id: int | None = None, person_id: int | None = None, now_local: datetime, limit: int
    ) -> Listing[Activity]:
        """See ``activity_listing``."""
        with classic_connection(self.engine) as conn:
            return activity_listing(
                conn, company_id=company_id, person_id=person_id, now_local=now_local, limit=limit
            )

    def wall(
        self, *, company_id: int | None = None, person_id: int | None = None, limit: int
    ) -> Listing[WallPost]:
        """See ``wall_listing``."""
        with classic_connection(self.engine) as conn:
            return wall_listing(conn, company_id=company_id, person_id=person_id, limit=limit)

    def projects(self, company_id: int) -> list[Project]:
        """Live projects (``tblProject.Deleted = 0``) with their manager."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_projects_statement(), {"company_id": company_id}).all()
        return [
            Project(
                r.ProjectID,
                int(r.ProjectNo),
                (r.Name or "").strip(),
                int(r.Status),
                user_ref(r, "manager"),
                r.StartDate,
                r.EndDate,
                money_or_none(r.Budget),
            )
            for r in rows
        ]

    def opportunities(self, company_id: int) -> list[Opportunity]:
        """Live sales opportunities (``tblSalesOpp.Deleted = 0``) with owner and live contact person."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_opportunities_statement(), {"company_id": company_id}).all()
        return [
            Opportunity(
                opp_id=r.OppID,
                title=(r.Title or "").strip(),
                stage=int(r.Stage),
                amount=money_or_none(r.Amount) or Decimal("0.00"),
                currency=(r.Currency or "").strip().upper(),
                probability=None if r.Probability is None else int(r.Probability),
                close_date=r.CloseDate,
                owner=user_ref(r, "owner"),
                person_id=r.PersonID,
                person_name=person_name(r.FirstName, r.LastName) if r.PersonID is not None else None,
            )
            for r in rows
        ]

    def categories(self, company_id: int) -> list[CategoryNode]:
        """Every ``tblCategory`` row (a small, global table) with ``member`` for the company's
        ``tblCompanyCategory`` rows: paths of any depth in one query."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_categories_statement(), {"company_id": company_id}).all()
        return [
            CategoryNode(r.CategoryID, r.ParentID, r.Name or "", bool(r.Deleted), r.CompanyID is not None)
            for r in rows
        ]
