"""PLACEHOLDER: the employees area's views (to be written)."""

from flask import Blueprint

bp = Blueprint("employees", __name__)
