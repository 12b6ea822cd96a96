"""The call-log tab: incoming and outgoing calls of a company (and of its contacts) or a contact.

Source: ``tblCall`` (``Direction`` I/O, ``Number`` as the exchange reported it or NULL for a hidden
number, ``UserID`` → ``tblUser``, ``StartedAt`` local time, ``DurationSec``, ``Answered``), which has
no soft delete. Which calls:

* company card: calls with its ``CompanyID``, and calls of its contacts (live persons on a live
  link) unless they name another company that is soft-deleted;
* contact card: calls with its ``PersonID`` unless they name a soft-deleted company.

The period filter is a range of local calendar days ``[from 00:00, to + 1 day 00:00)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from .errors import InvalidInput
from .i18n import N_
from .model import User
from .paging import Page, PageRequest, SortOption, check_period, parse_date
from .tabs import Card, CardHeaderQueries, CardOwner, open_card

CALL_SORTS = (
    SortOption("time", N_("Time"), descending=True),
    SortOption("duration", N_("Duration"), descending=True),
    SortOption("direction", N_("Direction")),
    SortOption("user", N_("User")),
)
CALL_DEFAULT_SORT = "time"
DIRECTIONS = ("I", "O")


@dataclass(frozen=True)
class CallFilter:
    """``direction`` ``I``/``O`` (None: both); ``first``/``last`` local days, inclusive (None: open)."""

    direction: str | None = None
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class CallRow:
    """A call. ``number`` raw as reported (None: hidden number); ``duration_sec`` may be None."""

    call_id: int
    started_at: datetime
    direction: str
    number: str | None
    extension: str | None
    user_name: str | None
    person_id: int | None
    person_name: str | None
    duration_sec: int | None
    answered: bool


@dataclass(frozen=True)
class CallsTab:
    card: Card
    filter: CallFilter
    page: Page[CallRow]


class CallQueries(Protocol):
    def list_calls(self, owner: CardOwner, flt: CallFilter, req: PageRequest) -> Page[CallRow]:
        """One page of the owner's calls (module docstring) matching ``flt``.

        Sort keys: ``time`` (``StartedAt``), ``duration`` (unknown last), ``direction``, ``user``;
        ties broken by ``CallID``. Raises ClassicUnavailable.
        """


def parse_call_filter(direction: str | None, first: str | None, last: str | None) -> CallFilter:
    """A CallFilter from user input (``I``/``O``/blank, ISO dates). Raises InvalidInput."""
    d = (direction or "").strip().upper() or None
    if d is not None and d not in DIRECTIONS:
        raise InvalidInput(N_("Unknown direction."), fields={"direction": N_("Unknown direction.")})
    f, to = parse_date(first, "from"), parse_date(last, "to")
    check_period(f, to)
    return CallFilter(d, f, to)


def calls_tab(user: User, owner: CardOwner, flt: CallFilter, req: PageRequest, *, calls: CallQueries,
              headers: CardHeaderQueries) -> CallsTab:
    """The call-log tab of a company or contact card. Needs CRM_READ.

    Raises Forbidden, NotFound (unknown or soft-deleted owner), ClassicUnavailable.
    """
    card = open_card(user, owner, "calls", headers=headers)
    return CallsTab(card, flt, calls.list_calls(owner, flt, req))
