"""PLACEHOLDER: the persons area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("persons", __name__)
