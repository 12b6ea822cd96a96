"""CSV exports of the lists for Swedish Excel: the file's shape (BOM, ``;``, CRLF, decimal comma, ISO
dates), every row of the list with the page's filters, sort, rights and soft deletes, formula
neutralisation on a copy of the kit, the file name, and the keyboard-shortcuts page.

Expected rows come from SQL on the kit (``kit_sql``), never from the code under test.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
import shutil
import time
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from facade import csv_export
from facade.csv_export import Column, format_cell, to_excel_csv

from .conftest import make_app, sign_in
from .kit import TODAY, KitDatabase

TESTBOLAGET = 77
USERS = ("admin", "anna", "erik", "lars", "karin")
EN = {"Accept-Language": "en"}
MONEY = re.compile(r"^-?\d+,\d{2}$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# --- helpers ---------------------------------------------------------------------------------


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


@contextlib.contextmanager
def count_queries(engine):
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", _before)


def parse(response) -> list[dict[str, str]]:
    """The CSV body as dicts by header, after checking the Excel shape (BOM, ``;``, CRLF)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n")
    assert "\r" not in text.replace("\r\n", ""), "a CR outside a CRLF line end"
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = records[0]
    assert len(header) > 3 and all(len(r) == len(header) for r in records), "not ;-separated"
    # Every record ends with CRLF: as many CRLFs as records (cell line breaks are LF only).
    assert text.count("\r\n") == len(records)
    return [dict(zip(header, r)) for r in records[1:]]


def header_of(response) -> list[str]:
    text = response.get_data()[3:].decode("utf-8")
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def money(cell: str) -> Decimal:
    assert MONEY.match(cell), f"not an amount with decimal comma: {cell!r}"
    return Decimal(cell.replace(",", "."))


def excel_text(value: str | None) -> str:
    """How a stored text must look in the file (the OWASP rule, written out here independently)."""
    if value is None:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.lstrip(" \u00a0")[:1] in FORMULA_STARTS or value[:1] in FORMULA_STARTS else value


def iso(value) -> str:
    return "" if value is None else str(value)[:10]


@pytest.fixture(scope="module")
def export_app(kit, tmp_path_factory):
    application = make_app(kit, tmp_path_factory.mktemp("export-app"))
    yield application
    application.extensions["crm_lite"].close()


@pytest.fixture(scope="module")
def clients(export_app):
    out = {}
    for login in USERS:
        c = export_app.test_client()
        assert sign_in(c, login).status_code == 302, login
        out[login] = c
    return out


# --- the writer ------------------------------------------------------------------------------


def test_cells_use_decimal_comma_iso_dates_and_neutralise_only_text():
    from datetime import datetime

    assert format_cell(Decimal("1234.5"), money=True) == "1234,50"
    assert format_cell(Decimal("-1234567.005"), money=True) == "-1234567,01"  # half-up, no separators
    assert format_cell(Decimal("-0.001"), money=True) == "0,00"
    assert format_cell(-2) == "-2"  # a number stays a number
    assert format_cell(0.1) == "0,1"
    assert format_cell(date(2025, 6, 16)) == "2025-06-16"
    assert format_cell(datetime(2025, 6, 16, 14, 30, 59)) == "2025-06-16 14:30"
    assert format_cell(None) == ""
    assert format_cell(True, yes_no=("Ja", "Nej")) == "Ja"
    for text in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(1)", "\tx", "\rx", " =1+1", "＝1+1"):
        assert format_cell(text).startswith("'"), text
    assert format_cell("a=b") == "a=b"
    assert format_cell("rad 1\r\nrad 2") == "rad 1\nrad 2"


def test_writer_quotes_semicolons_quotes_and_line_breaks():
    cols = [Column("Namn", lambda r: r[0]), Column("Belopp", lambda r: r[1], money=True)]
    text = "".join(to_excel_csv([('a;b "c"\nd', Decimal(-5)), ("Åsa", Decimal("1234.5"))], cols))
    assert text.startswith("\ufeffNamn;Belopp\r\n")
    assert text.endswith('"a;b ""c""\nd";-5,00\r\nÅsa;1234,50\r\n')


# --- contacts --------------------------------------------------------------------------------


def test_contacts_export_has_every_live_contact_with_english_headers(clients, kit_sql):
    # Company 5 has a deleted link or a deleted person: neither may appear.
    company = scalar(kit_sql, '''SELECT MIN(cp."CompanyID") FROM "tblCompanyPerson" cp
        JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        JOIN "tblCompany" c ON c."CompanyID" = cp."CompanyID" AND c."Deleted" = 0
        WHERE cp."Deleted" = 1 OR p."Deleted" = 1''')
    expected = rows(kit_sql, '''SELECT p."FirstName", p."LastName", p."JobTitle", cp."Role", cp."IsMain", p."Email"
        FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0''', c=company)
    hidden = rows(kit_sql, '''SELECT p."Email" FROM "tblCompanyPerson" cp JOIN "tblPerson" p
        ON p."PersonID" = cp."PersonID" WHERE cp."CompanyID" = :c AND (cp."Deleted" = 1 OR p."Deleted" = 1)''',
                  c=company)
    assert hidden
    r = clients["anna"].get(f"/companies/{company}/contacts/export.csv", headers=EN)
    got = parse(r)
    assert header_of(r) == ["First name", "Last name", "Job title", "Role", "Main contact", "Phone", "Mobile",
                            "E-mail"]
    assert sorted((g["First name"], g["Last name"], g["Job title"], g["Role"], g["Main contact"], g["E-mail"])
                  for g in got) == sorted(
        (excel_text(e.FirstName), excel_text(e.LastName), excel_text(e.JobTitle), excel_text(e.Role),
         "Yes" if e.IsMain == 1 else "No", excel_text(e.Email)) for e in expected)
    for h in hidden:
        if h.Email and h.Email not in {e.Email for e in expected}:
            assert h.Email not in r.get_data(as_text=True)


def test_export_has_every_page_not_only_the_current_one(clients, kit_sql):
    n = scalar(kit_sql, '''SELECT COUNT(*) FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0''', c=TESTBOLAGET)
    assert n > 2
    got = parse(clients["anna"].get(f"/companies/{TESTBOLAGET}/contacts/export.csv?per_page=2&page=2"))
    assert len(got) == n


def test_file_name_is_the_list_the_company_and_today_in_rfc6266_form(clients, kit_sql, export_app):
    from flask_babel import pgettext

    with export_app.test_request_context("/", headers={"Accept-Language": "sv"}):
        list_name = pgettext("file name", "contacts")  # "kontaktpersoner" in Swedish
    company_id, name = rows(kit_sql, '''SELECT c."CompanyID", c."Name" FROM "tblCompany" c WHERE c."Deleted" = 0
        AND (c."Name" LIKE '%ö%' OR c."Name" LIKE '%ä%' OR c."Name" LIKE '%å%')
        AND EXISTS (SELECT 1 FROM "tblCompanyPerson" cp WHERE cp."CompanyID" = c."CompanyID" AND cp."Deleted" = 0)
        ORDER BY c."CompanyID"''')[0]
    r = clients["anna"].get(f"/companies/{company_id}/contacts/export.csv", headers={"Accept-Language": "sv"})
    assert parse(r)
    disposition = r.headers["Content-Disposition"]
    m = re.fullmatch(r'attachment; filename="([ -~]+)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)', disposition)
    assert m, disposition
    unicode_name = unquote(m.group(2), encoding="utf-8")
    collapsed = " ".join(name.split())
    prefix = unicode_name.removesuffix(f"-{collapsed}-{TODAY.isoformat()}.csv")
    assert prefix == list_name, unicode_name
    assert m.group(1).isascii() and m.group(1).endswith(f"-{TODAY.isoformat()}.csv")
    assert "ö" not in m.group(1) and "o" in m.group(1).lower()  # accents dropped, not the letters
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"]


# --- orders ----------------------------------------------------------------------------------


def test_orders_export_of_testbolaget_in_the_pages_sort_order(clients, kit_sql):
    expected = rows(kit_sql, '''SELECT "OrderNo", "InvoiceNo", "OrderDate", "InvoiceDate", "DueDate", "Currency",
        "TotalAmount", "NetAmount", "ExchangeRate" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0
        ORDER BY "TotalAmount" * "ExchangeRate" DESC, "OrderID"''', c=TESTBOLAGET)
    got = parse(clients["anna"].get(f"/companies/{TESTBOLAGET}/orders/export.csv?sort=amount&per_page=1",
                                    headers=EN))
    assert [int(g["Order no."]) for g in got] == [e.OrderNo for e in expected]
    for g, e in zip(got, expected):
        assert g["Invoice no."] == ("" if e.InvoiceNo is None else str(e.InvoiceNo))
        assert g["Order date"] == iso(e.OrderDate) and g["Invoice date"] == iso(e.InvoiceDate)
        assert g["Due date"] == iso(e.DueDate)
        assert abs(money(g["Total"]) - Decimal(str(e.TotalAmount))) < Decimal("0.005")
        assert abs(money(g["Net amount"]) - Decimal(str(e.NetAmount))) < Decimal("0.005")
        sek = Decimal(str(e.TotalAmount)) * Decimal(str(e.ExchangeRate))
        assert abs(money(g["Total in SEK"]) - sek) < Decimal("0.006")
        assert g["Customer"] == "Testbolaget Aktiebolag"


def test_orders_export_keeps_the_filters_and_hides_deleted_orders(clients, kit_sql):
    company = scalar(kit_sql, '''SELECT MIN(o."CompanyID") FROM "tblOrder" o JOIN "tblCompany" c
        ON c."CompanyID" = o."CompanyID" AND c."Deleted" = 0 WHERE o."Deleted" = 1''')
    live = rows(kit_sql, 'SELECT "OrderNo" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0', c=company)
    deleted = rows(kit_sql, 'SELECT "OrderNo" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 1', c=company)
    got = parse(clients["anna"].get(f"/companies/{company}/orders/export.csv", headers=EN))
    numbers = sorted(int(g["Order no."]) for g in got)
    assert numbers == sorted(r.OrderNo for r in live)
    assert not {r.OrderNo for r in deleted} & set(numbers)

    invoiced = rows(kit_sql, '''SELECT "OrderNo" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0
        AND "Status" = 2 AND "DocType" = 'I' ORDER BY "OrderNo", "OrderID"''', c=TESTBOLAGET)
    got = parse(clients["anna"].get(
        f"/companies/{TESTBOLAGET}/orders/export.csv?status=2&type=I&sort=number&dir=asc", headers=EN))
    assert [int(g["Order no."]) for g in got] == [r.OrderNo for r in invoiced]
    assert {g["Status"] for g in got} <= {"Invoiced"} and {g["Type"] for g in got} <= {"Invoice"}


def test_person_orders_export_lists_the_orders_with_the_contact_as_reference(clients, kit_sql):
    person = scalar(kit_sql, '''SELECT o."PersonID" FROM "tblOrder" o JOIN "tblCompany" c
        ON c."CompanyID" = o."CompanyID" AND c."Deleted" = 0 JOIN "tblPerson" p ON p."PersonID" = o."PersonID"
        AND p."Deleted" = 0 WHERE o."Deleted" = 0 GROUP BY o."PersonID" ORDER BY COUNT(*) DESC, o."PersonID"''')
    expected = rows(kit_sql, '''SELECT o."OrderNo" FROM "tblOrder" o JOIN "tblCompany" c ON c."CompanyID" = o."CompanyID"
        AND c."Deleted" = 0 WHERE o."PersonID" = :p AND o."Deleted" = 0''', p=person)
    got = parse(clients["anna"].get(f"/persons/{person}/orders/export.csv", headers=EN))
    assert sorted(int(g["Order no."]) for g in got) == sorted(r.OrderNo for r in expected)


# --- ledger ----------------------------------------------------------------------------------


def test_ledger_export_has_the_open_items_of_the_customer_ledger(clients, kit_sql):
    company = scalar(kit_sql, '''SELECT l."CompanyID" FROM "tblLedgerEntry" l JOIN "tblCompany" c
        ON c."CompanyID" = l."CompanyID" AND c."Deleted" = 0 WHERE l."Ledger" = 'C' AND l."Closed" = 'N'
        GROUP BY l."CompanyID" ORDER BY COUNT(*) DESC, l."CompanyID"''')
    expected = rows(kit_sql, '''SELECT "VoucherNo", "OpenAmount", "Amount", "DueDate", "Description"
        FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = 'C' AND "Closed" = 'N'
        ORDER BY "VoucherDate" DESC, "VoucherNo" DESC, "EntryID"''', c=company)
    assert len(expected) >= 2
    got = parse(clients["anna"].get(f"/companies/{company}/ledger/export.csv", headers=EN))
    assert [int(g["Voucher no."]) for g in got] == [e.VoucherNo for e in expected]
    for g, e in zip(got, expected):
        assert abs(money(g["Open amount"]) - Decimal(str(e.OpenAmount))) < Decimal("0.005")
        assert abs(money(g["Amount in SEK"]) - Decimal(str(e.Amount))) < Decimal("0.005")
        assert g["Due date"] == iso(e.DueDate) and g["Closed"] == "No"
        assert g["Text"] == excel_text(e.Description)
        due = date.fromisoformat(e.DueDate) if isinstance(e.DueDate, str) else e.DueDate
        overdue = (TODAY - due).days if due and due < TODAY else None
        assert g["Days overdue"] == ("" if overdue is None else str(overdue))
    total = sum(money(g["Open amount"]) for g in got)
    assert abs(total - Decimal(str(sum(e.OpenAmount for e in expected)))) < Decimal("0.01")


def test_ledger_export_of_all_items_keeps_negative_amounts_as_numbers(clients, kit_sql):
    expected = rows(kit_sql, '''SELECT "Amount" FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = 'C'
        ORDER BY "Amount" DESC, "EntryID"''', c=TESTBOLAGET)
    assert any(e.Amount < 0 for e in expected)
    got = parse(clients["anna"].get(f"/companies/{TESTBOLAGET}/ledger/export.csv?state=all&sort=amount",
                                    headers=EN))
    amounts = [g["Amount in SEK"] for g in got]
    assert [money(a) for a in amounts] == [Decimal(str(e.Amount)).quantize(Decimal("0.01")) for e in expected]
    assert any(a.startswith("-") for a in amounts)  # not "'-…": numbers are never neutralised


def test_supplier_ledger_export_needs_ledger_supplier(clients, kit_sql):
    company = scalar(kit_sql, '''SELECT MIN(l."CompanyID") FROM "tblLedgerEntry" l JOIN "tblCompany" c
        ON c."CompanyID" = l."CompanyID" AND c."Deleted" = 0 WHERE l."Ledger" = 'S' ''')
    n = scalar(kit_sql, '''SELECT COUNT(*) FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = 'S' ''',
               c=company)
    url = f"/companies/{company}/ledger/export.csv?ledger=S&state=all"
    assert clients["anna"].get(url).status_code == 403
    r = clients["lars"].get(url)
    assert len(parse(r)) == n
    assert "leverant" in unquote(r.headers["Content-Disposition"]) or "supplier-ledger" in r.headers[
        "Content-Disposition"]


def test_exports_are_read_in_chunks_without_repeating_a_row(clients, kit_sql, export_app, monkeypatch):
    company = scalar(kit_sql, '''SELECT l."CompanyID" FROM "tblLedgerEntry" l JOIN "tblCompany" c
        ON c."CompanyID" = l."CompanyID" AND c."Deleted" = 0 WHERE l."Ledger" = 'C'
        GROUP BY l."CompanyID" ORDER BY COUNT(*) DESC, l."CompanyID"''')
    expected = rows(kit_sql, '''SELECT "VoucherNo" FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = 'C'
        ORDER BY "VoucherDate" DESC, "VoucherNo" DESC, "EntryID"''', c=company)
    monkeypatch.setattr(csv_export, "EXPORT_CHUNK", 3)
    engine = export_app.extensions["crm_lite"].classic_engine
    clients["anna"].get(f"/companies/{company}/ledger")  # warm the installation cache
    with count_queries(engine) as statements:
        got = parse(clients["anna"].get(f"/companies/{company}/ledger/export.csv?state=all", headers=EN))
    assert [int(g["Voucher no."]) for g in got] == [e.VoucherNo for e in expected]
    chunks = -(-len(expected) // 3)
    # per chunk: card header, entries, totals; plus the signed-in user's rights once
    assert len(statements) <= 1 + 3 * chunks, statements


def test_a_list_over_the_maximum_is_refused_before_anything_is_sent(clients, monkeypatch):
    monkeypatch.setattr(csv_export, "MAX_EXPORT_ROWS", 2)
    r = clients["anna"].get(f"/companies/{TESTBOLAGET}/contacts/export.csv", headers=EN)
    assert r.status_code == 400
    assert "Content-Disposition" not in r.headers
    assert "too long to export" in r.get_data(as_text=True)


# --- rights ----------------------------------------------------------------------------------


def test_exports_check_the_lists_rights(clients, kit_sql):
    person = scalar(kit_sql, '''SELECT MIN(o."PersonID") FROM "tblOrder" o JOIN "tblPerson" p
        ON p."PersonID" = o."PersonID" AND p."Deleted" = 0 WHERE o."Deleted" = 0''')
    karin, erik = clients["karin"], clients["erik"]
    for url in (f"/companies/{TESTBOLAGET}/ledger/export.csv", f"/companies/{TESTBOLAGET}/orders/export.csv",
                f"/persons/{person}/orders/export.csv"):
        r = karin.get(url)
        assert r.status_code == 403, url
        assert "Content-Disposition" not in r.headers and not r.get_data().startswith(b"\xef\xbb\xbf")
    assert erik.get(f"/companies/{TESTBOLAGET}/ledger/export.csv").status_code == 403
    assert erik.get(f"/companies/{TESTBOLAGET}/orders/export.csv").status_code == 200
    for tab in ("contacts", "emails", "documents", "calls"):
        assert karin.get(f"/companies/{TESTBOLAGET}/{tab}/export.csv").status_code == 200, tab


def test_exports_of_deleted_or_unknown_cards_are_not_found_and_need_sign_in(clients, export_app, kit_sql):
    deleted = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 1')
    assert clients["admin"].get(f"/companies/{deleted}/contacts/export.csv").status_code == 404
    assert clients["admin"].get("/companies/999999/orders/export.csv").status_code == 404
    anonymous = export_app.test_client()
    r = anonymous.get(f"/companies/{TESTBOLAGET}/contacts/export.csv")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# --- the other lists -------------------------------------------------------------------------


def test_calls_emails_and_documents_exports_match_the_kit(clients, kit_sql):
    calls = rows(kit_sql, '''SELECT "CallID", "DurationSec" FROM "tblCall" WHERE "PersonID" = :p
        AND ("CompanyID" IS NULL OR "CompanyID" IN (SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0))''',
                 p=128)
    got = parse(clients["anna"].get("/persons/128/calls/export.csv", headers=EN))
    assert len(got) == len(calls)
    assert sorted(g["Duration (seconds)"] for g in got) == sorted(
        "" if c.DurationSec is None else str(c.DurationSec) for c in calls)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", g["Time"]) for g in got)

    docs = rows(kit_sql, '''SELECT "ByteSize" FROM "tblDocument" WHERE "CompanyID" = :c AND "Deleted" = 0''',
                c=TESTBOLAGET)
    got = parse(clients["anna"].get(f"/companies/{TESTBOLAGET}/documents/export.csv", headers=EN))
    assert sorted(g["Size (bytes)"] for g in got) == sorted("" if d.ByteSize is None else str(d.ByteSize)
                                                            for d in docs)

    emails = scalar(kit_sql, '''SELECT COUNT(DISTINCT e."EmailID") FROM "tblEmail" e JOIN "tblEmailLink" l
        ON l."EmailID" = e."EmailID" WHERE l."CompanyID" = :c AND e."Deleted" = 0''', c=TESTBOLAGET)
    got = parse(clients["anna"].get(f"/companies/{TESTBOLAGET}/emails/export.csv", headers=EN))
    assert len(got) == emails
    assert {g["Attachments"] for g in got} <= {"Yes", "No"}


def test_search_export_has_the_hits_of_every_group(clients, kit_sql):
    expected = {r[0].strip() for r in rows(kit_sql, '''SELECT "Name" FROM "tblCompany" WHERE "Deleted" = 0
        AND (LOWER("Name") LIKE '%bygg%' OR LOWER(COALESCE("NickName", '')) LIKE '%bygg%')''')}
    deleted = {r[0].strip() for r in rows(kit_sql, '''SELECT "Name" FROM "tblCompany" WHERE "Deleted" = 1
        AND LOWER("Name") LIKE '%bygg%' ''')} - expected
    r = clients["anna"].get("/search/export.csv?q=bygg", headers=EN)
    got = parse(r)
    companies = {g["Name"] for g in got if g["Group"] in ("Companies", "Suppliers", "Private customers")}
    assert companies == {excel_text(n) for n in expected}
    assert not companies & deleted
    assert "search-bygg-2025-06-16.csv" in r.headers["Content-Disposition"]
    assert parse(clients["anna"].get("/search/export.csv?q=b", headers=EN)) == []  # too short: header only


# --- formula injection on a copy of the kit --------------------------------------------------


@pytest.fixture
def poisoned(kit, tmp_path):
    """A copy of the kit's database where texts of Testbolaget's contact 128 start like formulas."""
    src = kit.load_url.removeprefix("sqlite:///")
    dst = tmp_path / "classic.db"
    shutil.copyfile(src, dst)
    url = f"sqlite:///{dst}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text('''UPDATE "tblPerson" SET "FirstName" = :f, "LastName" = :l, "JobTitle" = :j,
            "Email" = :e WHERE "PersonID" = 128'''),
                     {"f": '=HYPERLINK("http://x")', "l": "@SUM(1)", "j": "+1", "e": "\tcmd@x.example"})
        conn.execute(sa.text('''UPDATE "tblCompanyPerson" SET "Role" = '-2' WHERE "PersonID" = 128
            AND "CompanyID" = :c'''), {"c": TESTBOLAGET})
        conn.execute(sa.text('''UPDATE "tblLedgerEntry" SET "Description" = '=1+1' WHERE "EntryID" =
            (SELECT MIN("EntryID") FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Amount" < 0)'''),
                     {"c": TESTBOLAGET})
    db = KitDatabase("sqlite", url, url, kit.file_store, kit.register_csv)
    app = make_app(db, tmp_path)
    client = app.test_client()
    assert sign_in(client, "admin").status_code == 302
    yield client, engine
    app.extensions["crm_lite"].close()
    engine.dispose()


def test_formula_like_texts_are_neutralised_but_numbers_are_not(poisoned):
    client, engine = poisoned
    got = parse(client.get(f"/companies/{TESTBOLAGET}/contacts/export.csv", headers=EN))
    row = next(g for g in got if "HYPERLINK" in g["First name"])
    assert row["First name"] == "'=HYPERLINK(\"http://x\")"
    assert row["Last name"] == "'@SUM(1)"
    assert row["Job title"] == "'+1"
    assert row["Role"] == "'-2"
    assert row["E-mail"] == "'\tcmd@x.example"

    ledger = parse(client.get(f"/companies/{TESTBOLAGET}/ledger/export.csv?state=all", headers=EN))
    poisoned_row = next(g for g in ledger if "1+1" in g["Text"])
    assert poisoned_row["Text"] == "'=1+1"
    amount = scalar(engine, '''SELECT "Amount" FROM "tblLedgerEntry" WHERE "Description" = '=1+1' ''')
    assert amount < 0 and money(poisoned_row["Amount in SEK"]) == Decimal(str(amount)).quantize(Decimal("0.01"))
    assert poisoned_row["Amount in SEK"].startswith("-")

    hits = parse(client.get("/search/export.csv?q=hyperlink", headers=EN))
    assert any(h["Name"].startswith("'=HYPERLINK") for h in hits)
    assert not any(h["Name"].startswith("=") for h in hits)


# --- links on the pages ----------------------------------------------------------------------


def test_list_pages_link_to_their_export_with_the_same_filters(clients, kit_sql):
    page = clients["anna"].get(
        f"/companies/{TESTBOLAGET}/orders?status=2&sort=amount&dir=asc&page=1&per_page=10&partial=1",
        headers=EN).get_data(as_text=True)
    m = re.search(r'<p class="export-link"><a href="([^"]+)"', page)
    assert m, "no export link"
    href = html.unescape(m.group(1))
    assert href.startswith(f"/companies/{TESTBOLAGET}/orders/export.csv?")
    assert "status=2" in href and "sort=amount" in href and "dir=asc" in href
    assert "page=" not in href and "partial" not in href
    expected = rows(kit_sql, '''SELECT "OrderNo" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0
        AND "Status" = 2 ORDER BY "TotalAmount" * "ExchangeRate", "OrderID"''', c=TESTBOLAGET)
    got = parse(clients["anna"].get(href, headers=EN))
    assert [int(g["Order no."]) for g in got] == [r.OrderNo for r in expected]
    assert "Export to CSV" in page

    for tab in ("contacts", "emails", "documents", "calls", "ledger"):
        body = clients["anna"].get(f"/companies/{TESTBOLAGET}/{tab}?state=all" if tab == "ledger"
                                   else f"/companies/{TESTBOLAGET}/{tab}", headers=EN).get_data(as_text=True)
        assert f'href="/companies/{TESTBOLAGET}/{tab}/export.csv' in body, tab
        assert re.search(r'<a href="[^"]*export\.csv[^"]*"[^>]*data-partial', body) is None

    # A query value named like the path's argument neither breaks the page nor changes the export.
    r = clients["anna"].get(f"/companies/{TESTBOLAGET}/contacts?company_id=1", headers=EN)
    assert r.status_code == 200
    assert f'href="/companies/{TESTBOLAGET}/contacts/export.csv"' in r.get_data(as_text=True)


def test_export_timing_and_queries_are_reported(clients, export_app, capsys):
    engine = export_app.extensions["crm_lite"].classic_engine
    report = []
    # the signed-in user's rights, the card header, the list (the ledger: and its totals); the search
    # makes the search area's own reads (candidates per source, context)
    limits = {f"/companies/{TESTBOLAGET}/contacts/export.csv": 3, f"/companies/{TESTBOLAGET}/orders/export.csv": 3,
              f"/companies/{TESTBOLAGET}/ledger/export.csv?state=all": 4, "/search/export.csv?q=ab": 8}
    for path, limit in limits.items():
        clients["admin"].get(path)
        start = time.perf_counter()
        with count_queries(engine) as statements:
            r = clients["admin"].get(path)
            r.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        assert r.status_code == 200
        assert len(statements) <= limit, (path, statements)
        report.append(f"{path}: {len(statements)} queries, {elapsed:.0f} ms")
    with capsys.disabled():
        print("\n" + "\n".join(report))


# --- keyboard shortcuts page -----------------------------------------------------------------


def test_shortcuts_page_lists_the_keys_without_javascript(clients):
    body = clients["karin"].get("/shortcuts", headers=EN).get_data(as_text=True)
    for key in ("/", "?", "g", "d", "r", "Esc", "Enter"):
        assert f"<kbd>{key}</kbd>" in body, key
    assert "Go to the dashboard" in body and "Go to recently viewed" in body
    assert "<script>" not in body and "style=" not in body


def test_the_shortcuts_partial_has_the_dialog_and_the_footer_link(export_app):
    from flask import g, render_template

    from facade.model import User

    with export_app.test_request_context("/", headers=EN):
        g.user = None
        assert render_template("_shortcuts.html", current_user=None).strip() == ""
        user = User(1, "admin", "Administratör", rights=frozenset({"ADMIN"}))
        out = render_template("_shortcuts.html", current_user=user)
    assert 'href="/shortcuts" data-shortcuts-open' in out
    assert re.search(r'<dialog id="shortcuts-dialog"[^>]*aria-labelledby="shortcuts-title"', out)
    assert 'data-dashboard-url="/"' in out and 'data-recent-url="/recent"' in out
    assert 'src="/static/shortcuts.js"' in out


@pytest.mark.engines
def test_orders_and_ledger_exports_are_the_same_on_every_engine(kit_any, kit, tmp_path):
    files = {}
    for db in {kit_any.engine_name: kit_any, "sqlite": kit}.values():
        (tmp_path / db.engine_name).mkdir()
        app = make_app(db, tmp_path / db.engine_name)
        try:
            c = app.test_client()
            assert sign_in(c, "lars").status_code == 302
            files[db.engine_name] = [
                c.get(f"/companies/{TESTBOLAGET}/orders/export.csv?sort=amount").get_data(),
                c.get(f"/companies/{TESTBOLAGET}/ledger/export.csv?state=all").get_data(),
            ]
        finally:
            app.extensions["crm_lite"].close()
    assert files[kit_any.engine_name] == files["sqlite"]


def test_export_url_of_the_search_page_keeps_the_query_and_kind(export_app):
    from flask import render_template_string

    with export_app.test_request_context("/search?q=bygg+ab&kind=company&page=2"):
        assert html.unescape(render_template_string("{{ export_url() }}")) == "/search/export.csv?q=bygg+ab&kind=company"
    with export_app.test_request_context("/recent"):
        assert render_template_string("{{ export_url() }}") == "None"
