"""The classic change feed (``facade.changes.ChangeFeed``): polling, and SQL Server Change Tracking.

Store tables (``adapters/sql/state.py``): ``feed_cursor``, ``feed_lease`` (``SqlFeedCursors``).
Classic tables read (never written): any of ``tblCompany``, ``tblPerson``, ``tblCompanyPerson``,
``tblOrder``, ``tblActivity``, ``tblSalesOpp``, ``tblProject``, ``tblWallPost`` (audited: identity,
``CreatedAt``, ``ChangedAt``), ``tblUser`` (no audit columns, small: chunk digests) and the
identity tables ``tblAddress``, ``tblCall``, ``tblDocument``, ``tblEmail``, ``tblEmailLink``,
``tblLedgerEntry``, ``tblOrderLine`` (new identities only) — only those a consumer follows.

**Polling** (``PollingChangeFeed``). CRM Lite may not add an index to the classic database, so a
poll of an audited table is one scan: ``WHERE id > :max_id OR CreatedAt >= :since OR ChangedAt >=
:since`` where ``since`` is the newest stamp seen minus the overlap (``facade.changes``). At
scale 1000 (300 000 persons) a poll of ``tblCompany`` + ``tblPerson`` + ``tblUser`` + ``tblOrder``
costs some 100–300 ms of database time every 10 seconds, done by one worker only.

**SQL Server Change Tracking** (``MssqlChangeTrackingFeed``), the production option where the
DBA has enabled it (it is not something CRM Lite turns on)::

    ALTER DATABASE Classic SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 2 DAYS, AUTO_CLEANUP = ON);
    ALTER TABLE dbo.tblCompany ENABLE CHANGE_TRACKING;   -- and tblPerson, tblUser, tblOrder, …
    GRANT VIEW CHANGE TRACKING ON dbo.tblCompany TO crmlite;  -- per table

It reads ``CHANGETABLE(CHANGES dbo.tblX, @version)``: exact (inserts, updates and hard deletes,
committed only), no scan, no overlap. When the position is older than
``CHANGE_TRACKING_MIN_VALID_VERSION`` (CRM Lite was stopped longer than the retention) the
table is reported as ``everything`` and its consumers copy it again. Choose it with
``CRM_LITE_CHANGE_FEED=change-tracking`` (``config/wiring.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlalchemy.types import NullType

from facade.changes import (
    AUDITED,
    DEFAULT_OVERLAP,
    IDENTITY,
    SNAPSHOT,
    ChangeSet,
    Cursor,
    FeedPosition,
    TableChanges,
    TablePosition,
)

from .engine import classic_connection
from .state import feed_cursor, feed_lease
from .tables import metadata as classic_metadata

log = logging.getLogger(__name__)

#: Identities per digest chunk of a snapshot table.
CHUNK = 64


@dataclass(frozen=True)
class FeedTable:
    """How one classic table is followed: its key columns and mode (``AUDITED``, ``SNAPSHOT``,
    ``IDENTITY``). ``identity``: the IDENTITY column, None for tables keyed by a pair."""

    name: str
    keys: tuple[str, ...]
    mode: str
    identity: str | None


FEED_TABLES: dict[str, FeedTable] = {
    t.name: t
    for t in (
        FeedTable("tblCompany", ("CompanyID",), AUDITED, "CompanyID"),
        FeedTable("tblPerson", ("PersonID",), AUDITED, "PersonID"),
        FeedTable("tblCompanyPerson", ("CompanyID", "PersonID"), AUDITED, None),
        FeedTable("tblOrder", ("OrderID",), AUDITED, "OrderID"),
        FeedTable("tblActivity", ("ActivityID",), AUDITED, "ActivityID"),
        FeedTable("tblSalesOpp", ("OppID",), AUDITED, "OppID"),
        FeedTable("tblProject", ("ProjectID",), AUDITED, "ProjectID"),
        FeedTable("tblWallPost", ("PostID",), AUDITED, "PostID"),
        FeedTable("tblUser", ("UserID",), SNAPSHOT, "UserID"),
        FeedTable("tblAddress", ("AddressID",), IDENTITY, "AddressID"),
        FeedTable("tblCall", ("CallID",), IDENTITY, "CallID"),
        FeedTable("tblDocument", ("DocumentID",), IDENTITY, "DocumentID"),
        FeedTable("tblEmail", ("EmailID",), IDENTITY, "EmailID"),
        FeedTable("tblEmailLink", ("LinkID",), IDENTITY, "LinkID"),
        FeedTable("tblLedgerEntry", ("EntryID",), IDENTITY, "EntryID"),
        FeedTable("tblOrderLine", ("LineID",), IDENTITY, "LineID"),
    )
}


def feed_table(name: str) -> FeedTable:
    """The ``FeedTable`` of ``name``; raises KeyError for a table the feed does not know."""
    return FEED_TABLES[name]


def _table(name: str) -> Table:
    return classic_metadata.tables[name]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


#: Columns a snapshot leaves out: password hashes change nothing any consumer shows.
SNAPSHOT_SKIP = frozenset({"PwdSalt", "PwdHash"})


def _digest(rows: list[tuple]) -> str:
    """A short digest of a chunk's rows (``repr`` of the driver's values: equal rows, equal digest)."""
    return hashlib.blake2b(repr(rows).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class PollingChangeFeed:
    """``ChangeFeed`` by polling audit columns and identities (any engine; read-only)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._snapshots: dict[str, tuple[float, tuple[tuple[int, str], ...]]] = {}
        self._in_cycle = False

    # -- start ----------------------------------------------------------------------------------

    def start_position(self, tables: Sequence[str]) -> FeedPosition:
        """Highest identity, newest stamp and (snapshot tables) chunk digests of ``tables`` now."""
        position = FeedPosition()
        with classic_connection(self.engine) as conn:
            for name in tables:
                position = position.with_table(self._start_table(conn, feed_table(name)))
        return position

    def _start_table(self, conn, ft: FeedTable) -> TablePosition:
        t = _table(ft.name)
        if ft.mode == SNAPSHOT:
            return TablePosition(ft.name, max_id=None, digests=self._digests(conn, ft))
        cols = []
        if ft.identity:
            cols.append(func.max(t.c[ft.identity]).label("max_id"))
        if ft.mode == AUDITED:
            cols += [func.max(t.c.CreatedAt).label("created"), func.max(t.c.ChangedAt).label("changed")]
        row = conn.execute(select(*cols)).mappings().one()
        start = TablePosition(ft.name, max_id=row.get("max_id"))
        if ft.mode != AUDITED:
            return start
        newest = _later(row.get("created"), row.get("changed"))
        if newest is None:
            return start
        # What the next poll reads again within the overlap is not new: remember its versions.
        seen = replace(start, changed_at=newest)
        _changes, position = self._poll_audited(conn, ft, seen, DEFAULT_OVERLAP)
        return position

    def _digests(self, conn, ft: FeedTable) -> tuple[tuple[int, str], ...]:
        """(chunk, digest) of every CHUNK identities. Within one ``cycle()`` (all consumers of one
        poll) the table is read once."""
        cached = self._snapshots.get(ft.name) if self._in_cycle else None
        if cached is not None:
            return cached[1]
        t = _table(ft.name)
        # The driver's own values (no conversion to datetime / Decimal: only equality matters):
        # this runs in a web worker every poll, holding its interpreter.
        cols = [type_coerce(c, NullType()).label(c.name) for c in t.c if c.name not in SNAPSHOT_SKIP]
        chunks: dict[int, list[tuple]] = {}
        for row in conn.execute(select(*cols).order_by(t.c[ft.identity])):
            chunks.setdefault(row[0] // CHUNK, []).append(tuple(row))
        digests = tuple((chunk, _digest(rows)) for chunk, rows in sorted(chunks.items()))
        if self._in_cycle:
            self._snapshots[ft.name] = (time.monotonic(), digests)
        return digests

    @contextlib.contextmanager
    def cycle(self) -> Iterator[None]:
        """One poll of every consumer: snapshot tables are read once (``follow_changes`` uses it)."""
        self._in_cycle = True
        try:
            yield
        finally:
            self._in_cycle = False
            self._snapshots.clear()

    # -- poll -----------------------------------------------------------------------------------

    def changes_since(self, position: FeedPosition, tables: Sequence[str], *, overlap: timedelta) -> ChangeSet:
        """Changed rows of ``tables`` since ``position`` (one SELECT per table, one connection)."""
        changes: list[TableChanges] = []
        new_position = position
        with classic_connection(self.engine) as conn:
            for name in tables:
                ft = feed_table(name)
                old = position.of(name)
                if old is None:  # newly followed: start now, report nothing
                    new_position = new_position.with_table(self._start_table(conn, ft))
                    continue
                if ft.mode == SNAPSHOT:
                    found, moved = self._poll_snapshot(conn, ft, old)
                elif ft.mode == AUDITED:
                    found, moved = self._poll_audited(conn, ft, old, overlap)
                else:
                    found, moved = self._poll_identity(conn, ft, old)
                changes.append(found)
                new_position = new_position.with_table(moved)
        return ChangeSet(tuple(changes), new_position)

    def audited_query(self, ft: FeedTable, old: TablePosition, overlap: timedelta) -> Select:
        """``SELECT keys, CreatedAt, ChangedAt`` of the rows new or changed since ``old``."""
        t = _table(ft.name)
        conds = []
        if ft.identity:
            conds.append(t.c[ft.identity] > (old.max_id or 0))
        if old.changed_at is not None:
            since = old.changed_at - overlap
            conds += [t.c.CreatedAt >= since, t.c.ChangedAt >= since]
        elif not ft.identity:
            conds.append(t.c.CreatedAt.is_not(None))  # nothing seen yet: everything is new
        return select(*[t.c[k] for k in ft.keys], t.c.ChangeNo, t.c.CreatedAt, t.c.ChangedAt).where(or_(*conds))

    def _poll_audited(self, conn, ft: FeedTable, old: TablePosition, overlap: timedelta):
        keys: set[tuple[int, ...]] = set()
        max_id, newest = old.max_id, old.changed_at
        already = set(old.recent)
        stamped: list[tuple[datetime | None, tuple[int, ...]]] = []
        for row in conn.execute(self.audited_query(ft, old, overlap)):
            key = tuple(int(row._mapping[k]) for k in ft.keys)
            version = key + (int(row.ChangeNo or 0),)
            stamp = _later(row.CreatedAt, row.ChangedAt)
            stamped.append((stamp, version))
            if version not in already:  # read again only because of the overlap: not a change
                keys.add(key)
            if ft.identity:
                max_id = max(max_id or 0, key[0])
            newest = _later(newest, stamp)
        since = newest - overlap if newest is not None else None
        recent = tuple(sorted(v for s, v in stamped if since is not None and s is not None and s >= since))
        return TableChanges(ft.name, frozenset(keys)), replace(old, max_id=max_id, changed_at=newest, recent=recent)

    def _poll_identity(self, conn, ft: FeedTable, old: TablePosition):
        t = _table(ft.name)
        ident = t.c[ft.identity]
        rows = conn.execute(select(ident).where(ident > (old.max_id or 0))).scalars().all()
        max_id = max([old.max_id or 0, *rows]) if rows else old.max_id
        return TableChanges(ft.name, frozenset((int(r),) for r in rows)), replace(old, max_id=max_id)

    def _poll_snapshot(self, conn, ft: FeedTable, old: TablePosition):
        now = dict(self._digests(conn, ft))
        before = dict(old.digests)
        changed = sorted(c for c in set(now) | set(before) if now.get(c) != before.get(c))
        ranges = tuple((c * CHUNK, c * CHUNK + CHUNK - 1) for c in changed)
        return TableChanges(ft.name, ranges=ranges), replace(old, digests=tuple(sorted(now.items())))


# --- SQL Server Change Tracking -------------------------------------------------------------------


def change_tracking_query(table: str, since_param: str = "since") -> Select:
    """``SELECT ct.<keys>, ct.SYS_CHANGE_OPERATION, ct.SYS_CHANGE_VERSION FROM CHANGETABLE(CHANGES
    dbo.<table>, :since) AS ct`` for the mssql dialect (``table`` is one of ``FEED_TABLES``)."""
    ft = feed_table(table)
    # The table name is not a bound value in T-SQL: it comes from FEED_TABLES, never from input.
    ct = (
        func.CHANGETABLE(literal_column(f"CHANGES dbo.{ft.name}"), bindparam(since_param))
        .table_valued(*[column(k) for k in ft.keys], column("SYS_CHANGE_OPERATION"),
                      column("SYS_CHANGE_VERSION"))
        .alias("ct")
    )
    return select(*[ct.c[k] for k in ft.keys], ct.c.SYS_CHANGE_OPERATION, ct.c.SYS_CHANGE_VERSION)


def current_version_query() -> Select:
    """``SELECT CHANGE_TRACKING_CURRENT_VERSION()``."""
    return select(func.CHANGE_TRACKING_CURRENT_VERSION())


def min_valid_version_query(table: str) -> Select:
    """``SELECT CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID('dbo.<table>'))`` (bound name)."""
    ft = feed_table(table)
    return select(func.CHANGE_TRACKING_MIN_VALID_VERSION(func.OBJECT_ID(bindparam("name", f"dbo.{ft.name}"))))


class MssqlChangeTrackingFeed:
    """``ChangeFeed`` over SQL Server Change Tracking (must be enabled by the DBA; read-only)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start_position(self, tables: Sequence[str]) -> FeedPosition:
        """The current Change Tracking version for every table."""
        with classic_connection(self.engine) as conn:
            version = conn.execute(current_version_query()).scalar()
        return FeedPosition(tuple(sorted((TablePosition(t, version=version) for t in tables),
                                         key=lambda p: p.table)))

    def changes_since(self, position: FeedPosition, tables: Sequence[str], *, overlap: timedelta) -> ChangeSet:
        """Inserts, updates and deletes since each table's version (``overlap`` is not needed)."""
        changes: list[TableChanges] = []
        new_position = position
        with classic_connection(self.engine) as conn:
            current = conn.execute(current_version_query()).scalar()
            for name in tables:
                ft = feed_table(name)
                old = position.of(name)
                if old is None or old.version is None:
                    new_position = new_position.with_table(TablePosition(name, version=current))
                    continue
                min_valid = conn.execute(min_valid_version_query(name)).scalar()
                if min_valid is None or old.version < min_valid:
                    changes.append(TableChanges(name, everything=True))
                else:
                    rows = conn.execute(change_tracking_query(name), {"since": old.version})
                    keys = frozenset(tuple(int(r._mapping[k]) for k in ft.keys) for r in rows)
                    changes.append(TableChanges(name, keys))
                new_position = new_position.with_table(TablePosition(name, version=current))
        return ChangeSet(tuple(changes), new_position)



# --- cursors and the lease, in CRM Lite's store ------------------------------------------------------


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class SqlFeedCursors:
    """``facade.changes.FeedCursors`` in CRM Lite's store (tables ``feed_cursor``, ``feed_lease``)."""

    def __init__(self, store: Engine) -> None:
        self.store = store

    def load(self, name: str) -> Cursor | None:
        """The cursor of consumer ``name``, or None."""
        with self.store.connect() as conn:
            row = conn.execute(select(feed_cursor).where(feed_cursor.c.name == name)).first()
        if row is None:
            return None
        return Cursor(name, FeedPosition.from_json(json.loads(row.position_json)),
                      row.polled_utc.replace(tzinfo=UTC), int(row.rows_applied or 0))

    def save(self, cursor: Cursor) -> None:
        """Insert or replace the cursor."""
        values = {"position_json": json.dumps(cursor.position.to_json()),
                  "polled_utc": _naive_utc(cursor.polled_utc), "rows_applied": cursor.rows_applied}
        with self.store.begin() as conn:
            res = conn.execute(update(feed_cursor).where(feed_cursor.c.name == cursor.name).values(**values))
            if not res.rowcount:
                conn.execute(insert(feed_cursor).values(name=cursor.name, **values))

    def advance(self, old: Cursor, new: Cursor) -> bool:
        """Compare-and-set on the poll time (one UPDATE)."""
        with self.store.begin() as conn:
            res = conn.execute(
                update(feed_cursor)
                .where(feed_cursor.c.name == old.name, feed_cursor.c.polled_utc == _naive_utc(old.polled_utc))
                .values(position_json=json.dumps(new.position.to_json()), polled_utc=_naive_utc(new.polled_utc),
                        rows_applied=new.rows_applied)
            )
        return bool(res.rowcount)

    def reset(self, name: str) -> None:
        """Forget the cursor of ``name``."""
        with self.store.begin() as conn:
            conn.execute(delete(feed_cursor).where(feed_cursor.c.name == name))

    def try_lease(self, name: str, holder: str, now_utc: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease (one conditional UPDATE; the row is created the first time)."""
        now = _naive_utc(now_utc)
        until = now + ttl
        lease = feed_lease.c
        for _attempt in range(2):
            with self.store.begin() as conn:
                res = conn.execute(
                    update(feed_lease)
                    .where(lease.name == name, or_(lease.holder == holder, lease.expires_utc < now))
                    .values(holder=holder, expires_utc=until)
                )
                if res.rowcount:
                    return True
                if conn.execute(select(lease.name).where(lease.name == name)).first() is not None:
                    return False
            try:
                with self.store.begin() as conn:
                    conn.execute(insert(feed_lease).values(name=name, holder=holder, expires_utc=until))
                return True
            except IntegrityError:  # another worker created it at the same moment: try the update again
                continue
        return False

    def release(self, name: str, holder: str) -> None:
        """Let the lease expire now (when ``holder`` has it)."""
        with self.store.begin() as conn:
            conn.execute(delete(feed_lease).where(feed_lease.c.name == name, feed_lease.c.holder == holder))


# --- the poller of a web worker ---------------------------------------------------------------------


class FollowerThread:
    """A daemon thread that calls ``run_once`` every ``interval`` seconds until ``stop``.

    Each gunicorn worker starts one after the fork (``config/wiring.py``); the store lease in
    ``facade.changes.follow_changes`` lets only one of them poll at a time. ``run_once`` must not
    raise; an exception is logged and the thread goes on.
    """

    def __init__(self, run_once: Callable[[], object], interval: float, *, name: str = "crm-lite-feed") -> None:
        self.run_once = run_once
        self.interval = interval
        self.name = name
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FollowerThread:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        # A random first delay spreads the workers' polls over the interval.
        self._stop.wait(random.uniform(0, self.interval))
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the poller must survive a classic outage
                log.exception("change feed poll failed")
            self.runs += 1
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
