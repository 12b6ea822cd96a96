"""Editing a company's information box and notes in place (``/companies/<id>/edit``, the JSON API's
``PATCH /api/v1/companies/<id>``), written straight to ``tblCompany``/``tblAddress``.

Each test works on a private copy of the kit's SQLite database with the SOAP sandbox on a free
loopback port (sign-in opens a classic session). Expected values come from independent SQL on that
copy or from the kit's rules (audit columns, ``ChangeNo + 1``, the organisation number formats).
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from sandbox.soap import ManualClock, serve_in_thread

from .conftest import csrf_token, make_app, sign_in
from .kit import NOW_LOCAL, NOW_UTC, PG_ADMIN_URL, KitDatabase, load_kit

NOW_TEXT = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")
FRAGMENT = {"X-CRM-Fragment": "1"}


# --- the test environment (also used by test_company_merge.py and the browser test) --------------


class Env:
    """A private classic database (a copy of the kit's SQLite file, or ``db``), the SOAP sandbox on
    it and the app wired to both; independent SQL through ``q``/``one``/``scalar``/``exec``."""

    def __init__(self, kit: KitDatabase, tmp_path: Path, db: KitDatabase | None = None) -> None:
        if db is None:
            path = tmp_path / "classic.db"
            shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), path)
            url = f"sqlite:///{path}"
            db = KitDatabase("sqlite", url, url, kit.file_store, kit.register_csv)
        self.db = db
        self.sql = sa.create_engine(db.load_url)
        # The classic side's clock is the tests' "now" too (it stamps ChangedAt of what it writes).
        self.server, self.soap_url = serve_in_thread(db.load_url, db.register_csv, clock=ManualClock(NOW_UTC))
        self.app = make_app(db, tmp_path, classic_soap_url=self.soap_url, lookup_url=self.soap_url)
        self.services = self.app.extensions["crm_lite"]

    def client(self, login: str):
        c = self.app.test_client()
        r = sign_in(c, login)
        assert r.status_code == 302, r.get_data(as_text=True)
        return c

    def q(self, sql: str, **params):
        with self.sql.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def one(self, sql: str, **params):
        with self.sql.connect() as conn:
            return conn.execute(sa.text(sql), params).one()

    def scalar(self, sql: str, **params):
        with self.sql.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def exec(self, sql: str, **params) -> None:
        with self.sql.begin() as conn:
            conn.execute(sa.text(sql), params)

    def user_id(self, login: str) -> int:
        return int(self.scalar('SELECT "UserID" FROM "tblUser" WHERE "LoginName" = :l', l=login))

    def company(self, company_id: int):
        return self.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :id', id=company_id)

    def close(self) -> None:
        self.server.stop()
        self.services.close()
        self.sql.dispose()


@pytest.fixture
def env(kit, tmp_path):
    e = Env(kit, tmp_path)
    yield e
    e.close()


def own_postgresql(tmp_path) -> KitDatabase:
    """A PostgreSQL kit database of this test alone (the shared ``kit_any`` one is read-only);
    skips the test when PostgreSQL is unreachable."""
    name = f"crm_lite_write_{os.environ.get('PYTEST_XDIST_WORKER', 'm')}_{os.getpid()}"
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    work = tmp_path / "pg"
    work.mkdir()
    load_kit(url, work)
    return KitDatabase("postgresql", url, url, work / "files", work / "register.csv")


def drop_postgresql(db: KitDatabase) -> None:
    name = db.load_url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def env_on(engine: str, kit: KitDatabase, tmp_path: Path) -> Iterator[Env]:
    """``Env`` on a copy of the SQLite kit (``sqlite``) or on a PostgreSQL database of its own."""
    db = own_postgresql(tmp_path) if engine == "postgresql" else None
    e = Env(kit, tmp_path, db=db)
    try:
        yield e
    finally:
        e.close()
        if db is not None:
            drop_postgresql(db)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_env(request, kit, tmp_path):
    with env_on(request.param, kit, tmp_path) as e:
        yield e


def form_html(page: str, company_id: int) -> str:
    """The edit form's HTML on a page (the page also holds the search and language forms)."""
    start = page.index(f'action="/companies/{company_id}/edit"')
    return page[start:page.index("</form>", start)]


def form_of(page: str, company_id: int) -> dict[str, str]:
    """The fields the edit form would post, as a browser sends them."""
    part = form_html(page, company_id)
    data: dict[str, str] = {}
    for m in re.finditer(r"<input\b[^>]*>", part):
        tag = m.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            data[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    for m in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', part, re.DOTALL):
        data[m.group(1)] = html.unescape(m.group(2))
    for m in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', part, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        first = re.search(r'<option value="([^"]*)"', m.group(2))
        data[m.group(1)] = html.unescape((chosen or first).group(1)) if (chosen or first) else ""
    return data


def open_form(client, company_id: int, part: str = "info") -> dict[str, str]:
    r = client.get(f"/companies/{company_id}/edit?part={part}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return form_of(r.get_data(as_text=True), company_id)


def text_of(page: str) -> str:
    """The visible text of a page, blanks collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def field_error(page: str, key: str) -> str | None:
    m = re.search(r'id="e-f-' + re.escape(key.replace(".", "-")) + r'">([^<]*)<', page)
    return html.unescape(m.group(1)) if m else None


@pytest.fixture
def testbolaget(env) -> int:
    return int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\' AND "Deleted" = 0'))


# --- rights ----------------------------------------------------------------------------------------


def test_only_users_with_crm_write_see_the_edit_button_and_may_edit(env, testbolaget):
    anna, karin = env.client("anna"), env.client("karin")
    card = anna.get(f"/companies/{testbolaget}").get_data(as_text=True)
    assert f'href="/companies/{testbolaget}/edit"' in card and "data-edit-inplace" in card
    assert f'href="/companies/{testbolaget}/edit?part=notes"' in card
    read_only = karin.get(f"/companies/{testbolaget}").get_data(as_text=True)
    assert f"/companies/{testbolaget}/edit" not in read_only
    assert karin.get(f"/companies/{testbolaget}/edit").status_code == 403
    form = {**open_form(anna, testbolaget), "csrf_token": csrf_token(karin, f"/companies/{testbolaget}")}
    assert karin.post(f"/companies/{testbolaget}/edit", data={**form, "phone": "1"}).status_code == 403
    creds = base64.b64encode(b"karin:classic").decode()
    r = karin.patch(f"/api/v1/companies/{testbolaget}", json={"change_no": 1, "phone": "1"},
                    headers={"Authorization": f"Basic {creds}"})
    assert r.status_code == 403
    assert env.company(testbolaget).ChangeNo == 1


def test_edit_form_shows_the_values_as_stored(env, testbolaget):
    row = env.company(testbolaget)
    postal = env.one('SELECT * FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 1', id=testbolaget)
    form = open_form(env.client("anna"), testbolaget)
    assert form["name"] == row.Name and form["org_no"] == row.OrgNo and form["phone"] == row.Phone
    assert form["change_no"] == str(row.ChangeNo)
    assert form["owner_user_id"] == str(row.OwnerUserID)
    assert form["addr1.line1"] == postal.Line1 and form["addr1.city"] == postal.City
    assert form["orig-name"] == row.Name  # what the form showed goes back with it


# --- saving --------------------------------------------------------------------------------------


def test_saving_writes_the_changed_fields_with_audit_columns_and_change_no(env, testbolaget):
    before = env.company(testbolaget)
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    form.update({"phone": "+46 480-999 99", "nick_name": "Testbolaget i Kalmar", "payment_days": "45",
                 "discount_pct": "12,5", "credit_limit": "250 000", "country": "se"})
    r = anna.post(f"/companies/{testbolaget}/edit", data=form)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/companies/{testbolaget}#info")
    after = env.company(testbolaget)
    assert after.Phone == "+46 480-999 99" and after.NickName == "Testbolaget i Kalmar"
    assert after.PaymentDays == 45 and abs(float(after.DiscountPct) - 12.5) < 0.005
    assert abs(float(after.CreditLimit) - 250000) < 0.005
    assert after.ChangeNo == before.ChangeNo + 1
    assert str(after.ChangedAt) == NOW_TEXT and after.ChangedBy == env.user_id("anna")
    # Untouched columns stay exactly as they were.
    for column in ("Name", "OrgNo", "VatNo", "Email", "Web", "Notes", "OwnerUserID", "Country", "Currency",
                   "CustomerNo", "IsCustomer", "CreatedAt", "CreatedBy", "Deleted"):
        assert getattr(after, column) == getattr(before, column), column
    card = anna.get(f"/companies/{testbolaget}").get_data(as_text=True)
    assert "Testbolaget i Kalmar" in card and "Your changes were saved." not in card  # shown once, Swedish UI


def test_the_edit_unit_of_work_on_each_engine(any_env):
    env = any_env
    company_id = int(env.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\''))
    before = env.company(company_id)
    anna = env.client("anna")
    form = open_form(anna, company_id)
    form.update({"phone": "0480-5", "discount_pct": "7.25", "credit_limit": "1234.5", "payment_days": "10",
                 "addr4.line1": "Fakturavägen 2", "addr4.city": "Åre", "notes": "x"})
    assert anna.post(f"/companies/{company_id}/edit", data=form).status_code == 303
    row = env.company(company_id)
    assert (row.Phone, row.PaymentDays, row.ChangeNo, row.ChangedBy) == ("0480-5", 10, before.ChangeNo + 1,
                                                                         env.user_id("anna"))
    assert abs(float(row.DiscountPct) - 7.25) < 0.005 and abs(float(row.CreditLimit) - 1234.5) < 0.005
    assert str(row.ChangedAt)[:19] == NOW_TEXT
    invoice = env.one('SELECT * FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 4', id=company_id)
    assert (invoice.Line1, invoice.City) == ("Fakturavägen 2", "Åre")
    env.exec('UPDATE "tblCompany" SET "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, "ChangedBy" = 1 '
             'WHERE "CompanyID" = :id', at=NOW_LOCAL, id=company_id)
    stale = open_form(anna, company_id)
    stale["change_no"] = str(row.ChangeNo)
    assert anna.post(f"/companies/{company_id}/edit", data={**stale, "phone": "0480-6"}).status_code == 409
    assert env.company(company_id).Phone == "0480-5"


def test_a_save_that_changes_nothing_writes_nothing(env, testbolaget):
    anna = env.client("anna")
    r = anna.post(f"/companies/{testbolaget}/edit", data=open_form(anna, testbolaget))
    assert r.status_code == 303
    row = env.company(testbolaget)
    assert row.ChangeNo == 1 and row.ChangedAt is None and row.ChangedBy is None


def test_messy_values_the_user_did_not_touch_are_not_rewritten(env):
    messy = env.one(
        'SELECT "CompanyID", "Name", "OrgNo" FROM "tblCompany" WHERE "Deleted" = 0 AND "Name" LIKE \' %\' '
        'AND "OrgNo" LIKE \' %\' ORDER BY "CompanyID"')
    anna = env.client("anna")
    form = open_form(anna, messy.CompanyID)
    form["phone"] = "0480-123 45"
    assert anna.post(f"/companies/{messy.CompanyID}/edit", data=form).status_code == 303
    after = env.company(messy.CompanyID)
    assert after.Name == messy.Name and after.OrgNo == messy.OrgNo  # blanks and format as typed long ago
    assert after.Phone == "0480-123 45"


def test_a_changed_swedish_organisation_number_is_checked_and_stored_like_classic_does(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    form["org_no"] = " 5560360793 "  # valid Luhn, no dash
    assert anna.post(f"/companies/{testbolaget}/edit", data=form).status_code == 303
    assert env.company(testbolaget).OrgNo == "556036-0793"
    form = open_form(anna, testbolaget)
    form["org_no"] = "5560360794"  # wrong check digit
    r = anna.post(f"/companies/{testbolaget}/edit", data=form)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert field_error(page, "org_no")
    assert form_of(page, testbolaget)["org_no"] == "5560360794"
    assert env.company(testbolaget).OrgNo == "556036-0793"


def test_notes_are_saved_as_typed_with_crlf(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget, part="notes")
    assert {k for k in form if not k.startswith("orig-")} == {"csrf_token", "change_no", "notes"}
    notes = "Rad ett\r\n  indragen rad två \r\n\r\nÅÄÖ 😀 & <b>fet</b>"
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, "notes": notes})
    assert r.status_code == 303
    row = env.company(testbolaget)
    assert row.Notes == notes and row.ChangeNo == 2 and row.Phone is not None
    card = anna.get(f"/companies/{testbolaget}").get_data(as_text=True)
    assert "&lt;b&gt;fet&lt;/b&gt;" in card and "<b>fet</b>" not in card


def test_markup_in_every_field_is_stored_as_typed_and_shown_escaped(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    evil = {
        "name": "<script>alert('n')</script> AB",
        "nick_name": "<img src=x onerror=alert(1)>",
        "vat_no": "\"><svg onload=alert(2)>",
        "phone": "<b>08</b>",
        "fax": "'\"&<>",
        "email": "a&b'c@test.invalid",
        "web": "javascript:alert(4)",
        "invoice_email": "a&b@test.invalid",
        "addr1.line1": "<iframe src=javascript:alert(5)>",
        "addr1.city": "Kalmar & <Co>",
    }
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, **evil})
    assert r.status_code == 303, text_of(r.get_data(as_text=True))[:2000]
    row = env.company(testbolaget)
    for key, column in (("name", "Name"), ("nick_name", "NickName"), ("vat_no", "VatNo"), ("phone", "Phone"),
                        ("fax", "Fax"), ("email", "Email"), ("web", "Web"), ("invoice_email", "InvoiceEmail")):
        assert getattr(row, column) == evil[key], column
    postal = env.one('SELECT * FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 1', id=testbolaget)
    assert postal.Line1 == evil["addr1.line1"] and postal.City == evil["addr1.city"]
    for page in (anna.get(f"/companies/{testbolaget}").get_data(as_text=True),
                 anna.get(f"/companies/{testbolaget}/edit").get_data(as_text=True)):
        for raw in ("<script>alert('n')", "<img src=x onerror", "<svg onload", "<iframe", "<b>08"):
            assert raw not in page
        assert "&lt;script&gt;" in page
    card = anna.get(f"/companies/{testbolaget}").get_data(as_text=True)
    assert 'href="javascript:' not in card


def test_markup_in_an_e_mail_address_is_refused_with_a_message(env, testbolaget):
    anna = env.client("anna")
    typed = "x\"><svg/onload=alert(3)>@test.invalid"
    r = anna.post(f"/companies/{testbolaget}/edit", data={**open_form(anna, testbolaget), "email": typed})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert field_error(page, "email") and form_of(page, testbolaget)["email"] == typed
    assert "<svg/onload" not in page
    assert env.company(testbolaget).ChangeNo == 1


def test_ten_thousand_character_fields_are_refused_next_to_the_field_keeping_the_typed_text(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    long_name = "Å" * 10_000
    bad = {
        "name": long_name,
        "city_long": "",
        "addr1.city": "K" * 10_000,
        "phone": "08 😀",
        "payment_days": "400",
        "discount_pct": "150",
        "credit_limit": "-5",
        "email": "not an address",
        "currency": "XYZ",
        "country": "Sverige",
        "owner_user_id": "99999",
    }
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, **bad})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    typed = form_of(page, testbolaget)
    assert typed["name"] == long_name and typed["addr1.city"] == "K" * 10_000 and typed["phone"] == "08 😀"
    for key in ("name", "addr1.city", "phone", "payment_days", "discount_pct", "credit_limit", "email",
                "currency", "country", "owner_user_id"):
        assert field_error(page, key), key
    assert "200" in field_error(page, "name")  # "At most 200 characters."
    row = env.company(testbolaget)
    assert row.ChangeNo == 1 and row.Name == "Testbolaget AB"
    assert env.scalar('SELECT "City" FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 1',
                      id=testbolaget) == "Kalmar"


def test_an_empty_name_is_refused(env, testbolaget):
    anna = env.client("anna")
    r = anna.post(f"/companies/{testbolaget}/edit", data={**open_form(anna, testbolaget), "name": "   "})
    assert r.status_code == 400 and field_error(r.get_data(as_text=True), "name")
    assert env.company(testbolaget).Name == "Testbolaget AB"


# --- addresses -------------------------------------------------------------------------------------


def test_addresses_are_updated_added_and_cleared_in_the_same_unit_of_work(env, testbolaget):
    types_before = {r.AddrType: r for r in env.q('SELECT * FROM "tblAddress" WHERE "CompanyID" = :id', id=testbolaget)}
    assert 1 in types_before and 3 not in types_before
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    form.update({"addr1.city": "Växjö", "addr3.line1": "Lagervägen 1", "addr3.post_code": "352 46",
                 "addr3.city": "Växjö", "addr3.country": "se"})
    assert anna.post(f"/companies/{testbolaget}/edit", data=form).status_code == 303
    rows = env.q('SELECT * FROM "tblAddress" WHERE "CompanyID" = :id ORDER BY "AddrType"', id=testbolaget)
    by_type = {r.AddrType: r for r in rows}
    assert len(rows) == len(by_type) == 2  # at most one per type
    assert by_type[1].AddressID == types_before[1].AddressID and by_type[1].City == "Växjö"
    assert by_type[1].Line1 == types_before[1].Line1
    assert (by_type[3].Line1, by_type[3].PostCode, by_type[3].City, by_type[3].Country, by_type[3].PersonID) == (
        "Lagervägen 1", "352 46", "Växjö", "SE", None)
    assert env.company(testbolaget).ChangeNo == 2  # the address change is a change of the company
    # Clearing every field keeps the row (tblAddress has no soft delete) with NULLs; the card hides it.
    form = open_form(anna, testbolaget)
    form.update({f"addr3.{k}": "" for k in ("line1", "line2", "post_code", "city", "country")})
    assert anna.post(f"/companies/{testbolaget}/edit", data=form).status_code == 303
    cleared = env.one('SELECT * FROM "tblAddress" WHERE "AddressID" = :a', a=by_type[3].AddressID)
    assert (cleared.Line1, cleared.Line2, cleared.PostCode, cleared.City, cleared.Country) == (None,) * 5
    card = anna.get(f"/companies/{testbolaget}").get_data(as_text=True)
    info = card[card.index('id="info"'):card.index('id="activities"')]
    assert "Leveransadress" not in info and "Postadress" in info
    # An empty address type the user does not fill in gets no row.
    form = open_form(anna, testbolaget)
    form["phone"] = "0480-1"
    anna.post(f"/companies/{testbolaget}/edit", data=form)
    assert env.scalar('SELECT COUNT(*) FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" IN (2, 4)',
                      id=testbolaget) == 0


def test_a_failing_address_write_rolls_back_the_company_row(env, testbolaget):
    """One unit of work: when the address statement fails, the company's update is undone too."""
    from facade.company_edit import AddressValues, CompanyPatch

    writes = env.services.company_writes
    class Unbindable:
        """Looks like text to the facade; no database driver can bind it."""

        def strip(self) -> str:
            return "x"

    patch = CompanyPatch({"phone": "0480-77"}, {3: AddressValues(line1=Unbindable(), city="X")})  # type: ignore[arg-type]
    with pytest.raises(sa.exc.SQLAlchemyError):
        writes.update(testbolaget, 1, patch, user_id=2, now_local=NOW_LOCAL)
    row = env.company(testbolaget)
    assert row.ChangeNo == 1 and row.Phone != "0480-77" and row.ChangedAt is None
    assert env.scalar('SELECT COUNT(*) FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 3',
                      id=testbolaget) == 0


# --- concurrency -----------------------------------------------------------------------------------


def test_the_second_of_two_sessions_is_refused_with_the_difference_and_can_reapply(env, testbolaget):
    anna, erik = env.client("anna"), env.client("erik")
    form_a, form_e = open_form(anna, testbolaget), open_form(erik, testbolaget)
    assert anna.post(f"/companies/{testbolaget}/edit", data={**form_a, "phone": "08-111 11 11"}).status_code == 303
    r = erik.post(f"/companies/{testbolaget}/edit",
                  data={**form_e, "phone": "08-222 22 22", "web": "www.erik.example"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    row = env.company(testbolaget)
    assert row.Phone == "08-111 11 11" and row.Web is None and row.ChangeNo == 2  # nothing of Erik's
    box = text_of(page[page.index('class="conflict"'):page.index("<form", page.index('class="conflict"'))])
    anna_name = env.scalar('SELECT "FullName" FROM "tblUser" WHERE "LoginName" = \'anna\'')
    assert anna_name in box and "2025-06-16 10:00" in box
    rows = re.findall(r'data-field="([^"]+)"', page[page.index('class="conflict"'):])
    assert rows == ["phone"]  # only what changed since Erik opened the form
    assert "08-222 22 22" in box and "08-111 11 11" in box
    again = form_of(page, testbolaget)
    assert again["change_no"] == "2" and again["phone"] == "08-222 22 22" and again["web"] == "www.erik.example"
    assert erik.post(f"/companies/{testbolaget}/edit", data=again).status_code == 303  # re-applied on purpose
    row = env.company(testbolaget)
    assert (row.Phone, row.Web, row.ChangeNo, row.ChangedBy) == ("08-222 22 22", "www.erik.example", 3,
                                                                 env.user_id("erik"))


def test_a_change_written_by_classic_is_caught_and_never_reverted(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    # The classic client writes the fax directly (ChangeNo + 1, its own audit columns).
    env.exec('UPDATE "tblCompany" SET "Fax" = :fax, "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, '
             '"ChangedBy" = :by WHERE "CompanyID" = :id', fax="0480-55 55 55", at="2025-06-16 09:58:00",
             by=env.user_id("marte"), id=testbolaget)
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, "email": "ny@testbolaget.example"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    box = text_of(page[page.index('class="conflict"'):page.index("<form", page.index('class="conflict"'))])
    marte = env.scalar('SELECT "FullName" FROM "tblUser" WHERE "LoginName" = \'marte\'')
    assert marte in box and "09:58" in box and "0480-55 55 55" in box
    assert env.company(testbolaget).Email == "info@testbolagetab.example"
    again = form_of(page, testbolaget)
    assert again["fax"] == "0480-55 55 55"  # the form brought the untouched field up to date
    assert again["email"] == "ny@testbolaget.example"  # and kept what Anna typed
    assert anna.post(f"/companies/{testbolaget}/edit", data=again).status_code == 303
    row = env.company(testbolaget)
    assert (row.Fax, row.Email, row.ChangeNo) == ("0480-55 55 55", "ny@testbolaget.example", 3)


def test_saving_a_company_deleted_meanwhile_keeps_what_was_typed(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    env.exec('UPDATE "tblCompany" SET "Deleted" = 1, "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :at, '
             '"ChangedBy" = 1 WHERE "CompanyID" = :id', at=NOW_TEXT, id=testbolaget)
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, "phone": "typed before the delete"})
    assert r.status_code == 404
    assert form_of(r.get_data(as_text=True), testbolaget)["phone"] == "typed before the delete"


class UnreachableWrites:
    """The real adapter, except that writing finds the classic database unreachable."""

    def __init__(self, real) -> None:
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def update(self, *args, **kwargs):
        from facade.errors import ClassicUnavailable

        raise ClassicUnavailable("The classic database cannot be reached right now.")


def test_classic_database_unreachable_keeps_the_form_as_typed(env, testbolaget):
    anna = env.client("anna")
    form = open_form(anna, testbolaget)
    env.services.company_writes = UnreachableWrites(env.services.company_writes)
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, "nick_name": "typed while down"})
    assert r.status_code == 503
    page = r.get_data(as_text=True)
    assert form_of(page, testbolaget)["nick_name"] == "typed while down"
    message = re.search(r'class="form-message" role="alert">([^<]+)<', page)
    assert message and ("classic" in message.group(1).lower() or "klassiska" in message.group(1).lower())
    assert env.company(testbolaget).ChangeNo == 1


# --- in place (the fragments company_edit.js uses) ---------------------------------------------


def test_the_fragment_form_saves_and_answers_with_the_refreshed_boxes(env, testbolaget):
    anna = env.client("anna")
    r = anna.get(f"/companies/{testbolaget}/edit", headers=FRAGMENT)
    fragment = r.get_data(as_text=True)
    assert r.status_code == 200 and fragment.lstrip().startswith("{#") is False
    assert "<html" not in fragment and 'id="info"' in fragment and "X-CRM-Fragment" in r.headers["Vary"]
    form = form_of(fragment, testbolaget)
    r = anna.post(f"/companies/{testbolaget}/edit", data={**form, "phone": "0480-42"}, headers=FRAGMENT)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/companies/{testbolaget}/boxes")
    boxes = anna.get(r.headers["Location"], headers=FRAGMENT).get_data(as_text=True)
    assert "<html" not in boxes and 'id="info"' in boxes and 'id="terms"' in boxes
    assert "0480-42" in boxes or "0480 42" in boxes
    form = form_of(anna.get(f"/companies/{testbolaget}/edit", headers=FRAGMENT).get_data(as_text=True), testbolaget)
    bad = anna.post(f"/companies/{testbolaget}/edit", data={**form, "name": ""}, headers=FRAGMENT)
    assert bad.status_code == 400 and "<html" not in bad.get_data(as_text=True)


# --- JSON API --------------------------------------------------------------------------------------


def _basic(login: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:classic".encode()).decode()}


def test_api_patch_writes_the_given_fields_and_refuses_a_stale_change_no_with_the_differences(env, testbolaget):
    api = env.app.test_client()
    r = api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("anna"),
                  json={"change_no": 1, "phone": "0480-1000", "payment_days": 20,
                        "addresses": {"visiting": {"line1": "Storgatan 1", "city": "Kalmar"}}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["change_no"] == 2 and body["phone"] == "0480-1000" and body["addresses"]["visiting"]["city"] == "Kalmar"
    row = env.company(testbolaget)
    assert (row.Phone, row.PaymentDays, row.ChangeNo, row.ChangedBy) == ("0480-1000", 20, 2, env.user_id("anna"))
    assert env.scalar('SELECT "Line1" FROM "tblAddress" WHERE "CompanyID" = :id AND "AddrType" = 2',
                      id=testbolaget) == "Storgatan 1"
    stale = api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("erik"),
                      json={"change_no": 1, "phone": "0480-2000"})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"]["code"] == "conflict" and body["change_no"] == 2
    assert body["differences"] == [{"field": "phone", "yours": "0480-2000", "now": "0480-1000"}]
    assert env.company(testbolaget).Phone == "0480-1000"
    retry = api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("erik"),
                      json={"change_no": body["change_no"], "phone": "0480-2000"})
    assert retry.status_code == 200 and env.company(testbolaget).Phone == "0480-2000"


def test_api_patch_reports_invalid_fields(env, testbolaget):
    api = env.app.test_client()
    r = api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("anna"),
                  json={"change_no": 1, "name": "x" * 10_000, "discount_pct": 101, "unknown": 1})
    assert r.status_code == 400 and set(r.get_json()["error"]["fields"]) == {"unknown"}
    r = api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("anna"),
                  json={"change_no": 1, "name": "x" * 10_000, "discount_pct": 101})
    assert r.status_code == 400 and set(r.get_json()["error"]["fields"]) == {"name", "discount_pct"}
    assert api.patch(f"/api/v1/companies/{testbolaget}", headers=_basic("anna"), json={"name": "x"}).status_code == 400
    assert env.company(testbolaget).ChangeNo == 1


def test_api_patch_with_the_session_cookie_needs_the_csrf_token(env, testbolaget):
    anna = env.client("anna")
    r = anna.patch(f"/api/v1/companies/{testbolaget}", json={"change_no": 1, "phone": "1"})
    assert r.status_code == 400 and env.company(testbolaget).ChangeNo == 1


# --- cost --------------------------------------------------------------------------------------


def test_queries_per_edit_page_and_save(env, testbolaget):
    anna = env.client("anna")
    env.services.installation.get()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = env.services.classic_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        anna.get(f"/companies/{testbolaget}/edit")
        page_queries = len(statements)
        form = open_form(anna, testbolaget)
        statements.clear()
        anna.post(f"/companies/{testbolaget}/edit", data={**form, "phone": "0480-9", "addr3.city": "Kalmar"})
        save_queries = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Page: the company, the users (+ the signed-in user's rights). Save: read, UPDATE, address
    # SELECT + INSERT, read back (+ the user's rights).
    assert page_queries <= 3, page_queries
    assert save_queries <= 6, save_queries


# --- the rules alone (no database) -----------------------------------------------------------------


def test_organisation_numbers_are_checked_and_formatted_as_the_classic_service_stores_them():
    from facade.company_edit import BAD_ORGNO_NO, BAD_ORGNO_SE, normalise_org_no

    assert normalise_org_no(" 556036 0793", "SE") == ("556036-0793", None)
    assert normalise_org_no("16556036-0793", "SE") == ("556036-0793", None)  # century form
    assert normalise_org_no("19121212-1212", "se") == ("121212-1212", None)  # a personal identity number
    assert normalise_org_no("5560360794", "SE") == (None, BAD_ORGNO_SE)
    assert normalise_org_no("556036-079３", "SE") == (None, BAD_ORGNO_SE)  # a full-width digit
    assert normalise_org_no("NO 941 722 849", "NO") == (None, BAD_ORGNO_NO)  # letters are not separators
    assert normalise_org_no("941 722 849", "NO") == ("941722849", None)
    assert normalise_org_no(" HRB 58190 ", "DE") == ("HRB 58190", None)
    assert normalise_org_no("5560360793", None) == ("556036-0793", None)  # no country = SE


def test_a_refused_save_keeps_the_users_edits_and_takes_the_new_values_elsewhere():
    from facade.company_edit import EditableCompany, changed_keys, conflict_of

    shown = {"phone": "0480-1", "fax": "", "web": "old.example", "name": "Bolaget AB"}
    typed = {"phone": "0480-2", "fax": "", "web": "old.example", "name": "Bolaget AB"}
    now = EditableCompany(company_id=1, change_no=5, name="Bolaget AB", phone="0480-9", fax="0480-7",
                          web="old.example")
    changes = changed_keys(typed, shown)
    assert changes == {"phone": "0480-2"}
    c = conflict_of(now, changes, typed, shown)
    assert {ch.key: (ch.yours, ch.now, ch.you_changed) for ch in c.changes} == {
        "phone": ("0480-2", "0480-9", True), "fax": ("", "0480-7", False)}
    assert c.values == {"phone": "0480-2", "fax": "0480-7", "web": "old.example", "name": "Bolaget AB"}
    assert c.originals["phone"] == "0480-9" and c.current.change_no == 5


def test_merge_offers_only_fields_that_really_differ():
    from decimal import Decimal

    from facade.company_edit import EditableCompany
    from facade.company_merge import merge_fields

    keep = EditableCompany(company_id=1, change_no=1, name="Testbolaget AB", org_no="556181-7478",
                           email="info@test.example", currency=None, phone="0480-133 55", web=None,
                           discount_pct=Decimal(5))
    merge = EditableCompany(company_id=2, change_no=1, name="Testbolaget Aktiebolag", org_no=" 5561817478",
                            email="INFO@test.example", currency="SEK", phone="+46 480 13355", web="www.t.example",
                            discount_pct=Decimal("5.00"))
    fields = {f.key: f for f in merge_fields(keep, merge, "SEK")}
    assert set(fields) == {"name", "web"}  # same digits, same e-mail, same phone, SEK = base, 5 = 5.00
    assert (fields["name"].clash, fields["name"].default) == (True, "keep")
    assert (fields["web"].clash, fields["web"].default) == (False, "merge")
