"""JSON API of the card tabs: the same reads as the tab pages (contacts, e-mail, documents, calls,
orders and invoices, ledger) for companies and contact persons, one e-mail, one order, a document's bytes.

List bodies: ``{"owner": {...}, "items": [...], "total", "page", "per_page", "pages", "sort", "dir"}``
plus the tab's filters. Query parameters: ``page``, ``per_page`` (1–200), ``sort`` (per list),
``dir`` (``asc``/``desc``) and the filters of each list.
"""

from __future__ import annotations

from flask import jsonify, request, url_for

from facade import calls as calls_uc
from facade import contacts as contacts_uc
from facade import documents as documents_uc
from facade import emails as emails_uc
from facade import ledger as ledger_uc
from facade import orders as orders_uc
from facade.paging import Page, SortOption, parse_page_request
from facade.tabs import COMPANY, PERSON, Card, CardOwner

from .._common import current_user, services
from ..tabs import download_response
from . import bp
from ._json import to_json


def _page_body(card: Card, page: Page, items: list, **extra) -> dict:
    header = card.header
    body = {
        "owner": {"kind": header.owner.kind, "id": header.owner.owner_id, "name": header.name},
        "tabs": list(card.tabs),
        "items": items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "sort": page.sort,
        "dir": "desc" if page.descending else "asc",
    }
    body.update(extra)
    return body


# --- contacts -------------------------------------------------------------------------------


@bp.get("/companies/<int:company_id>/contacts")
def api_company_contacts(company_id: int):
    """The company's live contacts."""
    svc = services()
    req = parse_page_request(request.args, contacts_uc.CONTACT_SORTS, contacts_uc.CONTACT_DEFAULT_SORT)
    tab = contacts_uc.contacts_tab(current_user(), company_id, req, contacts=svc.contacts, headers=svc.contacts)
    items = [dict(to_json(c), name=c.name) for c in tab.page.items]
    return jsonify(_page_body(tab.card, tab.page, items))


# --- e-mail ---------------------------------------------------------------------------------


def _emails(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, emails_uc.EMAIL_SORTS, emails_uc.EMAIL_DEFAULT_SORT)
    tab = emails_uc.emails_tab(current_user(), owner, req, emails=svc.emails, headers=svc.contacts)
    return jsonify(_page_body(tab.card, tab.page, [to_json(m) for m in tab.page.items]))


@bp.get("/companies/<int:company_id>/emails")
def api_company_emails(company_id: int):
    """Live e-mails linked to the company."""
    return _emails(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/emails")
def api_person_emails(person_id: int):
    """Live e-mails linked to the contact."""
    return _emails(CardOwner(PERSON, person_id))


@bp.get("/emails/<int:email_id>")
def api_email(email_id: int):
    """One live e-mail (linked to a live company or contact) with its plain-text body."""
    message = emails_uc.get_email(current_user(), email_id, emails=services().emails)
    return jsonify(to_json(message))


# --- documents ------------------------------------------------------------------------------


def _documents(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, documents_uc.DOCUMENT_SORTS, documents_uc.DOCUMENT_DEFAULT_SORT)
    tab = documents_uc.documents_tab(current_user(), owner, request.args.get("folder"), req,
                                     documents=svc.documents, headers=svc.contacts)
    items = [dict(to_json(d), download_url=url_for("api.api_document_content", document_id=d.document_id))
             for d in tab.page.items]
    return jsonify(_page_body(tab.card, tab.page, items, folder=tab.folder, total_files=tab.total_files,
                              folders=to_json(list(tab.folders))))


@bp.get("/companies/<int:company_id>/documents")
def api_company_documents(company_id: int):
    """The company's folder tree and live documents (``folder`` filters to a folder and below)."""
    return _documents(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/documents")
def api_person_documents(person_id: int):
    """The contact's folder tree and live documents."""
    return _documents(CardOwner(PERSON, person_id))


@bp.get("/documents/<int:document_id>/content")
def api_document_content(document_id: int):
    """The document's bytes (attachment, content type as stored or application/octet-stream)."""
    dl = documents_uc.download_document(current_user(), document_id, documents=services().documents)
    return download_response(dl)


# --- calls ----------------------------------------------------------------------------------


def _calls(owner: CardOwner):
    svc = services()
    req = parse_page_request(request.args, calls_uc.CALL_SORTS, calls_uc.CALL_DEFAULT_SORT)
    flt = calls_uc.parse_call_filter(request.args.get("direction"), request.args.get("from"),
                                     request.args.get("to"))
    tab = calls_uc.calls_tab(current_user(), owner, flt, req, calls=svc.calls, headers=svc.contacts)
    return jsonify(_page_body(tab.card, tab.page, [to_json(c) for c in tab.page.items], filter=to_json(flt)))


@bp.get("/companies/<int:company_id>/calls")
def api_company_calls(company_id: int):
    """Calls of the company and of its contacts."""
    return _calls(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/calls")
def api_person_calls(person_id: int):
    """Calls of the contact."""
    return _calls(CardOwner(PERSON, person_id))


# --- orders ---------------------------------------------------------------------------------


def _orders(owner: CardOwner):
    svc = services()
    a = request.args
    req = parse_page_request(a, orders_uc.ORDER_SORTS, orders_uc.ORDER_DEFAULT_SORT)
    search = orders_uc.parse_order_search(a.get("q"), a.get("status"), a.get("type"), a.get("from"), a.get("to"))
    tab = orders_uc.orders_tab(current_user(), owner, search, req, orders=svc.orders, headers=svc.contacts)
    return jsonify(_page_body(tab.card, tab.page, [to_json(o) for o in tab.page.items], search=to_json(search)))


@bp.get("/companies/<int:company_id>/orders")
def api_company_orders(company_id: int):
    """The company's live orders, invoices and credit notes (ORDER_READ)."""
    return _orders(CardOwner(COMPANY, company_id))


@bp.get("/persons/<int:person_id>/orders")
def api_person_orders(person_id: int):
    """Live orders where the contact is the customer's reference (ORDER_READ)."""
    return _orders(CardOwner(PERSON, person_id))


@bp.get("/orders/<int:order_id>")
def api_order(order_id: int):
    """One live order with its lines, VAT per rate and SEK totals (ORDER_READ)."""
    detail = orders_uc.get_order(current_user(), order_id, orders=services().orders)
    return jsonify(to_json(detail))


# --- ledger ---------------------------------------------------------------------------------


@bp.get("/companies/<int:company_id>/ledger")
def api_company_ledger(company_id: int):
    """Customer or supplier ledger items with open and overdue totals (LEDGER_CUSTOMER/LEDGER_SUPPLIER)."""
    svc = services()
    req = parse_page_request(request.args, ledger_uc.LEDGER_SORTS, ledger_uc.LEDGER_DEFAULT_SORT)
    tab = ledger_uc.ledger_tab(current_user(), company_id, request.args.get("ledger"), request.args.get("state"),
                               req, ledgers=svc.ledger, headers=svc.contacts, clock=svc.clock,
                               installation=svc.installation)
    return jsonify(_page_body(tab.card, tab.page, [to_json(e) for e in tab.page.items], ledger=tab.ledger,
                              ledgers=list(tab.ledgers), state=tab.state, today=tab.today.isoformat(),
                              totals=to_json(tab.totals)))


# --- OpenAPI --------------------------------------------------------------------------------


def _paging_params(options: tuple[SortOption, ...], default: str) -> list[dict]:
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 25}},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": [o.key for o in options], "default": default}},
        {"name": "dir", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]},
         "description": "Sort direction; absent: the key's natural direction (dates newest first)."},
    ]


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


_PERIOD = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "First day (local)"},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "Last day (local)"},
]
_CALL_FILTER = [{"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["I", "O"]}}, *_PERIOD]
_ORDER_FILTER = [
    {"name": "q", "in": "query", "schema": {"type": "string"},
     "description": "Order/invoice number (whole number) or text in YourRef/OurRef"},
    {"name": "status", "in": "query", "schema": {"type": "integer", "enum": [0, 1, 2, 3, 9]}},
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["O", "I", "C"]}},
    *_PERIOD,
]
_NOT_FOUND = {"description": "Unknown or soft-deleted", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
_BAD = {"description": "Bad paging, sort or filter value", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}


def _list_op(summary: str, item_schema: str, params: list[dict], extra_props: dict | None = None,
             tag: str = "Card tabs") -> dict:
    props = {
        "owner": {"$ref": "#/components/schemas/CardOwner"},
        "tabs": {"type": "array", "items": {"type": "string"}},
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_schema}"}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "pages": {"type": "integer"}, "sort": {"type": "string"}, "dir": {"type": "string", "enum": ["asc", "desc"]},
    }
    props.update(extra_props or {})
    return {"get": {
        "summary": summary, "tags": [tag], "parameters": params,
        "responses": {
            "200": {"description": "One page", "content": {"application/json": {"schema": {
                "type": "object", "required": ["owner", "items", "total", "page", "per_page", "pages"],
                "properties": props}}}},
            "400": _BAD, "404": _NOT_FOUND,
        },
    }}


_S = {"type": "string"}
_SN = {"type": ["string", "null"]}
_I = {"type": "integer"}
_IN = {"type": ["integer", "null"]}
_B = {"type": "boolean"}
_DEC = {"type": "string", "description": "decimal"}
_DATE = {"type": "string", "format": "date"}
_DATEN = {"type": ["string", "null"], "format": "date"}
_DT = {"type": ["string", "null"], "format": "date-time", "description": "local time, no offset"}


def _obj(props: dict) -> dict:
    return {"type": "object", "properties": props}


OPENAPI_SCHEMAS = {
    "CardOwner": _obj({"kind": {"type": "string", "enum": ["company", "person"]}, "id": _I, "name": _S}),
    "Contact": _obj({"person_id": _I, "name": _S, "first_name": _SN, "last_name": _SN, "job_title": _SN, "role": _SN,
                     "is_main": _B, "phone": _SN, "mobile": _SN, "email": _SN}),
    "EmailRow": _obj({"email_id": _I, "sent_at": _DT, "direction": {"type": "string", "enum": ["I", "O"]},
                      "from_addr": _SN, "to_addrs": _SN, "subject": _SN, "has_attachments": _B}),
    "EmailMessage": _obj({"email_id": _I, "sent_at": _DT, "direction": _S, "from_addr": _SN, "to_addrs": _SN,
                          "cc_addrs": _SN, "subject": _SN, "has_attachments": _B, "message_id": _SN,
                          "body_text": {"type": ["string", "null"], "description": "plain text, as stored"}}),
    "Document": _obj({"document_id": _I, "folder": _S, "file_name": _S, "original_name": _S, "content_type": _SN,
                      "byte_size": _IN, "uploaded_at": _DT, "uploaded_by": _SN, "download_url": _S}),
    "Folder": _obj({"path": _S, "name": _S, "depth": _I, "own": _I, "total": _I}),
    "Call": _obj({"call_id": _I, "started_at": _DT, "direction": _S, "number": _SN, "extension": _SN,
                  "user_name": _SN, "person_id": _IN, "person_name": _SN, "duration_sec": _IN, "answered": _B}),
    "Order": _obj({"order_id": _I, "order_no": _I, "doc_type": {"type": "string", "enum": ["O", "I", "C"]},
                   "status": _I, "order_date": _DATE, "invoice_no": _IN, "invoice_date": _DATEN,
                   "due_date": _DATEN, "your_ref": _SN, "our_ref": _SN, "seller_name": _SN,
                   "seller_active": {"type": ["boolean", "null"]}, "person_id": _IN, "person_name": _SN,
                   "company_id": _I, "company_name": _S, "currency": _S, "exchange_rate": _DEC,
                   "net_amount": _DEC, "vat_amount": _DEC, "total_amount": _DEC,
                   "net_sek": _DEC, "total_sek": _DEC}),
    "OrderDetail": _obj({
        "order": {"$ref": "#/components/schemas/Order"},
        "lines": {"type": "array", "items": _obj({
            "line_num": _I, "article_no": _SN, "description": _SN, "quantity": _DEC, "unit": _SN,
            "unit_price": _DEC, "discount_pct": _DEC, "vat_pct": _DEC, "line_net": _DEC})},
        "vat": {"type": "array", "items": _obj({"vat_pct": _DEC, "net": _DEC, "vat": _DEC})},
        "vat_sek": _DEC,
    }),
    "LedgerEntry": _obj({"entry_id": _I, "ledger": {"type": "string", "enum": ["C", "S"]}, "voucher_no": _I,
                         "voucher_date": _DATE, "invoice_no": _SN, "due_date": _DATEN, "description": _SN,
                         "currency": _S, "amount_cur": _DEC, "amount": _DEC, "open_amount": _DEC, "closed": _B,
                         "closed_date": _DATEN, "match_no": _IN, "ocr_ref": _SN, "days_overdue": _IN}),
}

_CO = [_id("company_id")]
_PE = [_id("person_id")]
OPENAPI_PATHS = {
    "/companies/{company_id}/contacts": _list_op(
        "Contacts of a company", "Contact", _CO + _paging_params(contacts_uc.CONTACT_SORTS, "main")),
    "/companies/{company_id}/emails": _list_op(
        "E-mails linked to a company", "EmailRow", _CO + _paging_params(emails_uc.EMAIL_SORTS, "date")),
    "/persons/{person_id}/emails": _list_op(
        "E-mails linked to a contact", "EmailRow", _PE + _paging_params(emails_uc.EMAIL_SORTS, "date")),
    "/emails/{email_id}": {"get": {
        "summary": "One e-mail with its plain-text body", "tags": ["Card tabs"], "parameters": [_id("email_id")],
        "responses": {"200": {"description": "The e-mail", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/EmailMessage"}}}}, "404": _NOT_FOUND}}},
    "/companies/{company_id}/documents": _list_op(
        "Folders and documents of a company", "Document",
        _CO + [{"name": "folder", "in": "query", "schema": {"type": "string"}}]
        + _paging_params(documents_uc.DOCUMENT_SORTS, "uploaded"),
        {"folder": _SN, "total_files": _I, "folders": {"type": "array", "items": {"$ref": "#/components/schemas/Folder"}}}),
    "/persons/{person_id}/documents": _list_op(
        "Folders and documents of a contact", "Document",
        _PE + [{"name": "folder", "in": "query", "schema": {"type": "string"}}]
        + _paging_params(documents_uc.DOCUMENT_SORTS, "uploaded"),
        {"folder": _SN, "total_files": _I, "folders": {"type": "array", "items": {"$ref": "#/components/schemas/Folder"}}}),
    "/documents/{document_id}/content": {"get": {
        "summary": "A document's bytes", "tags": ["Card tabs"], "parameters": [_id("document_id")],
        "responses": {"200": {"description": "The file, as an attachment (RFC 6266 filename*)",
                              "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}},
                      "404": {"description": "Unknown or deleted document, missing file, or a storage key "
                                             "outside the file store",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/companies/{company_id}/calls": _list_op(
        "Calls of a company and its contacts", "Call",
        _CO + _CALL_FILTER + _paging_params(calls_uc.CALL_SORTS, "time")),
    "/persons/{person_id}/calls": _list_op(
        "Calls of a contact", "Call", _PE + _CALL_FILTER + _paging_params(calls_uc.CALL_SORTS, "time")),
    "/companies/{company_id}/orders": _list_op(
        "Orders, invoices and credit notes of a company (ORDER_READ)", "Order",
        _CO + _ORDER_FILTER + _paging_params(orders_uc.ORDER_SORTS, "date")),
    "/persons/{person_id}/orders": _list_op(
        "Orders with the contact as reference (ORDER_READ)", "Order",
        _PE + _ORDER_FILTER + _paging_params(orders_uc.ORDER_SORTS, "date")),
    "/orders/{order_id}": {"get": {
        "summary": "One order with lines and totals (ORDER_READ)", "tags": ["Card tabs"],
        "parameters": [_id("order_id")],
        "responses": {"200": {"description": "The order", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/OrderDetail"}}}}, "404": _NOT_FOUND}}},
    "/companies/{company_id}/ledger": _list_op(
        "Customer or supplier ledger of a company (LEDGER_CUSTOMER / LEDGER_SUPPLIER)", "LedgerEntry",
        _CO + [{"name": "ledger", "in": "query", "schema": {"type": "string", "enum": ["C", "S"]}},
               {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "closed", "all"],
                                                            "default": "open"}}]
        + _paging_params(ledger_uc.LEDGER_SORTS, "voucher_date"),
        {"ledger": _S, "ledgers": {"type": "array", "items": _S}, "state": _S, "today": _DATE,
         "totals": _obj({"open_count": _I, "open_amount": _DEC, "overdue_count": _I, "overdue_amount": _DEC})}),
}
