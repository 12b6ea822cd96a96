"""The OpenAPI 3.1 document of ``/api/v1``, assembled from each area module's ``OPENAPI_PATHS``."""

from __future__ import annotations

import importlib
import pkgutil

from flask import jsonify, render_template

from . import bp

# Shared component schemas; area modules add theirs in ``OPENAPI_SCHEMAS``.
BASE_SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Money": {
        "type": "object",
        "description": "An amount; `amount` is a decimal string with 2 decimals.",
        "required": ["amount", "currency"],
        "properties": {"amount": {"type": "string", "examples": ["1234.50"]}, "currency": {"type": "string"}},
    },
}

ERRORS = {
    "401": {"description": "Not signed in / wrong credentials",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "403": {"description": "The user lacks the classic right",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "503": {"description": "The classic system cannot be reached",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}


def _area_modules():
    from . import __path__ as pkg_path

    for info in sorted(pkgutil.iter_modules(pkg_path), key=lambda m: m.name):
        if info.name not in ("openapi",) and not info.name.startswith("_"):
            yield importlib.import_module(f"{__package__}.{info.name}")


def document() -> dict:
    """The whole OpenAPI document (paths and schemas of every area module)."""
    paths: dict = {}
    schemas = dict(BASE_SCHEMAS)
    for module in _area_modules():
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            for op in item.values():
                responses = op.setdefault("responses", {})
                for code, resp in ERRORS.items():
                    responses.setdefault(code, resp)
            paths.setdefault(path, {}).update(item)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CRM Lite API",
            "version": "1.0.0",
            "description": "Reads (and writes) of the classic CRM through CRM Lite. Amounts are decimal "
            "strings; datetimes are the installation's local time without offset.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"basic": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic", "description": "Classic login and password"},
                "session": {"type": "apiKey", "in": "cookie", "name": "crm_lite_session"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document."""
    return jsonify(document())


@bp.get("/docs")
def docs():
    """A readable page listing the API's operations."""
    return render_template("api/docs.html", doc=document())


def load_area_modules() -> None:
    """Import every area module so its routes attach to the blueprint."""
    list(_area_modules())
