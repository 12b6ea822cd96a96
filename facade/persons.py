"""The contact (person) card: the person, the companies it belongs to, its activities and wall.

Source tables: ``tblPerson`` (+ ``tblAddress`` by ``AddrType`` with ``PersonID``, ``tblUser`` for
owner and audit), ``tblCompanyPerson`` ⨝ ``tblCompany``, ``tblActivity`` and ``tblWallPost``
(``PersonID``); ``tblSetting`` through ``Installation``.

Soft-deleted rows are hidden (a person with ``Deleted = 1`` is NotFound; only live links to live
companies are listed; activities and wall posts of a soft-deleted company are hidden with it).
Persons have no projects, sales opportunities or categories on their card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .auth import require
from .companies import (
    CARD_LIST_LIMIT,
    Activity,
    Address,
    Audit,
    Listing,
    UserRef,
    WallPost,
    with_states,
)
from .errors import NotFound
from .i18n import N_
from .model import CRM_READ, User
from .periods import local_now
from .ports import Clock, InstallationRepository
from .recent import RecentViews, record_view
from .text import swedish_sort_key

PERSON_NOT_FOUND = N_("This contact does not exist or has been deleted.")


@dataclass(frozen=True)
class Person:
    """A live ``tblPerson`` row; ``name`` is ``First Last`` trimmed (may be empty)."""

    person_id: int
    name: str
    first_name: str | None
    last_name: str | None
    job_title: str | None
    phone: str | None
    mobile: str | None
    email: str | None
    notes: str | None
    owner: UserRef | None
    addresses: tuple[Address, ...]
    audit: Audit


@dataclass(frozen=True)
class PersonCompany:
    """A live company the person is linked to (live ``tblCompanyPerson``); ``kind`` as
    ``facade.companies.KIND_LABELS``."""

    company_id: int
    name: str
    kind: str
    customer_no: int | None
    role: str | None
    is_main: bool


@dataclass(frozen=True)
class PersonCard:
    """Everything the contact card's overview shows; ``classic_url`` opens ``person.aspx``."""

    person: Person
    companies: tuple[PersonCompany, ...]
    activities: Listing[Activity]
    wall: Listing[WallPost]
    classic_url: str | None
    now: datetime


class PersonQueries(Protocol):
    """Reads of the contact card (one SQL query each). Raise ClassicUnavailable."""

    def person(self, person_id: int) -> Person | None:
        """The live person with owner, audit users and addresses, or None (unknown/deleted)."""

    def companies(self, person_id: int) -> list[PersonCompany]:
        """Live companies on live links of the person (any order)."""

    def activities(self, *, person_id: int, now_local: datetime, limit: int) -> Listing[Activity]:
        """Live activities of the person (see ``CompanyQueries.activities``)."""

    def wall(self, *, person_id: int, limit: int) -> Listing[WallPost]:
        """Live wall posts of the person, newest first."""


def get_person_card(
    person_id: int, user: User, *, persons: PersonQueries, installation: InstallationRepository, clock: Clock
) -> PersonCard:
    """The contact card's overview of ``tblPerson.PersonID`` (no recent view recorded).

    Needs CRM_READ (Forbidden). Raises NotFound for an unknown or soft-deleted person and
    ClassicUnavailable. Companies: main-contact links first, then Swedish name order.
    """
    require(user, CRM_READ)
    inst = installation.get()
    now = local_now(clock, inst.time_zone)
    person = persons.person(person_id)
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    companies = sorted(
        persons.companies(person_id), key=lambda c: (not c.is_main, swedish_sort_key(c.name), c.company_id)
    )
    activities = with_states(
        persons.activities(person_id=person_id, now_local=now, limit=CARD_LIST_LIMIT), now
    )
    wall = persons.wall(person_id=person_id, limit=CARD_LIST_LIMIT)
    return PersonCard(
        person=person,
        companies=tuple(companies),
        activities=activities,
        wall=wall,
        classic_url=inst.classic_link("person", person_id),
        now=now,
    )


def open_person_card(
    person_id: int,
    user: User,
    *,
    persons: PersonQueries,
    recent: RecentViews,
    installation: InstallationRepository,
    clock: Clock,
) -> PersonCard:
    """Open the contact card: ``get_person_card`` and record the view (kind ``person``)."""
    card = get_person_card(person_id, user, persons=persons, installation=installation, clock=clock)
    record_view(user, "person", person_id, recent=recent, clock=clock)
    return card
