"""``GET /api/v1/persons/{id}`` (contact card) and ``GET /api/v1/employees/{id}`` (employee card).

Like the company card, an API read records no recent view unless ``?record=1``.
"""

from __future__ import annotations

from flask import jsonify

from facade import employees as employees_uc
from facade import persons as persons_uc

from .._common import current_user, services
from . import bp
from ._json import to_json
from .companies import (
    BOOL,
    DATETIME_OR_NULL,
    INT,
    INT_OR_NULL,
    RECORD_PARAM,
    STR,
    STR_OR_NULL,
    schema_ref,
    wants_record,
)


@bp.get("/persons/<int:person_id>")
def person_card(person_id: int):
    """The contact card (CRM_READ); 404 for an unknown or soft-deleted person."""
    svc = services()
    if wants_record():
        card = persons_uc.open_person_card(
            person_id,
            current_user(),
            persons=svc.persons,
            recent=svc.recent,
            installation=svc.installation,
            clock=svc.clock,
        )
    else:
        card = persons_uc.get_person_card(
            person_id, current_user(), persons=svc.persons, installation=svc.installation, clock=svc.clock
        )
    return jsonify(to_json(card))


@bp.get("/employees/<int:user_id>")
def employee_card(user_id: int):
    """The employee card (CRM_READ); 404 for an unknown user. Never contains password data."""
    svc = services()
    if wants_record():
        card = employees_uc.open_employee_card(
            user_id,
            current_user(),
            employees=svc.employees,
            recent=svc.recent,
            installation=svc.installation,
            clock=svc.clock,
        )
    else:
        card = employees_uc.get_employee_card(
            user_id, current_user(), employees=svc.employees, installation=svc.installation, clock=svc.clock
        )
    return jsonify(to_json(card))


OPENAPI_SCHEMAS = {
    "PersonCard": {
        "type": "object",
        "description": "The contact card's overview (tblPerson). Soft-deleted rows are left out.",
        "required": ["person", "companies", "activities", "wall"],
        "properties": {
            "person": {
                "type": "object",
                "properties": {
                    "person_id": INT,
                    "name": STR,
                    "first_name": STR_OR_NULL,
                    "last_name": STR_OR_NULL,
                    "job_title": STR_OR_NULL,
                    "phone": STR_OR_NULL,
                    "mobile": STR_OR_NULL,
                    "email": STR_OR_NULL,
                    "notes": STR_OR_NULL,
                    "owner": schema_ref("CardUserRef", True),
                    "addresses": {"type": "array", "items": schema_ref("CardAddress")},
                    "audit": schema_ref("CardAudit"),
                },
            },
            "companies": {
                "type": "array",
                "description": "Live companies on live links; main-contact links first",
                "items": {
                    "type": "object",
                    "properties": {
                        "company_id": INT,
                        "name": STR,
                        "kind": STR,
                        "customer_no": INT_OR_NULL,
                        "role": STR_OR_NULL,
                        "is_main": BOOL,
                    },
                },
            },
            "activities": schema_ref("CardActivityListing"),
            "wall": schema_ref("CardWallListing"),
            "classic_url": STR_OR_NULL,
            "now": DATETIME_OR_NULL,
        },
    },
    "EmployeeCard": {
        "type": "object",
        "description": "A classic user (tblUser, without password data), the companies they own (the first "
        "20 in name order, of `total`), coming appointments and open tasks.",
        "required": ["employee", "companies", "appointments", "open_tasks"],
        "properties": {
            "employee": {
                "type": "object",
                "properties": {
                    "user_id": INT,
                    "full_name": STR,
                    "title": STR_OR_NULL,
                    "initials": STR_OR_NULL,
                    "email": STR_OR_NULL,
                    "phone": STR_OR_NULL,
                    "active": BOOL,
                    "created_at": DATETIME_OR_NULL,
                },
            },
            "companies": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "company_id": INT,
                                "name": STR,
                                "kind": STR,
                                "customer_no": INT_OR_NULL,
                            },
                        },
                    },
                    "total": INT,
                },
            },
            "appointments": schema_ref("CardActivityListing"),
            "open_tasks": schema_ref("CardActivityListing"),
            "now": DATETIME_OR_NULL,
        },
    },
}

OPENAPI_PATHS = {
    "/persons/{person_id}": {
        "get": {
            "tags": ["Cards"],
            "summary": "The contact card's overview",
            "description": "tblPerson with addresses, its companies, activities and wall. Needs CRM_READ. "
            "Does not record a recent view unless `record=1`.",
            "parameters": [
                {"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                RECORD_PARAM,
            ],
            "responses": {
                "200": {
                    "description": "The card",
                    "content": {"application/json": {"schema": schema_ref("PersonCard")}},
                },
                "404": {
                    "description": "Unknown or soft-deleted person",
                    "content": {"application/json": {"schema": schema_ref("Error")}},
                },
            },
        }
    },
    "/employees/{user_id}": {
        "get": {
            "tags": ["Cards"],
            "summary": "The employee card",
            "description": "A classic user (tblUser), the companies they own, coming appointments and open "
            "tasks. Needs CRM_READ. Does not record a recent view unless `record=1`.",
            "parameters": [
                {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                RECORD_PARAM,
            ],
            "responses": {
                "200": {
                    "description": "The card",
                    "content": {"application/json": {"schema": schema_ref("EmployeeCard")}},
                },
                "404": {
                    "description": "Unknown user",
                    "content": {"application/json": {"schema": schema_ref("Error")}},
                },
            },
        }
    },
}
