"""The JSON API's writes of the company card: edit a company, preview and do a merge.

- ``PATCH /api/v1/companies/{id}``: the fields to change plus the ``change_no`` read (409 with the
  differences when the company changed since; nothing written).
- ``GET /api/v1/companies/{id}/merge-preview?merge_id=``: what a merge would move, the fields to choose.
- ``POST /api/v1/companies/{id}/merge``: merge ``merge_id`` into ``{id}`` (classic ``MergeCompanies``).
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from facade import company_edit as edit_uc
from facade import company_merge as merge_uc
from facade.companies import ADDRESS_TYPES
from facade.errors import Conflict, InvalidInput, NotAuthenticated
from facade.ports_classic import PASSWORD_REQUIRED

from .._common import current_user, services
from ..company_edit import sid_hash, typed_password
from . import bp
from ._json import to_json

_KIND_OF_ADDRESS = {v: k for k, v in ADDRESS_TYPES.items()}  # postal → 1
BAD_BODY = "Send a JSON object."


def _invalid(message: str, fields: dict | None = None):
    body = {"error": {"code": "invalid_input", "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = 400
    return response


def _text(value) -> str | None:
    """A JSON value as form text: null clears (""), numbers as text; None for other types."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def company_json(c: edit_uc.EditableCompany) -> dict:
    """An ``EditableCompany`` as JSON: values as stored, addresses by kind."""
    body = to_json(c)
    body["addresses"] = {ADDRESS_TYPES[t]: to_json(a) for t, a in sorted(c.addresses.items())}
    return body


def _fields_json(fields: dict) -> dict:
    return {k: _(t.msgid, **t.params) if isinstance(t, edit_uc.Text) else str(t) for k, t in fields.items()}


@bp.patch("/companies/<int:company_id>")
def patch_company(company_id: int):
    """Change fields of ``tblCompany``/``tblAddress`` (CRM_WRITE); only the given fields are touched."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _invalid(_(BAD_BODY))
    change_no = body.get("change_no")
    if not isinstance(change_no, int) or isinstance(change_no, bool):
        return _invalid(_("change_no is required: the ChangeNo you read."), {"change_no": _("Required.")})
    submitted: dict[str, str] = {}
    problems: dict[str, str] = {}
    for key, value in body.items():
        if key == "change_no":
            continue
        if key == "addresses":
            if not isinstance(value, dict):
                problems[key] = _("An object of addresses by kind (postal, visiting, delivery, invoice).")
                continue
            for kind, address in value.items():
                addr_type = _KIND_OF_ADDRESS.get(kind)
                if addr_type is None or not isinstance(address, dict):
                    problems[f"addresses.{kind}"] = _("Unknown kind of address.")
                    continue
                for sub, v in address.items():
                    form_key = edit_uc.address_key(addr_type, sub)
                    text = _text(v)
                    if form_key not in edit_uc.ALL_KEYS or text is None:
                        problems[f"addresses.{kind}.{sub}"] = _("Unknown field or wrong type.")
                    else:
                        submitted[form_key] = text
            continue
        text = _text(value)
        if key not in edit_uc.ALL_KEYS or key.startswith("addr") or text is None:
            problems[key] = _("Unknown field or wrong type.")
            continue
        submitted[key] = text
    if problems:
        return _invalid(_("Check the marked fields."), problems)
    svc = services()
    try:
        saved = edit_uc.save_company_edit(company_id, submitted, current_user(), change_no=change_no,
                                          company_writes=svc.company_writes, installation=svc.installation,
                                          clock=svc.clock)
    except InvalidInput as exc:
        return _invalid(_(exc.message), _fields_json(exc.details.get("fields") or {}))
    except Conflict as exc:
        conflict = exc.details.get("conflict")
        if conflict is None:
            raise
        current = conflict.current
        response = jsonify({
            "error": {"code": "conflict", "message": _(exc.message)},
            "change_no": current.change_no,
            "changed_at": to_json(current.changed_at),
            "changed_by": to_json(current.changed_by),
            "differences": [{"field": ch.key, "yours": ch.yours, "now": ch.now} for ch in conflict.changes],
            "current": company_json(current),
        })
        response.status_code = 409
        return response
    return jsonify(company_json(saved))


def _merge_id_arg(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def preview_json(p: merge_uc.MergePreview) -> dict:
    """A ``MergePreview`` as JSON."""
    return {
        "keep": company_json(p.keep),
        "merge": company_json(p.merge),
        "areas": [{"area": a.area, "moved": a.moved, "moved_deleted": a.moved_hidden, "stays": a.stays,
                   "revived": a.revived} for a in p.areas],
        "moved_total": p.moved_total,
        "fields": [{"field": f.key, "keep": f.keep_text, "merge": f.merge_text, "both_set": f.clash,
                    "default": f.default} for f in p.fields],
        "notices": [_(n.msgid, **n.params) for n in p.notices],
    }


@bp.get("/companies/<int:company_id>/merge-preview")
def merge_preview(company_id: int):
    """What merging ``merge_id`` into this company would move (CRM_DELETE)."""
    merge_id = _merge_id_arg(request.args.get("merge_id"))
    if merge_id is None:
        return _invalid(_("merge_id is required."), {"merge_id": _("Required.")})
    svc = services()
    preview = merge_uc.preview_merge(company_id, merge_id, current_user(), merge_queries=svc.company_writes,
                                     installation=svc.installation)
    return jsonify(preview_json(preview))


@bp.post("/companies/<int:company_id>/merge")
def merge(company_id: int):
    """Merge ``merge_id`` into this company (CRM_DELETE; CRM_WRITE when values are taken)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _invalid(_(BAD_BODY))
    merge_id = _merge_id_arg(body.get("merge_id"))
    numbers = {k: body.get(k) for k in ("keep_change_no", "merge_change_no")}
    bad = {k: _("Required.") for k, v in numbers.items() if not isinstance(v, int) or isinstance(v, bool)}
    if merge_id is None:
        bad["merge_id"] = _("Required.")
    choices = body.get("choices") or {}
    if not isinstance(choices, dict) or not all(isinstance(v, str) for v in choices.values()):
        bad["choices"] = _("An object of field → keep or merge.")
    if bad:
        return _invalid(_("Check the marked fields."), bad)
    svc = services()
    password = body.get("password") if isinstance(body.get("password"), str) else None
    try:
        done = merge_uc.merge_companies(
            company_id, merge_id, choices, current_user(),
            keep_change_no=numbers["keep_change_no"], merge_change_no=numbers["merge_change_no"],
            merge_queries=svc.company_writes, merge_records=svc.merge_records,
            classic_companies=svc.classic_companies, classic_sessions=svc.classic_sessions,
            sid_hash=sid_hash(), installation=svc.installation, clock=svc.clock,
            password=typed_password(password),
        )
    except InvalidInput as exc:
        return _invalid(_(exc.message), _fields_json(exc.details.get("fields") or {}))
    except Conflict as exc:
        preview = exc.details.get("preview")
        if preview is None:
            raise
        response = jsonify({"error": {"code": "conflict", "message": _(exc.message)}, "preview": preview_json(preview)})
        response.status_code = 409
        return response
    except NotAuthenticated as exc:
        if exc.details.get("reason") != PASSWORD_REQUIRED:
            raise
        response = jsonify({"error": {"code": PASSWORD_REQUIRED, "message": _(exc.message)}})
        response.status_code = 401
        return response
    r = done.record
    return jsonify({
        "merge_id": r.merge_id,
        "kept_company_id": r.kept_company_id,
        "merged_company_id": r.merged_company_id,
        "moved_rows": r.moved_rows,
        "areas": r.areas,
        "choices": [{"field": c.key, "value": c.value} for c in r.choices],
        "choices_saved": r.choices_saved,
        "notices": [_(n.msgid, **n.params) for n in done.notices],
    })


ERROR = {"$ref": "#/components/schemas/Error"}
_JSON_ERROR = {"content": {"application/json": {"schema": ERROR}}}
_ID = {"name": "company_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_TEXT = {"type": ["string", "null"]}

OPENAPI_SCHEMAS = {
    "CompanyEditAddress": {
        "type": "object",
        "description": "tblAddress fields; null or \"\" clears a field.",
        "properties": {k: _TEXT for k in ("line1", "line2", "post_code", "city", "country")},
    },
    "CompanyPatch": {
        "type": "object",
        "required": ["change_no"],
        "description": "The fields to change (others stay as they are) and the ChangeNo you read. Texts are "
                       "trimmed (notes kept as sent); null or \"\" clears a field. Numbers may be sent as numbers "
                       "or strings.",
        "properties": {
            "change_no": {"type": "integer", "description": "tblCompany.ChangeNo as read"},
            "name": {"type": "string", "maxLength": 200},
            "nick_name": _TEXT, "org_no": {**_TEXT, "description": "SE/NO numbers are checked and stored as classic does"},
            "vat_no": _TEXT, "kind": {"type": ["integer", "string"], "description": "1 business, 2 private person"},
            "country": _TEXT, "owner_user_id": {"type": ["integer", "string", "null"]},
            "phone": _TEXT, "fax": _TEXT, "email": _TEXT, "web": _TEXT,
            "invoice_method": {"type": ["integer", "string", "null"], "description": "1 paper, 2 e-mail, 3 e-invoice"},
            "invoice_email": _TEXT, "payment_days": {"type": ["integer", "string", "null"]},
            "discount_pct": {"type": ["number", "string", "null"]}, "currency": _TEXT,
            "credit_limit": {"type": ["number", "string", "null"]}, "language_code": _TEXT, "notes": _TEXT,
            "addresses": {
                "type": "object",
                "properties": {k: {"$ref": "#/components/schemas/CompanyEditAddress"}
                               for k in ("postal", "visiting", "delivery", "invoice")},
            },
        },
    },
    "EditableCompany": {
        "type": "object",
        "description": "tblCompany as stored (not trimmed) with its addresses by kind.",
        "properties": {"company_id": {"type": "integer"}, "change_no": {"type": "integer"}, "name": {"type": "string"}},
        "additionalProperties": True,
    },
    "CompanyConflict": {
        "type": "object",
        "properties": {
            "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "change_no": {"type": "integer", "description": "The ChangeNo now: send it to re-apply your edit"},
            "changed_at": {"type": ["string", "null"], "format": "date-time"},
            "changed_by": {"type": ["object", "null"]},
            "differences": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "yours": {"type": "string"}, "now": {"type": "string"}}}},
            "current": {"$ref": "#/components/schemas/EditableCompany"},
        },
    },
    "MergePreview": {
        "type": "object",
        "properties": {
            "keep": {"$ref": "#/components/schemas/EditableCompany"},
            "merge": {"$ref": "#/components/schemas/EditableCompany"},
            "areas": {"type": "array", "items": {"type": "object", "properties": {
                "area": {"type": "string", "enum": list(merge_uc.AREAS)}, "moved": {"type": "integer"},
                "moved_deleted": {"type": "integer"}, "stays": {"type": "integer"}, "revived": {"type": "integer"}}}},
            "moved_total": {"type": "integer"},
            "fields": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "keep": {"type": "string"}, "merge": {"type": "string"},
                "both_set": {"type": "boolean"}, "default": {"type": "string", "enum": ["keep", "merge"]}}}},
            "notices": {"type": "array", "items": {"type": "string"}},
        },
    },
    "MergeRequest": {
        "type": "object",
        "required": ["merge_id", "keep_change_no", "merge_change_no"],
        "properties": {
            "merge_id": {"type": "integer", "description": "The duplicate: merged into {company_id} and deleted"},
            "keep_change_no": {"type": "integer"}, "merge_change_no": {"type": "integer"},
            "choices": {"type": "object", "additionalProperties": {"type": "string", "enum": ["keep", "merge"]},
                        "description": "Per field of the preview; missing = the preview's default"},
            "password": {"type": "string", "description": "Only when asked (error classic_password_required)"},
        },
    },
    "MergeResult": {
        "type": "object",
        "properties": {
            "merge_id": {"type": ["integer", "null"]}, "kept_company_id": {"type": "integer"},
            "merged_company_id": {"type": "integer"}, "moved_rows": {"type": "integer"},
            "areas": {"type": "object", "additionalProperties": {"type": "integer"}},
            "choices": {"type": "array", "items": {"type": "object"}}, "choices_saved": {"type": "boolean"},
            "notices": {"type": "array", "items": {"type": "string"}},
        },
    },
}

# ``openapi.document`` merges the operations of one path from every module (the card's GET is in
# ``companies.py``, the delete in ``company_writes.py``).
OPENAPI_PATHS = {
    "/companies/{company_id}": {
        "patch": {
            "tags": ["Companies"],
            "summary": "Change a company's fields and addresses",
            "description": "Writes tblCompany (ChangedAt/ChangedBy, ChangeNo + 1, only when ChangeNo is still "
                           "`change_no`) and tblAddress in one transaction. Needs CRM_WRITE.",
            "parameters": [_ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CompanyPatch"}}}},
            "responses": {
                "200": {"description": "The company as stored now", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EditableCompany"}}}},
                "400": {"description": "Invalid fields (error.fields)", **_JSON_ERROR},
                "404": {"description": "Unknown or deleted company", **_JSON_ERROR},
                "409": {"description": "Changed since you read it; nothing written", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CompanyConflict"}}}},
            },
        }
    },
    "/companies/{company_id}/merge-preview": {
        "get": {
            "tags": ["Companies"],
            "summary": "What merging a duplicate into this company would move",
            "description": "Rows per area (by the rules of MergeCompanies) and the fields to choose. Needs CRM_DELETE.",
            "parameters": [_ID, {"name": "merge_id", "in": "query", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {"description": "The preview", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/MergePreview"}}}},
                "400": {"description": "merge_id missing or equal to company_id", **_JSON_ERROR},
                "404": {"description": "Either company unknown or deleted", **_JSON_ERROR},
            },
        }
    },
    "/companies/{company_id}/merge": {
        "post": {
            "tags": ["Companies"],
            "summary": "Merge a duplicate into this company",
            "description": "Classic MergeCompanies, then the chosen values saved with SaveCompanies; a merge "
                           "record is kept and recently viewed lists name the survivor. Needs CRM_DELETE "
                           "(and CRM_WRITE when a value is taken).",
            "parameters": [_ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/MergeRequest"}}}},
            "responses": {
                "200": {"description": "Merged", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/MergeResult"}}}},
                "400": {"description": "Invalid request or choice", **_JSON_ERROR},
                "404": {"description": "Either company unknown or deleted", **_JSON_ERROR},
                "409": {"description": "A company changed since the preview; nothing merged (body.preview)",
                        **_JSON_ERROR},
                "422": {"description": "The classic system refused the merge", **_JSON_ERROR},
            },
        }
    },
}
