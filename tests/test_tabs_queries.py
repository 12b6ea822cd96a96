"""The card tabs' queries against the kit, checked with independent SQL: rows, counts, order, sums,
overdue days. Orders and ledger run on SQLite, PostgreSQL and MariaDB (expected values from SQL on
the SQLite kit: the three databases hold the same rows)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from adapters.files import LocalFileStore
from adapters.sql.calls import SqlCallQueries
from adapters.sql.contacts import SqlContactQueries
from adapters.sql.documents import SqlDocumentQueries
from adapters.sql.emails import SqlEmailQueries
from adapters.sql.engine import make_engine
from adapters.sql.ledger import SqlLedgerQueries
from adapters.sql.orders import SqlOrderQueries
from facade.calls import CALL_SORTS, CallFilter
from facade.contacts import CONTACT_SORTS
from facade.documents import DOCUMENT_SORTS
from facade.emails import EMAIL_SORTS
from facade.ledger import LEDGER_SORTS
from facade.orders import ORDER_SORTS, OrderSearch
from facade.paging import PageRequest
from facade.tabs import COMPANY, PERSON, CardOwner

from .kit import TODAY

TESTBOLAGET = 77        # "Testbolaget Aktiebolag": rows in every table
BOTH_LEDGERS = 94       # customer and supplier, open and overdue items in both ledgers
EUR_CUSTOMER = 80       # invoices in EUR with day rates
CENT = Decimal("0.01")


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def walk(list_page, per_page: int, sort: str, descending: bool) -> list:
    """Every item of a list, page by page."""
    out, page_no = [], 1
    while True:
        page = list_page(PageRequest(page_no, per_page, sort, descending))
        out.extend(page.items)
        if not page.has_next:
            return out
        page_no += 1


@pytest.fixture(scope="module")
def engine(kit):
    e = make_engine(kit.app_url)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def engine_any(kit_any):
    e = make_engine(kit_any.app_url)
    yield e
    e.dispose()


# --- contacts -------------------------------------------------------------------------------

CONTACTS_SQL = '''
SELECT p."PersonID", cp."Role", cp."IsMain", p."Phone", p."Mobile", p."Email"
FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0
ORDER BY cp."IsMain" DESC, CASE WHEN TRIM(COALESCE(p."LastName", '')) = '' THEN 1 ELSE 0 END,
         LOWER(TRIM(p."LastName")), LOWER(TRIM(p."FirstName")), p."PersonID"
'''


def test_contacts_are_live_persons_on_live_links_main_contact_first(engine, kit_sql):
    messy = [r[0] for r in rows(kit_sql, '''
        SELECT cp."CompanyID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        GROUP BY cp."CompanyID" HAVING SUM(cp."Deleted") > 0 OR SUM(p."Deleted") > 0''')]
    assert len(messy) >= 3, "the kit has soft-deleted links and persons"
    q = SqlContactQueries(engine)
    for company_id in [TESTBOLAGET, *messy[:6]]:
        expected = rows(kit_sql, CONTACTS_SQL, c=company_id)
        page = q.list_contacts(company_id, PageRequest(1, 200, "main", True))
        assert page.total == len(expected)
        assert [r.person_id for r in page.items] == [e.PersonID for e in expected]
        for got, want in zip(page.items, expected):
            assert (got.role, got.is_main, got.phone, got.mobile, got.email) == (
                want.Role, want.IsMain == 1, want.Phone, want.Mobile, want.Email)
    removed = rows(kit_sql, '''SELECT cp."CompanyID", cp."PersonID" FROM "tblCompanyPerson" cp
                               WHERE cp."Deleted" = 1''')
    for company_id, person_id in removed:
        ids = [r.person_id for r in q.list_contacts(company_id, PageRequest(1, 200, "name", False)).items]
        assert person_id not in ids


def test_contacts_sorted_by_name_follow_last_then_first_name(engine, kit_sql):
    expected = [r[0] for r in rows(kit_sql, '''
        SELECT p."PersonID" FROM "tblCompanyPerson" cp JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
        WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0
        ORDER BY CASE WHEN TRIM(COALESCE(p."LastName", '')) = '' THEN 1 ELSE 0 END,
                 LOWER(TRIM(p."LastName")) DESC, LOWER(TRIM(p."FirstName")) DESC, p."PersonID"''', c=TESTBOLAGET)]
    page = SqlContactQueries(engine).list_contacts(TESTBOLAGET, PageRequest(1, 50, "name", True))
    assert [r.person_id for r in page.items] == expected


def test_card_header_names_the_ledgers_a_company_has(engine, kit_sql):
    q = SqlContactQueries(engine)
    for company_id, name, is_c, is_s in rows(kit_sql, '''
            SELECT "CompanyID", "Name", "IsCustomer", "IsSupplier" FROM "tblCompany" WHERE "Deleted" = 0'''):
        codes = {r[0] for r in rows(kit_sql, 'SELECT DISTINCT "Ledger" FROM "tblLedgerEntry" WHERE "CompanyID" = :c',
                                    c=company_id)}
        expected = set()
        if is_c == 1 or "C" in codes:
            expected.add("C")
        if is_s == 1 or "S" in codes:
            expected.add("S")
        header = q.card_header(CardOwner(COMPANY, company_id))
        assert header is not None and header.ledgers == expected
        assert header.name == " ".join(name.split())
    deleted = [r[0] for r in rows(kit_sql, 'SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 1')]
    assert deleted and all(q.card_header(CardOwner(COMPANY, c)) is None for c in deleted)
    gone = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 1')
    assert q.card_header(CardOwner(PERSON, gone)) is None


# --- e-mail ---------------------------------------------------------------------------------

COMPANY_EMAILS_SQL = '''
SELECT e."EmailID" FROM "tblEmail" e
WHERE e."Deleted" = 0 AND e."EmailID" IN (SELECT l."EmailID" FROM "tblEmailLink" l WHERE l."CompanyID" = :c)
ORDER BY CASE WHEN e."SentAt" IS NULL THEN 1 ELSE 0 END, e."SentAt" DESC, e."EmailID"
'''
PERSON_EMAILS_SQL = '''
SELECT e."EmailID" FROM "tblEmail" e
WHERE e."Deleted" = 0 AND e."EmailID" IN (
    SELECT l."EmailID" FROM "tblEmailLink" l LEFT JOIN "tblCompany" c ON c."CompanyID" = l."CompanyID"
    WHERE l."PersonID" = :p AND (l."CompanyID" IS NULL OR c."Deleted" = 0))
ORDER BY CASE WHEN e."SentAt" IS NULL THEN 1 ELSE 0 END, e."SentAt" DESC, e."EmailID"
'''


def test_company_emails_are_live_linked_mails_each_once_newest_first(engine, kit_sql):
    with_deleted = [r[0] for r in rows(kit_sql, '''
        SELECT l."CompanyID" FROM "tblEmailLink" l JOIN "tblEmail" e ON e."EmailID" = l."EmailID"
        WHERE e."Deleted" = 1 AND l."CompanyID" IS NOT NULL GROUP BY l."CompanyID"''')]
    twice = [r[0] for r in rows(kit_sql, '''
        SELECT "CompanyID" FROM "tblEmailLink" WHERE "CompanyID" IS NOT NULL
        GROUP BY "EmailID", "CompanyID" HAVING COUNT(*) > 1''')]
    assert with_deleted and twice
    q = SqlEmailQueries(engine)
    for company_id in {TESTBOLAGET, *with_deleted[:5], *twice[:3]}:
        expected = [r[0] for r in rows(kit_sql, COMPANY_EMAILS_SQL, c=company_id)]
        page = q.list_emails(CardOwner(COMPANY, company_id), PageRequest(1, 200, "date", True))
        assert [m.email_id for m in page.items] == expected
        assert page.total == len(expected) == len(set(expected))


def test_person_emails_hide_links_of_deleted_companies(engine, kit_sql):
    persons = [r[0] for r in rows(kit_sql, '''SELECT DISTINCT "PersonID" FROM "tblEmailLink"
                                              WHERE "PersonID" IS NOT NULL ORDER BY 1''')]
    q = SqlEmailQueries(engine)
    for person_id in persons[:40]:
        expected = [r[0] for r in rows(kit_sql, PERSON_EMAILS_SQL, p=person_id)]
        page = q.list_emails(CardOwner(PERSON, person_id), PageRequest(1, 200, "date", True))
        assert [m.email_id for m in page.items] == expected


def test_an_email_deleted_in_the_email_module_cannot_be_read(engine, kit_sql):
    email_id, company_id = rows(kit_sql, '''SELECT e."EmailID", l."CompanyID" FROM "tblEmail" e
        JOIN "tblEmailLink" l ON l."EmailID" = e."EmailID" WHERE e."Deleted" = 1 AND l."CompanyID" IS NOT NULL''')[0]
    q = SqlEmailQueries(engine)
    assert q.get_email(email_id, CardOwner(COMPANY, company_id)) is None
    assert q.get_email(email_id, None) is None


def test_email_detail_keeps_the_body_as_stored(engine, kit_sql):
    email_id, company_id, body = rows(kit_sql, '''SELECT e."EmailID", l."CompanyID", e."BodyText" FROM "tblEmail" e
        JOIN "tblEmailLink" l ON l."EmailID" = e."EmailID"
        WHERE e."Deleted" = 0 AND e."BodyText" LIKE '%<script>%' AND l."CompanyID" IS NOT NULL''')[0]
    got = SqlEmailQueries(engine).get_email(email_id, CardOwner(COMPANY, company_id))
    assert got is not None and got.body_text == body
    other = scalar(kit_sql, '''SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0 AND "CompanyID" NOT IN
        (SELECT "CompanyID" FROM "tblEmailLink" WHERE "EmailID" = :e AND "CompanyID" IS NOT NULL)''', e=email_id)
    assert SqlEmailQueries(engine).get_email(email_id, CardOwner(COMPANY, other)) is None


# --- documents ------------------------------------------------------------------------------


def test_documents_and_folder_counts_are_the_live_files_of_the_owner(engine, kit, kit_sql):
    q = SqlDocumentQueries(engine, LocalFileStore(str(kit.file_store)))
    companies = [r[0] for r in rows(kit_sql, 'SELECT DISTINCT "CompanyID" FROM "tblDocument" ORDER BY 1')]
    deleted_docs = rows(kit_sql, 'SELECT "DocumentID", "CompanyID" FROM "tblDocument" WHERE "Deleted" = 1')
    assert deleted_docs
    for company_id in {TESTBOLAGET, *companies[:15], *(c for _d, c in deleted_docs)}:
        expected = rows(kit_sql, '''SELECT "DocumentID", "FolderPath", "ByteSize" FROM "tblDocument"
            WHERE "CompanyID" = :c AND "Deleted" = 0 ORDER BY "UploadedAt" DESC, "DocumentID"''', c=company_id)
        owner = CardOwner(COMPANY, company_id)
        page = q.list_documents(owner, None, PageRequest(1, 200, "uploaded", True))
        assert [(d.document_id, d.folder, d.byte_size) for d in page.items] == [tuple(e) for e in expected]
        counts = dict(rows(kit_sql, '''SELECT "FolderPath", COUNT(*) FROM "tblDocument"
            WHERE "CompanyID" = :c AND "Deleted" = 0 GROUP BY "FolderPath"''', c=company_id))
        assert dict(q.folder_counts(owner)) == counts
    for doc_id, company_id in deleted_docs:
        assert doc_id not in [d.document_id for d in
                              q.list_documents(CardOwner(COMPANY, company_id), None, PageRequest(1, 200, "name", False)).items]
        assert q.document_for_download(doc_id) is None


def test_documents_filtered_to_stored_folders(engine, kit, kit_sql):
    q = SqlDocumentQueries(engine, LocalFileStore(str(kit.file_store)))
    owner = CardOwner(COMPANY, TESTBOLAGET)
    folder = rows(kit_sql, '''SELECT "FolderPath" FROM "tblDocument" WHERE "CompanyID" = :c AND "Deleted" = 0
                              AND "FolderPath" <> '/' ''', c=TESTBOLAGET)[0][0]
    expected = [r[0] for r in rows(kit_sql, '''SELECT "DocumentID" FROM "tblDocument" WHERE "CompanyID" = :c
        AND "Deleted" = 0 AND "FolderPath" = :f ORDER BY LOWER(TRIM("FileName")), "DocumentID"''', c=TESTBOLAGET, f=folder)]
    page = q.list_documents(owner, [folder], PageRequest(1, 50, "name", False))
    assert [d.document_id for d in page.items] == expected and expected


def test_person_documents_hide_those_of_deleted_companies(engine, kit, kit_sql):
    q = SqlDocumentQueries(engine, LocalFileStore(str(kit.file_store)))
    for (person_id,) in rows(kit_sql, 'SELECT DISTINCT "PersonID" FROM "tblDocument" WHERE "PersonID" IS NOT NULL'):
        expected = [r[0] for r in rows(kit_sql, '''SELECT d."DocumentID" FROM "tblDocument" d
            LEFT JOIN "tblCompany" c ON c."CompanyID" = d."CompanyID"
            WHERE d."PersonID" = :p AND d."Deleted" = 0 AND (d."CompanyID" IS NULL OR c."Deleted" = 0)
            ORDER BY d."UploadedAt" DESC, d."DocumentID"''', p=person_id)]
        page = q.list_documents(CardOwner(PERSON, person_id), None, PageRequest(1, 200, "uploaded", True))
        assert [d.document_id for d in page.items] == expected


# --- calls ----------------------------------------------------------------------------------

COMPANY_CALLS_SQL = '''
SELECT k."CallID", k."Direction", k."DurationSec", k."Answered" FROM "tblCall" k
WHERE (k."CompanyID" = :c
       OR (k."PersonID" IN (SELECT cp."PersonID" FROM "tblCompanyPerson" cp
                            JOIN "tblPerson" p ON p."PersonID" = cp."PersonID"
                            WHERE cp."CompanyID" = :c AND cp."Deleted" = 0 AND p."Deleted" = 0)
           AND (k."CompanyID" IS NULL OR k."CompanyID" IN (SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0))))
  {extra}
ORDER BY k."StartedAt" DESC, k."CallID"
'''


def test_company_calls_include_the_calls_of_its_contacts(engine, kit_sql):
    q = SqlCallQueries(engine)
    own = scalar(kit_sql, 'SELECT COUNT(*) FROM "tblCall" WHERE "CompanyID" = :c', c=TESTBOLAGET)
    expected = rows(kit_sql, COMPANY_CALLS_SQL.format(extra=""), c=TESTBOLAGET)
    assert len(expected) > own, "a contact of Testbolaget called under another company"
    companies = [r[0] for r in rows(kit_sql, 'SELECT DISTINCT "CompanyID" FROM "tblCall" WHERE "CompanyID" IS NOT NULL')]
    for company_id in {TESTBOLAGET, *companies[:25]}:
        expected = rows(kit_sql, COMPANY_CALLS_SQL.format(extra=""), c=company_id)
        page = q.list_calls(CardOwner(COMPANY, company_id), CallFilter(), PageRequest(1, 200, "time", True))
        assert [(c.call_id, c.direction, c.duration_sec, c.answered) for c in page.items] == [
            (e.CallID, e.Direction, e.DurationSec, e.Answered == 1) for e in expected]


def test_calls_filter_by_direction_and_period_of_local_days(engine, kit_sql):
    q = SqlCallQueries(engine)
    company_id = scalar(kit_sql, '''SELECT "CompanyID" FROM "tblCall" WHERE "CompanyID" IS NOT NULL
                                    GROUP BY "CompanyID" ORDER BY COUNT(*) DESC, "CompanyID" LIMIT 1''')
    first, last = date(2025, 1, 1), date(2025, 4, 30)
    extra = '''AND k."Direction" = 'I' AND k."StartedAt" >= '2025-01-01 00:00:00' AND k."StartedAt" < '2025-05-01 00:00:00' '''
    expected = [r.CallID for r in rows(kit_sql, COMPANY_CALLS_SQL.format(extra=extra), c=company_id)]
    page = q.list_calls(CardOwner(COMPANY, company_id), CallFilter("I", first, last), PageRequest(1, 200, "time", True))
    assert [c.call_id for c in page.items] == expected
    every = rows(kit_sql, COMPANY_CALLS_SQL.format(extra=""), c=company_id)
    assert 0 < len(expected) < len(every)


def test_missed_calls_are_listed_as_not_answered(engine, kit_sql):
    missed = rows(kit_sql, '''SELECT "CallID", "CompanyID" FROM "tblCall" WHERE "Answered" = 0 AND "CompanyID" IS NOT NULL''')
    assert missed
    q = SqlCallQueries(engine)
    for call_id, company_id in missed[:5]:
        page = q.list_calls(CardOwner(COMPANY, company_id), CallFilter(), PageRequest(1, 200, "time", True))
        assert [c.answered for c in page.items if c.call_id == call_id] == [False]


# --- orders (every engine) ------------------------------------------------------------------

ORDERS_SQL = '''
SELECT o."OrderID", o."TotalAmount", o."ExchangeRate", o."NetAmount" FROM "tblOrder" o
JOIN "tblCompany" c ON c."CompanyID" = o."CompanyID"
WHERE o."CompanyID" = :c AND o."Deleted" = 0 AND c."Deleted" = 0 {extra}
ORDER BY COALESCE(o."InvoiceDate", o."OrderDate") DESC, o."OrderNo" DESC, o."OrderID"
'''


@pytest.mark.engines
def test_orders_rows_order_and_sek_amounts(engine_any, kit_sql):
    q = SqlOrderQueries(engine_any)
    with_deleted = [r[0] for r in rows(kit_sql, 'SELECT DISTINCT "CompanyID" FROM "tblOrder" WHERE "Deleted" = 1')]
    assert with_deleted
    for company_id in {TESTBOLAGET, EUR_CUSTOMER, *with_deleted}:
        expected = rows(kit_sql, ORDERS_SQL.format(extra=""), c=company_id)
        page = q.list_orders(CardOwner(COMPANY, company_id), OrderSearch(), PageRequest(1, 200, "date", True))
        assert [o.order_id for o in page.items] == [e.OrderID for e in expected]
        assert page.total == len(expected)
        want_sek = sum((money(Decimal(str(e.TotalAmount)) * Decimal(str(e.ExchangeRate))) for e in expected), Decimal(0))
        got_sek = sum((o.total_sek for o in page.items), Decimal(0))
        assert got_sek == want_sek
        for got, want in zip(page.items, expected):
            assert abs(got.total_amount - Decimal(str(want.TotalAmount))) < Decimal("0.005")
            assert abs(got.net_amount - Decimal(str(want.NetAmount))) < Decimal("0.005")


@pytest.mark.engines
def test_orders_search_by_number_reference_status_type_and_period(engine_any, kit_sql):
    q = SqlOrderQueries(engine_any)
    owner = CardOwner(COMPANY, EUR_CUSTOMER)

    def ids(search):
        return [o.order_id for o in q.list_orders(owner, search, PageRequest(1, 200, "date", True)).items]

    invoice_no = scalar(kit_sql, 'SELECT MIN("InvoiceNo") FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0',
                        c=EUR_CUSTOMER)
    assert ids(OrderSearch(text=str(invoice_no))) == [r[0] for r in rows(
        kit_sql, ORDERS_SQL.format(extra='AND (o."InvoiceNo" = :n OR o."OrderNo" = :n)'), c=EUR_CUSTOMER, n=invoice_no)]
    ref = rows(kit_sql, '''SELECT "YourRef" FROM "tblOrder" WHERE "CompanyID" = :c AND "Deleted" = 0
                           AND "YourRef" IS NOT NULL AND "YourRef" <> '' ''', c=EUR_CUSTOMER)[0][0]
    part = ref.split()[0].upper()  # case must not matter
    assert ids(OrderSearch(text=part)) == [r[0] for r in rows(
        kit_sql, ORDERS_SQL.format(extra='AND (UPPER(o."YourRef") LIKE :p OR UPPER(o."OurRef") LIKE :p)'),
        c=EUR_CUSTOMER, p=f"%{part}%")] != []
    assert ids(OrderSearch(status=3)) == [r[0] for r in rows(
        kit_sql, ORDERS_SQL.format(extra='AND o."Status" = 3'), c=EUR_CUSTOMER)]
    assert ids(OrderSearch(doc_type="C")) == [r[0] for r in rows(
        kit_sql, ORDERS_SQL.format(extra='AND o."DocType" = \'C\''), c=EUR_CUSTOMER)]
    period = ids(OrderSearch(first=date(2024, 7, 1), last=date(2024, 12, 31)))
    assert period == [r[0] for r in rows(kit_sql, ORDERS_SQL.format(
        extra='AND COALESCE(o."InvoiceDate", o."OrderDate") BETWEEN \'2024-07-01\' AND \'2024-12-31\''), c=EUR_CUSTOMER)]
    assert period
    assert ids(OrderSearch(text="no such reference 100%_")) == []


@pytest.mark.engines
def test_order_detail_lines_and_vat_per_rate(engine_any, kit_sql):
    from facade.orders import vat_breakdown

    order_id = scalar(kit_sql, '''SELECT MIN(o."OrderID") FROM "tblOrder" o WHERE o."CompanyID" = :c AND o."Deleted" = 0
        AND (SELECT COUNT(DISTINCT "VatPct") FROM "tblOrderLine" l WHERE l."OrderID" = o."OrderID") > 1''', c=TESTBOLAGET)
    found = SqlOrderQueries(engine_any).get_order(order_id, CardOwner(COMPANY, TESTBOLAGET))
    assert found is not None
    order, lines = found
    expected = rows(kit_sql, '''SELECT "LineNum", "LineNet", "VatPct" FROM "tblOrderLine" WHERE "OrderID" = :o
                                ORDER BY "LineNum", "LineID"''', o=order_id)
    assert [x.line_num for x in lines] == [e.LineNum for e in expected]
    assert sum(x.line_net for x in lines) == money(order.net_amount)
    by_rate = rows(kit_sql, '''SELECT "VatPct", SUM("LineNet") FROM "tblOrderLine" WHERE "OrderID" = :o
                               GROUP BY "VatPct" ORDER BY "VatPct" DESC''', o=order_id)
    vat = vat_breakdown(lines)
    assert [(v.vat_pct, v.net) for v in vat] == [(money(r[0]), money(r[1])) for r in by_rate]
    assert sum(v.vat for v in vat) == money(order.vat_amount)
    other = scalar(kit_sql, 'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "CompanyID" <> :c AND "Deleted" = 0',
                   c=TESTBOLAGET)
    assert SqlOrderQueries(engine_any).get_order(order_id, CardOwner(COMPANY, other)) is None
    deleted = scalar(kit_sql, 'SELECT MIN("OrderID") FROM "tblOrder" WHERE "Deleted" = 1')
    assert SqlOrderQueries(engine_any).get_order(deleted, None) is None


# --- ledger (every engine) ------------------------------------------------------------------

LEDGER_SQL = '''
SELECT "EntryID", "Amount", "OpenAmount", "AmountCur", "Closed", "DueDate",
       CAST(julianday(:today) - julianday("DueDate") AS INTEGER) AS days
FROM "tblLedgerEntry" WHERE "CompanyID" = :c AND "Ledger" = :l {extra}
ORDER BY "VoucherDate" DESC, "VoucherNo" DESC, "EntryID"
'''


@pytest.mark.engines
@pytest.mark.parametrize("ledger", ["C", "S"])
@pytest.mark.parametrize("state,extra", [("open", 'AND "Closed" = \'N\''), ("closed", 'AND "Closed" = \'Y\''), ("all", "")])
def test_ledger_rows_in_voucher_order_with_open_amounts(engine_any, kit_sql, ledger, state, extra):
    q = SqlLedgerQueries(engine_any)
    expected = rows(kit_sql, LEDGER_SQL.format(extra=extra), c=BOTH_LEDGERS, l=ledger, today=TODAY.isoformat())
    page = q.list_entries(BOTH_LEDGERS, ledger, state, PageRequest(1, 200, "voucher_date", True))
    assert [e.entry_id for e in page.items] == [r.EntryID for r in expected]
    assert page.total == len(expected)
    for got, want in zip(page.items, expected):
        assert abs(got.amount - Decimal(str(want.Amount))) < Decimal("0.005")
        assert abs(got.open_amount - Decimal(str(want.OpenAmount))) < Decimal("0.005")


@pytest.mark.engines
def test_ledger_totals_and_overdue_days_relative_to_the_installations_today(engine_any, kit_sql):
    from facade.ledger import _row

    q = SqlLedgerQueries(engine_any)
    companies = [r[0] for r in rows(kit_sql, '''SELECT DISTINCT "CompanyID" FROM "tblLedgerEntry"
                                                WHERE "Closed" = 'N' ORDER BY 1''')]
    for company_id in companies:
        for ledger in ("C", "S"):
            open_rows = rows(kit_sql, '''SELECT "OpenAmount", "DueDate" FROM "tblLedgerEntry"
                WHERE "CompanyID" = :c AND "Ledger" = :l AND "Closed" = 'N' ''', c=company_id, l=ledger)
            overdue = [r for r in open_rows if r.DueDate is not None and r.DueDate < TODAY.isoformat()]
            totals = q.totals(company_id, ledger, TODAY)
            assert totals.open_count == len(open_rows)
            assert totals.overdue_count == len(overdue)
            assert totals.open_amount == money(sum(Decimal(str(r.OpenAmount)) for r in open_rows))
            assert totals.overdue_amount == money(sum(Decimal(str(r.OpenAmount)) for r in overdue))
    expected = rows(kit_sql, LEDGER_SQL.format(extra=""), c=BOTH_LEDGERS, l="C", today=TODAY.isoformat())
    raw = q.list_entries(BOTH_LEDGERS, "C", "all", PageRequest(1, 200, "voucher_date", True))
    days = [_row(r, TODAY).days_overdue for r in raw.items]
    want = [e.days if (e.Closed == "N" and e.DueDate and e.DueDate < TODAY.isoformat()) else None for e in expected]
    assert days == want and any(d for d in want)


# --- paging: stable total order -------------------------------------------------------------


def _check_walk(list_page, options, key_of, per_page=2):
    full = None
    for option in options:
        for descending in (False, True):
            everything = list_page(PageRequest(1, 500, option.key, descending)).items
            walked = walk(list_page, per_page, option.key, descending)
            ids = [key_of(x) for x in walked]
            assert len(ids) == len(set(ids)), f"a row repeats when sorting by {option.key}"
            assert ids == [key_of(x) for x in everything], f"pages disagree with the whole list ({option.key})"
            full = set(ids) if full is None else full
            assert set(ids) == full, f"rows go missing when sorting by {option.key}"
    return full


@pytest.mark.engines
def test_every_tab_pages_in_a_total_order(engine_any, kit_any, kit_sql):
    engine, kit = engine_any, kit_any
    contacts = SqlContactQueries(engine)
    assert len(_check_walk(lambda r: contacts.list_contacts(TESTBOLAGET, r), CONTACT_SORTS, lambda x: x.person_id)) == 6
    emails = SqlEmailQueries(engine)
    n = _check_walk(lambda r: emails.list_emails(CardOwner(COMPANY, TESTBOLAGET), r), EMAIL_SORTS, lambda x: x.email_id)
    assert len(n) == len(rows(kit_sql, COMPANY_EMAILS_SQL, c=TESTBOLAGET))
    docs = SqlDocumentQueries(engine, LocalFileStore(str(kit.file_store)))
    busiest = scalar(kit_sql, '''SELECT "CompanyID" FROM "tblDocument" WHERE "Deleted" = 0 GROUP BY "CompanyID"
                                 ORDER BY COUNT(*) DESC, "CompanyID" LIMIT 1''')
    _check_walk(lambda r: docs.list_documents(CardOwner(COMPANY, busiest), None, r), DOCUMENT_SORTS,
                lambda x: x.document_id, per_page=1)
    calls = SqlCallQueries(engine)
    n = _check_walk(lambda r: calls.list_calls(CardOwner(COMPANY, TESTBOLAGET), CallFilter(), r), CALL_SORTS,
                    lambda x: x.call_id)
    assert len(n) == len(rows(kit_sql, COMPANY_CALLS_SQL.format(extra=""), c=TESTBOLAGET))
    orders = SqlOrderQueries(engine)
    _check_walk(lambda r: orders.list_orders(CardOwner(COMPANY, EUR_CUSTOMER), OrderSearch(), r), ORDER_SORTS,
                lambda x: x.order_id)
    ledger = SqlLedgerQueries(engine)
    busiest = scalar(kit_sql, '''SELECT "CompanyID" FROM "tblLedgerEntry" WHERE "Ledger" = 'S' GROUP BY "CompanyID"
                                 ORDER BY COUNT(*) DESC, "CompanyID" LIMIT 1''')
    n = _check_walk(lambda r: ledger.list_entries(busiest, "S", "all", r), LEDGER_SORTS, lambda x: x.entry_id, 3)
    assert len(n) == scalar(kit_sql, '''SELECT COUNT(*) FROM "tblLedgerEntry" WHERE "CompanyID" = :c
                                        AND "Ledger" = 'S' ''', c=busiest)


def test_a_page_past_the_end_shows_the_last_page(engine, kit_sql):
    emails = SqlEmailQueries(engine)
    total = len(rows(kit_sql, COMPANY_EMAILS_SQL, c=TESTBOLAGET))
    page = emails.list_emails(CardOwner(COMPANY, TESTBOLAGET), PageRequest(99, 4, "date", True))
    assert page.total == total and page.page == -(-total // 4) and len(page.items) == total - 4 * (page.page - 1)
