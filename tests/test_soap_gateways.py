"""Contract tests of CRM Lite's zeep gateways (adapters/soap) against the SOAP sandbox over HTTP.

Each test runs the sandbox on a free loopback port over a private copy of the kit database;
expected values come from independent SQL on that copy, from the kit's register CSV, or from
the kit's documented rules. Timeouts are tested against a socket that accepts and never answers.
"""

from __future__ import annotations

import csv
import shutil
import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from adapters.clock import FixedClock
from adapters.soap import SoapGateways, build_soap_gateways, gateways_from_settings
from adapters.soap.client import (
    CLASSIC_DOWN,
    CLASSIC_FAILED,
    CLASSIC_FORBIDDEN,
    CLASSIC_SESSION_GONE,
    CLASSIC_TIMEOUT,
    REGISTER_AUTH,
    REGISTER_TIMEOUT,
    WSDL_DIR,
)
from adapters.soap.companies import CANNOT_DELETE
from adapters.soap.invoices import CANNOT_DELETE as CANNOT_DELETE_ORDER
from adapters.soap.invoices import ONLY_DRAFTS
from adapters.sql.engine import make_engine
from adapters.sql.state import SqlSessionStore, create_state_schema
from config.settings import Settings
from facade.auth import BAD_CREDENTIALS
from facade.errors import (
    ClassicRejected,
    ClassicUnavailable,
    Conflict,
    CrmLiteError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from facade.ports_classic import (
    METHOD_EMAIL,
    METHOD_PRINT,
    PASSWORD_REQUIRED,
    ClassicSessionManager,
    CompanyAddress,
    CompanyChanges,
    OrderChanges,
    OrderLineInput,
)
from sandbox.soap import ManualClock, serve_in_thread

from .kit import KIT_DIR, NOW_LOCAL, NOW_UTC

NOW_TEXT = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")
LOOKUP = {"CustomerCode": "CLASSIC", "UserId": "crmlite", "Password": "lookup"}


# --- fixtures -----------------------------------------------------------------------------------


class Sandbox:
    """The sandbox on a private copy of the kit database, with a clock the test moves."""

    def __init__(self, kit, tmp_path):
        self.db_path = tmp_path / "classic.db"
        shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), self.db_path)
        self.url = f"sqlite:///{self.db_path}"
        self.clock = ManualClock(NOW_UTC)
        self.server, self.base = serve_in_thread(self.url, kit.register_csv, clock=self.clock)
        self.calls = self.server.app.calls
        self.sql = sa.create_engine(self.url)

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

    def close(self):
        self.server.stop()
        self.sql.dispose()


@pytest.fixture
def sb(kit, tmp_path):
    s = Sandbox(kit, tmp_path)
    yield s
    s.close()


@pytest.fixture
def gw(sb) -> SoapGateways:
    settings = Settings.for_tests(classic_soap_url=sb.base, lookup_url=sb.base, soap_connect_timeout=2.0,
                                  soap_read_timeout=10.0)
    return gateways_from_settings(settings)


@pytest.fixture
def anna(gw) -> str:
    return gw.auth.login("anna", "classic")


def assert_user_message(exc: CrmLiteError) -> None:
    """What a user reads: no fault code prefix, no server text, no stack trace."""
    text = str(exc)
    assert text == exc.message and text
    for leak in ("NotAuthenticated:", "Forbidden:", "Validation:", "ServerError:", "Traceback", "soap:", "http"):
        assert leak not in text


class _Silent:
    """A TCP server that accepts connections and never answers (a hung classic server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self):
        self.stopped.set()
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent():
    s = _Silent()
    yield f"http://127.0.0.1:{s.port}"
    s.close()


# --- WSDL copies and settings ---------------------------------------------------------------------


def test_wsdl_copies_are_byte_identical_to_the_kits():
    kit_files = sorted(p.name for p in (KIT_DIR / "wsdl").glob("*.wsdl"))
    assert kit_files == ["Authenticate.wsdl", "CompanyLookup.wsdl", "CompanyService.wsdl", "InvoiceService.wsdl"]
    assert sorted(p.name for p in WSDL_DIR.glob("*.wsdl")) == kit_files
    for name in kit_files:
        assert (WSDL_DIR / name).read_bytes() == (KIT_DIR / "wsdl" / name).read_bytes(), name


def test_addresses_and_timeouts_come_from_settings():
    settings = Settings.for_tests(classic_soap_url="http://classic.invalid:8080/crm/",
                                  lookup_url="https://register.invalid/ws/Lookup.asmx",
                                  soap_connect_timeout=1.5, soap_read_timeout=7.0)
    g = gateways_from_settings(settings)
    assert g.auth.endpoint.address == "http://classic.invalid:8080/crm/Authenticate.asmx"
    assert g.companies.endpoint.address == "http://classic.invalid:8080/crm/CompanyService.asmx"
    assert g.invoices.endpoint.address == "http://classic.invalid:8080/crm/InvoiceService.asmx"
    assert g.lookup.endpoint.address == "https://register.invalid/ws/Lookup.asmx"
    assert g.auth.endpoint.client.transport.operation_timeout == (1.5, 7.0)


# --- Authenticate -------------------------------------------------------------------------------


def test_login_has_session_current_user_and_logout(sb, gw):
    sid = gw.auth.login("Anna", "classic")
    assert gw.auth.has_session(sid) is True
    user = gw.auth.current_user(sid)
    row = sb.one('SELECT "UserID", "FullName", "Email" FROM "tblUser" WHERE "LoginName" = \'anna\'')
    rights = {r[0] for r in sb.q('SELECT "RightCode" FROM "tblUserRight" WHERE "UserID" = :u', u=row.UserID)}
    assert (user.user_id, user.login, user.full_name, user.email, user.rights) == (
        row.UserID, "anna", row.FullName, row.Email, frozenset(rights))
    gw.auth.logout(sid)
    assert gw.auth.has_session(sid) is False


@pytest.mark.parametrize("login,password", [("anna", "wrong"), ("olle", "classic"), ("nobody", "classic")])
def test_a_refused_login_is_not_authenticated_with_one_message(gw, login, password):
    with pytest.raises(NotAuthenticated) as exc:
        gw.auth.login(login, password)
    assert exc.value.message == BAD_CREDENTIALS


def test_has_session_answers_false_and_never_raises(sb, gw, anna):
    assert gw.auth.has_session("doesnotexist000000000000") is False
    assert gw.auth.has_session("bad id; with=cookie\r\nchars") is False
    sb.clock.advance(minutes=21)
    assert gw.auth.has_session(anna) is False


def test_an_expired_session_faults_not_authenticated_with_a_user_message(sb, gw, anna):
    sb.clock.advance(minutes=20, seconds=1)
    with pytest.raises(NotAuthenticated) as exc:
        gw.companies.save_company(anna, CompanyChanges(name="Efter timeout AB"))
    assert exc.value.message == CLASSIC_SESSION_GONE
    assert exc.value.details["fault"].startswith("NotAuthenticated:")  # for the log
    assert_user_message(exc.value)


def test_the_gateway_never_keeps_a_session_cookie_between_users(sb, gw):
    anna = gw.auth.login("anna", "classic")
    karin = gw.auth.login("karin", "classic")
    assert gw.auth.current_user(anna).login == "anna"
    assert gw.auth.current_user(karin).login == "karin"
    # Without an explicit session the call has no cookie at all (the jar kept none).
    assert gw.auth.endpoint.client.transport.session.cookies.get("ASP.NET_SessionId") is None
    with pytest.raises(NotAuthenticated):
        gw.auth.endpoint.call("GetCurrentUser")


def test_parallel_calls_of_different_users_each_carry_their_own_session(gw):
    sessions = {login: gw.auth.login(login, "classic") for login in ("anna", "karin", "erik", "lars")}
    seen, errors = [], []

    def work(login):
        try:
            for _ in range(5):
                seen.append((login, gw.auth.current_user(sessions[login]).login))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(login,)) for login in sessions for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(seen) == 40
    assert all(asked == got for asked, got in seen)


# --- the classic session of a CRM Lite session -----------------------------------------------------


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    create_state_schema(engine)
    s = SqlSessionStore(engine)
    s.create("crm-session-1", 2, NOW_UTC)
    yield s
    engine.dispose()


@pytest.fixture
def manager(gw, store):
    return ClassicSessionManager(gw.auth, store, FixedClock(NOW_UTC))


def test_the_manager_logs_in_once_and_reuses_the_session(sb, gw, store, manager):
    sid = manager.open("crm-session-1", "anna", "classic")
    assert store.get("crm-session-1").classic_session_id == sid
    for name in ("Ett AB", "Två AB", "Tre AB"):
        manager.call("crm-session-1", lambda s, n=name: gw.companies.save_company(s, CompanyChanges(name=n)),
                     login="anna")
    assert (sb.calls["Login"], sb.calls["HasSession"], sb.calls["SaveCompanies"]) == (1, 0, 3)


def test_the_manager_relogs_in_once_and_retries_when_the_session_expired(sb, gw, store, manager):
    old = manager.open("crm-session-1", "anna", "classic")
    sb.clock.advance(minutes=25)
    company = manager.call("crm-session-1", lambda s: gw.companies.save_company(s, CompanyChanges(name="Igen AB")),
                           login="anna", password="classic")
    assert sb.scalar('SELECT "CreatedBy" FROM "tblCompany" WHERE "CompanyID" = :i', i=company.company_id) == 2
    assert (sb.calls["Login"], sb.calls["HasSession"], sb.calls["SaveCompanies"]) == (2, 1, 2)
    new = store.get("crm-session-1").classic_session_id
    assert new and new != old


def test_without_a_password_the_manager_asks_for_it_and_forgets_the_dead_session(sb, gw, store, manager):
    manager.open("crm-session-1", "anna", "classic")
    sb.server.app.sessions.clear()  # the classic server restarted
    count = sb.scalar('SELECT COUNT(*) FROM "tblCompany"')
    with pytest.raises(NotAuthenticated) as exc:
        manager.call("crm-session-1", lambda s: gw.companies.save_company(s, CompanyChanges(name="Nej AB")),
                     login="anna")
    assert exc.value.details["reason"] == PASSWORD_REQUIRED
    assert_user_message(exc.value)
    assert store.get("crm-session-1").classic_session_id is None
    assert sb.calls["Login"] == 1 and sb.scalar('SELECT COUNT(*) FROM "tblCompany"') == count
    # The next call goes straight to the password prompt: no call to classic at all.
    calls = sum(sb.calls.values())
    with pytest.raises(NotAuthenticated):
        manager.call("crm-session-1", lambda s: gw.auth.current_user(s), login="anna")
    assert sum(sb.calls.values()) == calls


def test_a_wrong_password_at_relogin_does_not_loop(sb, gw, store, manager):
    manager.open("crm-session-1", "anna", "classic")
    sb.server.app.sessions.clear()
    with pytest.raises(NotAuthenticated) as exc:
        manager.call("crm-session-1", lambda s: gw.auth.current_user(s), login="anna", password="wrong")
    assert exc.value.details["reason"] == PASSWORD_REQUIRED
    assert (sb.calls["Login"], sb.calls["HasSession"], sb.calls["GetCurrentUser"]) == (2, 1, 1)


def test_the_manager_retries_at_most_once(sb, gw, store, manager):
    manager.open("crm-session-1", "anna", "classic")
    sb.server.app.sessions.clear()
    attempts = []

    def always_gone(session_id):
        attempts.append(session_id)
        raise NotAuthenticated("gone")

    with pytest.raises(NotAuthenticated):
        manager.call("crm-session-1", always_gone, login="anna", password="classic")
    assert len(attempts) == 2 and attempts[0] != attempts[1]
    assert (sb.calls["Login"], sb.calls["HasSession"]) == (2, 1)


def test_a_not_authenticated_fault_of_a_live_session_is_not_retried(sb, gw, store, manager):
    manager.open("crm-session-1", "anna", "classic")
    attempts = []

    def refused(session_id):
        attempts.append(session_id)
        raise NotAuthenticated("refused")

    with pytest.raises(NotAuthenticated):
        manager.call("crm-session-1", refused, login="anna", password="classic")
    assert len(attempts) == 1 and (sb.calls["Login"], sb.calls["HasSession"]) == (1, 1)


def test_other_errors_pass_through_the_manager(sb, gw, store):
    manager = ClassicSessionManager(gw.auth, store, FixedClock(NOW_UTC))
    manager.open("crm-session-1", "karin", "classic")
    with pytest.raises(Forbidden):
        manager.call("crm-session-1", lambda s: gw.companies.save_company(s, CompanyChanges(name="K AB")),
                     login="karin", password="classic")
    assert (sb.calls["Login"], sb.calls["HasSession"]) == (1, 0)


def test_keep_alive_calls_has_session_at_most_once_per_period(sb, gw, store):
    clock = FixedClock(NOW_UTC)
    manager = ClassicSessionManager(gw.auth, store, clock)
    manager.open("crm-session-1", "anna", "classic")
    for _ in range(3):
        clock.advance(minutes=1)
        assert manager.keep_alive("crm-session-1") is True
    assert sb.calls["HasSession"] == 0
    clock.advance(minutes=3)
    assert manager.keep_alive("crm-session-1") is True
    assert sb.calls["HasSession"] == 1
    sb.server.app.sessions.clear()
    clock.advance(minutes=6)
    assert manager.keep_alive("crm-session-1") is False
    assert store.get("crm-session-1").classic_session_id is None


def test_close_logs_out_of_classic_and_forgets_the_id(sb, gw, store, manager):
    sid = manager.open("crm-session-1", "anna", "classic")
    manager.close("crm-session-1")
    assert sb.calls["Logout"] == 1 and gw.auth.has_session(sid) is False
    assert store.get("crm-session-1").classic_session_id is None
    manager.close("crm-session-1")  # nothing left: no call, no error
    assert sb.calls["Logout"] == 1


# --- CompanyService -------------------------------------------------------------------------------


def test_karin_is_forbidden_to_save_with_a_user_message(sb, gw):
    karin = gw.auth.login("karin", "classic")
    count = sb.scalar('SELECT COUNT(*) FROM "tblCompany"')
    with pytest.raises(Forbidden) as exc:
        gw.companies.save_company(karin, CompanyChanges(name="Karin AB"))
    assert exc.value.message == CLASSIC_FORBIDDEN
    assert_user_message(exc.value)
    assert sb.scalar('SELECT COUNT(*) FROM "tblCompany"') == count


def test_create_returns_the_stored_company_with_sentinels_as_none(sb, gw, anna):
    custno = sb.scalar('SELECT "NextNo" FROM "tblNumberSeries" WHERE "SeriesCode" = \'CUSTNO\'')
    c = gw.companies.save_company(anna, CompanyChanges(
        name="Zoë & Ørsted AB", org_no="5560360793", notes="<b>fet</b>\r\nrad",
        post_address=CompanyAddress(street="Box 1", postal_code="111 22", city="Stockholm")))
    row = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=c.company_id)
    assert (c.name, c.org_no, c.customer_no, c.notes, c.country, c.change_no) == (
        row.Name, row.OrgNo, custno, row.Notes, row.Country, row.ChangeNo)
    assert (c.org_no, c.is_customer, c.is_supplier, c.kind) == ("556036-0793", True, False, 1)
    assert c.created_at == NOW_LOCAL
    # NULL columns came back as sentinels (or left out) and read as None
    assert (c.supplier_no, c.owner_user_id, c.payment_days, c.discount_pct, c.credit_limit, c.changed_at,
            c.currency, c.phone, c.invoice_method) == (None,) * 9
    assert c.post_address == CompanyAddress(street="Box 1", postal_code="111 22", city="Stockholm")
    assert c.visit_address is None


def test_validation_errors_name_facade_fields(sb, gw, anna):
    with pytest.raises(InvalidInput) as exc:
        gw.companies.save_company(anna, CompanyChanges(
            name=" ", org_no="556036-0794", discount_pct=Decimal(150), payment_days=500, currency="XYZ",
            owner_user_id=99999, post_address=CompanyAddress(postal_code="Ω-123")))
    fields = exc.value.details["fields"]
    assert set(fields) == {"name", "org_no", "discount_pct", "payment_days", "currency", "owner_user_id",
                           "post_address.postal_code"}
    assert_user_message(exc.value)


def test_update_conflict_missing_change_no_and_not_found(sb, gw, anna):
    row = sb.one('SELECT "CompanyID", "ChangeNo", "Name" FROM "tblCompany" WHERE "CompanyID" = 1')
    with pytest.raises(Conflict) as exc:
        gw.companies.save_company(anna, CompanyChanges(company_id=1, change_no=row.ChangeNo + 1, name="X"))
    assert_user_message(exc.value)
    with pytest.raises(InvalidInput) as exc:
        gw.companies.save_company(anna, CompanyChanges(company_id=1, name="X"))
    assert set(exc.value.details["fields"]) == {"change_no"}
    deleted = sb.one('SELECT "CompanyID", "ChangeNo" FROM "tblCompany" WHERE "Deleted" = 1 LIMIT 1')
    with pytest.raises(NotFound):
        gw.companies.save_company(anna, CompanyChanges(company_id=deleted.CompanyID, change_no=deleted.ChangeNo))
    assert sb.scalar('SELECT "Name" FROM "tblCompany" WHERE "CompanyID" = 1') == row.Name


def test_update_none_leaves_unchanged_and_empty_string_clears(sb, gw, anna):
    before = sb.one('SELECT * FROM "tblCompany" WHERE "Deleted" = 0 AND "Phone" IS NOT NULL AND "Email" IS NOT NULL '
                    'AND "OwnerUserID" IS NOT NULL ORDER BY "CompanyID" LIMIT 1')
    c = gw.companies.save_company(anna, CompanyChanges(company_id=before.CompanyID, change_no=before.ChangeNo,
                                                       phone="", nick_name="Smeknamn"))
    after = sb.one('SELECT * FROM "tblCompany" WHERE "CompanyID" = :i', i=before.CompanyID)
    assert (after.Phone, after.NickName, after.Email, after.OwnerUserID, after.ChangeNo) == (
        None, "Smeknamn", before.Email, before.OwnerUserID, before.ChangeNo + 1)
    assert (c.phone, c.email, c.owner_user_id, c.change_no, c.changed_at) == (
        None, before.Email, before.OwnerUserID, before.ChangeNo + 1, NOW_LOCAL)


def test_save_companies_returns_one_result_per_item_in_order(sb, gw, anna):
    results = gw.companies.save_companies(anna, [CompanyChanges(name="Först AB"), CompanyChanges(name=""),
                                                 CompanyChanges(name="Sist AB", is_supplier=True)])
    assert [r.company.name if r.company else r.error.kind for r in results] == ["Först AB", "Validation", "Sist AB"]
    assert results[1].error.field == "name" and results[1].error.item_id is None
    assert results[2].company.supplier_no == sb.scalar(
        'SELECT "SupplierNo" FROM "tblCompany" WHERE "Name" = \'Sist AB\'')


def test_delete_company_refusals_and_success(sb, gw, anna):
    with_items = sb.scalar('SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND EXISTS '
                           '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\')')
    free = sb.scalar(
        'SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS '
        '(SELECT 1 FROM "tblLedgerEntry" e WHERE e."CompanyID" = c."CompanyID" AND e."Closed" = \'N\') AND NOT EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0)')
    with pytest.raises(ClassicRejected) as exc:
        gw.companies.delete_company(anna, with_items)
    assert exc.value.message == CANNOT_DELETE
    with pytest.raises(NotFound):
        gw.companies.delete_company(anna, 999999)
    gw.companies.delete_company(anna, free)
    assert sb.scalar('SELECT "Deleted" FROM "tblCompany" WHERE "CompanyID" = :i', i=free) == 1
    errors = gw.companies.delete_companies(anna, [free, with_items])
    assert [(e.kind, e.item_id) for e in errors] == [("NotFound", free), ("NotAllowed", with_items)]


def test_merge_companies_reports_the_rows_moved(sb, gw, anna):
    keep = sb.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget AB\'')
    merge = sb.scalar('SELECT "CompanyID" FROM "tblCompany" WHERE "Name" = \'Testbolaget Aktiebolag\'')
    tables = ("tblCompanyPerson", "tblAddress", "tblCompanyCategory", "tblProject", "tblActivity", "tblWallPost",
              "tblSalesOpp", "tblEmailLink", "tblDocument", "tblCall", "tblOrder", "tblLedgerEntry")

    def count(company_id):
        return sum(sb.scalar(f'SELECT COUNT(*) FROM "{t}" WHERE "CompanyID" = :c', c=company_id) for t in tables)

    before = count(merge)
    outcome = gw.companies.merge_companies(anna, keep, merge)
    assert outcome.kept_company_id == keep
    assert outcome.moved_rows == before - count(merge) > 0
    with pytest.raises(NotFound):
        gw.companies.merge_companies(anna, keep, merge)  # now deleted
    with pytest.raises(InvalidInput):
        gw.companies.merge_companies(anna, keep, keep)


# --- InvoiceService -------------------------------------------------------------------------------


def test_save_invoice_returns_the_stored_order_with_sentinels_as_none(sb, gw, anna):
    order = gw.invoices.save_invoice(anna, OrderChanges(company_id=1, your_ref="Åsa Öberg", lines=(
        OrderLineInput(description="Konsult", quantity=Decimal(3), unit_price=Decimal("999.99"),
                       discount_pct=Decimal(10)),
        OrderLineInput(description="Text"))))
    row = sb.one('SELECT * FROM "tblOrder" WHERE "OrderID" = :i', i=order.order_id)
    assert (order.order_no, order.doc_type, order.status, order.company_id, order.change_no, order.your_ref) == (
        row.OrderNo, "O", 0, 1, 1, "Åsa Öberg")
    assert order.order_date == NOW_LOCAL.date()
    assert abs(order.total_amount - Decimal(str(row.TotalAmount))) < Decimal("0.005")
    assert (order.invoice_no, order.invoice_date, order.due_date, order.person_id, order.sales_user_id) == (None,) * 5
    assert [line.line_net for line in order.lines] == [Decimal("2699.97"), Decimal(0)]


def test_order_refusals_map_to_facade_errors(sb, gw, anna):
    confirmed = sb.one('SELECT "OrderID", "ChangeNo" FROM "tblOrder" WHERE "DocType" = \'O\' AND "Status" = 1 '
                       'AND "Deleted" = 0 ORDER BY "OrderID" LIMIT 1')
    with pytest.raises(ClassicRejected) as exc:
        gw.invoices.save_invoice(anna, OrderChanges(order_id=confirmed.OrderID, change_no=confirmed.ChangeNo,
                                                    our_ref="x"))
    assert exc.value.message == ONLY_DRAFTS
    with pytest.raises(InvalidInput) as exc:
        gw.invoices.save_invoice(anna, OrderChanges(company_id=999999))
    assert set(exc.value.details["fields"]) == {"company_id"}
    invoice = sb.scalar('SELECT MIN("OrderID") FROM "tblOrder" WHERE "DocType" = \'I\'')
    with pytest.raises(ClassicRejected) as exc:
        gw.invoices.delete_invoice(anna, invoice)
    assert exc.value.message == CANNOT_DELETE_ORDER
    with pytest.raises(NotFound):
        gw.invoices.get_invoice_document(anna, 999999)


def test_send_delete_and_document(sb, gw, anna):
    no_mail = sb.scalar(
        'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1 '
        'AND COALESCE(TRIM("Email"), \'\') = \'\' AND COALESCE(TRIM("InvoiceEmail"), \'\') = \'\'')
    order = gw.invoices.save_invoice(anna, OrderChanges(company_id=no_mail))
    with pytest.raises(InvalidInput) as exc:
        gw.invoices.send_invoice(anna, order.order_id, METHOD_EMAIL)
    assert set(exc.value.details["fields"]) == {"email"}
    gw.invoices.send_invoice(anna, order.order_id, METHOD_PRINT)
    assert sb.scalar('SELECT "Status" FROM "tblOrder" WHERE "OrderID" = :i', i=order.order_id) == 1
    assert gw.invoices.get_invoice_document(anna, order.order_id).startswith(b"%PDF-")
    gw.invoices.delete_invoice(anna, order.order_id)
    assert sb.scalar('SELECT "Deleted" FROM "tblOrder" WHERE "OrderID" = :i', i=order.order_id) == 1


# --- CompanyLookup --------------------------------------------------------------------------------


@pytest.fixture
def register(kit):
    with open(kit.register_csv, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_search_companies_by_name_and_by_number(gw, register):
    entry = next(r for r in register if r["Name"] == "Testbolaget AB")
    digits = entry["OrganizationNumber"].replace("-", "")
    for query in (entry["OrganizationNumber"], digits, f"16{digits}", f" {digits[:6]} {digits[6:]}"):
        (hit,) = gw.lookup.search_companies(query, "SE")
        assert (hit.org_no, hit.name, hit.street, hit.postal_code, hit.city, hit.country) == (
            entry["OrganizationNumber"], entry["Name"], entry["VisitingStreet"], entry["VisitingPostalCode"],
            entry["VisitingCity"], "SE")
    hits = gw.lookup.search_companies("testbolaget", max_hits=100)
    assert {h.org_no for h in hits} == {r["OrganizationNumber"] for r in register
                                        if "testbolaget" in r["Name"].casefold()}


def test_get_company_data_reads_empty_values_and_sentinels_as_none(gw, register):
    entry = next(r for r in register if r["Country"] == "SE" and not r["ShareCapital"] and not r["VatNumber"]) if any(
        r["Country"] == "SE" and not r["ShareCapital"] and not r["VatNumber"] for r in register) else next(
        r for r in register if r["Country"] == "SE" and not r["ShareCapital"])
    d = gw.lookup.get_company_data(entry["OrganizationNumber"])
    assert (d.org_no, d.name, d.legal_form, d.registration_date.isoformat(), d.rating_code, d.employees_band) == (
        entry["OrganizationNumber"], entry["Name"], entry["LegalForm"], entry["RegistrationDate"],
        entry["RatingCode"], entry["NumberOfEmployees"])
    assert d.share_capital is None
    assert d.vat_no == (entry["VatNumber"] or None)
    assert d.postal_address == CompanyAddress(street=entry["PostalStreet"], postal_code=entry["PostalCode"],
                                              city=entry["PostalCity"], country="SE")
    with pytest.raises(NotFound):
        gw.lookup.get_company_data("000000-0000")


def test_lookup_refuses_wrong_credentials_and_empty_queries(sb):
    g = build_soap_gateways(sb.base, sb.base, {**LOOKUP, "Password": "wrong"})
    with pytest.raises(NotAuthenticated) as exc:
        g.lookup.search_companies("bygg")
    assert exc.value.message == REGISTER_AUTH
    good = build_soap_gateways(sb.base, sb.base, LOOKUP)
    with pytest.raises(InvalidInput) as exc:
        good.lookup.search_companies("   ")
    assert_user_message(exc.value)


# --- failures of the server itself ----------------------------------------------------------------


def test_a_server_that_never_answers_gives_classic_unavailable_within_the_read_timeout(silent):
    g = build_soap_gateways(silent, silent, LOOKUP, connect_timeout=1.0, read_timeout=0.4)
    for call, message in ((lambda: g.auth.login("anna", "classic"), CLASSIC_TIMEOUT),
                          (lambda: g.auth.has_session("abc"), CLASSIC_TIMEOUT),
                          (lambda: g.lookup.search_companies("bygg"), REGISTER_TIMEOUT)):
        started = time.monotonic()
        with pytest.raises(ClassicUnavailable) as exc:
            call()
        elapsed = time.monotonic() - started
        assert 0.35 <= elapsed < 1.5, elapsed
        assert exc.value.message == message
        assert_user_message(exc.value)


def test_a_closed_port_gives_classic_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    g = build_soap_gateways(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}", LOOKUP, connect_timeout=1.0,
                            read_timeout=1.0)
    with pytest.raises(ClassicUnavailable) as exc:
        g.companies.delete_company("abc", 1)
    assert exc.value.message == CLASSIC_DOWN


def test_a_proxy_error_page_gives_classic_unavailable():
    class BadGateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), BadGateway)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        g = build_soap_gateways(url, url, LOOKUP, connect_timeout=1.0, read_timeout=2.0)
        with pytest.raises(ClassicUnavailable) as exc:
            g.auth.login("anna", "classic")
        assert_user_message(exc.value)
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_error_fault_gives_classic_unavailable(sb, gw, anna):
    sb.exec('DELETE FROM "tblNumberSeries" WHERE "SeriesCode" = \'CUSTNO\'')  # break the classic side
    with pytest.raises(ClassicUnavailable) as exc:
        gw.companies.save_company(anna, CompanyChanges(name="Trasigt AB"))
    assert exc.value.message == CLASSIC_FAILED
    assert exc.value.details["fault"].startswith("ServerError:")
    assert "Traceback" not in exc.value.details["fault"]
    assert_user_message(exc.value)
