"""PLACEHOLDER: the recent area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("recent", __name__)
