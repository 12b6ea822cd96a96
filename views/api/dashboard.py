"""``GET /api/v1/dashboard``: the start page's figures as JSON (``facade.dashboard.get_dashboard``)."""

from __future__ import annotations

from flask import jsonify

from facade.dashboard import get_dashboard

from .._common import current_user, services
from . import bp
from ._json import to_json


@bp.get("/dashboard")
def dashboard():
    """The signed-in user's dashboard; amounts are decimal strings in ``base_currency``."""
    svc = services()
    dash = get_dashboard(current_user(), queries=svc.dashboard, installation=svc.installation.get(), clock=svc.clock,
                         figures=svc.figures)
    return jsonify(to_json(dash))


_AMOUNT = {"type": "string", "description": "Decimal amount with 2 decimals in `base_currency`.",
           "examples": ["1234567.50"]}
_LOCAL_DT = {"type": "string", "description": "Installation's local time without offset.",
             "examples": ["2025-06-16T09:15:00"]}
_DATE = {"type": "string", "format": "date"}
_ID_OR_NULL = {"type": ["integer", "null"]}
_TEXT_OR_NULL = {"type": ["string", "null"]}

OPENAPI_SCHEMAS = {
    "DashboardMeeting": {
        "type": "object",
        "description": "An appointment (tblActivity ActType 2) of the user overlapping today.",
        "properties": {
            "activity_id": {"type": "integer"},
            "subject": {"type": "string"},
            "start_at": _LOCAL_DT,
            "end_at": _LOCAL_DT,
            "location": _TEXT_OR_NULL,
            "company_id": _ID_OR_NULL,
            "company_name": _TEXT_OR_NULL,
            "owner_user_id": _ID_OR_NULL,
            "owner_name": _TEXT_OR_NULL,
            "is_owner": {"type": "boolean", "description": "False: the user is a participant."},
            "starts_before_day": {"type": "boolean"},
            "ends_after_day": {"type": "boolean"},
            "in_progress": {"type": "boolean"},
        },
    },
    "DashboardTask": {
        "type": "object",
        "description": "An open task of the user due today or overdue.",
        "properties": {
            "activity_id": {"type": "integer"},
            "subject": {"type": "string"},
            "due_at": _LOCAL_DT,
            "priority": {"type": ["integer", "null"], "description": "1 high, 2 normal, 3 low"},
            "company_id": _ID_OR_NULL,
            "company_name": _TEXT_OR_NULL,
            "overdue": {"type": "boolean"},
        },
    },
    "DashboardCompany": {
        "type": "object",
        "properties": {
            "company_id": {"type": "integer"},
            "name": {"type": "string"},
            "city": _TEXT_OR_NULL,
            "customer_no": _ID_OR_NULL,
            "created_at": _LOCAL_DT,
        },
    },
    "DashboardSeller": {
        "type": "object",
        "description": "Sales credited to a seller this calendar year (Σ round(NetAmount × ExchangeRate, 2)).",
        "properties": {
            "user_id": {"type": "integer"},
            "full_name": _TEXT_OR_NULL,
            "active": {"type": "boolean"},
            "total": _AMOUNT,
            "month_total": _AMOUNT,
            "count": {"type": "integer", "description": "Invoices and credit notes"},
        },
    },
    "DashboardPipeline": {
        "type": "object",
        "description": "The user's open opportunities closing in [first, last]; each converted and "
        "rounded half-up to 2 decimals, then summed.",
        "properties": {
            "first": _DATE,
            "last": _DATE,
            "count": {"type": "integer"},
            "total": _AMOUNT,
            "weighted": _AMOUNT,
            "unconverted": {"type": "integer", "description": "Opportunities in a currency without rate "
                            "(counted, not in the sums)."},
        },
    },
    "Dashboard": {
        "type": "object",
        "required": ["user_id", "today", "base_currency", "meetings", "tasks", "newest_companies",
                     "pipeline_month", "pipeline_quarter"],
        "properties": {
            "user_id": {"type": "integer"},
            "now": _LOCAL_DT,
            "today": _DATE,
            "base_currency": {"type": "string", "examples": ["SEK"]},
            "meetings": {"type": "array", "items": {"$ref": "#/components/schemas/DashboardMeeting"}},
            "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/DashboardTask"}},
            "tasks_more": {"type": "boolean"},
            "newest_companies": {"type": "array", "items": {"$ref": "#/components/schemas/DashboardCompany"}},
            "year_first": _DATE,
            "year_last": _DATE,
            "top_sellers": {
                "type": ["array", "null"],
                "description": "Top 10 sellers this year; null without ORDER_READ.",
                "items": {"$ref": "#/components/schemas/DashboardSeller"},
            },
            "sales_month": {
                "type": ["object", "null"],
                "description": "Sales this month: the user's and the whole company's; null without ORDER_READ.",
                "properties": {"first": _DATE, "last": _DATE, "mine": _AMOUNT, "company": _AMOUNT},
            },
            "pipeline_month": {"$ref": "#/components/schemas/DashboardPipeline"},
            "pipeline_quarter": {"$ref": "#/components/schemas/DashboardPipeline"},
        },
    },
}

OPENAPI_PATHS = {
    "/dashboard": {
        "get": {
            "operationId": "getDashboard",
            "summary": "The signed-in user's dashboard: meetings and tasks today, newest companies, "
            "top sellers, pipeline and sales this month",
            "tags": ["dashboard"],
            "responses": {
                "200": {
                    "description": "The dashboard; periods are calendar periods in the installation's time zone",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dashboard"}}},
                }
            },
        }
    }
}
