"""The contacts tab of the company card: the persons linked to a company.

Source: ``tblCompanyPerson`` (``Role``, ``IsMain``; live links only) joined to live ``tblPerson``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .i18n import N_
from .model import User
from .paging import Page, PageRequest, SortOption
from .tabs import COMPANY, Card, CardHeaderQueries, CardOwner, open_card

CONTACT_SORTS = (
    SortOption("main", N_("Main contact first"), descending=True),
    SortOption("name", N_("Name")),
    SortOption("role", N_("Role")),
    SortOption("email", N_("E-mail")),
)
CONTACT_DEFAULT_SORT = "main"


@dataclass(frozen=True)
class ContactRow:
    """A person on a company (``tblPerson`` + the link's ``Role``/``IsMain``); texts as typed."""

    person_id: int
    first_name: str | None
    last_name: str | None
    job_title: str | None
    role: str | None
    is_main: bool
    phone: str | None
    mobile: str | None
    email: str | None

    @property
    def name(self) -> str:
        """First and last name, blanks trimmed and collapsed (may be empty)."""
        return " ".join(" ".join(p.split()) for p in (self.first_name, self.last_name) if p and p.strip())


@dataclass(frozen=True)
class ContactsTab:
    card: Card
    page: Page[ContactRow]


class ContactQueries(Protocol):
    def list_contacts(self, company_id: int, req: PageRequest) -> Page[ContactRow]:
        """One page of the live persons linked (live link) to the company, in ``req``'s order.

        Sort keys: ``main`` (``IsMain``, then name), ``name`` (last name, first name), ``role``,
        ``email``; blanks last; ties broken by ``PersonID``. Raises ClassicUnavailable.
        """


def contacts_tab(user: User, company_id: int, req: PageRequest, *, contacts: ContactQueries,
                 headers: CardHeaderQueries) -> ContactsTab:
    """The contacts tab of company ``company_id``: its card and one page of its contacts.

    Needs CRM_READ. Raises Forbidden, NotFound (unknown or soft-deleted company), ClassicUnavailable.
    """
    card = open_card(user, CardOwner(COMPANY, company_id), "contacts", headers=headers)
    return ContactsTab(card, contacts.list_contacts(company_id, req))
