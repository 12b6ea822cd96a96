"""Recently viewed: recorded when a card opens, kept in CRM Lite's store (20 per user, newest
first, no duplicates), surviving sign-out and restart, without records soft-deleted since."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g, render_template_string

from adapters.sql.engine import make_engine
from adapters.sql.recent import SqlRecentViews
from adapters.sql.state import create_state_schema, recent_view
from facade.recent import KEEP

from .conftest import csrf_token, make_app, sign_in
from .test_company_card import count_queries, esc, rows, scalar

T0 = datetime(2025, 6, 16, 8, 0, tzinfo=UTC)


def _ids(kit_sql, sql: str, n: int) -> list[int]:
    found = [r[0] for r in rows(kit_sql, sql)]
    assert len(found) >= n
    return found[:n]


def live_company_ids(kit_sql, n: int) -> list[int]:
    return _ids(kit_sql, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0 ORDER BY "CompanyID"', n)


def menu_links(html: str) -> list[str]:
    """The card links of the Recently viewed menu, in order."""
    start = html.index('class="menu-body recent-menu-body"')
    part = html[start : html.index("</div>", start)]
    return re.findall(r'href="(/(?:companies|persons|employees)/\d+)"', part)


@pytest.fixture
def store(kit, tmp_path):
    state = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    create_state_schema(state)
    classic = make_engine(kit.app_url)
    yield SqlRecentViews(state, classic)
    state.dispose()
    classic.dispose()


# --- the store ---------------------------------------------------------------------------------


def test_25_views_keep_the_newest_20_newest_first(store, kit_sql):
    ids = live_company_ids(kit_sql, 25)
    for i, cid in enumerate(ids):
        store.record(2, "company", cid, T0 + timedelta(seconds=i), KEEP)
    got = store.latest(2, KEEP)
    assert [e.record_id for e in got] == list(reversed(ids))[:20]
    with store.state_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(recent_view)).scalar() == 20


def test_repeat_view_moves_to_top_without_duplicates_even_in_the_same_instant(store, kit_sql):
    ids = live_company_ids(kit_sql, 5)
    for cid in ids:
        store.record(2, "company", cid, T0, KEEP)  # same instant: seq decides
    store.record(2, "company", ids[1], T0, KEEP)
    got = [e.record_id for e in store.latest(2, KEEP)]
    assert got == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert len(got) == len(set(got))


def test_repeat_of_an_old_view_at_the_limit_keeps_20(store, kit_sql):
    ids = live_company_ids(kit_sql, 21)
    for i, cid in enumerate(ids[:20]):
        store.record(2, "company", cid, T0 + timedelta(seconds=i), KEEP)
    store.record(2, "company", ids[0], T0 + timedelta(minutes=1), KEEP)  # the oldest one again
    got = [e.record_id for e in store.latest(2, KEEP)]
    assert got[0] == ids[0] and len(got) == 20 and set(got) == set(ids[:20])
    store.record(2, "company", ids[20], T0 + timedelta(minutes=2), KEEP)
    got = [e.record_id for e in store.latest(2, KEEP)]
    assert got[:2] == [ids[20], ids[0]] and ids[1] not in got and len(got) == 20


def test_lists_are_per_user(store, kit_sql):
    a, b = live_company_ids(kit_sql, 2)
    store.record(2, "company", a, T0, KEEP)
    store.record(3, "company", b, T0, KEEP)
    assert [e.record_id for e in store.latest(2, KEEP)] == [a]
    assert [e.record_id for e in store.latest(3, KEEP)] == [b]


def test_lookup_names_and_labels_on_every_engine(kit_any, kit_sql, tmp_path):
    """The one classic query (UNION ALL of one IN (...) per kind) on SQLite, PostgreSQL and MariaDB."""
    state = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    create_state_schema(state)
    classic = make_engine(kit_any.app_url)
    try:
        store = SqlRecentViews(state, classic)
        supplier, sname = rows(
            kit_sql,
            'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "IsSupplier" = 1 AND "IsCustomer" = 0 '
            'AND "Deleted" = 0 ORDER BY 1',
        )[0]
        private, pname = rows(
            kit_sql,
            'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "CompanyKind" = 2 AND "Deleted" = 0 '
            "ORDER BY 1",
        )[0]
        person, first, last = rows(
            kit_sql,
            'SELECT "PersonID", "FirstName", "LastName" FROM "tblPerson" WHERE "Deleted" = 0 '
            'AND "FirstName" IS NOT NULL AND "LastName" IS NOT NULL ORDER BY 1',
        )[0]
        deleted = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
        deleted_person = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 1')
        uname = scalar(kit_sql, 'SELECT "FullName" FROM "tblUser" WHERE "UserID" = 7')
        for i, (kind, rid) in enumerate(
            [
                ("company", supplier),
                ("company", private),
                ("person", person),
                ("employee", 7),
                ("company", deleted),
                ("person", deleted_person),
            ]
        ):
            store.record(2, kind, rid, T0 + timedelta(seconds=i), KEEP)
        got = [(e.kind, e.record_id, e.name, e.label) for e in store.latest(2, KEEP)]
        assert got == [
            ("employee", 7, uname, "employee"),
            ("person", person, f"{first.strip()} {last.strip()}", "contact"),
            ("company", private, pname.strip(), "private_customer"),
            ("company", supplier, sname.strip(), "supplier"),
        ]
    finally:
        state.dispose()
        classic.dispose()


# --- through the app ---------------------------------------------------------------------------


def test_opening_cards_fills_the_menu_and_page(anna, kit_sql):
    cids = live_company_ids(kit_sql, 2)
    pid = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 0')
    for path in (f"/companies/{cids[0]}", f"/persons/{pid}", "/employees/5", f"/companies/{cids[1]}"):
        assert anna.get(path).status_code == 200
    html = anna.get("/recent").get_data(as_text=True)
    expected = [f"/companies/{cids[1]}", "/employees/5", f"/persons/{pid}", f"/companies/{cids[0]}"]
    assert menu_links(html) == expected
    table = html[html.index('class="responsive recent-table"') :]
    assert re.findall(r'href="(/(?:companies|persons|employees)/\d+)"', table) == expected
    assert "Employee" in table and "Contact" in table


def test_card_view_api_read_does_not_record_unless_asked(anna, kit_sql):
    cid = live_company_ids(kit_sql, 1)[0]
    anna.get(f"/api/v1/companies/{cid}")
    anna.get("/api/v1/persons/1")
    anna.get("/api/v1/employees/1")
    assert anna.get("/api/v1/recent").get_json()["items"] == []
    anna.get("/api/v1/employees/1?record=1")
    assert [i["url"] for i in anna.get("/api/v1/recent").get_json()["items"]] == ["/employees/1"]


def test_unknown_card_is_not_recorded(anna):
    assert anna.get("/companies/999999").status_code == 404
    assert anna.get("/api/v1/recent").get_json()["items"] == []


def test_list_survives_sign_out_and_restart_and_is_per_user(kit, kit_sql, tmp_path):
    ids = live_company_ids(kit_sql, 3)
    app1 = make_app(kit, tmp_path)
    c1 = app1.test_client()
    assert sign_in(c1, "anna").status_code == 302
    for cid in ids:
        c1.get(f"/companies/{cid}")
    expected = [f"/companies/{cid}" for cid in reversed(ids)]
    assert menu_links(c1.get("/recent").get_data(as_text=True)) == expected
    c1.post("/logout", data={"csrf_token": csrf_token(c1, "/recent")})
    assert sign_in(c1, "anna").status_code == 302
    assert menu_links(c1.get("/recent").get_data(as_text=True)) == expected
    app1.extensions["crm_lite"].close()

    app2 = make_app(kit, tmp_path)  # a restart: a new app on the same store
    c2 = app2.test_client()
    assert sign_in(c2, "anna").status_code == 302
    assert menu_links(c2.get("/recent").get_data(as_text=True)) == expected
    c3 = app2.test_client()
    assert sign_in(c3, "erik").status_code == 302
    assert menu_links(c3.get("/recent").get_data(as_text=True)) == []
    app2.extensions["crm_lite"].close()


def test_25_cards_through_the_app_keep_20_newest_first(anna, kit_sql):
    ids = live_company_ids(kit_sql, 25)
    for cid in ids:
        assert anna.get(f"/companies/{cid}").status_code == 200
    anna.get(f"/companies/{ids[10]}")  # seen again: to the top, not twice
    items = anna.get("/api/v1/recent").get_json()["items"]
    expected = [ids[10]] + [cid for cid in reversed(ids) if cid != ids[10]][:19]
    assert [i["record_id"] for i in items] == expected


def test_records_deleted_since_are_left_out(kit, kit_sql, tmp_path):
    copy_dir = tmp_path / "classic-copy"
    copy_dir.mkdir()
    shutil.copy(kit.load_url.removeprefix("sqlite:///"), copy_dir / "classic.db")
    url = f"sqlite:///{copy_dir / 'classic.db'}"
    copy = dataclasses.replace(kit, load_url=url, app_url=url)
    app = make_app(copy, tmp_path)
    client = app.test_client()
    assert sign_in(client, "anna").status_code == 302
    cids = live_company_ids(kit_sql, 2)
    pid = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 0')
    for path in (f"/companies/{cids[0]}", f"/persons/{pid}", f"/companies/{cids[1]}"):
        assert client.get(path).status_code == 200
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text('UPDATE "tblCompany" SET "Deleted" = 1 WHERE "CompanyID" = :id'), {"id": cids[1]}
        )
        conn.execute(sa.text('UPDATE "tblPerson" SET "Deleted" = 1 WHERE "PersonID" = :id'), {"id": pid})
    engine.dispose()
    assert menu_links(client.get("/recent").get_data(as_text=True)) == [f"/companies/{cids[0]}"]
    assert [i["record_id"] for i in client.get("/api/v1/recent").get_json()["items"]] == [cids[0]]
    app.extensions["crm_lite"].close()


def test_menu_names_are_escaped(anna, kit_sql):
    name = "<img src=x onerror=alert('name')> AB"
    cid = scalar(kit_sql, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = :n', n=name)
    anna.get(f"/companies/{cid}")
    html = anna.get("/recent").get_data(as_text=True)
    assert "<img src=x" not in html and esc(name) in html


def test_menu_costs_at_most_two_queries(app, anna, kit_sql):
    for cid in live_company_ids(kit_sql, 3):
        anna.get(f"/companies/{cid}")
    anna.get("/employees/2")
    anna.get("/persons/1")
    svc = app.extensions["crm_lite"]
    svc.installation.get()  # the cached settings, as in a running app
    user = svc.users.get_user(2)
    with app.test_request_context("/"):
        g.user = user
        with count_queries(svc.classic_engine) as classic, count_queries(svc.state_engine) as state:
            html = render_template_string('{% include "recent/_menu.html" %}')
    assert len(menu_links(html)) == 5
    print(f"\nrecent menu: {len(classic)} classic + {len(state)} store queries")
    assert len(classic) + len(state) <= 2


def test_menu_is_empty_for_a_new_user_and_the_page_says_so(client):
    assert sign_in(client, "karin").status_code == 302
    html = client.get("/recent").get_data(as_text=True)
    assert menu_links(html) == [] and "Nothing viewed yet." in html
