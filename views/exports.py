"""CSV exports of the lists: the card tabs (contacts, e-mail, documents, calls, orders and invoices,
customer/supplier ledger) and the global search results, for Excel with Swedish settings.

Each export URL is its list's URL plus ``/export.csv`` (search: ``/search/export.csv``) and takes
the same query string (filters, ``sort``, ``dir``); it calls the same use case as the page, so the
rights, filters, sort order and soft deletes are the page's, over every page of the list (at most
``facade.csv_export.MAX_EXPORT_ROWS`` rows). The file is streamed. The writing itself (BOM, ``;``,
decimal comma, formula neutralisation) is ``facade.csv_export``. ``export_url()`` (a template
global) gives the current list page's export link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from werkzeug.routing import BuildError

from facade import calls as calls_uc
from facade import contacts as contacts_uc
from facade import documents as documents_uc
from facade import emails as emails_uc
from facade import ledger as ledger_uc
from facade import orders as orders_uc
from facade import search as search_uc
from facade.csv_export import Column, all_rows, export_day, export_file_name, first_request, to_excel_csv
from facade.documents import ascii_file_name
from facade.paging import PageRequest, parse_page_request
from facade.tabs import COMPANY, CUSTOMER_LEDGER, PERSON, CardOwner
from facade.text import format_phone

from ._common import current_user, services
from .tabs import content_disposition

bp = Blueprint("exports", __name__)
T = TypeVar("T")

#: The list pages that have an export: page endpoint → export endpoint.
EXPORTS = {
    "tabs.company_contacts": "exports.company_contacts",
    "tabs.company_emails": "exports.company_emails",
    "tabs.person_emails": "exports.person_emails",
    "tabs.company_documents": "exports.company_documents",
    "tabs.person_documents": "exports.person_documents",
    "tabs.company_calls": "exports.company_calls",
    "tabs.person_calls": "exports.person_calls",
    "tabs.company_orders": "exports.company_orders",
    "tabs.person_orders": "exports.person_orders",
    "tabs.company_ledger": "exports.company_ledger",
    "search.results": "exports.search_results",
}
#: Query values of a page that do not narrow the list (the export has every page).
NOT_FILTERS = frozenset({"page", "per_page", "partial"})
SEARCH_EXPORT_LIMIT = search_uc.MAX_LIMIT_PER_KIND  # hits per group: the most the search ranks


@bp.app_template_global("export_url")
def export_url() -> str | None:
    """The CSV export of the list page being rendered (same filters and sort), None when it has none."""
    endpoint = EXPORTS.get(request.endpoint or "")
    if endpoint is None:
        return None
    view_args = dict(request.view_args or {})
    # A query value named like a path argument (?company_id=…) must not clash with it.
    args = {k: v for k, v in request.args.items() if k not in NOT_FILTERS and k not in view_args and v != ""}
    try:
        return url_for(endpoint, **view_args, **args)
    except BuildError:
        return None


def csv_response(rows: Iterable[T], columns: list[Column[T]], file_name: str) -> Response:
    """Stream ``rows`` as an Excel-ready CSV attachment named ``file_name`` (RFC 6266 ``filename*``).

    ``columns`` must be built in the request (translated headers and labels); their value functions
    run while the body is sent, outside the request.
    """
    # No stream_with_context: the rows' fetch closures hold the services and the user, and every
    # translated text is made before this returns, so the stream needs no request context (and
    # keeps none alive when a client never reads the body).
    chunks = to_excel_csv(rows, columns, yes_no=(_("Yes"), _("No")))
    body: Iterator[bytes] = (chunk.encode("utf-8") for chunk in chunks)
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition(file_name, ascii_file_name(file_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _file_name(list_name: str, subject: str | None) -> str:
    svc = services()
    return export_file_name(list_name, subject, export_day(clock=svc.clock, installation=svc.installation))


def _request(sorts, default_sort: str) -> PageRequest:
    """The page's sort order from the query string, as the first export page."""
    return first_request(parse_page_request(request.args, sorts, default_sort))


def _phone(value: str | None) -> str | None:
    return format_phone(value) or None


def _addresses(value: str | None) -> str:
    return ", ".join(a.strip() for a in (value or "").split(",") if a.strip())


def _direction(labels: dict[str, str]) -> Callable[[str | None], str]:
    return lambda code: labels.get((code or "").strip().upper(), code or "")


# --- contacts -------------------------------------------------------------------------------


def contact_columns() -> list[Column[contacts_uc.ContactRow]]:
    """Columns of the contacts export (translated headers)."""
    return [
        Column(_("First name"), lambda r: r.first_name),
        Column(_("Last name"), lambda r: r.last_name),
        Column(_("Job title"), lambda r: r.job_title),
        Column(_("Role"), lambda r: r.role),
        Column(_("Main contact"), lambda r: r.is_main),
        Column(_("Phone"), lambda r: _phone(r.phone)),
        Column(_("Mobile"), lambda r: _phone(r.mobile)),
        Column(_("E-mail"), lambda r: r.email),
    ]


@bp.get("/companies/<int:company_id>/contacts/export.csv")
def company_contacts(company_id: int):
    """The company's contacts (the contacts tab, every page) as CSV. CRM_READ."""
    svc, user = services(), current_user()

    def fetch(req: PageRequest):
        return contacts_uc.contacts_tab(user, company_id, req, contacts=svc.contacts, headers=svc.contacts)

    first = fetch(_request(contacts_uc.CONTACT_SORTS, contacts_uc.CONTACT_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    return csv_response(rows, contact_columns(),
                        _file_name(pgettext("file name", "contacts"), first.card.header.name))


# --- e-mail ---------------------------------------------------------------------------------


def email_columns() -> list[Column[emails_uc.EmailRow]]:
    """Columns of the e-mail export."""
    direction = _direction({"I": _("Received"), "O": _("Sent")})
    return [
        Column(_("Date"), lambda r: r.sent_at),
        Column(_("Direction"), lambda r: direction(r.direction)),
        Column(_("From"), lambda r: r.from_addr),
        Column(_("To"), lambda r: _addresses(r.to_addrs)),
        Column(_("Subject"), lambda r: r.subject),
        Column(_("Attachments"), lambda r: r.has_attachments),
    ]


def _emails(owner: CardOwner) -> Response:
    svc, user = services(), current_user()

    def fetch(req: PageRequest):
        return emails_uc.emails_tab(user, owner, req, emails=svc.emails, headers=svc.contacts)

    first = fetch(_request(emails_uc.EMAIL_SORTS, emails_uc.EMAIL_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    return csv_response(rows, email_columns(), _file_name(pgettext("file name", "e-mail"), first.card.header.name))


@bp.get("/companies/<int:company_id>/emails/export.csv")
def company_emails(company_id: int):
    """The company's e-mails (the e-mail tab) as CSV, without bodies. CRM_READ."""
    return _emails(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/emails/export.csv")
def person_emails(person_id: int):
    """The contact's e-mails as CSV, without bodies. CRM_READ."""
    return _emails(CardOwner(PERSON, person_id))


# --- documents ------------------------------------------------------------------------------


def document_columns() -> list[Column[documents_uc.DocumentRow]]:
    """Columns of the documents export (the list, not the files)."""
    return [
        Column(_("Name"), lambda r: r.file_name),
        Column(_("Folder"), lambda r: r.folder),
        Column(_("Type"), lambda r: r.content_type),
        Column(_("Size (bytes)"), lambda r: r.byte_size),
        Column(_("Uploaded"), lambda r: r.uploaded_at),
        Column(_("By"), lambda r: r.uploaded_by),
    ]


def _documents(owner: CardOwner) -> Response:
    svc, user = services(), current_user()
    folder = request.args.get("folder")

    def fetch(req: PageRequest):
        return documents_uc.documents_tab(user, owner, folder, req, documents=svc.documents, headers=svc.contacts)

    first = fetch(_request(documents_uc.DOCUMENT_SORTS, documents_uc.DOCUMENT_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    return csv_response(rows, document_columns(),
                        _file_name(pgettext("file name", "documents"), first.card.header.name))


@bp.get("/companies/<int:company_id>/documents/export.csv")
def company_documents(company_id: int):
    """The company's document list (``folder=`` and below) as CSV. CRM_READ."""
    return _documents(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/documents/export.csv")
def person_documents(person_id: int):
    """The contact's document list as CSV. CRM_READ."""
    return _documents(CardOwner(PERSON, person_id))


# --- calls ----------------------------------------------------------------------------------


def call_columns() -> list[Column[calls_uc.CallRow]]:
    """Columns of the call-log export; the duration in seconds (a number Excel can sum)."""
    direction = _direction({"I": _("Incoming"), "O": _("Outgoing")})
    return [
        Column(_("Time"), lambda r: r.started_at),
        Column(_("Direction"), lambda r: direction(r.direction)),
        Column(_("Number"), lambda r: _phone(r.number)),
        Column(_("Contact"), lambda r: r.person_name),
        Column(_("User"), lambda r: r.user_name),
        Column(_("Duration (seconds)"), lambda r: r.duration_sec),
        Column(_("Answered"), lambda r: r.answered),
    ]


def _calls(owner: CardOwner) -> Response:
    svc, user = services(), current_user()
    a = request.args
    flt = calls_uc.parse_call_filter(a.get("direction"), a.get("from"), a.get("to"))

    def fetch(req: PageRequest):
        return calls_uc.calls_tab(user, owner, flt, req, calls=svc.calls, headers=svc.contacts)

    first = fetch(_request(calls_uc.CALL_SORTS, calls_uc.CALL_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    return csv_response(rows, call_columns(), _file_name(pgettext("file name", "calls"), first.card.header.name))


@bp.get("/companies/<int:company_id>/calls/export.csv")
def company_calls(company_id: int):
    """The company's call log (direction and period filters) as CSV. CRM_READ."""
    return _calls(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/calls/export.csv")
def person_calls(person_id: int):
    """The contact's call log as CSV. CRM_READ."""
    return _calls(CardOwner(PERSON, person_id))


# --- orders and invoices --------------------------------------------------------------------


def order_columns() -> list[Column[orders_uc.OrderRow]]:
    """Columns of the orders-and-invoices export: amounts in the order's currency and in SEK."""
    types = {code: _(label) for code, label in orders_uc.DOC_TYPES.items()}
    statuses = {code: _(label) for code, label in orders_uc.STATUSES.items()}
    return [
        Column(_("Type"), lambda r: types.get(r.doc_type, r.doc_type)),
        Column(_("Order no."), lambda r: r.order_no),
        Column(_("Invoice no."), lambda r: r.invoice_no),
        Column(_("Status"), lambda r: statuses.get(r.status, str(r.status))),
        Column(_("Order date"), lambda r: r.order_date),
        Column(_("Invoice date"), lambda r: r.invoice_date),
        Column(_("Due date"), lambda r: r.due_date),
        Column(_("Customer"), lambda r: r.company_name),
        Column(_("Your reference"), lambda r: r.your_ref),
        Column(_("Reference person"), lambda r: r.person_name),
        Column(_("Our reference"), lambda r: r.our_ref),
        Column(_("Seller"), lambda r: r.seller_name),
        Column(_("Currency"), lambda r: r.currency),
        Column(_("Net amount"), lambda r: r.net_amount, money=True),
        Column(_("VAT"), lambda r: r.vat_amount, money=True),
        Column(_("Total"), lambda r: r.total_amount, money=True),
        Column(_("Exchange rate"), lambda r: r.exchange_rate),
        Column(_("Net amount in SEK"), lambda r: r.net_sek, money=True),
        Column(_("Total in SEK"), lambda r: r.total_sek, money=True),
    ]


def _orders(owner: CardOwner) -> Response:
    svc, user = services(), current_user()
    a = request.args
    search = orders_uc.parse_order_search(a.get("q"), a.get("status"), a.get("type"), a.get("from"), a.get("to"))

    def fetch(req: PageRequest):
        return orders_uc.orders_tab(user, owner, search, req, orders=svc.orders, headers=svc.contacts)

    first = fetch(_request(orders_uc.ORDER_SORTS, orders_uc.ORDER_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    return csv_response(rows, order_columns(),
                        _file_name(pgettext("file name", "orders-and-invoices"), first.card.header.name))


@bp.get("/companies/<int:company_id>/orders/export.csv")
def company_orders(company_id: int):
    """The company's orders, invoices and credit notes (search filters) as CSV. ORDER_READ."""
    return _orders(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/orders/export.csv")
def person_orders(person_id: int):
    """The orders where the contact is the customer's reference, as CSV. ORDER_READ."""
    return _orders(CardOwner(PERSON, person_id))


# --- ledger ---------------------------------------------------------------------------------


def ledger_columns() -> list[Column[ledger_uc.LedgerEntryRow]]:
    """Columns of the ledger export: amounts in SEK and in the entry's currency."""
    return [
        Column(_("Voucher no."), lambda r: r.voucher_no),
        Column(_("Voucher date"), lambda r: r.voucher_date),
        Column(_("Invoice no."), lambda r: r.invoice_no),
        Column(_("Due date"), lambda r: r.due_date),
        Column(_("Text"), lambda r: r.description),
        Column(_("Currency"), lambda r: r.currency),
        Column(_("Amount in currency"), lambda r: r.amount_cur, money=True),
        Column(_("Amount in SEK"), lambda r: r.amount, money=True),
        Column(_("Open amount"), lambda r: r.open_amount, money=True),
        Column(_("Closed"), lambda r: r.closed),
        Column(_("Closed date"), lambda r: r.closed_date),
        Column(_("Days overdue"), lambda r: r.days_overdue),
        Column(_("OCR reference"), lambda r: r.ocr_ref),
    ]


@bp.get("/companies/<int:company_id>/ledger/export.csv")
def company_ledger(company_id: int):
    """The company's customer or supplier ledger (``ledger=``, ``state=`` open/closed/all) as CSV.

    LEDGER_CUSTOMER / LEDGER_SUPPLIER for that ledger.
    """
    svc, user = services(), current_user()
    a = request.args

    def fetch(req: PageRequest):
        return ledger_uc.ledger_tab(user, company_id, a.get("ledger"), a.get("state"), req, ledgers=svc.ledger,
                                    headers=svc.contacts, clock=svc.clock, installation=svc.installation)

    first = fetch(_request(ledger_uc.LEDGER_SORTS, ledger_uc.LEDGER_DEFAULT_SORT))
    rows = all_rows(first.page, lambda r: fetch(r).page)
    name = (pgettext("file name", "customer-ledger") if first.ledger == CUSTOMER_LEDGER
            else pgettext("file name", "supplier-ledger"))
    return csv_response(rows, ledger_columns(),
                        export_file_name(name, first.card.header.name, first.today))


# --- global search --------------------------------------------------------------------------


def search_kind_labels() -> dict[str, str]:
    """The search groups' names (the same msgids as the results page)."""
    return {
        search_uc.KIND_COMPANY: _("Companies"),
        search_uc.KIND_SUPPLIER: _("Suppliers"),
        search_uc.KIND_PRIVATE: _("Private customers"),
        search_uc.KIND_CONTACT: _("Contacts"),
        search_uc.KIND_EMPLOYEE: _("Employees"),
    }


def search_columns() -> list[Column[search_uc.SearchHit]]:
    """Columns of the search export: one row per hit, group by group, best first."""
    kinds = search_kind_labels()
    return [
        Column(_("Group"), lambda h: kinds.get(h.kind, h.kind)),
        Column(_("Name"), lambda h: h.title),
        Column(_("Customer no."), lambda h: h.customer_no),
        Column(_("Supplier no."), lambda h: h.supplier_no),
        Column(_("Org. no."), lambda h: h.org_no),
        Column(_("City"), lambda h: h.city),
        Column(_("Job title"), lambda h: h.job_title or h.employee_title),
        Column(_("Companies"), lambda h: ", ".join(c.name for c in h.companies) or None),
        Column(_("User name"), lambda h: h.login),
        Column(_("Phone"), lambda h: _phone(h.phone)),
        Column(_("E-mail"), lambda h: h.email),
    ]


@bp.get("/search/export.csv")
def search_results():
    """The global search's hits for ``q`` (``kind=`` one group) as CSV: every group, up to 200 hits
    each (the most the search ranks). A too short query gives the header row only. CRM_READ."""
    query = request.args.get("q", "")
    kind = (request.args.get("kind") or "").strip() or None
    found = search_uc.search_everything(query, current_user(), queries=services().search,
                                        limit_per_kind=SEARCH_EXPORT_LIMIT, kinds=[kind] if kind else None)
    hits = [hit for group in found.groups for hit in group.hits]
    return csv_response(hits, search_columns(), _file_name(pgettext("file name", "search"), found.query))
