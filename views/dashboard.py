"""The start page (``/``): today's meetings and tasks, key sales and pipeline figures, top sellers,
newest companies. Everything comes from ``facade.dashboard.get_dashboard``."""

from __future__ import annotations

from flask import Blueprint, render_template

from facade.dashboard import get_dashboard

from ._common import current_user, services

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """The dashboard of the signed-in user (``CRM_READ``; sales figures with ``ORDER_READ``)."""
    svc = services()
    dash = get_dashboard(
        current_user(), queries=svc.dashboard, installation=svc.installation.get(), clock=svc.clock,
        figures=svc.figures,
    )
    return render_template("dashboard/index.html", dash=dash)
