"""``GET /api/v1/recent``: the signed-in user's recently viewed records, newest first."""

from __future__ import annotations

from flask import jsonify

from facade import recent as recent_uc

from .._common import current_user, services
from ..recent import card_url
from . import bp
from ._json import to_json


@bp.get("/recent")
def recent():
    """At most 20 records, newest first; records soft-deleted since are left out."""
    svc = services()
    items = recent_uc.recently_viewed(current_user(), recent=svc.recent, installation=svc.installation)
    return jsonify({"items": [{**to_json(i), "url": card_url(i.kind, i.record_id)} for i in items]})


OPENAPI_SCHEMAS = {
    "RecentItem": {
        "type": "object",
        "required": ["kind", "record_id", "name", "label", "viewed_at", "url"],
        "properties": {
            "kind": {"type": "string", "enum": list(recent_uc.KINDS)},
            "record_id": {"type": "integer", "description": "CompanyID, PersonID or UserID"},
            "name": {"type": "string"},
            "label": {"type": "string", "enum": list(recent_uc.LABELS)},
            "viewed_at": {"type": "string", "format": "date-time", "description": "Local time, no offset"},
            "url": {"type": "string", "examples": ["/companies/77"]},
        },
    },
}

OPENAPI_PATHS = {
    "/recent": {
        "get": {
            "tags": ["Cards"],
            "summary": "Recently viewed records",
            "description": "The company, contact and employee cards the signed-in user opened last (at most "
            "20, newest first), without records soft-deleted since. Kept in CRM Lite's own store.",
            "responses": {
                "200": {
                    "description": "The list",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["items"],
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/RecentItem"},
                                    }
                                },
                            }
                        }
                    },
                },
            },
        }
    }
}
