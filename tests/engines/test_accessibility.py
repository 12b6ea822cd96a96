"""Accessibility: axe-core over every page (Chromium), the keyboard and visible focus (every engine):
Tab through the top bar, menus, recently viewed, the card's tabs and the in-place edit form; "?"
opens the shortcuts help and Esc closes it.

axe-core comes with the PyPI package ``axe-playwright-python`` (offline). A page passes with 0
serious or critical violations; moderate and minor ones are listed in the run's summary
("accessibility (axe-core)") so they stay visible.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .conftest import AXE_SUMMARY, LANGUAGE_COOKIE, open_engine, sign_in
from .drivers import BrowserSession

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

TABS = ("contacts", "emails", "documents", "calls", "orders", "ledger")
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def ids(live_sql) -> dict[str, int]:
    """Ids of the pages' subjects (kit SQL): Testbolaget Aktiebolag (company), one live contact of it
    (person), its duplicate Testbolaget AB (duplicate, for the merge preview), one live e-mail and one
    live order of it, and anna (user, her employee card)."""
    with live_sql.connect() as c:
        def one(query: str, **params):
            value = c.execute(sa.text(query), params).scalar_one()
            assert value is not None, query
            return int(value)

        cid = one('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget Aktiebolag\' AND "Deleted" = 0')
        return {
            "company": cid,
            "person": one('SELECT MIN(p."PersonID") FROM "tblCompanyPerson" cp '
                          'JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
                          'WHERE cp."CompanyID" = :cid AND cp."Deleted" = 0 AND p."Deleted" = 0', cid=cid),
            "duplicate": one('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\' AND "Deleted" = 0'),
            "email": one('SELECT MIN(e."EmailID") FROM "tblEmail" e JOIN "tblEmailLink" l ON l."EmailID" = e."EmailID" '
                         'WHERE l."CompanyID" = :cid AND e."Deleted" = 0', cid=cid),
            "order": one('SELECT MIN("OrderID") FROM "tblOrder" WHERE "CompanyID" = :cid AND "Deleted" = 0', cid=cid),
            "user": one('SELECT "UserID" FROM "tblUser" WHERE "LoginName" = \'anna\''),
        }


@pytest.fixture
def chromium(request, live):
    """The Chromium session (the flows' one while it is open, else launched now), signed out."""
    session = open_engine("chromium", request, live)
    session.reset(cookies=LANGUAGE_COOKIE)
    session.set_width(1280)
    return session


# (test id, path, what to do on the page before axe runs)
PAGES = [
    ("login", "/login", None),
    ("dashboard", "/", None),
    ("search", "/search?q=testbolaget", None),
    ("typeahead-open", "/", "typeahead"),
    ("menus-open", "/", "menus"),
    ("company", "/companies/{company}", None),
    *[(f"tab-{tab}", f"/companies/{{company}}/{tab}", None) for tab in TABS],
    ("person", "/persons/{person}", None),
    ("email", "/companies/{company}/emails/{email}", None),
    ("order", "/companies/{company}/orders/{order}", None),
    ("employee", "/employees/{user}", None),
    ("recent", "/recent", None),
    ("shortcuts", "/shortcuts", None),
    ("shortcuts-dialog", "/companies/{company}", "shortcuts"),
    ("new-company", "/companies/new", None),
    ("edit", "/companies/{company}/edit", None),
    ("edit-in-place", "/companies/{company}", "edit"),
    ("notes-in-place", "/companies/{company}", "notes"),
    ("merge-pick", "/companies/{company}/merge", None),
    ("merge-search", "/companies/{company}/merge?q=Testbolaget", None),
    ("merge-preview", "/companies/{company}/merge/preview?merge_id={duplicate}", None),
    ("delete", "/companies/{company}/delete", None),
]


def _prepare(session: BrowserSession, action: str | None) -> None:
    if action == "typeahead":
        session.fill("#global-search", "Testbolaget")
        session.wait_for("#typeahead-list [role=option]")
        session.press("#global-search", "ArrowDown")
    elif action == "menus":
        session.click("details.recent-menu summary")
        session.wait_for("details.recent-menu .menu-body")
    elif action == "shortcuts":
        session.press(None, "?")
        session.wait_for("#shortcuts-dialog kbd")
    elif action == "edit":
        session.click("section#info a.button-edit")
        session.wait_for("section#info[data-edit-box] #f-name")
    elif action == "notes":
        session.click("section#info a.notes-edit")
        session.wait_for("section#info[data-edit-box] #f-notes")


@pytest.mark.parametrize(("name", "path", "action"), PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_serious_or_critical_violations(chromium, ids, name, path, action):
    from axe_playwright_python.sync_playwright import Axe

    if name != "login":
        sign_in(chromium)
    chromium.goto(path.format(**ids))
    chromium.wait_for("main h1")
    assert chromium.path() == path.format(**ids), "the page itself, not a redirect"
    assert not chromium.is_visible(".error-page"), chromium.text_of("main")
    _prepare(chromium, action)
    results = Axe().run(chromium.page)
    assert results.response["passes"], "axe checked the page"
    violations = results.response["violations"]
    summary = results.generate_snapshot() or "no violations"
    AXE_SUMMARY.append((name, results.response.get("testEngine", {}).get("version", "?"), violations))
    print(f"axe {name} ({chromium.path()}):\n{summary}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, results.generate_report()


# ---------------------------------------------------------------------------------------------
# Keyboard (every engine)


def _tab_to(browser: BrowserSession, found, *, limit: int = 60, seen: list | None = None) -> dict:
    """Press Tab until the focused element satisfies ``found`` (at most ``limit`` times);
    every element passed is appended to ``seen``. Returns the element found."""
    for _ in range(limit):
        browser.press(None, "Tab")
        info = browser.focused()
        if seen is not None:
            seen.append(info)
        if found(info):
            return info
    raise AssertionError(f"{browser.engine}: {limit} Tabs never reached the element; passed "
                         f"{[(i.get('tag'), i.get('id') or i.get('cls') or i.get('text')) for i in (seen or [])]}")


def _assert_focus_shows(info: dict, engine: str) -> None:
    assert info.get("outline") or info.get("shadow"), \
        f"{engine}: no visible focus on <{info.get('tag')} {info.get('id') or info.get('cls')}>: {info.get('focusStyle')}"


def test_keyboard_reaches_search_menus_and_sign_out_with_visible_focus(browser: BrowserSession, ids):
    sign_in(browser)
    browser.goto("/")
    browser.wait_for("main h1")
    seen: list[dict] = []

    skip = _tab_to(browser, lambda i: "skip-link" in i.get("cls", ""), limit=3, seen=seen)
    assert browser.eval_js("var r = document.activeElement.getBoundingClientRect();"
                           "return r.left >= 0 && r.top >= 0 && r.width > 0;"), "the skip link shows when focused"
    _assert_focus_shows(skip, browser.engine)

    box = _tab_to(browser, lambda i: i.get("id") == "global-search", seen=seen)
    _assert_focus_shows(box, browser.engine)
    recent = _tab_to(browser, lambda i: i.get("tag") == "summary" and "recent-menu" in i.get("menu", ""), seen=seen)
    _assert_focus_shows(recent, browser.engine)
    user = _tab_to(browser, lambda i: i.get("tag") == "summary" and "user-menu" in i.get("menu", ""), seen=seen)
    _assert_focus_shows(user, browser.engine)
    for info in seen:  # everything Tab passed on the way shows its focus too
        if info.get("tag") != "body":
            _assert_focus_shows(info, browser.engine)

    # Open the user menu from the keyboard and sign out with it.
    browser.press(None, "Enter")
    browser.wait_for("details.user-menu button[type=submit]")
    out = _tab_to(browser, lambda i: i.get("tag") == "button" and "user-menu" in i.get("menu", ""), limit=5)
    _assert_focus_shows(out, browser.engine)
    browser.press(None, "Enter")
    browser.wait_for_url(lambda url: "/login" in url)
    browser.wait_for("#login")


def test_keyboard_opens_a_recently_viewed_card_and_reaches_every_tab(browser: BrowserSession, ids):
    company = f"/companies/{ids['company']}"
    sign_in(browser)
    browser.goto(company)
    browser.wait_for("main h1")
    browser.goto("/")
    browser.wait_for("main h1")
    _tab_to(browser, lambda i: i.get("tag") == "summary" and "recent-menu" in i.get("menu", ""))
    browser.press(None, "Enter")
    browser.wait_for(f"details.recent-menu a[href='{company}']")
    link = _tab_to(browser, lambda i: i.get("href") == company, limit=15)
    _assert_focus_shows(link, browser.engine)
    browser.press(None, "Enter")
    browser.wait_for_url(company)
    browser.wait_for("main h1")

    # Every tab of the card is reachable with Tab, and shows its focus.
    wanted = {f"{company}/{tab}" for tab in TABS}
    reached: list[dict] = []
    _tab_to(browser, lambda i: wanted <= {r.get("href") for r in reached}, limit=120, seen=reached)
    for info in reached:
        if info.get("href") in wanted:
            _assert_focus_shows(info, browser.engine)


def test_question_mark_opens_the_shortcuts_help_and_escape_closes_it(browser: BrowserSession, ids):
    sign_in(browser)
    browser.goto(f"/companies/{ids['company']}")
    browser.wait_for("main h1")
    assert not browser.is_visible("#shortcuts-dialog")
    browser.press(None, "?")
    browser.wait_for("#shortcuts-dialog kbd")
    keys = browser.eval_js("return Array.prototype.map.call("
                           "document.querySelectorAll('#shortcuts-dialog kbd'), function (k) { return k.textContent; });")
    assert {"/", "?", "Esc"} <= set(keys), f"the help names the shortcuts: {keys}"
    close = browser.focused()
    assert browser.eval_js("return document.activeElement.hasAttribute('data-shortcuts-close');"), \
        f"the focus moves into the dialog, on its Close button: {close}"
    _assert_focus_shows(close, browser.engine)
    # Tab stays inside the (modal) dialog.
    browser.press(None, "Tab")
    assert browser.eval_js("return !!document.activeElement.closest('#shortcuts-dialog');"), browser.focused()
    browser.press(None, "Escape")
    browser.wait_for("#shortcuts-dialog", visible=False)
    assert browser.path() == f"/companies/{ids['company']}"
    # With the dialog closed the other shortcuts work again: "g" then "d" goes to the dashboard.
    browser.type_text("gd")  # one key sequence: the pair must come within 1.5 s
    browser.wait_for_url("/")
    browser.wait_for("main h1")


def test_keyboard_opens_the_in_place_edit_and_cancel_brings_the_box_back(browser: BrowserSession, ids, live_sql):
    card = f"/companies/{ids['company']}"
    with live_sql.connect() as c:
        change_no = c.execute(sa.text('SELECT "ChangeNo" FROM "tblCompany" WHERE "CompanyID" = :cid'),
                              {"cid": ids["company"]}).scalar_one()
    sign_in(browser)
    browser.goto(card)
    browser.wait_for("section#info a.button-edit")
    edit = _tab_to(browser, lambda i: "button-edit" in i.get("cls", ""), limit=80)
    _assert_focus_shows(edit, browser.engine)
    browser.press(None, "Enter")
    browser.wait_for("section#info[data-edit-box] #f-name")
    browser.wait_until(lambda: browser.focused().get("id") == "f-name", what="the focus in the form's first field")
    _assert_focus_shows(browser.focused(), browser.engine)
    # Every field on the way to Save and Cancel shows its focus.
    seen: list[dict] = []
    _tab_to(browser, lambda i: i.get("tag") == "button" and i.get("type") == "submit", limit=80, seen=seen)
    cancel = _tab_to(browser, lambda i: i.get("href", "").endswith(f"{card}#info"), limit=3, seen=seen)
    for info in seen:
        _assert_focus_shows(info, browser.engine)
    assert {"input", "select", "summary", "button", "a"} <= {i.get("tag") for i in seen}, seen
    assert browser.eval_js("return !!document.activeElement.closest('section#info[data-edit-box]');"), cancel
    browser.press(None, "Enter")
    browser.wait_for("section#info:not([data-edit-box]) dl.facts")
    assert browser.eval_js("return document.activeElement === document.querySelector('section#info h2');"), \
        "Cancel puts the focus back on the box's heading"
    assert browser.path() == card
    with live_sql.connect() as c:
        assert c.execute(sa.text('SELECT "ChangeNo" FROM "tblCompany" WHERE "CompanyID" = :cid'),
                         {"cid": ids["company"]}).scalar_one() == change_no, "Cancel saves nothing"
