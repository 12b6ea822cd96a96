"""The working tabs of the company card and the contact card: which exist, which a user may open.

A card belongs to an owner: a company (``tblCompany``) or a contact person (``tblPerson``), both
live (``Deleted = 0``). Tabs and the right each needs (kit README "Rights"):

============  =========================================================================
overview      the card itself (CRM_READ)
contacts      company only; CRM_READ
emails        CRM_READ
documents     CRM_READ
calls         CRM_READ
orders        ORDER_READ
ledger        company only; LEDGER_CUSTOMER for the customer ledger, LEDGER_SUPPLIER for
              the supplier ledger, shown when the user may see at least one ledger the
              company has
============  =========================================================================

A company *has* the customer ledger when ``IsCustomer = 1`` or it has ``Ledger = 'C'`` entries,
the supplier ledger when ``IsSupplier = 1`` or it has ``'S'`` entries. ADMIN may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .auth import require
from .errors import Forbidden, NotFound
from .i18n import N_
from .model import CRM_READ, LEDGER_CUSTOMER, LEDGER_SUPPLIER, ORDER_READ, User

COMPANY = "company"
PERSON = "person"

CUSTOMER_LEDGER = "C"
SUPPLIER_LEDGER = "S"
LEDGER_RIGHTS = {CUSTOMER_LEDGER: LEDGER_CUSTOMER, SUPPLIER_LEDGER: LEDGER_SUPPLIER}

COMPANY_TABS = ("overview", "contacts", "emails", "documents", "calls", "orders", "ledger")
PERSON_TABS = ("overview", "emails", "documents", "calls", "orders")
TAB_RIGHTS = {
    "overview": CRM_READ,
    "contacts": CRM_READ,
    "emails": CRM_READ,
    "documents": CRM_READ,
    "calls": CRM_READ,
    "orders": ORDER_READ,
}

NO_LEDGER_RIGHT = N_("This needs the classic right LEDGER_CUSTOMER or LEDGER_SUPPLIER.")
COMPANY_NOT_FOUND = N_("The company does not exist or has been deleted.")
PERSON_NOT_FOUND = N_("The contact does not exist or has been deleted.")


@dataclass(frozen=True)
class CardOwner:
    """Whose card: ``kind`` is ``company`` (``tblCompany.CompanyID``) or ``person`` (``tblPerson.PersonID``)."""

    kind: str
    owner_id: int

    def __post_init__(self) -> None:
        if self.kind not in (COMPANY, PERSON):
            raise ValueError(f"unknown card owner kind {self.kind!r}")

    @property
    def is_company(self) -> bool:
        return self.kind == COMPANY


@dataclass(frozen=True)
class CardHeader:
    """What a tab page shows above its tab bar: the owner's name; for companies the ledgers it has."""

    owner: CardOwner
    name: str
    ledgers: frozenset[str] = field(default_factory=frozenset)  # subset of {"C", "S"}


@dataclass(frozen=True)
class Card:
    """A card opened on one tab: its header and the tabs the user may see, in tab-bar order."""

    header: CardHeader
    tabs: tuple[str, ...]


class CardHeaderQueries(Protocol):
    def card_header(self, owner: CardOwner) -> CardHeader | None:
        """The live owner's name (and ledgers), or None when unknown or soft-deleted.

        Source: ``tblCompany`` (``Name``, ``IsCustomer``, ``IsSupplier``, ``Deleted``) and whether
        ``tblLedgerEntry`` has ``C``/``S`` entries of it; ``tblPerson`` (``FirstName``, ``LastName``).
        Raises ClassicUnavailable.
        """


def visible_ledgers(user: User, ledgers: frozenset[str]) -> tuple[str, ...]:
    """The ledgers of ``ledgers`` (``C``, ``S``) that ``user`` may see, customer ledger first."""
    return tuple(code for code in (CUSTOMER_LEDGER, SUPPLIER_LEDGER)
                 if code in ledgers and user.can(LEDGER_RIGHTS[code]))


def visible_tabs(user: User, header: CardHeader) -> tuple[str, ...]:
    """The tabs of ``header``'s card that ``user`` may open, in tab-bar order."""
    if header.owner.is_company:
        keys = COMPANY_TABS
    else:
        keys = PERSON_TABS
    out = []
    for key in keys:
        if key == "ledger":
            if visible_ledgers(user, header.ledgers):
                out.append(key)
        elif user.can(TAB_RIGHTS[key]):
            out.append(key)
    return tuple(out)


def _not_found(owner: CardOwner) -> NotFound:
    return NotFound(COMPANY_NOT_FOUND if owner.is_company else PERSON_NOT_FOUND)


def _check_tab_right(user: User, tab: str) -> None:
    if tab == "ledger":
        if not (user.can(LEDGER_CUSTOMER) or user.can(LEDGER_SUPPLIER)):
            raise Forbidden(NO_LEDGER_RIGHT, right=LEDGER_CUSTOMER)
    else:
        require(user, TAB_RIGHTS[tab])


def open_card(user: User, owner: CardOwner, tab: str, *, headers: CardHeaderQueries) -> Card:
    """Open ``owner``'s card on ``tab`` for ``user``.

    The right is checked before anything is read (a user without it learns nothing, not even
    whether the owner exists). Raises Forbidden (the tab's right is missing; for the ledger: no
    right for any ledger the company has), NotFound (unknown or soft-deleted owner, a tab the
    owner's card has not, or a company without any ledger), ClassicUnavailable.
    """
    if tab not in (COMPANY_TABS if owner.is_company else PERSON_TABS):
        raise NotFound(N_("This card has no such tab."))
    _check_tab_right(user, tab)
    header = headers.card_header(owner)
    if header is None:
        raise _not_found(owner)
    if tab == "ledger":
        if not header.ledgers:
            raise NotFound(N_("This company has neither a customer ledger nor a supplier ledger."))
        if not visible_ledgers(user, header.ledgers):
            raise Forbidden(NO_LEDGER_RIGHT, right=LEDGER_CUSTOMER)
    return Card(header, visible_tabs(user, header))


def card_tabs(user: User, owner: CardOwner, *, headers: CardHeaderQueries) -> tuple[str, ...]:
    """The tab keys of ``owner``'s card that ``user`` may see (for the tab bar of the overview page).

    Raises NotFound (unknown or soft-deleted owner), ClassicUnavailable.
    """
    require(user, CRM_READ)
    header = headers.card_header(owner)
    if header is None:
        raise _not_found(owner)
    return visible_tabs(user, header)
