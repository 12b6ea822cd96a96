"""CRM Lite's own search index, and the policy that decides between it and plain SQL.

The search rules are those of ``facade.search`` and nothing else: the index is only a faster way to
find the *same candidate rows* that plain SQL finds (``SearchQueries.find_candidates``: the rows
the SQL prefilter accepts, shortest names first, at most ``limit + 1`` per source); the facade then
ranks them exactly as before. So a query gives the same hits, in the same order, whether it was
answered from the index or from the classic database (``tests/test_search_index.py`` checks this
property on generated queries).

Policy (``IndexedSearchQueries``): a search is answered from the index when the index has been
built (``crm-lite index rebuild``) and its feed cursor polled the classic database within
``max_lag`` (60 s); otherwise — never built, being rebuilt, the poller stopped, the store's engine
lacks FTS5/pg_trgm — from plain SQL, slower but never wrong. The context shown beside hits (a
company's city, a person's companies) always comes live from the classic database: two indexed
look-ups of the shown ids only.

The index copies ``tblCompany`` (live rows), ``tblPerson`` (live rows) and ``tblUser`` (all) into
the store, with their normal forms (folded names, org numbers and phone numbers without
separators, folded e-mail), and is kept current by the change feed (``facade.changes``): a change
made in the classic database is findable after the next poll (every 10 s; the issue allows 30 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from .changes import ChangeFeed, ChangeSet, Cursor, FeedCursors, is_current
from .ports import Clock
from .search import Candidates, SearchContext, SearchCriteria, SearchQueries

INDEX_NAME = "search_index"
#: Classic tables the index copies (and follows).
INDEX_TABLES: tuple[str, ...] = ("tblCompany", "tblPerson", "tblUser")
#: The index answers only when its cursor polled within this time.
MAX_LAG = timedelta(seconds=60)
#: How long a worker trusts its last look at the cursor before reading it again.
STATUS_TTL = timedelta(seconds=2)

Progress = Callable[[int, int], None]  # (rows done, rows in all)


class SearchIndex(Protocol):
    """The index in CRM Lite's store; also a ``facade.changes.ChangeConsumer``."""

    name: str
    tables: tuple[str, ...]

    def available(self) -> bool:
        """True when the store's engine can hold the index (SQLite FTS5 trigram, PostgreSQL pg_trgm)
        and its tables exist (created now if missing)."""

    def rebuild(self, progress: Progress | None = None) -> int:
        """Copy every searchable classic row into the index (replacing it); returns rows copied.
        Reads the classic database in short keyset-paged transactions. Raises ClassicUnavailable."""

    def apply(self, changes: ChangeSet) -> int:
        """Read the changed rows again and replace (or drop: deleted, gone) their index entries."""

    def tick(self, now_utc: datetime, last_poll_utc: datetime) -> int:
        """Nothing to do on a timer; returns 0."""

    def find_candidates(self, criteria: SearchCriteria, sources: frozenset[str]) -> Candidates:
        """Exactly what ``SearchQueries.find_candidates`` of plain SQL returns, from the index."""


@dataclass(frozen=True)
class RebuildReport:
    """What ``rebuild_search_index`` did: rows copied, seconds taken."""

    rows: int
    seconds: float


def rebuild_search_index(*, index: SearchIndex, feed: ChangeFeed, cursors: FeedCursors, clock: Clock,
                         progress: Progress | None = None) -> RebuildReport:
    """Build the index from scratch and start its feed cursor.

    The cursor is dropped first (searches fall back to plain SQL while the copy runs), the feed's
    position is taken *before* the copy (so rows changed during the copy come again with the next
    poll; applying them twice is harmless), and saved when the copy is complete. Raises
    ClassicUnavailable, RuntimeError when the store cannot hold the index.
    """
    if not index.available():
        raise RuntimeError("CRM Lite's store cannot hold the search index (needs SQLite with FTS5 or "
                           "PostgreSQL with pg_trgm)")
    started = clock.now_utc()
    cursors.reset(index.name)
    position = feed.start_position(index.tables)
    rows = index.rebuild(progress)
    done = clock.now_utc()
    cursors.save(Cursor(index.name, position, done))
    return RebuildReport(rows, (done - started).total_seconds())


class IndexedSearchQueries:
    """``facade.search.SearchQueries`` that answers from the index when it is current, else plain SQL.

    ``answered_by`` tells which one answered the last ``find_candidates`` ("index" or "sql").
    """

    def __init__(self, index: SearchIndex, plain: SearchQueries, cursors: FeedCursors, clock: Clock, *,
                 max_lag: timedelta = MAX_LAG, status_ttl: timedelta = STATUS_TTL) -> None:
        self.index = index
        self.plain = plain
        self.cursors = cursors
        self.clock = clock
        self.max_lag = max_lag
        self.status_ttl = status_ttl
        self.answered_by = ""
        self._lock = threading.Lock()
        self._checked: datetime | None = None
        self._cursor: Cursor | None = None
        self._available: bool | None = None

    def index_is_current(self) -> bool:
        """True when the index was built and its cursor polled within ``max_lag`` (checked in the
        store at most every ``status_ttl``)."""
        now = self.clock.now_utc()
        with self._lock:
            if self._checked is None or not (timedelta(0) <= now - self._checked < self.status_ttl):
                if self._available is None:
                    self._available = self.index.available()
                self._cursor = self.cursors.load(self.index.name) if self._available else None
                self._checked = now
            return bool(self._available) and is_current(self._cursor, now, self.max_lag)

    def find_candidates(self, criteria: SearchCriteria, sources: frozenset[str]) -> Candidates:
        """The candidate rows from the index when it is current, else from plain SQL."""
        if self.index_is_current():
            self.answered_by = "index"
            return self.index.find_candidates(criteria, sources)
        self.answered_by = "sql"
        return self.plain.find_candidates(criteria, sources)

    def find_context(self, company_ids: list[int], person_ids: list[int]) -> SearchContext:
        """Always live from the classic database (cities, a person's companies)."""
        return self.plain.find_context(company_ids, person_ids)
