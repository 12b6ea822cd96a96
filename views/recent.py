"""Recently viewed: the ``/recent`` page and the list of the top menu (``recent/_menu.html``)."""

from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, url_for

from facade import recent as recent_uc
from facade.errors import CrmLiteError

from ._common import current_user, services

bp = Blueprint("recent", __name__)
log = logging.getLogger("crm_lite")

#: The endpoint of each kind's card.
CARD_ENDPOINTS = {"company": "companies.card", "person": "persons.card", "employee": "employees.card"}
CARD_ARGS = {"company": "company_id", "person": "person_id", "employee": "user_id"}


@bp.get("/recent")
def index():
    """The user's recently viewed records (newest first, at most 20)."""
    svc = services()
    items = recent_uc.recently_viewed(current_user(), recent=svc.recent, installation=svc.installation)
    return render_template("recent/index.html", items=items, keep=recent_uc.KEEP)


class _LazyRecent:
    """The menu's list, read on first use (1 store + 1 classic query) and kept for the request."""

    def __init__(self) -> None:
        self._items: tuple[recent_uc.RecentItem, ...] | None = None

    def _load(self) -> tuple[recent_uc.RecentItem, ...]:
        if self._items is None:
            self._items = ()
            user = g.get("user")
            if user is not None:
                svc = services()
                try:
                    self._items = recent_uc.recently_viewed(
                        user, recent=svc.recent, installation=svc.installation
                    )
                except CrmLiteError as exc:
                    # The menu must never break a page (e.g. the error page of ClassicUnavailable).
                    log.warning("Recently viewed menu unavailable: %s", exc.message)
        return self._items

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __bool__(self) -> bool:
        return bool(self._load())


@bp.app_context_processor
def _recent_menu():
    """``recent_items`` (lazy) for ``recent/_menu.html`` and ``card_url(kind, id)`` for every template."""
    if "recent_items" not in g:
        g.recent_items = _LazyRecent()
    return {"recent_items": g.recent_items, "recent_labels": recent_uc.LABELS, "card_url": card_url}


def card_url(kind: str, record_id: int) -> str:
    """The URL of the card of a record of ``kind`` (``company``, ``person``, ``employee``)."""
    return url_for(CARD_ENDPOINTS[kind], **{CARD_ARGS[kind]: record_id})
