"""Flask-Babel: Swedish by default, English available; the user's choice, else the browser's."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request
from flask_babel import Babel, gettext

from ._common import safe_next

LANGUAGES = ("sv", "en")
COOKIE = "crm_lite_lang"
babel = Babel()


def select_locale() -> str:
    """The language: the user's choice (cookie), else the browser's best match, else Swedish."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "sv"


def init_app(app: Flask) -> None:
    """Configure Flask-Babel and the Jinja filters."""
    from pathlib import Path

    from .formatting import FILTERS

    app.config["BABEL_DEFAULT_LOCALE"] = "sv"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters["t"] = gettext  # translate a facade message (an English msgid)
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["current_language"] = select_locale


bp = Blueprint("language", __name__)


@bp.post("/language")
def choose_language():
    """Remember the chosen language in a cookie (a year) and go back."""
    lang = request.form.get("lang", "sv")
    response = redirect(safe_next(request.form.get("next"), "/"))
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
