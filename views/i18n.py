"""Flask-Babel: Swedish by default, English available; the user's choice, else the browser's."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import Blueprint, Flask, redirect, request
from flask_babel import Babel, get_translations, gettext

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


_HELD: ContextVar[tuple[object, Any] | None] = ContextVar("crm_lite_translations", default=None)


def request_translations() -> Any:
    """The current request's Flask-Babel translations, looked up once per request: Flask-Babel's
    own ``get_translations`` walks ``g`` and the locale on each of the hundred or so texts a page
    translates. Outside a request: Flask-Babel's answer as it is."""
    try:
        req = request._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return get_translations()
    held = _HELD.get()
    if held is not None and held[0] is req:
        return held[1]
    translations = get_translations()
    _HELD.set((req, translations))
    return translations


def init_app(app: Flask) -> None:
    """Configure Flask-Babel and the Jinja filters."""
    from pathlib import Path

    from .formatting import FILTERS

    app.config["BABEL_DEFAULT_LOCALE"] = "sv"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)
    # Templates' _() / ngettext: Flask-Babel's callables, with the translations looked up once.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
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
