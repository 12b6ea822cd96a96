"""Global search: the results page (``/search?q=``) and the top-menu typeahead (``/search/typeahead?q=``).

Rules live in ``facade.search``; here: reading the request, labels in the user's language,
links to the cards.
"""

from __future__ import annotations

import functools

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from facade import search as search_uc
from facade.i18n import N_
from facade.search import SearchHit, SearchResults
from facade.text import format_phone as _format_phone

from ._common import current_user, services

bp = Blueprint("search", __name__)

#: Card of each record kind: (endpoint, id argument) of the companies, persons and employees areas.
CARDS = {"company": ("companies.card", "company_id"), "person": ("persons.card", "person_id"),
         "employee": ("employees.card", "user_id")}
PAGE_LIMIT = 50  # hits per group on the results page
KIND_PAGE_LIMIT = 200  # hits when the page shows one group only

#: ``facade.text.format_phone`` remembered per worker: libphonenumber takes ~0.3 ms a number and a
#: results page shows up to 250 of them; the same numbers come back as the user refines a query.
format_phone = functools.lru_cache(maxsize=20_000)(_format_phone)


def hit_url(hit: SearchHit) -> str:
    """The card of ``hit`` (``/companies/<id>``, ``/persons/<id>``, ``/employees/<id>``)."""
    endpoint, arg = CARDS[hit.record]
    return url_for(endpoint, **{arg: int(hit.id)})


class CardUrls:
    """The card URLs of one request: ``url_for`` once per kind of record, then its prefix + id
    (the same URLs as ``hit_url``, a hundredth of the time: a results page links up to 500 cards)."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str | None] = {}

    def __call__(self, record: str, ident: int) -> str:
        if record not in self.prefixes:
            endpoint, arg = CARDS[record]
            probe = url_for(endpoint, **{arg: 987654321})
            self.prefixes[record] = probe[:-9] if probe.endswith("987654321") else None
        prefix = self.prefixes[record]
        if prefix is None:
            endpoint, arg = CARDS[record]
            return url_for(endpoint, **{arg: int(ident)})
        return prefix + str(int(ident))

    def hit(self, hit: SearchHit) -> str:
        """``hit_url(hit)``."""
        return self(hit.record, hit.id)


_KIND_LABELS = {
    search_uc.KIND_COMPANY: N_("Companies"),
    search_uc.KIND_SUPPLIER: N_("Suppliers"),
    search_uc.KIND_PRIVATE: N_("Private customers"),
    search_uc.KIND_CONTACT: N_("Contacts"),
    search_uc.KIND_EMPLOYEE: N_("Employees"),
}


def kind_label(kind: str) -> str:
    """The heading of a group in the user's language."""
    return _(_KIND_LABELS[kind])


def matched_label(hit: SearchHit) -> str | None:
    """``Phone: 08-123 45 67`` when the hit was found by something other than its name."""
    value = hit.matched_value or ""
    if hit.matched_on == "org_no":
        return _("Org. no. %(value)s", value=value)
    if hit.matched_on == "customer_no":
        return _("Customer no. %(value)s", value=value)
    if hit.matched_on == "supplier_no":
        return _("Supplier no. %(value)s", value=value)
    if hit.matched_on == "phone":
        return _("Phone %(value)s", value=format_phone(value))
    if hit.matched_on == "mobile":
        return _("Mobile %(value)s", value=format_phone(value))
    if hit.matched_on == "email":
        return _("E-mail %(value)s", value=value)
    return None


def badges(hit: SearchHit) -> list[dict]:
    """Badges of a hit: ``[{"text": …, "tone": "" | "warn" | "good"}]``."""
    out = []
    if hit.record == "company" and hit.kind != search_uc.KIND_PRIVATE:
        if hit.is_customer:
            out.append({"text": _("Customer"), "tone": "good"})
        if hit.is_supplier:
            out.append({"text": _("Supplier"), "tone": ""})
        if hit.is_prospect:
            out.append({"text": _("Prospect"), "tone": "warn"})
    if hit.record == "employee" and not hit.active:
        out.append({"text": _("Inactive"), "tone": "warn"})
    return out


def hit_detail(hit: SearchHit) -> str:
    """One line of context for the typeahead (what was matched, numbers, city, companies, title)."""
    parts = []
    matched = matched_label(hit)
    if matched:
        parts.append(matched)
    if hit.record == "company":
        if hit.customer_no is not None and hit.matched_on != "customer_no":
            parts.append(_("Customer no. %(value)s", value=hit.customer_no))
        if hit.supplier_no is not None and hit.matched_on != "supplier_no":
            parts.append(_("Supplier no. %(value)s", value=hit.supplier_no))
        if hit.org_no and hit.matched_on != "org_no":
            parts.append(hit.org_no)
        if hit.city:
            parts.append(hit.city)
    elif hit.record == "person":
        if hit.job_title:
            parts.append(hit.job_title)
        if hit.companies:
            names = [c.name for c in hit.companies[:2]]
            extra = len(hit.companies) - len(names)
            text = ", ".join(names)
            parts.append(text if not extra else _("%(names)s and %(count)s more", names=text, count=extra))
    else:
        if hit.employee_title:
            parts.append(hit.employee_title)
        if hit.login:
            parts.append(hit.login)
    return " · ".join(parts)


def typeahead_json(results: SearchResults) -> dict:
    """The typeahead's JSON: ``{query, too_short, message, total, all_url, all_label, groups:
    [{kind, label, total, truncated, hits: [{id, record, kind, url, title, detail, badges}]}]}``."""
    urls = CardUrls()
    return {
        "query": results.query,
        "too_short": results.too_short,
        "message": _(results.message) if results.message else None,
        "total": results.total,
        "all_url": url_for("search.results", q=results.query),
        "all_label": _("All results for “%(query)s”", query=results.query),
        "empty_label": _("No matches"),
        "groups": [
            {
                "kind": g.kind,
                "label": kind_label(g.kind),
                "total": g.total,
                "truncated": g.truncated,
                "hits": [
                    {
                        "id": h.id,
                        "record": h.record,
                        "kind": h.kind,
                        "url": urls.hit(h),
                        "title": h.title,
                        "detail": hit_detail(h),
                        "badges": badges(h),
                    }
                    for h in g.hits
                ],
            }
            for g in results.groups
        ],
    }


class HitRow:
    """What the results page shows of one hit, worked out in Python (no macro per row): card URL,
    nick name when it differs from the name, badges, "found by", the phone (raw and formatted), the
    person's companies with their card URLs."""

    __slots__ = ("badges", "companies", "hit", "matched", "nick", "phone", "phone_text", "url")

    def __init__(self, hit: SearchHit, urls: CardUrls, labels: dict) -> None:
        self.hit = hit
        self.url = urls.hit(hit)
        nick = hit.nick_name
        self.nick = nick if nick and nick.lower() != hit.title.lower() else None
        self.badges = _badges(hit, labels)
        self.matched = matched_label(hit) if hit.matched_on != "name" else None
        phone = (hit.phone or "").strip()
        self.phone = phone
        self.phone_text = format_phone(phone) if phone else ""
        self.companies = [(urls("company", c.company_id), c.name) for c in hit.companies]


def _badge_labels() -> dict:
    """The badges' texts in the user's language (looked up once per page)."""
    return {
        "customer": {"text": _("Customer"), "tone": "good"},
        "supplier": {"text": _("Supplier"), "tone": ""},
        "prospect": {"text": _("Prospect"), "tone": "warn"},
        "inactive": {"text": _("Inactive"), "tone": "warn"},
    }


def _badges(hit: SearchHit, labels: dict) -> list[dict]:
    """``badges(hit)`` with the texts of ``_badge_labels``."""
    out = []
    if hit.record == "company" and hit.kind != search_uc.KIND_PRIVATE:
        if hit.is_customer:
            out.append(labels["customer"])
        if hit.is_supplier:
            out.append(labels["supplier"])
        if hit.is_prospect:
            out.append(labels["prospect"])
    if hit.record == "employee" and not hit.active:
        out.append(labels["inactive"])
    return out


@bp.get("/search")
def results():
    """The results page: every group (50 hits each), or one group (``kind=``, 200 hits)."""
    query = request.args.get("q", "")
    kind = (request.args.get("kind") or "").strip() or None
    found = search_uc.search_everything(
        query,
        current_user(),
        queries=services().search,
        limit_per_kind=KIND_PAGE_LIMIT if kind else PAGE_LIMIT,
        kinds=[kind] if kind else None,
    )
    urls, labels = CardUrls(), _badge_labels()
    rows = {group.kind: [HitRow(hit, urls, labels) for hit in group.hits] for group in found.groups}
    return render_template(
        "search/results.html",
        results=found,
        rows=rows,
        kind=kind,
        kind_label=kind_label,
    )


@bp.get("/search/typeahead")
def typeahead():
    """JSON for the top-menu typeahead: the best 8 hits, grouped (see ``typeahead_json``)."""
    found = search_uc.typeahead(request.args.get("q", ""), current_user(), queries=services().search)
    return jsonify(typeahead_json(found))
