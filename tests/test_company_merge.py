"""Merging two companies (``/companies/<id>/merge``, the JSON API's merge-preview and merge): the
duplicate pair ``Testbolaget AB`` ← ``Testbolaget Aktiebolag`` of the kit, whose second company has
rows in every table that references a company.

Every test runs on its own classic database (a copy of the kit's SQLite file; the main test also on a
PostgreSQL database it creates, skipped when PostgreSQL is unreachable) with the SOAP sandbox on a
free loopback port. Expected values come from independent SQL before the merge and the kit's rules
for ``MergeCompanies`` (kit README "CompanyService"), and the kit's ``check.py`` must pass after.
"""

from __future__ import annotations

import base64
import html
import re
import sqlite3
import subprocess
import sys

import pytest

from .kit import KIT_DIR, NOW_LOCAL, KitDatabase
from .test_company_edit import Env, env_on, text_of

NOW_TEXT = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")

#: Every table that references a company, and whether it has a Deleted column.
CHILD_TABLES = {
    "tblCompanyPerson": True, "tblAddress": False, "tblCompanyCategory": False, "tblActivity": True,
    "tblWallPost": True, "tblProject": True, "tblSalesOpp": True, "tblEmailLink": False, "tblDocument": True,
    "tblCall": False, "tblOrder": True, "tblLedgerEntry": False,
}
AUDITED = {"tblCompanyPerson": "PersonID", "tblActivity": "ActivityID", "tblWallPost": "PostID",
           "tblProject": "ProjectID", "tblSalesOpp": "OppID", "tblOrder": "OrderID"}

#: Rows of the merged company that stay behind by the kit's rules (the survivor already has them).
STAYS_SQL = {
    "tblCompanyPerson": 'SELECT COUNT(*) FROM "tblCompanyPerson" m WHERE m."CompanyID" = :merge AND EXISTS '
                        '(SELECT 1 FROM "tblCompanyPerson" k WHERE k."CompanyID" = :keep AND k."PersonID" = m."PersonID")',
    "tblAddress": 'SELECT COUNT(*) FROM "tblAddress" m WHERE m."CompanyID" = :merge AND EXISTS '
                  '(SELECT 1 FROM "tblAddress" k WHERE k."CompanyID" = :keep AND k."AddrType" = m."AddrType")',
    "tblCompanyCategory": 'SELECT COUNT(*) FROM "tblCompanyCategory" m WHERE m."CompanyID" = :merge AND EXISTS '
                          '(SELECT 1 FROM "tblCompanyCategory" k WHERE k."CompanyID" = :keep '
                          'AND k."CategoryID" = m."CategoryID")',
    "tblEmailLink": 'SELECT COUNT(*) FROM "tblEmailLink" m WHERE m."CompanyID" = :merge AND EXISTS '
                    '(SELECT 1 FROM "tblEmailLink" k WHERE k."CompanyID" = :keep AND k."EmailID" = m."EmailID")',
}
#: The preview's area of each table.
AREA_OF = {"tblCompanyPerson": "contacts", "tblAddress": "addresses", "tblCompanyCategory": "categories",
           "tblActivity": "activities", "tblWallPost": "wall", "tblProject": "projects",
           "tblSalesOpp": "opportunities", "tblEmailLink": "emails", "tblDocument": "documents", "tblCall": "calls",
           "tblOrder": "orders", "tblLedgerEntry": "ledger"}


# --- environments ----------------------------------------------------------------------------------


@pytest.fixture
def env(kit, tmp_path):
    e = Env(kit, tmp_path)
    yield e
    e.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_env(request, kit, tmp_path):
    with env_on(request.param, kit, tmp_path) as e:
        yield e


def pair(env: Env) -> tuple[int, int]:
    """(kept, merged): ``Testbolaget AB`` and ``Testbolaget Aktiebolag``."""
    ids = {r.Name: int(r.CompanyID) for r in env.q(
        'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "Name" IN '
        '(\'Testbolaget AB\', \'Testbolaget Aktiebolag\') AND "Deleted" = 0')}
    return ids["Testbolaget AB"], ids["Testbolaget Aktiebolag"]


def counts(env: Env, company_id: int) -> dict[str, int]:
    return {t: int(env.scalar(f'SELECT COUNT(*) FROM "{t}" WHERE "CompanyID" = :id', id=company_id))
            for t in CHILD_TABLES}


def expected_stays(env: Env, keep: int, merge: int) -> dict[str, int]:
    return {t: int(env.scalar(STAYS_SQL[t], keep=keep, merge=merge)) if t in STAYS_SQL else 0 for t in CHILD_TABLES}


def snapshot(env: Env, *company_ids: int) -> dict:
    """Every row of both companies and of every child table that references them."""
    out = {"companies": env.q('SELECT * FROM "tblCompany" WHERE "CompanyID" IN (:a, :b) ORDER BY "CompanyID"',
                              a=company_ids[0], b=company_ids[1])}
    for t in CHILD_TABLES:
        out[t] = sorted(tuple(str(v) for v in r) for r in env.q(
            f'SELECT * FROM "{t}" WHERE "CompanyID" IN (:a, :b)', a=company_ids[0], b=company_ids[1]))
    return out


def preview_form(page: str) -> dict[str, str]:
    """The merge form's hidden fields and checked choices, as a browser posts them."""
    start = page.index('class="merge-form"')
    part = page[start:page.index("</form>", start)]
    data = {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', part)}
    for m in re.finditer(r'name="(choice-[^"]+)" value="(\w+)" checked', part):
        data[m.group(1)] = m.group(2)
    return data


def _basic(login: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:classic".encode()).decode()}


def check_kit(db: KitDatabase) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(KIT_DIR / "check.py"), "--url", db.load_url],
                          check=False, capture_output=True, text=True, cwd=KIT_DIR)


# --- the merge -----------------------------------------------------------------------------------


def test_merge_moves_every_row_of_the_duplicate_to_the_survivor(any_env):
    env = any_env
    keep, merge = pair(env)
    before_keep, before_merge = counts(env, keep), counts(env, merge)
    assert all(before_merge[t] > 0 for t in CHILD_TABLES)  # the kit's promise for this pair
    stays = expected_stays(env, keep, merge)
    moved = {t: before_merge[t] - stays[t] for t in CHILD_TABLES}
    kept_row, merged_row = env.company(keep), env.company(merge)
    audited_ids = {t: [r[0] for r in env.q(f'SELECT "{col}", "ChangeNo" FROM "{t}" WHERE "CompanyID" = :m',
                                            m=merge)] for t, col in AUDITED.items() if t != "tblCompanyPerson"}
    change_nos = {t: {r[0]: int(r[1]) for r in env.q(f'SELECT "{col}", "ChangeNo" FROM "{t}" WHERE "CompanyID" = :m',
                                                      m=merge)} for t, col in AUDITED.items()}
    anna, erik = env.client("anna"), env.client("erik")
    # Two users have the duplicate in their recently viewed lists; Anna has the survivor too.
    assert anna.get(f"/companies/{keep}").status_code == 200
    assert anna.get(f"/companies/{merge}").status_code == 200
    assert erik.get(f"/companies/{merge}").status_code == 200

    pick = anna.get(f"/companies/{keep}/merge").get_data(as_text=True)
    suggestions = pick[pick.index('id="suggestions"'):pick.index('id="pick-search"')]
    assert f"merge_id={merge}" in suggestions  # same organisation number digits
    preview = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    for table, area in AREA_OF.items():
        row = re.search(r'data-area="' + area + r'">.*?<td class="num"[^>]*>([^<]+)</td>', page, re.DOTALL)
        assert row and int(row.group(1).replace("\u00a0", "").replace(" ", "")) == moved[table], table
    form = preview_form(page)
    assert form["keep_change_no"] == str(kept_row.ChangeNo) and form["merge_change_no"] == str(merged_row.ChangeNo)
    # The phones differ (a real choice: take the duplicate's); the survivor lacks a web site and
    # payment terms (filled in from the duplicate by default).
    assert form["choice-phone"] == "keep" and form["choice-web"] == "merge" and form["choice-payment_days"] == "merge"
    assert kept_row.Web is None and kept_row.PaymentDays is None
    form["choice-phone"] = "merge"
    r = anna.post(f"/companies/{keep}/merge", data=form)
    assert r.status_code == 303, text_of(r.get_data(as_text=True))[:1500]
    assert r.headers["Location"].endswith(f"/companies/{keep}")

    # Every child table: the survivor has the rows of both, except those the rules leave behind.
    after_keep, after_merge = counts(env, keep), counts(env, merge)
    for t in CHILD_TABLES:
        assert after_keep[t] == before_keep[t] + before_merge[t] - stays[t], t
        assert after_merge[t] == stays[t], t
    # No live row points at the duplicate, except person links of persons the survivor already
    # links (the survivor's link wins; the duplicate's stays, hidden with the deleted company).
    for t, soft in CHILD_TABLES.items():
        if soft:
            live = int(env.scalar(f'SELECT COUNT(*) FROM "{t}" WHERE "CompanyID" = :m AND "Deleted" = 0', m=merge))
            expected = int(env.scalar(
                'SELECT COUNT(*) FROM "tblCompanyPerson" m WHERE m."CompanyID" = :merge AND m."Deleted" = 0 '
                'AND EXISTS (SELECT 1 FROM "tblCompanyPerson" k WHERE k."CompanyID" = :keep '
                'AND k."PersonID" = m."PersonID")', keep=keep, merge=merge)) if t == "tblCompanyPerson" else 0
            assert live == expected, t
    # Moved rows of audited tables were updates by Anna.
    anna_id = env.user_id("anna")
    for t, col in AUDITED.items():
        for rid, change_no in change_nos[t].items():
            row = env.one(f'SELECT "CompanyID", "ChangeNo", "ChangedBy", "ChangedAt" FROM "{t}" WHERE "{col}" = :r '
                          'AND "CompanyID" = :k', r=rid, k=keep) if t != "tblCompanyPerson" else None
            if row is not None:
                assert (row.ChangeNo, row.ChangedBy, str(row.ChangedAt)[:19]) == (change_no + 1, anna_id, NOW_TEXT), t
    assert all(audited_ids.values())
    # At most one live main contact; one address per type.
    assert int(env.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :k AND "IsMain" = 1 '
                          'AND "Deleted" = 0', k=keep)) <= 1
    assert int(env.scalar('SELECT COUNT(*) FROM (SELECT "AddrType" FROM "tblAddress" WHERE "CompanyID" = :k '
                          'GROUP BY "AddrType" HAVING COUNT(*) > 1) x', k=keep)) == 0

    # The duplicate is soft-deleted; the survivor carries the chosen values.
    gone, kept = env.company(merge), env.company(keep)
    assert gone.Deleted == 1 and gone.ChangeNo == merged_row.ChangeNo + 1
    assert (kept.Name, kept.Phone, kept.Web, kept.PaymentDays) == (
        kept_row.Name, merged_row.Phone.strip(), merged_row.Web.strip(), merged_row.PaymentDays)
    assert kept.ChangeNo == kept_row.ChangeNo + 2 and kept.ChangedBy == anna_id  # merge, then the choices
    assert anna.get(f"/companies/{merge}").status_code == 404
    results = anna.get("/search?q=Testbolaget").get_data(as_text=True)
    assert f'href="/companies/{keep}"' in results and f'href="/companies/{merge}"' not in results

    # Everyone's recently viewed names the survivor instead, once.
    for client in (anna, erik):
        recent = client.get("/recent").get_data(as_text=True)
        assert f'href="/companies/{merge}"' not in recent and recent.count(f'href="/companies/{keep}"') >= 1
    store = sqlite3.connect(str(env.services.settings.state_url.removeprefix("sqlite:///")))
    try:
        rows = store.execute("SELECT user_id, record_id FROM recent_view WHERE kind = 'company' "
                             "AND record_id IN (?, ?) ORDER BY user_id", (keep, merge)).fetchall()
    finally:
        store.close()
    assert rows == sorted([(anna_id, keep), (env.user_id("erik"), keep)])

    # The merge record on the survivor's card: who, when, how many rows, the values taken.
    card = text_of(anna.get(f"/companies/{keep}").get_data(as_text=True))
    anna_name = env.scalar('SELECT "FullName" FROM "tblUser" WHERE "UserID" = :u', u=anna_id)
    total = sum(moved.values())
    line = re.search(r"Testbolaget Aktiebolag \(id " + str(merge) + r"\)[^.]*" + re.escape(anna_name)
                     + r"[^.]*2025-06-16 10:00[^.]*?(\d+)", card)
    assert line and int(line.group(1)) == total
    assert merged_row.Web.strip() in card and "60" in card

    assert check_kit(env.db).returncode == 0, check_kit(env.db).stdout


def test_a_soft_deleted_link_of_the_survivor_comes_back(env):
    keep, merge = pair(env)
    shared = env.scalar('SELECT k."PersonID" FROM "tblCompanyPerson" k JOIN "tblCompanyPerson" m '
                        'ON m."PersonID" = k."PersonID" AND m."CompanyID" = :m AND m."Deleted" = 0 '
                        'WHERE k."CompanyID" = :k AND k."IsMain" = 0', k=keep, m=merge)
    role = env.scalar('SELECT "Role" FROM "tblCompanyPerson" WHERE "CompanyID" = :k AND "PersonID" = :p',
                      k=keep, p=shared)
    env.exec('UPDATE "tblCompanyPerson" SET "Deleted" = 1, "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, '
             '"ChangedBy" = 1 WHERE "CompanyID" = :k AND "PersonID" = :p', at=NOW_TEXT, k=keep, p=shared)
    preview = env.app.test_client().get(f"/api/v1/companies/{keep}/merge-preview?merge_id={merge}",
                                        headers=_basic("anna")).get_json()
    contacts = next(a for a in preview["areas"] if a["area"] == "contacts")
    assert contacts["revived"] == 1  # the survivor's own (deleted) link comes back
    anna = env.client("anna")
    page = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True)
    r = anna.post(f"/companies/{keep}/merge", data=preview_form(page))
    assert r.status_code == 303
    link = env.one('SELECT "Deleted", "Role" FROM "tblCompanyPerson" WHERE "CompanyID" = :k AND "PersonID" = :p',
                   k=keep, p=shared)
    assert (link.Deleted, link.Role) == (0, role)
    assert check_kit(env.db).returncode == 0


# --- refusals: nothing is merged -------------------------------------------------------------------


def test_classic_services_down_during_the_merge_change_nothing(env):
    keep, merge = pair(env)
    before = snapshot(env, keep, merge)
    anna = env.client("anna")
    page = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True)
    form = {**preview_form(page), "choice-phone": "merge"}
    env.server.stop()
    r = anna.post(f"/companies/{keep}/merge", data=form)
    assert r.status_code == 503
    body = r.get_data(as_text=True)
    message = re.search(r'class="form-message" role="alert">([^<]+)<', body)
    assert message and ("classic" in message.group(1).lower() or "klassiska" in message.group(1).lower())
    assert 'name="choice-phone" value="merge" checked' in body  # the choices are kept
    assert snapshot(env, keep, merge) == before
    assert 'id="merges"' not in anna.get(f"/companies/{keep}").get_data(as_text=True)


def test_a_company_changed_since_the_preview_is_not_merged(env):
    keep, merge = pair(env)
    anna = env.client("anna")
    page = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True)
    env.exec('UPDATE "tblCompany" SET "Phone" = \'0480-1\', "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, '
             '"ChangedBy" = 4 WHERE "CompanyID" = :m', at=NOW_TEXT, m=merge)
    before = snapshot(env, keep, merge)
    r = anna.post(f"/companies/{keep}/merge", data=preview_form(page))
    assert r.status_code == 409
    fresh = preview_form(r.get_data(as_text=True))
    assert fresh["merge_change_no"] == str(env.company(merge).ChangeNo)
    assert snapshot(env, keep, merge) == before


def test_a_chosen_organisation_number_that_fails_the_check_is_refused_before_merging(env):
    keep, merge = pair(env)
    env.exec('UPDATE "tblCompany" SET "OrgNo" = \'5560360794\', "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, '
             '"ChangedBy" = 1 WHERE "CompanyID" = :m', at=NOW_TEXT, m=merge)
    before = snapshot(env, keep, merge)
    anna = env.client("anna")
    page = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True)
    r = anna.post(f"/companies/{keep}/merge", data={**preview_form(page), "choice-org_no": "merge"})
    assert r.status_code == 400
    assert 'data-field="org_no"' in r.get_data(as_text=True) and "field-error" in r.get_data(as_text=True)
    assert snapshot(env, keep, merge) == before


def test_merging_needs_crm_delete(env):
    keep, merge = pair(env)
    erik, anna = env.client("erik"), env.client("anna")
    assert f'href="/companies/{keep}/merge"' in anna.get(f"/companies/{keep}").get_data(as_text=True)
    assert f'href="/companies/{keep}/merge"' not in erik.get(f"/companies/{keep}").get_data(as_text=True)
    assert erik.get(f"/companies/{keep}/merge").status_code == 403
    assert erik.get(f"/companies/{keep}/merge/preview?merge_id={merge}").status_code == 403
    form = preview_form(anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True))
    token = re.search(r'name="csrf_token" value="([^"]+)"', erik.get(f"/companies/{keep}").get_data(as_text=True))
    assert erik.post(f"/companies/{keep}/merge", data={**form, "csrf_token": token.group(1)}).status_code == 403
    api = env.app.test_client()
    assert api.post(f"/api/v1/companies/{keep}/merge", headers=_basic("erik"),
                    json={"merge_id": merge, "keep_change_no": 1, "merge_change_no": 1}).status_code == 403
    assert env.company(merge).Deleted == 0


def test_merge_pages_show_markup_in_names_as_text(env):
    evil = int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" LIKE \'<img%\' AND "Deleted" = 0'))
    other = int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'50/50 Konsult\''))
    anna = env.client("anna")
    for path in (f"/companies/{evil}/merge", f"/companies/{evil}/merge/preview?merge_id={other}",
                 f"/companies/{other}/merge/preview?merge_id={evil}"):
        page = anna.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "<svg onload" not in page, path
        assert "&lt;img src=x onerror=alert(" in page, path


def test_a_company_cannot_be_merged_with_itself(env):
    keep, _merge = pair(env)
    r = env.client("anna").get(f"/companies/{keep}/merge/preview?merge_id={keep}")
    assert r.status_code == 400


def test_an_expired_classic_session_asks_for_the_password_and_keeps_the_choices(env):
    keep, merge = pair(env)
    anna = env.client("anna")
    page = anna.get(f"/companies/{keep}/merge/preview?merge_id={merge}").get_data(as_text=True)
    form = {**preview_form(page), "choice-phone": "merge"}
    # Classic ended the session (restart, timeout): CRM Lite still holds the old id.
    store = sqlite3.connect(str(env.services.settings.state_url.removeprefix("sqlite:///")))
    try:
        (classic_id,) = store.execute("SELECT classic_session_id FROM crm_session WHERE user_id = ?",
                                      (env.user_id("anna"),)).fetchone()
    finally:
        store.close()
    env.services.classic_auth.logout(classic_id)
    r = anna.post(f"/companies/{keep}/merge", data=form)
    assert r.status_code == 401
    body = r.get_data(as_text=True)
    assert 'name="password"' in body and 'name="choice-phone" value="merge" checked' in body
    assert env.company(merge).Deleted == 0
    again = {**preview_form(body), "password": "classic"}
    r = anna.post(f"/companies/{keep}/merge", data=again)
    assert r.status_code == 303
    assert env.company(merge).Deleted == 1
    assert env.company(keep).Phone == env.company(merge).Phone.strip()


# --- JSON API --------------------------------------------------------------------------------------


def test_api_previews_and_merges(env):
    keep, merge = pair(env)
    stays = expected_stays(env, keep, merge)
    before_merge = counts(env, merge)
    moved = {AREA_OF[t]: before_merge[t] - stays[t] for t in CHILD_TABLES}
    api = env.app.test_client()
    r = api.get(f"/api/v1/companies/{keep}/merge-preview?merge_id={merge}", headers=_basic("anna"))
    assert r.status_code == 200
    preview = r.get_json()
    assert {a["area"]: a["moved"] for a in preview["areas"]} == moved
    assert preview["moved_total"] == sum(moved.values())
    assert {f["field"] for f in preview["fields"]} >= {"name", "phone", "web", "payment_days"}
    assert api.get(f"/api/v1/companies/{keep}/merge-preview", headers=_basic("anna")).status_code == 400
    stale = api.post(f"/api/v1/companies/{keep}/merge", headers=_basic("anna"),
                     json={"merge_id": merge, "keep_change_no": preview["keep"]["change_no"] + 5,
                           "merge_change_no": preview["merge"]["change_no"]})
    assert stale.status_code == 409 and env.company(merge).Deleted == 0
    r = api.post(f"/api/v1/companies/{keep}/merge", headers=_basic("anna"),
                 json={"merge_id": merge, "keep_change_no": preview["keep"]["change_no"],
                       "merge_change_no": preview["merge"]["change_no"], "choices": {"web": "keep"}})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["moved_rows"] == sum(moved.values()) and done["areas"] == moved and done["choices_saved"]
    assert [c["field"] for c in done["choices"]] == ["payment_days"]
    kept = env.company(keep)
    assert kept.Web is None and kept.PaymentDays == env.company(merge).PaymentDays
    assert env.company(merge).Deleted == 1
