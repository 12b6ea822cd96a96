"""JSON API ``/api/v1``: the same reads (and later writes) as the pages.

Authenticated by the CRM Lite session cookie (then POSTs need the CSRF token in the
``X-CSRFToken`` header) or by HTTP Basic with classic credentials. Each area's routes live
in a module of this package and describe themselves in ``OPENAPI_PATHS``; ``openapi.py``
assembles the document served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Import the route modules so they attach to ``bp`` (order = order in the OpenAPI document).
from . import openapi

openapi.load_area_modules()
