"""Keyboard shortcuts in headless Chromium: ``?`` opens the help dialog (focus inside, Tab kept in,
Esc closes and gives the focus back), ``/`` focuses the search box, ``g d`` / ``g r`` navigate, and
nothing fires while the user types in a field. Also the CSV export link downloads a file.

Until ``templates/base.html`` includes ``_shortcuts.html`` (the lead's file), the app here loads a
copy of base.html with that include in its footer, exactly the line the lead is asked to add.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader

from .browser import ARTIFACTS, ROOT, LiveServer, launch_chromium, sign_in_page
from .conftest import make_app

pytestmark = pytest.mark.browser

FOOTER = '<footer class="footer">CRM Lite</footer>'
FOOTER_WITH_SHORTCUTS = '<footer class="footer">CRM Lite {% include "_shortcuts.html" %}</footer>'
TESTBOLAGET = 77


def with_shortcuts_in_base(app, tmp_path) -> None:
    """Serve base.html with the shortcuts include when the real one does not have it yet."""
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    if "_shortcuts.html" in base:
        return
    assert FOOTER in base, "base.html's footer changed: update FOOTER_WITH_SHORTCUTS"
    folder = tmp_path / "templates-override"
    folder.mkdir()
    (folder / "base.html").write_text(base.replace(FOOTER, FOOTER_WITH_SHORTCUTS), encoding="utf-8")
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(folder)), app.jinja_loader])


@pytest.fixture
def live(kit, tmp_path):
    app = make_app(kit, tmp_path)
    with_shortcuts_in_base(app, tmp_path)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["crm_lite"].close()


def test_keyboard_shortcuts_help_dialog_search_and_go_to(live):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            sign_in_page(page, live.url, "anna")
            page.goto(f"{live.url}/companies/{TESTBOLAGET}/contacts")
            dialog = page.locator("#shortcuts-dialog")
            expect(dialog).to_be_hidden()

            # "?" opens the dialog with the focus inside; the page behind is inert.
            page.focus("a.brand")
            page.keyboard.type("?")
            expect(dialog).to_be_visible()
            expect(dialog).to_have_attribute("open", "")
            assert page.evaluate("document.getElementById('shortcuts-dialog').contains(document.activeElement)")
            expect(dialog.locator("h2")).to_have_text("Keyboard shortcuts")
            expect(dialog.locator("kbd", has_text="?")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "shortcuts-dialog-1280.png"))

            # Tab and Shift+Tab stay inside the dialog.
            for key in ("Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab"):
                page.keyboard.press(key)
                assert page.evaluate(
                    "document.getElementById('shortcuts-dialog').contains(document.activeElement)"), key

            # Esc closes it and gives the focus back to where it was.
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            assert page.evaluate("document.activeElement.classList.contains('brand')")

            # "/" focuses the search box (typeahead.js); typing "?" there types, opens nothing.
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.id") == "global-search"
            page.keyboard.type("a?b")
            assert page.input_value("#global-search") == "a?b"
            expect(dialog).to_be_hidden()
            page.keyboard.press("Escape")

            # "g" then "r" goes to recently viewed, "g" then "d" to the dashboard; not from a field.
            page.focus("#global-search")
            page.keyboard.type("gr")
            assert page.url.endswith(f"/companies/{TESTBOLAGET}/contacts")
            page.focus("a.brand")
            page.keyboard.press("g")
            page.keyboard.press("r")
            page.wait_for_url(f"{live.url}/recent")
            page.keyboard.press("g")
            page.keyboard.press("d")
            page.wait_for_url(f"{live.url}/")

            # The footer link opens the dialog too; the Close button closes it.
            page.click("footer a[data-shortcuts-open]")
            expect(dialog).to_be_visible()
            dialog.locator("button[data-shortcuts-close]").click()
            expect(dialog).to_be_hidden()
            assert page.url == f"{live.url}/"

            # At phone width the dialog fits the screen.
            page.set_viewport_size({"width": 375, "height": 800})
            page.keyboard.type("?")
            expect(dialog).to_be_visible()
            box = dialog.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
            page.screenshot(path=str(ARTIFACTS / "shortcuts-dialog-375.png"))
            page.keyboard.press("Escape")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            assert not errors, errors
        finally:
            browser.close()


def test_footer_link_opens_the_shortcuts_page_without_javascript(live):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(java_script_enabled=False, locale="en-GB")
        page = context.new_page()
        try:
            sign_in_page(page, live.url, "karin")
            page.click("footer a[data-shortcuts-open]")
            page.wait_for_url(f"{live.url}/shortcuts")
            expect(page.locator("h1")).to_have_text("Keyboard shortcuts")
            expect(page.locator("main kbd", has_text="?")).to_have_count(1)
            expect(page.locator("#shortcuts-dialog")).to_be_hidden()
        finally:
            browser.close()


def test_export_link_downloads_the_csv(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(accept_downloads=True, locale="en-GB")
        page = context.new_page()
        try:
            sign_in_page(page, live.url, "anna")
            page.goto(f"{live.url}/companies/{TESTBOLAGET}/orders?sort=amount")
            with page.expect_download() as info:
                page.click("p.export-link a")
            download = info.value
            assert download.suggested_filename.endswith("-Testbolaget Aktiebolag-2025-06-16.csv")
            data = Path(download.path()).read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and b";" in data and b"\r\n" in data
            assert page.url.endswith("/orders?sort=amount")  # the page stays
        finally:
            browser.close()
