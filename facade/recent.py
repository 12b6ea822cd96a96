"""Recently viewed records: the company, contact and employee cards a user opened, newest first.

Kept in CRM Lite's own store (table ``recent_view``: user, kind, id, time, ``seq``), never in
the classic database, so the list survives reload, sign-out and restart. A repeat view moves
the record to the top (no duplicates); only the newest ``KEEP`` per user are kept. Reading the
list looks the records up in classic (``tblCompany``, ``tblPerson``, ``tblUser``) for their
names and leaves out records soft-deleted since (``Deleted = 1``) or gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from .auth import require
from .errors import InvalidInput
from .i18n import N_
from .model import CRM_READ, User
from .ports import Clock, InstallationRepository

#: How many views are kept (and listed) per user.
KEEP = 20

#: Kinds of record a view is about (``recent_view.kind``).
KINDS = ("company", "person", "employee")

#: What the list calls a record (``RecentItem.label``).
LABELS = {
    "company": N_("Company"),
    "supplier": N_("Supplier"),
    "private_customer": N_("Private customer"),
    "contact": N_("Contact"),
    "employee": N_("Employee"),
}


def company_label(kind: str) -> str:
    """The list label of a company of kind ``kind`` (``facade.companies.company_kind``): a pure
    supplier is ``supplier``, a private customer ``private_customer``, anything else ``company``."""
    return kind if kind in ("supplier", "private_customer") else "company"


@dataclass(frozen=True)
class RecentEntry:
    """A stored view of a record that still exists: ``kind`` in ``KINDS``; ``label`` a key of
    ``LABELS``; ``viewed_utc`` aware UTC."""

    kind: str
    record_id: int
    name: str
    label: str
    viewed_utc: datetime


@dataclass(frozen=True)
class RecentItem:
    """One line of the recently viewed list; ``viewed_at`` is the installation's local time (naive)."""

    kind: str
    record_id: int
    name: str
    label: str
    viewed_at: datetime


class RecentViews(Protocol):
    """The recently viewed store (CRM Lite's ``recent_view``) plus the classic lookup of names."""

    def record(self, user_id: int, kind: str, record_id: int, at_utc: datetime, keep: int) -> None:
        """Upsert the view (a repeat moves it to the top) and keep the user's newest ``keep``."""

    def latest(self, user_id: int, limit: int) -> list[RecentEntry]:
        """The user's newest ``limit`` views, newest first, without records deleted since
        (one classic query for all kinds). Raises ClassicUnavailable."""


def record_view(user: User, kind: str, record_id: int, *, recent: RecentViews, clock: Clock) -> None:
    """Remember that ``user`` opened the card of ``kind`` ``record_id`` now (Clock, UTC).

    Raises InvalidInput for an unknown kind.
    """
    if kind not in KINDS:
        raise InvalidInput(N_("Unknown kind of record."), fields={"kind": kind})
    recent.record(user.user_id, kind, int(record_id), clock.now_utc(), KEEP)


def recently_viewed(
    user: User, *, recent: RecentViews, installation: InstallationRepository, limit: int = KEEP
) -> tuple[RecentItem, ...]:
    """The records ``user`` viewed last, newest first (at most ``limit``, ``KEEP`` at most),
    without records soft-deleted since; times in the installation's local time.

    Needs CRM_READ (Forbidden). Raises ClassicUnavailable.
    """
    require(user, CRM_READ)
    entries = recent.latest(user.user_id, max(0, min(limit, KEEP)))
    if not entries:
        return ()
    zone = ZoneInfo(installation.get().time_zone)
    return tuple(
        RecentItem(e.kind, e.record_id, e.name, e.label, e.viewed_utc.astimezone(zone).replace(tzinfo=None))
        for e in entries
    )
