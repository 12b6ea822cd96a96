"""Entry points the classic client links to: ``/classic/company/<CompanyID>`` and ``/classic/person/<PersonID>``."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("classic", __name__, url_prefix="/classic")


@bp.get("/company/<int:company_id>")
def company(company_id: int):
    """Open the company card of ``CompanyID`` (sign-in first when needed)."""
    return redirect(url_for("companies.card", company_id=company_id))


@bp.get("/person/<int:person_id>")
def person(person_id: int):
    """Open the contact card of ``PersonID``."""
    return redirect(url_for("persons.card", person_id=person_id))
