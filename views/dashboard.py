"""PLACEHOLDER: the dashboard area's views (to be written)."""

from flask import Blueprint, render_template_string

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    return render_template_string('{% extends "base.html" %}{% block content %}<h1>Dashboard</h1>{% endblock %}')
