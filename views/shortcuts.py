"""Keyboard shortcuts (blueprint "help"): the ``/shortcuts`` page (works without JavaScript) and the list that the
help dialog (``templates/_shortcuts.html``, opened with ``?`` by ``static/shortcuts.js``) shows.

One list, ``keyboard_shortcuts()``, feeds both. The keys themselves are handled in the browser:
``/`` by ``typeahead.js``, the rest by ``shortcuts.js``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

bp = Blueprint("help", __name__)


@dataclass(frozen=True)
class Shortcut:
    """Keys pressed together (``combos``: alternatives, each a tuple of keys pressed one after the
    other) and what they do, translated."""

    combos: tuple[tuple[str, ...], ...]
    description: str


@bp.app_template_global("keyboard_shortcuts")
def keyboard_shortcuts() -> list[tuple[str, list[Shortcut]]]:
    """The shortcuts by section: ``[(section title, [Shortcut, …])]``, texts in the user's language."""
    return [
        (_("Everywhere"), [
            Shortcut((("/",),), _("Go to the search box")),
            Shortcut((("?",),), _("Show the keyboard shortcuts")),
            Shortcut((("g", "d"),), _("Go to the dashboard")),
            Shortcut((("g", "r"),), _("Go to recently viewed")),
            Shortcut((("Esc",),), _("Close this dialog or an open menu")),
        ]),
        (_("In the search box"), [
            Shortcut((("↑",), ("↓",)), _("Move between the suggestions")),
            Shortcut((("Enter",),), _("Open the chosen suggestion, or search")),
            Shortcut((("Esc",),), _("Close the suggestions")),
        ]),
    ]


@bp.get("/shortcuts")
def shortcuts():
    """The keyboard shortcuts as a plain page."""
    return render_template("help/shortcuts.html")


@bp.app_template_global("static_fragment")
def static_fragment(name: str) -> Markup:
    """The HTML of template ``name``, rendered once per UI language and kept for the app's life:
    for fragments that depend on nothing but the language (the keyboard shortcuts dialog that
    every page carries)."""
    cache = current_app.extensions.setdefault("crm_lite_fragments", {})
    key = (str(get_locale()), name)
    html = cache.get(key)
    if html is None:
        html = cache[key] = Markup(render_template(name))
    return html
