"""The classic change feed: which rows of which classic tables changed since a position.

One feed serves everything that keeps a copy of classic data in CRM Lite's own store: the
search index, the cached dashboard figures, and (later) the live refresh of an open card.
Every such *consumer* keeps its own cursor (a ``FeedPosition`` plus the time of its last
poll) in the store, so a consumer that is rebuilt starts again from its own position.

How changes are found (``adapters/sql/change_feed.py``):

- **Polling** (the default, any engine, nothing to enable on the classic side). Audited tables
  (``CreatedAt``/``ChangedAt``/``ChangeNo``): rows with an identity above the highest one seen,
  or with ``CreatedAt``/``ChangedAt`` at or after the newest one seen *minus an overlap*. Classic
  stamps local time with whole seconds, and a transaction may commit seconds after it stamped
  its rows, so the last ``overlap`` seconds are read again on every poll; applying a change is
  idempotent (the consumer re-reads the row), so reading a row twice is harmless. A soft delete
  (``Deleted = 1``) is an update like any other. Tables without audit columns: ``tblUser`` (small)
  is compared chunk by chunk against digests kept in the position (this finds updates and hard
  deletes too); other identity tables report new identities only.
- **SQL Server Change Tracking** (production option where the DBA enabled it on the classic
  database): ``CHANGETABLE(CHANGES …)`` since the position's version; when the version is older
  than the table's minimum valid version the consumer is told to re-read everything.

Who polls (``config/wiring.py``): every web worker runs a small background thread that calls
``follow_changes`` every 10 seconds; a lease row in the store (``FeedCursors.try_lease``) makes
sure only one worker (or ``crm-lite index follow``) does the work at a time, the others find the
lease taken and go back to sleep. Everything is driven by the ``Clock`` port, so tests call
``follow_changes`` directly with a fixed clock.

Classic tables read: those the consumers name (``tblCompany``, ``tblPerson``, ``tblUser``,
``tblOrder``); nothing is ever written to the classic database.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .ports import Clock

log = logging.getLogger(__name__)

#: How a table's changes are found by polling.
AUDITED = "audited"  # identity + CreatedAt/ChangedAt (+ ChangeNo)
SNAPSHOT = "snapshot"  # no audit columns, small: chunk digests (updates and hard deletes too)
IDENTITY = "identity"  # no audit columns: new identities only

#: Seconds re-read on every poll (ChangedAt has whole seconds; commits lag their stamps).
DEFAULT_OVERLAP = timedelta(seconds=120)
#: Seconds between two polls of one consumer: a classic change is findable within about this
#: (the issue allows 30 s), and a poll at a real installation's size costs 0.1–0.3 s of one core.
DEFAULT_INTERVAL = timedelta(seconds=10)
#: A lease not renewed for this long is free again (its holder died).
LEASE_TTL = timedelta(seconds=30)
LEASE_NAME = "classic-feed"


# --- positions and changes ------------------------------------------------------------------


@dataclass(frozen=True)
class TablePosition:
    """Where one table's feed stands.

    ``max_id``: the highest identity seen. ``changed_at``: the newest ``CreatedAt``/``ChangedAt``
    seen (installation local time, naive). ``recent``: ``key + (ChangeNo,)`` of the rows stamped
    within the overlap before ``changed_at`` — read again by the next poll, reported again only
    when their ``ChangeNo`` moved. ``version``: SQL Server Change Tracking version. ``digests``: for
    snapshot tables, ``(chunk number, digest)`` of every chunk of identities.
    """

    table: str
    max_id: int | None = None
    changed_at: datetime | None = None
    version: int | None = None
    digests: tuple[tuple[int, str], ...] = ()
    recent: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class FeedPosition:
    """A consumer's position: one ``TablePosition`` per table it follows."""

    tables: tuple[TablePosition, ...] = ()

    def of(self, table: str) -> TablePosition | None:
        """The position of ``table``, or None when it is not followed yet."""
        return next((t for t in self.tables if t.table == table), None)

    def with_table(self, position: TablePosition) -> FeedPosition:
        """A copy with ``position`` replacing the table's old one."""
        rest = tuple(t for t in self.tables if t.table != position.table)
        return FeedPosition(tuple(sorted(rest + (position,), key=lambda t: t.table)))

    def to_json(self) -> dict:
        """A JSON-able dict (datetimes as ISO text)."""
        return {
            "tables": [
                {
                    "table": t.table,
                    "max_id": t.max_id,
                    "changed_at": t.changed_at.isoformat(sep=" ") if t.changed_at else None,
                    "version": t.version,
                    "digests": [list(d) for d in t.digests],
                    "recent": [list(r) for r in t.recent],
                }
                for t in self.tables
            ]
        }

    @classmethod
    def from_json(cls, data: dict | None) -> FeedPosition:
        """The position ``to_json`` wrote."""
        tables = []
        for t in (data or {}).get("tables", []):
            changed = t.get("changed_at")
            tables.append(TablePosition(
                table=t["table"],
                max_id=t.get("max_id"),
                changed_at=datetime.fromisoformat(changed) if changed else None,
                version=t.get("version"),
                digests=tuple((int(c), str(d)) for c, d in t.get("digests", [])),
                recent=tuple(tuple(int(v) for v in r) for r in t.get("recent", [])),
            ))
        return cls(tuple(tables))


@dataclass(frozen=True)
class TableChanges:
    """What changed in one table: primary keys (tuples of ints) to read again.

    ``ranges``: inclusive identity ranges to read again (a row missing there was removed).
    ``everything``: the position was lost (Change Tracking cleaned up): read the whole table again.
    A key may name a row that is now soft-deleted (``Deleted = 1``): the consumer drops it.
    """

    table: str
    keys: frozenset[tuple[int, ...]] = frozenset()
    ranges: tuple[tuple[int, int], ...] = ()
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not self.keys and not self.ranges and not self.everything

    def ids(self) -> list[int]:
        """The first key column of every key, sorted (the identity of single-key tables)."""
        return sorted({k[0] for k in self.keys})


@dataclass(frozen=True)
class ChangeSet:
    """The changes since a position, and the position to continue from."""

    changes: tuple[TableChanges, ...]
    position: FeedPosition

    def of(self, table: str) -> TableChanges:
        """The changes of ``table`` (empty when none)."""
        return next((c for c in self.changes if c.table == table), TableChanges(table))

    @property
    def empty(self) -> bool:
        return all(c.empty for c in self.changes)

    @property
    def row_count(self) -> int:
        """Keys reported (ranges and "everything" count once)."""
        return sum(len(c.keys) + len(c.ranges) + int(c.everything) for c in self.changes)


# --- ports ----------------------------------------------------------------------------------


class ChangeFeed(Protocol):
    """Reads of the classic database that tell what changed. Never writes there."""

    def start_position(self, tables: Sequence[str]) -> FeedPosition:
        """The position "now" for ``tables``: changes made after it are reported later. Taken
        *before* a consumer copies the tables, so that nothing made during the copy is lost.
        Raises ClassicUnavailable."""

    def changes_since(self, position: FeedPosition, tables: Sequence[str], *, overlap: timedelta) -> ChangeSet:
        """The rows of ``tables`` changed since ``position`` (re-reading the last ``overlap`` of
        the audit stamps), and the new position. A table missing from ``position`` is started
        now (no changes reported for it). Raises ClassicUnavailable."""


@dataclass(frozen=True)
class Cursor:
    """A consumer's cursor in CRM Lite's store: its position and when it last polled (UTC)."""

    name: str
    position: FeedPosition
    polled_utc: datetime
    rows_applied: int = 0


class FeedCursors(Protocol):
    """Cursors and the polling lease, in CRM Lite's store."""

    def load(self, name: str) -> Cursor | None:
        """The cursor of consumer ``name``, or None when it was never started (or was reset)."""

    def save(self, cursor: Cursor) -> None:
        """Store the cursor (insert or replace)."""

    def advance(self, old: Cursor, new: Cursor) -> bool:
        """Replace ``old`` by ``new`` only if the stored cursor is still ``old`` (same poll time):
        a poll that overlapped a rebuild (which reset or replaced the cursor) is dropped. Returns
        whether it was stored."""

    def reset(self, name: str) -> None:
        """Forget the cursor (its consumer is being rebuilt)."""

    def try_lease(self, name: str, holder: str, now_utc: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``now_utc + ttl``; False when
        another holder has it and it has not expired."""

    def release(self, name: str, holder: str) -> None:
        """Give the lease up (when ``holder`` has it)."""


class ChangeConsumer(Protocol):
    """Something that keeps a copy of classic data current from the feed. An optional attribute
    ``auto_start = True`` lets ``follow_changes`` start its cursor (see there)."""

    name: str
    tables: tuple[str, ...]

    def apply(self, changes: ChangeSet) -> int:
        """Bring the copy up to date with ``changes`` (idempotent); returns rows written."""

    def tick(self, now_utc: datetime, last_poll_utc: datetime) -> int:
        """Called on every poll, changes or not (timers); returns rows written."""


# --- use cases ------------------------------------------------------------------------------


def overlap_for(base: timedelta, since_utc: datetime, now_utc: datetime, time_zone: str) -> timedelta:
    """The overlap to re-read: ``base``, plus the hour local clocks repeat when summer time ended
    between ``since_utc`` and ``now_utc`` (stamps made after the change are *earlier* local times
    than those seen before it)."""
    zone = ZoneInfo(time_zone)
    before = since_utc.astimezone(zone).utcoffset() or timedelta(0)
    after = now_utc.astimezone(zone).utcoffset() or timedelta(0)
    return base + max(timedelta(0), before - after)


@dataclass
class FollowReport:
    """What one ``follow_changes`` call did. ``leased`` False: another worker holds the lease."""

    leased: bool
    polled: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def follow_changes(
    consumers: Iterable[ChangeConsumer],
    *,
    feed: ChangeFeed,
    cursors: FeedCursors,
    clock: Clock,
    time_zone: str,
    holder: str,
    interval: timedelta = DEFAULT_INTERVAL,
    overlap: timedelta = DEFAULT_OVERLAP,
    force: bool = False,
) -> FollowReport:
    """Poll the feed for every consumer whose last poll is ``interval`` old (all with ``force``),
    apply the changes and advance its cursor — when ``holder`` gets the lease.

    A consumer without a cursor is skipped (never built), unless it has ``auto_start`` set: then
    its cursor starts at the feed's position now and it is told that everything changed. A consumer that fails keeps its old
    cursor (the same changes come again next time) and its error is in the report; the others
    go on. ``time_zone``: the installation's (``tblSetting`` TimeZone), for the summer-time
    overlap. Raises nothing; a classic outage shows as errors.
    """
    now = clock.now_utc()
    report = FollowReport(leased=cursors.try_lease(LEASE_NAME, holder, now, LEASE_TTL))
    if not report.leased:
        return report
    cycle = getattr(feed, "cycle", None)  # a feed may share reads between the consumers of a poll
    with cycle() if cycle is not None else contextlib.nullcontext():
        _follow_each(consumers, report, feed=feed, cursors=cursors, now=now, time_zone=time_zone,
                     interval=interval, overlap=overlap, force=force)
    return report


def _follow_each(consumers: Iterable[ChangeConsumer], report: FollowReport, *, feed: ChangeFeed,
                 cursors: FeedCursors, now: datetime, time_zone: str, interval: timedelta, overlap: timedelta,
                 force: bool) -> None:
    for consumer in consumers:
        cursor = cursors.load(consumer.name)
        if cursor is None and not getattr(consumer, "auto_start", False):
            continue  # e.g. the search index before ``crm-lite index rebuild``
        if cursor is not None and not force and timedelta(0) <= now - cursor.polled_utc < interval:
            continue  # polled recently (a poll "in the future" means the clock went back: poll)
        try:
            if cursor is None:
                # Start here; everything counts as changed once (the consumer recomputes).
                position = feed.start_position(consumer.tables)
                written = consumer.apply(ChangeSet(
                    tuple(TableChanges(t, everything=True) for t in consumer.tables), position))
                cursors.save(Cursor(consumer.name, position, now, written))
                report.polled.append(consumer.name)
                report.rows[consumer.name] = written
                continue
            widened = overlap_for(overlap, cursor.polled_utc, now, time_zone)
            changes = feed.changes_since(cursor.position, consumer.tables, overlap=widened)
            written = consumer.apply(changes) if not changes.empty else 0
            written += consumer.tick(now, cursor.polled_utc)
            moved = cursors.advance(cursor, replace(cursor, position=changes.position, polled_utc=now,
                                                    rows_applied=cursor.rows_applied + written))
            if not moved:
                report.errors[consumer.name] = "rebuilt meanwhile: this poll is dropped"
                continue
            report.polled.append(consumer.name)
            report.rows[consumer.name] = written
        except Exception as exc:  # one consumer's failure must not stop the others
            log.warning("change feed: %s failed: %s", consumer.name, exc, exc_info=True)
            report.errors[consumer.name] = f"{type(exc).__name__}: {exc}"


def start_cursor(name: str, tables: Sequence[str], *, feed: ChangeFeed, cursors: FeedCursors,
                 clock: Clock) -> Cursor:
    """Start consumer ``name`` at the feed's position now (call before copying the tables)."""
    cursor = Cursor(name, feed.start_position(tables), clock.now_utc())
    return cursor


#: Clocks of two hosts (web worker, poller) may differ by this much.
MAX_SKEW = timedelta(seconds=5)


def is_current(cursor: Cursor | None, now_utc: datetime, max_lag: timedelta) -> bool:
    """True when ``cursor`` exists and polled within ``max_lag`` before ``now_utc`` (a poll up to
    ``MAX_SKEW`` "later" than now is another host's clock; more means the clock jumped: not current)."""
    return cursor is not None and -MAX_SKEW <= now_utc - cursor.polled_utc <= max_lag
