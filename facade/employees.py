"""The employee card: a classic user (``tblUser``), the companies they own, their coming
appointments and open tasks.

Source tables: ``tblUser`` (never ``PwdSalt``/``PwdHash``), ``tblCompany`` (``OwnerUserID``),
``tblActivity`` (``OwnerUserID``) and ``tblActivityUser`` (participants). Inactive users
(``Active = 0``) have a card too: they still own old records. Rows of soft-deleted companies
are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .auth import require
from .companies import CARD_LIST_LIMIT, Activity, Listing, with_states
from .errors import NotFound
from .i18n import N_
from .model import CRM_READ, User
from .periods import local_now
from .ports import Clock, InstallationRepository
from .recent import RecentViews, record_view

EMPLOYEE_NOT_FOUND = N_("This employee does not exist.")


@dataclass(frozen=True)
class Employee:
    """A ``tblUser`` row without its password columns."""

    user_id: int
    full_name: str
    title: str | None
    initials: str | None
    email: str | None
    phone: str | None
    active: bool
    created_at: datetime | None


@dataclass(frozen=True)
class OwnedCompany:
    """A live company the employee owns; ``kind`` as ``facade.companies.KIND_LABELS``."""

    company_id: int
    name: str
    kind: str
    customer_no: int | None


@dataclass(frozen=True)
class EmployeeCard:
    """The employee, the first owned companies (Swedish name order) of all, the coming and
    running appointments (owner or participant, soonest first) and the open tasks (earliest
    due first)."""

    employee: Employee
    companies: Listing[OwnedCompany]
    appointments: Listing[Activity]
    open_tasks: Listing[Activity]
    now: datetime


class EmployeeQueries(Protocol):
    """Reads of the employee card (one SQL query each). Raise ClassicUnavailable."""

    def employee(self, user_id: int) -> Employee | None:
        """The user, or None when unknown."""

    def owned_companies(self, user_id: int, limit: int) -> Listing[OwnedCompany]:
        """Live companies with ``OwnerUserID = user_id``: the first ``limit`` in Swedish name order."""

    def appointments(self, user_id: int, now_local: datetime, limit: int) -> Listing[Activity]:
        """Live appointments the user owns or takes part in that end after ``now_local``."""

    def open_tasks(self, user_id: int, limit: int) -> Listing[Activity]:
        """Live tasks the user owns with ``Done = 0``, earliest due first."""


def get_employee_card(
    user_id: int,
    user: User,
    *,
    employees: EmployeeQueries,
    installation: InstallationRepository,
    clock: Clock,
) -> EmployeeCard:
    """The employee card of ``tblUser.UserID``. Needs CRM_READ (Forbidden); NotFound for an
    unknown user; ClassicUnavailable."""
    require(user, CRM_READ)
    inst = installation.get()
    now = local_now(clock, inst.time_zone)
    employee = employees.employee(user_id)
    if employee is None:
        raise NotFound(EMPLOYEE_NOT_FOUND)
    return EmployeeCard(
        employee=employee,
        companies=employees.owned_companies(user_id, CARD_LIST_LIMIT),
        appointments=with_states(employees.appointments(user_id, now, CARD_LIST_LIMIT), now),
        open_tasks=with_states(employees.open_tasks(user_id, CARD_LIST_LIMIT), now),
        now=now,
    )


def open_employee_card(
    user_id: int,
    user: User,
    *,
    employees: EmployeeQueries,
    recent: RecentViews,
    installation: InstallationRepository,
    clock: Clock,
) -> EmployeeCard:
    """Open the employee card: ``get_employee_card`` and record the view (kind ``employee``)."""
    card = get_employee_card(user_id, user, employees=employees, installation=installation, clock=clock)
    record_view(user, "employee", user_id, recent=recent, clock=clock)
    return card
