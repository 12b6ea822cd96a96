"""Editing the company card in place in headless Chromium: the information box and the notes swap to
their forms and back without leaving the card, a refused save shows what changed in place, and
Cancel brings the box back. The classic database is a private copy; values are checked with SQL."""

from __future__ import annotations

import pytest

from .browser import ARTIFACTS, LiveServer, launch_chromium, sign_in_page
from .test_company_edit import Env

pytestmark = pytest.mark.browser


@pytest.fixture
def live(kit, tmp_path):
    env = Env(kit, tmp_path)
    server = LiveServer(env.app)
    yield env, server
    server.stop()
    env.close()


def test_the_information_box_and_notes_are_edited_in_place(live):
    from playwright.sync_api import expect, sync_playwright

    env, server = live
    company_id = int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\''))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="sv-SE", viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        # The refused save answers 409 on purpose; Chromium logs every non-2xx fetch.
        page.on("console", lambda msg: errors.append(msg.text)
                if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico")
                and "status of 409" not in msg.text else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            sign_in_page(page, server.url, "anna")
            page.goto(f"{server.url}/companies/{company_id}")
            page.evaluate("window.__sameDocument = true")  # gone if the page reloads
            info = page.locator("section#info")

            # The information box: Edit swaps in the form, Save swaps back the updated box.
            info.locator("a.button-edit").click()
            expect(page.locator("section#info[data-edit-box]")).to_be_visible()
            assert page.url == f"{server.url}/companies/{company_id}"
            page.screenshot(path=str(ARTIFACTS / "company-edit-inplace-1280.png"), full_page=True)
            page.fill("#f-phone", "0480-424 242")
            page.fill("#f-nick_name", "Testbolaget <i>i</i> Kalmar")
            page.locator("section#info button[type=submit]").click()
            expect(page.locator("section#info:not([data-edit-box])")).to_be_visible()
            expect(page.locator("section#info")).to_contain_text("Testbolaget <i>i</i> Kalmar")
            assert page.evaluate("window.__sameDocument") is True
            row = env.company(company_id)
            assert (row.Phone, row.NickName, row.ChangeNo) == ("0480-424 242", "Testbolaget <i>i</i> Kalmar", 2)

            # The notes: typed line breaks arrive as CRLF (what IE and every browser send).
            page.locator("section#info a.notes-edit").click()
            expect(page.locator("#f-notes")).to_be_visible()
            page.fill("#f-notes", "Första raden\nAndra raden <script>x</script>")
            page.locator("section#info button[type=submit]").click()
            expect(page.locator("section#info .notes")).to_contain_text("Andra raden <script>x</script>")
            assert env.company(company_id).Notes == "Första raden\r\nAndra raden <script>x</script>"

            # Someone else saves meanwhile: the refusal shows in place, the second Save re-applies.
            info.locator("a.button-edit").click()
            expect(page.locator("section#info[data-edit-box]")).to_be_visible()
            env.exec('UPDATE "tblCompany" SET "Fax" = \'0480-000 00\', "ChangeNo" = "ChangeNo" + 1, '
                     '"ChangedAt" = \'2025-06-16 09:59:00\', "ChangedBy" = 4 WHERE "CompanyID" = :id', id=company_id)
            page.fill("#f-web", "www.testbolaget.example")
            page.locator("section#info button[type=submit]").click()
            conflict = page.locator("section#info .conflict")
            expect(conflict).to_be_visible()
            expect(conflict.locator('tr[data-field="fax"]')).to_contain_text("0480-000 00")
            expect(page.locator("#f-web")).to_have_value("www.testbolaget.example")
            expect(page.locator("#f-fax")).to_have_value("0480-000 00")
            page.set_viewport_size({"width": 375, "height": 800})
            page.screenshot(path=str(ARTIFACTS / "company-edit-conflict-375.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.locator("section#info button[type=submit]").click()
            expect(page.locator("section#info:not([data-edit-box])")).to_be_visible()
            row = env.company(company_id)
            assert (row.Web, row.Fax, row.ChangeNo) == ("www.testbolaget.example", "0480-000 00", 5)

            # Cancel brings the box back untouched.
            page.set_viewport_size({"width": 1280, "height": 900})
            info.locator("a.button-edit").click()
            page.fill("#f-phone", "not saved")
            page.locator("section#info a[data-edit-cancel]").click()
            expect(page.locator("section#info:not([data-edit-box])")).to_be_visible()
            assert env.company(company_id).Phone == "0480-424 242"
            assert page.evaluate("window.__sameDocument") is True
            assert errors == []
        finally:
            browser.close()


def test_without_javascript_the_edit_link_opens_the_form_page(live):
    from playwright.sync_api import expect, sync_playwright

    env, server = live
    company_id = int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\''))
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(java_script_enabled=False, locale="sv-SE")
        page = context.new_page()
        try:
            sign_in_page(page, server.url, "anna")
            page.goto(f"{server.url}/companies/{company_id}")
            page.locator("section#info a.button-edit").click()
            page.wait_for_url(f"{server.url}/companies/{company_id}/edit")
            page.fill("#f-phone", "0480-7")
            page.locator("form[data-edit-form] button[type=submit]").click()
            page.wait_for_url(f"{server.url}/companies/{company_id}#info")
            expect(page.locator("section#info")).to_be_visible()
            assert env.company(company_id).Phone == "0480-7"
        finally:
            browser.close()
