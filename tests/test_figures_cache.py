"""The dashboard figures that are the same for everyone, cached in CRM Lite's store and refreshed by
the change feed (``facade/figures_cache.py``, ``adapters/sql/figures_cache.py``).

Expected figures are computed here from the kit's rows (README "Sales figures": a sale is an
invoice or credit note in status 2/3, not deleted, dated by InvoiceDate, worth
round(NetAmount × ExchangeRate, 2) in SEK), never by the code under test.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from adapters.clock import FixedClock
from adapters.sql.change_feed import PollingChangeFeed, SqlFeedCursors
from adapters.sql.dashboard import SqlDashboardQueries
from adapters.sql.engine import make_engine
from adapters.sql.figures_cache import SqlFiguresStore, SqlOwnSales
from adapters.sql.state import create_state_schema
from adapters.sql.users import SqlInstallationRepository
from facade.changes import follow_changes
from facade.dashboard import get_dashboard
from facade.figures_cache import SharedFigures, sales_key
from facade.model import User

from .conftest import make_app, sign_in
from .kit import NOW_LOCAL, NOW_UTC
from .test_change_feed import classic_checksum, q, writable_sqlite

ANNA = User(2, "anna", "Anna Lindqvist", rights=frozenset({"CRM_READ", "ORDER_READ"}))
TZ = "Europe/Stockholm"
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
MONTH = (date(2025, 6, 1), date(2025, 6, 30))
CENT = Decimal("0.01")


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def expected_sales(engine) -> dict:
    """Per SalesUserID (None = no seller): (this year, this month) in SEK, each sale rounded half-up."""
    out: dict = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in q(engine, 'SELECT "DocType", "Status", "Deleted", "InvoiceDate", "NetAmount", "ExchangeRate", '
                       '"SalesUserID" FROM "tblOrder"'):
        if r.DocType not in ("I", "C") or r.Status not in (2, 3) or r.Deleted != 0 or r.InvoiceDate is None:
            continue
        d = as_date(r.InvoiceDate)
        if not YEAR[0] <= d <= YEAR[1]:
            continue
        amount = (Decimal(str(r.NetAmount)) * Decimal(str(r.ExchangeRate))).quantize(CENT, ROUND_HALF_UP)
        out[r.SalesUserID][0] += amount
        if MONTH[0] <= d <= MONTH[1]:
            out[r.SalesUserID][1] += amount
    return out


def close(a: Decimal, b: Decimal) -> bool:
    return abs(Decimal(a) - Decimal(b)) <= Decimal("0.005")


class Env:
    """A writable kit copy, the store, the cache and the feed, all on a fixed clock."""

    def __init__(self, kit, tmp_path):
        self.classic = make_engine(writable_sqlite(kit, tmp_path / "classic"))
        self.store = make_engine(f"sqlite:///{tmp_path / 'store.db'}", store=True)
        create_state_schema(self.store)
        self.clock = FixedClock(NOW_UTC)
        self.queries = SqlDashboardQueries(self.classic)
        self.installation = SqlInstallationRepository(self.classic)
        self.figures = SharedFigures(SqlFiguresStore(self.store), self.queries, SqlOwnSales(self.classic),
                                     self.clock, lambda: TZ)
        self.feed, self.cursors = PollingChangeFeed(self.classic), SqlFeedCursors(self.store)

    def dashboard(self, user=ANNA, figures=True):
        return get_dashboard(user, queries=self.queries, installation=self.installation.get(), clock=self.clock,
                             figures=self.figures if figures else None)

    def follow(self):
        self.clock.advance(seconds=11)
        return follow_changes([self.figures], feed=self.feed, cursors=self.cursors, clock=self.clock,
                              time_zone=TZ, holder="test")

    def close(self):
        self.classic.dispose()
        self.store.dispose()


@pytest.fixture
def env(kit, tmp_path):
    e = Env(kit, tmp_path)
    yield e
    e.close()


def count_statements(engine, fn):
    seen: list[str] = []

    def on_execute(conn, cursor, statement, *_rest):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        result = fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
    return result, seen


def test_cached_figures_equal_the_kits_sales_and_the_live_computation(env):
    expected = expected_sales(env.classic)
    cached = env.dashboard()
    live = env.dashboard(figures=False)
    assert cached == live
    sellers = sorted(((uid, v[0]) for uid, v in expected.items() if uid is not None), key=lambda t: -t[1])[:10]
    assert [s.user_id for s in cached.top_sellers] == [uid for uid, _t in sellers]
    assert all(close(s.total, t) for s, (_u, t) in zip(cached.top_sellers, sellers))
    assert close(cached.sales_month.company, sum((v[1] for v in expected.values()), Decimal(0)))
    assert close(cached.sales_month.mine, expected[ANNA.user_id][1])


def test_the_year_is_summed_once_then_read_from_the_store(env):
    env.dashboard()  # the first request of the month computes and stores
    _dash, classic = count_statements(env.classic, env.dashboard)
    assert not [s for s in classic if "GROUP BY" in s and "tblOrder" in s], classic
    assert len([s for s in classic if "tblOrder" in s]) == 1  # the user's own figure: live
    assert env.figures.computed_by_request == 1
    stored = q(env.store, "SELECT key FROM figures_cache")
    assert [r[0] for r in stored] == [sales_key(YEAR[0], YEAR[1], MONTH[0], MONTH[1])]


def _an_invoice_this_month(engine, seller: int | None = None):
    sql = ('SELECT "OrderID", "NetAmount", "ExchangeRate", "SalesUserID" FROM "tblOrder" WHERE "DocType" = \'I\' '
           'AND "Status" IN (2, 3) AND "Deleted" = 0 AND "InvoiceDate" >= :f AND "InvoiceDate" <= :l')
    rows = [r for r in q(engine, sql, f=MONTH[0], l=MONTH[1]) if seller is None or r.SalesUserID == seller]
    return rows[0]


def test_an_invoice_changed_in_classic_shows_after_the_next_refresh_not_before(env):
    env.dashboard()
    before = env.dashboard().sales_month.company
    invoice = _an_invoice_this_month(env.classic)
    with env.classic.begin() as conn:  # as classic would: amounts, ChangedAt, ChangeNo + 1
        conn.execute(sa.text('UPDATE "tblOrder" SET "NetAmount" = "NetAmount" + 1000, "ChangedAt" = :s, '
                             '"ChangedBy" = 1, "ChangeNo" = "ChangeNo" + 1 WHERE "OrderID" = :o'),
                     {"s": NOW_LOCAL, "o": invoice.OrderID})
    assert env.dashboard().sales_month.company == before  # cached: not recomputed per request
    report = env.follow()  # starts the cursor: everything counts as changed once
    assert report.polled == ["figures"]
    expected = expected_sales(env.classic)
    after = env.dashboard().sales_month.company
    assert close(after, sum((v[1] for v in expected.values()), Decimal(0)))
    assert close(after - before, (Decimal(1000) * Decimal(str(invoice.ExchangeRate))).quantize(CENT, ROUND_HALF_UP))

    # With the cursor running: the year's biggest invoice deleted (soft) in classic.
    biggest = q(env.classic, 'SELECT "OrderID" FROM "tblOrder" WHERE "DocType" = \'I\' AND "Status" IN (2, 3) '
                             'AND "Deleted" = 0 AND "InvoiceDate" >= :f ORDER BY "NetAmount" DESC', f=YEAR[0])[0][0]
    with env.classic.begin() as conn:
        conn.execute(sa.text('UPDATE "tblOrder" SET "Deleted" = 1, "ChangedAt" = :s, "ChangeNo" = "ChangeNo" + 1 '
                             'WHERE "OrderID" = :o'), {"s": NOW_LOCAL + timedelta(seconds=5), "o": biggest})
    stale = env.dashboard().top_sellers
    assert env.follow().rows == {"figures": 1}
    expected = expected_sales(env.classic)
    fresh = env.dashboard().top_sellers
    assert fresh != stale
    assert all(close(s.total, expected[s.user_id][0]) for s in fresh)


def test_a_sellers_new_name_in_classic_is_in_the_top_list_after_the_next_refresh(env):
    env.follow()
    top = env.dashboard().top_sellers[0]
    with env.classic.begin() as conn:  # tblUser has no audit columns: found by the chunk digests
        conn.execute(sa.text('UPDATE "tblUser" SET "FullName" = :n WHERE "UserID" = :u'),
                     {"n": "Nytt Namn Säljare", "u": top.user_id})
    assert env.dashboard().top_sellers[0].full_name == top.full_name
    env.follow()
    assert env.dashboard().top_sellers[0].full_name == "Nytt Namn Säljare"


def test_the_users_own_figure_stays_live(env):
    env.dashboard()
    invoice = _an_invoice_this_month(env.classic, seller=ANNA.user_id)
    before = env.dashboard().sales_month.mine
    with env.classic.begin() as conn:
        conn.execute(sa.text('UPDATE "tblOrder" SET "NetAmount" = "NetAmount" + 500, "ChangedAt" = :s, '
                             '"ChangeNo" = "ChangeNo" + 1 WHERE "OrderID" = :o'), {"s": NOW_LOCAL, "o": invoice.OrderID})
    mine = env.dashboard().sales_month.mine  # no refresh needed
    assert close(mine - before, (Decimal(500) * Decimal(str(invoice.ExchangeRate))).quantize(CENT, ROUND_HALF_UP))
    assert close(mine, expected_sales(env.classic)[ANNA.user_id][1])


def test_the_period_is_the_installations_local_month(env):
    # 2025-06-30 22:30 UTC is already 1 July 00:30 in Stockholm: a new month, a new key.
    env.clock.moment = datetime(2025, 6, 30, 22, 30, tzinfo=UTC)
    dash = env.dashboard()
    assert (dash.sales_month.first, dash.sales_month.last) == (date(2025, 7, 1), date(2025, 7, 31))
    keys = [r[0] for r in q(env.store, "SELECT key FROM figures_cache")]
    assert keys == [sales_key(YEAR[0], YEAR[1], date(2025, 7, 1), date(2025, 7, 31))]
    env.figures.refresh()  # the poller computes the same key
    assert [r[0] for r in q(env.store, "SELECT key FROM figures_cache")] == keys


def test_the_poller_refreshes_on_a_timer_even_without_changes(env):
    env.follow()
    first = q(env.store, "SELECT computed_utc FROM figures_cache")[0][0]
    assert env.follow().rows == {"figures": 0}  # nothing changed, 11 s later
    env.clock.advance(minutes=10)
    assert env.follow().rows == {"figures": 1}
    assert q(env.store, "SELECT computed_utc FROM figures_cache")[0][0] > first


def test_refreshing_changes_nothing_in_the_classic_database(env):
    before = classic_checksum(env.classic)
    env.dashboard()
    env.follow()
    env.clock.advance(minutes=11)
    env.follow()
    assert classic_checksum(env.classic) == before


def test_the_dashboard_page_reads_the_shared_figures_from_the_cache(kit, tmp_path):
    app = make_app(kit, tmp_path)
    try:
        client = app.test_client()
        assert sign_in(client, "anna").status_code == 302
        assert client.get("/").status_code == 200  # first view of the month: computed once
        svc = app.extensions["crm_lite"]
        response, statements = count_statements(svc.classic_engine, lambda: client.get("/"))
        assert response.status_code == 200
        assert not [s for s in statements if "GROUP BY" in s], statements
        assert len(statements) <= 7, statements
        assert svc.figures.computed_by_request == 1
    finally:
        app.extensions["crm_lite"].close()
