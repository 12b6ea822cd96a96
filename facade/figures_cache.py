"""Dashboard figures that are the same for every user, cached in CRM Lite's store.

The year's sales per seller (the top-10 sellers) and the whole company's sales this month are
the same for everyone, and summing a year of ``tblOrder`` costs 150–170 ms at a real
installation's size. So they are computed by the change feed's poller — when the feed reports a
change to ``tblOrder`` (a new invoice, a credit note, a status change, a soft delete) or
``tblUser`` (a seller's name or ``Active``), and at the latest every ``REFRESH_EVERY`` — and a
request only reads the stored result. A request computes them itself only when nothing is
stored yet for the current period (first start, a new month), once.

Periods are the installation's local calendar year and month (``tblSetting`` TimeZone via
``facade.periods``); the cache key holds their dates, so a new month is a new key. Per-user
figures (the user's own sales this month, meetings, tasks, pipeline) stay live
(``facade.dashboard.get_dashboard``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from . import periods
from .changes import ChangeSet
from .dashboard import DashboardQueries, SellerSales, seller_summary
from .ports import Clock

CACHE_NAME = "figures"
CACHE_TABLES: tuple[str, ...] = ("tblOrder", "tblUser")
#: The poller recomputes the figures at least this often, changes or not.
REFRESH_EVERY = timedelta(minutes=10)
#: A worker reuses what it read from the store for this long (the poller itself polls every 10 s).
MEMO_TTL = timedelta(seconds=5)


@dataclass(frozen=True)
class CachedSales:
    """``sales_by_seller`` rows of one period as computed at ``computed_utc``."""

    key: str
    rows: tuple[SellerSales, ...]
    computed_utc: datetime


class OwnSalesQueries(Protocol):
    """The live per-user sales figure (classic database)."""

    def sales_of_seller(self, user_id: int, first: date, last: date) -> Decimal:
        """Σ round(NetAmount × ExchangeRate, 2) of ``user_id``'s sales dated in [first, last]
        (``tblOrder``), base currency. Raises ClassicUnavailable."""


class FiguresStore(Protocol):
    """Where the cached figures are kept (CRM Lite's store)."""

    def get(self, key: str) -> CachedSales | None:
        """The figures stored under ``key``, or None."""

    def put(self, entry: CachedSales) -> None:
        """Store (replace) ``entry``."""


def sales_key(first: date, last: date, month_first: date, month_last: date) -> str:
    """The cache key of the sales of [first, last] with the month [month_first, month_last]."""
    return f"sales_by_seller:{first.isoformat()}:{last.isoformat()}:{month_first.isoformat()}:{month_last.isoformat()}"


class SharedFigures:
    """The shared dashboard figures from the cache; also the feed consumer that refreshes them.

    ``queries`` computes the shared figures, ``own`` the live per-user one. A worker keeps what it
    read from the store for ``memo_ttl`` (so a dashboard costs no store query most of the time).
    ``time_zone``: a callable giving the installation's time zone (``tblSetting`` TimeZone), read
    when the poller refreshes (the current period is computed from the ``clock`` in that zone).
    """

    name = CACHE_NAME
    tables = CACHE_TABLES
    auto_start = True  # the poller starts this consumer's cursor itself (no rebuild command)

    def __init__(self, store: FiguresStore, queries: DashboardQueries, own: OwnSalesQueries, clock: Clock,
                 time_zone: Callable[[], str], *, refresh_every: timedelta = REFRESH_EVERY,
                 memo_ttl: timedelta = MEMO_TTL) -> None:
        self.store = store
        self.queries = queries
        self.own = own
        self.clock = clock
        self.time_zone = time_zone
        self.refresh_every = refresh_every
        self.memo_ttl = memo_ttl
        self.computed_by_request = 0
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[CachedSales, datetime]] = {}
        self._summary: tuple[tuple, tuple[tuple[SellerSales, ...], Decimal]] | None = None

    # -- read side (requests) ---------------------------------------------------------------------

    def sales_by_seller(self, first: date, last: date, month_first: date, month_last: date) -> list[SellerSales]:
        """``DashboardQueries.sales_by_seller`` from the cache; computed and stored only when the
        period has no entry yet. Raises ClassicUnavailable (only then)."""
        return list(self._entry(first, last, month_first, month_last).rows)

    def seller_summary(self, first: date, last: date, month_first: date, month_last: date,
                       limit: int) -> tuple[tuple[SellerSales, ...], Decimal]:
        """``facade.dashboard.seller_summary`` of the cached rows (top ``limit`` sellers, the
        company's month total in the base currency), worked out once per cached entry rather than
        per request (thousands of sellers at a large installation). Raises ClassicUnavailable."""
        entry = self._entry(first, last, month_first, month_last)
        memo_key = (entry.key, entry.computed_utc, limit)
        held = self._summary
        if held is not None and held[0] == memo_key:
            return held[1]
        result = seller_summary(entry.rows, limit)
        self._summary = (memo_key, result)
        return result

    def _entry(self, first: date, last: date, month_first: date, month_last: date) -> CachedSales:
        key = sales_key(first, last, month_first, month_last)
        now = self.clock.now_utc()
        memo = self._memo.get(key)
        if memo is not None and timedelta(0) <= now - memo[1] < self.memo_ttl:
            return memo[0]
        cached = self.store.get(key)
        if cached is None:
            with self._lock:  # one computation per worker, not one per concurrent request
                cached = self.store.get(key)
                if cached is None:
                    cached = self._compute(first, last, month_first, month_last)
                    self.computed_by_request += 1
        self._memo = {key: (cached, now)}
        return cached

    def sales_of_seller(self, user_id: int, first: date, last: date) -> Decimal:
        """The user's own sales in [first, last]: live, never cached. Raises ClassicUnavailable."""
        return self.own.sales_of_seller(user_id, first, last)

    def _compute(self, first: date, last: date, month_first: date, month_last: date) -> CachedSales:
        rows = tuple(self.queries.sales_by_seller(first, last, month_first, month_last))
        now = self.clock.now_utc()
        entry = CachedSales(sales_key(first, last, month_first, month_last), rows, now)
        self.store.put(entry)
        self._memo = {entry.key: (entry, now)}
        return entry

    # -- write side (the poller) ------------------------------------------------------------------

    def refresh(self) -> CachedSales:
        """Compute and store the figures of the current local year and month."""
        today = periods.local_now(self.clock, self.time_zone()).date()
        year, month = periods.year(today), periods.month(today)
        return self._compute(year.first, year.last, month.first, month.last)

    def apply(self, changes: ChangeSet) -> int:
        """A change to ``tblOrder`` or ``tblUser``: recompute now (1 entry written)."""
        if any(not changes.of(t).empty for t in self.tables):
            self.refresh()
            return 1
        return 0

    def tick(self, now_utc: datetime, last_poll_utc: datetime) -> int:
        """Recompute when the current period's entry is missing or ``refresh_every`` old."""
        today = periods.local_now(self.clock, self.time_zone()).date()
        year, month = periods.year(today), periods.month(today)
        cached = self.store.get(sales_key(year.first, year.last, month.first, month.last))
        if cached is None or now_utc - cached.computed_utc >= self.refresh_every:
            self.refresh()
            return 1
        return 0
