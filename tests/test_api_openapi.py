"""The OpenAPI document is valid and describes every route of /api/v1."""

from __future__ import annotations

import base64
import re

from openapi_spec_validator import validate

BASIC = {"Authorization": "Basic " + base64.b64encode(b"anna:classic").decode()}


def test_openapi_document_is_valid(client):
    r = client.get("/api/v1/openapi.json", headers=BASIC)
    assert r.status_code == 200
    validate(r.get_json())


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json", headers=BASIC).get_json()
    documented = set()
    for path, item in doc["paths"].items():
        for method in item:
            documented.add((method.upper(), "/api/v1" + re.sub(r"\{[^}]+\}", "{}", path)))
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ("api.openapi_json", "api.docs"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, path) not in documented:
                missing.append(f"{method} {path}")
    assert not missing, f"routes missing from the OpenAPI document: {missing}"


def test_api_errors_are_json(client):
    r = client.get("/api/v1/companies/999999999", headers=BASIC)
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"
