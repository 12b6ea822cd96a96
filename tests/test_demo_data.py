"""The demo installation (sandbox/demo_data.py): the kit's invariants hold, every active user has
meetings today, the mix of data the pages need is there, and the app runs on it.

Expected values come from independent SQL on the built database, the kit's ``check.py`` and the
kit's documented rules (OCR, Luhn, users of the sample), never from the generator itself.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib.util
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from adapters.clock import FixedClock
from config.settings import Settings
from config.wiring import build_services
from sandbox.demo_data import build_demo_database, generate_demo_rows
from views import create_app

from .conftest import sign_in
from .kit import KIT_DIR, NOW_LOCAL, NOW_UTC, TODAY, require_kit

ACTIVE_LOGINS = ("admin", "anna", "erik", "marte", "lars", "karin", "per")


def luhn_ok(digits: str) -> bool:
    """The Luhn check written out here, independent of the generator."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def build(workdir: Path, today: date | None = TODAY):
    info = build_demo_database(f"sqlite:///{workdir / 'classic.db'}", str(workdir / "files"), today=today,
                               register_csv=str(workdir / "register.csv"))
    return info


def run_kit_check(workdir: Path) -> subprocess.CompletedProcess:
    require_kit()
    cmd = [sys.executable, str(KIT_DIR / "check.py"), "--url", f"sqlite:///{workdir / 'classic.db'}",
           "--file-store", str(workdir / "files")]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo built for the tests' day (2025-06-16, a Monday), with files and register."""
    work = tmp_path_factory.mktemp("demo")
    info = build(work)
    return work, info


@pytest.fixture(scope="module")
def demo_sql(demo):
    engine = sa.create_engine(f"sqlite:///{demo[0] / 'classic.db'}")
    yield engine
    engine.dispose()


def rows(engine, sql: str, **params):
    with engine.connect() as c:
        return c.execute(sa.text(sql), params).all()


# --- the kit's invariants -------------------------------------------------------------------


def test_the_kits_check_passes_on_the_demo(demo):
    proc = run_kit_check(demo[0])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout
    assert "0 of" in proc.stdout and "facts failed" in proc.stdout


AWKWARD_DAYS = {"real-today": None, "new-year": date(2025, 1, 1), "leap-day": date(2024, 2, 29),
                "dst-spring": date(2025, 3, 30), "new-years-eve": date(2025, 12, 31),
                "sunday": date(2026, 7, 5)}


@pytest.mark.parametrize("day", AWKWARD_DAYS.values(), ids=AWKWARD_DAYS.keys())
def test_the_kits_check_passes_for_awkward_days(tmp_path, day):
    info = build(tmp_path, day)
    expected = day or datetime.now(ZoneInfo("Europe/Stockholm")).date()
    assert info.today == expected
    proc = run_kit_check(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_kits_check_passes_when_built_just_after_midnight(tmp_path):
    now = datetime(2025, 6, 16, 0, 2)
    info = build_demo_database(f"sqlite:///{tmp_path / 'classic.db'}", str(tmp_path / "files"), today=TODAY,
                               now=now)
    assert info.now == now
    proc = run_kit_check(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    con = sa.create_engine(f"sqlite:///{tmp_path / 'classic.db'}")
    later = rows(con, """SELECT "CompanyID" FROM "tblCompany" WHERE "CreatedAt" > :now
                         UNION ALL SELECT "ActivityID" FROM "tblActivity" WHERE "CreatedAt" > :now
                         UNION ALL SELECT "OrderID" FROM "tblOrder" WHERE "CreatedAt" > :now""",
                 now=now.strftime("%Y-%m-%d %H:%M:%S"))
    con.dispose()
    assert later == []


def test_the_same_day_gives_the_same_rows():
    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=7)
    assert generate_demo_rows(TODAY, now) == generate_demo_rows(TODAY, now)


def test_building_into_a_database_with_tables_is_refused(demo, tmp_path):
    copy = tmp_path / "classic.db"
    shutil.copy(demo[0] / "classic.db", copy)
    before = copy.read_bytes()
    with pytest.raises(ValueError, match="not empty"):
        build_demo_database(f"sqlite:///{copy}", str(tmp_path / "files"), today=TODAY)
    assert copy.read_bytes() == before


# --- dates relative to today ----------------------------------------------------------------


def test_nothing_is_created_after_the_snapshot(demo, demo_sql):
    now = demo[1].now
    assert now.date() == TODAY and now <= datetime.combine(TODAY, datetime.min.time()).replace(hour=7)
    later = rows(demo_sql, """
        SELECT 'company' FROM "tblCompany" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'person' FROM "tblPerson" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'link' FROM "tblCompanyPerson" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'activity' FROM "tblActivity" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
                                                          OR "DoneAt" > :now
        UNION ALL SELECT 'wall' FROM "tblWallPost" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'opp' FROM "tblSalesOpp" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'project' FROM "tblProject" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
        UNION ALL SELECT 'order' FROM "tblOrder" WHERE "CreatedAt" > :now OR "ChangedAt" > :now
                                                    OR "InvoiceDate" > :today
        UNION ALL SELECT 'email' FROM "tblEmail" WHERE "SentAt" > :now
        UNION ALL SELECT 'document' FROM "tblDocument" WHERE "UploadedAt" > :now
        UNION ALL SELECT 'call' FROM "tblCall" WHERE "StartedAt" > :now
        UNION ALL SELECT 'ledger' FROM "tblLedgerEntry" WHERE "VoucherDate" > :today OR "ClosedDate" > :today
        UNION ALL SELECT 'user' FROM "tblUser" WHERE "CreatedAt" > :now
    """, now=now.strftime("%Y-%m-%d %H:%M:%S"), today=TODAY.isoformat())
    assert later == []


def test_every_active_user_has_several_meetings_today(demo_sql):
    start, end = TODAY.isoformat() + " 00:00:00", (TODAY + timedelta(days=1)).isoformat() + " 00:00:00"
    counts = dict(rows(demo_sql, """
        SELECT u."LoginName", COUNT(DISTINCT a."ActivityID") FROM "tblUser" u
        JOIN "tblActivity" a ON a."ActType" = 2 AND a."Deleted" = 0
         AND a."StartAt" < :end AND a."EndAt" > :start
         AND (a."OwnerUserID" = u."UserID" OR EXISTS (
              SELECT 1 FROM "tblActivityUser" x
              WHERE x."ActivityID" = a."ActivityID" AND x."UserID" = u."UserID"))
        WHERE u."Active" = 1 GROUP BY u."LoginName"
    """, start=start, end=end))
    assert set(counts) == set(ACTIVE_LOGINS)
    assert all(n >= 2 for n in counts.values()), counts
    as_participant = dict(rows(demo_sql, """
        SELECT u."LoginName", COUNT(*) FROM "tblActivityUser" x JOIN "tblUser" u ON u."UserID" = x."UserID"
        JOIN "tblActivity" a ON a."ActivityID" = x."ActivityID"
        WHERE a."StartAt" < :end AND a."EndAt" > :start GROUP BY u."LoginName"
    """, start=start, end=end))
    assert as_participant.get("anna", 0) >= 1  # anna is invited too, not only organiser


def test_tasks_are_due_today_overdue_and_done(demo_sql):
    today = TODAY.isoformat()
    (due_today, overdue, done), = rows(demo_sql, """
        SELECT SUM(CASE WHEN substr("DueAt", 1, 10) = :today AND "Done" = 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "DueAt" < :today AND "Done" = 0 THEN 1 ELSE 0 END),
               SUM("Done") FROM "tblActivity" WHERE "ActType" = 1 AND "Deleted" = 0 AND "OwnerUserID" = 2
    """, today=today)
    assert due_today >= 1 and overdue >= 1 and done >= 1


def test_companies_created_this_week_follow_their_ids(demo_sql):
    newest = rows(demo_sql, 'SELECT "CompanyID", "CreatedAt" FROM "tblCompany" '
                            'ORDER BY "CompanyID" DESC LIMIT 3')
    assert newest[0][1][:10] >= (TODAY - timedelta(days=7)).isoformat()
    assert [r[1] for r in newest] == sorted((r[1] for r in newest), reverse=True)


# --- the mix of data ------------------------------------------------------------------------


def test_users_are_the_kits_sample_users_with_password_classic(demo_sql):
    require_kit()
    spec = importlib.util.spec_from_file_location("kit_generate", KIT_DIR / "generate.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    users = rows(demo_sql, 'SELECT "UserID", "LoginName", "FullName", "Active", "PwdSalt", "PwdHash" '
                           'FROM "tblUser" ORDER BY "UserID"')
    rights = {}
    for uid, code in rows(demo_sql, 'SELECT "UserID", "RightCode" FROM "tblUserRight"'):
        rights.setdefault(uid, set()).add(code)
    assert len(users) == len(kit.BLOCK0_USERS)
    for (uid, login, name, active, salt, pwd_hash), expected in zip(users, kit.BLOCK0_USERS, strict=True):
        assert (login, name, active) == (expected[0], expected[1], expected[5])
        assert rights[uid] == set(expected[4])
        assert len(salt) == 16 and pwd_hash == hashlib.sha1((salt + "classic").encode()).hexdigest()


def test_settings_are_those_of_a_swedish_installation(demo_sql):
    settings = dict(rows(demo_sql, 'SELECT "SettingKey", "SettingValue" FROM "tblSetting"'))
    assert settings["BaseCurrency"] == "SEK" and settings["TimeZone"] == "Europe/Stockholm"
    assert settings["SchemaVersion"] == "7.4" and settings["DefaultPaymentDays"] == "30"
    assert settings["DefaultVatPct"] == "25" and settings["CompanyName"] and settings["ClassicUrl"]
    assert 9 < float(settings["Rate.EUR"]) < 14 and 0.8 < float(settings["Rate.NOK"]) < 1.2


def test_companies_of_every_kind_are_there(demo_sql):
    kinds = rows(demo_sql, """
        SELECT SUM(CASE WHEN "IsCustomer" = 1 AND "IsSupplier" = 0 AND "CompanyKind" = 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "IsCustomer" = 0 AND "IsSupplier" = 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "IsCustomer" = 1 AND "IsSupplier" = 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "IsCustomer" = 0 AND "IsSupplier" = 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "CompanyKind" = 2 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Currency" = 'EUR' THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Currency" = 'NOK' THEN 1 ELSE 0 END),
               SUM("Deleted"), COUNT(*)
        FROM "tblCompany"
    """)[0]
    customers, suppliers, both, prospects, private, eur, nok, deleted, total = kinds
    assert customers >= 30 and suppliers >= 2 and both >= 2 and prospects >= 3 and private >= 3
    assert eur >= 2 and nok >= 2 and deleted >= 2 and 60 <= total <= 80
    names = [r[0] for r in rows(demo_sql, 'SELECT "Name" FROM "tblCompany"')]
    assert any("&" in n for n in names)
    assert any("<" in n and ">" in n for n in names)
    assert sum(any(ch in n for ch in "åäöÅÄÖøæ") for n in names) >= 10


def test_organisation_numbers_are_valid_in_mixed_formats(demo_sql):
    stored = rows(demo_sql, """SELECT "OrgNo", "CompanyKind" FROM "tblCompany"
                              WHERE "Country" = 'SE' AND "OrgNo" IS NOT NULL""")
    formats = set()
    for orgno, kind in stored:
        digits = "".join(ch for ch in orgno if ch.isdigit())
        if len(digits) == 12:
            digits = digits[2:]
        assert len(digits) == 10 and luhn_ok(digits), orgno
        if kind == 2:
            continue
        formats.add("dash" if orgno == digits[:6] + "-" + digits[6:] else
                    "plain" if orgno == digits else "blank" if orgno.startswith(" ") else "century")
    assert formats == {"dash", "plain", "blank", "century"}
    private = [o for o, k in stored if k == 2]
    assert private and all(len("".join(c for c in o if c.isdigit())) in (10, 12) for o in private)


def test_a_duplicate_pair_shares_an_organisation_number(demo_sql):
    pairs = rows(demo_sql, """
        SELECT a."CompanyID", b."CompanyID" FROM "tblCompany" a
        JOIN "tblCompany" b ON a."CompanyID" < b."CompanyID"
        WHERE a."Deleted" = 0 AND b."Deleted" = 0 AND a."OrgNo" IS NOT NULL AND b."OrgNo" IS NOT NULL
          AND replace(replace(a."OrgNo", '-', ''), ' ', '') = replace(replace(b."OrgNo", '-', ''), ' ', '')
    """)
    assert len(pairs) == 1
    a, b = pairs[0]
    shared = rows(demo_sql, """SELECT "PersonID" FROM "tblCompanyPerson"
                              WHERE "CompanyID" = :a AND "Deleted" = 0
                              INTERSECT SELECT "PersonID" FROM "tblCompanyPerson"
                              WHERE "CompanyID" = :b AND "Deleted" = 0""", a=a, b=b)
    assert shared


def test_persons_links_and_addresses(demo_sql):
    (persons,), = rows(demo_sql, 'SELECT COUNT(*) FROM "tblPerson"')
    assert 140 <= persons <= 160
    (two,), = rows(demo_sql, """SELECT COUNT(*) FROM (SELECT "PersonID" FROM "tblCompanyPerson"
                                WHERE "Deleted" = 0 GROUP BY "PersonID" HAVING COUNT(*) > 1) x""")
    (gone,), = rows(demo_sql, 'SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "Deleted" = 1')
    (alone,), = rows(demo_sql, """SELECT COUNT(*) FROM "tblPerson" p WHERE NOT EXISTS (
                                   SELECT 1 FROM "tblCompanyPerson" l WHERE l."PersonID" = p."PersonID")""")
    assert two >= 3 and gone >= 2 and alone >= 1
    types = {r[0] for r in rows(demo_sql, 'SELECT DISTINCT "AddrType" FROM "tblAddress"')}
    assert types == {1, 2, 3, 4}


def test_opportunities_cover_stages_currencies_and_close_dates(demo_sql):
    today = TODAY.isoformat()
    stages = {r[0] for r in rows(demo_sql, 'SELECT DISTINCT "Stage" FROM "tblSalesOpp"')}
    currencies = {r[0] for r in rows(demo_sql, 'SELECT DISTINCT "Currency" FROM "tblSalesOpp"')}
    assert stages == {1, 2, 3, 4, 5, 6} and currencies == {"SEK", "EUR", "NOK"}
    kinds = {r[0] for r in rows(demo_sql, """
        SELECT CASE WHEN "CloseDate" IS NULL THEN 'none' WHEN "CloseDate" < :today THEN 'overdue'
                    WHEN substr("CloseDate", 1, 7) = substr(:today, 1, 7) THEN 'month'
                    WHEN "CloseDate" <= :q_end THEN 'quarter' ELSE 'later' END
        FROM "tblSalesOpp" WHERE "Stage" BETWEEN 1 AND 4 AND "Deleted" = 0""",
        today=today, q_end="2025-06-30")}
    assert kinds == {"none", "overdue", "month", "later"}  # June is the quarter's last month


def test_invoices_credit_notes_and_orders_over_two_years(demo_sql):
    docs = rows(demo_sql, """SELECT "DocType", "Status", "Deleted", substr("InvoiceDate", 1, 4), "Currency"
                            FROM "tblOrder" """)
    assert {(d, s) for d, s, *_ in docs} >= {("O", 0), ("O", 1), ("O", 9), ("I", 2), ("I", 3), ("C", 3)}
    assert any(d == "O" and deleted == 1 for d, _, deleted, *_ in docs)
    years = {y for d, _, _, y, _ in docs if d == "I"}
    assert years == {str(TODAY.year - 1), str(TODAY.year)}
    assert {c for d, *_, c in docs if d == "I"} == {"SEK", "EUR", "NOK"}
    credit_texts = rows(demo_sql, """
        SELECT l."Description", o."ExchangeRate", i."ExchangeRate" FROM "tblOrder" o
        JOIN "tblOrderLine" l ON l."OrderID" = o."OrderID" AND l."LineNum" = 1
        JOIN "tblOrder" i ON 'Kreditering av faktura ' || i."InvoiceNo" = l."Description"
        WHERE o."DocType" = 'C'""")
    assert credit_texts and all(abs(c - i) < 1e-9 for _, c, i in credit_texts)


def test_ledger_has_ocr_references_payments_partial_and_overdue_items(demo_sql):
    today = TODAY.isoformat()
    for invoice_no, ocr in rows(demo_sql, """SELECT "InvoiceNo", "OcrRef" FROM "tblLedgerEntry"
                                            WHERE "Ledger" = 'C' AND "VoucherNo" < 900000"""):
        body = invoice_no + str((len(invoice_no) + 2) % 10)
        assert ocr[:-1] == body and luhn_ok(ocr), (invoice_no, ocr)
    (paid, partly, overdue, bonus, supplier_open), = rows(demo_sql, """
        SELECT SUM(CASE WHEN "Ledger" = 'C' AND "Amount" < 0 AND "VoucherNo" >= 900000 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Closed" = 'N' AND "MatchNo" IS NOT NULL AND "Amount" > 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Ledger" = 'C' AND "Closed" = 'N' AND "DueDate" < :today AND "Amount" > 0
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Ledger" = 'C' AND "Closed" = 'N' AND "Amount" < 0 AND "MatchNo" IS NULL
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Ledger" = 'S' AND "Closed" = 'N' THEN 1 ELSE 0 END)
        FROM "tblLedgerEntry" """, today=today)
    assert paid >= 20 and partly >= 1 and overdue >= 3 and bonus >= 1 and supplier_open >= 1


def test_documents_have_real_bytes_and_nordic_names(demo, demo_sql):
    docs = rows(demo_sql, 'SELECT "FileName", "ContentType", "StorageKey", "ByteSize" FROM "tblDocument"')
    assert len(docs) >= 20
    magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n"}
    for name, ctype, key, size in docs:
        data = (demo[0] / "files" / key).read_bytes()
        assert len(data) == size
        assert data.startswith(magic.get(ctype, b""))
    assert {c for _, c, _, _ in docs} == {"application/pdf", "image/png", "text/plain", "text/csv"}
    assert any(any(ch in n for ch in "åäöÅÄÖ") for n, *_ in docs)


def test_calls_include_missed_and_unknown_numbers(demo_sql):
    (missed, unknown, hidden, outgoing), = rows(demo_sql, """
        SELECT SUM(CASE WHEN "Answered" = 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN "CompanyID" IS NULL AND "PersonID" IS NULL AND "Number" IS NOT NULL
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Number" IS NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN "Direction" = 'O' THEN 1 ELSE 0 END) FROM "tblCall" """)
    assert missed >= 1 and unknown >= 1 and hidden >= 1 and outgoing >= 1
    numbers = [r[0] for r in rows(demo_sql, 'SELECT "Number" FROM "tblCall" WHERE "Number" IS NOT NULL')]
    assert any(n.startswith("+46") for n in numbers) and any(n.startswith("0") for n in numbers)


def test_register_csv_has_the_kits_columns_and_companies_of_the_crm(demo, demo_sql):
    require_kit()
    path = demo[0] / "register.csv"
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF like the kit's CSV
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        entries = list(reader)
    spec = importlib.util.spec_from_file_location("kit_generate", KIT_DIR / "generate.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    assert tuple(header) == kit.REGISTER_COLUMNS
    assert 30 <= len(entries) <= 50
    crm = {"".join(ch for ch in o if ch.isdigit())[-10:] for (o,) in rows(
        demo_sql, 'SELECT "OrgNo" FROM "tblCompany" WHERE "OrgNo" IS NOT NULL')}
    in_crm = [e for e in entries if e["OrganizationNumber"].replace("-", "")[-10:] in crm]
    assert len(entries) // 5 <= len(in_crm) <= len(entries) // 2
    for e in entries:
        if e["Country"] == "SE":
            number = e["OrganizationNumber"]
            assert len(number) == 11 and number[6] == "-" and luhn_ok(number.replace("-", ""))
        else:
            assert e["Country"] == "NO" and len(e["OrganizationNumber"]) == 9


# --- the app on the demo ----------------------------------------------------------------------


@pytest.fixture
def demo_app(demo, tmp_path):
    settings = Settings.for_tests(database_url=f"sqlite:///{demo[0] / 'classic.db'}",
                                  state_url=f"sqlite:///{tmp_path / 'state.db'}",
                                  file_store=str(demo[0] / "files"),
                                  login_rate_limit="1000 per minute")
    app = create_app(settings, build_services(settings, clock=FixedClock(NOW_UTC)))
    yield app
    app.extensions["crm_lite"].close()


def test_anna_sees_her_meetings_of_today_on_the_dashboard(demo_app, demo_sql):
    assert NOW_LOCAL.date() == TODAY
    subjects = [r[0] for r in rows(demo_sql, """
        SELECT a."Subject" FROM "tblActivity" a JOIN "tblUser" u ON u."UserID" = a."OwnerUserID"
        WHERE u."LoginName" = 'anna' AND a."ActType" = 2 AND a."Deleted" = 0
          AND a."StartAt" >= :start AND a."StartAt" < :end""",
        start=f"{TODAY} 00:00:00", end=f"{TODAY + timedelta(days=1)} 00:00:00")]
    assert len(subjects) >= 2
    client = demo_app.test_client()
    assert sign_in(client, "anna").status_code == 302
    r = client.get("/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Anna Lindqvist" in page
    assert sum(html.escape(s, quote=False) in page for s in subjects) >= 2


@pytest.mark.parametrize("login", ACTIVE_LOGINS)
def test_every_demo_sign_in_works_as_documented(demo_app, login):
    client = demo_app.test_client()
    r = sign_in(client, login)
    if login == "per":  # ORDER_READ only: may not use the CRM
        assert r.status_code == 403
    else:
        assert r.status_code == 302
        assert client.get("/").status_code == 200
