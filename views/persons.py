"""The contact (person) card's overview page: ``/persons/<PersonID>``."""

from __future__ import annotations

from flask import Blueprint, render_template

from facade import companies as companies_uc
from facade import persons as persons_uc

from ._common import current_user, services

bp = Blueprint("persons", __name__)


@bp.get("/persons/<int:person_id>")
def card(person_id: int):
    """The contact card (CRM_READ): opens it and records the view; 404 for an unknown or
    soft-deleted person."""
    svc = services()
    card = persons_uc.open_person_card(
        person_id,
        current_user(),
        persons=svc.persons,
        recent=svc.recent,
        installation=svc.installation,
        clock=svc.clock,
    )
    return render_template("persons/card.html", card=card, person=card.person, uc=companies_uc)
