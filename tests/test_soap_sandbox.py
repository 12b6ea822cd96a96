"""Contract tests of the SOAP sandbox (sandbox/soap) over real HTTP on a free loopback port.

The sandbox stands in for the classic services, so these tests hold it to the kit's contract
(README "The SOAP services", the WSDL): the wire (cookie, faults, sentinels), and the database
rules (number series, audit columns, ChangeNo, soft delete, merge). Requests are made with plain
zeep clients built from the KIT's WSDL files (not CRM Lite's gateways) or with raw XML; every
expected value comes from independent SQL on a copy of the kit database, from the kit's register
CSV, or from the kit's documented rules.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
import sqlalchemy as sa
import zeep
import zeep.exceptions
from lxml import etree

from sandbox.soap import ManualClock, serve_in_thread

from .kit import KIT_DIR, NOW_LOCAL, NOW_UTC, ROOT

WS = "http://classiccrm.invalid/webservices"
LK = "http://classiccrm.invalid/lookup"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
INT_MIN = -2147483648
SHORT_MIN = -32768
DEC_MIN = Decimal(-79228162514264337593543950335)
LOOKUP_AUTH = {"LookupAuth": {"CustomerCode": "CLASSIC", "UserId": "crmlite", "Password": "lookup"}}
NOW_TEXT = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")


# --- fixtures -----------------------------------------------------------------------------------


class Sandbox:
    """A running sandbox on a private copy of the kit database."""

    def __init__(self, kit, tmp_path):
        self.db_path = tmp_path / "classic.db"
        shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), self.db_path)
        self.url = f"sqlite:///{self.db_path}"
        self.register_csv = kit.register_csv
        self.clock = ManualClock(NOW_UTC)
        self.server, self.base = serve_in_thread(self.url, kit.register_csv, clock=self.clock)
        self.app = self.server.app
        self.sql = sa.create_engine(self.url)

    def q(self, sql: str, **params):
        """Independent SQL: all rows."""
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
        return self.scalar('SELECT "UserID" FROM "tblUser" WHERE "LoginName" = :l', l=login)

    def client(self) -> KitClient:
        return KitClient(self.base)

    def close(self) -> None:
        self.server.stop()
        self.sql.dispose()


class KitClient:
    """zeep clients from the kit's own WSDL sharing one requests.Session (the README's advice)."""

    def __init__(self, base: str):
        self.http = requests.Session()
        transport = zeep.Transport(session=self.http, operation_timeout=10)

        def svc(name: str, ns: str = WS):
            client = zeep.Client(str(KIT_DIR / "wsdl" / f"{name}.wsdl"), transport=transport)
            return client.create_service(f"{{{ns}}}{name}Soap", f"{base}/{name}.asmx")

        self.auth = svc("Authenticate")
        self.companies = svc("CompanyService")
        self.invoices = svc("InvoiceService")
        self.lookup = svc("CompanyLookup", LK)

    def login(self, user: str, password: str = "classic") -> str:
        return self.auth.Login(credential={"ApplicationId": APP_ID, "Username": user, "Password": password})


@pytest.fixture
def sb(kit, tmp_path):
    s = Sandbox(kit, tmp_path)
    yield s
    s.close()


@pytest.fixture
def anna(sb):
    c = sb.client()
    assert c.login("anna")
    return c


def fault_of(excinfo) -> str:
    return excinfo.value.message


def raw(sb: Sandbox, service: str, op: str, inner: str = "", *, cookie: str | None = None, ns: str = WS,
        header: str = "", action: str | None = None) -> requests.Response:
    """POST a hand-written SOAP 1.1 envelope."""
    envelope = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
        f"<soap:Header>{header}</soap:Header><soap:Body><{op} xmlns=\"{ns}\">{inner}</{op}></soap:Body>"
        "</soap:Envelope>"
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action or f"{ns}/{op}"}"'}
    if cookie:
        headers["Cookie"] = f"ASP.NET_SessionId={cookie}"
    return requests.post(f"{sb.base}/{service}.asmx", data=envelope.encode("utf-8"), headers=headers, timeout=10)


def faultstring(r: requests.Response) -> str:
    root = etree.fromstring(r.content)
    return root.findtext(f".//{{{SOAP_ENV}}}Fault/faultstring")


LOGIN_XML = ('<credential><ApplicationId>{app}</ApplicationId><Username>{u}</Username>'
             '<Password>{p}</Password></credential>')


# --- WSDL and the wire ----------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["Authenticate", "CompanyService", "InvoiceService", "CompanyLookup"])
def test_each_service_serves_the_kits_wsdl_with_its_own_address(sb, service):
    r = requests.get(f"{sb.base}/{service}.asmx?wsdl", timeout=5)
    assert r.status_code == 200
    kit_text = (KIT_DIR / "wsdl" / f"{service}.wsdl").read_text(encoding="utf-8")
    assert r.text == kit_text.replace("http://localhost/", sb.base + "/")
    assert f'location="{sb.base}/{service}.asmx"' in r.text


def test_unknown_path_is_404(sb):
    assert requests.get(f"{sb.base}/Nothing.asmx", timeout=5).status_code == 404


def test_login_returns_the_session_id_and_sets_the_aspnet_cookie(sb):
    r = raw(sb, "Authenticate", "Login", LOGIN_XML.format(app=APP_ID, u="anna", p="classic"))
    assert r.status_code == 200
    sid = etree.fromstring(r.content).findtext(f".//{{{WS}}}LoginResult")
    assert sid and len(sid) == 24
    assert r.cookies.get("ASP.NET_SessionId") == sid


@pytest.mark.parametrize("user,password", [("anna", "wrong"), ("olle", "classic"), ("nobody", "classic"),
                                           ("", "classic")])
def test_bad_or_inactive_login_returns_empty_string_and_no_cookie(sb, user, password):
    r = raw(sb, "Authenticate", "Login", LOGIN_XML.format(app=APP_ID, u=user, p=password))
    assert r.status_code == 200
    assert etree.fromstring(r.content).findtext(f".//{{{WS}}}LoginResult") == ""
    assert "ASP.NET_SessionId" not in r.cookies
    assert len(sb.app.sessions) == 0


def test_login_name_is_case_insensitive(sb):
    assert sb.client().login("ANNA")


def test_login_with_a_malformed_application_id_is_a_validation_fault(sb):
    r = raw(sb, "Authenticate", "Login", LOGIN_XML.format(app="not-a-guid", u="anna", p="classic"))
    assert r.status_code == 500
    assert faultstring(r).startswith("Validation: ApplicationId")


def test_has_session_is_true_with_the_cookie_and_false_without_never_a_fault(sb, anna):
    assert anna.auth.HasSession() is True
    for cookie in (None, "unknownsession000000000000"):
        r = raw(sb, "Authenticate", "HasSession", cookie=cookie)
        assert r.status_code == 200
        assert etree.fromstring(r.content).findtext(f".//{{{WS}}}HasSessionResult") == "false"


def test_session_expires_after_twenty_idle_minutes_and_calls_refresh_it(sb, anna):
    sb.clock.advance(minutes=19)
    assert anna.auth.HasSession() is True  # refreshes
    sb.clock.advance(minutes=19)
    assert anna.auth.GetCurrentUser().LoginName == "anna"  # 19 idle minutes again: still alive
    sb.clock.advance(minutes=20, seconds=1)
    assert anna.auth.HasSession() is False
    with pytest.raises(zeep.exceptions.Fault) as exc:
        anna.auth.GetCurrentUser()
    assert fault_of(exc).startswith("NotAuthenticated:")


def test_a_call_without_session_is_an_asmx_fault_http_500(sb):
    r = raw(sb, "CompanyService", "DeleteCompanies", "<companyIds><int>1</int></companyIds>")
    assert r.status_code == 500
    root = etree.fromstring(r.content)
    assert root.findtext(f".//{{{SOAP_ENV}}}Fault/faultcode") == "soap:Server"
    assert faultstring(r) == "NotAuthenticated: session missing or expired"
    assert root.find(f".//{{{SOAP_ENV}}}Fault/detail") is not None
    assert sb.scalar('SELECT "Deleted" FROM "tblCompany" WHERE "CompanyID" = 1') == 0


def test_logout_ends_the_session(sb, anna):
    anna.auth.Logout()
    assert anna.auth.HasSession() is False
    with pytest.raises(zeep.exceptions.Fault) as exc:
        anna.auth.Logout()
    assert fault_of(exc).startswith("NotAuthenticated:")


def test_get_current_user_lists_the_users_rights(sb):
    for login in ("anna", "karin", "admin", "per"):
        c = sb.client()
        c.login(login)
        u = c.auth.GetCurrentUser()
        row = sb.one('SELECT "UserID", "FullName", "Email" FROM "tblUser" WHERE "LoginName" = :l', l=login)
        rights = {r[0] for r in sb.q('SELECT "RightCode" FROM "tblUserRight" WHERE "UserID" = :u', u=row.UserID)}
        assert (u.UserId, u.LoginName, u.FullName, u.Email) == (row.UserID, login, row.FullName, row.Email)
        assert set(u.Rights.string) == rights


def test_malformed_requests_are_validation_faults(sb, anna):
    bad_xml = requests.post(f"{sb.base}/CompanyService.asmx", data=b"<not xml", timeout=5,
                            headers={"Content-Type": "text/xml", "SOAPAction": f'"{WS}/SaveCompanies"'})
    assert bad_xml.status_code == 500 and faultstring(bad_xml).startswith("Validation:")
    unknown = raw(sb, "CompanyService", "Nope", action=f"{WS}/Nope")
    assert unknown.status_code == 500 and faultstring(unknown).startswith("Validation:")
    bad_int = raw(sb, "CompanyService", "DeleteCompanies", "<companyIds><int>x</int></companyIds>")
    assert bad_int.status_code == 500 and faultstring(bad_int).startswith("Validation:")


# --- rights ---------------------------------------------------------------------------------------


def test_karin_with_only_crm_read_may_not_save_companies_and_nothing_is_done(sb):
    c = sb.client()
    c.login("karin")
    before = sb.one('SELECT COUNT(*) AS n, (SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'CUSTNO\') AS nx '
                    'FROM "tblCompany"')
    with pytest.raises(zeep.exceptions.Fault) as exc:
        c.companies.SaveCompanies(companies={"Company": [{"Name": "Karins AB"}]})
    assert fault_of(exc).startswith("Forbidden:")
    with pytest.raises(zeep.exceptions.Fault) as exc:
        c.companies.DeleteCompanies(companyIds={"int": [1]})
    assert fault_of(exc).startswith("Forbidden:")
    after = sb.one('SELECT COUNT(*) AS n, (SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'CUSTNO\') AS nx '
                   'FROM "tblCompany"')
    assert tuple(after) == tuple(before)


def test_per_with_order_read_only_may_fetch_documents_but_not_save_orders(sb):
    c = sb.client()
    c.login("per")
    order_id = sb.scalar('SELECT MIN("OrderID") FROM "tblOrder" WHERE "Deleted" = 0')
    assert c.invoices.GetInvoiceDocument(orderId=order_id)[:5] == b"%PDF-"
    with pytest.raises(zeep.exceptions.Fault) as exc:
        c.invoices.SaveInvoices(invoices={"InvoiceOrder": [{"CustomerId": 1}]})
    assert fault_of(exc).startswith("Forbidden:")
    karin = sb.client()
    karin.login("karin")
    with pytest.raises(zeep.exceptions.Fault) as exc:
        karin.invoices.GetInvoiceDocument(orderId=order_id)
    assert fault_of(exc).startswith("Forbidden:")


# --- SaveCompanies --------------------------------------------------------------------------------


def test_create_takes_customer_and_supplier_numbers_from_the_series_and_writes_audit_columns(sb, anna):
    custno, suppno = (sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = :s', s=s)
                      for s in ("CUSTNO", "SUPPNO"))
    max_id = sb.scalar('SELECT MAX("CompanyID") FROM "tblCompany"')
    (c,) = anna.companies.SaveCompanies(companies={"Company": [{
        "Name": "Åre Nya Bröd & Co AB", "OrganizationNumber": " 556036 0793", "IsSupplier": True,
        "Phone": "08-123 45 67", "Note": "Rad 1\r\nRad 2 <script>",
        "Addresses": {"Post": {"Street": "Box 12", "PostalCode": "831 21", "City": "Östersund"},
                      "Visit": {"Street": "Storgatan 1", "City": "Åre", "Country": "se"}},
    }]})
    assert c.APIException is None
    row = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=c.Id)
    assert c.Id > max_id
    assert (row.CustomerNo, row.SupplierNo) == (custno, suppno) == (c.CustomerNo, c.SupplierNo)
    assert (row.IsCustomer, row.IsSupplier, row.CompanyKind, row.Country) == (1, 1, 1, "SE")
    assert row.OrgNo == "556036-0793"
    assert row.Notes == "Rad 1\r\nRad 2 <script>"
    assert (row.CreatedAt, row.CreatedBy, row.ChangedAt, row.ChangedBy, row.ChangeNo) == (
        NOW_TEXT, sb.user_id("anna"), None, None, 1)
    assert (row.Deleted, row.Currency) == (0, None)
    for series, used in (("CUSTNO", custno), ("SUPPNO", suppno)):
        nxt = sb.one('SELECT "NextNo", "LastUsedAt" FROM "tblNumberSeries" WHERE "SeriesCode" = :s', s=series)
        assert (nxt.NextNo, nxt.LastUsedAt) == (used + 1, NOW_TEXT)
    addresses = sb.q('SELECT "AddrType", "Line1", "Line2", "PostCode", "City", "Country", "PersonID" '
                     'FROM "tblAddress" WHERE "CompanyID" = :i ORDER BY "AddrType"', i=c.Id)
    assert [tuple(a) for a in addresses] == [(1, "Box 12", None, "831 21", "Östersund", None, None),
                                             (2, "Storgatan 1", None, None, "Åre", "SE", None)]


def test_create_without_is_customer_makes_a_customer(sb, anna):
    c, _ = anna.companies.SaveCompanies(companies={"Company": [{"Name": "Prospekt AB", "IsCustomer": False},
                                                                {"Name": "Kund AB"}]})
    row = sb.one('SELECT "IsCustomer", "CustomerNo" FROM "tblCompany" WHERE "CompanyID" = :i', i=c.Id)
    assert tuple(row) == (0, None)
    created = sb.one('SELECT "IsCustomer", "CustomerNo" FROM "tblCompany" WHERE "Name" = \'Kund AB\'')
    assert created.IsCustomer == 1 and created.CustomerNo is not None


def test_the_stored_company_comes_back_with_sentinels_for_null_value_types(sb, anna):
    r = raw(sb, "CompanyService", "SaveCompanies", "<companies><Company><Name>Sentinel AB</Name></Company></companies>",
            cookie=anna.http.cookies.get("ASP.NET_SessionId"))
    assert r.status_code == 200
    company = etree.fromstring(r.content).find(f".//{{{WS}}}Company")
    text = {etree.QName(e).localname: e.text for e in company}
    assert text["SupplierNo"] == str(INT_MIN)
    assert text["Owner"] == str(INT_MIN)
    assert text["PaymentTime"] == str(SHORT_MIN)
    assert Decimal(text["Discount"]) == DEC_MIN and Decimal(text["CreditLimit"]) == DEC_MIN
    assert text["DateChanged"] == "0001-01-01T00:00:00"
    assert text["DateCreated"] == NOW_LOCAL.isoformat()
    assert "CurrencyId" not in text and "Phone" not in text  # NULL strings are left out


def test_validation_fails_only_the_bad_items_each_naming_its_field(sb, anna):
    count = sb.scalar('SELECT COUNT(*) FROM "tblCompany"')
    max_user = sb.scalar('SELECT MAX("UserID") FROM "tblUser"')
    items = [
        {"Name": "Giltig AB", "OrganizationNumber": "19556036-0793"},
        {"Name": "   "},
        {"Name": "Fel Orgnr AB", "OrganizationNumber": "556036-0794"},
        {"Name": "Fel Norge AS", "Country": "NO", "OrganizationNumber": "923609017"},
        {"Name": "Okänd ägare AB", "Owner": max_user + 1},
        {"Name": "Valuta AB", "CurrencyId": "XYZ"},
        {"Name": "Rabatt AB", "Discount": Decimal("100.5")},
        {"Name": "Betaltid AB", "PaymentTime": 366},
        {"Name": "Norge AS", "Country": "NO", "OrganizationNumber": "923 609 016", "CurrencyId": "nok"},
    ]
    results = anna.companies.SaveCompanies(companies={"Company": items})
    assert len(results) == len(items)
    expected_fields = [None, "Name", "OrganizationNumber", "OrganizationNumber", "Owner", "CurrencyId", "Discount",
                       "PaymentTime", None]
    for item, result, field in zip(items, results, expected_fields):
        if field is None:
            assert result.APIException is None
            continue
        assert result.APIException.Type == "Validation"
        assert result.APIException.Message.startswith(f"{field}: ")
        assert result.APIException.ItemId == INT_MIN  # a failed create has no id
        assert result.Id is None and result.Name == item["Name"]  # the item as sent
    assert sb.scalar('SELECT COUNT(*) FROM "tblCompany"') == count + 2
    assert sb.scalar('SELECT "OrgNo" FROM "tblCompany" WHERE "Name" = \'Giltig AB\'') == "556036-0793"
    norway = sb.one('SELECT "OrgNo", "Currency", "Country" FROM "tblCompany" WHERE "Name" = \'Norge AS\'')
    assert tuple(norway) == ("923609016", "NOK", "NO")


def test_update_with_a_stale_change_no_is_a_conflict_and_changes_nothing(sb, anna):
    before = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = 1')
    (r,) = anna.companies.SaveCompanies(companies={"Company": [
        {"Id": 1, "ChangeNo": before.ChangeNo + 1, "Name": "Ändrat AB",
         "Addresses": {"Visit": {"Street": "Ny gata 1"}}}]})
    assert r.APIException.Type == "Conflict" and r.APIException.ItemId == 1
    assert tuple(sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = 1')) == tuple(before)
    assert sb.scalar('SELECT COUNT(*) FROM "tblAddress" WHERE "CompanyID" = 1 AND "AddrType" = 2') == 0


def test_update_without_change_no_is_a_validation_error(sb, anna):
    (r,) = anna.companies.SaveCompanies(companies={"Company": [{"Id": 1, "Name": "Utan ChangeNo AB"}]})
    assert r.APIException.Type == "Validation" and r.APIException.Message.startswith("ChangeNo:")
    assert sb.scalar('SELECT "Name" FROM "tblCompany" WHERE "CompanyID" = 1') == "Testbolaget AB"


def test_update_leaves_sentinels_and_left_out_fields_unchanged_and_empty_strings_clear(sb, anna):
    company_id = sb.scalar('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0 AND "Phone" IS NOT NULL '
                           'AND "OwnerUserID" IS NOT NULL AND "DiscountPct" IS NOT NULL AND "Email" IS NOT NULL')
    before = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=company_id)
    (r,) = anna.companies.SaveCompanies(companies={"Company": [{
        "Id": company_id, "ChangeNo": before.ChangeNo, "Phone": "", "Owner": INT_MIN, "Discount": DEC_MIN,
        "PaymentTime": SHORT_MIN, "NickName": "Nytt smeknamn"}]})
    assert r.APIException is None
    after = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=company_id)
    assert after.Phone is None
    assert after.NickName == "Nytt smeknamn"
    assert (after.OwnerUserID, after.DiscountPct, after.PaymentDays, after.Email, after.Name) == (
        before.OwnerUserID, before.DiscountPct, before.PaymentDays, before.Email, before.Name)
    assert (after.ChangeNo, after.ChangedAt, after.ChangedBy) == (before.ChangeNo + 1, NOW_TEXT, sb.user_id("anna"))
    assert (after.CreatedAt, after.CreatedBy) == (before.CreatedAt, before.CreatedBy)
    assert r.ChangeNo == before.ChangeNo + 1 and r.Phone is None


def test_update_replaces_only_the_given_address_fields(sb, anna):
    addr = sb.one('SELECT * FROM "tblAddress" WHERE "CompanyID" = 77 AND "AddrType" = 1')
    change_no = sb.scalar('SELECT "ChangeNo" FROM "tblCompany" WHERE "CompanyID" = 77')
    anna.companies.SaveCompanies(companies={"Company": [
        {"Id": 77, "ChangeNo": change_no, "Addresses": {"Post": {"Street": "Box 1", "Street2": ""}}}]})
    after = sb.one('SELECT * FROM "tblAddress" WHERE "CompanyID" = 77 AND "AddrType" = 1')
    assert (after.AddressID, after.Line1, after.Line2, after.PostCode, after.City) == (
        addr.AddressID, "Box 1", None, addr.PostCode, addr.City)


def test_giving_the_supplier_role_later_allocates_its_number_then(sb, anna):
    row = sb.one('SELECT "CompanyID", "ChangeNo" FROM "tblCompany" WHERE "Deleted" = 0 AND "IsSupplier" = 0 '
                 'AND "SupplierNo" IS NULL ORDER BY "CompanyID" LIMIT 1')
    suppno = sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'SUPPNO\'')
    (r,) = anna.companies.SaveCompanies(companies={"Company": [
        {"Id": row.CompanyID, "ChangeNo": row.ChangeNo, "IsSupplier": True}]})
    assert r.SupplierNo == suppno
    assert sb.scalar('SELECT "SupplierNo" FROM "tblCompany" WHERE "CompanyID" = :i', i=row.CompanyID) == suppno
    assert sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'SUPPNO\'') == suppno + 1


def test_updating_a_deleted_or_unknown_company_is_not_found(sb, anna):
    deleted = sb.one('SELECT "CompanyID", "ChangeNo" FROM "tblCompany" WHERE "Deleted" = 1 LIMIT 1')
    results = anna.companies.SaveCompanies(companies={"Company": [
        {"Id": deleted.CompanyID, "ChangeNo": deleted.ChangeNo, "Name": "Tillbaka"},
        {"Id": 999999, "ChangeNo": 1, "Name": "Finns inte"}]})
    assert [(r.APIException.Type, r.APIException.ItemId) for r in results] == [
        ("NotFound", deleted.CompanyID), ("NotFound", 999999)]


def test_parallel_creates_never_share_a_customer_number(sb):
    clients = [sb.client() for _ in range(4)]
    for c in clients:
        c.login("anna")
    errors = []

    def create(c, n):
        try:
            c.companies.SaveCompanies(companies={"Company": [{"Name": f"Parallell {n}.{i} AB"} for i in range(3)]})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    numbers = [r[0] for r in sb.q('SELECT "CustomerNo" FROM "tblCompany" WHERE "Name" LIKE \'Parallell %\'')]
    assert len(numbers) == 12 and len(set(numbers)) == 12


# --- DeleteCompanies ------------------------------------------------------------------------------


def test_delete_companies_soft_deletes_and_reports_each_failed_id(sb, anna):
    with_open_items = sb.scalar('SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND EXISTS '
                                '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\')')
    with_orders_only = sb.scalar(
        'SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS '
        '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\') AND EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0)')
    free = sb.scalar(
        'SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS '
        '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\') AND NOT EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0)')
    deleted = sb.scalar('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    assert None not in (with_open_items, with_orders_only, free, deleted)
    before = sb.one('SELECT "ChangeNo" FROM "tblCompany" WHERE "CompanyID" = :i', i=free)
    links = sb.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :i', i=free)
    result = anna.companies.DeleteCompanies(companyIds={"int": [with_open_items, free, with_orders_only, deleted, 999999]})
    assert [(e.Type, e.ItemId) for e in result] == [
        ("NotAllowed", with_open_items), ("NotAllowed", with_orders_only), ("NotFound", deleted), ("NotFound", 999999)]
    row = sb.one('SELECT "Deleted", "ChangeNo", "ChangedAt", "ChangedBy" FROM "tblCompany" WHERE "CompanyID" = :i', i=free)
    assert tuple(row) == (1, before.ChangeNo + 1, NOW_TEXT, sb.user_id("anna"))
    assert sb.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :i', i=free) == links
    assert sb.scalar('SELECT "Deleted" FROM "tblCompany" WHERE "CompanyID" = :i', i=with_open_items) == 0
    assert anna.companies.DeleteCompanies(companyIds={"int": []}) in (None, [])


# --- MergeCompanies -------------------------------------------------------------------------------

CHILD_TABLES = {  # table → key columns
    "tblCompanyPerson": ("PersonID",), "tblAddress": ("AddressID",), "tblCompanyCategory": ("CategoryID",),
    "tblProject": ("ProjectID",), "tblActivity": ("ActivityID",), "tblWallPost": ("PostID",),
    "tblSalesOpp": ("OppID",), "tblEmailLink": ("LinkID",), "tblDocument": ("DocumentID",),
    "tblCall": ("CallID",), "tblOrder": ("OrderID",), "tblLedgerEntry": ("EntryID",),
}
AUDITED = {"tblCompanyPerson", "tblProject", "tblActivity", "tblWallPost", "tblSalesOpp", "tblOrder"}


def _rows(sb, table, company_id):
    key = CHILD_TABLES[table][0]
    return {r._mapping[key]: r for r in sb.q(f'SELECT * FROM "{table}" WHERE "CompanyID" = :c', c=company_id)}


def test_merge_testbolaget_moves_rows_exactly_as_the_readme_says(sb, anna):
    keep = sb.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\'')
    merge = sb.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget Aktiebolag\'')
    before_keep = {t: _rows(sb, t, keep) for t in CHILD_TABLES}
    before_merge = {t: _rows(sb, t, merge) for t in CHILD_TABLES}
    assert all(before_merge[t] for t in CHILD_TABLES)  # the kit: a row in every table
    companies_before = {r.CompanyID: r for r in sb.q('SELECT * FROM "tblCompany" WHERE "CompanyID" IN (:a, :b)',
                                                     a=keep, b=merge)}

    # What should move, from the README's rules and the "before" rows.
    kept_persons = set(before_keep["tblCompanyPerson"])
    kept_types = {r.AddrType for r in before_keep["tblAddress"].values()}
    kept_cats = set(before_keep["tblCompanyCategory"])
    kept_emails = {r.EmailID for r in before_keep["tblEmailLink"].values()}
    expect_moved = {
        "tblCompanyPerson": {p for p in before_merge["tblCompanyPerson"] if p not in kept_persons},
        "tblAddress": {a for a, r in before_merge["tblAddress"].items() if r.AddrType not in kept_types},
        "tblCompanyCategory": {c for c in before_merge["tblCompanyCategory"] if c not in kept_cats},
        "tblEmailLink": {k for k, r in before_merge["tblEmailLink"].items() if r.EmailID not in kept_emails},
    }
    for t in CHILD_TABLES:
        expect_moved.setdefault(t, set(before_merge[t]))
    assert expect_moved["tblCompanyPerson"] != set(before_merge["tblCompanyPerson"])  # person on both stays
    kept_has_main = any(r.IsMain == 1 and r.Deleted == 0 for r in before_keep["tblCompanyPerson"].values())

    result = anna.companies.MergeCompanies(keepCompanyId=keep, mergeCompanyId=merge)
    assert result.APIException is None and result.KeptCompanyId == keep
    assert result.MovedRows == sum(len(v) for v in expect_moved.values())

    anna_id = sb.user_id("anna")
    for t in CHILD_TABLES:
        after_keep, after_merge = _rows(sb, t, keep), _rows(sb, t, merge)
        assert set(after_keep) == set(before_keep[t]) | expect_moved[t], t
        assert set(after_merge) == set(before_merge[t]) - expect_moved[t], t
        for k in expect_moved[t]:
            if t in AUDITED:
                r, old = after_keep[k], before_merge[t][k]
                assert (r.ChangeNo, r.ChangedAt, r.ChangedBy) == (old.ChangeNo + 1, NOW_TEXT, anna_id), (t, k)
        for k, old in before_keep[t].items():  # the kept company's own rows are untouched
            assert tuple(after_keep[k]) == tuple(old), (t, k)
    for p in expect_moved["tblCompanyPerson"]:
        moved, old = _rows(sb, "tblCompanyPerson", keep)[p], before_merge["tblCompanyPerson"][p]
        assert moved.Role == old.Role
        assert moved.IsMain == (0 if kept_has_main else old.IsMain)

    companies = {r.CompanyID: r for r in sb.q('SELECT * FROM "tblCompany" WHERE "CompanyID" IN (:a, :b)',
                                              a=keep, b=merge)}
    assert companies[merge].Deleted == 1 and companies[keep].Deleted == 0
    for cid in (keep, merge):
        assert companies[cid].ChangeNo == companies_before[cid].ChangeNo + 1
        assert (companies[cid].ChangedAt, companies[cid].ChangedBy) == (NOW_TEXT, anna_id)
    # Both were customers: each keeps its own number.
    assert companies[keep].CustomerNo == companies_before[keep].CustomerNo

    check = subprocess.run([sys.executable, str(KIT_DIR / "check.py"), "--url", sb.url],
                           check=False, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_merge_revives_a_soft_deleted_link_of_the_kept_company(sb, anna):
    keep, merge = 1, 77
    person = sb.scalar('SELECT k."PersonID" FROM "tblCompanyPerson" k JOIN "tblCompanyPerson" m '
                       'ON m."PersonID" = k."PersonID" AND m."CompanyID" = :m AND m."Deleted" = 0 '
                       'WHERE k."CompanyID" = :k', k=keep, m=merge)
    sb.exec('UPDATE "tblCompanyPerson" SET "Deleted" = 1, "ChangeNo" = "ChangeNo" + 1, "ChangedAt" = :t '
            'WHERE "CompanyID" = :k AND "PersonID" = :p', k=keep, p=person, t=NOW_TEXT)
    own = sb.one('SELECT * FROM "tblCompanyPerson" WHERE "CompanyID" = :k AND "PersonID" = :p', k=keep, p=person)
    anna.companies.MergeCompanies(keepCompanyId=keep, mergeCompanyId=merge)
    revived = sb.one('SELECT * FROM "tblCompanyPerson" WHERE "CompanyID" = :k AND "PersonID" = :p', k=keep, p=person)
    assert (revived.Deleted, revived.Role, revived.ChangeNo) == (0, own.Role, own.ChangeNo + 1)
    assert sb.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :m AND "PersonID" = :p',
                     m=merge, p=person) == 1


def test_merge_hands_a_role_and_its_number_to_the_kept_company(sb, anna):
    supplier = sb.one('SELECT "CompanyID", "SupplierNo" FROM "tblCompany" c WHERE "Deleted" = 0 AND "IsSupplier" = 1 '
                      'AND "IsCustomer" = 0 ORDER BY "CompanyID" LIMIT 1')
    customer = sb.one('SELECT "CompanyID", "CustomerNo" FROM "tblCompany" WHERE "Deleted" = 0 AND "IsSupplier" = 0 '
                      'AND "IsCustomer" = 1 AND "SupplierNo" IS NULL ORDER BY "CompanyID" LIMIT 1')
    result = anna.companies.MergeCompanies(keepCompanyId=customer.CompanyID, mergeCompanyId=supplier.CompanyID)
    assert result.APIException is None
    kept = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=customer.CompanyID)
    gone = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=supplier.CompanyID)
    assert (kept.IsSupplier, kept.SupplierNo, kept.IsCustomer, kept.CustomerNo) == (
        1, supplier.SupplierNo, 1, customer.CustomerNo)
    assert (gone.IsSupplier, gone.SupplierNo, gone.Deleted) == (0, None, 1)


def test_merge_errors_come_back_in_the_result_and_change_nothing(sb, anna):
    deleted = sb.scalar('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    snapshot = sb.q('SELECT "CompanyID", "ChangeNo", "Deleted" FROM "tblCompany" ORDER BY "CompanyID"')
    for keep, merge, kind in ((1, 1, "Validation"), (1, 999999, "NotFound"), (999999, 77, "NotFound"),
                              (1, deleted, "NotFound")):
        r = anna.companies.MergeCompanies(keepCompanyId=keep, mergeCompanyId=merge)
        assert r.APIException.Type == kind
        assert r.MovedRows == INT_MIN
    assert sb.q('SELECT "CompanyID", "ChangeNo", "Deleted" FROM "tblCompany" ORDER BY "CompanyID"') == snapshot


# --- InvoiceService -------------------------------------------------------------------------------


def _round(v: Decimal) -> Decimal:
    return v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_save_invoices_creates_a_draft_order_with_amounts_by_the_kits_rule(sb, anna):
    customer = sb.one('SELECT "CompanyID", "Currency" FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1 '
                      'AND "Country" = \'SE\' AND "Currency" = \'SEK\' ORDER BY "CompanyID" LIMIT 1')
    orderno = sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'ORDERNO\'')
    vat_default = Decimal(sb.scalar('SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'DefaultVatPct\''))
    rows = [
        {"ArticleNo": "200-10", "Name": "Serviceavtal", "Quantity": Decimal(3), "Price": Decimal("1490.55"),
         "DiscountRate": Decimal("12.5")},
        {"Name": "Lunch", "Quantity": Decimal(7), "Price": Decimal("145.45"), "VatRate": Decimal(12)},
        {"Name": "Leverans enligt avtal"},  # a text line
        {"ArticleNo": "900", "Price": Decimal("0.05")},  # quantity defaults to 1
    ]
    (o,) = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [{
        "CustomerId": customer.CompanyID, "YourReference": "Åsa", "InvoiceRows": {"InvoiceRow": rows},
        "NetAmount": Decimal(1)}]})  # amounts sent are ignored
    assert o.APIException is None
    expected = [(Decimal(3), Decimal("1490.55"), Decimal("12.5"), vat_default),
                (Decimal(7), Decimal("145.45"), Decimal(0), Decimal(12)),
                (Decimal(0), Decimal(0), Decimal(0), vat_default),
                (Decimal(1), Decimal("0.05"), Decimal(0), vat_default)]
    nets = [_round(q * p * (1 - d / 100)) for q, p, d, _ in expected]
    per_rate: dict[Decimal, Decimal] = {}
    for (_, _, _, v), n in zip(expected, nets):
        per_rate[v] = per_rate.get(v, Decimal(0)) + n
    vat = sum(_round(total * rate / 100) for rate, total in per_rate.items())
    order = sb.one('SELECT * FROM "tblOrder" WHERE "OrderID" = :i', i=o.OrderId)
    assert (order.OrderNo, order.DocType, order.Status, order.Currency, order.OrderDate, order.Deleted) == (
        orderno, "O", 0, "SEK", NOW_LOCAL.date().isoformat(), 0)
    assert (order.InvoiceNo, order.InvoiceDate, order.DueDate, order.YourRef) == (None, None, None, "Åsa")
    assert (order.CreatedAt, order.CreatedBy, order.ChangeNo, order.ChangedAt) == (NOW_TEXT, sb.user_id("anna"), 1, None)
    assert abs(Decimal(str(order.NetAmount)) - sum(nets)) < Decimal("0.005")
    assert abs(Decimal(str(order.VatAmount)) - vat) < Decimal("0.005")
    assert abs(Decimal(str(order.TotalAmount)) - sum(nets) - vat) < Decimal("0.005")
    lines = sb.q('SELECT * FROM "tblOrderLine" WHERE "OrderID" = :i ORDER BY "LineNum"', i=o.OrderId)
    assert [line.LineNum for line in lines] == [1, 2, 3, 4]
    for line, (q, p, d, v), n in zip(lines, expected, nets):
        assert abs(Decimal(str(line.LineNet)) - n) < Decimal("0.005")
        assert (Decimal(str(line.Quantity)), Decimal(str(line.UnitPrice)), Decimal(str(line.VatPct))) == (q, p, v)
    assert sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'ORDERNO\'') == orderno + 1
    assert o.OrderNo == orderno and o.OrderStatus == "Draft" and o.DocType == "Order"
    assert o.InvoiceNo == INT_MIN and o.DateInvoiced.year == 1  # sentinels for NULL


def test_an_order_for_a_customer_abroad_gets_its_currency_rate_and_no_vat(sb, anna):
    eur = sb.one('SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1 '
                 'AND "Currency" = \'EUR\' ORDER BY "CompanyID" LIMIT 1')
    rate = Decimal(sb.scalar('SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'Rate.EUR\''))
    (o,) = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [{
        "CustomerId": eur.CompanyID, "InvoiceRows": {"InvoiceRow": [{"Name": "Consulting", "Price": Decimal(100)}]}}]})
    order = sb.one('SELECT "Currency", "ExchangeRate", "VatAmount", "TotalAmount" FROM "tblOrder" WHERE "OrderID" = :i',
                   i=o.OrderId)
    assert order.Currency == "EUR"
    assert abs(Decimal(str(order.ExchangeRate)) - rate) < Decimal("0.000001")
    assert (order.VatAmount, order.TotalAmount) == (0, 100)


def test_save_invoices_validates_each_item(sb, anna):
    not_customer = sb.scalar('SELECT MIN("CompanyID") FROM "tblCompany" WHERE "IsCustomer" = 0 AND "Deleted" = 0')
    deleted_person = sb.scalar('SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 1')
    count = sb.scalar('SELECT COUNT(*) FROM "tblOrder"')
    cases = [
        ({"CustomerId": not_customer}, "CustomerId"),
        ({"CustomerId": 1, "ContactPersonId": deleted_person}, "ContactPersonId"),
        ({"CustomerId": 1, "SalesUserId": sb.user_id("olle")}, "SalesUserId"),
        ({"CustomerId": 1, "DocType": "Invoice"}, "DocType"),
        ({"CustomerId": 1, "OrderStatus": "Confirmed"}, "OrderStatus"),
        ({"CustomerId": 1, "InvoiceRows": {"InvoiceRow": [{"Quantity": Decimal(1)}]}}, "InvoiceRows"),
        ({"CustomerId": 1, "InvoiceRows": {"InvoiceRow": [{"Name": "x", "Price": Decimal(-1)}]}}, "InvoiceRows"),
        ({"CustomerId": 1, "InvoiceRows": {"InvoiceRow": [{"Name": "x", "DiscountRate": Decimal(101)}]}}, "InvoiceRows"),
    ]
    results = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [c for c, _ in cases]})
    for r, (_, field) in zip(results, cases):
        assert r.APIException.Type == "Validation" and r.APIException.Message.startswith(f"{field}:"), r.APIException
    assert sb.scalar('SELECT COUNT(*) FROM "tblOrder"') == count


def test_only_draft_orders_can_be_updated_and_change_no_must_match(sb, anna):
    draft = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "DocType" = \'O\' AND "Status" = 0 '
                   'AND "Deleted" = 0 ORDER BY "OrderID" LIMIT 1')
    confirmed = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "DocType" = \'O\' AND "Status" = 1 '
                       'AND "Deleted" = 0 ORDER BY "OrderID" LIMIT 1')
    results = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [
        {"OrderId": confirmed.OrderID, "ChangeNo": confirmed.ChangeNo, "OurReference": "x"},
        {"OrderId": draft.OrderID, "ChangeNo": draft.ChangeNo + 5, "OurReference": "x"},
        {"OrderId": draft.OrderID, "ChangeNo": draft.ChangeNo, "OurReference": "Lasse",
         "InvoiceRows": {"InvoiceRow": [{"Name": "Ny rad", "Price": Decimal("10.10"), "Quantity": Decimal(2)}]}},
    ]})
    assert [r.APIException.Type if r.APIException else None for r in results] == ["NotAllowed", "Conflict", None]
    order = sb.one('SELECT * FROM "tblOrder" WHERE "OrderID" = :i', i=draft.OrderID)
    assert (order.OurRef, order.ChangeNo, order.ChangedAt) == ("Lasse", draft.ChangeNo + 1, NOW_TEXT)
    lines = sb.q('SELECT "Description", "LineNet" FROM "tblOrderLine" WHERE "OrderID" = :i', i=draft.OrderID)
    assert [(line.Description, Decimal(str(line.LineNet))) for line in lines] == [("Ny rad", Decimal("20.2"))]


def test_delete_invoices_removes_drafts_and_confirmed_orders_only(sb, anna):
    ids = {}
    for key, where in (("draft", '"DocType" = \'O\' AND "Status" = 0'), ("confirmed", '"DocType" = \'O\' AND "Status" = 1'),
                       ("cancelled", '"Status" = 9'), ("invoice", '"DocType" = \'I\''), ("credit", '"DocType" = \'C\''),
                       ("deleted", '1 = 1')):
        deleted = 1 if key == "deleted" else 0
        ids[key] = sb.scalar(f'SELECT MIN("OrderID") FROM "tblOrder" WHERE {where} AND "Deleted" = {deleted}')
    result = anna.invoices.DeleteInvoices(orderIds={"int": list(ids.values())})
    assert [(e.Type, e.ItemId) for e in result] == [
        ("NotAllowed", ids["cancelled"]), ("NotAllowed", ids["invoice"]), ("NotAllowed", ids["credit"]),
        ("NotFound", ids["deleted"])]
    for key in ("draft", "confirmed"):
        assert sb.scalar('SELECT "Deleted" FROM "tblOrder" WHERE "OrderID" = :i', i=ids[key]) == 1


def test_send_invoices_moves_draft_to_confirmed_and_invoiced_to_sent(sb, anna):
    draft = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "DocType" = \'O\' AND "Status" = 0 '
                   'AND "Deleted" = 0 ORDER BY "OrderID" LIMIT 1')
    invoiced = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "DocType" = \'I\' AND "Status" = 2 '
                      'AND "Deleted" = 0 ORDER BY "OrderID" LIMIT 1')
    sent = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "Status" = 3 AND "Deleted" = 0 '
                  'ORDER BY "OrderID" LIMIT 1')
    cancelled = sb.scalar('SELECT MIN("OrderID") FROM "tblOrder" WHERE "Status" = 9')
    result = anna.invoices.SendInvoices(orderIds={"int": [draft.OrderID, invoiced.OrderID, sent.OrderID, cancelled,
                                                          999999]}, method="Print")
    assert [(e.Type, e.ItemId) for e in result] == [("NotAllowed", cancelled), ("NotFound", 999999)]
    for row, status, change_no in ((draft, 1, draft.ChangeNo + 1), (invoiced, 3, invoiced.ChangeNo + 1),
                                   (sent, 3, sent.ChangeNo)):
        got = sb.one('SELECT "Status", "ChangeNo" FROM "tblOrder" WHERE "OrderID" = :i', i=row.OrderID)
        assert tuple(got) == (status, change_no)


def test_send_by_email_needs_an_address(sb, anna):
    no_mail = sb.scalar(
        'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1 '
        'AND COALESCE(TRIM("Email"), \'\') = \'\' AND COALESCE(TRIM("InvoiceEmail"), \'\') = \'\'')
    (o,) = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [{"CustomerId": no_mail}]})
    (err,) = anna.invoices.SendInvoices(orderIds={"int": [o.OrderId]}, method="EMail")
    assert err.Type == "Validation" and err.Message.startswith("emailAddress:")
    assert anna.invoices.SendInvoices(orderIds={"int": [o.OrderId]}, method="EMail", emailAddress="x@test.invalid") in (
        None, [])
    assert sb.app.outbox[-1]["to"] == "x@test.invalid"


def test_get_invoice_document_is_a_pdf_or_not_found(sb, anna):
    order_id = sb.scalar('SELECT MIN("OrderID") FROM "tblOrder" WHERE "DocType" = \'I\' AND "Deleted" = 0')
    pdf = anna.invoices.GetInvoiceDocument(orderId=order_id)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    deleted = sb.scalar('SELECT MIN("OrderID") FROM "tblOrder" WHERE "Deleted" = 1')
    with pytest.raises(zeep.exceptions.Fault) as exc:
        anna.invoices.GetInvoiceDocument(orderId=deleted)
    assert fault_of(exc).startswith("NotFound:")


def test_every_write_keeps_the_kits_invariants(sb, anna):
    anna.companies.SaveCompanies(companies={"Company": [{"Name": "Invariant AB", "IsSupplier": True}]})
    (o,) = anna.invoices.SaveInvoices(invoices={"InvoiceOrder": [{"CustomerId": 1, "InvoiceRows": {"InvoiceRow": [
        {"Name": "A", "Price": Decimal("99.99"), "Quantity": Decimal("3.5"), "DiscountRate": Decimal(7)}]}}]})
    anna.invoices.SendInvoices(orderIds={"int": [o.OrderId]}, method="Print")
    free = sb.scalar(
        'SELECT MAX(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS '
        '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\') AND NOT EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0)')
    anna.companies.DeleteCompanies(companyIds={"int": [free]})
    check = subprocess.run([sys.executable, str(KIT_DIR / "check.py"), "--url", sb.url],
                           check=False, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout


# --- CompanyLookup --------------------------------------------------------------------------------


@pytest.fixture
def register(kit):
    with open(kit.register_csv, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _digits(s):
    return "".join(ch for ch in s if ch.isdigit())


def test_search_by_name_matches_every_word_case_insensitively(sb, register):
    c = sb.client()
    hits = c.lookup.SearchCompanies(query="BYGG ab", country="", maxHits=100, _soapheaders=LOOKUP_AUTH)
    expected = {r["OrganizationNumber"] for r in register
                if "bygg" in r["Name"].casefold() and "ab" in r["Name"].casefold()}
    assert expected and {h.OrganizationNumber for h in hits} == expected


def test_search_hits_starting_with_the_query_come_first_each_group_by_name(sb, register):
    hits = sb.client().lookup.SearchCompanies(query="ab", country="SE", maxHits=100, _soapheaders=LOOKUP_AUTH)
    matching = [r for r in register if r["Country"] == "SE" and "ab" in r["Name"].casefold()]
    expected = sorted(matching, key=lambda r: (not r["Name"].casefold().startswith("ab"), r["Name"].casefold()))
    assert any(r["Name"].casefold().startswith("ab") for r in matching)
    assert [h.Name for h in hits] == [r["Name"] for r in expected][:100]


@pytest.mark.parametrize("form", ["{d6}-{d4}", "{d6}{d4}", " {d6} {d4}", "16{d6}-{d4}"])
def test_search_by_organisation_number_in_any_format_is_exact(sb, register, form):
    entry = next(r for r in register if r["Name"] == "Testbolaget AB")
    d = _digits(entry["OrganizationNumber"])
    hits = sb.client().lookup.SearchCompanies(query=form.format(d6=d[:6], d4=d[6:]), country="SE", maxHits=0,
                                              _soapheaders=LOOKUP_AUTH)
    assert [(h.OrganizationNumber, h.Name, h.Street, h.PostalCode, h.City) for h in hits] == [
        (entry["OrganizationNumber"], entry["Name"], entry["VisitingStreet"], entry["VisitingPostalCode"],
         entry["VisitingCity"])]


def test_search_by_number_prefix_country_and_max_hits(sb, register):
    c = sb.client()
    hits = c.lookup.SearchCompanies(query="5561 -", country="", maxHits=100, _soapheaders=LOOKUP_AUTH)
    assert {h.OrganizationNumber for h in hits or []} == {  # 4 digits: a name query, no name has them
        r["OrganizationNumber"] for r in register if "5561 -" in r["Name"]}
    hits = c.lookup.SearchCompanies(query="5561 81", country="", maxHits=100, _soapheaders=LOOKUP_AUTH)
    expected = {r["OrganizationNumber"] for r in register if _digits(r["OrganizationNumber"]).startswith("556181")}
    assert expected and {h.OrganizationNumber for h in hits} == expected
    no = c.lookup.SearchCompanies(query="as", country="NO", maxHits=3, _soapheaders=LOOKUP_AUTH)
    assert len(no) == 3 and all(h.Country == "NO" for h in no)
    default = c.lookup.SearchCompanies(query="a", country="", maxHits=-1, _soapheaders=LOOKUP_AUTH)
    assert len(default) == min(20, sum("a" in r["Name"].casefold() for r in register))


def test_get_company_data_maps_the_register_row(sb, register):
    entry = next(r for r in register if r["Country"] == "NO" and r["ShareCapital"])
    d = sb.client().lookup.GetCompanyData(organizationNumber=entry["OrganizationNumber"], country="NO",
                                          _soapheaders=LOOKUP_AUTH)
    assert (d.OrganizationNumber, d.Name, d.LegalForm, d.Phone, d.IndustryCode, d.NumberOfEmployees, d.RatingCode) == (
        entry["OrganizationNumber"], entry["Name"], entry["LegalForm"], entry["Phone"], entry["IndustryCode"],
        entry["NumberOfEmployees"], entry["RatingCode"])
    assert d.RegistrationDate.date().isoformat() == entry["RegistrationDate"]
    assert d.ShareCapital == Decimal(entry["ShareCapital"])
    assert (d.PostalAddress.Street, d.PostalAddress.City) == (entry["PostalStreet"], entry["PostalCity"])
    assert (d.VisitingAddress.PostalCode, d.VisitingAddress.City) == (entry["VisitingPostalCode"], entry["VisitingCity"])


def test_get_company_data_without_share_capital_sends_the_decimal_sentinel(sb, register):
    entry = next(r for r in register if r["Country"] == "SE" and not r["ShareCapital"])
    d = sb.client().lookup.GetCompanyData(organizationNumber=_digits(entry["OrganizationNumber"]), country="",
                                          _soapheaders=LOOKUP_AUTH)
    assert d.Name == entry["Name"] and d.ShareCapital == DEC_MIN


def test_lookup_faults(sb):
    c = sb.client()
    for headers in (None, {"LookupAuth": {"CustomerCode": "CLASSIC", "UserId": "crmlite", "Password": "x"}}):
        with pytest.raises(zeep.exceptions.Fault) as exc:
            c.lookup.SearchCompanies(query="bygg", country="", maxHits=5, _soapheaders=headers)
        assert fault_of(exc).startswith("NotAuthenticated:")
    with pytest.raises(zeep.exceptions.Fault) as exc:
        c.lookup.SearchCompanies(query="  ", country="", maxHits=5, _soapheaders=LOOKUP_AUTH)
    assert fault_of(exc).startswith("Validation:")
    with pytest.raises(zeep.exceptions.Fault) as exc:
        c.lookup.GetCompanyData(organizationNumber="000000-0000", country="SE", _soapheaders=LOOKUP_AUTH)
    assert fault_of(exc).startswith("NotFound:")


def test_the_lookup_needs_no_classic_session(sb):
    assert len(sb.app.sessions) == 0
    assert sb.client().lookup.SearchCompanies(query="bygg", country="", maxHits=1, _soapheaders=LOOKUP_AUTH)


def test_server_runs_from_the_command_line(kit, tmp_path):
    import socket
    import time

    db = tmp_path / "c.db"
    shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.soap.server", "--database-url", f"sqlite:///{db}",
                             "--register", str(kit.register_csv), "--port", str(port)],
                            cwd=str(ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/Authenticate.asmx?wsdl", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
        assert r.status_code == 200 and "AuthenticateSoap" in r.text
    finally:
        proc.terminate()
        proc.wait(10)
    assert b"RuntimeWarning" not in proc.stderr.read()
