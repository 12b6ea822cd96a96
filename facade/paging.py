"""Paging and sorting of the card tabs' lists: a whitelisted sort key, a page size, a total order.

Every list is ordered by its sort key and then by the row's id (``CompanyID``, ``EmailID``, …), so
the order is total: walking the pages with any page size shows every row exactly once.
Parsing user input (query strings) happens here so that pages and the JSON API agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from .errors import InvalidInput
from .i18n import N_

T = TypeVar("T")

PER_PAGE_DEFAULT = 25
PER_PAGE_CHOICES = (10, 25, 50, 100)
PER_PAGE_MAX = 200


@dataclass(frozen=True)
class SortOption:
    """A sort key a list allows; ``descending`` is its natural first direction (dates: newest first)."""

    key: str
    label: str
    descending: bool = False


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: 1-based ``page``, ``per_page`` rows, sort ``key`` and direction."""

    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    sort: str = ""
    descending: bool = False

    @property
    def offset(self) -> int:
        """Rows to skip (0-based)."""
        return (self.page - 1) * self.per_page

    def with_page(self, page: int) -> PageRequest:
        """The same request for another page."""
        return PageRequest(page, self.per_page, self.sort, self.descending)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``items`` in order, ``total`` rows in the whole (filtered) list."""

    items: tuple[T, ...]
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, also for an empty list)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row on this page (0 when the page is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last row on this page (0 when the page is empty)."""
        return self.first_index + len(self.items) - 1 if self.items else 0


def _int(value: object, field: str, default: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(N_("Not a whole number."), fields={field: N_("Not a whole number.")}) from None


def parse_page_request(
    args: Mapping[str, str],
    options: Sequence[SortOption],
    default_sort: str,
) -> PageRequest:
    """A PageRequest from query-string values ``page``, ``per_page``, ``sort``, ``dir`` (asc/desc).

    ``sort`` must be one of ``options`` (else InvalidInput); an absent ``dir`` takes the option's
    natural direction; ``per_page`` is clamped to 1..200, ``page`` to at least 1.
    """
    keys = {o.key: o for o in options}
    sort = (args.get("sort") or "").strip() or default_sort
    if sort not in keys:
        raise InvalidInput(N_("Unknown sort order."), fields={"sort": N_("Unknown sort order.")})
    direction = (args.get("dir") or "").strip().lower()
    if direction not in ("", "asc", "desc"):
        raise InvalidInput(N_("Unknown sort direction."), fields={"dir": N_("Unknown sort direction.")})
    descending = keys[sort].descending if direction == "" else direction == "desc"
    page = max(1, _int(args.get("page"), "page", 1))
    per_page = min(PER_PAGE_MAX, max(1, _int(args.get("per_page"), "per_page", PER_PAGE_DEFAULT)))
    return PageRequest(page, per_page, sort, descending)


def parse_date(value: str | None, field: str) -> date | None:
    """An ISO date ``YYYY-MM-DD`` from user input; blank → None; anything else → InvalidInput."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Enter a date as YYYY-MM-DD."), fields={field: N_("Enter a date as YYYY-MM-DD.")}) from None


def check_period(first: date | None, last: date | None) -> None:
    """Raise InvalidInput when the period's first day is after its last day."""
    if first and last and first > last:
        raise InvalidInput(N_("The period ends before it starts."),
                           fields={"to": N_("The period ends before it starts.")})


def clamp(req: PageRequest, total: int) -> PageRequest:
    """``req`` moved to the last page when it points past the end of a list of ``total`` rows."""
    last = max(1, -(-total // req.per_page))
    return req if req.page <= last else req.with_page(last)
