"""The working tabs of the company card and the contact card, and document downloads.

Every tab is a full page (card header + tab bar + panel) and, for in-place loading by
``static/tabs.js``, just its panel when the request has ``X-Requested-With: fetch`` or
``?partial=1``. The tab bar (``templates/companies/_tabs.html``) is shared with the card's
overview page, which gets the visible tabs from the ``card_tab_bar`` template global.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, make_response, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from facade import calls as calls_uc
from facade import contacts as contacts_uc
from facade import documents as documents_uc
from facade import emails as emails_uc
from facade import ledger as ledger_uc
from facade import orders as orders_uc
from facade import tabs as tabs_uc
from facade.errors import NotFound
from facade.paging import PER_PAGE_CHOICES, SortOption, parse_page_request
from facade.tabs import COMPANY, PERSON, Card, CardOwner

from ._common import current_user, services

bp = Blueprint("tabs", __name__)


@dataclass(frozen=True)
class TabLink:
    key: str
    label: str
    url: str


def tab_labels() -> dict[str, str]:
    """The tab bar's labels, translated."""
    return {
        "overview": _("Overview"),
        "contacts": _("Contacts"),
        "emails": _("E-mail"),
        "documents": _("Documents"),
        "calls": _("Calls"),
        "orders": _("Orders and invoices"),
        "ledger": _("Ledger"),
    }


def overview_url(kind: str, owner_id: int) -> str:
    """The card's overview page (``companies.card`` / ``persons.card``, built by the cards area)."""
    endpoint, arg = ("companies.card", "company_id") if kind == COMPANY else ("persons.card", "person_id")
    try:
        return url_for(endpoint, **{arg: owner_id})
    except BuildError:
        return f"{request.script_root}/{'companies' if kind == COMPANY else 'persons'}/{int(owner_id)}"


def person_url(person_id: int) -> str:
    """The contact card of ``person_id``."""
    return overview_url(PERSON, person_id)


def tab_url(kind: str, owner_id: int, key: str) -> str:
    """The URL of tab ``key`` on ``kind``'s card."""
    if key == "overview":
        return overview_url(kind, owner_id)
    if kind == COMPANY:
        return url_for(f"tabs.company_{key}", company_id=owner_id)
    return url_for(f"tabs.person_{key}", person_id=owner_id)


def tab_links(kind: str, owner_id: int, keys: tuple[str, ...]) -> list[TabLink]:
    """The tab bar's links for the visible tab ``keys``."""
    labels = tab_labels()
    return [TabLink(k, labels[k], tab_url(kind, owner_id, k)) for k in keys]


@bp.app_template_global("card_tab_bar")
def card_tab_bar(tab_owner: str, owner_id: int) -> list[TabLink]:
    """For ``companies/_tabs.html`` on pages that did not compute the bar: the visible tabs' links.

    An unknown or deleted owner gives an empty bar (the page itself shows the 404).
    """
    svc = services()
    try:
        keys = tabs_uc.card_tabs(current_user(), CardOwner(tab_owner, int(owner_id)), headers=svc.contacts)
    except NotFound:
        return []
    return tab_links(tab_owner, int(owner_id), keys)


def is_partial() -> bool:
    """True when only the tab panel is wanted (in-place loading)."""
    return request.headers.get("X-Requested-With") == "fetch" or request.args.get("partial") == "1"


def url_with(**changes) -> str:
    """The current page's URL with query values changed (None or "" removes one; never ``partial``)."""
    args = {k: v for k, v in request.args.items() if k != "partial"}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    return request.script_root + request.path + ("?" + query if query else "")


def sort_map(options: tuple[SortOption, ...]) -> dict[str, SortOption]:
    return {o.key: o for o in options}


def render_tab(template: str, card: Card, active: str, *, title: str | None = None, status: int = 200, **ctx):
    """Render a tab page (or its panel alone) for ``card`` with ``active`` tab current."""
    header = card.header
    kind, owner_id = header.owner.kind, header.owner.owner_id
    labels = tab_labels()
    name = header.name or _("(no name)")
    page_title = f"{title or labels[active]} – {name}"
    html = render_template(
        template,
        card=card,
        header=header,
        owner_name=name,
        active_tab=active,
        tab_owner=kind,
        owner_id=owner_id,
        tab_bar=tab_links(kind, owner_id, card.tabs),
        tab_label=labels[active],
        page_title=page_title,
        partial=is_partial(),
        url_with=url_with,
        person_url=person_url,
        overview_url=overview_url(kind, owner_id),
        tab_url=lambda key: tab_url(kind, owner_id, key),
        email_url=lambda email_id: url_for(f"tabs.{kind}_email", email_id=email_id, **{f"{kind}_id": owner_id}),
        order_url=lambda order_id: url_for(f"tabs.{kind}_order", order_id=order_id, **{f"{kind}_id": owner_id}),
        per_page_choices=PER_PAGE_CHOICES,
        **ctx,
    )
    response = make_response(html, status)
    response.headers["Vary"] = "X-Requested-With"
    return response


# --- contacts -------------------------------------------------------------------------------


@bp.get("/companies/<int:company_id>/contacts")
def company_contacts(company_id: int):
    """The contacts tab: the company's live contacts with role, main mark, phone, mobile, e-mail."""
    svc = services()
    req = parse_page_request(request.args, contacts_uc.CONTACT_SORTS, contacts_uc.CONTACT_DEFAULT_SORT)
    tab = contacts_uc.contacts_tab(current_user(), company_id, req, contacts=svc.contacts, headers=svc.contacts)
    return render_tab("tabs/contacts.html", tab.card, "contacts", page=tab.page,
                      sorts=sort_map(contacts_uc.CONTACT_SORTS))


# --- e-mail ---------------------------------------------------------------------------------


def _emails(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, emails_uc.EMAIL_SORTS, emails_uc.EMAIL_DEFAULT_SORT)
    tab = emails_uc.emails_tab(current_user(), owner, req, emails=svc.emails, headers=svc.contacts)
    return render_tab("tabs/emails.html", tab.card, "emails", page=tab.page, sorts=sort_map(emails_uc.EMAIL_SORTS))


def _email(owner: CardOwner, email_id: int):
    svc = services()
    view = emails_uc.read_email(current_user(), owner, email_id, emails=svc.emails, headers=svc.contacts)
    return render_tab("tabs/email.html", view.card, "emails", title=view.message.subject or _("(no subject)"),
                      message=view.message)


@bp.get("/companies/<int:company_id>/emails")
def company_emails(company_id: int):
    """The e-mail tab of a company: live e-mails linked to it."""
    return _emails(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/emails")
def person_emails(person_id: int):
    """The e-mail tab of a contact."""
    return _emails(CardOwner(PERSON, person_id))


@bp.get("/companies/<int:company_id>/emails/<int:email_id>")
def company_email(company_id: int, email_id: int):
    """One e-mail of a company, its body as text."""
    return _email(CardOwner(COMPANY, company_id), email_id)


@bp.get("/persons/<int:person_id>/emails/<int:email_id>")
def person_email(person_id: int, email_id: int):
    """One e-mail of a contact, its body as text."""
    return _email(CardOwner(PERSON, person_id), email_id)


# --- documents ------------------------------------------------------------------------------


def _documents(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, documents_uc.DOCUMENT_SORTS, documents_uc.DOCUMENT_DEFAULT_SORT)
    tab = documents_uc.documents_tab(current_user(), owner, request.args.get("folder"), req,
                                     documents=svc.documents, headers=svc.contacts)
    return render_tab("tabs/documents.html", tab.card, "documents", tab=tab, page=tab.page,
                      sorts=sort_map(documents_uc.DOCUMENT_SORTS))


@bp.get("/companies/<int:company_id>/documents")
def company_documents(company_id: int):
    """The documents tab of a company: folder tree and files."""
    return _documents(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/documents")
def person_documents(person_id: int):
    """The documents tab of a contact."""
    return _documents(CardOwner(PERSON, person_id))


def content_disposition(file_name: str, ascii_name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266 / RFC 5987)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download_response(dl: documents_uc.Download) -> Response:
    """Stream a download as an attachment that the browser never renders or sniffs."""
    response = Response(dl.chunks, mimetype=None, content_type=dl.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(dl.size)
    response.headers["Content-Disposition"] = content_disposition(dl.file_name, dl.ascii_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/documents/<int:document_id>/download")
def download_document(document_id: int):
    """The document's bytes from the classic file store, as an attachment."""
    dl = documents_uc.download_document(current_user(), document_id, documents=services().documents)
    return download_response(dl)


# --- calls ----------------------------------------------------------------------------------


def _calls(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, calls_uc.CALL_SORTS, calls_uc.CALL_DEFAULT_SORT)
    flt = calls_uc.parse_call_filter(request.args.get("direction"), request.args.get("from"),
                                     request.args.get("to"))
    tab = calls_uc.calls_tab(current_user(), owner, flt, req, calls=svc.calls, headers=svc.contacts)
    return render_tab("tabs/calls.html", tab.card, "calls", tab=tab, page=tab.page,
                      sorts=sort_map(calls_uc.CALL_SORTS))


@bp.get("/companies/<int:company_id>/calls")
def company_calls(company_id: int):
    """The call log of a company and its contacts, filtered by direction and period."""
    return _calls(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/calls")
def person_calls(person_id: int):
    """The call log of a contact."""
    return _calls(CardOwner(PERSON, person_id))


# --- orders and invoices --------------------------------------------------------------------


def _orders(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, orders_uc.ORDER_SORTS, orders_uc.ORDER_DEFAULT_SORT)
    a = request.args
    search = orders_uc.parse_order_search(a.get("q"), a.get("status"), a.get("type"), a.get("from"), a.get("to"))
    tab = orders_uc.orders_tab(current_user(), owner, search, req, orders=svc.orders, headers=svc.contacts)
    return render_tab("tabs/orders.html", tab.card, "orders", tab=tab, page=tab.page,
                      sorts=sort_map(orders_uc.ORDER_SORTS), doc_types=orders_uc.DOC_TYPES,
                      statuses=orders_uc.STATUSES)


def _order(owner: CardOwner, order_id: int):
    svc = services()
    view = orders_uc.open_order(current_user(), owner, order_id, orders=svc.orders, headers=svc.contacts)
    o = view.detail.order
    title = f"{_(orders_uc.DOC_TYPES.get(o.doc_type, ''))} {o.invoice_no or o.order_no}"
    return render_tab("tabs/order.html", view.card, "orders", title=title, detail=view.detail,
                      doc_types=orders_uc.DOC_TYPES, statuses=orders_uc.STATUSES)


@bp.get("/companies/<int:company_id>/orders")
def company_orders(company_id: int):
    """Orders, invoices and credit notes of a company (ORDER_READ)."""
    return _orders(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/orders")
def person_orders(person_id: int):
    """Orders where the contact is the customer's reference (ORDER_READ)."""
    return _orders(CardOwner(PERSON, person_id))


@bp.get("/companies/<int:company_id>/orders/<int:order_id>")
def company_order(company_id: int, order_id: int):
    """One order of a company with its lines and totals (ORDER_READ)."""
    return _order(CardOwner(COMPANY, company_id), order_id)


@bp.get("/persons/<int:person_id>/orders/<int:order_id>")
def person_order(person_id: int, order_id: int):
    """One order of a contact with its lines and totals (ORDER_READ)."""
    return _order(CardOwner(PERSON, person_id), order_id)


# --- ledger ---------------------------------------------------------------------------------


@bp.get("/companies/<int:company_id>/ledger")
def company_ledger(company_id: int):
    """Customer/supplier ledger of a company: open, closed or all items, with open and overdue totals."""
    svc = services()
    req = parse_page_request(request.args, ledger_uc.LEDGER_SORTS, ledger_uc.LEDGER_DEFAULT_SORT)
    tab = ledger_uc.ledger_tab(current_user(), company_id, request.args.get("ledger"), request.args.get("state"),
                               req, ledgers=svc.ledger, headers=svc.contacts, clock=svc.clock,
                               installation=svc.installation)
    return render_tab("tabs/ledger.html", tab.card, "ledger", tab=tab, page=tab.page,
                      sorts=sort_map(ledger_uc.LEDGER_SORTS), ledger_names=ledger_uc.LEDGER_NAMES)
