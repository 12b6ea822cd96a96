"""The company card's overview: the company, its contacts, activities, wall, projects, sales
opportunities and categories, read-only.

Source tables: ``tblCompany`` (+ ``tblAddress`` by ``AddrType``, ``tblUser`` for owner and audit),
``tblCompanyPerson`` ⨝ ``tblPerson``, ``tblActivity``, ``tblWallPost``, ``tblProject``,
``tblSalesOpp``, ``tblCompanyCategory`` ⨝ ``tblCategory``; ``tblSetting`` through ``Installation``.

Every read hides soft-deleted rows (``Deleted = 1``), joins included. A company that is unknown
or soft-deleted raises ``NotFound``. Datetimes are the installation's local wall-clock time
(naive), as classic stores them.

Decisions:

* A company that is still a member of a soft-deleted category (``tblCategory.Deleted = 1``,
  or a deleted parent) does not show it: a deleted category is gone for every reader, as the
  classic convention "every read filters ``Deleted = 0``" says.
* The credit limit (``tblCompany.CreditLimit``) is shown in the base currency: it is checked
  against the customer ledger, whose ``Amount`` is in the base currency.
* Opening a card records a recent view (``open_company_card``); the plain read
  (``get_company_card``, used by the JSON API) does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from stdnum.se import personnummer as se_personnummer

from .auth import require
from .errors import NotFound
from .i18n import N_
from .model import CRM_READ, Installation, Money, User
from .periods import local_now
from .ports import Clock, InstallationRepository
from .recent import RecentViews, record_view
from .tabs import COMPANY, CardHeader, CardOwner, visible_tabs
from .text import digits, orgno_key, swedish_sort_key

T = TypeVar("T")

#: How many activities and wall posts a card shows (the total is counted too).
CARD_LIST_LIMIT = 20

# --- vocabulary ---------------------------------------------------------------------------

#: ``tblAddress.AddrType`` → key and label.
ADDRESS_TYPES = {1: "postal", 2: "visiting", 3: "delivery", 4: "invoice"}
ADDRESS_LABELS = {
    "postal": N_("Postal address"),
    "visiting": N_("Visiting address"),
    "delivery": N_("Delivery address"),
    "invoice": N_("Invoice address"),
}

#: What a company is, from ``CompanyKind``, ``IsCustomer`` and ``IsSupplier``.
KIND_LABELS = {
    "customer": N_("Customer"),
    "supplier": N_("Supplier"),
    "customer_supplier": N_("Customer and supplier"),
    "prospect": N_("Prospect"),
    "private_customer": N_("Private customer"),
}

#: ``tblCompany.InvoiceMethod``.
INVOICE_METHODS = {1: N_("Paper"), 2: N_("E-mail (PDF)"), 3: N_("E-invoice")}

#: ``tblActivity.ActType`` and ``Priority``.
ACT_TASK, ACT_APPOINTMENT = 1, 2
ACT_TYPES = {ACT_TASK: N_("Task"), ACT_APPOINTMENT: N_("Appointment")}
PRIORITIES = {1: N_("High"), 2: N_("Normal"), 3: N_("Low")}

#: ``Activity.state`` values (computed against the local "now").
ACTIVITY_STATES = {
    "open": N_("Open"),
    "overdue": N_("Overdue"),
    "done": N_("Done"),
    "coming": N_("Coming"),
    "in_progress": N_("In progress"),
    "past": N_("Past"),
}

#: ``tblProject.Status``.
PROJECT_STATUSES = {1: N_("Planned"), 2: N_("Active"), 3: N_("Completed"), 4: N_("Cancelled")}

#: ``tblSalesOpp.Stage``; 1–4 are open, 5 won, 6 lost.
OPP_STAGES = {
    1: N_("Lead"),
    2: N_("Qualified"),
    3: N_("Proposal"),
    4: N_("Negotiation"),
    5: N_("Won"),
    6: N_("Lost"),
}
OPEN_STAGES = frozenset({1, 2, 3, 4})

#: Organisation number check results.
ORGNO_STATES = {
    "valid": N_("Check digit correct"),
    "invalid": N_("Wrong check digit"),
    "unchecked": N_("Not checked for this country"),
    "missing": N_("No organisation number"),
}

CATEGORY_SEPARATOR = " › "

COMPANY_NOT_FOUND = N_("This company does not exist or has been deleted.")


def company_kind(kind: int | None, is_customer: bool, is_supplier: bool) -> str:
    """The kind key of ``KIND_LABELS``: ``CompanyKind`` 2 is a private customer; else by the roles."""
    if kind == 2:
        return "private_customer"
    if is_customer and is_supplier:
        return "customer_supplier"
    if is_customer:
        return "customer"
    if is_supplier:
        return "supplier"
    return "prospect"


def person_name(first: str | None, last: str | None) -> str:
    """``First Last`` with typed blanks trimmed (``tblPerson`` names may be blank-padded)."""
    return " ".join(p.strip() for p in (first, last) if p and p.strip())


def person_sort_key(first: str | None, last: str | None) -> tuple:
    """Swedish name order: last name, then first name (Å Ä Ö after Z, case ignored)."""
    return (swedish_sort_key(last), swedish_sort_key(first))


# --- dataclasses --------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing(Generic[T]):
    """The first ``len(items)`` of ``total`` rows."""

    items: tuple[T, ...]
    total: int


@dataclass(frozen=True)
class UserRef:
    """A classic user (``tblUser``) named on a record: owner, author, manager."""

    user_id: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class Address:
    """One ``tblAddress`` row; ``kind`` is ``postal``/``visiting``/``delivery``/``invoice``."""

    addr_type: int
    kind: str
    line1: str | None
    line2: str | None
    post_code: str | None
    city: str | None
    country: str | None


@dataclass(frozen=True)
class Audit:
    """``CreatedAt/By``, ``ChangedAt/By`` (local time) and ``ChangeNo`` of a record."""

    created_at: datetime | None
    created_by: UserRef | None
    changed_at: datetime | None
    changed_by: UserRef | None
    change_no: int


@dataclass(frozen=True)
class Company:
    """A live ``tblCompany`` row with owner, addresses (by ``AddrType``) and audit."""

    company_id: int
    name: str
    nick_name: str | None
    customer_no: int | None
    supplier_no: int | None
    org_no: str | None
    vat_no: str | None
    company_kind: int
    is_customer: bool
    is_supplier: bool
    phone: str | None
    fax: str | None
    email: str | None
    web: str | None
    notes: str | None
    owner: UserRef | None
    country: str | None
    currency: str | None
    payment_days: int | None
    invoice_method: int | None
    invoice_email: str | None
    discount_pct: Decimal | None
    credit_limit: Decimal | None
    language_code: str | None
    addresses: tuple[Address, ...]
    audit: Audit
    #: ``C`` (customer ledger) / ``S`` (supplier ledger): the company is a customer / supplier or
    #: has ``tblLedgerEntry`` rows in that ledger (which decides the ledger tab).
    ledgers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OrgNoCheck:
    """The check-digit check of ``OrgNo``: ``state`` is a key of ``ORGNO_STATES``; ``scheme`` is
    ``se_orgnr``, ``se_personnummer`` or ``no_orgnr`` when a check ran."""

    state: str
    scheme: str | None = None


@dataclass(frozen=True)
class CompanyContact:
    """A live person linked to the company (``tblCompanyPerson`` ⨝ ``tblPerson``, both ``Deleted = 0``)."""

    person_id: int
    name: str
    first_name: str | None
    last_name: str | None
    role: str | None
    job_title: str | None
    phone: str | None
    mobile: str | None
    email: str | None
    is_main: bool


@dataclass(frozen=True)
class Activity:
    """A task (``ActType`` 1, ``DueAt``) or appointment (2, ``StartAt``–``EndAt``) of ``tblActivity``.

    ``state`` is set by the use case from the local "now": tasks ``open``/``overdue``/``done``,
    appointments ``coming``/``in_progress``/``past`` (``done`` when marked done).
    """

    activity_id: int
    act_type: int
    subject: str
    location: str | None
    start_at: datetime | None
    end_at: datetime | None
    due_at: datetime | None
    done: bool
    done_at: datetime | None
    priority: int | None
    owner: UserRef | None
    person_id: int | None
    person_name: str | None
    company_id: int | None
    company_name: str | None
    state: str = ""


@dataclass(frozen=True)
class WallPost:
    """A live ``tblWallPost`` row: plain text ``body`` as typed (CRLF kept), author = ``CreatedBy``."""

    post_id: int
    body: str
    created_at: datetime
    author: UserRef | None
    changed_at: datetime | None


@dataclass(frozen=True)
class Project:
    """A live ``tblProject`` of the company; ``budget`` in the base currency."""

    project_id: int
    project_no: int
    name: str
    status: int
    manager: UserRef | None
    start_date: date | None
    end_date: date | None
    budget: Decimal | None


@dataclass(frozen=True)
class Opportunity:
    """A live ``tblSalesOpp``: ``amount`` in ``currency``; ``amount_base`` in the base currency
    (None when the currency has no rate); ``overdue`` = open and ``CloseDate`` before today."""

    opp_id: int
    title: str
    stage: int
    amount: Decimal
    currency: str
    probability: int | None
    close_date: date | None
    owner: UserRef | None
    person_id: int | None
    person_name: str | None
    amount_base: Decimal | None = None
    is_open: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class CategoryNode:
    """A ``tblCategory`` row and whether the company is in it (``tblCompanyCategory``)."""

    category_id: int
    parent_id: int | None
    name: str
    deleted: bool
    member: bool


@dataclass(frozen=True)
class CategoryPath:
    """A category the company is in, with its ancestors: ``names`` from the root down."""

    category_id: int
    names: tuple[str, ...]

    @property
    def text(self) -> str:
        """``Parent › Child``."""
        return CATEGORY_SEPARATOR.join(self.names)


@dataclass(frozen=True)
class CompanyCard:
    """Everything the company card's overview shows.

    ``payment_days`` falls back to ``tblSetting`` ``DefaultPaymentDays`` (then
    ``payment_days_is_default``); ``currency`` to the base currency (``currency_is_default``);
    ``credit_limit`` is in the base currency. ``classic_url`` opens the record in the classic client.
    """

    company: Company
    kind: str
    org_no_check: OrgNoCheck
    contacts: tuple[CompanyContact, ...]
    activities: Listing[Activity]
    wall: Listing[WallPost]
    projects: tuple[Project, ...]
    opportunities: tuple[Opportunity, ...]
    categories: tuple[CategoryPath, ...]
    payment_days: int
    payment_days_is_default: bool
    currency: str
    currency_is_default: bool
    base_currency: str
    credit_limit: Money | None
    classic_url: str | None
    now: datetime
    #: The card's tab keys the user may open (``facade.tabs.visible_tabs``), for the tab bar.
    tabs: tuple[str, ...] = ()


# --- port ----------------------------------------------------------------------------------


class CompanyQueries(Protocol):
    """Reads of the company card (one SQL query each). Raise ClassicUnavailable."""

    def company(self, company_id: int) -> Company | None:
        """The live company with owner, audit users and addresses, or None (unknown/deleted)."""

    def contacts(self, company_id: int) -> list[CompanyContact]:
        """Live persons on live links of the company (any order)."""

    def activities(
        self, *, company_id: int | None = None, person_id: int | None = None, now_local: datetime, limit: int
    ) -> Listing[Activity]:
        """Live activities of the company (or person): open tasks and coming or running
        appointments first (soonest first), then the rest newest first; ``limit`` of ``total``."""

    def wall(
        self, *, company_id: int | None = None, person_id: int | None = None, limit: int
    ) -> Listing[WallPost]:
        """Live wall posts of the company (or person), newest first (``CreatedAt``, ``PostID``)."""

    def projects(self, company_id: int) -> list[Project]:
        """Live projects of the company."""

    def opportunities(self, company_id: int) -> list[Opportunity]:
        """Live sales opportunities of the company (derived fields left at their defaults)."""

    def categories(self, company_id: int) -> list[CategoryNode]:
        """Every category (live or not) with ``member`` set for the company's ones."""


# --- rules ---------------------------------------------------------------------------------


def check_org_no(org_no: str | None, country: str | None, kind: int = 1) -> OrgNoCheck:
    """Check the check digit of an organisation number as stored (any format).

    SE: 10 digits (a 12-digit form drops its century 16/19/20), Luhn (``stdnum.se.orgnr``); a
    private customer (``CompanyKind`` 2) may hold a personal identity number
    (``stdnum.se.personnummer``, which also checks the date). NO: 9 digits, mod 11
    (``stdnum.no.orgnr``; ``NO 123456789 MVA`` is read by its digits). Other countries: unchecked.
    """
    raw = (org_no or "").strip()
    if not raw:
        return OrgNoCheck("missing")
    ctry = (country or "SE").strip().upper() or "SE"
    if ctry == "SE":
        if kind == 2:
            if se_personnummer.is_valid(raw):
                return OrgNoCheck("valid", "se_personnummer")
            if se_orgnr.is_valid(orgno_key(raw)):
                return OrgNoCheck("valid", "se_orgnr")
            return OrgNoCheck("invalid", "se_personnummer")
        return OrgNoCheck("valid" if se_orgnr.is_valid(orgno_key(raw)) else "invalid", "se_orgnr")
    if ctry == "NO":
        return OrgNoCheck("valid" if no_orgnr.is_valid(digits(raw)) else "invalid", "no_orgnr")
    return OrgNoCheck("unchecked")


def activity_state(activity: Activity, now_local: datetime) -> str:
    """A key of ``ACTIVITY_STATES`` for ``activity`` at local time ``now_local``."""
    if activity.done:
        return "done"
    if activity.act_type == ACT_APPOINTMENT:
        start, end = activity.start_at, activity.end_at or activity.start_at
        if start is not None and start > now_local:
            return "coming"
        if end is not None and end > now_local:
            return "in_progress"
        return "past"
    if activity.due_at is not None and activity.due_at < now_local:
        return "overdue"
    return "open"


def with_states(listing: Listing[Activity], now_local: datetime) -> Listing[Activity]:
    """``listing`` with every activity's ``state`` set."""
    return Listing(
        tuple(replace(a, state=activity_state(a, now_local)) for a in listing.items), listing.total
    )


def category_paths(nodes: list[CategoryNode]) -> tuple[CategoryPath, ...]:
    """Paths (root → category) of the member categories, soft-deleted ones (or under a deleted
    parent) left out, in Swedish order of the path."""
    by_id = {n.category_id: n for n in nodes}
    paths = []
    for node in nodes:
        if not node.member:
            continue
        chain: list[CategoryNode] = []
        current: CategoryNode | None = node
        seen: set[int] = set()
        while current is not None and current.category_id not in seen:  # guard against a cycle
            seen.add(current.category_id)
            chain.append(current)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        if any(n.deleted for n in chain):
            continue
        paths.append(CategoryPath(node.category_id, tuple(n.name.strip() for n in reversed(chain))))
    return tuple(sorted(paths, key=lambda p: [swedish_sort_key(n) for n in p.names]))


def opportunity_order(opps: list[Opportunity]) -> list[Opportunity]:
    """Open ones first (closest close date first, none last), then closed ones newest close first."""
    open_ = sorted(
        (o for o in opps if o.is_open),
        key=lambda o: (o.close_date is None, o.close_date or date.min, o.opp_id),
    )
    closed = sorted(
        (o for o in opps if not o.is_open), key=lambda o: (o.close_date or date.min, o.opp_id), reverse=True
    )
    return open_ + closed


def priced_opportunity(opp: Opportunity, installation: Installation, today: date) -> Opportunity:
    """``opp`` with ``is_open``, ``overdue`` and ``amount_base`` (``Installation.to_base``) set."""
    is_open = opp.stage in OPEN_STAGES
    return replace(
        opp,
        is_open=is_open,
        overdue=is_open and opp.close_date is not None and opp.close_date < today,
        amount_base=installation.to_base(opp.amount, opp.currency),
    )


_PROJECT_ORDER = {2: 0, 1: 1, 3: 2, 4: 3}


def project_order(projects: list[Project]) -> list[Project]:
    """Active, planned, completed, cancelled; each newest start first."""
    return sorted(
        projects,
        key=lambda p: (
            _PROJECT_ORDER.get(p.status, 9),
            -(p.start_date.toordinal() if p.start_date else 0),
            -p.project_id,
        ),
    )


def contact_order(contacts: list[CompanyContact]) -> list[CompanyContact]:
    """The main contact first, then Swedish name order."""
    return sorted(
        contacts, key=lambda c: (not c.is_main, person_sort_key(c.first_name, c.last_name), c.person_id)
    )


# --- use cases -----------------------------------------------------------------------------


def get_company_card(
    company_id: int,
    user: User,
    *,
    companies: CompanyQueries,
    installation: InstallationRepository,
    clock: Clock,
) -> CompanyCard:
    """The company card's overview of ``tblCompany.CompanyID`` (no recent view recorded).

    Needs CRM_READ (Forbidden). Raises NotFound for an unknown or soft-deleted company and
    ClassicUnavailable when the database cannot be reached. Amounts: opportunities in their
    currency and in the base currency; budget and credit limit in the base currency.
    """
    require(user, CRM_READ)
    inst = installation.get()
    now = local_now(clock, inst.time_zone)
    company = companies.company(company_id)
    if company is None:
        raise NotFound(COMPANY_NOT_FOUND)
    contacts = contact_order(companies.contacts(company_id))
    activities = with_states(
        companies.activities(company_id=company_id, now_local=now, limit=CARD_LIST_LIMIT), now
    )
    wall = companies.wall(company_id=company_id, limit=CARD_LIST_LIMIT)
    projects = project_order(companies.projects(company_id))
    opps = opportunity_order(
        [priced_opportunity(o, inst, now.date()) for o in companies.opportunities(company_id)]
    )
    categories = category_paths(companies.categories(company_id))
    currency = (company.currency or "").strip().upper()
    return CompanyCard(
        company=company,
        kind=company_kind(company.company_kind, company.is_customer, company.is_supplier),
        org_no_check=check_org_no(company.org_no, company.country, company.company_kind),
        contacts=tuple(contacts),
        activities=activities,
        wall=wall,
        projects=tuple(projects),
        opportunities=tuple(opps),
        categories=categories,
        payment_days=company.payment_days if company.payment_days is not None else inst.default_payment_days,
        payment_days_is_default=company.payment_days is None,
        currency=currency or inst.base_currency,
        currency_is_default=not currency,
        base_currency=inst.base_currency,
        credit_limit=None
        if company.credit_limit is None
        else Money(company.credit_limit, inst.base_currency),
        classic_url=inst.classic_link("company", company_id),
        now=now,
        tabs=visible_tabs(user, CardHeader(CardOwner(COMPANY, company_id), company.name, company.ledgers)),
    )


def open_company_card(
    company_id: int,
    user: User,
    *,
    companies: CompanyQueries,
    recent: RecentViews,
    installation: InstallationRepository,
    clock: Clock,
) -> CompanyCard:
    """Open the company card: ``get_company_card`` and record the view in the user's recently
    viewed list (CRM Lite's store). Same errors as ``get_company_card``; nothing is recorded
    for a company that is not found."""
    card = get_company_card(company_id, user, companies=companies, installation=installation, clock=clock)
    record_view(user, "company", company_id, recent=recent, clock=clock)
    return card
