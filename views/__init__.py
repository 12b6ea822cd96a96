"""The Flask app: ``create_app(settings, services)`` and one blueprint per area."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None, services=None) -> Flask:
    """Build the app. Tests pass their own ``settings`` and ``services``; nothing happens at import."""
    from config.wiring import build_services

    from . import auth, errors, i18n, security

    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(HERE / "static"),
        static_url_path="/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="crm_lite_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        TESTING=settings.testing,
    )
    app.extensions["crm_lite"] = services
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    i18n.init_app(app)
    security.init_app(app, settings)
    errors.init_app(app)
    auth.init_app(app)

    from . import (
        api,
        classic,
        companies,
        company_create,
        company_edit,
        dashboard,
        employees,
        exports,
        persons,
        recent,
        search,
        shortcuts,
        tabs,
    )

    for module in (auth, dashboard, search, companies, persons, employees, recent, classic, tabs, api,
                   exports, shortcuts, company_create, company_edit):
        app.register_blueprint(module.bp)

    @app.get("/health")
    def health():
        """Liveness: the app answers (no database call)."""
        return {"status": "ok"}

    @app.context_processor
    def _globals():
        return {"current_user": g.get("user"), "request_path": request.path}

    scope = getattr(services, "request_scope", None)
    if scope is not None:
        app.wsgi_app = _Scoped(app.wsgi_app, scope)  # type: ignore[method-assign]
    return app


class _Scoped:
    """WSGI wrapper: each request runs inside ``scope()`` (the adapters' per-request connections)."""

    def __init__(self, wsgi_app, scope) -> None:
        self.wsgi_app = wsgi_app
        self.scope = scope

    def __call__(self, environ, start_response):
        with self.scope():
            return self.wsgi_app(environ, start_response)
