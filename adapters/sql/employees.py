"""Reads of the employee card (SQLAlchemy Core, one query per method).

Classic tables: ``tblUser`` (never ``PwdSalt``/``PwdHash``), ``tblCompany`` (``OwnerUserID``),
``tblActivity`` and ``tblActivityUser`` (participants), ``tblPerson``. Rows of soft-deleted
companies are hidden.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, case, exists, or_, select

from facade.companies import ACT_APPOINTMENT, ACT_TASK, Activity, Listing, company_kind
from facade.employees import Employee, OwnedCompany
from facade.text import swedish_sort_key

from .companies import activity_rows, text_or_none
from .engine import classic_connection
from .tables import tblActivity, tblActivityUser, tblCompany, tblUser


class SqlEmployeeQueries:
    """``facade.employees.EmployeeQueries`` over the classic database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def employee(self, user_id: int) -> Employee | None:
        """The ``tblUser`` row (password columns never read), or None."""
        u = tblUser
        q = select(
            u.c.UserID, u.c.FullName, u.c.Title, u.c.Initials, u.c.Email, u.c.Phone, u.c.Active, u.c.CreatedAt
        ).where(u.c.UserID == user_id)
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return Employee(
            r.UserID,
            (r.FullName or "").strip(),
            text_or_none(r.Title),
            text_or_none(r.Initials),
            text_or_none(r.Email),
            text_or_none(r.Phone),
            bool(r.Active),
            r.CreatedAt,
        )

    def owned_companies(self, user_id: int, limit: int) -> Listing[OwnedCompany]:
        """Live companies owned by the user: the first ``limit`` in Swedish name order, of all.

        Sorted here, not in SQL, because the engines' collations disagree on Å Ä Ö; only the
        light columns of the owned companies are read.
        """
        c = tblCompany
        q = select(
            c.c.CompanyID, c.c.Name, c.c.CompanyKind, c.c.IsCustomer, c.c.IsSupplier, c.c.CustomerNo
        ).where(c.c.OwnerUserID == user_id, c.c.Deleted == 0)
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        rows.sort(key=lambda r: (swedish_sort_key(r.Name), r.CompanyID))
        items = tuple(
            OwnedCompany(
                r.CompanyID,
                (r.Name or "").strip(),
                company_kind(r.CompanyKind, bool(r.IsCustomer), bool(r.IsSupplier)),
                r.CustomerNo,
            )
            for r in rows[:limit]
        )
        return Listing(items, len(rows))

    def _activities(self, where: list, order_by: list, limit: int) -> Listing[Activity]:
        with classic_connection(self.engine) as conn:
            return activity_rows(conn, where, order_by, limit)

    def appointments(self, user_id: int, now_local: datetime, limit: int) -> Listing[Activity]:
        """Live appointments (``ActType`` 2) the user owns or takes part in (``tblActivityUser``)
        that have not ended at ``now_local`` (local time), soonest first."""
        a, au = tblActivity, tblActivityUser
        takes_part = exists().where(au.c.ActivityID == a.c.ActivityID, au.c.UserID == user_id)
        return self._activities(
            [
                a.c.ActType == ACT_APPOINTMENT,
                or_(a.c.OwnerUserID == user_id, takes_part),
                or_(a.c.StartAt >= now_local, a.c.EndAt > now_local),
            ],
            [a.c.StartAt],
            limit,
        )

    def open_tasks(self, user_id: int, limit: int) -> Listing[Activity]:
        """Live tasks (``ActType`` 1) the user owns with ``Done = 0``, earliest due first (none last)."""
        a = tblActivity
        return self._activities(
            [a.c.ActType == ACT_TASK, a.c.OwnerUserID == user_id, a.c.Done == 0],
            [case((a.c.DueAt.is_(None), 1), else_=0), a.c.DueAt],
            limit,
        )
