"""``GET /api/v1/search``: the global search as JSON (``facade.search.search_everything``)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from facade import search as search_uc
from facade.errors import InvalidInput

from .._common import current_user, services
from ..search import hit_url
from . import bp
from ._json import to_json

DEFAULT_LIMIT = 20


@bp.get("/search")
def search():
    """Hits per kind for ``q``; ``kind`` (comma-separated) restricts the kinds, ``limit`` (1..200)
    is the number of hits per kind. A query under 2 characters answers ``too_short: true``."""
    raw_limit = request.args.get("limit", "").strip()
    try:
        limit = int(raw_limit) if raw_limit else DEFAULT_LIMIT
    except ValueError:
        raise InvalidInput(_("The limit must be between 1 and 200."), fields={"limit": "1..200"}) from None
    kinds = [k.strip() for k in request.args.get("kind", "").split(",") if k.strip()] or None
    found = search_uc.search_everything(
        request.args.get("q", ""), current_user(), queries=services().search, limit_per_kind=limit, kinds=kinds
    )
    body = to_json(found)
    body["message"] = _(found.message) if found.message else None
    body["total"] = found.total
    for group, group_json in zip(found.groups, body["groups"]):
        group_json["more"] = group.more
        for hit, hit_json in zip(group.hits, group_json["hits"]):
            hit_json["url"] = hit_url(hit)
            hit_json["is_prospect"] = hit.is_prospect
    return jsonify(body)


_TEXT_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}

OPENAPI_SCHEMAS = {
    "SearchCompanyRef": {
        "type": "object",
        "description": "A live company the person is linked to (main contact link first).",
        "properties": {"company_id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "SearchHit": {
        "type": "object",
        "description": "A found company (tblCompany), person (tblPerson) or employee (tblUser). Fields that "
        "do not apply to the record are null/false/empty.",
        "required": ["kind", "record", "id", "title", "rank", "matched_on", "url"],
        "properties": {
            "kind": {"type": "string", "enum": list(search_uc.KINDS)},
            "record": {"type": "string", "enum": ["company", "person", "employee"]},
            "id": {"type": "integer", "description": "CompanyID, PersonID or UserID"},
            "url": {"type": "string", "description": "The card in CRM Lite", "examples": ["/companies/5"]},
            "title": {"type": "string"},
            "rank": {"type": "integer", "description": "0 exact, 1 starts with the query, 2 a word starts "
                     "with each query word, 3 contains the query words"},
            "matched_on": {"type": "string", "enum": ["name", "org_no", "customer_no", "supplier_no", "phone",
                                                      "mobile", "email"]},
            "matched_value": {**_TEXT_OR_NULL, "description": "The stored value that matched (not for names)."},
            "nick_name": _TEXT_OR_NULL,
            "city": {**_TEXT_OR_NULL, "description": "Visiting address, else postal address (companies)."},
            "customer_no": _INT_OR_NULL,
            "supplier_no": _INT_OR_NULL,
            "org_no": {**_TEXT_OR_NULL, "description": "As stored. For private customers (a personal identity "
                       "number) only when the query matched it."},
            "is_customer": {"type": "boolean"},
            "is_supplier": {"type": "boolean"},
            "is_prospect": {"type": "boolean"},
            "job_title": _TEXT_OR_NULL,
            "companies": {"type": "array", "items": {"$ref": "#/components/schemas/SearchCompanyRef"}},
            "employee_title": _TEXT_OR_NULL,
            "login": _TEXT_OR_NULL,
            "active": {"type": "boolean", "description": "False for an inactive employee."},
            "phone": _TEXT_OR_NULL,
            "email": _TEXT_OR_NULL,
        },
    },
    "SearchGroup": {
        "type": "object",
        "required": ["kind", "hits", "total", "truncated", "more"],
        "properties": {
            "kind": {"type": "string", "enum": list(search_uc.KINDS)},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            "total": {"type": "integer", "description": "Hits found (a lower bound when truncated)."},
            "truncated": {"type": "boolean", "description": "More candidates than are ranked: refine the query."},
            "more": {"type": "boolean", "description": "Some hits are not in `hits`."},
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "too_short", "groups", "total"],
        "properties": {
            "query": {"type": "string"},
            "too_short": {"type": "boolean", "description": "True when the query has fewer than 2 characters "
                          "(nothing was searched)."},
            "message": _TEXT_OR_NULL,
            "total": {"type": "integer"},
            "groups": {"type": "array", "description": "Non-empty groups in the order company, supplier, "
                       "private, contact, employee.",
                       "items": {"$ref": "#/components/schemas/SearchGroup"}},
        },
    },
}

OPENAPI_PATHS = {
    "/search": {
        "get": {
            "summary": "Search companies, suppliers, private customers, contacts and employees",
            "description": "Names (every word must occur; case and accents other than å ä ö æ ø are ignored), "
            "organisation numbers in any format, customer/supplier numbers, phone numbers in any format, "
            "e-mail addresses (a query with @). Deleted rows never appear. Needs CRM_READ.",
            "operationId": "search",
            "tags": ["search"],
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 200}},
                {"name": "kind", "in": "query", "required": False,
                 "description": "Comma-separated kinds to return (default: all): " + ", ".join(search_uc.KINDS),
                 "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": False, "description": "Hits per kind",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": DEFAULT_LIMIT}},
            ],
            "responses": {
                "200": {"description": "Hits grouped by kind",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                "400": {"description": "Unknown kind or limit out of range",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }
    }
}
