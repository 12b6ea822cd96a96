"""New company, new private customer and delete: ``/companies/new`` (``?kind=private``),
``/companies/new/lookup`` (JSON for the register typeahead) and ``/companies/<id>/delete``.

The form is one server-rendered form whose tabs are in-page sections (``company_form.js`` turns
them into tabs). Whatever was typed comes back on every re-render: field errors, a duplicate
warning, a classic outage, the password prompt when the classic session is gone.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from facade import company_create as uc
from facade.auth import session_hash
from facade.companies import INVOICE_METHODS
from facade.errors import (
    ClassicRejected,
    ClassicUnavailable,
    Conflict,
    CrmLiteError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from facade.i18n import N_
from facade.model import CRM_DELETE, CRM_WRITE
from facade.ports_classic import CLASSIC_SESSION_EXPIRED

from ._common import current_user, requires, services
from .api._json import to_json
from .companies import country_name, language_name
from .errors import STATUS

bp = Blueprint("company_create", __name__)

#: Labels of the form's fields (English msgids), for the fields and the error summary.
FIELD_LABELS = {
    "name": N_("Company name"),
    "nick_name": N_("Nick name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "org_no": N_("Organisation number"),
    "vat_no": N_("VAT number"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "web": N_("Web site"),
    "owner_user_id": N_("Owner"),
    "country": N_("Country"),
    "categories": N_("Categories"),
    "is_customer": N_("Customer"),
    "is_supplier": N_("Supplier"),
    "invoice_method": N_("Invoice method"),
    "invoice_email": N_("Invoice e-mail"),
    "payment_days": N_("Payment terms (days)"),
    "discount_pct": N_("Discount (%)"),
    "currency": N_("Currency"),
    "credit_limit": N_("Credit limit"),
    "language_code": N_("Language"),
}
PRIVATE_LABELS = {"org_no": N_("Personal identity number")}
ADDRESS_LABELS = {
    "post": N_("Postal address"),
    "visit": N_("Visiting address"),
    "delivery": N_("Delivery address"),
    "invoice": N_("Invoice address"),
}
PART_LABELS = {"street": N_("Street"), "street2": N_("Street, line 2"), "postal_code": N_("Postal code"),
               "city": N_("City")}
#: Which section (tab) each field is in.
SECTIONS = ("company", "address", "settings")
_SETTINGS_FIELDS = {"is_customer", "is_supplier", "invoice_method", "invoice_email", "payment_days",
                    "discount_pct", "currency", "credit_limit", "language_code"}

SAVED = N_("%(name)s was created with customer number %(no)s.")
SAVED_NO_NUMBER = N_("%(name)s was created.")
DELETED = N_("%(name)s was deleted.")
WRONG_PASSWORD = N_("Wrong password. Enter the password you use for the classic CRM.")
NOTHING_SAVED = N_("Nothing was saved.")
FILLED = N_("Filled in from the company register: %(name)s. Check the fields and complete them before saving.")


def field_label(name: str, private: bool = False) -> str:
    """The translated label of a form field (address fields as ``Postal address: Street``)."""
    if private and name in PRIVATE_LABELS:
        return _(PRIVATE_LABELS[name])
    if name in FIELD_LABELS:
        return _(FIELD_LABELS[name])
    prefix, _sep, part = name.partition("_")
    if prefix in ADDRESS_LABELS and part in PART_LABELS:
        return _("%(block)s: %(part)s", block=_(ADDRESS_LABELS[prefix]), part=_(PART_LABELS[part]))
    return name


def section_of(name: str) -> str:
    """The form section (tab) a field is in."""
    if name.split("_", 1)[0] in uc.ADDRESS_BLOCKS:
        return "address"
    if name in _SETTINGS_FIELDS:
        return "settings"
    return "company"


def _form_field(classic_field: str, private: bool) -> str:
    """A facade/classic field name (``post_address.street``) as the form's (``post_street``)."""
    attr, _sep, part = classic_field.partition(".")
    for prefix, (block_attr, _type) in uc.ADDRESS_BLOCKS.items():
        if attr == block_attr:
            return f"{prefix}_{part or 'street'}"
    if private and attr == "name":
        return "first_name"
    return attr


def translated_errors(exc: InvalidInput, private: bool) -> dict[str, str]:
    """Field → translated message of an InvalidInput (ours: msgids with params; classic's: its text)."""
    params = exc.details.get("params") or {}
    out: dict[str, str] = {}
    for name, message in (exc.details.get("fields") or {}).items():
        form_name = _form_field(str(name), private)
        out.setdefault(form_name, _(str(message), **params.get(name, {})))
    return out


def _classic_caller(password: str | None = None):
    """The user's classic session (None when CRM Lite is not connected to the classic services)."""
    svc = services()
    sid = g.get("sid")
    if svc.classic_sessions is None or not sid:
        return None
    return uc.UserClassicSession(svc.classic_sessions, session_hash(sid), current_user().login, password or None)


def _render(data: uc.NewCompanyInput, status: int = 200, **context):
    svc = services()
    user = current_user()
    choices = context.pop("choices", None) or uc.company_form_choices(
        user, installation=svc.installation, categories=svc.categories
    )
    errors: dict[str, str] = context.pop("errors", None) or {}
    known = set(uc.NewCompanyInput.text_fields()) | {"categories"}
    summary = [(name, field_label(name, data.is_private), msg) for name, msg in errors.items() if name in known]
    other = [msg for name, msg in errors.items() if name not in known]
    section_errors = {s: 0 for s in SECTIONS}
    for name, *_rest in summary:
        section_errors[section_of(name)] += 1
    title = _("New private customer") if data.is_private else _("New company")
    context.setdefault("password_message", _(CLASSIC_SESSION_EXPIRED))
    country_codes = list(choices.countries)
    if data.country.strip().upper() and data.country.strip().upper() not in country_codes:
        country_codes.append(data.country.strip().upper())  # a country the register (or API) gave
    return render_template(
        "company_create/new.html",
        country_options=[(c, country_name(c)) for c in country_codes],
        owner_options=[(str(o.user_id), o.name) for o in choices.owners],
        method_options=[(k, _(v)) for k, v in ((str(m), INVOICE_METHODS[m]) for m in (1, 2, 3))],
        currency_options=[(c, c) for c in choices.currencies if c != choices.base_currency],
        language_options=[(code, language_name(code)) for code in choices.languages],
        data=data,
        choices=choices,
        errors=errors,
        error_summary=summary,
        other_errors=other,
        section_errors=section_errors,
        title=title,
        label=lambda name: field_label(name, data.is_private),
        address_labels=ADDRESS_LABELS,
        part_labels=PART_LABELS,
        selected_categories={c.strip() for c in data.categories},
        lookup=context.pop("lookup", None),
        **context,
    ), status


@bp.route("/companies/new", methods=["GET", "POST"])
@requires(CRM_WRITE)
def new():
    """The new-company form (``?kind=private`` for a private customer; ``?q=`` searches the
    company register without JavaScript). POST: ``use_register`` fills the form from the register,
    otherwise it saves (``confirm_duplicates=1`` after the duplicate warning; ``classic_password``
    after the classic session was gone)."""
    svc = services()
    user = current_user()
    if request.method == "GET":
        page = uc.new_company_page(
            request.args.get("kind", uc.BUSINESS), request.args.get("q"), user,
            installation=svc.installation, categories=svc.categories, register=svc.register_lookup,
            country=request.args.get("country"),
        )
        return _render(page.input, choices=page.choices, lookup=page.lookup)

    data = uc.NewCompanyInput.from_form(request.form.get, request.form.getlist)
    use = request.form.get("use_register")
    if use:
        org_no, _sep, country = use.partition("|")
        try:
            filled, company = uc.fill_from_register(data, org_no, user, register=svc.register_lookup,
                                                    country=country or None)
        except Forbidden:
            raise
        except CrmLiteError as exc:
            return _render(data, _status(exc), form_error=_(exc.message))
        return _render(filled, filled_from=company)

    password = request.form.get("classic_password") or None
    confirmed = request.form.get("confirm_duplicates") == "1"
    create = uc.create_private_customer if data.is_private else uc.create_company
    try:
        outcome = create(
            data, user, classic=_classic_caller(password), companies=svc.classic_companies,
            categories=svc.categories, search=svc.search, installation=svc.installation,
            confirm_duplicates=confirmed,
        )
    except Forbidden:
        raise
    except InvalidInput as exc:
        return _render(data, 400, errors=translated_errors(exc, data.is_private),
                       form_error=_(exc.message), confirmed=confirmed)
    except NotAuthenticated:
        return _render(data, 401, password_prompt=True, confirmed=confirmed,
                       password_error=_(WRONG_PASSWORD) if password else None)
    except (ClassicUnavailable, ClassicRejected, Conflict, NotFound) as exc:
        return _render(data, _status(exc), form_error=_(exc.message), form_error_detail=_(NOTHING_SAVED),
                       confirmed=confirmed)
    if outcome.company is None:
        return _render(data, duplicates=outcome.duplicates)
    company = outcome.company
    if company.customer_no is not None:
        flash(_(SAVED, name=company.name, no=company.customer_no), "info")
    else:
        flash(_(SAVED_NO_NUMBER, name=company.name), "info")
    if outcome.categories_error:
        flash(_(outcome.categories_error), "warning")
    return redirect(url_for("companies.card", company_id=company.company_id))


def _status(exc: CrmLiteError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls][0]
    return 500


@bp.get("/companies/new/lookup")
@requires(CRM_WRITE)
def lookup():
    """JSON for the register typeahead: ``?q=`` → ``{"hits": [...]}``; ``?org_no=&country=`` →
    ``{"fields": {form field: value}, "company": {...}}``. Errors: ``{"error": {code, message}}``."""
    svc = services()
    user = current_user()
    try:
        if request.args.get("org_no"):
            company = uc.get_register_company(request.args["org_no"], user, register=svc.register_lookup,
                                              country=request.args.get("country"))
            return jsonify({"fields": uc.register_fields(company, request.args.get("country")),
                            "company": to_json(company),
                            "message": _(FILLED, name=company.name or "")})
        hits = uc.lookup_register(request.args.get("q", ""), user, register=svc.register_lookup,
                                  country=request.args.get("country"))
    except Forbidden:
        raise
    except CrmLiteError as exc:
        status = _status(exc)
        code = STATUS.get(type(exc), (status, "error"))[1]
        return jsonify({"error": {"code": code, "message": _(exc.message)}}), status
    return jsonify({"hits": to_json(hits)})


# --- delete -------------------------------------------------------------------------------------


def refusal_texts(exc: ClassicRejected) -> list[str]:
    """The translated reasons of a refused delete (``facade.company_create.DeleteRefusal``)."""
    out = []
    for r in exc.details.get("reasons", ()):
        if r.plural is not None and r.count is not None:
            out.append(ngettext(r.message, r.plural, r.count))
        else:
            out.append(_(r.message, **r.params))
    return out


def _render_delete(company, status: int = 200, **context):
    context.setdefault("password_message", _(CLASSIC_SESSION_EXPIRED))
    return render_template("company_create/delete.html", company=company, **context), status


@bp.route("/companies/<int:company_id>/delete", methods=["GET", "POST"])
@requires(CRM_DELETE)
def delete(company_id: int):
    """Confirm (GET) and soft-delete (POST, CSRF) a company through ``DeleteCompanies``; the
    classic's refusal reasons (open ledger items, orders) are shown on the confirm page."""
    svc = services()
    user = current_user()
    company = uc.get_company_to_delete(company_id, user, companies=svc.companies)
    if request.method == "GET":
        return _render_delete(company)
    password = request.form.get("classic_password") or None
    try:
        uc.delete_company(company_id, user, classic=_classic_caller(password), companies=svc.classic_companies)
    except ClassicRejected as exc:
        return _render_delete(company, 422, refused=_(exc.message), reasons=refusal_texts(exc))
    except NotAuthenticated:
        return _render_delete(company, 401, password_prompt=True,
                              password_error=_(WRONG_PASSWORD) if password else None)
    except ClassicUnavailable as exc:
        return _render_delete(company, 503, form_error=_(exc.message))
    flash(_(DELETED, name=company.name), "info")
    return redirect(url_for("dashboard.index"))

