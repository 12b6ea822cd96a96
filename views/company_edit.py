"""Edit a company's information box and notes in place; merge two companies.

Pages (they work without JavaScript; ``company_edit.js`` swaps the forms into the card instead):

- ``GET/POST /companies/<id>/edit[?part=info|notes]`` (CRM_WRITE): the form; a successful save goes
  back to the card. A request with the header ``X-CRM-Fragment: 1`` gets the form alone
  (``companies/_info_form.html``), and after a save the refreshed boxes (``/companies/<id>/boxes``).
- ``GET /companies/<id>/merge[?q=]`` (CRM_DELETE): pick the duplicate; ``GET …/merge/preview?merge_id=``:
  what moves and the choice of values; ``POST /companies/<id>/merge``: merge, back to the survivor.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from facade import companies as companies_uc
from facade import company_edit as edit_uc
from facade import company_merge as merge_uc
from facade.auth import session_hash
from facade.errors import (
    ClassicRejected,
    ClassicUnavailable,
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from facade.model import CRM_DELETE, CRM_WRITE
from facade.ports_classic import PASSWORD_REQUIRED

from ._common import current_user, requires, services

bp = Blueprint("company_edit", __name__)

FRAGMENT_HEADER = "X-CRM-Fragment"


def wants_fragment() -> bool:
    """True when the page's script asked for the form or boxes alone (in-place editing)."""
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _vary(response):
    """The response, marked as depending on the fragment header (a cache must not mix the two)."""
    response = make_response(response)
    response.headers["Vary"] = FRAGMENT_HEADER
    return response


def sid_hash() -> str:
    """The key of the user's classic session: the CRM Lite session, or for an API call with HTTP
    Basic a per-login key (no session is kept for it, so classic logs in with the given password)."""
    sid = g.get("sid")
    if sid:
        return session_hash(sid)
    return "basic:" + hashlib.sha256(current_user().login.lower().encode("utf-8")).hexdigest()


def typed_password(form_value: str | None = None) -> str | None:
    """The password the user just typed for classic (the merge form), or HTTP Basic's for the API."""
    if form_value:
        return form_value
    if g.get("api_basic") and request.authorization is not None:
        return request.authorization.password
    return None


# --- edit ----------------------------------------------------------------------------------------


def _submitted() -> tuple[dict[str, str], dict[str, str] | None, int]:
    """The form's fields, the values it showed (``orig-<key>``) and the ``ChangeNo`` it read."""
    form = request.form
    submitted = {k: form[k] for k in edit_uc.ALL_KEYS if k in form}
    original = {k: form[f"orig-{k}"] for k in edit_uc.ALL_KEYS if f"orig-{k}" in form}
    try:
        change_no = int(form.get("change_no", ""))
    except ValueError:
        abort(400)
    return submitted, (original or None), change_no


def _render_form(form: edit_uc.EditForm, status: int = 200):
    template = "companies/_info_form.html" if wants_fragment() else "company_edit/edit.html"
    return _vary(render_template(template, form=form, uc=edit_uc, cuc=companies_uc, fragment=wants_fragment())), status


@bp.get("/companies/<int:company_id>/edit")
@requires(CRM_WRITE)
def edit(company_id: int):
    """The edit form of the information box (``part=info``, default) or of the notes (``part=notes``)."""
    svc = services()
    form = edit_uc.company_edit_form(company_id, current_user(), company_writes=svc.company_writes,
                                     installation=svc.installation, part=request.args.get("part", "info"))
    return _render_form(form)


@bp.post("/companies/<int:company_id>/edit")
@requires(CRM_WRITE)
def save(company_id: int):
    """Save the form straight to ``tblCompany``/``tblAddress``; on a refusal the form again, as typed."""
    svc = services()
    user = current_user()
    submitted, original, change_no = _submitted()
    kwargs = {"company_writes": svc.company_writes, "installation": svc.installation}
    try:
        edit_uc.save_company_edit(company_id, submitted, user, change_no=change_no, original=original,
                                  clock=svc.clock, **kwargs)
    except InvalidInput as exc:
        form = edit_uc.edit_form_again(company_id, user, submitted, change_no=change_no, original=original,
                                       errors=exc.details.get("fields") or {}, message=edit_uc.Text(exc.message),
                                       **kwargs)
        return _render_form(form, 400)
    except Conflict as exc:
        form = edit_uc.edit_form_again(company_id, user, submitted, change_no=change_no, original=original,
                                       conflict=exc.details.get("conflict"), message=edit_uc.Text(exc.message),
                                       **kwargs)
        return _render_form(form, 409)
    except (NotFound, ClassicUnavailable) as exc:
        # Keep what was typed: the user can copy it even when the company is gone or classic is down.
        form = edit_uc.edit_form_again(company_id, user, submitted, change_no=change_no, original=original,
                                       message=edit_uc.Text(exc.message), **kwargs)
        return _render_form(form, 404 if isinstance(exc, NotFound) else 503)
    if wants_fragment():
        return _vary(redirect(url_for(".boxes", company_id=company_id), 303))
    flash(_("Your changes were saved."), "info")
    return redirect(url_for("companies.card", company_id=company_id) + "#info", 303)


@bp.get("/companies/<int:company_id>/boxes")
def boxes(company_id: int):
    """The card's information and customer-settings boxes alone (after an in-place save or cancel)."""
    svc = services()
    card = companies_uc.get_company_card(company_id, current_user(), companies=svc.companies,
                                         installation=svc.installation, clock=svc.clock)
    return _vary(render_template("company_edit/_boxes.html", card=card, company=card.company, uc=companies_uc))


@bp.app_context_processor
def _merge_history():
    def company_merges(company_id: int):
        """The merges a company survived (for the card); none when the store cannot be read."""
        svc = services()
        user = g.get("user")
        if user is None:
            return ()
        return merge_uc.merge_history(company_id, user, merge_records=getattr(svc, "merge_records", None),
                                      installation=svc.installation)

    return {"company_merges": company_merges, "merge_areas": merge_uc.AREAS}


# --- merge ---------------------------------------------------------------------------------------


def _merge_id() -> int:
    raw = request.values.get("merge_id", "")
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("Choose the company to merge.")) from None


@bp.get("/companies/<int:company_id>/merge")
@requires(CRM_DELETE)
def merge_pick(company_id: int):
    """Pick the duplicate: likely duplicates and a search of companies."""
    svc = services()
    candidates = merge_uc.merge_candidates(company_id, request.args.get("q", ""), current_user(),
                                           merge_queries=svc.company_writes, search=svc.search)
    return render_template("company_edit/merge_pick.html", c=candidates, uc=merge_uc)


def _render_preview(preview: merge_uc.MergePreview, *, choices=None, errors=None, message=None,
                    need_password: bool = False, status: int = 200):
    chosen = {f.key: (choices or {}).get(f.key) or f.default for f in preview.fields}
    return render_template("company_edit/merge_preview.html", p=preview, uc=merge_uc, cuc=companies_uc,
                           chosen=chosen, errors=errors or {}, message=message,
                           need_password=need_password), status


@bp.get("/companies/<int:company_id>/merge/preview")
@requires(CRM_DELETE)
def merge_preview(company_id: int):
    """What merging the chosen company into this one moves, and the values to choose."""
    svc = services()
    preview = merge_uc.preview_merge(company_id, _merge_id(), current_user(), merge_queries=svc.company_writes,
                                     installation=svc.installation)
    return _render_preview(preview)


#: Status of the preview shown again after a merge that did not happen.
_MERGE_STATUS = {InvalidInput: 400, NotAuthenticated: 401, Forbidden: 403, ClassicRejected: 422,
                 ClassicUnavailable: 503}


@bp.post("/companies/<int:company_id>/merge")
@requires(CRM_DELETE)
def merge(company_id: int):
    """Merge (``MergeCompanies``), save the chosen values, keep the record; back to the survivor."""
    svc = services()
    user = current_user()
    merge_id = _merge_id()
    form = request.form
    choices = {k[len("choice-"):]: v for k, v in form.items() if k.startswith("choice-")}
    try:
        keep_change_no, merge_change_no = int(form.get("keep_change_no", "")), int(form.get("merge_change_no", ""))
    except ValueError:
        abort(400)
    try:
        done = merge_uc.merge_companies(
            company_id, merge_id, choices, user, keep_change_no=keep_change_no, merge_change_no=merge_change_no,
            merge_queries=svc.company_writes, merge_records=svc.merge_records,
            classic_companies=svc.classic_companies, classic_sessions=svc.classic_sessions,
            sid_hash=sid_hash(), installation=svc.installation, clock=svc.clock,
            password=typed_password(form.get("password")),
        )
    except Conflict as exc:
        preview = exc.details.get("preview")
        if preview is None:
            raise
        return _render_preview(preview, choices=choices, message=exc.message, status=409)
    except (InvalidInput, NotAuthenticated, ClassicUnavailable, ClassicRejected, Forbidden) as exc:
        if isinstance(exc, Forbidden) and "right" in exc.details:
            raise  # CRM Lite's own rights check: the usual 403 page
        need_password = isinstance(exc, NotAuthenticated) and exc.details.get("reason") == PASSWORD_REQUIRED
        if isinstance(exc, NotAuthenticated) and not need_password:
            raise
        preview = merge_uc.preview_merge(company_id, merge_id, user, merge_queries=svc.company_writes,
                                         installation=svc.installation)
        status = next(code for cls, code in _MERGE_STATUS.items() if isinstance(exc, cls))
        return _render_preview(preview, choices=choices, errors=exc.details.get("fields") or {},
                               message=exc.message, need_password=need_password, status=status)
    record = done.record
    flash(_("%(name)s was merged into this company: %(rows)s rows moved.", name=record.merged_name,
            rows=record.moved_rows), "info")
    for notice in done.notices:
        flash(_(notice.msgid, **notice.params), "warning")
    return redirect(url_for("companies.card", company_id=company_id), 303)
