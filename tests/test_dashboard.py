"""The dashboard (start page ``/`` and ``GET /api/v1/dashboard``).

Every expected figure is computed here from raw rows of the kit database (independent SQL that
only selects columns, then Python filtering and Decimal arithmetic by the kit's rules in
README "Sales figures"), never by the code under test. The engine tier (``kit_any``) runs the
code on SQLite, PostgreSQL and MariaDB and compares with the figures computed from the SQLite
sample (all three hold the same rows). A "messy" SQLite copy adds rows the sample lacks today:
deleted appointments, an appointment of a soft-deleted company, a newest company named with
HTML, a soft-deleted newest company, an inactive seller's invoice, a deleted invoice, pipeline
rows in a currency without rate and with NULL probability.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency

from adapters.clock import FixedClock
from adapters.sql.dashboard import SqlDashboardQueries
from adapters.sql.engine import make_engine
from adapters.sql.users import SqlInstallationRepository, SqlUserRepository
from config.settings import Settings
from config.wiring import build_services
from facade.dashboard import OpenOpportunity, get_dashboard, pipeline_summary
from facade.errors import Forbidden
from facade.model import Installation, User
from facade.periods import Period
from views import create_app

from .conftest import make_app, sign_in
from .kit import NOW_LOCAL, NOW_UTC, TODAY, KitDatabase

ANNA, ERIK, MARTE, LARS, KARIN, OLLE = 2, 3, 4, 5, 6, 7
CENT = Decimal("0.01")
TOL = Decimal("0.01")

DAY_START = datetime.combine(TODAY, datetime.min.time())
DAY_END = DAY_START + timedelta(days=1)
YEAR = (date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
MONTH = (date(2025, 6, 1), date(2025, 6, 30))
QUARTER = (date(2025, 4, 1), date(2025, 6, 30))


# --- independent figures (raw rows + Python) ---------------------------------------------------


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value, places: int) -> Decimal:
    """A stored number as the exact decimal it was written as (SQLite keeps money as REAL)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def as_dt(value) -> datetime | None:
    return value if value is None or isinstance(value, datetime) else datetime.fromisoformat(str(value))


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def expected_meeting_ids(engine, user_id: int) -> list[int]:
    """Appointments of ``user_id`` (owner or participant) overlapping today, live company or none."""
    participants = defaultdict(set)
    for r in rows(engine, 'SELECT "ActivityID", "UserID" FROM "tblActivityUser"'):
        participants[r.ActivityID].add(r.UserID)
    company_deleted = {r.CompanyID: r.Deleted for r in rows(engine, 'SELECT "CompanyID", "Deleted" FROM "tblCompany"')}
    found = []
    for r in rows(engine, 'SELECT "ActivityID", "ActType", "StartAt", "EndAt", "OwnerUserID", "CompanyID", '
                          '"Deleted" FROM "tblActivity"'):
        if r.ActType != 2 or r.Deleted != 0:
            continue
        if r.CompanyID is not None and company_deleted[r.CompanyID] != 0:
            continue
        if r.OwnerUserID != user_id and user_id not in participants[r.ActivityID]:
            continue
        start, end = as_dt(r.StartAt), as_dt(r.EndAt)
        if start < DAY_END and end > DAY_START:
            found.append((start, r.ActivityID))
    return [activity_id for _start, activity_id in sorted(found)]


def expected_tasks(engine, user_id: int) -> tuple[list[tuple[int, bool]], bool]:
    """(ActivityID, overdue) of the open tasks of owner ``user_id`` due by tonight, live company or
    none: all of today's and the latest overdue ones, at most 10, in due order."""
    company_deleted = {r.CompanyID: r.Deleted for r in rows(engine, 'SELECT "CompanyID", "Deleted" FROM "tblCompany"')}
    found = []
    for r in rows(engine, 'SELECT "ActivityID", "ActType", "DueAt", "Done", "OwnerUserID", "CompanyID", "Deleted" '
                          'FROM "tblActivity"'):
        if r.ActType != 1 or r.Done != 0 or r.Deleted != 0 or r.OwnerUserID != user_id:
            continue
        if r.CompanyID is not None and company_deleted[r.CompanyID] != 0:
            continue
        due = as_dt(r.DueAt)
        if due < DAY_END:
            found.append((due, r.ActivityID))
    found.sort()
    return [(activity_id, due < DAY_START) for due, activity_id in found[-10:]], len(found) > 10


def expected_newest_companies(engine, limit: int = 10) -> list[tuple[int, str, str | None]]:
    """(CompanyID, Name, city of the postal address else visiting) of the newest live companies."""
    live = [(as_dt(r.CreatedAt), r.CompanyID, r.Name) for r in
            rows(engine, 'SELECT "CompanyID", "Name", "CreatedAt", "Deleted" FROM "tblCompany"') if r.Deleted == 0]
    live.sort(reverse=True)
    cities: dict[tuple[int, int], str] = {}
    for r in rows(engine, 'SELECT "CompanyID", "AddrType", "City" FROM "tblAddress" WHERE "CompanyID" IS NOT NULL'):
        if r.City and r.City.strip():
            cities[(r.CompanyID, r.AddrType)] = r.City.strip()
    return [(cid, name.strip(), cities.get((cid, 1)) or cities.get((cid, 2))) for _c, cid, name in live[:limit]]


def expected_sales(engine) -> dict[int | None, dict[str, Decimal]]:
    """Per SalesUserID (None = no seller): this year's and this month's sales in SEK."""
    out: dict[int | None, dict[str, Decimal]] = defaultdict(lambda: {"year": Decimal(0), "month": Decimal(0)})
    for r in rows(engine, 'SELECT "DocType", "Status", "Deleted", "InvoiceDate", "NetAmount", "ExchangeRate", '
                          '"SalesUserID" FROM "tblOrder"'):
        if r.DocType not in ("I", "C") or r.Status not in (2, 3) or r.Deleted != 0:
            continue
        d = as_date(r.InvoiceDate)
        if not (YEAR[0] <= d <= YEAR[1]):
            continue
        sek = half_up(dec(r.NetAmount, 4) * dec(r.ExchangeRate, 6))
        out[r.SalesUserID]["year"] += sek
        if MONTH[0] <= d <= MONTH[1]:
            out[r.SalesUserID]["month"] += sek
    return out


def expected_top_sellers(engine) -> list[tuple[int, Decimal]]:
    names = {r.UserID: r.FullName for r in rows(engine, 'SELECT "UserID", "FullName" FROM "tblUser"')}
    sellers = [(uid, v["year"]) for uid, v in expected_sales(engine).items() if uid is not None]
    sellers.sort(key=lambda s: (-s[1], names[s[0]].casefold(), s[0]))
    return sellers[:10]


def kit_rates(engine) -> dict[str, Decimal]:
    rates = {"SEK": Decimal(1)}
    for r in rows(engine, 'SELECT "SettingKey", "SettingValue" FROM "tblSetting"'):
        if r.SettingKey.startswith("Rate."):
            rates[r.SettingKey[5:].upper()] = Decimal(r.SettingValue.strip())
    return rates


def expected_pipeline(engine, user_id: int, first: date, last: date) -> dict:
    """Open opportunities of ``user_id`` closing in [first, last] on a live company: count, SEK
    value and weighted value, each opportunity rounded half-up to 2 decimals, then summed."""
    rates = kit_rates(engine)
    company_deleted = {r.CompanyID: r.Deleted for r in rows(engine, 'SELECT "CompanyID", "Deleted" FROM "tblCompany"')}
    out = {"count": 0, "total": Decimal(0), "weighted": Decimal(0), "unconverted": 0, "ids": []}
    for r in rows(engine, 'SELECT "OppID", "CompanyID", "OwnerUserID", "Amount", "Currency", "Probability", '
                          '"CloseDate", "Stage", "Deleted" FROM "tblSalesOpp"'):
        close = as_date(r.CloseDate)
        if (r.OwnerUserID != user_id or r.Stage not in (1, 2, 3, 4) or r.Deleted != 0
                or company_deleted[r.CompanyID] != 0 or close is None or not first <= close <= last):
            continue
        out["count"] += 1
        out["ids"].append(r.OppID)
        rate = rates.get((r.Currency or "SEK").strip().upper())
        if rate is None:
            out["unconverted"] += 1
            continue
        exact = dec(r.Amount, 4) * rate
        out["total"] += half_up(exact)
        out["weighted"] += half_up(exact * (r.Probability or 0) / 100)
    return out


# --- running the code under test ---------------------------------------------------------------


def dashboard_for(url: str, user_id: int, now_utc: datetime = NOW_UTC):
    """``get_dashboard`` through the real SQL adapters on ``url``."""
    engine = make_engine(url)
    try:
        user = SqlUserRepository(engine).get_user(user_id)
        return get_dashboard(user, queries=SqlDashboardQueries(engine),
                             installation=SqlInstallationRepository(engine).get(), clock=FixedClock(now_utc))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def dash_any(kit_any):
    """The dashboards of anna, erik, marte and lars on each engine (computed once per engine)."""
    return {uid: dashboard_for(kit_any.app_url, uid) for uid in (ANNA, ERIK, MARTE, LARS)}


def close(a: Decimal, b: Decimal) -> bool:
    return abs(Decimal(a) - Decimal(b)) <= TOL


# --- meetings -----------------------------------------------------------------------------------


@pytest.mark.engines
@pytest.mark.parametrize("user_id", [ANNA, ERIK, MARTE, LARS])
def test_todays_meetings_are_the_appointments_overlapping_today_as_owner_or_participant(
        dash_any, kit_sql, user_id):
    expected = expected_meeting_ids(kit_sql, user_id)
    assert expected, "the sample gives every seller meetings today"
    assert [m.activity_id for m in dash_any[user_id].meetings] == expected


@pytest.mark.engines
def test_annas_meetings_include_0030_today_and_2330_to_0030_tomorrow(dash_any, kit_sql):
    ids = {r.ActivityID: (as_dt(r.StartAt), as_dt(r.EndAt)) for r in rows(
        kit_sql, 'SELECT "ActivityID", "StartAt", "EndAt" FROM "tblActivity" WHERE "ActType" = 2 AND "OwnerUserID" = 2')}
    early = [a for a, (s, _e) in ids.items() if s == datetime(2025, 6, 16, 0, 30)]
    late = [a for a, (s, e) in ids.items() if s == datetime(2025, 6, 16, 23, 30) and e == datetime(2025, 6, 17, 0, 30)]
    assert early and late
    shown = {m.activity_id: m for m in dash_any[ANNA].meetings}
    assert early[0] in shown and late[0] in shown
    assert shown[late[0]].ends_after_day and not shown[late[0]].starts_before_day
    assert not shown[early[0]].ends_after_day


@pytest.mark.engines
def test_martes_night_shift_from_2200_yesterday_to_0200_today_is_on_today(dash_any, kit_sql):
    night = rows(kit_sql, 'SELECT "ActivityID" FROM "tblActivity" WHERE "ActType" = 2 AND "OwnerUserID" = 4 '
                          'AND "StartAt" = \'2025-06-15 22:00:00\' AND "EndAt" = \'2025-06-16 02:00:00\'')
    assert len(night) == 1
    shown = {m.activity_id: m for m in dash_any[MARTE].meetings}
    assert night[0].ActivityID in shown
    assert shown[night[0].ActivityID].starts_before_day


@pytest.mark.engines
def test_eriks_meeting_at_0030_tomorrow_is_not_today(dash_any, kit_sql):
    tomorrow = rows(kit_sql, 'SELECT "ActivityID" FROM "tblActivity" WHERE "ActType" = 2 AND "OwnerUserID" = 3 '
                             'AND "StartAt" = \'2025-06-17 00:30:00\'')
    assert len(tomorrow) == 1
    assert tomorrow[0].ActivityID not in {m.activity_id for m in dash_any[ERIK].meetings}


@pytest.mark.engines
def test_meetings_where_the_user_is_a_participant_show_with_the_organiser(dash_any, kit_sql):
    participant_today = {r.ActivityID: r.OwnerName for r in rows(
        kit_sql, 'SELECT a."ActivityID", u."FullName" AS "OwnerName" FROM "tblActivityUser" au '
                 'JOIN "tblActivity" a ON a."ActivityID" = au."ActivityID" '
                 'JOIN "tblUser" u ON u."UserID" = a."OwnerUserID" '
                 'WHERE au."UserID" = 2 AND a."ActType" = 2 AND a."Deleted" = 0 '
                 'AND a."StartAt" < \'2025-06-17 00:00:00\' AND a."EndAt" > \'2025-06-16 00:00:00\'')}
    assert participant_today, "the sample has meetings today where anna is a participant"
    shown = {m.activity_id: m for m in dash_any[ANNA].meetings}
    for activity_id, owner_name in participant_today.items():
        assert activity_id in shown
        assert not shown[activity_id].is_owner
        assert shown[activity_id].owner_name == owner_name.strip()


@pytest.mark.engines
@pytest.mark.parametrize("user_id", [ANNA, MARTE])
def test_tasks_due_today_and_the_latest_overdue_ones_in_due_order(dash_any, kit_sql, user_id):
    expected, more = expected_tasks(kit_sql, user_id)
    got = dash_any[user_id].tasks
    assert [(t.activity_id, t.overdue) for t in got] == expected
    assert dash_any[user_id].tasks_more == more
    assert any(o for _a, o in expected) and not all(o for _a, o in expected)


def test_years_old_overdue_tasks_do_not_push_todays_off_the_list(kit, kit_sql):
    _expected, more = expected_tasks(kit_sql, MARTE)
    assert more, "the sample gives marte more than 10 open tasks due by today"
    todays = [r.ActivityID for r in rows(
        kit_sql, 'SELECT "ActivityID" FROM "tblActivity" WHERE "ActType" = 1 AND "Done" = 0 AND "Deleted" = 0 '
                 'AND "OwnerUserID" = 4 AND "DueAt" >= \'2025-06-16 00:00:00\' AND "DueAt" < \'2025-06-17 00:00:00\'')]
    assert todays
    shown = [t.activity_id for t in dashboard_for(kit.app_url, MARTE).tasks]
    assert set(todays) <= set(shown)


# --- newest companies ---------------------------------------------------------------------------


@pytest.mark.engines
def test_newest_companies_are_the_ten_last_registered_live_ones_with_their_city(dash_any, kit_sql):
    expected = expected_newest_companies(kit_sql)
    got = [(c.company_id, c.name, c.city) for c in dash_any[ANNA].newest_companies]
    assert [g[0] for g in got] == [e[0] for e in expected]
    # MariaDB compares names case-insensitively but returns them as stored
    assert got == expected


# --- sales --------------------------------------------------------------------------------------


@pytest.mark.engines
def test_top_sellers_this_year_are_the_sums_per_seller_in_sek(dash_any, kit_sql):
    expected = expected_top_sellers(kit_sql)
    got = dash_any[ANNA].top_sellers
    assert [s.user_id for s in got] == [uid for uid, _total in expected]
    for s, (_uid, total) in zip(got, expected):
        assert close(s.total, total), (s, total)
        assert s.total == s.total.quantize(CENT)


@pytest.mark.engines
@pytest.mark.parametrize("user_id", [ANNA, ERIK, MARTE, LARS])
def test_sales_this_month_mine_and_the_whole_companys(dash_any, kit_sql, user_id):
    sales = expected_sales(kit_sql)
    company = sum((v["month"] for v in sales.values()), Decimal(0))
    mine = sales[user_id]["month"] if user_id in sales else Decimal(0)
    got = dash_any[user_id].sales_month
    assert (got.first, got.last) == MONTH
    assert close(got.mine, mine) and close(got.company, company)
    assert company > 0


def test_sales_without_seller_count_for_the_company_but_for_nobody(kit, kit_sql):
    sales = expected_sales(kit_sql)
    assert None in sales, "the sample has sales without a seller this year"
    dash = dashboard_for(kit.app_url, ANNA)
    assert None not in {s.user_id for s in dash.top_sellers}
    with_seller = sum((v["month"] for k, v in sales.items() if k is not None), Decimal(0))
    assert close(dash.sales_month.company, with_seller + sales[None]["month"])


# --- pipeline -----------------------------------------------------------------------------------


@pytest.mark.engines
@pytest.mark.parametrize("user_id", [ANNA, ERIK, MARTE, LARS])
def test_pipeline_this_month_and_quarter_count_sum_and_weighted(dash_any, kit_sql, user_id):
    dash = dash_any[user_id]
    for got, (first, last) in ((dash.pipeline_month, MONTH), (dash.pipeline_quarter, QUARTER)):
        expected = expected_pipeline(kit_sql, user_id, first, last)
        assert (got.first, got.last) == (first, last)
        assert got.count == expected["count"]
        assert close(got.total, expected["total"]) and close(got.weighted, expected["weighted"])
        assert got.unconverted == expected["unconverted"] == 0


def test_annas_pipeline_holds_the_100000_sek_and_10000_eur_proposals_closing_this_month(kit, kit_sql):
    rate_eur = kit_rates(kit_sql)["EUR"]
    sample = rows(kit_sql, 'SELECT "OppID", "Amount", "Currency", "Probability" FROM "tblSalesOpp" '
                           'WHERE "OwnerUserID" = 2 AND "Stage" = 3 AND "Deleted" = 0 '
                           'AND "CloseDate" BETWEEN \'2025-06-01\' AND \'2025-06-30\'')
    sek = [r for r in sample if r.Currency == "SEK" and dec(r.Amount, 4) == 100000]
    eur = [r for r in sample if r.Currency == "EUR" and dec(r.Amount, 4) == 10000]
    assert sek and eur
    expected = expected_pipeline(kit_sql, ANNA, *MONTH)
    assert sek[0].OppID in expected["ids"] and eur[0].OppID in expected["ids"]
    dash = dashboard_for(kit.app_url, ANNA)
    assert dash.pipeline_month.total >= Decimal(100000) + half_up(Decimal(10000) * rate_eur)
    assert close(dash.pipeline_month.total, expected["total"])


def test_open_opportunity_of_a_soft_deleted_company_is_not_in_the_pipeline(messy, messy_sql):
    on_deleted = rows(messy_sql, 'SELECT o."OppID" FROM "tblSalesOpp" o JOIN "tblCompany" c '
                                 'ON c."CompanyID" = o."CompanyID" WHERE c."Deleted" = 1 AND o."OwnerUserID" = 2 '
                                 'AND o."Stage" BETWEEN 1 AND 4 AND o."Deleted" = 0 '
                                 'AND o."CloseDate" = \'2025-06-20\'')
    assert on_deleted, "the messy copy moves it into this month"
    dash = dashboard_for(messy.app_url, ANNA)
    expected = expected_pipeline(messy_sql, ANNA, *MONTH)
    assert on_deleted[0].OppID not in expected["ids"]
    assert dash.pipeline_month.count == expected["count"]
    assert close(dash.pipeline_month.total, expected["total"])
    assert close(dash.pipeline_month.weighted, expected["weighted"])


def test_opportunity_without_rate_is_counted_but_not_valued_and_null_probability_weighs_zero(messy, messy_sql):
    expected = expected_pipeline(messy_sql, ANNA, *MONTH)
    assert expected["unconverted"] == 1
    dash = dashboard_for(messy.app_url, ANNA)
    assert dash.pipeline_month.unconverted == 1
    assert dash.pipeline_month.count == expected["count"]
    assert close(dash.pipeline_month.weighted, expected["weighted"])


def test_pipeline_rounds_each_opportunity_half_up_then_sums():
    inst = Installation(rates={"EUR": Decimal("11.2738")})
    month = Period(date(2025, 6, 1), date(2025, 6, 30))
    opps = [
        # 0.005 × 1 → 0.01 each (half-up): summed after rounding = 0.03, not round(0.015) = 0.02
        OpenOpportunity(1, Decimal("0.005"), "SEK", 100, date(2025, 6, 2), 3),
        OpenOpportunity(2, Decimal("0.005"), "sek ", 100, date(2025, 6, 3), 3),
        OpenOpportunity(3, Decimal("0.005"), None, 100, date(2025, 6, 4), 3),
        OpenOpportunity(4, Decimal(10), "EUR", None, date(2025, 6, 5), 2),
        OpenOpportunity(5, Decimal(99), "USD", 50, date(2025, 6, 6), 1),
        OpenOpportunity(6, Decimal(1000), "SEK", 50, date(2025, 7, 1), 1),  # next month
    ]
    s = pipeline_summary(opps, month, inst)
    assert s.count == 5 and s.unconverted == 1
    assert s.total == Decimal("0.03") + Decimal("112.74")
    assert s.weighted == Decimal("0.03")


# --- soft delete --------------------------------------------------------------------------------


def test_deleted_appointments_and_those_of_deleted_companies_are_hidden(messy, messy_sql):
    hidden = rows(messy_sql, 'SELECT "ActivityID", "Subject" FROM "tblActivity" WHERE "Subject" LIKE \'TEST dolt%\'')
    assert len(hidden) == 2
    dash = dashboard_for(messy.app_url, ANNA)
    shown = [m.activity_id for m in dash.meetings]
    assert shown == expected_meeting_ids(messy_sql, ANNA)
    assert not {h.ActivityID for h in hidden} & set(shown)


def test_soft_deleted_newest_company_is_hidden_and_html_named_one_listed(messy, messy_sql):
    dash = dashboard_for(messy.app_url, ANNA)
    expected = expected_newest_companies(messy_sql)
    assert [(c.company_id, c.name, c.city) for c in dash.newest_companies] == expected
    names = [c.name for c in dash.newest_companies]
    assert names[0] == "<img src=x onerror=alert('name')> AB"
    assert "TEST Raderad Nyhet AB" not in names


def test_deleted_invoice_is_not_a_sale_and_inactive_seller_still_counts(messy, messy_sql):
    dash = dashboard_for(messy.app_url, ANNA)
    expected = expected_top_sellers(messy_sql)
    assert OLLE in [uid for uid, _t in expected]
    assert [s.user_id for s in dash.top_sellers] == [uid for uid, _t in expected]
    for s, (_uid, total) in zip(dash.top_sellers, expected):
        assert close(s.total, total)
    olle = next(s for s in dash.top_sellers if s.user_id == OLLE)
    assert not olle.active
    assert olle.total == dict(expected)[OLLE]  # one invoice: exact, the half cent rounded up
    # The deleted invoice of erik (999 999 kr) is not in his total
    erik = next(s for s in dash.top_sellers if s.user_id == ERIK)
    assert erik.total < Decimal(999999)


# --- time zone ----------------------------------------------------------------------------------


def app_at(db: KitDatabase, tmp_path, now_utc: datetime):
    settings = Settings.for_tests(database_url=db.app_url, state_url=f"sqlite:///{tmp_path / 'state-tz.db'}",
                                  file_store=str(db.file_store), login_rate_limit="1000 per minute")
    return create_app(settings, build_services(settings, clock=FixedClock(now_utc)))


def test_today_is_the_installations_day_not_the_servers(kit, kit_sql, tmp_path):
    # 22:30 UTC on the 15th is 00:30 on the 16th in Stockholm (summer time, UTC+2)
    app = app_at(kit, tmp_path, datetime(2025, 6, 15, 22, 30, tzinfo=UTC))
    try:
        client = app.test_client()
        assert sign_in(client, "anna").status_code == 302
        body = client.get("/api/v1/dashboard").get_json()
        assert body["today"] == "2025-06-16"
        assert body["now"] == "2025-06-16T00:30:00"
        ids = [m["activity_id"] for m in body["meetings"]]
        assert ids == expected_meeting_ids(kit_sql, ANNA)
        html = client.get("/").get_data(as_text=True)
        assert '<time datetime="2025-06-16">' in html
    finally:
        app.extensions["crm_lite"].close()


def test_time_zone_comes_from_tbl_setting(tmp_path, kit):
    """With ``TimeZone`` = America/New_York, 02:30 UTC on the 16th is still the 15th there."""
    db = copy_kit(kit, tmp_path / "ny")
    engine = sa.create_engine(db.load_url)
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE "tblSetting" SET "SettingValue" = \'America/New_York\' '
                             'WHERE "SettingKey" = \'TimeZone\''))
    engine.dispose()
    dash = dashboard_for(db.app_url, ANNA, datetime(2025, 6, 16, 2, 30, tzinfo=UTC))
    assert dash.today == date(2025, 6, 15)
    assert dash.now == datetime(2025, 6, 15, 22, 30)
    assert (dash.pipeline_month.first, dash.year_first) == (date(2025, 6, 1), date(2025, 1, 1))


# --- rights -------------------------------------------------------------------------------------


def test_sales_figures_need_order_read(kit):
    karin = dashboard_for(kit.app_url, KARIN)
    assert karin.top_sellers is None and karin.sales_month is None
    assert karin.newest_companies  # the CRM boxes still show


def test_dashboard_needs_crm_read(kit):
    engine = make_engine(kit.app_url)
    try:
        per = User(8, "per", "Per Lagerström", rights=frozenset({"ORDER_READ"}))
        with pytest.raises(Forbidden):
            get_dashboard(per, queries=SqlDashboardQueries(engine),
                          installation=SqlInstallationRepository(engine).get(), clock=FixedClock(NOW_UTC))
    finally:
        engine.dispose()


def test_karins_page_has_no_sales_boxes(client):
    assert sign_in(client, "karin").status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert 'id="top-sellers"' not in html and 'id="kpi-sales-mine"' not in html
    assert 'id="newest-companies"' in html and 'id="kpi-pipeline-month"' in html
    assert client.get("/api/v1/dashboard").get_json()["top_sellers"] is None


# --- the page and the API -----------------------------------------------------------------------


def sv_money(value: Decimal) -> str:
    return format_currency(half_up(value), "SEK", locale="sv")


def test_page_shows_the_figures_the_swedish_way(anna, kit_sql):
    html = anna.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    sales = expected_sales(kit_sql)
    company = sum((v["month"] for v in sales.values()), Decimal(0))
    pipeline = expected_pipeline(kit_sql, ANNA, *MONTH)
    figures = [company, sales[ANNA]["month"], pipeline["total"], pipeline["weighted"]]
    figures += [total for _uid, total in expected_top_sellers(kit_sql)]
    for value in figures:
        text = sv_money(value)
        assert re.fullmatch(r"-?\d{1,3}(\u00a0\d{3})*,\d\d\u00a0kr", text), text
        assert text in html, text
    for uid, _total in expected_top_sellers(kit_sql):
        assert f'href="/employees/{uid}"' in html


def test_page_lists_meetings_with_company_links_and_marks_the_one_ending_tomorrow(anna, kit_sql):
    html = anna.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    meeting_ids = set(expected_meeting_ids(kit_sql, ANNA))
    companies = {r.CompanyID for r in rows(kit_sql, 'SELECT "ActivityID", "CompanyID" FROM "tblActivity"')
                 if r.ActivityID in meeting_ids and r.CompanyID is not None}
    assert companies
    for company_id in companies:
        assert f'href="/companies/{company_id}"' in html
    assert '<time datetime="2025-06-17T00:30">' in html
    assert re.search(r'class="badge badge-warn">[^<]*2025-06-17</span>', html)


def test_html_in_company_names_is_shown_as_text(messy, tmp_path):
    app = make_app(messy, tmp_path)
    try:
        client = app.test_client()
        assert sign_in(client, "anna").status_code == 302
        html = client.get("/").get_data(as_text=True)
        assert "&lt;img src=x onerror=alert(&#39;name&#39;)&gt; AB" in html
        assert "<img src=x" not in html
        assert "TEST Raderad Nyhet AB" not in html
        assert "TEST dolt" not in html
    finally:
        app.extensions["crm_lite"].close()


def test_api_returns_the_same_numbers_as_strings(anna, kit_sql):
    body = anna.get("/api/v1/dashboard").get_json()
    sales = expected_sales(kit_sql)
    company = sum((v["month"] for v in sales.values()), Decimal(0))
    assert body["base_currency"] == "SEK" and body["today"] == TODAY.isoformat()
    assert isinstance(body["sales_month"]["company"], str)
    assert body["sales_month"]["company"] == str(half_up(company))
    assert body["sales_month"]["mine"] == str(half_up(sales[ANNA]["month"]))
    for pipeline, (first, last) in ((body["pipeline_month"], MONTH), (body["pipeline_quarter"], QUARTER)):
        expected = expected_pipeline(kit_sql, ANNA, first, last)
        assert pipeline["count"] == expected["count"]
        assert pipeline["total"] == str(half_up(expected["total"]))
        assert pipeline["weighted"] == str(half_up(expected["weighted"]))
    assert [(s["user_id"], s["total"]) for s in body["top_sellers"]] == [
        (uid, str(half_up(total))) for uid, total in expected_top_sellers(kit_sql)]
    assert [m["activity_id"] for m in body["meetings"]] == expected_meeting_ids(kit_sql, ANNA)
    assert [c["company_id"] for c in body["newest_companies"]] == [c[0] for c in expected_newest_companies(kit_sql)]


def test_api_dashboard_is_in_the_openapi_document(anna):
    doc = anna.get("/api/v1/openapi.json").get_json()
    assert "/dashboard" in doc["paths"]
    assert "Dashboard" in doc["components"]["schemas"]
    from openapi_spec_validator import validate

    validate(doc)


def test_page_needs_sign_in(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/api/v1/dashboard").status_code == 401


def test_page_has_no_inline_styles_or_scripts(anna):
    html = anna.get("/").get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", html)


def test_empty_states_show_when_nothing_to_show(tmp_path, kit):
    """A day without meetings, sales or pipeline: every box says so."""
    db = copy_kit(kit, tmp_path / "empty")
    engine = sa.create_engine(db.load_url)
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE "tblActivity" SET "Deleted" = 1'))
        conn.execute(sa.text('UPDATE "tblOrder" SET "Deleted" = 1'))
        conn.execute(sa.text('UPDATE "tblSalesOpp" SET "Deleted" = 1'))
        conn.execute(sa.text('UPDATE "tblCompany" SET "Deleted" = 1'))
    engine.dispose()
    app = make_app(db, tmp_path)
    try:
        client = app.test_client()
        assert sign_in(client, "anna").status_code == 302
        client.set_cookie("crm_lite_lang", "en")
        html = client.get("/").get_data(as_text=True)
        for text in ("No meetings today.", "No open tasks due today or overdue.", "No sales this year yet.",
                     "No companies yet.", "No open opportunities close in this period."):
            assert text in html
        assert sv_money(Decimal(0)) not in html  # English page
        assert "SEK" in html
    finally:
        app.extensions["crm_lite"].close()


# --- cost ---------------------------------------------------------------------------------------


def count_queries(app, client, path: str) -> tuple[int, int, list[str]]:
    svc = app.extensions["crm_lite"]
    seen = {"classic": [], "state": []}

    def listener(name):
        def _on(conn, cursor, statement, parameters, context, executemany):
            seen[name].append(statement)
        return _on

    handlers = [(svc.classic_engine, listener("classic")), (svc.state_engine, listener("state"))]
    for engine, fn in handlers:
        sa.event.listen(engine, "before_cursor_execute", fn)
    try:
        assert client.get(path).status_code == 200
    finally:
        for engine, fn in handlers:
            sa.event.remove(engine, "before_cursor_execute", fn)
    return len(seen["classic"]), len(seen["state"]), seen["classic"]


def test_dashboard_costs_few_queries(app, anna):
    anna.get("/")  # warm the installation settings cache
    classic, state, _statements = count_queries(app, anna, "/")
    # 1 user + rights (auth hook) + 5 dashboard reads; the settings are cached
    assert classic <= 6, _statements
    assert state <= 2
    api_classic, _s, _ = count_queries(app, anna, "/api/v1/dashboard")
    assert api_classic <= 6


def test_dashboard_renders_fast_at_scale_one(app, anna):
    anna.get("/")
    started = time.perf_counter()
    for _ in range(5):
        assert anna.get("/").status_code == 200
    per_page = (time.perf_counter() - started) / 5
    assert per_page < 0.5, per_page


# --- the messy copy -----------------------------------------------------------------------------


def copy_kit(kit: KitDatabase, workdir) -> KitDatabase:
    """A private SQLite copy of the kit database that a test may change."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "classic.db"
    shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    return replace(kit, load_url=url, app_url=url)


@pytest.fixture(scope="module")
def messy(kit, tmp_path_factory) -> KitDatabase:
    """The sample plus rows it lacks today (see the module docstring)."""
    db = copy_kit(kit, tmp_path_factory.mktemp("dash-messy"))
    engine = sa.create_engine(db.load_url)
    now = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")
    with engine.begin() as conn:
        x = conn.execute
        deleted_company = x(sa.text('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')).scalar()
        live_company = x(sa.text('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0')).scalar()
        # Appointments of anna today that must not show
        for subject, company, deleted in (("TEST dolt: raderat möte", live_company, 1),
                                          ("TEST dolt: raderat bolag", deleted_company, 0)):
            x(sa.text('INSERT INTO "tblActivity" ("ActType", "Subject", "StartAt", "EndAt", "OwnerUserID", '
                      '"CompanyID", "Deleted", "CreatedAt") VALUES (2, :s, \'2025-06-16 11:00:00\', '
                      '\'2025-06-16 11:30:00\', 2, :c, :d, :now)'), {"s": subject, "c": company, "d": deleted, "now": now})
        # Newest companies: an HTML name (shown as text) and a soft-deleted one (hidden)
        for name, deleted, created in (("<img src=x onerror=alert('name')> AB", 0, "2025-06-16 07:30:00"),
                                       ("TEST Raderad Nyhet AB", 1, "2025-06-16 07:40:00")):
            x(sa.text('INSERT INTO "tblCompany" ("Name", "Deleted", "CreatedAt") VALUES (:n, :d, :t)'),
              {"n": name, "d": deleted, "t": created})
        html_company = x(sa.text('SELECT MAX("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0')).scalar()
        x(sa.text('INSERT INTO "tblAddress" ("CompanyID", "AddrType", "City") VALUES (:c, 2, \'Malmö\')'),
          {"c": html_company})
        # Sales: an invoice of the inactive olle (10.01 NOK × 1.5 = 15.015: half-up gives 15.02, a
        # float that rounds down gives 15.01) and a deleted one of erik
        next_order = x(sa.text('SELECT MAX("OrderNo") FROM "tblOrder"')).scalar() + 1
        next_invoice = x(sa.text('SELECT MAX("InvoiceNo") FROM "tblOrder"')).scalar() + 1
        for seller, net, rate, deleted in ((OLLE, "10.01", "1.5", 0), (ERIK, "999999.00", "1", 1)):
            x(sa.text('INSERT INTO "tblOrder" ("OrderNo", "DocType", "InvoiceNo", "CompanyID", "SalesUserID", '
                      '"OrderDate", "InvoiceDate", "DueDate", "Status", "Currency", "ExchangeRate", "NetAmount", '
                      '"VatAmount", "TotalAmount", "Deleted", "CreatedAt") VALUES (:no, \'I\', :inv, :c, :u, '
                      '\'2025-06-10\', \'2025-06-10\', \'2025-07-10\', 3, \'NOK\', :rate, :net, 0, :net, :d, :now)'),
              {"no": next_order, "inv": next_invoice, "c": live_company, "u": seller, "rate": rate, "net": net,
               "d": deleted, "now": now})
            next_order += 1
            next_invoice += 1
        # Pipeline: the open opportunity of a soft-deleted company moves into this month; anna gets
        # one in a currency without rate, one with NULL probability and a soft-deleted one
        x(sa.text('UPDATE "tblSalesOpp" SET "CloseDate" = \'2025-06-20\' WHERE "OwnerUserID" = 2 AND "Stage" '
                  'BETWEEN 1 AND 4 AND "CompanyID" IN (SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 1)'))
        for title, amount, currency, probability, deleted in (("TEST USD", 5000, "USD", 50, 0),
                                                             ("TEST utan sannolikhet", 33333.33, "NOK", None, 0),
                                                             ("TEST raderad", 999999, "SEK", 90, 1)):
            x(sa.text('INSERT INTO "tblSalesOpp" ("Title", "CompanyID", "OwnerUserID", "Amount", "Currency", '
                      '"Probability", "CloseDate", "Stage", "Deleted", "CreatedAt") VALUES (:t, :c, 2, :a, :cur, '
                      ':p, \'2025-06-25\', 2, :d, :now)'),
              {"t": title, "c": live_company, "a": amount, "cur": currency, "p": probability, "d": deleted,
               "now": now})
    engine.dispose()
    return db


@pytest.fixture(scope="module")
def messy_sql(messy):
    engine = sa.create_engine(messy.load_url)
    yield engine
    engine.dispose()
