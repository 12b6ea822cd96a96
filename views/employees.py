"""The employee card: ``/employees/<UserID>``."""

from __future__ import annotations

from flask import Blueprint, render_template

from facade import companies as companies_uc
from facade import employees as employees_uc

from ._common import current_user, services

bp = Blueprint("employees", __name__)


@bp.get("/employees/<int:user_id>")
def card(user_id: int):
    """The employee card (CRM_READ): opens it and records the view; 404 for an unknown user."""
    svc = services()
    card = employees_uc.open_employee_card(
        user_id,
        current_user(),
        employees=svc.employees,
        recent=svc.recent,
        installation=svc.installation,
        clock=svc.clock,
    )
    return render_template("employees/card.html", card=card, employee=card.employee, uc=companies_uc)
