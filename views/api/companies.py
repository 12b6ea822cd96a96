"""``GET /api/v1/companies/{id}``: the company card's overview as JSON.

Reading a card through the API does not record a recent view (integrations and scripts must
not fill a user's Recently viewed menu); a client that shows the card to its user passes
``?record=1`` and the view is recorded as when the page is opened.
"""

from __future__ import annotations

from flask import jsonify, request

from facade import companies as companies_uc

from .._common import current_user, services
from . import bp
from ._json import to_json

_TRUE = ("1", "true", "yes")


def wants_record() -> bool:
    """True when the query asks to record the view (``?record=1``)."""
    return request.args.get("record", "").strip().lower() in _TRUE


@bp.get("/companies/<int:company_id>")
def company_card(company_id: int):
    """The company card (CRM_READ); 404 for an unknown or soft-deleted company."""
    svc = services()
    if wants_record():
        card = companies_uc.open_company_card(
            company_id,
            current_user(),
            companies=svc.companies,
            recent=svc.recent,
            installation=svc.installation,
            clock=svc.clock,
        )
    else:
        card = companies_uc.get_company_card(
            company_id,
            current_user(),
            companies=svc.companies,
            installation=svc.installation,
            clock=svc.clock,
        )
    body = to_json(card)
    paths = [c.text for c in card.categories]
    body["categories"] = [{**c, "path": p} for c, p in zip(body["categories"], paths, strict=True)]
    return jsonify(body)


STR = {"type": "string"}
STR_OR_NULL = {"type": ["string", "null"]}
INT = {"type": "integer"}
INT_OR_NULL = {"type": ["integer", "null"]}
BOOL = {"type": "boolean"}
DECIMAL_OR_NULL = {"type": ["string", "null"], "description": "Decimal as a string, 2 decimals"}
DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time", "description": "Local time, no offset"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def schema_ref(name: str, nullable: bool = False) -> dict:
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"oneOf": [ref, {"type": "null"}]} if nullable else ref


def listing_schema(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": schema_ref(item)},
            "total": {"type": "integer", "description": "All matching rows"},
        },
    }


RECORD_PARAM = {
    "name": "record",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["0", "1"]},
    "description": "1 = record the view in the user's Recently viewed list (default: not recorded)",
}

OPENAPI_SCHEMAS = {
    "CardUserRef": {
        "type": "object",
        "description": "A classic user (tblUser) named on a record.",
        "required": ["user_id", "name", "active"],
        "properties": {"user_id": INT, "name": STR, "active": BOOL},
    },
    "CardAddress": {
        "type": "object",
        "description": "tblAddress: AddrType 1 postal, 2 visiting, 3 delivery, 4 invoice.",
        "properties": {
            "addr_type": INT,
            "kind": {"type": "string", "enum": ["postal", "visiting", "delivery", "invoice"]},
            "line1": STR_OR_NULL,
            "line2": STR_OR_NULL,
            "post_code": STR_OR_NULL,
            "city": STR_OR_NULL,
            "country": STR_OR_NULL,
        },
    },
    "CardAudit": {
        "type": "object",
        "properties": {
            "created_at": DATETIME_OR_NULL,
            "created_by": schema_ref("CardUserRef", True),
            "changed_at": DATETIME_OR_NULL,
            "changed_by": schema_ref("CardUserRef", True),
            "change_no": INT,
        },
    },
    "CardActivity": {
        "type": "object",
        "description": "tblActivity: act_type 1 task (due_at), 2 appointment (start_at–end_at).",
        "properties": {
            "activity_id": INT,
            "act_type": INT,
            "subject": STR,
            "location": STR_OR_NULL,
            "start_at": DATETIME_OR_NULL,
            "end_at": DATETIME_OR_NULL,
            "due_at": DATETIME_OR_NULL,
            "done": BOOL,
            "done_at": DATETIME_OR_NULL,
            "priority": {**INT_OR_NULL, "description": "1 high, 2 normal, 3 low"},
            "owner": schema_ref("CardUserRef", True),
            "person_id": INT_OR_NULL,
            "person_name": STR_OR_NULL,
            "company_id": INT_OR_NULL,
            "company_name": STR_OR_NULL,
            "state": {"type": "string", "enum": list(companies_uc.ACTIVITY_STATES)},
        },
    },
    "CardActivityListing": listing_schema("CardActivity"),
    "CardWallPost": {
        "type": "object",
        "description": "tblWallPost: plain text as typed (CRLF kept).",
        "properties": {
            "post_id": INT,
            "body": STR,
            "created_at": DATETIME_OR_NULL,
            "author": schema_ref("CardUserRef", True),
            "changed_at": DATETIME_OR_NULL,
        },
    },
    "CardWallListing": listing_schema("CardWallPost"),
    "CompanyCardCompany": {
        "type": "object",
        "description": "The tblCompany row (texts trimmed; blank = null).",
        "properties": {
            "company_id": INT,
            "name": STR,
            "nick_name": STR_OR_NULL,
            "customer_no": INT_OR_NULL,
            "supplier_no": INT_OR_NULL,
            "org_no": {**STR_OR_NULL, "description": "As stored"},
            "vat_no": STR_OR_NULL,
            "company_kind": {"type": "integer", "description": "1 business, 2 private person"},
            "is_customer": BOOL,
            "is_supplier": BOOL,
            "phone": STR_OR_NULL,
            "fax": STR_OR_NULL,
            "email": STR_OR_NULL,
            "web": STR_OR_NULL,
            "notes": STR_OR_NULL,
            "owner": schema_ref("CardUserRef", True),
            "country": STR_OR_NULL,
            "currency": STR_OR_NULL,
            "payment_days": INT_OR_NULL,
            "invoice_method": {**INT_OR_NULL, "description": "1 paper, 2 e-mail (PDF), 3 e-invoice"},
            "invoice_email": STR_OR_NULL,
            "discount_pct": DECIMAL_OR_NULL,
            "credit_limit": DECIMAL_OR_NULL,
            "language_code": STR_OR_NULL,
            "addresses": {"type": "array", "items": schema_ref("CardAddress")},
            "audit": schema_ref("CardAudit"),
        },
    },
    "CompanyCard": {
        "type": "object",
        "description": "The company card's overview. Soft-deleted rows are left out everywhere.",
        "required": [
            "company",
            "kind",
            "contacts",
            "activities",
            "wall",
            "projects",
            "opportunities",
            "categories",
        ],
        "properties": {
            "company": schema_ref("CompanyCardCompany"),
            "kind": {"type": "string", "enum": list(companies_uc.KIND_LABELS)},
            "org_no_check": {
                "type": "object",
                "properties": {
                    "state": {"type": "string", "enum": list(companies_uc.ORGNO_STATES)},
                    "scheme": {
                        "type": ["string", "null"],
                        "enum": ["se_orgnr", "se_personnummer", "no_orgnr", None],
                    },
                },
            },
            "contacts": {
                "type": "array",
                "description": "Main contact first, then Swedish name order",
                "items": {
                    "type": "object",
                    "properties": {
                        "person_id": INT,
                        "name": STR,
                        "first_name": STR_OR_NULL,
                        "last_name": STR_OR_NULL,
                        "role": STR_OR_NULL,
                        "job_title": STR_OR_NULL,
                        "phone": STR_OR_NULL,
                        "mobile": STR_OR_NULL,
                        "email": STR_OR_NULL,
                        "is_main": BOOL,
                    },
                },
            },
            "activities": schema_ref("CardActivityListing"),
            "wall": schema_ref("CardWallListing"),
            "projects": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "project_id": INT,
                        "project_no": INT,
                        "name": STR,
                        "status": {
                            "type": "integer",
                            "description": "1 planned, 2 active, 3 completed, 4 cancelled",
                        },
                        "manager": schema_ref("CardUserRef", True),
                        "start_date": DATE_OR_NULL,
                        "end_date": DATE_OR_NULL,
                        "budget": {**DECIMAL_OR_NULL, "description": "Base currency"},
                    },
                },
            },
            "opportunities": {
                "type": "array",
                "description": "Open ones (stage 1-4) first",
                "items": {
                    "type": "object",
                    "properties": {
                        "opp_id": INT,
                        "title": STR,
                        "stage": {
                            "type": "integer",
                            "description": "1 lead, 2 qualified, 3 proposal, 4 negotiation, 5 won, 6 lost",
                        },
                        "amount": {"type": "string", "description": "In `currency`"},
                        "currency": STR,
                        "amount_base": {
                            **DECIMAL_OR_NULL,
                            "description": "In the base currency (null: no rate)",
                        },
                        "probability": INT_OR_NULL,
                        "close_date": DATE_OR_NULL,
                        "owner": schema_ref("CardUserRef", True),
                        "person_id": INT_OR_NULL,
                        "person_name": STR_OR_NULL,
                        "is_open": BOOL,
                        "overdue": {"type": "boolean", "description": "Open and the close date has passed"},
                    },
                },
            },
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "category_id": INT,
                        "names": {"type": "array", "items": STR},
                        "path": {"type": "string", "examples": ["Kundtyp › Återförsäljare"]},
                    },
                },
            },
            "payment_days": INT,
            "payment_days_is_default": BOOL,
            "currency": STR,
            "currency_is_default": BOOL,
            "base_currency": STR,
            "credit_limit": {"oneOf": [{"$ref": "#/components/schemas/Money"}, {"type": "null"}]},
            "classic_url": {**STR_OR_NULL, "description": "The record in the classic client"},
            "now": {"type": "string", "format": "date-time", "description": "Local time the card was read"},
        },
    },
}

OPENAPI_PATHS = {
    "/companies/{company_id}": {
        "get": {
            "tags": ["Cards"],
            "summary": "The company card's overview",
            "description": "tblCompany with addresses, contacts, activities (20 of all), wall (20 of all), "
            "projects, sales opportunities and categories. Needs CRM_READ. Does not record a "
            "recent view unless `record=1`.",
            "parameters": [
                {"name": "company_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                RECORD_PARAM,
            ],
            "responses": {
                "200": {
                    "description": "The card",
                    "content": {"application/json": {"schema": schema_ref("CompanyCard")}},
                },
                "404": {
                    "description": "Unknown or soft-deleted company",
                    "content": {"application/json": {"schema": schema_ref("Error")}},
                },
            },
        }
    }
}
