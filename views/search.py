"""PLACEHOLDER: the search area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    return "search"


@bp.get("/search/typeahead")
def typeahead():
    return {}
