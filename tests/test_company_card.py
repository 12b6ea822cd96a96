"""The company card's overview: every box against independent SQL on the kit, on SQLite,
PostgreSQL and MariaDB; the messy rows shown as text; the page and the API."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from markupsafe import escape

from adapters.clock import FixedClock
from adapters.sql.companies import SqlCompanyQueries
from adapters.sql.engine import make_engine
from adapters.sql.users import SqlInstallationRepository
from facade import companies as companies_uc
from facade.errors import Forbidden, NotFound
from facade.model import User

from .conftest import sign_in
from .kit import NOW_LOCAL, NOW_UTC, TODAY

# --- helpers (also used by test_person_card.py and test_recent.py) ---------------------------


def rows(engine, sql: str, **params) -> list:
    """Rows of an independent SQL query (double-quoted identifiers)."""
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def dt(value) -> datetime | None:
    """A datetime from SQLite text or a driver datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@contextlib.contextmanager
def count_queries(engine):
    """Collect the SQL statements ``engine`` executes inside the block."""
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", _before)


def page(client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def esc(text: str) -> str:
    """``text`` as Jinja's autoescape writes it."""
    return str(escape(text))


def company_id_by_name(kit_sql, name: str) -> int:
    found = rows(kit_sql, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = :n AND "Deleted" = 0', n=name)
    assert len(found) == 1, name
    return found[0][0]


ANNA = User(2, "anna", "Anna Lindqvist", rights=frozenset({"CRM_READ"}))


@pytest.fixture(scope="module")
def testbolaget(kit_sql) -> int:
    return company_id_by_name(kit_sql, "Testbolaget Aktiebolag")


@pytest.fixture
def queries_any(kit_any):
    engine = make_engine(kit_any.app_url)
    yield SqlCompanyQueries(engine)
    engine.dispose()


def _card(kit, company_id: int, user: User = ANNA) -> companies_uc.CompanyCard:
    engine = make_engine(kit.app_url)
    try:
        return companies_uc.get_company_card(
            company_id,
            user,
            companies=SqlCompanyQueries(engine),
            installation=SqlInstallationRepository(engine),
            clock=FixedClock(NOW_UTC),
        )
    finally:
        engine.dispose()


# --- the queries, on every engine ------------------------------------------------------------


def test_company_row_owner_audit_and_addresses_match_sql(queries_any, kit_sql, testbolaget):
    c = queries_any.company(testbolaget)
    (r,) = rows(
        kit_sql,
        'SELECT c.*, o."FullName" AS owner_name, o."Active" AS owner_active, cb."FullName" AS cby '
        'FROM "tblCompany" c LEFT JOIN "tblUser" o ON o."UserID" = c."OwnerUserID" '
        'LEFT JOIN "tblUser" cb ON cb."UserID" = c."CreatedBy" WHERE c."CompanyID" = :id',
        id=testbolaget,
    )
    m = r._mapping
    assert (
        c.name == m["Name"].strip() and c.customer_no == m["CustomerNo"] and c.supplier_no == m["SupplierNo"]
    )
    assert c.org_no == m["OrgNo"].strip() and c.email == m["Email"].strip() and c.web == m["Web"].strip()
    assert c.payment_days == m["PaymentDays"] and c.invoice_method == m["InvoiceMethod"]
    assert c.owner.user_id == m["OwnerUserID"] and c.owner.name == m["owner_name"]
    assert c.owner.active == bool(m["owner_active"])
    assert c.audit.created_at == dt(m["CreatedAt"]) and c.audit.created_by.name == m["cby"]
    addresses = rows(
        kit_sql,
        'SELECT "AddrType", "Line1", "Line2", "PostCode", "City" FROM "tblAddress" WHERE "CompanyID" = :id '
        'ORDER BY "AddrType"',
        id=testbolaget,
    )
    assert [(a.addr_type, a.line1, a.line2, a.post_code, a.city) for a in c.addresses] == [
        (t, l1, l2, pc, city) for t, l1, l2, pc, city in addresses
    ]
    assert len(addresses) >= 3  # the kit gives Testbolaget several address types


def test_soft_deleted_and_unknown_company_are_none(queries_any, kit_sql):
    deleted = rows(kit_sql, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 1')
    assert deleted
    for (cid,) in deleted:
        assert queries_any.company(cid) is None
    top = scalar(kit_sql, 'SELECT MAX("CompanyID") FROM "tblCompany"')
    assert queries_any.company(top + 1000) is None


def test_contacts_are_live_persons_on_live_links(queries_any, kit_sql):
    # A company with a soft-deleted link and one with a soft-deleted person.
    hidden = rows(
        kit_sql,
        'SELECT cp."CompanyID", cp."PersonID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p '
        'ON p."PersonID" = cp."PersonID" JOIN "tblCompany" c ON c."CompanyID" = cp."CompanyID" '
        'WHERE c."Deleted" = 0 AND (cp."Deleted" = 1 OR p."Deleted" = 1)',
    )
    assert len({cid for cid, _ in hidden}) >= 3
    for cid in {cid for cid, _ in hidden}:
        expected = {
            (pid, role, bool(main))
            for pid, role, main in rows(
                kit_sql,
                'SELECT cp."PersonID", cp."Role", cp."IsMain" FROM "tblCompanyPerson" cp JOIN "tblPerson" p '
                'ON p."PersonID" = cp."PersonID" WHERE cp."CompanyID" = :id AND cp."Deleted" = 0 '
                'AND p."Deleted" = 0',
                id=cid,
            )
        }
        got = {(c.person_id, c.role, c.is_main) for c in queries_any.contacts(cid)}
        assert {(p, (r or "").strip() or None, m) for p, r, m in expected} == got
        assert not {pid for c2, pid in hidden if c2 == cid} & {c.person_id for c in queries_any.contacts(cid)}


def _expected_activities(kit_sql, where: str, **params):
    found = rows(
        kit_sql,
        'SELECT "ActivityID", "ActType", "StartAt", "EndAt", "DueAt", "Done" FROM "tblActivity" '
        f'WHERE "Deleted" = 0 AND {where}',
        **params,
    )

    def key(r):
        aid, typ, start, end, due, done = r
        when = dt(start) if typ == 2 else dt(due)
        current = done == 0 and (typ == 1 or dt(start) >= NOW_LOCAL or dt(end) > NOW_LOCAL)
        return (0, when, -aid) if current else (1, -when.timestamp(), -aid)

    return [r[0] for r in sorted(found, key=key)]


def test_activities_open_and_coming_first_then_newest_with_total(queries_any, kit_sql, testbolaget):
    busiest = rows(
        kit_sql,
        'SELECT "CompanyID", COUNT(*) FROM "tblActivity" WHERE "Deleted" = 0 AND "CompanyID" IS NOT NULL '
        'GROUP BY "CompanyID" ORDER BY COUNT(*) DESC, "CompanyID" LIMIT 3',
    )
    for cid in {testbolaget, *(r[0] for r in busiest)}:
        expected = _expected_activities(kit_sql, '"CompanyID" = :id', id=cid)
        got = queries_any.activities(company_id=cid, now_local=NOW_LOCAL, limit=20)
        assert got.total == len(expected)
        assert [a.activity_id for a in got.items] == expected[:20]
        limited = queries_any.activities(company_id=cid, now_local=NOW_LOCAL, limit=3)
        assert [a.activity_id for a in limited.items] == expected[:3] and limited.total == len(expected)


def test_deleted_activities_are_hidden(queries_any, kit_sql):
    deleted = rows(
        kit_sql,
        'SELECT "CompanyID", "ActivityID" FROM "tblActivity" WHERE "Deleted" = 1 AND "CompanyID" IS NOT NULL',
    )
    assert deleted
    for cid, aid in deleted:
        got = queries_any.activities(company_id=cid, now_local=NOW_LOCAL, limit=500)
        assert aid not in {a.activity_id for a in got.items}


def test_wall_newest_first_without_deleted_posts(queries_any, kit_sql, testbolaget):
    with_deleted = [
        r[0]
        for r in rows(
            kit_sql,
            'SELECT DISTINCT "CompanyID" FROM "tblWallPost" WHERE "Deleted" = 1 AND "CompanyID" IS NOT NULL',
        )
    ]
    assert with_deleted
    for cid in {testbolaget, *with_deleted}:
        expected = [
            r[0]
            for r in rows(
                kit_sql,
                'SELECT "PostID" FROM "tblWallPost" WHERE "CompanyID" = :id AND "Deleted" = 0 '
                'ORDER BY "CreatedAt" DESC, "PostID" DESC',
                id=cid,
            )
        ]
        got = queries_any.wall(company_id=cid, limit=20)
        assert [p.post_id for p in got.items] == expected[:20] and got.total == len(expected)


def test_projects_and_opportunities_match_sql(queries_any, kit_sql, testbolaget):
    expected_projects = rows(
        kit_sql,
        'SELECT "ProjectID", "ProjectNo", "Name", "Status", "Budget" FROM "tblProject" '
        'WHERE "CompanyID" = :id AND "Deleted" = 0',
        id=testbolaget,
    )
    got = {p.project_id: p for p in queries_any.projects(testbolaget)}
    assert set(got) == {r[0] for r in expected_projects} and got
    for pid, no, name, status, budget in expected_projects:
        assert (got[pid].project_no, got[pid].name, got[pid].status) == (no, name, status)
        assert abs(got[pid].budget - Decimal(str(budget))) < Decimal("0.005")
    expected_opps = rows(
        kit_sql,
        'SELECT "OppID", "Stage", "Amount", "Currency" FROM "tblSalesOpp" WHERE "CompanyID" = :id AND '
        '"Deleted" = 0',
        id=testbolaget,
    )
    opps = {o.opp_id: o for o in queries_any.opportunities(testbolaget)}
    assert set(opps) == {r[0] for r in expected_opps} and opps
    for oid, stage, amount, currency in expected_opps:
        assert opps[oid].stage == stage and opps[oid].currency == currency
        assert abs(opps[oid].amount - Decimal(str(amount))) < Decimal("0.005")


def test_categories_are_paths_and_soft_deleted_ones_are_left_out(queries_any, kit_sql, testbolaget):
    def expected_paths(cid):
        out = set()
        for name, parent, deleted, pdeleted in rows(
            kit_sql,
            'SELECT k."Name", p."Name", k."Deleted", p."Deleted" FROM "tblCompanyCategory" cc '
            'JOIN "tblCategory" k ON k."CategoryID" = cc."CategoryID" '
            'LEFT JOIN "tblCategory" p ON p."CategoryID" = k."ParentID" WHERE cc."CompanyID" = :id',
            id=cid,
        ):
            if deleted == 0 and (parent is None or pdeleted == 0):
                out.add(f"{parent} › {name}" if parent else name)
        return out

    in_deleted = [
        r[0]
        for r in rows(
            kit_sql,
            'SELECT DISTINCT cc."CompanyID" FROM "tblCompanyCategory" cc JOIN "tblCategory" k '
            'ON k."CategoryID" = cc."CategoryID" JOIN "tblCompany" c ON c."CompanyID" = cc."CompanyID" '
            'WHERE k."Deleted" = 1 AND c."Deleted" = 0',
        )
    ]
    assert in_deleted, "the kit keeps live companies in a soft-deleted category"
    for cid in {testbolaget, *in_deleted}:
        got = {p.text for p in companies_uc.category_paths(queries_any.categories(cid))}
        assert got == expected_paths(cid)
    assert "Kundtyp › Återförsäljare" in expected_paths(testbolaget)


# --- rules --------------------------------------------------------------------------------


def _luhn_ok(d: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _mod11_no_ok(d: str) -> bool:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(int(a) * w for a, w in zip(d[:8], weights, strict=True)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(d[8])


def test_org_number_check_digits_agree_with_an_independent_check(kit_sql):
    checked = 0
    wrong = 0
    for org_no, country, kind in rows(
        kit_sql, 'SELECT "OrgNo", "Country", "CompanyKind" FROM "tblCompany" WHERE "OrgNo" IS NOT NULL'
    ):
        d = "".join(ch for ch in org_no if ch.isdigit())
        result = companies_uc.check_org_no(org_no, country, kind)
        ctry = (country or "SE").upper()
        if ctry == "SE":
            if len(d) == 12:
                d = d[2:]
            expected = len(d) == 10 and _luhn_ok(d)
        elif ctry == "NO":
            expected = len(d) == 9 and _mod11_no_ok(d)
        else:
            assert result.state == "unchecked"
            continue
        assert result.state == ("valid" if expected else "invalid"), (org_no, country)
        checked += 1
        wrong += not expected
    assert checked > 80 and wrong >= 3  # the kit has about 4 % wrong check digits
    assert companies_uc.check_org_no(None, "SE").state == "missing"
    assert companies_uc.check_org_no("16556036-0793", "SE").state == "valid"


def test_card_needs_crm_read_and_404s_for_deleted(kit, kit_sql):
    deleted = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    with pytest.raises(NotFound):
        _card(kit, deleted)
    nobody = User(8, "per", "Per", rights=frozenset({"ORDER_READ"}))
    with pytest.raises(Forbidden):
        _card(kit, 1, nobody)


def test_card_rules_payment_days_currency_and_opportunities_in_base(kit, kit_sql, testbolaget):
    default_days = int(
        scalar(kit_sql, 'SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'DefaultPaymentDays\'')
    )
    no_days = scalar(
        kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "PaymentDays" IS NULL AND "Deleted" = 0'
    )
    card = _card(kit, no_days)
    assert card.payment_days == default_days and card.payment_days_is_default
    card = _card(kit, testbolaget)
    stored = scalar(kit_sql, 'SELECT "PaymentDays" FROM "tblCompany" WHERE "CompanyID" = :id', id=testbolaget)
    assert card.payment_days == stored and not card.payment_days_is_default
    eur = rows(
        kit_sql,
        'SELECT o."CompanyID", o."OppID", o."Amount", o."Stage", o."CloseDate" FROM "tblSalesOpp" o '
        'JOIN "tblCompany" c ON c."CompanyID" = o."CompanyID" '
        'WHERE o."Currency" = \'EUR\' AND o."Deleted" = 0 AND c."Deleted" = 0 ORDER BY o."OppID"',
    )
    assert eur
    rate = Decimal(
        scalar(kit_sql, 'SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'Rate.EUR\'')
    )
    cid, oid, amount, stage, close = eur[0]
    opp = next(o for o in _card(kit, cid).opportunities if o.opp_id == oid)
    assert abs(opp.amount_base - Decimal(str(amount)) * rate) < Decimal("0.006")
    close_date = None if close is None else datetime.fromisoformat(str(close)).date()
    assert opp.overdue == (stage <= 4 and close_date is not None and close_date < TODAY)


# --- the page --------------------------------------------------------------------------------


def test_testbolaget_card_shows_every_box(anna, kit_sql, testbolaget):
    html_ = page(anna, f"/companies/{testbolaget}")
    assert esc("Testbolaget Aktiebolag") in html_
    for first, last in rows(
        kit_sql,
        'SELECT p."FirstName", p."LastName" FROM "tblCompanyPerson" cp JOIN "tblPerson" p '
        'ON p."PersonID" = cp."PersonID" WHERE cp."CompanyID" = :id AND cp."Deleted" = 0 AND p."Deleted" = 0',
        id=testbolaget,
    ):
        assert esc(" ".join(x.strip() for x in (first, last) if x and x.strip())) in html_
    main = scalar(
        kit_sql,
        'SELECT "PersonID" FROM "tblCompanyPerson" WHERE "CompanyID" = :id AND "IsMain" = 1 AND '
        '"Deleted" = 0',
        id=testbolaget,
    )
    contacts_part = html_[html_.index('id="contacts"') :]
    assert contacts_part.index(f'href="/persons/{main}"') < contacts_part.index(
        "/persons/", contacts_part.index(f'href="/persons/{main}"') + 5
    )
    for (subject,) in rows(
        kit_sql,
        'SELECT "Subject" FROM "tblActivity" WHERE "CompanyID" = :id AND "Deleted" = 0',
        id=testbolaget,
    ):
        assert esc(subject) in html_
    for (body,) in rows(
        kit_sql, 'SELECT "Body" FROM "tblWallPost" WHERE "CompanyID" = :id AND "Deleted" = 0', id=testbolaget
    ):
        assert esc(body.replace("\r\n", "\n").strip()) in html_
    for (name,) in rows(
        kit_sql, 'SELECT "Name" FROM "tblProject" WHERE "CompanyID" = :id AND "Deleted" = 0', id=testbolaget
    ):
        assert esc(name) in html_
    for (title,) in rows(
        kit_sql, 'SELECT "Title" FROM "tblSalesOpp" WHERE "CompanyID" = :id AND "Deleted" = 0', id=testbolaget
    ):
        assert esc(title) in html_
    assert "Kundtyp" in html_ and "Återförsäljare" in html_
    classic = scalar(kit_sql, 'SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'ClassicUrl\'')
    link = f'href="{classic.rstrip("/")}/company.aspx?id={testbolaget}" target="_blank" rel="noopener"'
    assert link in html_
    # Owner links to the employee card.
    owner = scalar(kit_sql, 'SELECT "OwnerUserID" FROM "tblCompany" WHERE "CompanyID" = :id', id=testbolaget)
    assert f'href="/employees/{owner}"' in html_


def test_deleted_wall_post_and_activity_are_not_on_the_page(anna, kit_sql, testbolaget):
    checked = 0
    for table, column, shown_as in (
        (
            "tblWallPost",
            "Body",
            lambda t: f'<div class="plain">{esc(t.replace(chr(13) + chr(10), chr(10)))}</div>',
        ),
        ("tblActivity", "Subject", lambda t: f'<span class="act-subject">{esc(t.strip())}</span>'),
    ):
        for cid, text in rows(
            kit_sql,
            f'SELECT d."CompanyID", d."{column}" FROM "{table}" d JOIN "tblCompany" c '
            f'ON c."CompanyID" = d."CompanyID" WHERE d."Deleted" = 1 AND c."Deleted" = 0',
        ):
            same_text_live = scalar(
                kit_sql,
                f'SELECT COUNT(*) FROM "{table}" WHERE "CompanyID" = :id AND "Deleted" = 0 AND '
                f'"{column}" = :t',
                id=cid,
                t=text,
            )
            if same_text_live:
                continue
            assert shown_as(text) not in page(anna, f"/companies/{cid}")
            checked += 1
    assert checked >= 4
    # and the live ones are shown the same way (the check above can fail)
    live = rows(
        kit_sql,
        'SELECT "CompanyID", "Body" FROM "tblWallPost" WHERE "Deleted" = 0 AND "CompanyID" = :id',
        id=testbolaget,
    )
    for cid, body in live:
        assert f'<div class="plain">{esc(body.replace(chr(13) + chr(10), chr(10)))}</div>' in page(
            anna, f"/companies/{cid}"
        )


def test_javascript_web_address_is_not_a_link(anna, kit_sql):
    cid = company_id_by_name(kit_sql, "[Beta] Konsult")
    assert (
        scalar(kit_sql, 'SELECT "Web" FROM "tblCompany" WHERE "CompanyID" = :id', id=cid)
        == "javascript:alert(1)"
    )
    html_ = page(anna, f"/companies/{cid}")
    assert "javascript:alert(1)" in html_
    assert 'href="javascript:' not in html_.lower().replace(" ", "")


def test_markup_email_stays_text(anna, kit_sql):
    cid = company_id_by_name(kit_sql, "50/50 Konsult")
    email = scalar(kit_sql, 'SELECT "Email" FROM "tblCompany" WHERE "CompanyID" = :id', id=cid)
    assert "<svg" in email
    html_ = page(anna, f"/companies/{cid}")
    assert esc(email) in html_
    assert "<svg" not in html_ and "mailto:&#34;" not in html_ and 'mailto:"' not in html_


def test_markup_company_name_is_escaped(anna, kit_sql):
    name = "<img src=x onerror=alert('name')> AB"
    cid = company_id_by_name(kit_sql, name)
    html_ = page(anna, f"/companies/{cid}")
    assert "<img src=x" not in html_
    assert esc(name) in html_


def test_long_note_is_collapsed_but_complete(anna, kit_sql):
    found = rows(
        kit_sql,
        'SELECT "CompanyID", "Notes" FROM "tblCompany" WHERE LENGTH("Notes") > 10000 AND "Deleted" = 0',
    )
    assert found
    for cid, notes in found:
        html_ = page(anna, f"/companies/{cid}")
        assert '<details class="longtext">' in html_
        text = notes.replace("\r\n", "\n")
        tail = text.strip()[-200:]
        assert esc(tail) in html_  # the whole note is there (behind <details>), as text


def test_long_wall_post_is_collapsed_but_complete(anna, kit_sql):
    found = rows(
        kit_sql,
        'SELECT w."CompanyID", w."Body" FROM "tblWallPost" w JOIN "tblCompany" c '
        'ON c."CompanyID" = w."CompanyID" WHERE LENGTH(w."Body") > 10000 '
        'AND w."Deleted" = 0 AND c."Deleted" = 0',
    )
    assert found
    for cid, body in found:
        wall = page(anna, f"/companies/{cid}")
        wall = wall[wall.index('id="wall"') :]
        assert '<details class="longtext">' in wall
        assert f'<div class="plain">{esc(body.replace(chr(13) + chr(10), chr(10)))}</div>' in wall


def test_wrong_check_digit_is_marked_and_a_right_one_is_not(anna, kit_sql):
    wrong = right = None
    for cid, org_no in rows(
        kit_sql,
        'SELECT "CompanyID", "OrgNo" FROM "tblCompany" WHERE "Deleted" = 0 AND "CompanyKind" = 1 '
        'AND UPPER("Country") = \'SE\' AND "OrgNo" IS NOT NULL ORDER BY "CompanyID"',
    ):
        d = "".join(ch for ch in org_no if ch.isdigit())
        d = d[2:] if len(d) == 12 else d
        ok = len(d) == 10 and _luhn_ok(d)
        if ok and right is None:
            right = cid
        if not ok and wrong is None:
            wrong = cid
    assert wrong and right
    assert "orgno-invalid" in page(anna, f"/companies/{wrong}")
    assert "orgno-invalid" not in page(anna, f"/companies/{right}")


def test_null_owner_and_inactive_owner(anna, kit_sql):
    no_owner = scalar(
        kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "OwnerUserID" IS NULL AND "Deleted" = 0'
    )
    assert "No owner" in page(anna, f"/companies/{no_owner}")
    inactive = rows(
        kit_sql,
        'SELECT c."CompanyID", u."UserID", u."FullName" FROM "tblCompany" c JOIN "tblUser" u '
        'ON u."UserID" = c."OwnerUserID" WHERE u."Active" = 0 AND c."Deleted" = 0 ORDER BY c."CompanyID"',
    )
    assert inactive
    cid, uid, name = inactive[0]
    html_ = page(anna, f"/companies/{cid}")
    info = html_[html_.index('id="info"') : html_.index('id="activities"')]
    assert f'href="/employees/{uid}">{esc(name)}</a> <span class="badge badge-warn">inactive</span>' in info


def test_soft_deleted_and_unknown_company_pages_are_404(anna, kit_sql):
    deleted = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    assert anna.get(f"/companies/{deleted}").status_code == 404
    assert anna.get("/companies/999999").status_code == 404


def test_read_only_user_sees_the_card(client, testbolaget):
    assert sign_in(client, "karin").status_code == 302
    assert client.get(f"/companies/{testbolaget}").status_code == 200


def test_private_customer_kind_and_personal_identity_number(anna, kit_sql):
    cid, org_no = rows(
        kit_sql,
        'SELECT "CompanyID", "OrgNo" FROM "tblCompany" WHERE "CompanyKind" = 2 AND "OrgNo" IS NOT NULL '
        'AND "Deleted" = 0 ORDER BY "CompanyID"',
    )[0]
    html_ = page(anna, f"/companies/{cid}")
    assert "Private customer" in html_ and "Personal identity no." in html_ and org_no in html_


def test_card_page_query_count(app, anna, testbolaget):
    """Reported number: classic queries of the whole card page (auth hook, card, recent menu)."""
    svc = app.extensions["crm_lite"]
    anna.get(f"/companies/{testbolaget}")  # warm the installation cache, as a running app has it
    with count_queries(svc.classic_engine) as classic, count_queries(svc.state_engine) as state:
        assert anna.get(f"/companies/{testbolaget}").status_code == 200
    print(f"\ncompany card: {len(classic)} classic + {len(state)} store queries")
    for statement in classic + state:
        print("  ", " ".join(statement.split())[:150])
    assert len(classic) <= 12
    assert len(state) <= 5  # session read, record (2), menu (1) (+ touch)


# --- the API ---------------------------------------------------------------------------------


def test_api_company_card_matches_and_does_not_record_a_view(anna, kit_sql, testbolaget):
    r = anna.get(f"/api/v1/companies/{testbolaget}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["company"]["name"] == "Testbolaget Aktiebolag"
    live_contacts = scalar(
        kit_sql,
        'SELECT COUNT(*) FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
        'WHERE cp."CompanyID" = :id AND cp."Deleted" = 0 AND p."Deleted" = 0',
        id=testbolaget,
    )
    assert len(body["contacts"]) == live_contacts
    assert body["contacts"][0]["is_main"] is True
    assert "Kundtyp › Återförsäljare" in [c["path"] for c in body["categories"]]
    assert anna.get("/api/v1/recent").get_json()["items"] == []
    anna.get(f"/api/v1/companies/{testbolaget}?record=1")
    items = anna.get("/api/v1/recent").get_json()["items"]
    assert [(i["kind"], i["record_id"], i["url"]) for i in items] == [
        ("company", testbolaget, f"/companies/{testbolaget}")
    ]


def test_api_unknown_company_is_404_json(anna):
    r = anna.get("/api/v1/companies/999999")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_openapi_documents_the_card_paths(anna):
    doc = anna.get("/api/v1/openapi.json").get_json()
    for path in ("/companies/{company_id}", "/persons/{person_id}", "/employees/{user_id}", "/recent"):
        assert "get" in doc["paths"][path]
    from openapi_spec_validator import validate

    validate(doc)
