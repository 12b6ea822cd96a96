"""The company card's overview page: ``/companies/<CompanyID>``."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Blueprint, render_template
from flask_babel import get_locale

from facade import companies as companies_uc

from ._common import current_user, services
from .tabs import tab_links

bp = Blueprint("companies", __name__)


@bp.get("/companies/<int:company_id>")
def card(company_id: int):
    """The company card (CRM_READ): opens it and records the view in Recently viewed; 404 for an
    unknown or soft-deleted company."""
    svc = services()
    card = companies_uc.open_company_card(
        company_id,
        current_user(),
        companies=svc.companies,
        recent=svc.recent,
        installation=svc.installation,
        clock=svc.clock,
    )
    return render_template("companies/card.html", card=card, company=card.company, uc=companies_uc,
                           tab_bar=tab_links("company", company_id, card.tabs))


def _ui_locale() -> Locale:
    return get_locale() or Locale.parse("sv")


@bp.app_template_filter("country_name")
def country_name(code: str | None) -> str:
    """``SE`` → ``Sverige`` (sv) / ``Sweden`` (en); an unknown code as it is."""
    key = (code or "").strip().upper()
    return _ui_locale().territories.get(key, key)


@bp.app_template_filter("language_name")
def language_name(code: str | None) -> str:
    """``sv`` → ``svenska`` (sv) / ``Swedish`` (en) for ``tblCompany.LanguageCode``; unknown as it is."""
    key = (code or "").strip()
    try:
        name = Locale.parse(key.lower()).get_display_name(_ui_locale())
    except (ValueError, UnknownLocaleError):
        return key
    return name or key
