"""Company writes of the JSON API: ``POST /api/v1/companies`` (a company or a private customer),
``DELETE /api/v1/companies/{id}``, and the company register: ``GET /api/v1/register?q=`` and
``GET /api/v1/register/{org_no}``.

The same use cases as the pages (``facade.company_create``). A client signed in with the CRM Lite
session cookie sends the CSRF token in ``X-CSRFToken`` and writes in the user's classic session
(when it is gone: 401 ``classic_password_required``; send the password again in
``classic_password``). An HTTP Basic client has no classic session: the request logs in to classic
with the Basic credentials and logs out after.
"""

from __future__ import annotations

import base64
import binascii
import sys

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from facade import company_create as uc
from facade.auth import session_hash
from facade.errors import ClassicRejected, InvalidInput, NotAuthenticated
from facade.i18n import N_

from .._common import current_user, services
from ..company_create import refusal_texts
from . import bp
from ._json import to_json

BAD_BODY = N_("Send a JSON object.")
DUPLICATES = N_("Companies that may be the same already exist. Check them, or send confirm_duplicates: true.")

#: API address keys → the form's prefixes.
API_ADDRESSES = {"postal": "post", "visiting": "visit", "delivery": "delivery", "invoice": "invoice"}
_TEXT_KEYS = ("name", "nick_name", "first_name", "last_name", "org_no", "vat_no", "phone", "email", "web",
              "owner_user_id", "country", "invoice_method", "invoice_email", "payment_days", "discount_pct",
              "currency", "credit_limit", "language_code")


def _text(value) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def input_from_json(body: dict) -> uc.NewCompanyInput:
    """A ``NewCompanyInput`` from the API body (numbers and booleans as JSON values or text)."""
    kind = uc.PRIVATE if str(body.get("kind", "")).strip().lower() == uc.PRIVATE else uc.BUSINESS
    values = {key: _text(body.get(key)) for key in _TEXT_KEYS}
    if not values["country"]:
        values["country"] = "SE"
    addresses = body.get("addresses") if isinstance(body.get("addresses"), dict) else {}
    for api_key, prefix in API_ADDRESSES.items():
        address = addresses.get(api_key) if isinstance(addresses.get(api_key), dict) else {}
        for part in uc.ADDRESS_PARTS:
            values[f"{prefix}_{part}"] = _text(address.get(part))
    values["is_customer"] = "1" if body.get("is_customer", True) else ""
    values["is_supplier"] = "1" if body.get("is_supplier", False) else ""
    categories = body.get("categories") if isinstance(body.get("categories"), list) else []
    return uc.NewCompanyInput(kind=kind, categories=tuple(_text(c) for c in categories), **values)


def api_field(name: str) -> str:
    """A form field name as the API names it (``post_street`` → ``addresses.postal.street``)."""
    prefix, _sep, part = name.partition("_")
    for api_key, form_prefix in API_ADDRESSES.items():
        if prefix == form_prefix and part in uc.ADDRESS_PARTS:
            return f"addresses.{api_key}.{part}"
    return name


def _error(status: int, code: str, message: str, **extra):
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        login, _sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login.strip(), password


def classic_caller(password: str | None = None):
    """The classic session of this request: the user's (cookie) or a one-request login (HTTP Basic)."""
    svc = services()
    if g.get("api_basic"):
        creds = _basic_credentials()
        if svc.classic_auth is None or creds is None:
            return None
        return uc.OneCallClassicSession(svc.classic_auth, creds[0], creds[1])
    sid = g.get("sid")
    if svc.classic_sessions is None or not sid:
        return None
    return uc.UserClassicSession(svc.classic_sessions, session_hash(sid), current_user().login, password)


def _password_required(exc: NotAuthenticated):
    if g.get("api_basic"):
        return _error(401, "not_authenticated", _(exc.message))
    return _error(401, "classic_password_required", _(exc.message))


@bp.post("/companies")
def create_company():
    """Create a company or a private customer (CRM_WRITE) through ``SaveCompanies``; 201 with the
    stored company. 400 field errors, 409 likely duplicates (unless ``confirm_duplicates``)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_input", _(BAD_BODY))
    svc = services()
    data = input_from_json(body)
    create = uc.create_private_customer if data.is_private else uc.create_company
    password = body.get("classic_password") if isinstance(body.get("classic_password"), str) else None
    try:
        outcome = create(
            data, current_user(), classic=classic_caller(password or None), companies=svc.classic_companies,
            categories=svc.categories, search=svc.search, installation=svc.installation,
            confirm_duplicates=bool(body.get("confirm_duplicates")),
        )
    except InvalidInput as exc:
        params = exc.details.get("params") or {}
        fields = {}
        for name, message in (exc.details.get("fields") or {}).items():
            form_name = name
            if "." in str(name):  # the classic's own validation: post_address.street → post_street
                attr, _sep, part = str(name).partition(".")
                form_name = next((p + "_" + part for p, (a, _t) in uc.ADDRESS_BLOCKS.items() if a == attr), name)
            fields[api_field(str(form_name))] = _(str(message), **params.get(name, {}))
        return _error(400, "invalid_input", _(exc.message), fields=fields)
    except NotAuthenticated as exc:
        return _password_required(exc)
    if outcome.company is None:
        return _error(409, "possible_duplicates", _(DUPLICATES), duplicates=to_json(list(outcome.duplicates)))
    company = outcome.company
    body_out = {
        "company_id": company.company_id,
        "customer_no": company.customer_no,
        "supplier_no": company.supplier_no,
        "company": to_json(company),
        "warnings": [_(outcome.categories_error)] if outcome.categories_error else [],
    }
    response = jsonify(body_out)
    response.status_code = 201
    response.headers["Location"] = url_for("api.company_card", company_id=company.company_id)
    return response


@bp.delete("/companies/<int:company_id>")
def delete_company(company_id: int):
    """Soft-delete a company (CRM_DELETE) through ``DeleteCompanies``; 204. 422 with ``reasons``
    when the classic system refuses (open ledger items, orders), 404 unknown or already deleted."""
    svc = services()
    body = request.get_json(silent=True) if request.data else None
    password = body.get("classic_password") if isinstance(body, dict) else None
    try:
        uc.delete_company(company_id, current_user(), classic=classic_caller(password or None),
                          companies=svc.classic_companies)
    except ClassicRejected as exc:
        return _error(422, "classic_rejected", _(exc.message), reasons=refusal_texts(exc))
    except NotAuthenticated as exc:
        return _password_required(exc)
    return "", 204


@bp.get("/register")
def register_search():
    """Search the company register (CRM_WRITE): ``q`` name words or organisation number in any
    format, ``country`` SE/NO, ``max_hits`` 1..100 (default 20)."""
    try:
        max_hits = int(request.args.get("max_hits", uc.MAX_HITS))
    except ValueError:
        max_hits = uc.MAX_HITS
    hits = uc.lookup_register(request.args.get("q", ""), current_user(), register=services().register_lookup,
                              country=request.args.get("country"), max_hits=max_hits)
    return jsonify({"items": to_json(hits)})


@bp.get("/register/<path:org_no>")
def register_company(org_no: str):
    """The register's data of one company (CRM_WRITE), plus ``fields``: the values it gives the
    new-company fields (form names)."""
    country = request.args.get("country")
    company = uc.get_register_company(org_no, current_user(), register=services().register_lookup, country=country)
    return jsonify({**to_json(company), "fields": uc.register_fields(company, country)})


# --- OpenAPI ------------------------------------------------------------------------------------

STR = {"type": "string"}
STR_OR_NULL = {"type": ["string", "null"]}
INT_OR_NULL = {"type": ["integer", "null"]}
TEXT_OR_NUMBER = {"type": ["string", "number", "null"]}


def _error_response(description: str, extra: dict | None = None) -> dict:
    schema: dict = {"$ref": "#/components/schemas/Error"}
    if extra:
        schema = {"allOf": [schema, {"type": "object", "properties": {"error": {"type": "object", "properties": extra}}}]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ADDRESS_IN = {
    "type": "object",
    "properties": {"street": STR, "street2": STR, "postal_code": STR, "city": STR},
}
_REF = {"$ref": "#/components/schemas/NewCompany"}

OPENAPI_SCHEMAS = {
    "NewCompany": {
        "type": "object",
        "description": "A company (kind business, CompanyKind 1) or a private customer (kind private, "
        "CompanyKind 2: first_name + last_name, always a customer). Text as typed; limits are the "
        "classic column lengths (name 200, nick_name 100, org_no 20, vat_no 30, phone 50, email 200, "
        "web 200, street/street2 100, postal_code 20, city 100, invoice_email 200): longer values are "
        "refused, never cut. Organisation numbers are checked (SE Luhn, NO MOD11).",
        "properties": {
            "kind": {"type": "string", "enum": ["business", "private"], "default": "business"},
            "name": STR, "nick_name": STR, "first_name": STR, "last_name": STR,
            "org_no": {**STR, "description": "Any format; SE 10 digits (or 12 with century), NO 9 digits"},
            "vat_no": STR, "phone": STR, "email": STR, "web": STR,
            "owner_user_id": {"type": ["integer", "string", "null"], "description": "An active user (tblUser)"},
            "country": {**STR, "default": "SE", "description": "Two-letter code; the addresses are in it"},
            "categories": {"type": "array", "items": {"type": ["integer", "string"]},
                           "description": "CategoryID of live categories (business only)"},
            "addresses": {
                "type": "object",
                "description": "postal is required",
                "properties": {k: _ADDRESS_IN for k in API_ADDRESSES},
            },
            "is_customer": {"type": "boolean", "default": True},
            "is_supplier": {"type": "boolean", "default": False},
            "invoice_method": {"type": ["integer", "string", "null"], "description": "1 paper, 2 e-mail, 3 e-invoice"},
            "invoice_email": STR,
            "payment_days": {**TEXT_OR_NUMBER, "description": "0..365; empty = the installation's default"},
            "discount_pct": {**TEXT_OR_NUMBER, "description": "0..100, at most 2 decimals"},
            "currency": {**STR_OR_NULL, "description": "Empty = the base currency"},
            "credit_limit": {**TEXT_OR_NUMBER, "description": "In the base currency, >= 0"},
            "language_code": {**STR_OR_NULL, "enum": [*uc.LANGUAGES, "", None]},
            "confirm_duplicates": {"type": "boolean", "default": False,
                                   "description": "Save even when likely duplicates exist"},
            "classic_password": {**STR, "description": "Session clients: the password, when the classic "
                                 "session was gone (401 classic_password_required)"},
        },
    },
    "ClassicCompany": {
        "type": "object",
        "description": "The company as the classic service stored it.",
        "properties": {
            "company_id": {"type": "integer"}, "name": STR, "change_no": {"type": "integer"},
            "customer_no": INT_OR_NULL, "supplier_no": INT_OR_NULL, "org_no": STR_OR_NULL,
            "kind": INT_OR_NULL, "is_customer": {"type": "boolean"}, "is_supplier": {"type": "boolean"},
        },
    },
    "CreatedCompany": {
        "type": "object",
        "required": ["company_id", "company", "warnings"],
        "properties": {
            "company_id": {"type": "integer"},
            "customer_no": INT_OR_NULL,
            "supplier_no": INT_OR_NULL,
            "company": {"$ref": "#/components/schemas/ClassicCompany"},
            "warnings": {"type": "array", "items": STR,
                         "description": "e.g. the categories could not be saved (the company exists)"},
        },
    },
    "DuplicateCandidate": {
        "type": "object",
        "properties": {
            "company_id": {"type": "integer"}, "name": STR,
            "reasons": {"type": "array", "items": {"type": "string", "enum": ["org_no", "name"]}},
            "org_no": STR_OR_NULL, "customer_no": INT_OR_NULL, "supplier_no": INT_OR_NULL, "city": STR_OR_NULL,
            "kind": STR,
        },
    },
    "RegisterHit": {
        "type": "object",
        "properties": {"org_no": STR_OR_NULL, "name": STR_OR_NULL, "street": STR_OR_NULL,
                       "postal_code": STR_OR_NULL, "city": STR_OR_NULL, "country": STR_OR_NULL},
    },
}

_COMPANY_DELETE = {
    "summary": "Delete a company (soft delete, CRM_DELETE)",
    "operationId": "deleteCompany",
    "tags": ["companies"],
    "parameters": [{"name": "company_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "responses": {
        "204": {"description": "Deleted (Deleted = 1); links, persons and history stay"},
        "404": _error_response("Unknown or already deleted"),
        "422": _error_response("The classic system refused (open ledger items, orders)",
                               {"reasons": {"type": "array", "items": STR}}),
    },
}

_OWN_PATHS = {
    "/companies": {
        "post": {
            "summary": "Create a company or a private customer (CRM_WRITE) through SaveCompanies",
            "operationId": "createCompany",
            "tags": ["companies"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _REF}}},
            "responses": {
                "201": {"description": "Created; Location is the company's API address",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatedCompany"}}}},
                "400": _error_response("Invalid input; `fields` names each field with its message",
                                       {"fields": {"type": "object", "additionalProperties": STR}}),
                "409": _error_response("Likely duplicates; send again with confirm_duplicates",
                                       {"duplicates": {"type": "array",
                                                       "items": {"$ref": "#/components/schemas/DuplicateCandidate"}}}),
            },
        }
    },
    "/companies/{company_id}": {"delete": _COMPANY_DELETE},
    "/register": {
        "get": {
            "summary": "Search the company register (CRM_WRITE)",
            "operationId": "searchRegister",
            "tags": ["register"],
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": STR,
                 "description": "Name words or an organisation number in any format"},
                {"name": "country", "in": "query", "required": False, "schema": {"type": "string", "enum": ["SE", "NO"]}},
                {"name": "max_hits", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
            ],
            "responses": {
                "200": {"description": "Hits, best first",
                        "content": {"application/json": {"schema": {
                            "type": "object", "properties": {"items": {"type": "array", "items": {
                                "$ref": "#/components/schemas/RegisterHit"}}}}}}},
                "400": _error_response("Empty query"),
            },
        }
    },
    "/register/{org_no}": {
        "get": {
            "summary": "The register's data of one company (CRM_WRITE)",
            "operationId": "getRegisterCompany",
            "tags": ["register"],
            "parameters": [
                {"name": "org_no", "in": "path", "required": True, "schema": STR},
                {"name": "country", "in": "query", "required": False, "schema": {"type": "string", "enum": ["SE", "NO"]}},
            ],
            "responses": {
                "200": {"description": "CompanyData, and `fields`: the values for the new-company fields",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": _error_response("Not in the register"),
            },
        }
    },
}


def _merged_paths() -> dict:
    """This module's paths, each with the methods other API modules document for the same path.

    ``openapi.document()`` keeps one item per path (the last module's): ``/companies/{company_id}``
    is shared with the card (GET) and the edit (PATCH), so this module, which comes last, carries
    their methods too. Harmless once ``document()`` merges the methods of a path itself.
    """
    own = sys.modules[__name__]
    merged = {}
    for path, item in _OWN_PATHS.items():
        combined: dict = {}
        for name, module in sorted(sys.modules.items()):
            if module is own or not name.startswith(__package__ + ".") or module is None:
                continue
            other = module.__dict__.get("OPENAPI_PATHS")
            if isinstance(other, dict) and path in other:
                combined.update(other[path])
        combined.update(item)
        merged[path] = combined
    return merged


def __getattr__(name: str):
    # Computed when the OpenAPI document is built (every area module is loaded by then).
    if name == "OPENAPI_PATHS":
        return _merged_paths()
    raise AttributeError(name)
