"""PLACEHOLDER: the tabs area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("tabs", __name__)
