"""The start page's reads (``DashboardQueries``), one SQL query per method.

Classic tables: ``tblActivity``, ``tblActivityUser`` (meetings, tasks), ``tblCompany``,
``tblAddress`` (newest companies; company of meetings/opportunities), ``tblOrder``, ``tblUser``
(sales per seller), ``tblSalesOpp`` (pipeline). Every read filters ``Deleted = 0`` on the rows
and on the joined company. Datetimes are the installation's local time, bound as naive values.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, Numeric, Select, and_, bindparam, case, func, literal, or_, select

from facade.dashboard import Meeting, NewCompany, OpenOpportunity, SellerSales, Task
from facade.model import round_money

from .engine import classic_connection
from .tables import tblActivity, tblActivityUser, tblAddress, tblCompany, tblOrder, tblSalesOpp, tblUser

APPOINTMENT = 2
TASK = 1
POSTAL = 1
VISITING = 2
SALE_DOC_TYPES = ("I", "C")  # invoice, credit note
SALE_STATUSES = (2, 3)  # invoiced, sent
OPEN_STAGES = (1, 2, 3, 4)  # lead, qualified, proposal, negotiation

# SQLite hands SUM() back as a float: read it through Numeric so it arrives as a Decimal, then
# round_money() it (the float sum of 2-decimal amounts is within far less than a cent).
_SUM = Numeric(19, 4, asdecimal=True)


def _text(value: str | None) -> str | None:
    """Trimmed text; blank and NULL both mean "no value" (kit conventions)."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _money(value) -> Decimal:
    return round_money(Decimal(value if value is not None else 0))


@functools.cache
def _meetings_statement() -> Select:
    """``meetings``' statement, built once (bind parameters: user_id, start, end)."""
    a, c = tblActivity, tblCompany
    owner = tblUser.alias("owner")
    # The user's own appointments that start before ``end`` (IX_tblActivity_Owner_Start) and
    # those the user takes part in (IX_tblActivityUser_UserID): two index lookups, where an
    # OR of both made PostgreSQL scan every appointment (232 ms → 1.3 ms at kit scale 1000).
    own = tblActivity.alias("own")  # an alias: the same table as the outer query is not correlated
    user_id = bindparam("user_id", type_=a.c.OwnerUserID.type)
    start = bindparam("start", type_=a.c.StartAt.type)
    end = bindparam("end", type_=a.c.StartAt.type)
    mine = (
        select(own.c.ActivityID)
        .where(own.c.OwnerUserID == user_id, own.c.StartAt < end)
        .union(select(tblActivityUser.c.ActivityID).where(tblActivityUser.c.UserID == user_id))
    )
    return (
        select(
            a.c.ActivityID, a.c.Subject, a.c.StartAt, a.c.EndAt, a.c.Location, a.c.CompanyID,
            c.c.Name.label("CompanyName"), a.c.OwnerUserID, owner.c.FullName.label("OwnerName"),
        )
        .select_from(
            a.outerjoin(c, c.c.CompanyID == a.c.CompanyID).outerjoin(owner, owner.c.UserID == a.c.OwnerUserID)
        )
        .where(
            a.c.ActType == APPOINTMENT,
            a.c.Deleted == 0,
            a.c.StartAt < end,
            a.c.EndAt > start,
            or_(a.c.CompanyID.is_(None), c.c.Deleted == 0),
            a.c.ActivityID.in_(mine),
        )
        .order_by(a.c.StartAt, a.c.ActivityID)
    )


class SqlDashboardQueries:
    """``facade.dashboard.DashboardQueries`` over the classic database (SQLAlchemy Core)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def meetings(self, user_id: int, start: datetime, end: datetime) -> list[Meeting]:
        """Appointments overlapping [start, end) of owner or participant ``user_id``
        (``tblActivity`` + ``tblActivityUser``), with company and organiser names."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_meetings_statement(), {"user_id": user_id, "start": start, "end": end}).all()
        return [
            Meeting(
                activity_id=r.ActivityID,
                subject=_text(r.Subject) or "",
                start_at=r.StartAt,
                end_at=r.EndAt,
                location=_text(r.Location),
                company_id=r.CompanyID,
                company_name=_text(r.CompanyName) if r.CompanyID is not None else None,
                owner_user_id=r.OwnerUserID,
                owner_name=_text(r.OwnerName),
                is_owner=r.OwnerUserID == user_id,
            )
            for r in rows
        ]

    def open_tasks(self, user_id: int, due_before: datetime, limit: int) -> list[Task]:
        """The ``limit`` latest open tasks of owner ``user_id`` due before ``due_before``
        (``tblActivity``), newest first."""
        a, c = tblActivity, tblCompany
        q = (
            select(a.c.ActivityID, a.c.Subject, a.c.DueAt, a.c.Priority, a.c.CompanyID, c.c.Name.label("CompanyName"))
            .select_from(a.outerjoin(c, c.c.CompanyID == a.c.CompanyID))
            .where(
                a.c.ActType == TASK,
                a.c.Deleted == 0,
                a.c.Done == 0,
                a.c.OwnerUserID == user_id,
                a.c.DueAt < due_before,
                or_(a.c.CompanyID.is_(None), c.c.Deleted == 0),
            )
            .order_by(a.c.DueAt.desc(), a.c.ActivityID.desc())
            .limit(limit)
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [
            Task(
                activity_id=r.ActivityID,
                subject=_text(r.Subject) or "",
                due_at=r.DueAt,
                priority=r.Priority,
                company_id=r.CompanyID,
                company_name=_text(r.CompanyName) if r.CompanyID is not None else None,
            )
            for r in rows
        ]

    def newest_companies(self, limit: int) -> list[NewCompany]:
        """The newest ``limit`` live companies (``tblCompany``) with the city of their postal
        address, else of their visiting address (``tblAddress``)."""
        c = tblCompany
        newest = (
            select(c.c.CompanyID, c.c.Name, c.c.CustomerNo, c.c.CreatedAt)
            .where(c.c.Deleted == 0)
            .order_by(c.c.CreatedAt.desc(), c.c.CompanyID.desc())
            .limit(limit)
            .subquery("newest")
        )
        postal = tblAddress.alias("postal")
        visiting = tblAddress.alias("visiting")
        q = (
            select(newest, postal.c.City.label("PostalCity"), visiting.c.City.label("VisitingCity"))
            .select_from(
                newest.outerjoin(postal, and_(postal.c.CompanyID == newest.c.CompanyID, postal.c.AddrType == POSTAL))
                .outerjoin(visiting, and_(visiting.c.CompanyID == newest.c.CompanyID,
                                          visiting.c.AddrType == VISITING))
            )
            .order_by(newest.c.CreatedAt.desc(), newest.c.CompanyID.desc())
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        out: list[NewCompany] = []
        seen: set[int] = set()
        for r in rows:
            if r.CompanyID in seen:  # "at most one address per type" is a kit fact; never show twice
                continue
            seen.add(r.CompanyID)
            out.append(NewCompany(
                company_id=r.CompanyID,
                name=_text(r.Name) or "",
                city=_text(r.PostalCity) or _text(r.VisitingCity),
                customer_no=r.CustomerNo,
                created_at=r.CreatedAt,
            ))
        return out

    def sales_by_seller(self, first: date, last: date, month_first: date, month_last: date) -> list[SellerSales]:
        """Σ round(NetAmount × ExchangeRate, 2) per ``SalesUserID`` of the sales (``tblOrder``
        I/C in status 2/3) dated in [first, last], and of those in [month_first, month_last];
        seller names and ``Active`` from ``tblUser``."""
        o, u = tblOrder, tblUser
        amount = func.round(o.c.NetAmount * o.c.ExchangeRate, 2)
        in_month = and_(o.c.InvoiceDate >= month_first, o.c.InvoiceDate <= month_last)
        q = (
            select(
                o.c.SalesUserID,
                u.c.FullName,
                u.c.Active,
                func.sum(amount, type_=_SUM).label("Total"),
                func.sum(case((in_month, amount), else_=literal(0)), type_=_SUM).label("MonthTotal"),
                func.count().label("Count"),
            )
            .select_from(o.outerjoin(u, u.c.UserID == o.c.SalesUserID))
            .where(
                o.c.DocType.in_(SALE_DOC_TYPES),
                o.c.Status.in_(SALE_STATUSES),
                o.c.Deleted == 0,
                o.c.InvoiceDate >= first,
                o.c.InvoiceDate <= last,
            )
            .group_by(o.c.SalesUserID, u.c.FullName, u.c.Active)
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [
            SellerSales(
                user_id=r.SalesUserID,
                full_name=_text(r.FullName),
                active=bool(r.Active) if r.SalesUserID is not None else True,
                total=_money(r.Total),
                month_total=_money(r.MonthTotal),
                count=int(r.Count),
            )
            for r in rows
        ]

    def open_opportunities(self, owner_user_id: int, first: date, last: date) -> list[OpenOpportunity]:
        """Open opportunities (``tblSalesOpp`` stage 1–4) of a live company (``tblCompany``)
        owned by ``owner_user_id`` with ``CloseDate`` in [first, last]."""
        s, c = tblSalesOpp, tblCompany
        q = (
            select(s.c.OppID, s.c.Amount, s.c.Currency, s.c.Probability, s.c.CloseDate, s.c.Stage)
            .select_from(s.join(c, c.c.CompanyID == s.c.CompanyID))
            .where(
                s.c.OwnerUserID == owner_user_id,
                s.c.Stage.in_(OPEN_STAGES),
                s.c.Deleted == 0,
                c.c.Deleted == 0,
                s.c.CloseDate >= first,
                s.c.CloseDate <= last,
            )
            .order_by(s.c.CloseDate, s.c.OppID)
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [
            OpenOpportunity(
                opp_id=r.OppID,
                amount=Decimal(r.Amount if r.Amount is not None else 0),
                currency=_text(r.Currency),
                probability=r.Probability,
                close_date=r.CloseDate,
                stage=r.Stage,
            )
            for r in rows
        ]
