"""The classic change feed: polling (``adapters/sql/change_feed.py``), its cursors and lease in the
store, ``facade.changes.follow_changes``, and the SQL Server Change Tracking option.

Rows are changed directly in a copy of the kit database *as classic would* (``ChangedAt`` = local
time now, ``ChangedBy``, ``ChangeNo + 1``; soft delete = ``Deleted = 1`` with the same stamps).
Every expected key is read with independent SQL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

from adapters.clock import FixedClock
from adapters.sql.change_feed import (
    CHUNK,
    FEED_TABLES,
    MssqlChangeTrackingFeed,
    PollingChangeFeed,
    SqlFeedCursors,
    change_tracking_query,
    current_version_query,
    min_valid_version_query,
)
from adapters.sql.engine import make_engine
from adapters.sql.state import create_state_schema
from adapters.sql.tables import metadata as classic_metadata
from facade.changes import (
    LEASE_NAME,
    LEASE_TTL,
    ChangeSet,
    Cursor,
    FeedPosition,
    TableChanges,
    TablePosition,
    follow_changes,
    overlap_for,
)

from .kit import NOW_LOCAL, NOW_UTC, KitDatabase, create_pg_database, drop_pg_database, load_kit

OVERLAP = timedelta(seconds=120)


# --- fixtures: writable copies of the kit ---------------------------------------------------------


def writable_sqlite(kit: KitDatabase, folder: Path) -> str:
    """A copy of the kit's SQLite database that a test may change; returns its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(kit.load_url.removeprefix("sqlite:///"))
    target = folder / "classic.db"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def pg_writable(tmp_path_factory):
    """A PostgreSQL kit database of this module's own (dropped at the end)."""
    name = f"crm_lite_feed_{os.getpid()}"
    url = create_pg_database(name)
    load_kit(url, tmp_path_factory.mktemp("pg-feed"))
    yield url
    drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def classic_url(request, kit, tmp_path):
    """A classic database this test may change: a SQLite copy, or this module's PostgreSQL one
    (changes there are undone by ``undo``)."""
    if request.param == "sqlite":
        return writable_sqlite(kit, tmp_path)
    return request.getfixturevalue("pg_writable")


@pytest.fixture
def classic(classic_url):
    engine = make_engine(classic_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}", store=True)
    create_state_schema(engine)
    yield engine
    engine.dispose()


def q(engine, sql: str, **params):
    """Independent SQL (double-quoted identifiers: SQLite and PostgreSQL)."""
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def change_as_classic(engine, table: str, key_col: str, key: int, stamp: datetime = NOW_LOCAL, **values):
    """UPDATE one row the way classic does: the values, ChangedAt/By, ChangeNo + 1."""
    sets = ", ".join(f'"{c}" = :{c}' for c in values)
    with engine.begin() as conn:
        conn.execute(sa.text(
            f'UPDATE "{table}" SET {sets}, "ChangedAt" = :stamp, "ChangedBy" = 1, "ChangeNo" = "ChangeNo" + 1 '
            f'WHERE "{key_col}" = :key'), {**values, "stamp": stamp, "key": key})


def newest_stamp(engine, table: str) -> datetime:
    row = q(engine, f'SELECT MAX("CreatedAt"), MAX("ChangedAt") FROM "{table}"')[0]
    values = [v if isinstance(v, datetime) else datetime.fromisoformat(v) for v in row if v is not None]
    return max(values)


def live_company(engine) -> int:
    return q(engine, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0')[0][0]


def classic_checksum(engine) -> str:
    """A hash of every row of every classic table (ordered by primary key)."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in classic_metadata.sorted_tables:
            order = [table.c[c.name] for c in table.primary_key] or list(table.c)
            for row in conn.execute(sa.select(table).order_by(*order)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


# --- positions --------------------------------------------------------------------------------------


def independent(kit, kit_any):
    """An engine for independent SQL on the same rows (MariaDB: the SQLite sample, which holds the
    same data, since the double-quoted SQL here is for SQLite and PostgreSQL)."""
    return sa.create_engine(kit.load_url if kit_any.engine_name == "mariadb" else kit_any.load_url)


def test_start_position_is_the_highest_identity_and_the_newest_stamp(kit, kit_any):
    engine = make_engine(kit_any.app_url)
    try:
        position = PollingChangeFeed(engine).start_position(["tblCompany", "tblPerson", "tblUser"])
        ind = independent(kit, kit_any)
        company = position.of("tblCompany")
        assert company.max_id == q(ind, 'SELECT MAX("CompanyID") FROM "tblCompany"')[0][0]
        assert company.changed_at == newest_stamp(ind, "tblCompany")
        users = q(ind, 'SELECT "UserID" FROM "tblUser"')
        assert {c for c, _d in position.of("tblUser").digests} == {u[0] // CHUNK for u in users}
        ind.dispose()
    finally:
        engine.dispose()


def test_rows_stamped_since_the_position_minus_the_overlap_are_reported(kit, kit_any):
    engine = make_engine(kit_any.app_url)
    ind = independent(kit, kit_any)
    try:
        feed = PollingChangeFeed(engine)
        start = feed.start_position(["tblPerson"])
        back = start.of("tblPerson").changed_at - timedelta(days=3)
        position = FeedPosition((TablePosition("tblPerson", max_id=start.of("tblPerson").max_id, changed_at=back),))
        found = feed.changes_since(position, ["tblPerson"], overlap=OVERLAP).of("tblPerson")
        since = back - OVERLAP
        expected = {
            r[0] for r in q(ind, 'SELECT "PersonID", "CreatedAt", "ChangedAt" FROM "tblPerson"')
            if any(v is not None and (v if isinstance(v, datetime) else datetime.fromisoformat(v)) >= since
                   for v in r[1:])
        }
        assert expected, "the kit has persons created or changed in the last days"
        assert found.ids() == sorted(expected)
    finally:
        engine.dispose()
        ind.dispose()


def test_position_survives_json():
    position = FeedPosition((
        TablePosition("tblCompany", max_id=7, changed_at=datetime(2025, 6, 16, 7, 45, 1), recent=((7, 2),)),
        TablePosition("tblUser", digests=((0, "ab"), (3, "cd"))),
        TablePosition("tblOrder", version=42),
    ))
    assert FeedPosition.from_json(position.to_json()) == position


# --- changes made as classic makes them ------------------------------------------------------------


def test_an_update_made_as_classic_would_is_reported_and_moves_the_position(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblCompany"])
    company = live_company(classic)
    stamp = start.of("tblCompany").changed_at + timedelta(minutes=5)
    change_as_classic(classic, "tblCompany", "CompanyID", company, stamp, Name="Ändrad Namn AB")
    try:
        changes = feed.changes_since(start, ["tblCompany"], overlap=OVERLAP)
        assert (company,) in changes.of("tblCompany").keys
        assert changes.position.of("tblCompany").changed_at == stamp
        again = feed.changes_since(changes.position, ["tblCompany"], overlap=OVERLAP)
        assert again.of("tblCompany").empty  # read again within the overlap, but the same version
        change_as_classic(classic, "tblCompany", "CompanyID", company, stamp, Name="Ändrad Igen AB")
        third = feed.changes_since(again.position, ["tblCompany"], overlap=OVERLAP)
        assert third.of("tblCompany").ids() == [company]  # same stamp, next ChangeNo: a change
    finally:
        change_as_classic(classic, "tblCompany", "CompanyID", company, stamp, Name="Testbolaget AB")


def test_a_soft_delete_is_reported_like_any_update(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblPerson"])
    person = q(classic, 'SELECT MAX("PersonID") FROM "tblPerson" WHERE "Deleted" = 0')[0][0]
    change_as_classic(classic, "tblPerson", "PersonID", person, NOW_LOCAL, Deleted=1)
    try:
        found = feed.changes_since(start, ["tblPerson"], overlap=OVERLAP).of("tblPerson")
        assert (person,) in found.keys
    finally:
        change_as_classic(classic, "tblPerson", "PersonID", person, NOW_LOCAL, Deleted=0)


def test_a_new_row_is_reported_by_its_identity_even_with_an_old_stamp(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblCompany"])
    # A bulk import writes an old CreatedAt: only the identity tells it is new.
    with classic.begin() as conn:
        conn.execute(sa.text(
            'INSERT INTO "tblCompany" ("Name", "CompanyKind", "IsCustomer", "IsSupplier", "Deleted", '
            '"CreatedAt", "ChangeNo") VALUES (:n, 1, 0, 0, 0, :at, 1)'),
            {"n": "Importerad AB", "at": datetime(2016, 3, 2, 3, 0)})
    new_id = q(classic, 'SELECT MAX("CompanyID") FROM "tblCompany"')[0][0]
    try:
        changes = feed.changes_since(start, ["tblCompany"], overlap=OVERLAP)
        assert (new_id,) in changes.of("tblCompany").keys
        assert changes.position.of("tblCompany").max_id == new_id
    finally:
        with classic.begin() as conn:
            conn.execute(sa.text('DELETE FROM "tblCompany" WHERE "CompanyID" = :i'), {"i": new_id})


def test_a_late_commit_stamped_before_the_last_poll_is_found_within_the_overlap(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblCompany"])
    seen = start.of("tblCompany").changed_at
    company = live_company(classic)
    # Stamped 30 s before the newest stamp seen, committed only now (a slow transaction).
    change_as_classic(classic, "tblCompany", "CompanyID", company, seen - timedelta(seconds=30), NickName="Sen")
    try:
        assert (company,) in feed.changes_since(start, ["tblCompany"], overlap=OVERLAP).of("tblCompany").keys
        without = feed.changes_since(start, ["tblCompany"], overlap=timedelta(0)).of("tblCompany")
        assert (company,) not in without.keys  # why the overlap exists
    finally:
        change_as_classic(classic, "tblCompany", "CompanyID", company, seen, NickName=None)


def test_polling_without_changes_reports_nothing_and_keeps_the_position(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblCompany", "tblOrder"])
    first = feed.changes_since(start, ["tblCompany", "tblOrder"], overlap=OVERLAP)
    second = feed.changes_since(first.position, ["tblCompany", "tblOrder"], overlap=OVERLAP)
    assert first.empty and second.empty
    assert second.position == first.position == start
    for table, key in (("tblCompany", "CompanyID"), ("tblOrder", "OrderID")):
        since = start.of(table).changed_at - OVERLAP
        rows = q(classic, f'SELECT "{key}", "ChangeNo", "CreatedAt", "ChangedAt" FROM "{table}"')
        in_overlap = {
            (r[0], r[1]) for r in rows
            if any(v is not None and (v if isinstance(v, datetime) else datetime.fromisoformat(v)) >= since
                   for v in r[2:])
        }
        assert set(start.of(table).recent) == in_overlap  # read again by every poll, reported never


def test_a_link_is_reported_by_its_pair_of_keys(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblCompanyPerson"])
    company, person = q(classic, 'SELECT "CompanyID", "PersonID" FROM "tblCompanyPerson" '
                                 'WHERE "Deleted" = 0 ORDER BY "CompanyID", "PersonID"')[0]
    with classic.begin() as conn:
        conn.execute(sa.text('UPDATE "tblCompanyPerson" SET "Role" = :r, "ChangedAt" = :s, "ChangeNo" = "ChangeNo" + 1 '
                             'WHERE "CompanyID" = :c AND "PersonID" = :p'),
                     {"r": "Inköpare", "s": NOW_LOCAL, "c": company, "p": person})
    assert (company, person) in feed.changes_since(start, ["tblCompanyPerson"], overlap=OVERLAP).of(
        "tblCompanyPerson").keys


def test_users_without_audit_columns_are_compared_chunk_by_chunk_hard_deletes_too(classic):
    feed = PollingChangeFeed(classic)
    start = feed.start_position(["tblUser"])
    with classic.begin() as conn:
        conn.execute(sa.text('UPDATE "tblUser" SET "FullName" = :n WHERE "UserID" = 3'), {"n": "Erik Johansson-Ny"})
    changes = feed.changes_since(start, ["tblUser"], overlap=OVERLAP)
    assert [r for r in changes.of("tblUser").ranges if r[0] <= 3 <= r[1]]
    with classic.begin() as conn:
        conn.execute(sa.text('INSERT INTO "tblUser" ("LoginName", "FullName", "Active", "CreatedAt") '
                             "VALUES ('tillfallig', 'Tillfällig Användare', 1, :at)"), {"at": NOW_LOCAL})
    new_id = q(classic, 'SELECT MAX("UserID") FROM "tblUser"')[0][0]
    added = feed.changes_since(changes.position, ["tblUser"], overlap=OVERLAP)
    assert [r for r in added.of("tblUser").ranges if r[0] <= new_id <= r[1]]
    with classic.begin() as conn:
        conn.execute(sa.text('DELETE FROM "tblUser" WHERE "UserID" = :i'), {"i": new_id})
        conn.execute(sa.text('UPDATE "tblUser" SET "FullName" = :n WHERE "UserID" = 3'), {"n": "Erik Johansson"})
    removed = feed.changes_since(added.position, ["tblUser"], overlap=OVERLAP)
    assert [r for r in removed.of("tblUser").ranges if r[0] <= new_id <= r[1]]
    assert feed.changes_since(removed.position, ["tblUser"], overlap=OVERLAP).of("tblUser").empty


def test_the_feed_changes_nothing_in_the_classic_database(classic):
    before = classic_checksum(classic)
    feed = PollingChangeFeed(classic)
    tables = [t for t in FEED_TABLES]
    position = feed.start_position(tables)
    feed.changes_since(position, tables, overlap=OVERLAP)
    assert classic_checksum(classic) == before


# --- SQL Server Change Tracking ---------------------------------------------------------------------


def _mssql():
    dialect = mssql.dialect()
    dialect.server_version_info = (16, 0)
    return dialect


def test_change_tracking_sql_compiles_for_sql_server():
    sql = str(change_tracking_query("tblCompany").compile(dialect=_mssql()))
    assert "FROM CHANGETABLE(CHANGES dbo.tblCompany, :since) AS ct" in sql
    assert "ct.[CompanyID]" in sql and "ct.[SYS_CHANGE_OPERATION]" in sql and "ct.[SYS_CHANGE_VERSION]" in sql
    pair = str(change_tracking_query("tblCompanyPerson").compile(dialect=_mssql()))
    assert "ct.[CompanyID], ct.[PersonID]" in pair and "CHANGES dbo.tblCompanyPerson" in pair
    assert "CHANGE_TRACKING_CURRENT_VERSION()" in str(current_version_query().compile(dialect=_mssql()))
    valid = min_valid_version_query("tblUser").compile(dialect=_mssql())
    assert "CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(:name))" in str(valid)
    assert valid.params["name"] == "dbo.tblUser"  # the table name is bound, never spliced in


class _FakeResult:
    def __init__(self, rows):
        self.rows = rows

    def scalar(self):
        return self.rows[0][0]

    def __iter__(self):
        return iter(self.rows)


class _FakeConnection:
    """Answers the Change Tracking statements as SQL Server would (compiled with its dialect)."""

    def __init__(self, server):
        self.server = server

    def execute(self, query, params=None):
        sql = str(query.compile(dialect=_mssql()))
        if "CURRENT_VERSION" in sql:
            return _FakeResult([(self.server["current"],)])
        if "MIN_VALID_VERSION" in sql:
            table = query.compile(dialect=_mssql()).params["name"].removeprefix("dbo.")
            return _FakeResult([(self.server["min_valid"][table],)])
        assert "CHANGETABLE(CHANGES" in sql and params["since"] is not None
        table = sql.split("CHANGES dbo.")[1].split(",")[0]
        return _FakeResult([_Row(dict(r)) for r in self.server["changes"][table]
                            if r["SYS_CHANGE_VERSION"] > params["since"]])

    def in_transaction(self):  # reads end their transaction (adapters.sql.engine.read_connection)
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Row:
    def __init__(self, mapping):
        self._mapping = mapping


class _FakeEngine:
    def __init__(self, server):
        self.server = server

    def connect(self):
        return _FakeConnection(self.server)


def test_change_tracking_feed_reports_inserts_updates_deletes_and_lost_positions():
    server = {
        "current": 10,
        "min_valid": {"tblCompany": 1, "tblUser": 8},
        "changes": {
            "tblCompany": [{"CompanyID": 5, "SYS_CHANGE_OPERATION": "U", "SYS_CHANGE_VERSION": 9},
                           {"CompanyID": 6, "SYS_CHANGE_OPERATION": "D", "SYS_CHANGE_VERSION": 10},
                           {"CompanyID": 1, "SYS_CHANGE_OPERATION": "I", "SYS_CHANGE_VERSION": 3}],
            "tblUser": [],
        },
    }
    feed = MssqlChangeTrackingFeed(_FakeEngine(server))
    start = FeedPosition((TablePosition("tblCompany", version=4), TablePosition("tblUser", version=4)))
    changes = feed.changes_since(start, ["tblCompany", "tblUser"], overlap=OVERLAP)
    assert changes.of("tblCompany").keys == {(5,), (6,)}  # version 3 is older than the position
    assert changes.of("tblUser").everything  # the position (4) is older than the minimum valid (8)
    assert changes.position.of("tblCompany").version == 10
    assert feed.start_position(["tblCompany"]).of("tblCompany").version == 10


# --- cursors, lease, follow_changes ---------------------------------------------------------------------


def test_only_one_holder_gets_the_lease_until_it_expires(store):
    cursors = SqlFeedCursors(store)
    now = NOW_UTC
    assert cursors.try_lease(LEASE_NAME, "worker-1", now, LEASE_TTL)
    assert not cursors.try_lease(LEASE_NAME, "worker-2", now + timedelta(seconds=5), LEASE_TTL)
    assert cursors.try_lease(LEASE_NAME, "worker-1", now + timedelta(seconds=5), LEASE_TTL)  # renewed
    assert not cursors.try_lease(LEASE_NAME, "worker-2", now + timedelta(seconds=30), LEASE_TTL)
    assert cursors.try_lease(LEASE_NAME, "worker-2", now + timedelta(seconds=36), LEASE_TTL)  # expired
    cursors.release(LEASE_NAME, "worker-2")
    assert cursors.try_lease(LEASE_NAME, "worker-1", now + timedelta(seconds=37), LEASE_TTL)


def test_cursors_are_kept_per_consumer(store):
    cursors = SqlFeedCursors(store)
    position = FeedPosition((TablePosition("tblOrder", max_id=3, changed_at=datetime(2025, 6, 16, 7, 0)),))
    cursors.save(Cursor("figures", position, NOW_UTC, 2))
    assert cursors.load("figures") == Cursor("figures", position, NOW_UTC, 2)
    assert cursors.load("search_index") is None
    cursors.reset("figures")
    assert cursors.load("figures") is None


class RecordingConsumer:
    def __init__(self, name, tables, auto_start=False, fail=False):
        self.name, self.tables, self.auto_start, self.fail = name, tables, auto_start, fail
        self.applied: list[ChangeSet] = []
        self.ticks = 0

    def apply(self, changes):
        if self.fail:
            raise RuntimeError("store full")
        self.applied.append(changes)
        return changes.row_count

    def tick(self, now_utc, last_poll_utc):
        self.ticks += 1
        return 0


def test_follow_changes_polls_due_consumers_under_the_lease(classic, store):
    feed, cursors, clock = PollingChangeFeed(classic), SqlFeedCursors(store), FixedClock(NOW_UTC)
    built = RecordingConsumer("built", ("tblCompany",))
    never_built = RecordingConsumer("never_built", ("tblPerson",))
    auto = RecordingConsumer("auto", ("tblOrder",), auto_start=True)
    broken = RecordingConsumer("broken", ("tblCompany",), fail=True)
    for consumer in (built, broken):
        cursors.save(Cursor(consumer.name, feed.start_position(consumer.tables), clock.now_utc()))
    company = live_company(classic)
    change_as_classic(classic, "tblCompany", "CompanyID", company, NOW_LOCAL, NickName="Ny")
    consumers = [built, never_built, auto, broken]
    kw = {"feed": feed, "cursors": cursors, "clock": clock, "time_zone": "Europe/Stockholm"}

    first = follow_changes(consumers, holder="a", **kw)
    assert first.polled == ["auto"]  # the others polled less than 10 s ago (at their start)
    assert auto.applied[0].of("tblOrder").everything  # a started consumer recomputes once
    clock.advance(seconds=11)
    assert not follow_changes(consumers, holder="b", **kw).leased  # "a" holds the lease
    report = follow_changes(consumers, holder="a", **kw)
    assert report.polled == ["built", "auto"] and "broken" in report.errors
    assert (company,) in built.applied[-1].of("tblCompany").keys
    assert never_built.applied == []
    assert cursors.load("broken").polled_utc == NOW_UTC  # kept: the same changes come again
    assert cursors.load("built").polled_utc == clock.now_utc()
    assert built.ticks == 1


def test_the_overlap_widens_by_an_hour_when_summer_time_ends():
    before = datetime(2025, 10, 26, 0, 55, tzinfo=UTC)  # 02:55 CEST
    after = datetime(2025, 10, 26, 1, 5, tzinfo=UTC)  # 02:05 CET: local clocks went back
    assert overlap_for(OVERLAP, before, after, "Europe/Stockholm") == OVERLAP + timedelta(hours=1)
    assert overlap_for(OVERLAP, after, after + timedelta(seconds=5), "Europe/Stockholm") == OVERLAP
    spring = datetime(2025, 3, 30, 0, 55, tzinfo=UTC)
    assert overlap_for(OVERLAP, spring, spring + timedelta(minutes=10), "Europe/Stockholm") == OVERLAP


def test_table_changes_vocabulary():
    changes = ChangeSet((TableChanges("tblCompany", frozenset({(3,), (1,)})), TableChanges("tblUser", ranges=((0, 63),))),
                        FeedPosition())
    assert changes.of("tblCompany").ids() == [1, 3]
    assert changes.of("tblPerson").empty and not changes.empty
    assert changes.row_count == 3


def test_a_poll_that_overlapped_a_rebuild_does_not_bring_the_old_cursor_back(store):
    cursors = SqlFeedCursors(store)
    old = Cursor("search_index", FeedPosition((TablePosition("tblCompany", max_id=1),)), NOW_UTC)
    cursors.save(old)
    polled = Cursor(old.name, FeedPosition((TablePosition("tblCompany", max_id=2),)), NOW_UTC + timedelta(seconds=5))
    cursors.reset(old.name)  # a rebuild starts while the poll is applying its changes
    assert not cursors.advance(old, polled)
    assert cursors.load(old.name) is None
    rebuilt = Cursor(old.name, FeedPosition((TablePosition("tblCompany", max_id=9),)), NOW_UTC + timedelta(seconds=9))
    cursors.save(rebuilt)
    assert not cursors.advance(old, polled)
    assert cursors.load(old.name) == rebuilt
    later = Cursor(old.name, rebuilt.position, NOW_UTC + timedelta(seconds=15))
    assert cursors.advance(rebuilt, later) and cursors.load(old.name) == later


def test_users_are_read_once_per_poll_for_all_consumers(classic, store):
    feed, cursors, clock = PollingChangeFeed(classic), SqlFeedCursors(store), FixedClock(NOW_UTC)
    a, b = RecordingConsumer("a", ("tblUser",)), RecordingConsumer("b", ("tblUser", "tblOrder"))
    for consumer in (a, b):
        cursors.save(Cursor(consumer.name, feed.start_position(consumer.tables), clock.now_utc()))
    reads: list[str] = []

    def on_execute(conn, cursor, statement, *_rest):
        if "tblUser" in statement:
            reads.append(statement)

    sa.event.listen(classic, "before_cursor_execute", on_execute)
    try:
        clock.advance(seconds=11)
        report = follow_changes([a, b], feed=feed, cursors=cursors, clock=clock, time_zone="Europe/Stockholm",
                                holder="w")
    finally:
        sa.event.remove(classic, "before_cursor_execute", on_execute)
    assert report.polled == ["a", "b"] and len(reads) == 1
