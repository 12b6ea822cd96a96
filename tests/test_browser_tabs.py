"""Every tab of one company card in headless Chromium: in-place loading (no full reload), the
address bar and back button, sorting and paging inside a panel, plain links without JavaScript,
and no horizontal scrolling at phone width."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .browser import ARTIFACTS, LiveServer, launch_chromium, sign_in_page
from .conftest import make_app

pytestmark = pytest.mark.browser

TABS = ("contacts", "emails", "documents", "calls", "orders", "ledger")


@pytest.fixture
def live(kit, tmp_path):
    app = make_app(kit, tmp_path)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["crm_lite"].close()


@pytest.fixture
def testbolaget(kit_sql) -> tuple[int, str]:
    with kit_sql.connect() as c:
        return tuple(c.execute(sa.text(
            'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "Name" = \'Testbolaget Aktiebolag\' '
            'AND "Deleted" = 0')).one())


def _panel_tab(page) -> str:
    return page.locator("#tab-panel").get_attribute("data-tab")


def test_every_tab_of_the_card_loads_in_place(live, testbolaget):
    from playwright.sync_api import expect, sync_playwright

    company_id, name = testbolaget
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            sign_in_page(page, live.url, "admin")
            # The card's overview (built by the cards area) shows the same tab bar.
            page.goto(f"{live.url}/companies/{company_id}")
            expect(page.locator("h1")).to_contain_text(name)
            bar = page.locator("nav[data-card-tabs]")
            expect(bar.locator('a[data-tab="overview"]')).to_have_attribute("aria-current", "page")
            bar.locator('a[data-tab="contacts"]').click()
            page.wait_for_url(f"{live.url}/companies/{company_id}/contacts")
            expect(page.locator("#tab-panel")).to_have_attribute("data-tab", "contacts")

            # From here on tabs swap the panel: a marker on window survives (no page load).
            page.evaluate("window.__noReload = 'still here'")
            for tab in TABS[1:]:
                page.locator(f'nav[data-card-tabs] a[data-tab="{tab}"]').click()
                page.wait_for_url(f"{live.url}/companies/{company_id}/{tab}")
                expect(page.locator("#tab-panel")).to_have_attribute("data-tab", tab)
                expect(page.locator(f'nav[data-card-tabs] a[data-tab="{tab}"]')).to_have_attribute("aria-current", "page")
                assert page.locator("nav[data-card-tabs] a[aria-current]").count() == 1
                assert page.evaluate("window.__noReload") == "still here", f"{tab} reloaded the page"
                assert name in page.title()
                page.screenshot(path=str(ARTIFACTS / f"tabs-{tab}.png"), full_page=True)

            # Back and forward move between tabs in place too.
            page.go_back()
            page.wait_for_url(f"{live.url}/companies/{company_id}/orders")
            expect(page.locator("#tab-panel")).to_have_attribute("data-tab", "orders")
            expect(page.locator('nav[data-card-tabs] a[data-tab="orders"]')).to_have_attribute("aria-current", "page")
            page.go_forward()
            expect(page.locator("#tab-panel")).to_have_attribute("data-tab", "ledger")
            assert page.evaluate("window.__noReload") == "still here"

            # Sorting and paging inside a panel, and opening an e-mail, stay in place.
            page.locator('nav[data-card-tabs] a[data-tab="emails"]').click()
            expect(page.locator("#tab-panel")).to_have_attribute("data-tab", "emails")
            page.locator("#tab-panel .per-page").get_by_role("link", name="10", exact=True).click()
            page.wait_for_url("**per_page=10**")
            page.locator('#tab-panel a[rel="next"]').click()
            page.wait_for_url("**page=2**")
            expect(page.locator("#tab-panel .pager-current")).to_contain_text("2")
            page.locator('#tab-panel th a.sort', has_text="Subject").first.click()
            page.wait_for_url("**sort=subject**")
            page.locator("#tab-panel tbody a[data-partial]").first.click()
            expect(page.locator("#tab-panel .email-view")).to_be_visible()
            assert page.evaluate("window.__noReload") == "still here"

            # A filter form (calls) loads in place as well.
            page.locator('nav[data-card-tabs] a[data-tab="calls"]').click()
            expect(page.locator("#tab-panel")).to_have_attribute("data-tab", "calls")
            page.select_option("#calls-direction", "I")
            page.locator("#tab-panel form.filter-form button[type=submit]").click()
            page.wait_for_url("**direction=I**")
            assert page.evaluate("window.__noReload") == "still here"
            assert not errors, errors
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "tabs-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_tabs_work_as_plain_links_without_javascript(live, testbolaget):
    from playwright.sync_api import expect, sync_playwright

    company_id, _name = testbolaget
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(java_script_enabled=False, locale="en-GB")
        page = context.new_page()
        try:
            sign_in_page(page, live.url, "lars")
            page.goto(f"{live.url}/companies/{company_id}/contacts")
            for tab in TABS[1:]:
                page.locator(f'nav[data-card-tabs] a[data-tab="{tab}"]').click()
                page.wait_for_url(f"{live.url}/companies/{company_id}/{tab}")
                expect(page.locator("#tab-panel")).to_have_attribute("data-tab", tab)
        finally:
            browser.close()


def test_every_tab_fits_a_phone_without_horizontal_scrolling(live, testbolaget):
    from playwright.sync_api import sync_playwright

    company_id, _name = testbolaget
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="sv-SE", viewport={"width": 375, "height": 800})
        try:
            sign_in_page(page, live.url, "admin")
            for tab in TABS:
                page.goto(f"{live.url}/companies/{company_id}/{tab}")
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{tab} scrolls sideways by {overflow}px at 375px"
                page.screenshot(path=str(ARTIFACTS / f"tabs-{tab}-375.png"), full_page=True)
        finally:
            browser.close()
