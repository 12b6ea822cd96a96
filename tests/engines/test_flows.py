"""The main flows in Chromium, Firefox and WebKit: sign in, dashboard, search and typeahead ("/",
arrow keys, Enter, Esc), company card and every tab, an in-place edit of the information box,
contact card, recently viewed, sign out, phone width. The company card's screenshots at 1280 and
375 px are written to <CRM_LITE_SHOTS or a temporary folder>/<engine>-card-<width>.png on every run.

Every test runs once per engine (``test_x[chromium]``, ``[firefox]``, ``[webkit]``). Expected
names and ids come from SQL on the live server's database, never from the pages.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..browser import ARTIFACTS, ROOT
from .conftest import sign_in
from .drivers import ENGINES, BrowserSession

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

#: The company card's tabs (anna holds CRM_READ, ORDER_READ and LEDGER_CUSTOMER: all show).
TABS = ("contacts", "emails", "documents", "calls", "orders", "ledger")
#: Where the card's screenshots go: a temporary folder, so that a test run leaves the checkout
#: as it was; ``CRM_LITE_SHOTS=docs/screenshots`` refreshes the documentation's copies.
DOCS_SHOTS = Path(os.environ.get("CRM_LITE_SHOTS") or Path(tempfile.gettempdir()) / "crm-lite-shots")
if not DOCS_SHOTS.is_absolute():
    DOCS_SHOTS = ROOT / DOCS_SHOTS
#: CSS px the page is wider than its layout viewport (scrollbar excluded): > 0 scrolls sideways.
SIDEWAYS_JS = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


@pytest.fixture(scope="module")
def testbolaget(live_sql) -> tuple[int, str]:
    """(CompanyID, Name) of the kit's 'Testbolaget Aktiebolag' (rows in every card table)."""
    with live_sql.connect() as c:
        row = c.execute(sa.text(
            'SELECT "CompanyID", "Name" FROM "tblCompany" '
            'WHERE "Name" = \'Testbolaget Aktiebolag\' AND "Deleted" = 0')).one()
    return int(row[0]), row[1]


@pytest.fixture(scope="module")
def contact(live_sql, testbolaget) -> tuple[int, str, str]:
    """(PersonID, FirstName, LastName) of a live contact of Testbolaget Aktiebolag (a live
    link and a live person, both names present; the lowest PersonID)."""
    with live_sql.connect() as c:
        row = c.execute(sa.text(
            'SELECT p."PersonID", p."FirstName", p."LastName" FROM "tblCompanyPerson" cp '
            'JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
            'WHERE cp."CompanyID" = :cid AND cp."Deleted" = 0 AND p."Deleted" = 0 '
            'AND p."FirstName" <> \'\' AND p."LastName" <> \'\' ORDER BY p."PersonID"'),
            {"cid": testbolaget[0]}).first()
    assert row is not None, "the kit gives Testbolaget Aktiebolag live contacts"
    return int(row[0]), row[1], row[2]


@pytest.fixture(scope="module")
def anna_name(live_sql) -> str:
    with live_sql.connect() as c:
        return c.execute(sa.text('SELECT "FullName" FROM "tblUser" WHERE "LoginName" = \'anna\'')).scalar_one()


def _path_is(prefix: str):
    return lambda url: url.split("://", 1)[-1].split("/", 1)[-1].startswith(prefix.lstrip("/"))


def test_sign_in_lands_on_the_dashboard_with_the_users_name(browser: BrowserSession, anna_name):
    sign_in(browser, "anna")
    browser.wait_for("main h1")
    assert browser.path() == "/"
    assert not browser.is_visible(".error-page"), browser.text_of("main")
    assert anna_name in browser.text_of("details.user-menu summary")
    assert browser.eval_js("return document.documentElement.lang;") == "sv", "the language cookie is honoured"


def test_a_wrong_password_keeps_the_user_on_the_login_page(browser: BrowserSession):
    browser.goto("/login")
    browser.fill("#login", "anna")
    browser.fill("#password", "not-the-password")
    browser.click("button[type=submit].primary")
    browser.wait_for("#login-error")
    assert browser.path() == "/login"
    browser.goto("/")
    browser.wait_for_url(_path_is("/login"))


def test_search_from_the_top_bar_lists_every_live_matching_company(browser: BrowserSession, live_sql):
    with live_sql.connect() as c:
        rows = c.execute(sa.text(
            'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "Deleted" = 0')).all()
    expected = {int(cid): name for cid, name in rows if "testbolaget" in name.lower()}
    assert len(expected) >= 2  # the kit's duplicate pair
    sign_in(browser)
    # Enter with no typeahead hit chosen submits the form: the results page.
    browser.fill("#global-search", "testbolaget")
    browser.press("#global-search", "Enter")
    browser.wait_for_url(_path_is("/search?q=testbolaget"))
    for cid, name in expected.items():
        link = f"main a[href='/companies/{cid}']"
        browser.wait_for(link)
        assert name in browser.text_of(link)


def test_typeahead_arrow_down_and_enter_opens_the_highlighted_hit(browser: BrowserSession, testbolaget):
    cid = testbolaget[0]
    sign_in(browser)
    browser.fill("#global-search", "Testbolaget Akt")
    browser.wait_for(f"#typeahead-list a[href='/companies/{cid}']")
    assert browser.eval_js("return document.querySelector('#global-search').getAttribute('aria-expanded');") \
        == "true"
    browser.press("#global-search", "ArrowDown")
    chosen = browser.eval_js(
        "var list = document.getElementById('typeahead-list');"
        "var sel = list.querySelector('[aria-selected=\"true\"]');"
        "var first = list.querySelector('[role=option]');"
        "function href(el) { if (!el) return null; var a = el.matches('a') ? el : el.querySelector('a');"
        " return a ? a.getAttribute('href') : null; }"
        "return {selected: href(sel), first: href(first),"
        " focusStaysInBox: document.activeElement.id === 'global-search'};")
    assert chosen["selected"], "ArrowDown highlights a hit (aria-selected=true)"
    assert chosen["selected"] == chosen["first"], "ArrowDown from the box highlights the first hit"
    assert chosen["focusStaysInBox"], "the focus stays in the search box (aria-activedescendant pattern)"
    browser.press("#global-search", "Enter")
    browser.wait_for_url(chosen["selected"])
    browser.wait_for("main h1")


def test_slash_focuses_search_and_escape_closes_the_typeahead(browser: BrowserSession, testbolaget):
    cid = testbolaget[0]
    card = f"/companies/{cid}"
    sign_in(browser)
    browser.goto(card)
    browser.wait_for("main h1")
    browser.press(None, "/")
    browser.wait_until(lambda: browser.focused().get("id") == "global-search", what="'/' to focus the search box")
    assert browser.eval_js("return document.getElementById('global-search').value;") == "", "'/' is not typed"
    browser.type_text("Testbolaget Akt")
    hit = f"#typeahead-list > li[role=presentation] > a[role=option][href='/companies/{cid}']"
    browser.wait_for(hit)
    # Down, down, up: back on the first hit; the focus never leaves the box.
    for key in ("ArrowDown", "ArrowDown", "ArrowUp"):
        browser.press(None, key)
    state = browser.eval_js(
        "var box = document.getElementById('global-search');"
        "var sel = document.querySelectorAll('#typeahead-list [aria-selected=\"true\"]');"
        "var first = document.querySelector('#typeahead-list [role=option]');"
        "return {selected: sel.length, firstSelected: sel.length === 1 && sel[0] === first,"
        " active: box.getAttribute('aria-activedescendant') === (first && first.id),"
        " focus: document.activeElement === box};")
    assert state == {"selected": 1, "firstSelected": True, "active": True, "focus": True}, state
    browser.press(None, "Escape")
    browser.wait_for("#typeahead-list", visible=False)
    closed = browser.eval_js(
        "var box = document.getElementById('global-search');"
        "return {expanded: box.getAttribute('aria-expanded'), value: box.value,"
        " focus: document.activeElement === box, options: document.querySelectorAll('#typeahead-list a').length};")
    assert closed == {"expanded": "false", "value": "Testbolaget Akt", "focus": True, "options": 0}, closed
    assert browser.path() == card, "Esc neither submits the search nor leaves the card"


def _tab_counts(live_sql, cid: int) -> dict[str, int]:
    """The number each tab's heading shows for company ``cid``, counted with independent SQL: live
    contacts (live link, live person); e-mail linked to the company and not deleted; live documents;
    the calls of the company and of its live contacts (the company live); live orders, invoices and
    credit notes; the customer ledger's open items (the tab's default)."""
    queries = {
        "contacts": 'SELECT COUNT(*) FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
                    'WHERE cp."CompanyID" = :cid AND cp."Deleted" = 0 AND p."Deleted" = 0',
        "emails": 'SELECT COUNT(*) FROM "tblEmail" e WHERE e."Deleted" = 0 AND e."EmailID" IN '
                  '(SELECT l."EmailID" FROM "tblEmailLink" l WHERE l."CompanyID" = :cid)',
        "documents": 'SELECT COUNT(*) FROM "tblDocument" WHERE "CompanyID" = :cid AND "Deleted" = 0',
        "calls": 'SELECT COUNT(*) FROM "tblCall" k WHERE k."CompanyID" = :cid OR (k."PersonID" IN '
                 '(SELECT cp."PersonID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
                 ' WHERE cp."CompanyID" = :cid AND cp."Deleted" = 0 AND p."Deleted" = 0) AND (k."CompanyID" IS NULL '
                 ' OR k."CompanyID" IN (SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0)))',
        "orders": 'SELECT COUNT(*) FROM "tblOrder" WHERE "CompanyID" = :cid AND "Deleted" = 0',
        "ledger": 'SELECT COUNT(*) FROM "tblLedgerEntry" WHERE "CompanyID" = :cid AND "Ledger" = \'C\' '
                  'AND "Closed" = \'N\'',
    }
    with live_sql.connect() as c:
        return {tab: int(c.execute(sa.text(q), {"cid": cid}).scalar_one()) for tab, q in queries.items()}


def test_company_card_and_every_tab_show_the_company(browser: BrowserSession, testbolaget, live_sql):
    cid, name = testbolaget
    counts = _tab_counts(live_sql, cid)
    assert counts["contacts"] and counts["orders"], "the kit gives Testbolaget Aktiebolag rows in its tabs"
    sign_in(browser)
    browser.goto(f"/companies/{cid}")
    assert name in browser.text_of("main h1")
    bar = browser.eval_js("return Array.prototype.map.call(document.querySelectorAll('.tabs a[data-tab]'),"
                          " function (a) { return a.getAttribute('data-tab'); });")
    assert bar == ["overview", *TABS], "anna sees the overview and every working tab"
    for tab in TABS:
        # As a user does: click the tab, not type its URL. From the overview that loads the tab's
        # page; from one tab to the next, tabs.js swaps the panel in place.
        browser.click(f".tabs a[href='/companies/{cid}/{tab}']")
        browser.wait_for_url(f"/companies/{cid}/{tab}")
        browser.wait_for(f"#tab-panel[data-tab='{tab}']:not([aria-busy]) h2 .count")
        assert name in browser.text_of("main h1"), tab
        shown = browser.text_of(f"#tab-panel[data-tab='{tab}'] h2 .count")
        assert shown.strip("() ") == str(counts[tab]), f"{tab}: the heading counts {shown}, SQL {counts[tab]}"
        current = browser.eval_js(
            "var a = document.querySelectorAll('.tabs a[aria-current=\"page\"]');"
            "return a.length === 1 ? a[0].getAttribute('href') : a.length;")
        assert current == f"/companies/{cid}/{tab}", f"{tab}: exactly the current tab is marked aria-current=page"
        assert not browser.is_visible(".error-page"), tab
        if tab == TABS[0]:
            browser.eval_js("window.__sameDocument = 1;")  # gone if a later tab reloads the page
    assert browser.eval_js("return window.__sameDocument;") == 1, "the tabs load in place, without a reload"
    # Back to the overview through its tab: a page of its own.
    browser.click(".tabs a[data-tab='overview']")
    browser.wait_for_url(f"/companies/{cid}")
    browser.wait_for("section#info")


@pytest.fixture(scope="module")
def edited_company(live_sql) -> tuple[int, str]:
    """(CompanyID, Name) of the kit's 'Ängelholms Äppel AB', the company the in-place edit changes
    (not Testbolaget Aktiebolag, whose card the other tests and the docs' screenshots show)."""
    with live_sql.connect() as c:
        row = c.execute(sa.text('SELECT "CompanyID", "Name" FROM "tblCompany" '
                                'WHERE "Name" = \'Ängelholms Äppel AB\' AND "Deleted" = 0')).one()
    return int(row[0]), row[1]


_COMPANY_COLUMNS = ("Name", "NickName", "Phone", "Email", "OrgNo", "Web", "Notes", "ChangeNo", "ChangedBy", "ChangedAt")


def _company(live_sql, cid: int) -> dict:
    with live_sql.connect() as c:
        columns = ", ".join('"' + k + '"' for k in _COMPANY_COLUMNS)
        row = c.execute(sa.text(f'SELECT {columns} FROM "tblCompany" WHERE "CompanyID" = :cid'), {"cid": cid}).one()
    return dict(zip(_COMPANY_COLUMNS, row, strict=True))


def test_in_place_edit_saves_the_information_box_without_a_reload(browser: BrowserSession, live_sql,
                                                                    edited_company):
    cid, name = edited_company
    before = _company(live_sql, cid)
    with live_sql.connect() as c:
        anna_id = c.execute(sa.text('SELECT "UserID" FROM "tblUser" WHERE "LoginName" = \'anna\'')).scalar_one()
    # A value of its own per engine (each engine saves after the previous one), with markup-like
    # text and Nordic letters that must come back as text.
    digit = ENGINES.index(browser.engine)
    nick = f"Äppel <b>{browser.engine}</b> & Ö"
    phone = f"+46 8 123 45 6{digit}"
    assert (before["NickName"], before["Phone"]) != (nick, phone)

    sign_in(browser)
    browser.goto(f"/companies/{cid}")
    browser.wait_for("section#info a.button-edit")
    assert name in browser.text_of("main h1")
    browser.eval_js("window.__sameDocument = 1;")  # gone if the page reloads
    browser.click("section#info a.button-edit")
    browser.wait_for("section#info[data-edit-box] #f-nick_name")
    assert browser.focused().get("id") == "f-name", "the form opens with the focus in its first field"
    assert browser.path() == f"/companies/{cid}"
    browser.fill("#f-nick_name", nick)
    browser.fill("#f-phone", phone)
    browser.click("section#info[data-edit-box] button[type=submit]")
    browser.wait_for("section#info:not([data-edit-box]) dl.facts")

    assert browser.eval_js("return window.__sameDocument;") == 1, "the box is swapped in place, no reload"
    assert browser.path() == f"/companies/{cid}"
    facts = browser.text_of("section#info dl.facts")
    assert nick in facts, facts
    assert browser.eval_js("return document.querySelectorAll('section#info dl.facts b').length;") == 0, \
        "the nick name is shown as text, not markup"
    tel = browser.eval_js("var a = document.querySelector('section#info dl.facts a[href^=\"tel:\"]');"
                          "return a ? {href: a.getAttribute('href'), text: a.textContent} : null;")
    assert tel is not None and tel["href"] == "tel:" + phone.replace(" ", ""), tel
    national = "0" + "".join(ch for ch in phone if ch.isdigit())[2:]  # +46 8 … is 08-… in Sweden
    assert "".join(ch for ch in tel["text"] if ch.isdigit()) == national, tel
    assert browser.eval_js("var h = document.querySelector('section#info h2');"
                           "return document.activeElement === h;"), "the focus goes to the box's heading"

    after = _company(live_sql, cid)
    assert (after["NickName"], after["Phone"]) == (nick, phone)
    assert after["ChangeNo"] == before["ChangeNo"] + 1, "one update: ChangeNo went up by exactly 1"
    assert after["ChangedBy"] == anna_id
    assert str(after["ChangedAt"]).startswith("2025-06-16 10:00"), after["ChangedAt"]  # the app's fixed clock
    untouched = ("Name", "Email", "OrgNo", "Web", "Notes")
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}


def test_contact_card_shows_the_person_and_links_the_company(browser: BrowserSession, contact, testbolaget):
    pid, first, last = contact
    sign_in(browser)
    browser.goto(f"/persons/{pid}")
    heading = browser.text_of("main h1")
    assert first in heading and last in heading
    browser.wait_for(f"main a[href='/companies/{testbolaget[0]}']")


def test_recently_viewed_menu_lists_the_card_after_reload(browser: BrowserSession, testbolaget):
    cid, name = testbolaget
    card = f"/companies/{cid}"
    link = f"details.recent-menu a[href='{card}']"
    sign_in(browser)
    browser.goto(card)
    browser.wait_for("main h1")
    browser.goto(card)  # reload: the menu is rendered by the server from its own store
    browser.click("details.recent-menu summary")
    browser.wait_for(link)
    assert name in browser.text_of(link)
    # From another page, the menu takes the user back to the card.
    browser.goto("/")
    browser.click("details.recent-menu summary")
    browser.click(link)
    browser.wait_for_url(card)
    assert name in browser.text_of("main h1")


def test_sign_out_ends_the_session(browser: BrowserSession, testbolaget):
    sign_in(browser)
    browser.click("details.user-menu summary")
    browser.click("details.user-menu button[type=submit]")
    browser.wait_for_url(_path_is("/login"))
    browser.goto(f"/companies/{testbolaget[0]}")
    browser.wait_for_url(_path_is("/login"))
    browser.wait_for("#login")


def png_is_blank(path: Path) -> bool:
    """Whether a PNG holds (almost) one colour: the filtered scanlines of an empty screen use a
    handful of byte values; a rendered page uses many."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat))) < 24


def test_login_page_renders_at_desktop_and_phone_width(browser: BrowserSession):
    """Screenshots kept for people to look at: test-artifacts/<engine>-login-<width>.png."""
    for width in (1280, 375):
        browser.set_width(width)
        browser.goto("/login")
        browser.wait_for("#login")
        shot = browser.screenshot(ARTIFACTS / f"{browser.engine}-login-{width}.png")
        assert not png_is_blank(shot), f"{shot} is blank"
        overflow = browser.eval_js(SIDEWAYS_JS)
        assert overflow <= 0, f"{width} px: the page scrolls sideways by {overflow} px"


def test_company_card_screenshots_at_desktop_and_phone_width(browser: BrowserSession, testbolaget):
    """Always writes docs/screenshots/<engine>-card-<width>.png (the viewport, 900 px high)."""
    cid, name = testbolaget
    sign_in(browser)
    for width in (1280, 375):
        browser.set_width(width)
        browser.goto(f"/companies/{cid}")
        browser.wait_for("section#info dl.facts")
        assert name in browser.text_of("main h1")
        shot = browser.screenshot(DOCS_SHOTS / f"{browser.engine}-card-{width}.png")
        assert not png_is_blank(shot), f"{shot} is blank"
        overflow = browser.eval_js(SIDEWAYS_JS)
        assert overflow <= 0, f"{width} px: the card scrolls sideways by {overflow} px"


def test_pages_fit_a_phone_without_sideways_scrolling(browser: BrowserSession, testbolaget, contact):
    cid = testbolaget[0]
    sign_in(browser)
    browser.set_width(375)
    too_wide = {}
    paths = ["/", "/search?q=testbolaget", f"/companies/{cid}", f"/persons/{contact[0]}"]
    paths += [f"/companies/{cid}/{tab}" for tab in TABS]
    paths += ["/companies/new", f"/companies/{cid}/edit", f"/companies/{cid}/merge", "/recent", "/shortcuts"]

    def check(what: str) -> None:
        overflow = browser.eval_js(SIDEWAYS_JS)
        if overflow > 0:
            too_wide[what] = overflow
            browser.screenshot(ARTIFACTS / f"{browser.engine}-phone{what.replace('/', '_').replace('?', '_')}.png")

    for path in paths:
        browser.goto(path)
        browser.wait_for("main h1")
        check(path)
    # The card with the information box's form open in place.
    browser.goto(f"/companies/{cid}")
    browser.click("section#info a.button-edit")
    browser.wait_for("section#info[data-edit-box] #f-name")
    check(f"/companies/{cid} (edit in place)")
    assert not too_wide, f"pages wider than 375 px (px too wide): {too_wide}"
