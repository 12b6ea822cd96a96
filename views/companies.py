"""PLACEHOLDER: the companies area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("companies", __name__)
