"""The card tabs as pages and JSON API: rights matrix, soft deletes, escaping, partial panels,
downloads, queries per page. Expected values come from SQL on the kit."""

from __future__ import annotations

import base64
import contextlib
import re
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import g, render_template

from .conftest import make_app, sign_in
from .kit import TODAY

TESTBOLAGET = 77
TABS = ("contacts", "emails", "documents", "calls", "orders", "ledger")
PERSON_TABS = ("emails", "documents", "calls", "orders")
USERS = ("admin", "anna", "erik", "marte", "lars", "karin")


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def basic(login: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:classic".encode()).decode()}


@contextlib.contextmanager
def count_queries(engine):
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", _before)


@pytest.fixture(scope="module")
def tabs_app(kit, tmp_path_factory):
    application = make_app(kit, tmp_path_factory.mktemp("tabs-app"))
    yield application
    application.extensions["crm_lite"].close()


@pytest.fixture(scope="module")
def clients(tabs_app):
    """One signed-in test client per sample user."""
    out = {}
    for login in USERS:
        c = tabs_app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        r = sign_in(c, login)
        assert r.status_code == 302, login
        out[login] = c
    return out


def user_rights(kit_sql, login: str) -> set[str]:
    return {r[0] for r in rows(kit_sql, '''SELECT r."RightCode" FROM "tblUserRight" r
        JOIN "tblUser" u ON u."UserID" = r."UserID" WHERE u."LoginName" = :l''', l=login)}


def company_ledgers(kit_sql, company_id: int) -> set[str]:
    is_c, is_s = rows(kit_sql, 'SELECT "IsCustomer", "IsSupplier" FROM "tblCompany" WHERE "CompanyID" = :c',
                      c=company_id)[0]
    codes = {r[0] for r in rows(kit_sql, 'SELECT DISTINCT "Ledger" FROM "tblLedgerEntry" WHERE "CompanyID" = :c',
                                c=company_id)}
    return ({"C"} if is_c == 1 or "C" in codes else set()) | ({"S"} if is_s == 1 or "S" in codes else set())


def expected_tabs(rights: set[str], ledgers: set[str]) -> set[str]:
    """The kit README's rights table, written out independently of facade.tabs."""
    def can(code: str) -> bool:
        return "ADMIN" in rights or code in rights

    tabs = {t for t in ("contacts", "emails", "documents", "calls") if can("CRM_READ")}
    if can("ORDER_READ"):
        tabs.add("orders")
    if (can("LEDGER_CUSTOMER") and "C" in ledgers) or (can("LEDGER_SUPPLIER") and "S" in ledgers):
        tabs.add("ledger")
    return tabs


def bar_keys(html: str) -> list[str]:
    nav = re.search(r'<nav class="card-tabs".*?</nav>', html, re.DOTALL)
    assert nav, "no tab bar"
    return re.findall(r'data-tab="(\w+)"', nav.group(0))


def current_tab(html: str) -> list[str]:
    nav = re.search(r'<nav class="card-tabs".*?</nav>', html, re.DOTALL).group(0)
    return re.findall(r'data-tab="(\w+)" aria-current="page"', nav)


@pytest.fixture(scope="module")
def matrix_companies(kit_sql) -> list[int]:
    both = scalar(kit_sql, '''SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0
        AND EXISTS (SELECT 1 FROM "tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Ledger" = 'C')
        AND EXISTS (SELECT 1 FROM "tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Ledger" = 'S')''')
    supplier_only = scalar(kit_sql, '''SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0
        AND c."IsCustomer" = 0 AND c."IsSupplier" = 1
        AND NOT EXISTS (SELECT 1 FROM "tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Ledger" = 'C')''')
    prospect = scalar(kit_sql, '''SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0
        AND c."IsCustomer" = 0 AND c."IsSupplier" = 0
        AND NOT EXISTS (SELECT 1 FROM "tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID")''')
    return [both, supplier_only, prospect, TESTBOLAGET]


# --- rights matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("login", USERS)
def test_rights_matrix_every_user_every_tab_shown_or_403(clients, kit_sql, matrix_companies, login):
    client = clients[login]
    rights = user_rights(kit_sql, login)
    for company_id in matrix_companies:
        ledgers = company_ledgers(kit_sql, company_id)
        allowed = expected_tabs(rights, ledgers)
        page = client.get(f"/companies/{company_id}/contacts")
        assert page.status_code == 200
        shown = bar_keys(page.get_data(as_text=True))
        assert shown[0] == "overview"
        assert set(shown[1:]) == allowed, (login, company_id)
        for tab in TABS:
            url = f"/companies/{company_id}/{tab}"
            r, api = client.get(url), client.get("/api/v1" + url)
            if tab in allowed:
                assert (r.status_code, api.status_code) == (200, 200), (login, url)
            elif tab == "ledger" and not ledgers and ("ADMIN" in rights or rights & {"LEDGER_CUSTOMER", "LEDGER_SUPPLIER"}):
                # a user with a ledger right on a company that has no ledger: nothing to show
                assert (r.status_code, api.status_code) == (404, 404), (login, url)
            else:
                assert (r.status_code, api.status_code) == (403, 403), (login, url)
                assert api.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("login", USERS)
def test_rights_matrix_on_the_contact_card(clients, kit_sql, login):
    client = clients[login]
    rights = user_rights(kit_sql, login)
    person_id = scalar(kit_sql, '''SELECT MIN("PersonID") FROM "tblOrder" WHERE "Deleted" = 0 AND "PersonID" IS NOT NULL''')
    allowed = expected_tabs(rights, set()) - {"contacts"}
    shown = bar_keys(client.get(f"/persons/{person_id}/emails").get_data(as_text=True))
    assert shown[0] == "overview" and set(shown[1:]) == allowed
    for tab in PERSON_TABS:
        url = f"/persons/{person_id}/{tab}"
        want = 200 if tab in allowed else 403
        assert (client.get(url).status_code, client.get("/api/v1" + url).status_code) == (want, want), (login, url)
    assert client.get(f"/persons/{person_id}/ledger").status_code == 404
    assert client.get(f"/persons/{person_id}/contacts").status_code == 404


def test_each_ledger_needs_its_own_right(clients, matrix_companies):
    both = matrix_companies[0]
    assert clients["anna"].get(f"/companies/{both}/ledger?ledger=S").status_code == 403
    assert clients["anna"].get(f"/api/v1/companies/{both}/ledger?ledger=S").status_code == 403
    r = clients["anna"].get(f"/companies/{both}/ledger")
    assert r.status_code == 200 and "Supplier ledger" not in r.get_data(as_text=True)
    r = clients["lars"].get(f"/companies/{both}/ledger?ledger=S")
    assert r.status_code == 200 and "Supplier ledger" in r.get_data(as_text=True)
    assert clients["lars"].get(f"/companies/{TESTBOLAGET}/ledger?ledger=S").status_code == 404
    assert clients["lars"].get(f"/companies/{both}/ledger?ledger=X").status_code == 400


def test_orders_api_by_id_needs_order_read(clients, kit_sql):
    order_id = scalar(kit_sql, 'SELECT MIN("OrderID") FROM "tblOrder" WHERE "Deleted" = 0')
    assert clients["karin"].get(f"/api/v1/orders/{order_id}").status_code == 403
    assert clients["erik"].get(f"/api/v1/orders/{order_id}").status_code == 200
    assert clients["karin"].get(f"/companies/{TESTBOLAGET}/orders/{order_id}").status_code == 403


def test_overview_tab_bar_include_hides_tabs_without_rights(tabs_app, kit_sql, matrix_companies):
    """``companies/_tabs.html`` as the card's overview includes it (active_tab, tab_owner, owner_id)."""
    from facade.auth import sign_in as uc_sign_in

    svc = tabs_app.extensions["crm_lite"]
    both = matrix_companies[0]
    for login in ("karin", "anna", "admin"):
        user = uc_sign_in(login, "classic", users=svc.users)
        with tabs_app.test_request_context(f"/companies/{both}"):
            g.user = user
            html = render_template("companies/_tabs.html", active_tab="overview", tab_owner="company", owner_id=both)
        want = expected_tabs(user_rights(kit_sql, login), company_ledgers(kit_sql, both))
        assert bar_keys(html) == ["overview"] + [t for t in TABS if t in want]
        assert current_tab(html) == ["overview"]


def test_active_tab_is_marked_current(clients):
    for tab in TABS:
        html = clients["admin"].get(f"/companies/94/{tab}").get_data(as_text=True)
        assert current_tab(html) == [tab]


# --- soft deletes ---------------------------------------------------------------------------


def test_deleted_or_unknown_owner_gives_404_on_every_tab(clients, kit_sql):
    deleted = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    gone_person = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 1')
    admin = clients["admin"]
    for company_id in (deleted, 99999999):
        for tab in TABS:
            assert admin.get(f"/companies/{company_id}/{tab}").status_code == 404
            assert admin.get(f"/api/v1/companies/{company_id}/{tab}").status_code == 404
    for tab in PERSON_TABS:
        assert admin.get(f"/persons/{gone_person}/{tab}").status_code == 404


def test_email_deleted_in_the_email_module_is_absent(clients, kit_sql):
    email_id, company_id = rows(kit_sql, '''SELECT e."EmailID", l."CompanyID" FROM "tblEmail" e
        JOIN "tblEmailLink" l ON l."EmailID" = e."EmailID" WHERE e."Deleted" = 1 AND l."CompanyID" IS NOT NULL''')[0]
    admin = clients["admin"]
    body = admin.get(f"/api/v1/companies/{company_id}/emails?per_page=200").get_json()
    assert email_id not in [m["email_id"] for m in body["items"]]
    assert admin.get(f"/companies/{company_id}/emails/{email_id}").status_code == 404
    assert admin.get(f"/api/v1/emails/{email_id}").status_code == 404


# --- content ----------------------------------------------------------------------------------


def test_email_body_markup_is_shown_as_text(clients, kit_sql):
    email_id, company_id, body = rows(kit_sql, '''SELECT e."EmailID", l."CompanyID", e."BodyText" FROM "tblEmail" e
        JOIN "tblEmailLink" l ON l."EmailID" = e."EmailID"
        WHERE e."Deleted" = 0 AND e."BodyText" LIKE '%<script>%' AND l."CompanyID" IS NOT NULL''')[0]
    html = clients["karin"].get(f"/companies/{company_id}/emails/{email_id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    api = clients["karin"].get(f"/api/v1/emails/{email_id}").get_json()
    assert api["body_text"] == body


def test_company_name_with_markup_is_escaped_in_the_card_header(clients, kit_sql):
    company_id, _name = rows(kit_sql, '''SELECT "CompanyID", "Name" FROM "tblCompany"
                                        WHERE "Name" LIKE '%onerror%' AND "Deleted" = 0''')[0]
    html = clients["admin"].get(f"/companies/{company_id}/contacts").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(&#39;name&#39;)&gt; AB" in html


def test_tab_pages_show_the_rows_of_the_kit(clients, kit_sql):
    admin = clients["admin"]
    html = admin.get(f"/companies/{TESTBOLAGET}/contacts").get_data(as_text=True)
    for (person_id,) in rows(kit_sql, '''SELECT cp."PersonID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p
            ON p."PersonID" = cp."PersonID" WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0''',
                             c=TESTBOLAGET):
        assert f'href="/persons/{person_id}"' in html
    html = admin.get(f"/companies/{TESTBOLAGET}/calls").get_data(as_text=True)
    count = scalar(kit_sql, '''SELECT COUNT(*) FROM "tblCall" k WHERE k."CompanyID" = :c OR k."PersonID" IN (
        SELECT cp."PersonID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0)''', c=TESTBOLAGET)
    assert f'<span class="count">({count})</span>' in html
    # durations as m:ss
    dur = scalar(kit_sql, 'SELECT "DurationSec" FROM "tblCall" WHERE "CompanyID" = :c AND "DurationSec" > 60 LIMIT 1',
                 c=TESTBOLAGET)
    assert f"{dur // 60}:{dur % 60:02d}" in html


def test_ledger_page_marks_overdue_items_with_days(clients, kit_sql, matrix_companies):
    both = matrix_companies[0]
    html = clients["lars"].get(f"/companies/{both}/ledger?ledger=C&state=open").get_data(as_text=True)
    for (due,) in rows(kit_sql, '''SELECT "DueDate" FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = 'C'
                                   AND "Closed" = 'N' AND "DueDate" < :t''', c=both, t=TODAY.isoformat()):
        days = (TODAY - __import__("datetime").date.fromisoformat(due)).days
        assert f"{days} days overdue" in html or f"{days} dagar" in html


def test_ledger_api_totals_match_sql(clients, kit_sql, matrix_companies):
    both = matrix_companies[0]
    for ledger in ("C", "S"):
        body = clients["lars"].get(f"/api/v1/companies/{both}/ledger?ledger={ledger}&state=all&per_page=200").get_json()
        open_sum, overdue_sum = rows(kit_sql, '''SELECT
              SUM(CASE WHEN "Closed" = 'N' THEN "OpenAmount" ELSE 0 END),
              SUM(CASE WHEN "Closed" = 'N' AND "DueDate" < :t THEN "OpenAmount" ELSE 0 END)
            FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = :l''', c=both, l=ledger, t=TODAY.isoformat())[0]
        assert Decimal(body["totals"]["open_amount"]) == Decimal(str(open_sum)).quantize(Decimal("0.01"))
        assert Decimal(body["totals"]["overdue_amount"]) == Decimal(str(overdue_sum)).quantize(Decimal("0.01"))
        assert body["total"] == scalar(kit_sql, '''SELECT COUNT(*) FROM "tblLedgerEntry"
            WHERE "CompanyID" = :c AND "Ledger" = :l''', c=both, l=ledger)
        assert body["today"] == TODAY.isoformat() and body["ledger"] == ledger


def test_orders_api_amounts_in_currency_and_sek(clients, kit_sql):
    company_id = scalar(kit_sql, '''SELECT MIN("CompanyID") FROM "tblOrder" WHERE "Currency" = 'EUR' AND "Deleted" = 0''')
    body = clients["erik"].get(f"/api/v1/companies/{company_id}/orders?per_page=200&sort=number&dir=asc").get_json()
    expected = rows(kit_sql, '''SELECT "OrderID", "TotalAmount", "ExchangeRate" FROM "tblOrder"
        WHERE "CompanyID" = :c AND "Deleted" = 0 ORDER BY "OrderNo", "OrderID"''', c=company_id)
    assert [o["order_id"] for o in body["items"]] == [e.OrderID for e in expected]
    for o, e in zip(body["items"], expected):
        sek = (Decimal(str(e.TotalAmount)) * Decimal(str(e.ExchangeRate))).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert Decimal(o["total_sek"]) == sek and o["currency"] == "EUR"
    detail = clients["erik"].get(f"/api/v1/orders/{expected[0].OrderID}").get_json()
    n_lines = scalar(kit_sql, 'SELECT COUNT(*) FROM "tblOrderLine" WHERE "OrderID" = :o', o=expected[0].OrderID)
    assert len(detail["lines"]) == n_lines


def test_bad_sort_or_filter_is_400(clients):
    admin = clients["admin"]
    assert admin.get(f"/companies/{TESTBOLAGET}/emails?sort=EmailID;DROP").status_code == 400
    assert admin.get(f"/api/v1/companies/{TESTBOLAGET}/calls?from=yesterday").status_code == 400
    assert admin.get(f"/api/v1/companies/{TESTBOLAGET}/orders?status=7").status_code == 400
    assert admin.get(f"/api/v1/companies/{TESTBOLAGET}/calls?from=2025-05-01&to=2025-04-01").status_code == 400


# --- in-place loading -------------------------------------------------------------------------


@pytest.mark.parametrize("how", [{"headers": {"X-Requested-With": "fetch"}}, {"query_string": {"partial": "1"}}])
def test_partial_request_returns_only_the_panel(clients, how):
    r = clients["admin"].get(f"/companies/{TESTBOLAGET}/emails", **how)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith('<section id="tab-panel"')
    assert "<html" not in html and "data-card-tabs" not in html
    assert 'data-tab="emails"' in html
    assert "X-Requested-With" in r.headers.get("Vary", "")


def test_sort_and_paging_links_never_carry_partial(clients):
    html = clients["admin"].get(f"/companies/{TESTBOLAGET}/emails?partial=1&per_page=3").get_data(as_text=True)
    links = re.findall(r'href="([^"]+)"[^>]*data-partial', html)
    assert links and all("partial" not in link for link in links)
    assert any("page=2" in link for link in links)


# --- downloads ----------------------------------------------------------------------------------


def _doc(kit_sql, where: str, **params):
    return rows(kit_sql, f'''SELECT "DocumentID", "FileName", "ContentType", "StorageKey", "ByteSize"
        FROM "tblDocument" WHERE {where} ORDER BY "DocumentID"''', **params)[0]


def test_download_streams_the_bytes_with_type_and_nordic_file_name(clients, kit, kit_sql):
    doc = _doc(kit_sql, '''"FileName" = 'ÅÄÖ.pdf' AND "Deleted" = 0''')
    r = clients["karin"].get(f"/documents/{doc.DocumentID}/download")
    assert r.status_code == 200
    assert r.data == (Path(kit.file_store) / doc.StorageKey).read_bytes()
    assert r.headers["Content-Type"] == doc.ContentType
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("ÅÄÖ.pdf", safe="") in cd
    assert 'filename="AAO.pdf"' in cd
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Length"] == str(len(r.data))


def test_download_of_an_ie_client_path_uses_the_last_segment(clients, kit_sql):
    doc = _doc(kit_sql, '''"FileName" LIKE 'C:%' AND "Deleted" = 0''')
    own = doc.FileName.replace("\\", "/").rsplit("/", 1)[-1]
    r = clients["admin"].get(f"/documents/{doc.DocumentID}/download")
    assert r.status_code == 200
    cd = r.headers["Content-Disposition"]
    assert f'filename="{own}"' in cd and "filename*=UTF-8''" + quote(own, safe="") in cd
    assert "Documents" not in cd


def test_download_without_content_type_is_octet_stream_and_ascii_fallback_drops_accents(clients, kit_sql):
    doc = _doc(kit_sql, '''"ContentType" IS NULL AND "Deleted" = 0''')
    r = clients["admin"].get(f"/documents/{doc.DocumentID}/download")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    if doc.FileName == "Offert Göteborg – vår 2025.pdf":
        assert 'filename="Offert Goteborg - var 2025.pdf"' in r.headers["Content-Disposition"]
    emoji = _doc(kit_sql, '''"FileName" = '😀.txt' ''')
    cd = clients["admin"].get(f"/documents/{emoji.DocumentID}/download").headers["Content-Disposition"]
    assert "filename*=UTF-8''%F0%9F%98%80.txt" in cd and cd.isascii()


def test_lost_file_gives_a_clear_404(clients, kit_sql):
    doc = _doc(kit_sql, '''"FolderPath" = '/Import 2009' AND "Deleted" = 0''')
    r = clients["admin"].get(f"/documents/{doc.DocumentID}/download")
    assert r.status_code == 404 and "missing from the file store" in r.get_data(as_text=True)
    api = clients["admin"].get(f"/api/v1/documents/{doc.DocumentID}/content")
    assert api.status_code == 404 and "missing" in api.get_json()["error"]["message"]


def test_deleted_document_cannot_be_downloaded(clients, kit_sql):
    doc = _doc(kit_sql, '"Deleted" = 1')
    assert clients["admin"].get(f"/documents/{doc.DocumentID}/download").status_code == 404


def test_documents_of_a_deleted_company_cannot_be_downloaded(tabs_app, kit_sql, clients):
    hits = rows(kit_sql, '''SELECT d."DocumentID" FROM "tblDocument" d JOIN "tblCompany" c ON c."CompanyID" = d."CompanyID"
                            WHERE c."Deleted" = 1 AND d."Deleted" = 0''')
    for (doc_id,) in hits:
        assert clients["admin"].get(f"/documents/{doc_id}/download").status_code == 404


def test_api_download_with_basic_auth(tabs_app, kit, kit_sql):
    doc = _doc(kit_sql, '''"FileName" = 'ÅÄÖ.pdf' ''')
    r = tabs_app.test_client().get(f"/api/v1/documents/{doc.DocumentID}/content", headers=basic("karin"))
    assert r.status_code == 200 and r.data == (Path(kit.file_store) / doc.StorageKey).read_bytes()


# --- queries and timings ------------------------------------------------------------------------


def test_queries_per_tab_page_stay_low(tabs_app, clients, matrix_companies, capsys):
    engine = tabs_app.extensions["crm_lite"].classic_engine
    both = matrix_companies[0]
    pages = [f"/companies/{TESTBOLAGET}/{t}" for t in TABS[:-1]] + [f"/companies/{both}/ledger",
                                                                     "/persons/128/emails"]
    report = []
    for path in pages:
        clients["admin"].get(path)  # warm up (installation settings are cached)
        start = time.perf_counter()
        with count_queries(engine) as statements:
            r = clients["admin"].get(path)
        elapsed = (time.perf_counter() - start) * 1000
        assert r.status_code == 200
        # 1 for the signed-in user's rights (auth hook) + the tab's own reads
        assert len(statements) <= 4, (path, statements)
        report.append(f"{path}: {len(statements)} queries, {elapsed:.0f} ms")
    with capsys.disabled():
        print("\n" + "\n".join(report))
