"""The main flows in Chromium, Firefox and WebKit: sign in, dashboard, search and typeahead,
company card and every tab, contact card, recently viewed, sign out, phone width.

Every test runs once per engine (``test_x[chromium]``, ``[firefox]``, ``[webkit]``). Expected
names and ids come from SQL on the live server's database, never from the pages.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..browser import ARTIFACTS
from .conftest import sign_in
from .drivers import BrowserSession

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

#: The company card's tabs (anna holds CRM_READ, ORDER_READ and LEDGER_CUSTOMER: all show).
TABS = ("contacts", "emails", "documents", "calls", "orders", "ledger")
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


def test_company_card_and_every_tab_show_the_company(browser: BrowserSession, testbolaget):
    cid, name = testbolaget
    sign_in(browser)
    browser.goto(f"/companies/{cid}")
    assert name in browser.text_of("main h1")
    for tab in TABS:
        # As a user does: click the tab, not type its URL.
        browser.click(f".tabs a[href='/companies/{cid}/{tab}']")
        browser.wait_for_url(f"/companies/{cid}/{tab}")
        assert name in browser.text_of("main h1"), tab
        current = browser.eval_js(
            "var a = document.querySelector('.tabs a[aria-current=\"page\"]');"
            "return a ? a.getAttribute('href') : null;")
        assert current == f"/companies/{cid}/{tab}", f"{tab}: the current tab is marked aria-current=page"


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


def test_pages_fit_a_phone_without_sideways_scrolling(browser: BrowserSession, testbolaget, contact):
    cid = testbolaget[0]
    sign_in(browser)
    browser.set_width(375)
    too_wide = {}
    paths = ["/", "/search?q=testbolaget", f"/companies/{cid}", f"/persons/{contact[0]}"]
    paths += [f"/companies/{cid}/{tab}" for tab in TABS]
    for path in paths:
        browser.goto(path)
        browser.wait_for("main h1")
        overflow = browser.eval_js(SIDEWAYS_JS)
        if overflow > 0:
            too_wide[path] = overflow
            browser.screenshot(ARTIFACTS / f"{browser.engine}-phone{path.replace('/', '_').replace('?', '_')}.png")
    assert not too_wide, f"pages wider than 375 px (px too wide): {too_wide}"
