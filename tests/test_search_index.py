"""The search index in CRM Lite's store (``adapters/sql/search_index.py``), the policy that routes a
search to it (``facade.search_index``), and its upkeep by the change feed.

The central property: for any query, the search answers exactly the same — same groups, hits,
order, totals — whether the candidates come from the index or from plain SQL on the classic
database (``adapters/sql/search.py``), whose rules ``tests/test_search.py`` checks against the
documented policy. Queries are generated from real names, numbers, phones and e-mails of a kit
database at scale 5, with case changes, accents, partial words and other formats.
"""

from __future__ import annotations

import os
import random
import re
import time
import unicodedata
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.clock import FixedClock
from adapters.sql.change_feed import PollingChangeFeed, SqlFeedCursors
from adapters.sql.engine import make_engine
from adapters.sql.search import SqlSearchQueries
from adapters.sql.search_index import MAX_TOKENS, SOURCES, SqlSearchIndex, query_tokens
from adapters.sql.state import create_state_schema
from config.settings import Settings
from config.wiring import build_services
from facade import search as search_uc
from facade.changes import follow_changes
from facade.model import User
from facade.search_index import IndexedSearchQueries, rebuild_search_index

from .kit import NOW_LOCAL, NOW_UTC, build_sqlite, create_pg_database, drop_pg_database
from .test_change_feed import change_as_classic, classic_checksum, q, writable_sqlite

READER = User(6, "karin", "Karin Åström", rights=frozenset({"CRM_READ"}))
TZ = "Europe/Stockholm"


class FromIndex:
    """``SearchQueries`` with the candidates from the index and the context from plain SQL (as the
    router does when the index is current)."""

    def __init__(self, index, plain):
        self.index, self.plain = index, plain

    def find_candidates(self, criteria, sources):
        return self.index.find_candidates(criteria, sources)

    def find_context(self, company_ids, person_ids):
        return self.plain.find_context(company_ids, person_ids)


def answers(query: str, queries) -> tuple:
    """Everything a user sees: the results page (50 per group), one group (200), the typeahead."""
    return (
        search_uc.search_everything(query, READER, queries=queries),
        search_uc.search_everything(query, READER, queries=queries, limit_per_kind=200, kinds=["contact"]),
        search_uc.typeahead(query, READER, queries=queries),
    )


# --- a bigger kit (scale 5) and its index ------------------------------------------------------------


@pytest.fixture(scope="module")
def kit5(tmp_path_factory):
    return build_sqlite(tmp_path_factory.mktemp("kit-scale5"), scale=5)


@pytest.fixture(scope="module")
def indexed5(kit5, tmp_path_factory):
    """(index, plain SQL) over the scale-5 kit; the index in a SQLite store."""
    classic = make_engine(kit5.app_url)
    store = make_engine(f"sqlite:///{tmp_path_factory.mktemp('store5') / 'store.db'}", store=True)
    create_state_schema(store)
    index = SqlSearchIndex(store, classic, small=0)  # scale 5 is "small": make it choose plans as at 1000
    assert index.available()
    index.rebuild()
    yield index, SqlSearchQueries(classic)
    classic.dispose()
    store.dispose()


@pytest.fixture(scope="module")
def values5(kit5) -> dict[str, list[str]]:
    """Real searchable values of the scale-5 kit, by kind (independent SQL)."""
    engine = sa.create_engine(kit5.load_url)

    def col(sql):
        return [r[0] for r in q(engine, sql) if r[0] and str(r[0]).strip()]

    out = {
        "name": col('SELECT "Name" FROM "tblCompany"') + col('SELECT "NickName" FROM "tblCompany"')
        + col('SELECT "FirstName" FROM "tblPerson"') + col('SELECT "LastName" FROM "tblPerson"')
        + col('SELECT "FullName" FROM "tblUser"') + col('SELECT "LoginName" FROM "tblUser"')
        + [f"{a} {b}" for a, b in q(engine, 'SELECT "FirstName", "LastName" FROM "tblPerson"') if a and b][:400],
        "email": col('SELECT "Email" FROM "tblCompany"') + col('SELECT "Email" FROM "tblPerson"')
        + col('SELECT "Email" FROM "tblUser"'),
        "phone": col('SELECT "Phone" FROM "tblCompany"') + col('SELECT "Phone" FROM "tblPerson"')
        + col('SELECT "Mobile" FROM "tblPerson"') + col('SELECT "Phone" FROM "tblUser"'),
        "org": col('SELECT "OrgNo" FROM "tblCompany"'),
        "number": [str(v) for v in col('SELECT "CustomerNo" FROM "tblCompany"') + col('SELECT "SupplierNo" FROM "tblCompany"')],
    }
    engine.dispose()
    return out


ACCENTS = {"e": "é", "a": "á", "u": "ü", "o": "ó", "i": "í", "c": "ç", "n": "ñ"}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@st.composite
def name_queries(draw, values):
    text = draw(st.sampled_from(values["name"])).strip()
    if len(text) > 2 and draw(st.booleans()):  # a part: prefix, infix or a word
        start = draw(st.integers(0, len(text) - 2))
        text = text[start:start + draw(st.integers(2, max(2, len(text) - start)))]
    change = draw(st.sampled_from(["as is", "upper", "lower", "swapcase", "no accents", "accents", "decomposed",
                                   "words swapped", "extra blanks"]))
    if change == "upper":
        text = text.upper()
    elif change == "lower":
        text = text.lower()
    elif change == "swapcase":
        text = text.swapcase()
    elif change == "no accents":
        text = strip_accents(text)
    elif change == "accents":
        text = "".join(ACCENTS.get(c, c) if draw(st.booleans()) else c for c in text)
    elif change == "decomposed":
        text = unicodedata.normalize("NFD", text)
    elif change == "words swapped":
        text = " ".join(reversed(text.split()))
    else:
        text = "  " + text.replace(" ", "   ") + " "
    return text


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


@st.composite
def number_queries(draw, values):
    kind = draw(st.sampled_from(["phone", "org", "number", "email"]))
    raw = draw(st.sampled_from(values[kind]))
    if kind == "email":
        at = raw.find("@")
        cut = draw(st.integers(0, max(0, at)))
        text = raw[cut:] if draw(st.booleans()) else raw[cut:at + 1 + draw(st.integers(0, 5))]
        return text.upper() if draw(st.booleans()) else text
    if kind == "number":
        return raw
    digits = _digits(raw)
    if len(digits) < 6:
        return raw
    fmt = draw(st.sampled_from(["digits", "as typed", "grouped", "prefix", "plus46", "century"]))
    if fmt == "digits":
        return digits
    if fmt == "grouped":
        return " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))
    if fmt == "prefix":
        return digits[:draw(st.integers(6, len(digits)))]
    if fmt == "plus46" and kind == "phone" and digits.startswith("0") and not digits.startswith("00"):
        return "+46 " + digits[1:]
    if fmt == "century" and kind == "org" and len(digits) == 10:
        return draw(st.sampled_from(["16", "19", "20"])) + digits[:6] + "-" + digits[6:]
    return raw


ODD = st.text(alphabet="abcåäöéü%_['\"-+ @0123456789!", min_size=1, max_size=6)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_index_and_plain_sql_give_the_same_answers_to_generated_queries(indexed5, values5, data):
    index, plain = indexed5
    query = data.draw(st.one_of(name_queries(values5), number_queries(values5), ODD), label="query")
    assert answers(query, FromIndex(index, plain)) == answers(query, plain), query


FIXED = ["ab", "an", "AB", "Åke", "ake", "åsa öberg", "Anna Ström", "ström anna", "o'leary", "100%", "AB_Test",
         "[beta]", "zoë", "zoe", "cafe", "Ümit", "556036-0793", "5560360793", "16556036-0793", " 556036 0793",
         "08-123", "070", "+46 70", "0046", "@test", "test.invalid", "a@", "10001", "50001", "Testbolaget",
         "kalle exempel", "<img", "\"><svg", "and", "son", "berg", "er"]


def test_index_and_plain_sql_agree_on_the_kit_samples_messy_rows(indexed5):
    index, plain = indexed5
    for query in FIXED:
        assert answers(query, FromIndex(index, plain)) == answers(query, plain), query


def test_an_index_copied_from_any_engine_agrees_with_plain_sql(kit, kit_any, tmp_path):
    """The index copied from SQLite, PostgreSQL or MariaDB (pyodbc) answers as plain SQL does there.
    MariaDB's plain prefilter is a looser superset (its collation has å = a), so when candidates
    are cut at the limit its answers differ by design: there the index is compared with plain SQL
    on the SQLite sample, which holds the same rows."""
    classic = make_engine(kit_any.app_url)
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}", store=True)
    reference = make_engine(kit.app_url) if kit_any.engine_name == "mariadb" else classic
    try:
        create_state_schema(store)
        index = SqlSearchIndex(store, classic)
        index.rebuild()
        plain = SqlSearchQueries(reference)
        for query in FIXED:
            assert answers(query, FromIndex(index, plain)) == answers(query, plain), (kit_any.engine_name, query)
    finally:
        classic.dispose()
        store.dispose()
        reference.dispose()


@pytest.fixture(scope="module")
def pg_store_index(kit5):
    """The index of the scale-5 kit in a PostgreSQL store (pg_trgm), dropped at the end."""
    name = f"crm_lite_store_{os.getpid()}"
    store = make_engine(create_pg_database(name), store=True)
    classic = make_engine(kit5.app_url)
    create_state_schema(store)
    index = SqlSearchIndex(store, classic, small=0)
    assert index.available(), "pg_trgm must be installable in the store database"
    index.rebuild()
    yield index, SqlSearchQueries(classic)
    store.dispose()
    classic.dispose()
    drop_pg_database(name)


def test_pg_trgm_index_in_a_postgresql_store_agrees_with_plain_sql(pg_store_index):
    index, plain = pg_store_index
    with index.store.connect() as conn:
        assert conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
    for query in FIXED:
        assert answers(query, FromIndex(index, plain)) == answers(query, plain), query


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pg_trgm_index_agrees_on_generated_queries(pg_store_index, values5, data):
    index, plain = pg_store_index
    query = data.draw(st.one_of(name_queries(values5), number_queries(values5), ODD), label="query")
    assert answers(query, FromIndex(index, plain)) == answers(query, plain), query


def test_both_ways_to_find_candidates_are_used_and_agree(indexed5):
    """A rare word is read from the index hits; what no index can find (a two-digit phone needle:
    "0000012" is the number 12 after its zeros) by walking in name order."""
    index, plain = indexed5
    for query, plan in (("akesson", "index"), ("a@", "index"), ("0000012", "walk")):
        got = answers(query, FromIndex(index, plain))
        assert got == answers(query, plain)
        assert index.last_plan["person"] == plan, (query, index.last_plan)


def test_pg_names_are_found_by_their_length_keyed_pieces(pg_store_index):
    """PostgreSQL answers a query of names from the token index (length after length)."""
    index, plain = pg_store_index
    for query in ("an", "Anna Ström", "berg", "ab c"):
        assert answers(query, FromIndex(index, plain)) == answers(query, plain), query
        assert index.last_plan["company"] == "tokens", (query, index.last_plan)
    answers("08-123 45 67", FromIndex(index, plain))
    assert index.last_plan["person"] in ("index", "walk")  # a phone number: not a name


def test_query_tokens_are_pieces_of_the_words():
    assert query_tokens(("lundb",)) == ["lun", "und", "ndb"]
    assert query_tokens(("ab", "c", "abc")) == ["ab", "abc"]
    assert query_tokens(("a", "b")) == []
    many = query_tokens(("abcdefghijklmnop",))
    assert len(many) == MAX_TOKENS and many[0] == "abc" and many[-1] == "nop"


def _synthetic_companies(count: int) -> list[SimpleNamespace]:
    """Companies whose names hold "ab" and "lund" at every length from 0 to 60 (the token index's
    last bucket is 41 and more), with nick names and a few blank names."""
    rng = random.Random(7)
    rows = []
    for ident in range(1, count + 1):
        length = rng.choice([0, 1, 2, 3, 4, 5, 39, 40, 41, 42, 60, rng.randint(0, 60)])
        name = "".join(rng.choice("ablund xé-") for _ in range(length))
        nick = rng.choice([None, "", "Lund", "ab"])
        rows.append(SimpleNamespace(
            CompanyID=ident, Name=name, NickName=nick, Email=None, OrgNo=None, Phone=None, CustomerNo=None,
            SupplierNo=None, CompanyKind=1, IsCustomer=1, IsSupplier=0, ChangeNo=1))
    return rows


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def synthetic_index(request, tmp_path_factory):
    """An index of ``_synthetic_companies`` only (written directly), in a SQLite or PostgreSQL store."""
    name = f"crm_lite_synth_{os.getpid()}"
    if request.param == "sqlite":
        store = make_engine(f"sqlite:///{tmp_path_factory.mktemp('synthetic') / 'store.db'}", store=True)
    else:
        store = make_engine(create_pg_database(name), store=True)
    create_state_schema(store)
    index = SqlSearchIndex(store, store, small=0)
    assert index.available()
    source = SOURCES[search_uc.SOURCE_COMPANY]
    entries = [source.entry(r) for r in _synthetic_companies(3000)]
    with store.begin() as conn:
        index._insert(conn, source, entries)
    yield index, entries
    store.dispose()
    if request.param != "sqlite":
        drop_pg_database(name)


@pytest.mark.parametrize("query", ["ab", "lund", "und", "a b", "ab lund", "éa", "x-a", "bé", "nd-", "zzz", "lundlund"])
@pytest.mark.parametrize("limit", [1, 7, 60, 500])
def test_index_candidates_are_the_first_in_name_length_order_at_any_length(synthetic_index, query, limit):
    """The index returns exactly the first ``limit + 1`` entries holding every word, in (name_len,
    id) order — across the token index's length buckets (0 … 40, 41 and more) on PostgreSQL."""
    index, entries = synthetic_index
    criteria = search_uc.criteria_for(query, candidate_limit=limit)
    want = sorted((e["name_len"], e["company_id"]) for e in entries
                  if all(w in e["names"] for w in criteria.words))[:limit + 1]
    got = index.find_candidates(criteria, frozenset({search_uc.SOURCE_COMPANY})).companies
    assert [r.company_id for r in got] == [ident for _len, ident in want], (query, index.last_plan)
    if index.dialect == "postgresql" and query_tokens(criteria.words):
        assert index.last_plan["company"] == "tokens"


# --- kept current by the feed ---------------------------------------------------------------------------


@pytest.fixture
def live(kit, tmp_path):
    """A writable kit copy, its index (built) and the router, with a fixed clock."""
    classic = make_engine(writable_sqlite(kit, tmp_path / "classic"))
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}", store=True)
    create_state_schema(store)
    clock = FixedClock(NOW_UTC)
    index, feed, cursors = SqlSearchIndex(store, classic), PollingChangeFeed(classic), SqlFeedCursors(store)
    router = IndexedSearchQueries(index, SqlSearchQueries(classic), cursors, clock)

    class Live:
        pass

    env = Live()
    env.__dict__.update(classic=classic, store=store, clock=clock, index=index, feed=feed, cursors=cursors,
                        router=router, plain=SqlSearchQueries(classic))

    def follow():
        env.clock.advance(seconds=11)
        return follow_changes([index], feed=feed, cursors=cursors, clock=clock, time_zone=TZ, holder="test")

    env.follow = follow
    yield env
    classic.dispose()
    store.dispose()


def found_ids(query: str, queries, kind: str) -> list[int]:
    group = search_uc.search_everything(query, READER, queries=queries).group(kind)
    return [h.id for h in group.hits] if group else []


def test_router_uses_plain_sql_until_built_and_again_when_the_feed_stalls(live):
    search_uc.typeahead("test", READER, queries=live.router)
    assert live.router.answered_by == "sql"
    rebuild_search_index(index=live.index, feed=live.feed, cursors=live.cursors, clock=live.clock)
    live.clock.advance(seconds=3)  # past the router's 2 s status cache
    search_uc.typeahead("test", READER, queries=live.router)
    assert live.router.answered_by == "index"
    live.clock.advance(seconds=61)  # no poll for a minute: the index may be behind
    search_uc.typeahead("test", READER, queries=live.router)
    assert live.router.answered_by == "sql"
    live.follow()
    live.clock.advance(seconds=3)
    search_uc.typeahead("test", READER, queries=live.router)
    assert live.router.answered_by == "index"


def test_changes_made_in_classic_show_in_search_after_the_next_poll(live):
    rebuild_search_index(index=live.index, feed=live.feed, cursors=live.cursors, clock=live.clock)
    company = q(live.classic, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = :n', n="Zäta Zoo AB")[0][0]
    person = q(live.classic, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 0')[0][0]
    change_as_classic(live.classic, "tblCompany", "CompanyID", company, NOW_LOCAL, Name="Qwixotisk Zoo AB",
                      NickName=None)
    change_as_classic(live.classic, "tblPerson", "PersonID", person, NOW_LOCAL, Mobile="070-999 88 77")
    with live.classic.begin() as conn:
        conn.execute(sa.text('UPDATE "tblUser" SET "FullName" = :n WHERE "UserID" = 6'), {"n": "Karin Qwixotisk"})
        conn.execute(sa.text(
            'INSERT INTO "tblPerson" ("FirstName", "LastName", "Deleted", "CreatedAt", "ChangeNo") '
            "VALUES ('Nyfiken', 'Qwixotisk', 0, :at, 1)"), {"at": NOW_LOCAL})
    new_person = q(live.classic, 'SELECT MAX("PersonID") FROM "tblPerson"')[0][0]
    assert found_ids("qwixotisk", FromIndex(live.index, live.plain), "company") == []  # not polled yet
    report = live.follow()
    assert report.polled == ["search_index"], report
    idx = FromIndex(live.index, live.plain)
    assert found_ids("qwixotisk", idx, "company") == [company]
    assert found_ids("qwixotisk", idx, "contact") == [new_person]
    assert found_ids("qwixotisk", idx, "employee") == [6]
    assert found_ids("070-999 88 77", idx, "contact") == [person]
    assert found_ids("zäta zoo", idx, "company") == []
    for query in ("qwixotisk", "070-999 88 77", "zäta", "karin"):
        assert answers(query, idx) == answers(query, live.plain), query


def test_a_company_deleted_in_classic_leaves_the_index_after_the_next_poll(live):
    rebuild_search_index(index=live.index, feed=live.feed, cursors=live.cursors, clock=live.clock)
    company = q(live.classic, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = :n', n="Vallin AB")[0][0]
    idx = FromIndex(live.index, live.plain)
    assert company in found_ids("vallin", idx, "company")
    change_as_classic(live.classic, "tblCompany", "CompanyID", company, NOW_LOCAL, Deleted=1)
    live.follow()
    assert company not in found_ids("vallin", idx, "company")
    assert answers("vallin", idx) == answers("vallin", live.plain)
    change_as_classic(live.classic, "tblCompany", "CompanyID", company, NOW_LOCAL + timedelta(seconds=1), Deleted=0)
    live.follow()
    assert company in found_ids("vallin", idx, "company")


def test_index_rebuild_and_the_feed_change_nothing_in_the_classic_database(live):
    before = classic_checksum(live.classic)
    rebuild_search_index(index=live.index, feed=live.feed, cursors=live.cursors, clock=live.clock)
    live.follow()
    live.follow()
    search_uc.search_everything("test", READER, queries=live.router)
    assert classic_checksum(live.classic) == before


def test_a_change_in_classic_is_findable_within_30_seconds_with_the_real_poller(kit, tmp_path):
    """The wiring as a web worker has it: the poller thread (every 5 s) and the system clock."""
    url = writable_sqlite(kit, tmp_path / "classic")
    settings = Settings.for_tests(database_url=url, state_url=f"sqlite:///{tmp_path / 'state.db'}",
                                  file_store=str(kit.file_store))
    svc = build_services(settings, follow=True)
    try:
        assert svc.follower is not None
        rebuild_search_index(index=svc.search_index, feed=svc.feed, cursors=svc.feed_cursors, clock=svc.clock)
        company = q(svc.classic_engine, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = :n', n="Vallin AB")[0][0]
        now_local = datetime.now(ZoneInfo(TZ)).replace(tzinfo=None, microsecond=0)
        change_as_classic(svc.classic_engine, "tblCompany", "CompanyID", company, now_local,
                          Name="Xylofonbolaget Vallin AB")
        started = time.monotonic()
        while time.monotonic() - started < 30:
            hits = search_uc.typeahead("xylofonbolaget", READER, queries=svc.search)
            if hits.group("company"):
                break
            time.sleep(0.5)
        took = time.monotonic() - started
        assert hits.group("company") and hits.group("company").hits[0].id == company, took
        assert svc.search.answered_by == "index"
        assert took < 30
    finally:
        svc.close()


def test_an_index_search_costs_few_statements(indexed5):
    index, plain = indexed5
    seen = {"store": 0, "classic": 0}

    def counter(name):
        def on_execute(*_args):
            seen[name] += 1
        return on_execute

    handlers = [(index.store, counter("store")), (plain.engine, counter("classic"))]
    for engine, fn in handlers:
        sa.event.listen(engine, "before_cursor_execute", fn)
    try:
        for query in ("an", "anna ström", "08-123", "test"):
            seen.update(store=0, classic=0)
            search_uc.search_everything(query, READER, queries=FromIndex(index, plain))
            assert seen["store"] <= 6 and seen["classic"] <= 2, (query, seen)
    finally:
        for engine, fn in handlers:
            sa.event.remove(engine, "before_cursor_execute", fn)


def test_crm_lite_index_rebuild_command_shows_progress_and_builds(kit, tmp_path, monkeypatch, capsys):
    from config import cli

    state = tmp_path / "state.db"
    monkeypatch.setenv("CRM_LITE_DATABASE_URL", kit.app_url)
    monkeypatch.setenv("CRM_LITE_STATE_URL", f"sqlite:///{state}")
    monkeypatch.setenv("CRM_LITE_SECRET_KEY", "test")
    assert cli.main(["index", "rebuild"]) == 0
    out = capsys.readouterr()
    assert "Search index rebuilt:" in out.out and "100%" in out.err
    engine = sa.create_engine(f"sqlite:///{state}")
    live_companies = q(sa.create_engine(kit.load_url), 'SELECT COUNT(*) FROM "tblCompany" WHERE "Deleted" = 0')[0][0]
    assert q(engine, "SELECT COUNT(*) FROM search_company")[0][0] == live_companies
    assert q(engine, "SELECT name FROM feed_cursor")[0][0] == "search_index"
    assert cli.main(["index", "follow", "--once"]) == 0
    engine.dispose()
