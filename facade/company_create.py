"""New company, new private customer and delete, through the classic SOAP services.

Use cases: ``new_company_page`` (the form with its choices and an optional register search),
``lookup_register`` / ``get_register_company`` / ``fill_from_register`` (the company register,
``CompanyLookup.SearchCompanies`` / ``GetCompanyData``), ``find_duplicates`` (companies already in
the classic CRM with the same organisation number in any format or the same normalised name, via
``facade.search``), ``create_company`` (business, ``CompanyKind`` 1) and ``create_private_customer``
(a person as customer, ``CompanyKind`` 2) through ``CompanyService.SaveCompanies``, and
``delete_company`` through ``CompanyService.DeleteCompanies``.

Sources: SOAP ``CompanyService`` (writes ``tblCompany``, ``tblAddress``, ``tblNumberSeries``
``CUSTNO``/``SUPPNO``), ``CompanyLookup`` (the register, not in the classic database);
``tblCategory``/``tblCompanyCategory`` and ``tblUser`` through the ``CategoryStore`` port
(``tblCompanyCategory`` has no SOAP operation: CRM Lite inserts the rows itself after the company
is saved); ``tblSetting`` through ``Installation`` (currencies); ``tblCompany`` through the search
port (duplicates).

Decisions:

* Everything is validated here before any call (classic column lengths, organisation numbers
  with python-stdnum, numbers and ranges, categories and owner), so a refused form never reaches
  classic and nothing is half-written. Texts are stored as typed (surrounding blanks trimmed;
  nothing else changed, markup included): a value that is too long is refused with a message,
  never cut.
* A value typed in a form arrives as text (``NewCompanyInput``: what the user typed, kept for
  re-rendering); the JSON API sends the same names.
* Categories are written after ``SaveCompanies`` succeeded, in one transaction of their own. If
  that fails, the company exists and the outcome says the categories were not saved
  (``CreateOutcome.categories_error``): never a silent half-write.
* The classic session belongs to the user (notes/classic-sessions.md): a ``ClassicCaller`` runs
  each SOAP operation in it. ``UserClassicSession`` uses the CRM Lite session's classic session
  (and the password the user typed again, once, when it is gone); ``OneCallClassicSession`` logs
  in for one request and logs out after (HTTP Basic API clients).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol, TypeVar

from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from stdnum.se import personnummer as se_personnummer

from .auth import require
from .companies import COMPANY_NOT_FOUND, CategoryNode, Company, CompanyQueries, UserRef
from .errors import ClassicRejected, ClassicUnavailable, CrmLiteError, Forbidden, InvalidInput, NotFound
from .i18n import N_
from .model import CRM_DELETE, CRM_READ, CRM_WRITE, User
from .ports import InstallationRepository
from .ports_classic import (
    KIND_BUSINESS,
    KIND_CONSUMER,
    ClassicAuth,
    ClassicCompany,
    ClassicCompanyService,
    ClassicSessionManager,
    CompanyAddress,
    CompanyChanges,
    RegisterCompany,
    RegisterHit,
    RegisterLookup,
)
from .search import KIND_COMPANY, KIND_PRIVATE, KIND_SUPPLIER, SearchQueries, search_everything
from .text import digits, fold, orgno_key

T = TypeVar("T")

# --- vocabulary ---------------------------------------------------------------------------------

BUSINESS = "business"
PRIVATE = "private"
FORM_KINDS = (BUSINESS, PRIVATE)

#: The address blocks of the form: prefix → (``CompanyChanges`` field, ``tblAddress.AddrType``).
ADDRESS_BLOCKS = {
    "post": ("post_address", 1),
    "visit": ("visit_address", 2),
    "delivery": ("delivery_address", 3),
    "invoice": ("invoice_address", 4),
}
ADDRESS_PARTS = ("street", "street2", "postal_code", "city")

#: Classic column lengths (``tblCompany``, ``tblAddress``; kit DDL). A longer value is refused.
MAX_LENGTHS = {
    "name": 200, "nick_name": 100, "org_no": 20, "vat_no": 30, "phone": 50, "email": 200, "web": 200,
    "invoice_email": 200, "first_name": 100, "last_name": 100,
    **{f"{p}_street": 100 for p in ADDRESS_BLOCKS}, **{f"{p}_street2": 100 for p in ADDRESS_BLOCKS},
    **{f"{p}_postal_code": 20 for p in ADDRESS_BLOCKS}, **{f"{p}_city": 100 for p in ADDRESS_BLOCKS},
}
#: ``varchar`` columns: Windows-1252 only on SQL Server (kit README "Code pages").
VARCHAR_FIELDS = frozenset(
    {"org_no", "vat_no", "phone", "email", "web", "invoice_email", *(f"{p}_postal_code" for p in ADDRESS_BLOCKS)}
)
#: Countries offered in the form (ISO codes; any two-letter code is accepted through the API).
COUNTRIES = ("SE", "NO", "DK", "FI", "IS", "DE", "GB", "NL", "PL", "US")
#: ``tblCompany.LanguageCode`` values offered (the kit uses sv, nb, fi, de).
LANGUAGES = ("sv", "en", "nb", "da", "fi", "de")
#: ``tblCompany.InvoiceMethod``: 1 paper, 2 e-mail (PDF), 3 e-invoice.
INVOICE_METHODS = ("1", "2", "3")
MAX_PAYMENT_DAYS = 365
MAX_AMOUNT = Decimal("1e15")
MAX_QUERY_CHARS = 200
MAX_HITS = 20
MAX_CATEGORIES = 100

# Messages (English msgids; the views translate them, with ``params`` where given).
REQUIRED = N_("Fill in this field.")
TOO_LONG = N_("Too long: at most %(max)s characters (you typed %(count)s).")
NOT_STORABLE = N_("Contains characters the classic database cannot store here (such as emoji).")
CONTROL_CHARS = N_("Remove the line breaks and control characters.")
BAD_SE_ORGNO = N_("Not a valid Swedish organisation number: 10 digits with a correct check digit, "
                  "such as 556036-0793.")
BAD_NO_ORGNO = N_("Not a valid Norwegian organisation number: 9 digits with a correct check digit "
                  "(MOD11), such as 923609016.")
BAD_PERSONNUMMER = N_("Not a valid Swedish personal identity number, such as 790420-7144.")
BAD_EMAIL = N_("Enter an e-mail address such as name@example.se.")
BAD_COUNTRY = N_("Choose a country (a two-letter code such as SE).")
BAD_LANGUAGE = N_("Choose a language from the list.")
BAD_CURRENCY = N_("Choose a currency from the list.")
BAD_OWNER = N_("Choose an owner from the list.")
BAD_METHOD = N_("Choose an invoice method from the list.")
BAD_DAYS = N_("Enter a whole number of days from 0 to 365.")
BAD_DISCOUNT = N_("Enter a percentage from 0 to 100 with at most 2 decimals.")
BAD_AMOUNT = N_("Enter an amount of 0 or more with at most 2 decimals, such as 50 000.")
BAD_CATEGORY = N_("Choose categories from the list.")
EMAIL_INVOICE_NEEDS_ADDRESS = N_("E-mail invoicing needs an invoice e-mail address or the company's e-mail.")
NAME_TOO_LONG = N_("The first and last name together may have at most 200 characters.")
CHECK_FIELDS = N_("Check the fields marked below.")
CLASSIC_NOT_CONFIGURED = N_(
    "Saving needs the classic services, and CRM Lite is not connected to them. Ask your administrator."
)
REGISTER_NOT_CONFIGURED = N_("The company register is not connected. Fill in the fields by hand.")
REGISTER_QUERY_MISSING = N_("Type a name or an organisation number to search the company register.")
CATEGORIES_NOT_SAVED = N_(
    "The company was saved in the classic CRM, but its categories were not. Add them on the card."
)
CANNOT_DELETE = N_("The classic system refused to delete the company.")
OPEN_LEDGER_ITEMS = (N_("It has %(num)s open ledger item."), N_("It has %(num)s open ledger items."))
LIVE_ORDERS = (N_("It has %(num)s order or invoice that is not deleted."),
               N_("It has %(num)s orders or invoices that are not deleted."))
CLASSIC_SAID = N_("The classic system said: %(text)s")

_ORGNO_CHARS = re.compile(r"^[\d\s\-+]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_OPEN_ITEMS_TEXT = re.compile(r"has (\d+) open ledger item", re.IGNORECASE)
_LIVE_ORDERS_TEXT = re.compile(r"has (\d+) orders?\b", re.IGNORECASE)


@dataclass(frozen=True)
class NewCompanyInput:
    """What the user typed into the new-company form (or the API sent), every value as text.

    ``kind`` is ``business`` (``CompanyKind`` 1: name, nick name, organisation and VAT number,
    categories, customer and/or supplier) or ``private`` (``CompanyKind`` 2: first and last name,
    optional personal identity number; always a customer). Addresses are ``<block>_<part>`` with
    blocks ``post`` (postal, required), ``visit``, ``delivery``, ``invoice`` and parts ``street``,
    ``street2``, ``postal_code``, ``city``; each address is in the company's ``country``.
    Check boxes are ``"1"`` when ticked, ``""`` when not. ``categories`` are ``CategoryID`` texts.
    """

    kind: str = BUSINESS
    name: str = ""
    nick_name: str = ""
    first_name: str = ""
    last_name: str = ""
    org_no: str = ""
    vat_no: str = ""
    phone: str = ""
    email: str = ""
    web: str = ""
    owner_user_id: str = ""
    country: str = "SE"
    categories: tuple[str, ...] = ()
    post_street: str = ""
    post_street2: str = ""
    post_postal_code: str = ""
    post_city: str = ""
    visit_street: str = ""
    visit_street2: str = ""
    visit_postal_code: str = ""
    visit_city: str = ""
    delivery_street: str = ""
    delivery_street2: str = ""
    delivery_postal_code: str = ""
    delivery_city: str = ""
    invoice_street: str = ""
    invoice_street2: str = ""
    invoice_postal_code: str = ""
    invoice_city: str = ""
    is_customer: str = "1"
    is_supplier: str = ""
    invoice_method: str = ""
    invoice_email: str = ""
    payment_days: str = ""
    discount_pct: str = ""
    currency: str = ""
    credit_limit: str = ""
    language_code: str = ""

    @classmethod
    def text_fields(cls) -> tuple[str, ...]:
        """The names of the single-valued fields (everything except ``categories``)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "categories")

    @classmethod
    def from_form(
        cls, get: Callable[[str], str | None], get_list: Callable[[str], list[str]]
    ) -> NewCompanyInput:
        """From a submitted form: ``get(name)`` gives a value or None (an unticked check box),
        ``get_list("categories")`` the ticked categories."""
        values = {name: get(name) or "" for name in cls.text_fields()}
        kind = values["kind"] if values["kind"] in FORM_KINDS else BUSINESS
        values["kind"] = kind
        values["is_customer"] = "1" if values["is_customer"] else ""
        values["is_supplier"] = "1" if values["is_supplier"] else ""
        return cls(**values, categories=tuple(get_list("categories"))[:MAX_CATEGORIES * 2])

    @classmethod
    def blank(cls, kind: str, owner_user_id: int | None = None) -> NewCompanyInput:
        """An empty form of ``kind`` (customer ticked, owner = the signed-in user)."""
        return cls(kind=kind if kind in FORM_KINDS else BUSINESS,
                   owner_user_id=str(owner_user_id) if owner_user_id else "")

    def value(self, name: str) -> str:
        """The typed value of ``name`` ("" for an unknown name)."""
        v = getattr(self, name, "")
        return v if isinstance(v, str) else ""

    @property
    def is_private(self) -> bool:
        """True for a private customer (``CompanyKind`` 2)."""
        return self.kind == PRIVATE

    @property
    def display_name(self) -> str:
        """The name the company gets: ``Name``, or ``First Last`` for a private customer."""
        if self.is_private:
            return " ".join(p for p in (self.first_name.strip(), self.last_name.strip()) if p)
        return self.name.strip()


@dataclass(frozen=True)
class CategoryOption:
    """A live ``tblCategory`` row for the form: ``depth`` 0 for a root, ``path`` ``Parent › Child``."""

    category_id: int
    name: str
    depth: int
    path: str


@dataclass(frozen=True)
class CompanyFormChoices:
    """What the form offers: active users as owners (``tblUser``), live categories in tree order,
    currencies (the base currency first, then those with a ``Rate.<code>`` setting), countries,
    languages and the installation's default payment days."""

    owners: tuple[UserRef, ...]
    categories: tuple[CategoryOption, ...]
    currencies: tuple[str, ...]
    base_currency: str
    countries: tuple[str, ...] = COUNTRIES
    languages: tuple[str, ...] = LANGUAGES
    default_payment_days: int = 30


@dataclass(frozen=True)
class DuplicateCandidate:
    """A live company that may be the one being created. ``reasons``: ``org_no`` (the same
    organisation number in any format) and/or ``name`` (the same name after folding case, accents
    and blanks)."""

    company_id: int
    name: str
    reasons: tuple[str, ...]
    org_no: str | None = None
    customer_no: int | None = None
    supplier_no: int | None = None
    city: str | None = None
    kind: str = KIND_COMPANY


@dataclass(frozen=True)
class RegisterLookupResult:
    """A search of the company register for the form: ``hits`` best first, or ``error`` (a
    message: the register is down, refused CRM Lite, or the query was empty)."""

    query: str
    hits: tuple[RegisterHit, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class NewCompanyPage:
    """The new-company form: the typed (or blank) input, the choices and a register search."""

    input: NewCompanyInput
    choices: CompanyFormChoices
    lookup: RegisterLookupResult | None = None


@dataclass(frozen=True)
class CreateOutcome:
    """The result of a create. ``company`` is the stored company (``customer_no`` allocated from
    ``CUSTNO`` when a customer) or None when ``duplicates`` were found and not confirmed.
    ``categories_error`` is set when the company was saved but its categories were not."""

    company: ClassicCompany | None = None
    duplicates: tuple[DuplicateCandidate, ...] = ()
    categories_error: str | None = None


@dataclass(frozen=True)
class DeleteRefusal:
    """One reason the classic system gave for not deleting: ``message`` a msgid with ``params``;
    with ``plural`` set it is ``ngettext(message, plural, count)`` (placeholder ``%(num)s``)."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None


# --- ports --------------------------------------------------------------------------------------


class CategoryStore(Protocol):
    """The category tree, the owners and the direct category writes (``tblCategory``,
    ``tblCompanyCategory``, ``tblUser``). Raise ClassicUnavailable."""

    def category_tree(self) -> list[CategoryNode]:
        """Every ``tblCategory`` row (``member`` False), deleted ones included (the use case hides them)."""

    def owners(self) -> list[UserRef]:
        """The active users (``tblUser.Active = 1``)."""

    def add_company_categories(self, company_id: int, category_ids: Sequence[int]) -> None:
        """Insert ``tblCompanyCategory`` rows for a live company in one transaction (all or none)."""


class ClassicCaller(Protocol):
    """Runs one SOAP operation in a classic session of the signed-in user."""

    def run(self, operation: Callable[[str], T]) -> T:
        """``operation(classic_session_id)``; raises what it raises, and NotAuthenticated with
        ``details["reason"] == PASSWORD_REQUIRED`` when the user must type the password again."""


@dataclass
class UserClassicSession:
    """The classic session kept for a CRM Lite session (``ClassicSessionManager``). ``password``
    is what the user just typed again (or None): used once when the classic session is gone."""

    manager: ClassicSessionManager
    sid_hash: str
    login: str
    password: str | None = None

    def run(self, operation: Callable[[str], T]) -> T:
        """``manager.call`` with the user's login and the typed password."""
        return self.manager.call(self.sid_hash, operation, login=self.login, password=self.password or None)


@dataclass
class OneCallClassicSession:
    """A classic session for one request (HTTP Basic API clients): ``Login``, the operation,
    ``Logout`` (errors of the logout ignored). A refused login raises NotAuthenticated."""

    auth: ClassicAuth
    login: str
    password: str

    def run(self, operation: Callable[[str], T]) -> T:
        """Log in, run ``operation``, log out."""
        session_id = self.auth.login(self.login, self.password)
        try:
            return operation(session_id)
        finally:
            with contextlib.suppress(CrmLiteError):
                self.auth.logout(session_id)


# --- the form -----------------------------------------------------------------------------------


def category_options(nodes: Iterable[CategoryNode]) -> tuple[CategoryOption, ...]:
    """Live categories (not deleted, no deleted ancestor) in tree order, Swedish order per level."""
    from .text import swedish_sort_key

    nodes = list(nodes)
    children: dict[int | None, list[CategoryNode]] = {}
    known = {n.category_id for n in nodes}
    for n in nodes:
        parent = n.parent_id if n.parent_id in known else None
        children.setdefault(parent, []).append(n)
    out: list[CategoryOption] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int, path: tuple[str, ...]) -> None:
        for n in sorted(children.get(parent, []), key=lambda c: (swedish_sort_key(c.name), c.category_id)):
            if n.deleted or n.category_id in seen:  # a deleted category hides its subtree; guard cycles
                continue
            seen.add(n.category_id)
            names = (*path, n.name.strip())
            out.append(CategoryOption(n.category_id, n.name.strip(), depth, " › ".join(names)))
            walk(n.category_id, depth + 1, names)

    walk(None, 0, ())
    return tuple(out)


def company_form_choices(
    user: User, *, installation: InstallationRepository, categories: CategoryStore
) -> CompanyFormChoices:
    """The choices of the new-company form (2 queries: categories, owners; the installation is cached).

    Needs CRM_WRITE (Forbidden). Raises ClassicUnavailable.
    """
    require(user, CRM_WRITE)
    inst = installation.get()
    currencies = (inst.base_currency, *sorted(c for c in inst.rates if c != inst.base_currency))
    owners = tuple(sorted(categories.owners(), key=lambda u: (fold(u.name), u.user_id)))
    return CompanyFormChoices(
        owners=owners,
        categories=category_options(categories.category_tree()),
        currencies=currencies,
        base_currency=inst.base_currency,
        default_payment_days=inst.default_payment_days,
    )


def new_company_page(
    kind: str,
    query: str | None,
    user: User,
    *,
    installation: InstallationRepository,
    categories: CategoryStore,
    register: RegisterLookup | None,
    country: str | None = None,
) -> NewCompanyPage:
    """The empty new-company form of ``kind`` (``business``/``private``), with the register's hits
    for ``query`` when one was typed (a register that is down gives ``lookup.error``, never an
    error page). Needs CRM_WRITE. Raises Forbidden, ClassicUnavailable (database).
    """
    choices = company_form_choices(user, installation=installation, categories=categories)
    owner = user.user_id if any(o.user_id == user.user_id for o in choices.owners) else None
    lookup = None
    if query is not None and query.strip():
        lookup = search_register_safely(query, user, register=register, country=country)
    return NewCompanyPage(NewCompanyInput.blank(kind, owner), choices, lookup)


# --- the company register -----------------------------------------------------------------------


def _clean_query(query: str | None) -> str:
    q = " ".join((query or "").split())
    if not q:
        raise InvalidInput(REGISTER_QUERY_MISSING, fields={"q": REQUIRED})
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(TOO_LONG, fields={"q": TOO_LONG}, params={"q": {"max": MAX_QUERY_CHARS, "count": len(q)}})
    return q


def _country_filter(country: str | None) -> str | None:
    c = (country or "").strip().upper()
    return c if c in ("SE", "NO") else None


def lookup_register(
    query: str, user: User, *, register: RegisterLookup | None, country: str | None = None, max_hits: int = MAX_HITS
) -> list[RegisterHit]:
    """Search the company register by name words or an organisation number in any format
    (``CompanyLookup.SearchCompanies``); best first, at most ``max_hits`` (1..100).

    ``country`` SE or NO filters (anything else = all). Needs CRM_WRITE (the register belongs to
    the new-company dialog). Raises Forbidden, InvalidInput (empty or longer than 200 characters),
    NotAuthenticated (the register refused CRM Lite's credentials), ClassicUnavailable.
    """
    require(user, CRM_WRITE)
    q = _clean_query(query)
    if register is None:
        raise ClassicUnavailable(REGISTER_NOT_CONFIGURED)
    return register.search_companies(q, _country_filter(country), max(1, min(int(max_hits), 100)))


def search_register_safely(
    query: str, user: User, *, register: RegisterLookup | None, country: str | None = None
) -> RegisterLookupResult:
    """``lookup_register`` for a page: the hits, or the error's message (register down, empty query)."""
    try:
        hits = lookup_register(query, user, register=register, country=country)
    except Forbidden:
        raise
    except CrmLiteError as exc:  # register down or refusing CRM Lite, empty query: say so beside the search
        return RegisterLookupResult(query=query.strip()[:MAX_QUERY_CHARS], error=exc.message)
    return RegisterLookupResult(query=query.strip(), hits=tuple(hits))


def get_register_company(
    org_no: str, user: User, *, register: RegisterLookup | None, country: str | None = None
) -> RegisterCompany:
    """The register's data of one company (``CompanyLookup.GetCompanyData``), by organisation number
    in any format; ``country`` SE (default) or NO. Needs CRM_WRITE. Raises Forbidden, InvalidInput
    (no digits), NotFound, NotAuthenticated (register credentials), ClassicUnavailable.
    """
    require(user, CRM_WRITE)
    number = (org_no or "").strip()
    if not digits(number) or len(number) > 30:
        raise InvalidInput(REGISTER_QUERY_MISSING, fields={"org_no": REQUIRED})
    if register is None:
        raise ClassicUnavailable(REGISTER_NOT_CONFIGURED)
    return register.get_company_data(number, _country_filter(country) or "SE")


def register_fields(company: RegisterCompany, country: str | None = None) -> dict[str, str]:
    """The form fields a register entry fills (``NewCompanyInput`` names → text): name,
    organisation and VAT number, phone, country, the postal (``post_*``) and visiting
    (``visit_*``) address. Values the register lacks are left out (the typed ones stay)."""
    out: dict[str, str] = {}

    def put(name: str, value: str | None) -> None:
        if value is not None and str(value).strip():
            out[name] = str(value).strip()

    put("name", company.name)
    put("org_no", company.org_no)
    put("vat_no", company.vat_no)
    put("phone", company.phone)
    code = (country or "").strip().upper()
    if not code and company.postal_address is not None:
        code = (company.postal_address.country or "").strip().upper()
    put("country", code or None)
    for prefix, address in (("post", company.postal_address), ("visit", company.visiting_address)):
        if address is None:
            continue
        put(f"{prefix}_street", address.street)
        put(f"{prefix}_street2", address.street2)
        put(f"{prefix}_postal_code", address.postal_code)
        put(f"{prefix}_city", address.city)
    return out


def fill_from_register(
    data: NewCompanyInput,
    org_no: str,
    user: User,
    *,
    register: RegisterLookup | None,
    country: str | None = None,
) -> tuple[NewCompanyInput, RegisterCompany]:
    """``data`` with the fields of the register's entry ``org_no`` filled in (``register_fields``);
    every other typed value is kept and everything stays editable. The form becomes a business.
    Same rights and errors as ``get_register_company``.
    """
    company = get_register_company(org_no, user, register=register, country=country)
    filled = dataclasses.replace(data, kind=BUSINESS, **register_fields(company, country))
    return filled, company


# --- validation ---------------------------------------------------------------------------------


class _Errors:
    """Field messages (msgids) and their parameters, first message per field wins."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.params: dict[str, dict[str, object]] = {}

    def add(self, name: str, message: str, **params: object) -> None:
        if name not in self.fields:
            self.fields[name] = message
            if params:
                self.params[name] = params

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(CHECK_FIELDS, fields=dict(self.fields), params=dict(self.params))


def _text(data: NewCompanyInput, name: str, errors: _Errors, *, required: bool = False) -> str | None:
    """The trimmed value of a single-line field, checked for length, characters and presence."""
    value = data.value(name).strip()
    if not value:
        if required:
            errors.add(name, REQUIRED)
        return None
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        errors.add(name, TOO_LONG, max=limit, count=len(value))
    elif _CONTROL.search(value):
        errors.add(name, CONTROL_CHARS)
    elif name in VARCHAR_FIELDS:
        try:
            value.encode("cp1252")
        except UnicodeEncodeError:
            errors.add(name, NOT_STORABLE)
    return value


def check_org_no(value: str, country: str, kind: int) -> str | None:
    """The message for an organisation number that classic would refuse, or None when it is valid.

    SE: 10 digits (a 12-digit form with century 16/19/20 is accepted) with a Luhn check digit
    (``stdnum.se.orgnr``); a private customer's personal identity number is checked with
    ``stdnum.se.personnummer`` (which also checks the date). NO: 9 digits, MOD11
    (``stdnum.no.orgnr``). Other countries: not checked.
    """
    code = (country or "SE").upper()
    if code not in ("SE", "NO"):
        return None
    if not _ORGNO_CHARS.match(value):
        return BAD_PERSONNUMMER if (code == "SE" and kind == KIND_CONSUMER) else (
            BAD_SE_ORGNO if code == "SE" else BAD_NO_ORGNO)
    if code == "NO":
        return None if no_orgnr.is_valid(digits(value)) else BAD_NO_ORGNO
    if kind == KIND_CONSUMER:
        return None if se_personnummer.is_valid(value) or se_orgnr.is_valid(orgno_key(value)) else BAD_PERSONNUMMER
    key = orgno_key(value)
    return None if len(key) == 10 and se_orgnr.is_valid(key) else BAD_SE_ORGNO


def _decimal(text: str | None) -> Decimal | None:
    """``12,5`` / ``12.50`` / ``50 000`` → Decimal; None when it is not a plain number."""
    if text is None:
        return None
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _two_decimals(value: Decimal) -> bool:
    return value == value.quantize(Decimal("0.01"))


def validate_new_company(
    data: NewCompanyInput, choices: CompanyFormChoices
) -> tuple[CompanyChanges, tuple[int, ...]]:
    """The ``SaveCompanies`` item and the category ids for ``data``, or InvalidInput with
    ``details["fields"]`` (field → msgid) and ``details["params"]`` (field → placeholders).

    Rules: name required (business) or first and last name (private); classic column lengths;
    ``varchar`` fields Windows-1252 only; organisation numbers (``check_org_no``); e-mail shape;
    the postal address (street, postal code, city) required; payment days 0..365; discount
    0..100 and credit limit >= 0, both with at most 2 decimals; owner, currency, language,
    invoice method and categories from the choices.
    """
    errors = _Errors()
    private = data.is_private
    kind = KIND_CONSUMER if private else KIND_BUSINESS

    country = data.country.strip().upper() or "SE"
    if not _COUNTRY.match(country):
        errors.add("country", BAD_COUNTRY)
        country = "SE"

    if private:
        first = _text(data, "first_name", errors, required=True)
        last = _text(data, "last_name", errors, required=True)
        name = " ".join(p for p in (first, last) if p) or None
        if name is not None and len(name) > MAX_LENGTHS["name"] and "last_name" not in errors.fields:
            errors.add("last_name", NAME_TOO_LONG)
        nick = vat = None
    else:
        name = _text(data, "name", errors, required=True)
        nick = _text(data, "nick_name", errors)
        vat = _text(data, "vat_no", errors)

    org = _text(data, "org_no", errors)
    if org is not None and "org_no" not in errors.fields:
        problem = check_org_no(org, country, kind)
        if problem:
            errors.add("org_no", problem)

    phone = _text(data, "phone", errors)
    email = _text(data, "email", errors)
    if email is not None and "email" not in errors.fields and not _EMAIL.match(email):
        errors.add("email", BAD_EMAIL)
    web = None if private else _text(data, "web", errors)

    owner_id = None
    owner_text = data.owner_user_id.strip()
    if owner_text:
        if not owner_text.isdigit() or int(owner_text) not in {o.user_id for o in choices.owners}:
            errors.add("owner_user_id", BAD_OWNER)
        else:
            owner_id = int(owner_text)

    addresses: dict[str, CompanyAddress | None] = {}
    for prefix, (attr, _addr_type) in ADDRESS_BLOCKS.items():
        required = prefix == "post"
        parts = {
            part: _text(data, f"{prefix}_{part}", errors, required=required and part != "street2")
            for part in ADDRESS_PARTS
        }
        if any(v is not None for v in parts.values()):
            addresses[attr] = CompanyAddress(
                street=parts["street"], street2=parts["street2"], postal_code=parts["postal_code"],
                city=parts["city"], country=country,
            )
        else:
            addresses[attr] = None

    is_customer = True if private else data.is_customer == "1"
    is_supplier = False if private else data.is_supplier == "1"

    method = data.invoice_method.strip()
    invoice_method = None
    if method:
        if method not in INVOICE_METHODS:
            errors.add("invoice_method", BAD_METHOD)
        else:
            invoice_method = int(method)
    invoice_email = _text(data, "invoice_email", errors)
    if invoice_email is not None and "invoice_email" not in errors.fields and not _EMAIL.match(invoice_email):
        errors.add("invoice_email", BAD_EMAIL)
    if invoice_method == 2 and invoice_email is None and email is None and "invoice_email" not in errors.fields:
        errors.add("invoice_email", EMAIL_INVOICE_NEEDS_ADDRESS)

    payment_days = None
    days_text = data.payment_days.strip()
    if days_text:
        if not days_text.isdigit() or int(days_text) > MAX_PAYMENT_DAYS:
            errors.add("payment_days", BAD_DAYS)
        else:
            payment_days = int(days_text)

    discount = None
    if data.discount_pct.strip():
        d = _decimal(data.discount_pct.strip())
        if d is None or not Decimal(0) <= d <= Decimal(100) or not _two_decimals(d):
            errors.add("discount_pct", BAD_DISCOUNT)
        else:
            discount = d

    credit_limit = None
    if data.credit_limit.strip():
        c = _decimal(data.credit_limit.strip())
        if c is None or c < 0 or c >= MAX_AMOUNT or not _two_decimals(c):
            errors.add("credit_limit", BAD_AMOUNT)
        else:
            credit_limit = c

    currency = data.currency.strip().upper() or None
    if currency is not None and currency not in choices.currencies:
        errors.add("currency", BAD_CURRENCY)
    if currency == choices.base_currency:
        currency = None  # NULL = the base currency (kit: tblCompany.Currency)

    language = data.language_code.strip().lower() or None
    if language is not None and language not in choices.languages:
        errors.add("language_code", BAD_LANGUAGE)

    category_ids: list[int] = []
    if not private:
        live = {c.category_id for c in choices.categories}
        for raw in data.categories:
            text = (raw or "").strip()
            if not text:
                continue
            if not text.isdigit() or int(text) not in live:
                errors.add("categories", BAD_CATEGORY)
                break
            if int(text) not in category_ids:
                category_ids.append(int(text))
        if len(category_ids) > MAX_CATEGORIES:
            errors.add("categories", BAD_CATEGORY)

    errors.raise_if_any()
    changes = CompanyChanges(
        name=name,
        nick_name=nick,
        org_no=org,
        vat_no=vat,
        kind=kind,
        is_customer=is_customer,
        is_supplier=is_supplier,
        phone=phone,
        email=email,
        web=web,
        owner_user_id=owner_id,
        country=country,
        currency=currency,
        payment_days=payment_days,
        invoice_method=invoice_method,
        invoice_email=invoice_email,
        discount_pct=discount,
        credit_limit=credit_limit,
        language_code=language,
        **addresses,
    )
    return changes, tuple(category_ids)


# --- duplicates ---------------------------------------------------------------------------------

_COMPANY_KINDS = (KIND_COMPANY, KIND_SUPPLIER, KIND_PRIVATE)


def find_duplicates(
    name: str | None, org_no: str | None, user: User, *, search: SearchQueries
) -> tuple[DuplicateCandidate, ...]:
    """Live companies (``tblCompany.Deleted = 0``) with the same organisation number in any format
    (``orgno_key``: digits, a 12-digit form without its century) or the same name after folding
    (``fold``: case, accents other than å ä ö æ ø, and runs of blanks ignored). At most 50 per
    reason, best first. Needs CRM_READ. Raises ClassicUnavailable. Up to 4 queries (2 searches).
    """
    require(user, CRM_READ)
    found: dict[int, DuplicateCandidate] = {}

    def add(hit, reason: str) -> None:
        old = found.get(hit.id)
        reasons = (*old.reasons, reason) if old is not None else (reason,)
        found[hit.id] = DuplicateCandidate(
            company_id=hit.id, name=hit.title, reasons=reasons,
            org_no=hit.org_no if old is None or old.org_no is None else old.org_no,
            customer_no=hit.customer_no, supplier_no=hit.supplier_no, city=hit.city, kind=hit.kind,
        )

    key = orgno_key(org_no)
    if len(key) >= 6 and _ORGNO_CHARS.match((org_no or "").strip()):
        results = search_everything((org_no or "").strip(), user, queries=search, kinds=_COMPANY_KINDS)
        for group in results.groups:
            for hit in group.hits:
                if hit.org_no and orgno_key(hit.org_no) == key:
                    add(hit, "org_no")
    wanted = fold(name)
    if len(wanted) >= 2:
        results = search_everything(wanted, user, queries=search, kinds=_COMPANY_KINDS, limit_per_kind=200)
        for group in results.groups:
            for hit in group.hits:
                if fold(hit.title) == wanted:
                    add(hit, "name")
    return tuple(found.values())


# --- create -------------------------------------------------------------------------------------


def _save(
    changes: CompanyChanges,
    category_ids: Sequence[int],
    *,
    classic: ClassicCaller | None,
    companies: ClassicCompanyService | None,
    categories: CategoryStore,
) -> CreateOutcome:
    if classic is None or companies is None:
        raise ClassicUnavailable(CLASSIC_NOT_CONFIGURED)
    company = classic.run(lambda session_id: companies.save_company(session_id, changes))
    categories_error = None
    if category_ids:
        try:
            categories.add_company_categories(company.company_id, category_ids)
        except CrmLiteError:
            categories_error = CATEGORIES_NOT_SAVED
    return CreateOutcome(company=company, categories_error=categories_error)


def create_company(
    data: NewCompanyInput,
    user: User,
    *,
    classic: ClassicCaller | None,
    companies: ClassicCompanyService | None,
    categories: CategoryStore,
    search: SearchQueries,
    installation: InstallationRepository,
    confirm_duplicates: bool = False,
) -> CreateOutcome:
    """Create a company (``data.kind`` business, or private: then as ``create_private_customer``)
    through ``CompanyService.SaveCompanies`` in the user's classic session, then its categories
    (``tblCompanyCategory``, one transaction).

    Order: rights (CRM_WRITE), validation (``validate_new_company``; nothing is sent when it
    fails), duplicates (``find_duplicates``; unless ``confirm_duplicates``, likely duplicates stop
    here with ``CreateOutcome.duplicates`` and nothing saved), save. The classic service allocates
    ``CustomerNo`` from ``CUSTNO`` (``SupplierNo`` from ``SUPPNO``) and sets the audit columns to the
    user. Raises Forbidden, InvalidInput (``details["fields"]``, also for the classic's own
    validation), NotAuthenticated (``reason`` PASSWORD_REQUIRED: ask for the password and call
    again with a ``UserClassicSession`` that carries it), ClassicUnavailable (nothing saved).
    """
    require(user, CRM_WRITE)
    choices = company_form_choices(user, installation=installation, categories=categories)
    changes, category_ids = validate_new_company(data, choices)
    if not confirm_duplicates:
        duplicates = find_duplicates(changes.name, changes.org_no, user, search=search)
        if duplicates:
            return CreateOutcome(duplicates=duplicates)
    return _save(changes, category_ids, classic=classic, companies=companies, categories=categories)


def create_private_customer(
    data: NewCompanyInput,
    user: User,
    *,
    classic: ClassicCaller | None,
    companies: ClassicCompanyService | None,
    categories: CategoryStore,
    search: SearchQueries,
    installation: InstallationRepository,
    confirm_duplicates: bool = False,
) -> CreateOutcome:
    """Create a private customer (``CompanyKind`` 2, a person as customer: ``Name`` = first and
    last name, ``IsCustomer`` 1, a ``CustomerNo`` from ``CUSTNO``). Same steps, rights and errors
    as ``create_company``."""
    return create_company(
        dataclasses.replace(data, kind=PRIVATE), user, classic=classic, companies=companies,
        categories=categories, search=search, installation=installation,
        confirm_duplicates=confirm_duplicates,
    )


# --- delete -------------------------------------------------------------------------------------


def get_company_to_delete(company_id: int, user: User, *, companies: CompanyQueries) -> Company:
    """The live company for the delete confirmation (``facade.companies.Company``). Needs
    CRM_DELETE (Forbidden). Raises NotFound (unknown or already deleted), ClassicUnavailable."""
    require(user, CRM_DELETE)
    company = companies.company(company_id)
    if company is None:
        raise NotFound(COMPANY_NOT_FOUND)
    return company


def refusal_reasons(error: ClassicRejected) -> tuple[DeleteRefusal, ...]:
    """The reasons of a classic ``NotAllowed`` for a delete: open ledger items and/or live orders
    (counts read from the classic's message), or the classic's own text when it says something else."""
    text = str(error.details.get("classic_message") or "")
    reasons = []
    m = _OPEN_ITEMS_TEXT.search(text)
    if m:
        reasons.append(DeleteRefusal(OPEN_LEDGER_ITEMS[0], plural=OPEN_LEDGER_ITEMS[1], count=int(m.group(1))))
    m = _LIVE_ORDERS_TEXT.search(text)
    if m:
        reasons.append(DeleteRefusal(LIVE_ORDERS[0], plural=LIVE_ORDERS[1], count=int(m.group(1))))
    if not reasons and text.strip():
        reasons.append(DeleteRefusal(CLASSIC_SAID, {"text": text.strip()[:500]}))
    return tuple(reasons)


def delete_company(
    company_id: int,
    user: User,
    *,
    classic: ClassicCaller | None,
    companies: ClassicCompanyService | None,
) -> None:
    """Soft-delete a company (``Deleted = 1``) through ``CompanyService.DeleteCompanies`` in the
    user's classic session; links, persons and history stay.

    Needs CRM_DELETE (Forbidden). Raises NotFound (unknown or already deleted), ClassicRejected
    with ``details["reasons"]`` (``DeleteRefusal``: open ledger items, orders not deleted),
    NotAuthenticated (``reason`` PASSWORD_REQUIRED), ClassicUnavailable.
    """
    require(user, CRM_DELETE)
    if classic is None or companies is None:
        raise ClassicUnavailable(CLASSIC_NOT_CONFIGURED)
    try:
        classic.run(lambda session_id: companies.delete_company(session_id, int(company_id)))
    except ClassicRejected as exc:
        raise ClassicRejected(CANNOT_DELETE, **{**exc.details, "reasons": refusal_reasons(exc)}) from exc
