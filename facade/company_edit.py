"""Edit a company's information box, customer settings and notes in place, written straight to the
classic database with optimistic concurrency.

Classic tables: ``tblCompany`` (one ``UPDATE … SET …, ChangedAt, ChangedBy, ChangeNo = ChangeNo + 1
WHERE CompanyID = :id AND ChangeNo = :seen AND Deleted = 0``) and ``tblAddress`` (``AddrType`` 1–4,
written in the same transaction, only after the company row's ``ChangeNo`` check succeeded, so an
address change is guarded by the company's ``ChangeNo``); ``tblUser`` (owners); ``tblSetting``
(currencies through ``Installation``).

Decisions:

* **What is written.** Only the fields the user changed: the form carries the values it showed
  (``original``), and a field whose normal form equals the one shown is left alone, so messy old
  values (blank-padded names, an organisation number with a wrong check digit) are never rewritten
  by a save that did not touch them. A save that changes nothing writes nothing (no ``ChangeNo + 1``).
* **Concurrency.** A save names the ``ChangeNo`` it read. Another writer (the classic client, another
  CRM Lite session, the classic services) raises ``ChangeNo``: the save is refused with ``Conflict``
  whose ``details["conflict"]`` (``EditConflict``) lists every field that changed since, with the
  user's value and the value now, and the form values to show again: the user's value where they
  changed the field, the new value elsewhere (so saving again never reverts someone else's change
  silently), with the new ``ChangeNo`` so that pressing Save again re-applies the user's edit.
* **Text.** Single-line fields are stored trimmed, blank = NULL; notes are stored as typed (CRLF from
  the browser kept), blank = NULL. ``Name`` is required. Lengths are the columns' (``ddl/mssql.sql``);
  ``varchar`` columns (numbers, e-mail, web, codes) must hold Windows-1252 characters only because
  SQL Server stores them in that code page.
* **Organisation number.** Checked like the classic service does when it changed (or the country
  changed): SE 10 digits with a Luhn check digit (a 12-digit form with century 16/19/20 accepted),
  stored ``NNNNNN-NNNN``; NO 9 digits mod 11, stored ``NNNNNNNNN``; other countries as typed.
* **Addresses.** ``tblAddress`` has no soft delete and the classic service keeps a cleared address's
  row (its fields become NULL): CRM Lite does the same — clearing every field of an address type
  sets them to NULL and keeps the row (nothing is physically deleted; classic screens may refer to
  the row); a type without a row gets one only when a field is filled in. The card hides empty ones.
* **Roles.** ``IsCustomer``/``IsSupplier`` are not edited here: giving a role allocates a customer or
  supplier number from ``tblNumberSeries``, which is the classic service's job (new company, merge).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from .auth import require
from .companies import ADDRESS_LABELS, ADDRESS_TYPES, COMPANY_NOT_FOUND, INVOICE_METHODS, UserRef
from .errors import ClassicUnavailable, Conflict, InvalidInput, NotFound
from .i18n import N_
from .model import CRM_WRITE, User
from .periods import local_now
from .ports import Clock, InstallationRepository

# --- vocabulary --------------------------------------------------------------------------------

PART_INFO = "info"
PART_NOTES = "notes"
PARTS = (PART_INFO, PART_NOTES)

# Field kinds: how a value is parsed, compared and stored.
TEXT, NOTES, INT, DECIMAL, CODE, ORGNO, EMAIL, CURRENCY, LANGUAGE = (
    "text", "notes", "int", "decimal", "code", "orgno", "email", "currency", "language")

#: Languages offered for ``LanguageCode`` (the kit's installations use these; any 2 letters are valid).
LANGUAGE_CODES = ("sv", "en", "nb", "da", "fi", "de")
KIND_LABELS = {1: N_("Business"), 2: N_("Private person")}
NOTES_LIMIT = 1_000_000  # nvarchar(max); a sanity limit for one form post


@dataclass(frozen=True)
class FieldSpec:
    """One editable value: ``key`` in forms and the API, ``column`` of ``tblCompany``/``tblAddress``,
    ``max_len`` characters (None = no limit), ``varchar`` = Windows-1252 only on SQL Server."""

    key: str
    label: str
    kind: str
    column: str
    max_len: int | None = None
    varchar: bool = False
    required: bool = False


COMPANY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", N_("Name"), TEXT, "Name", 200, required=True),
    FieldSpec("nick_name", N_("Nick name"), TEXT, "NickName", 100),
    FieldSpec("kind", N_("Kind"), INT, "CompanyKind"),
    FieldSpec("org_no", N_("Organisation no."), ORGNO, "OrgNo", 20, varchar=True),
    FieldSpec("vat_no", N_("VAT no."), TEXT, "VatNo", 30, varchar=True),
    FieldSpec("country", N_("Country"), CODE, "Country", 2, varchar=True),
    FieldSpec("owner_user_id", N_("Owner"), INT, "OwnerUserID"),
    FieldSpec("phone", N_("Phone"), TEXT, "Phone", 50, varchar=True),
    FieldSpec("fax", N_("Fax"), TEXT, "Fax", 50, varchar=True),
    FieldSpec("email", N_("E-mail"), EMAIL, "Email", 200, varchar=True),
    FieldSpec("web", N_("Web"), TEXT, "Web", 200, varchar=True),
    FieldSpec("invoice_method", N_("Invoice method"), INT, "InvoiceMethod"),
    FieldSpec("invoice_email", N_("Invoice e-mail"), EMAIL, "InvoiceEmail", 200, varchar=True),
    FieldSpec("payment_days", N_("Payment terms (days)"), INT, "PaymentDays"),
    FieldSpec("discount_pct", N_("Discount (%)"), DECIMAL, "DiscountPct"),
    FieldSpec("currency", N_("Currency"), CURRENCY, "Currency", 3, varchar=True),
    FieldSpec("credit_limit", N_("Credit limit"), DECIMAL, "CreditLimit"),
    FieldSpec("language_code", N_("Invoice language"), LANGUAGE, "LanguageCode", 2, varchar=True),
    FieldSpec("notes", N_("Notes"), NOTES, "Notes", NOTES_LIMIT),
)

#: ``tblAddress`` fields of one address; form keys are ``addr<AddrType>.<key>`` (``addr1.city``).
ADDRESS_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("line1", N_("Street"), TEXT, "Line1", 100),
    FieldSpec("line2", N_("Street, line 2"), TEXT, "Line2", 100),
    FieldSpec("post_code", N_("Postal code"), TEXT, "PostCode", 20, varchar=True),
    FieldSpec("city", N_("City"), TEXT, "City", 100),
    FieldSpec("country", N_("Country"), CODE, "Country", 2, varchar=True),
)

#: Which form keys each part of the card edits.
INFO_KEYS = tuple(f.key for f in COMPANY_FIELDS if f.key != "notes")
NOTES_KEYS = ("notes",)


def address_key(addr_type: int, key: str) -> str:
    """The form key of an address field: ``addr2.city``."""
    return f"addr{addr_type}.{key}"


ADDRESS_KEYS = tuple(address_key(t, f.key) for t in ADDRESS_TYPES for f in ADDRESS_FIELDS)
PART_KEYS = {PART_INFO: INFO_KEYS + ADDRESS_KEYS, PART_NOTES: NOTES_KEYS}
_SPECS: dict[str, FieldSpec] = {f.key: f for f in COMPANY_FIELDS}
for _t in ADDRESS_TYPES:
    for _f in ADDRESS_FIELDS:
        _SPECS[address_key(_t, _f.key)] = _f
ALL_KEYS = tuple(_SPECS)


def field_label(key: str) -> str:
    """The English msgid naming a form key (an address field names its address type too)."""
    spec = _SPECS.get(key)
    if spec is None:
        return key
    if key.startswith("addr"):
        return f"{ADDRESS_LABELS[ADDRESS_TYPES[int(key[4])]]}: {spec.label}"
    return spec.label


@dataclass(frozen=True)
class Text:
    """A message for the user: an English msgid and its ``%(name)s`` parameters."""

    msgid: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AddressValues:
    """One ``tblAddress`` row's fields as stored (None = NULL)."""

    line1: str | None = None
    line2: str | None = None
    post_code: str | None = None
    city: str | None = None
    country: str | None = None

    @property
    def empty(self) -> bool:
        """True when no field holds anything but blanks."""
        return not any((v or "").strip() for v in (self.line1, self.line2, self.post_code, self.city, self.country))


@dataclass(frozen=True)
class EditableCompany:
    """A live ``tblCompany`` row with its addresses, values exactly as stored (not trimmed).

    ``addresses`` maps ``AddrType`` (1–4) to the type's first row; ``changed_at`` is local time;
    ``discount_pct`` percent; ``credit_limit`` in the base currency; ``currency`` None = base.
    """

    company_id: int
    change_no: int
    name: str
    nick_name: str | None = None
    org_no: str | None = None
    vat_no: str | None = None
    kind: int | None = 1
    country: str | None = None
    owner_user_id: int | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    web: str | None = None
    invoice_method: int | None = None
    invoice_email: str | None = None
    payment_days: int | None = None
    discount_pct: Decimal | None = None
    currency: str | None = None
    credit_limit: Decimal | None = None
    language_code: str | None = None
    notes: str | None = None
    addresses: dict[int, AddressValues] = field(default_factory=dict)
    customer_no: int | None = None
    supplier_no: int | None = None
    is_customer: bool = False
    is_supplier: bool = False
    changed_at: datetime | None = None
    changed_by: UserRef | None = None

    def value(self, key: str) -> object:
        """The stored value of a form key (``name``, ``addr1.city``, …)."""
        if key.startswith("addr"):
            addr_type, _dot, sub = key[4:].partition(".")
            address = self.addresses.get(int(addr_type))
            return getattr(address, sub) if address is not None else None
        return getattr(self, key)


@dataclass(frozen=True)
class CompanyPatch:
    """What one save writes: ``fields`` by form key (parsed values; None = NULL) and, per
    ``AddrType``, the address's five fields (the whole address is written)."""

    fields: dict[str, object]
    addresses: dict[int, AddressValues]

    @property
    def empty(self) -> bool:
        """True when nothing would be written."""
        return not self.fields and not self.addresses


@dataclass(frozen=True)
class FieldChange:
    """A field that changed since the form was read: the user's value (form text) and the value
    now (form text); ``you_changed`` = the user changed it too (a real clash)."""

    key: str
    label: str
    yours: str
    now: str
    you_changed: bool


@dataclass(frozen=True)
class EditConflict:
    """Why a save was refused: the company as it is now, the fields that changed since the form was
    read, and the form values to show again (the user's edits kept, other fields brought up to date;
    ``values`` and ``originals`` go with ``current.change_no``)."""

    current: EditableCompany
    changes: tuple[FieldChange, ...]
    values: dict[str, str]
    originals: dict[str, str]


@dataclass(frozen=True)
class EditForm:
    """Everything the edit form shows.

    ``values``: form text per key of ``keys``; ``originals``: the values the form was built from
    (sent back hidden); ``errors`` per key; ``owners`` the users to choose from (None when classic
    could not be read: the form then keeps the typed id); ``currencies`` base first.
    """

    company_id: int
    company_name: str
    part: str
    keys: tuple[str, ...]
    change_no: int
    values: dict[str, str]
    originals: dict[str, str]
    errors: dict[str, Text] = field(default_factory=dict)
    conflict: EditConflict | None = None
    message: Text | None = None
    owners: tuple[UserRef, ...] | None = None
    currencies: tuple[str, ...] = ()
    base_currency: str = "SEK"
    languages: tuple[str, ...] = LANGUAGE_CODES
    address_types: tuple[int, ...] = tuple(ADDRESS_TYPES)


# --- port --------------------------------------------------------------------------------------


class CompanyWrites(Protocol):
    """Reads for the edit form and the edit's unit of work (classic database). Raise ClassicUnavailable."""

    def editable(self, company_id: int) -> EditableCompany | None:
        """The live company as stored, with addresses and the changing user; None when unknown or
        soft-deleted. One query."""

    def users(self) -> list[UserRef]:
        """Every ``tblUser`` (owners may be inactive), by name."""

    def update(self, company_id: int, seen_change_no: int, patch: CompanyPatch, *, user_id: int,
               now_local: datetime) -> int:
        """Write ``patch`` in one transaction: ``tblCompany`` with ``ChangedAt = now_local``,
        ``ChangedBy = user_id``, ``ChangeNo + 1`` where ``ChangeNo = seen_change_no`` and
        ``Deleted = 0``, then ``tblAddress``. Returns the new ``ChangeNo``. Raises Conflict (the
        row's ``ChangeNo`` moved on; nothing written) or NotFound (deleted meanwhile)."""


# --- messages ----------------------------------------------------------------------------------

REQUIRED = N_("Enter a name.")
TOO_LONG = N_("At most %(max)s characters.")
NOT_CP1252 = N_("Contains characters the classic database cannot store here (e.g. emoji).")
NOT_INT = N_("Enter a whole number.")
NOT_DECIMAL = N_("Enter a number, e.g. 12.5.")
TOO_MANY_DECIMALS = N_("At most 2 decimals.")
OUT_OF_RANGE = N_("Must be between %(low)s and %(high)s.")
NOT_NEGATIVE = N_("Must not be negative.")
TOO_LARGE = N_("The number is too large.")
BAD_COUNTRY = N_("Enter a two-letter country code, e.g. SE.")
BAD_LANGUAGE = N_("Enter a two-letter language code, e.g. sv.")
BAD_EMAIL = N_("Enter an e-mail address like name@example.se.")
BAD_CURRENCY = N_("Unknown currency: there is no exchange rate for it.")
BAD_OWNER = N_("Choose a user of the classic system.")
BAD_KIND = N_("Choose business or private person.")
BAD_METHOD = N_("Choose paper, e-mail or e-invoice.")
BAD_ORGNO_SE = N_("Not a valid Swedish organisation number (10 digits with a correct check digit).")
BAD_ORGNO_NO = N_("Not a valid Norwegian organisation number (9 digits, mod 11).")
CHECK_FIELDS = N_("Check the marked fields.")
CHANGED_SINCE = N_("The company was changed by someone else since you opened it. Nothing was saved.")
DELETED_SINCE = N_("The company has been deleted since you opened it. Your changes were not saved.")

_CP1252_OK = re.compile(r"^[\x00-\x7f]*$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+$")
_ORG_SEPARATORS = re.compile(r"[\s\-+]")
_MONEY_LIMIT = Decimal("1e15")


# --- parsing and normal forms --------------------------------------------------------------------


def _is_cp1252(text: str) -> bool:
    if _CP1252_OK.match(text):
        return True
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _decimal_text(value: str) -> str:
    return value.replace("\u00a0", "").replace(" ", "").replace(",", ".")


def normalise_org_no(text: str, country: str | None) -> tuple[str | None, str | None]:
    """``(stored form, None)`` or ``(None, msgid)``: SE ``NNNNNN-NNNN`` (Luhn; a 12-digit form with
    century 16/19/20 accepted), NO 9 digits (mod 11), other countries as typed (trimmed)."""
    code = (country or "SE").strip().upper() or "SE"
    raw = text.strip()
    if code == "SE":
        digits = _ORG_SEPARATORS.sub("", raw)
        if len(digits) == 12 and digits[:2] in ("16", "19", "20"):
            digits = digits[2:]
        if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or not se_orgnr.is_valid(digits):
            return None, BAD_ORGNO_SE
        return f"{digits[:6]}-{digits[6:]}", None
    if code == "NO":
        digits = _ORG_SEPARATORS.sub("", raw)
        if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or not no_orgnr.is_valid(digits):
            return None, BAD_ORGNO_NO
        return digits, None
    return raw, None


def comparable(key: str, value: object, base_currency: str = "SEK") -> object:
    """The normal form two values of ``key`` are compared in ("did it change?"): trimmed text
    (blank = None), notes with LF line ends, numbers as numbers, codes upper case, the base
    currency for None."""
    spec = _SPECS[key]
    if value is None:
        text = ""
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        text = str(value)
    if spec.kind == NOTES:
        t = text.replace("\r\n", "\n").replace("\r", "\n")
        return t if t.strip() else None
    t = text.strip()
    if spec.kind == INT:
        try:
            return int(t) if t else None
        except ValueError:
            return t
    if spec.kind == DECIMAL:
        try:
            return Decimal(_decimal_text(t)).normalize() if t else None
        except InvalidOperation:
            return t
    if spec.kind == CURRENCY:
        return t.upper() or base_currency.upper()
    if spec.kind in (CODE, LANGUAGE):
        return t.lower() or None
    return t or None


def form_text(key: str, value: object) -> str:
    """A stored value as the form shows it: text as stored (None = ""), decimals with a point."""
    if value is None:
        return ""
    spec = _SPECS[key]
    if spec.kind == DECIMAL:
        d = Decimal(str(value))
        return format(d.quantize(Decimal("0.01")), "f") if d == d.quantize(Decimal("0.01")) else format(d, "f")
    return str(value)


def form_values(company: EditableCompany, keys: tuple[str, ...]) -> dict[str, str]:
    """The form text of ``keys`` from the stored company."""
    return {k: form_text(k, company.value(k)) for k in keys}


def _parse(key: str, text: str, *, country: str | None, installation_rates: Mapping[str, Decimal],
           base_currency: str, owner_ids: set[int] | None) -> tuple[object, Text | None]:
    """``(value to store, None)`` or ``(None, problem)`` for the form text of ``key``."""
    spec = _SPECS[key]
    if spec.kind == NOTES:
        if len(text) > NOTES_LIMIT:
            return None, Text(TOO_LONG, {"max": NOTES_LIMIT})
        return (text if text.strip() else None), None
    t = text.strip()
    if spec.required and not t:
        return None, Text(REQUIRED)
    if spec.max_len is not None and len(t) > spec.max_len:
        return None, Text(TOO_LONG, {"max": spec.max_len})
    if spec.varchar and t and not _is_cp1252(t):
        return None, Text(NOT_CP1252)
    if not t:
        return None, None  # NULL (for the currency: the base currency)
    if spec.kind == INT:
        if not re.fullmatch(r"[+-]?\d{1,9}", t):
            return None, Text(NOT_INT)
        n = int(t)
        if key == "payment_days" and not 0 <= n <= 365:
            return None, Text(OUT_OF_RANGE, {"low": 0, "high": 365})
        if key == "kind" and n not in KIND_LABELS:
            return None, Text(BAD_KIND)
        if key == "invoice_method" and n not in INVOICE_METHODS:
            return None, Text(BAD_METHOD)
        if key == "owner_user_id" and owner_ids is not None and n not in owner_ids:
            return None, Text(BAD_OWNER)
        return n, None
    if spec.kind == DECIMAL:
        try:
            d = Decimal(_decimal_text(t))
        except InvalidOperation:
            return None, Text(NOT_DECIMAL)
        if not d.is_finite():
            return None, Text(NOT_DECIMAL)
        if d != d.quantize(Decimal("0.01")):
            return None, Text(TOO_MANY_DECIMALS)
        if key == "discount_pct" and not Decimal(0) <= d <= Decimal(100):
            return None, Text(OUT_OF_RANGE, {"low": 0, "high": 100})
        if key == "credit_limit":
            if d < 0:
                return None, Text(NOT_NEGATIVE)
            if d >= _MONEY_LIMIT:
                return None, Text(TOO_LARGE)
        return d.quantize(Decimal("0.01")), None
    if spec.kind == CODE:
        if not re.fullmatch(r"[A-Za-z]{2}", t):
            return None, Text(BAD_COUNTRY)
        return t.upper(), None
    if spec.kind == LANGUAGE:
        if not re.fullmatch(r"[A-Za-z]{2}", t):
            return None, Text(BAD_LANGUAGE)
        return t.lower(), None
    if spec.kind == CURRENCY:
        code = t.upper()
        if code != base_currency.upper() and code not in installation_rates:
            return None, Text(BAD_CURRENCY)
        return code, None
    if spec.kind == EMAIL:
        if not _EMAIL.match(t):
            return None, Text(BAD_EMAIL)
        return t, None
    if spec.kind == ORGNO:
        stored, problem = normalise_org_no(t, country)
        if problem:
            return None, Text(problem)
        if stored is not None and len(stored) > (spec.max_len or 20):
            return None, Text(TOO_LONG, {"max": spec.max_len})
        return stored, None
    return t, None


def changed_keys(submitted: Mapping[str, str], original: Mapping[str, str] | None,
                 base_currency: str = "SEK") -> dict[str, str]:
    """The submitted fields the user changed: all of them without ``original``, else those whose
    normal form differs from the value the form showed."""
    out = {}
    for key, text in submitted.items():
        if key not in _SPECS:
            continue
        if original is not None and key in original and (
            comparable(key, text, base_currency) == comparable(key, original[key], base_currency)
        ):
            continue
        out[key] = text
    return out


def build_patch(current: EditableCompany, changes: Mapping[str, str], *, rates: Mapping[str, Decimal],
                base_currency: str, owner_ids: set[int] | None) -> CompanyPatch:
    """Validate ``changes`` (form text by key) against ``current``; the patch of what really differs.

    Raises InvalidInput with ``details["fields"]`` = {key: Text} when a value is refused.
    """
    errors: dict[str, Text] = {}
    # The organisation number is checked in the country it will have.
    country_text = changes.get("country")
    country = (country_text.strip().upper() or None) if country_text is not None else current.country
    fields: dict[str, object] = {}
    for key, text in changes.items():
        if key.startswith("addr"):
            continue
        if key == "org_no" and comparable(key, text) == comparable(key, current.org_no) and (
            country_text is None or comparable("country", country_text) == comparable("country", current.country)
        ):
            continue  # unchanged, and the country too: an old number is not re-checked
        value, problem = _parse(key, text, country=country, installation_rates=rates,
                                base_currency=base_currency, owner_ids=owner_ids)
        if problem is not None:
            errors[key] = problem
            continue
        if comparable(key, value, base_currency) != comparable(key, current.value(key), base_currency):
            fields[key] = value
        elif key == "org_no" and value != current.org_no:
            fields[key] = value  # same digits, now in the stored format the country wants
    if "country" in fields and "org_no" not in changes and (current.org_no or "").strip():
        # A new country re-checks the number the company already has.
        stored, problem = normalise_org_no(current.org_no or "", fields["country"] and str(fields["country"]))
        if problem:
            errors["org_no"] = Text(problem)
        elif stored != current.org_no:
            fields["org_no"] = stored
    addresses: dict[int, AddressValues] = {}
    for addr_type in ADDRESS_TYPES:
        keys = [address_key(addr_type, f.key) for f in ADDRESS_FIELDS]
        if not any(k in changes for k in keys):
            continue
        stored = current.addresses.get(addr_type, AddressValues())
        parsed: dict[str, object] = {}
        for spec, key in zip(ADDRESS_FIELDS, keys, strict=True):
            if key not in changes:
                parsed[spec.key] = getattr(stored, spec.key)
                continue
            value, problem = _parse(key, changes[key], country=None, installation_rates=rates,
                                    base_currency=base_currency, owner_ids=owner_ids)
            if problem is not None:
                errors[key] = problem
            parsed[spec.key] = value
        candidate = AddressValues(**parsed)  # type: ignore[arg-type]
        differs = any(
            comparable(address_key(addr_type, f.key), getattr(candidate, f.key))
            != comparable(address_key(addr_type, f.key), getattr(stored, f.key))
            for f in ADDRESS_FIELDS
        )
        # No row is made for an address left empty.
        if differs and (addr_type in current.addresses or not candidate.empty):
            addresses[addr_type] = candidate
    if errors:
        raise InvalidInput(CHECK_FIELDS, fields=errors)
    return CompanyPatch(fields, addresses)


def _part_of(keys) -> str:
    return PART_NOTES if set(keys) <= set(NOTES_KEYS) else PART_INFO


def conflict_of(current: EditableCompany, changes: Mapping[str, str], submitted: Mapping[str, str],
                original: Mapping[str, str] | None, base_currency: str = "SEK") -> EditConflict:
    """The ``EditConflict`` of a refused save: fields that differ between what the form showed
    (``original``; without it: what was sent) and ``current``."""
    keys = tuple(submitted) if submitted else tuple(changes)
    reference = original if original is not None else submitted
    out: list[FieldChange] = []
    values: dict[str, str] = {}
    originals: dict[str, str] = {}
    for key in keys:
        if key not in _SPECS:
            continue
        now_text = form_text(key, current.value(key))
        originals[key] = now_text
        mine = submitted.get(key, "")
        you_changed = key in changes
        values[key] = mine if you_changed else now_text
        before = reference.get(key, mine)
        if comparable(key, before, base_currency) != comparable(key, now_text, base_currency):
            out.append(FieldChange(key, field_label(key), mine, now_text,
                                   you_changed and comparable(key, mine, base_currency)
                                   != comparable(key, now_text, base_currency)))
    return EditConflict(current, tuple(out), values, originals)


# --- use cases ---------------------------------------------------------------------------------


def _choices(company_writes: CompanyWrites, installation: InstallationRepository,
             current_owner: int | None) -> tuple[tuple[UserRef, ...], tuple[str, ...], str]:
    inst = installation.get()
    users = company_writes.users()
    owners = tuple(u for u in users if u.active or u.user_id == current_owner)
    currencies = (inst.base_currency, *sorted(c for c in inst.rates if c != inst.base_currency))
    return owners, currencies, inst.base_currency


def company_edit_form(company_id: int, user: User, *, company_writes: CompanyWrites,
                      installation: InstallationRepository, part: str = PART_INFO) -> EditForm:
    """The edit form of ``part`` (``info``: information box, addresses and customer settings;
    ``notes``) filled with the company as stored. Needs CRM_WRITE (Forbidden). Raises NotFound,
    InvalidInput (unknown part), ClassicUnavailable. Source: ``tblCompany``, ``tblAddress``,
    ``tblUser``, ``tblSetting``."""
    require(user, CRM_WRITE)
    if part not in PARTS:
        raise InvalidInput(N_("Unknown part of the card."), fields={"part": Text(N_("Unknown part of the card."))})
    company = company_writes.editable(company_id)
    if company is None:
        raise NotFound(COMPANY_NOT_FOUND)
    keys = PART_KEYS[part]
    values = form_values(company, keys)
    owners, currencies, base = _choices(company_writes, installation, company.owner_user_id)
    return EditForm(company_id, company.name.strip(), part, keys, company.change_no, values, dict(values),
                    owners=owners, currencies=currencies, base_currency=base)


def edit_form_again(company_id: int, user: User, submitted: Mapping[str, str], *, change_no: int,
                    original: Mapping[str, str] | None, company_writes: CompanyWrites,
                    installation: InstallationRepository, errors: Mapping[str, Text] | None = None,
                    conflict: EditConflict | None = None, message: Text | None = None) -> EditForm:
    """The edit form shown again after a refused save, keeping what the user typed (or, after a
    conflict, ``conflict.values`` with the new ``ChangeNo``). Never raises ClassicUnavailable or
    NotFound: when classic cannot be read the form is built from the submitted values alone
    (``owners`` None). Needs CRM_WRITE (Forbidden)."""
    require(user, CRM_WRITE)
    keys = tuple(k for k in ALL_KEYS if k in submitted) or PART_KEYS[PART_INFO]
    part = _part_of(keys)
    keys = PART_KEYS[part]
    values = {k: submitted.get(k, "") for k in keys}
    originals = {k: (original or {}).get(k, values[k]) for k in keys}
    if conflict is not None:
        values.update(conflict.values)
        originals.update(conflict.originals)
        change_no = conflict.current.change_no
    name = values.get("name", "").strip()
    owners: tuple[UserRef, ...] | None = None
    currencies: tuple[str, ...] = ()
    base = "SEK"
    try:
        company = conflict.current if conflict is not None else company_writes.editable(company_id)
        if company is not None:
            name = company.name.strip()
            owners, currencies, base = _choices(company_writes, installation, company.owner_user_id)
    except ClassicUnavailable:
        pass
    return EditForm(company_id, name, part, keys, change_no, values, originals, dict(errors or {}),
                    conflict, message, owners, currencies or (values.get("currency") or base,), base)


def save_company_edit(company_id: int, submitted: Mapping[str, str], user: User, *, change_no: int,
                      original: Mapping[str, str] | None = None, company_writes: CompanyWrites,
                      installation: InstallationRepository, clock: Clock) -> EditableCompany:
    """Save the edit of a company's fields (form text by key; only the keys given are touched).

    ``change_no``: the ``tblCompany.ChangeNo`` the form (or API client) read; ``original``: the
    values the form showed (None: every submitted key counts as changed). Writes ``tblCompany``
    (``ChangedAt`` = local now, ``ChangedBy`` = the user, ``ChangeNo + 1``) and ``tblAddress`` in
    one transaction; nothing when nothing changed. Returns the company as stored afterwards.

    Needs CRM_WRITE (Forbidden). Raises InvalidInput (``details["fields"]``: key → ``Text``),
    Conflict (``details["conflict"]``: ``EditConflict``; nothing written), NotFound (unknown or
    deleted, also meanwhile), ClassicUnavailable.
    """
    require(user, CRM_WRITE)
    inst = installation.get()
    current = company_writes.editable(company_id)
    if current is None:
        raise NotFound(DELETED_SINCE if original is not None else COMPANY_NOT_FOUND)
    changes = changed_keys(submitted, original, inst.base_currency)
    if current.change_no != change_no:
        raise Conflict(CHANGED_SINCE, conflict=conflict_of(current, changes, submitted, original, inst.base_currency))
    owner_ids = {u.user_id for u in company_writes.users()} if "owner_user_id" in changes else None
    patch = build_patch(current, changes, rates=inst.rates, base_currency=inst.base_currency, owner_ids=owner_ids)
    if patch.empty:
        return current
    now = local_now(clock, inst.time_zone).replace(microsecond=0)
    try:
        company_writes.update(company_id, change_no, patch, user_id=user.user_id, now_local=now)
    except Conflict:
        fresh = company_writes.editable(company_id)
        if fresh is None:
            raise NotFound(DELETED_SINCE) from None
        raise Conflict(CHANGED_SINCE, conflict=conflict_of(fresh, changes, submitted, original,
                                                           inst.base_currency)) from None
    saved = company_writes.editable(company_id)
    if saved is None:
        raise NotFound(DELETED_SINCE)
    return saved
