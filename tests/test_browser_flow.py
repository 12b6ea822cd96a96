"""A person in headless Chromium: sign in, search, open a card, find it in recently viewed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .browser import ARTIFACTS, LiveServer, launch_chromium, sign_in_page
from .conftest import make_app

pytestmark = pytest.mark.browser


@pytest.fixture
def live(kit, tmp_path):
    app = make_app(kit, tmp_path)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["crm_lite"].close()


def test_sign_in_search_open_card_and_see_it_in_recently_viewed(live, kit_sql):
    from playwright.sync_api import expect, sync_playwright

    with kit_sql.connect() as c:
        company_id, name = c.execute(sa.text(
            'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "Name" = \'Testbolaget Aktiebolag\' '
            'AND "Deleted" = 0')).one()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="sv-SE")
        try:
            sign_in_page(page, live.url, "anna")
            expect(page.locator("main h1")).to_be_visible()

            # Typeahead: type, see hits, pick with the keyboard.
            page.fill("#global-search", "Testbolaget Akt")
            hit = page.locator("#typeahead-list li a", has_text=name)
            expect(hit.first).to_be_visible(timeout=5000)
            page.screenshot(path=str(ARTIFACTS / "flow-typeahead.png"))

            # Results page without the typeahead (Enter with nothing selected submits).
            page.goto(live.url + "/search?q=Testbolaget")
            link = page.locator(f"a[href='/companies/{company_id}']").first
            expect(link).to_be_visible()
            link.click()
            page.wait_for_url(f"{live.url}/companies/{company_id}")
            expect(page.locator("h1")).to_contain_text(name)
            page.screenshot(path=str(ARTIFACTS / "flow-card.png"), full_page=True)

            # Recently viewed (top menu), also after a reload.
            page.reload()
            page.click("details.recent-menu summary")
            expect(page.locator(f"details.recent-menu a[href='/companies/{company_id}']")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "flow-recent.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "flow-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
