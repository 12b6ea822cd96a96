"""One place that maps facade errors to status codes, pages and API error bodies."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from facade.errors import (
    ClassicRejected,
    ClassicUnavailable,
    Conflict,
    CrmLiteError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from facade.i18n import N_

log = logging.getLogger("crm_lite")

STATUS = {
    NotAuthenticated: (401, "not_authenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    InvalidInput: (400, "invalid_input"),
    Conflict: (409, "conflict"),
    ClassicRejected: (422, "classic_rejected"),
    ClassicUnavailable: (503, "classic_unavailable"),
}

TITLES = {
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    400: N_("Check your input"),
    409: N_("Changed by someone else"),
    422: N_("The classic system said no"),
    503: N_("The classic system cannot be reached"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, code: str, message: str):
    """An error as JSON (API) or as a page with a translated title and message."""
    if _wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
        response.status_code = status
        return response
    title = _(TITLES.get(status, "Something went wrong"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def translated(exc: CrmLiteError) -> str:
    """The error's message in the user's language, its ``%(name)s`` placeholders filled from details."""
    if not exc.message:
        return _(TITLES.get(500, ""))
    message = _(exc.message)
    if "%(" in message:
        try:
            message = message % {k: v for k, v in exc.details.items() if isinstance(v, (str, int))}
        except (KeyError, ValueError, TypeError):
            pass
    return message


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CrmLiteError)
    def _facade_error(exc: CrmLiteError):
        status, code = 500, "error"
        for cls in type(exc).__mro__:
            if cls in STATUS:
                status, code = STATUS[cls]
                break
        if status >= 500:
            log.warning("%s on %s: %s", type(exc).__name__, request.path, exc.message, exc_info=exc.__cause__)
        return render_error(status, code, translated(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return render_error(400, "csrf", _("The form has expired. Reload the page and try again."))

    @app.errorhandler(429)
    def _too_many(exc):
        return render_error(429, "rate_limited", _("Too many failed sign-ins. Wait a few minutes and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        return render_error(status, exc.name.lower().replace(" ", "_"), _(TITLES.get(status, exc.name)))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("Unexpected error on %s", request.path)
        return render_error(500, "server_error", _("An unexpected error occurred. It has been logged."))
