"""The classic SOAP services and the company register, as the facade sees them.

Vocabulary (frozen dataclasses), the ports (``ClassicAuth``, ``ClassicCompanyService``,
``ClassicInvoiceService``, ``RegisterLookup``) and ``ClassicSessionManager``, the policy for the
user's classic session (kit README "The SOAP services"; notes/classic-sessions.md).

Conventions carried over from the contract:
- read values: the .NET MinValue sentinels and empty strings arrive here as ``None``;
- values to send (``CompanyChanges``, ``OrderChanges``): ``None`` means "not set" (on update:
  leave unchanged); for text fields the empty string ``""`` clears the field (stored as NULL);
- datetimes are the installation's local wall-clock time, naive; amounts are in the record's
  own currency (``Currency``; None = the base currency).

Nothing here imports zeep or requests: the adapters in ``adapters/soap`` translate.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

from .errors import CrmLiteError, NotAuthenticated
from .i18n import N_
from .model import User
from .ports import Clock, SessionRecord

T = TypeVar("T")

# CompanyKind (tblCompany) ↔ Company.Type
KIND_BUSINESS = 1
KIND_CONSUMER = 2
# InvoiceMethod (tblCompany) ↔ DistributionMethod; also the method of SendInvoices
METHOD_PRINT = 1
METHOD_EMAIL = 2
METHOD_EINVOICE = 3
# tblOrder.Status
STATUS_DRAFT, STATUS_CONFIRMED, STATUS_INVOICED, STATUS_SENT, STATUS_CANCELLED = 0, 1, 2, 3, 9

#: NotAuthenticated.details["reason"] when the classic session is gone and the user must type
#: the password again (the UI prompts in place and retries).
PASSWORD_REQUIRED = "classic_password_required"
CLASSIC_SESSION_EXPIRED = N_("Your session in the classic system has expired. Enter your password again.")


# --- vocabulary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyAddress:
    """One address of a company (``tblAddress``: ``Line1``, ``Line2``, ``PostCode``, ``City``, ``Country``)."""

    street: str | None = None
    street2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class ClassicCompany:
    """A company as the classic service stored it (``tblCompany`` + ``tblAddress``).

    ``kind`` is ``CompanyKind`` (1 business, 2 private person); ``invoice_method`` is
    ``InvoiceMethod`` (1 paper, 2 e-mail, 3 e-invoice); ``currency`` None = the base currency;
    ``created_at``/``changed_at`` local time.
    """

    company_id: int
    name: str
    change_no: int
    customer_no: int | None = None
    supplier_no: int | None = None
    nick_name: str | None = None
    org_no: str | None = None
    vat_no: str | None = None
    kind: int | None = KIND_BUSINESS
    is_customer: bool = False
    is_supplier: bool = False
    post_address: CompanyAddress | None = None
    visit_address: CompanyAddress | None = None
    delivery_address: CompanyAddress | None = None
    invoice_address: CompanyAddress | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    web: str | None = None
    notes: str | None = None
    owner_user_id: int | None = None
    country: str | None = None
    currency: str | None = None
    payment_days: int | None = None
    invoice_method: int | None = None
    invoice_email: str | None = None
    discount_pct: Decimal | None = None
    credit_limit: Decimal | None = None
    language_code: str | None = None
    created_at: datetime | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class CompanyChanges:
    """A company to create (``company_id`` None) or the fields to change on one (``SaveCompanies``).

    Every field is optional: None = not set (on update: leave unchanged); ``""`` clears a text
    field. ``change_no`` is required on update (the ``ChangeNo`` read with the row). A given
    address replaces the fields given for that address type (its None fields stay unchanged).
    """

    company_id: int | None = None
    change_no: int | None = None
    name: str | None = None
    nick_name: str | None = None
    org_no: str | None = None
    vat_no: str | None = None
    kind: int | None = None
    is_customer: bool | None = None
    is_supplier: bool | None = None
    post_address: CompanyAddress | None = None
    visit_address: CompanyAddress | None = None
    delivery_address: CompanyAddress | None = None
    invoice_address: CompanyAddress | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    web: str | None = None
    notes: str | None = None
    owner_user_id: int | None = None
    country: str | None = None
    currency: str | None = None
    payment_days: int | None = None
    invoice_method: int | None = None
    invoice_email: str | None = None
    discount_pct: Decimal | None = None
    credit_limit: Decimal | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class ClassicItemError:
    """A per-item ``APIException`` of a batch operation.

    ``kind`` is the classic ``Type``: ``Validation``, ``Conflict``, ``NotFound`` or ``NotAllowed``;
    ``field`` the facade field name a ``Validation`` message names (None when unknown);
    ``message`` the classic text (for logs and field hints, not a translated message);
    ``item_id`` the id the entry is about (None for a failed create).
    """

    kind: str
    message: str
    item_id: int | None = None
    field: str | None = None


@dataclass(frozen=True)
class CompanySaveResult:
    """One item of ``SaveCompanies``: the stored company, or the error of that item."""

    company: ClassicCompany | None = None
    error: ClassicItemError | None = None


@dataclass(frozen=True)
class MergeOutcome:
    """``MergeCompanies``: the kept company and how many rows changed ``CompanyID``."""

    kept_company_id: int
    moved_rows: int


@dataclass(frozen=True)
class ClassicOrderLine:
    """A line of an order (``tblOrderLine``); amounts in the order's currency."""

    description: str | None = None
    article_no: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_pct: Decimal | None = None
    vat_pct: Decimal | None = None
    line_net: Decimal | None = None


@dataclass(frozen=True)
class ClassicOrder:
    """An order, invoice or credit note as the classic service returned it (``tblOrder``).

    ``doc_type`` ``O``/``I``/``C``; ``status`` 0 draft, 1 confirmed, 2 invoiced, 3 sent, 9
    cancelled; amounts in ``currency``; ``exchange_rate`` converts to the base currency.
    """

    order_id: int
    order_no: int | None
    doc_type: str
    status: int | None
    company_id: int | None
    change_no: int | None
    invoice_no: int | None = None
    person_id: int | None = None
    sales_user_id: int | None = None
    order_date: date | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    exchange_rate: Decimal | None = None
    your_ref: str | None = None
    our_ref: str | None = None
    net_amount: Decimal | None = None
    vat_amount: Decimal | None = None
    total_amount: Decimal | None = None
    lines: tuple[ClassicOrderLine, ...] = ()


@dataclass(frozen=True)
class OrderLineInput:
    """A line to send; None = let the service default it (quantity 1, discount 0, VAT rate)."""

    description: str | None = None
    article_no: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    discount_pct: Decimal | None = None
    vat_pct: Decimal | None = None


@dataclass(frozen=True)
class OrderChanges:
    """A draft order to create (``order_id`` None) or change (``SaveInvoices``).

    None = not set / leave unchanged; ``""`` clears a reference. ``lines``, when given,
    replace all lines. Amounts are always computed by the classic service.
    """

    order_id: int | None = None
    change_no: int | None = None
    company_id: int | None = None
    person_id: int | None = None
    sales_user_id: int | None = None
    order_date: date | None = None
    currency: str | None = None
    exchange_rate: Decimal | None = None
    your_ref: str | None = None
    our_ref: str | None = None
    lines: tuple[OrderLineInput, ...] | None = None


@dataclass(frozen=True)
class OrderSaveResult:
    """One item of ``SaveInvoices``: the stored order, or the error of that item."""

    order: ClassicOrder | None = None
    error: ClassicItemError | None = None


@dataclass(frozen=True)
class RegisterHit:
    """A hit of the company register search (visiting address)."""

    org_no: str | None
    name: str | None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class RegisterCompany:
    """The register's data of one company (``CompanyLookup.GetCompanyData``).

    ``employees_band`` e.g. ``10-19``; ``share_capital`` in the country's currency;
    ``rating_code`` ``AAA``/``AA``/``A``/``AN``/``B``/``C``.
    """

    org_no: str | None
    name: str | None
    legal_form: str | None = None
    registration_date: date | None = None
    postal_address: CompanyAddress | None = None
    visiting_address: CompanyAddress | None = None
    phone: str | None = None
    vat_no: str | None = None
    industry_code: str | None = None
    industry_text: str | None = None
    employees_band: str | None = None
    share_capital: Decimal | None = None
    rating_code: str | None = None


# --- ports ------------------------------------------------------------------------------------


class ClassicAuth(Protocol):
    """``Authenticate.asmx``. Errors: ClassicUnavailable (unreachable, timeout, ServerError)."""

    def login(self, login: str, password: str) -> str:
        """Log in; returns the classic session id. NotAuthenticated on a bad or inactive login."""

    def has_session(self, session_id: str) -> bool:
        """True when the classic session is alive (refreshes it). Never NotAuthenticated."""

    def logout(self, session_id: str) -> None:
        """End the classic session. NotAuthenticated when it is already gone."""

    def current_user(self, session_id: str) -> User:
        """The session's user with the codes of ``tblUserRight``. NotAuthenticated when gone."""


class ClassicCompanyService(Protocol):
    """``CompanyService.asmx``; every call acts as the session's user.

    Faults: NotAuthenticated (session gone), Forbidden (right missing), InvalidInput,
    ClassicUnavailable. Single-item helpers turn the item's ``APIException`` into InvalidInput
    (Validation), Conflict, NotFound or ClassicRejected (NotAllowed).
    """

    def save_companies(self, session_id: str, items: Sequence[CompanyChanges]) -> list[CompanySaveResult]:
        """Create or update companies (needs CRM_WRITE); one result per item, in order."""

    def save_company(self, session_id: str, item: CompanyChanges) -> ClassicCompany:
        """Create or update one company; raises the item's error."""

    def delete_companies(self, session_id: str, company_ids: Sequence[int]) -> list[ClassicItemError]:
        """Soft-delete companies (needs CRM_DELETE); one error per id that failed."""

    def delete_company(self, session_id: str, company_id: int) -> None:
        """Soft-delete one company; raises NotFound or ClassicRejected (open items, live orders)."""

    def merge_companies(self, session_id: str, keep_company_id: int, merge_company_id: int) -> MergeOutcome:
        """Move every row of ``merge_company_id`` to ``keep_company_id`` and soft-delete it."""


class ClassicInvoiceService(Protocol):
    """``InvoiceService.asmx``; faults as for ClassicCompanyService."""

    def save_invoices(self, session_id: str, items: Sequence[OrderChanges]) -> list[OrderSaveResult]:
        """Create or update draft orders (needs ORDER_WRITE); one result per item, in order."""

    def save_invoice(self, session_id: str, item: OrderChanges) -> ClassicOrder:
        """Create or update one draft order; raises the item's error."""

    def delete_invoices(self, session_id: str, order_ids: Sequence[int]) -> list[ClassicItemError]:
        """Soft-delete draft/confirmed orders (needs ORDER_WRITE); one error per failed id."""

    def get_invoice_document(self, session_id: str, order_id: int) -> bytes:
        """The PDF of an order, invoice or credit note (needs ORDER_READ). NotFound when absent."""

    def send_invoices(
        self, session_id: str, order_ids: Sequence[int], method: int, email: str | None = None
    ) -> list[ClassicItemError]:
        """Send documents (``METHOD_*``; needs ORDER_WRITE); one error per failed id."""


class RegisterLookup(Protocol):
    """``CompanyLookup.asmx``, the company register (no classic session)."""

    def search_companies(self, query: str, country: str | None = None, max_hits: int = 20) -> list[RegisterHit]:
        """Hits by name words or organisation number in any format. InvalidInput for an empty query."""

    def get_company_data(self, org_no: str, country: str | None = None) -> RegisterCompany:
        """The register's data of one company. NotFound when the register has none."""


class ClassicSessionStore(Protocol):
    """Where the classic session id of each CRM Lite session is kept (CRM Lite's ``SessionStore``)."""

    def get(self, sid_hash: str) -> SessionRecord | None:
        """The CRM Lite session, or None."""

    def set_classic_session(self, sid_hash: str, classic_session_id: str | None) -> None:
        """Keep (or forget, with None) the classic session id of this session."""


# --- the classic session of a CRM Lite session --------------------------------------------------


class ClassicSessionManager:
    """One classic session per CRM Lite session (notes/classic-sessions.md).

    Logs in once at sign-in and reuses the id. ``HasSession`` is called only after a call
    faulted ``NotAuthenticated`` (to confirm the session is gone) or by ``keep_alive`` at most
    once per ``check_every``. When the session is gone it logs in again at most once, with the
    password the user just typed, and retries the call once; without a password it raises
    NotAuthenticated with ``details["reason"] == PASSWORD_REQUIRED`` so the UI can ask for it.
    The password is only passed through, never kept.
    """

    def __init__(
        self,
        auth: ClassicAuth,
        store: ClassicSessionStore,
        clock: Clock,
        *,
        check_every: timedelta = timedelta(minutes=5),
    ) -> None:
        self._auth = auth
        self._store = store
        self._clock = clock
        self._check_every = check_every
        self._confirmed: dict[str, datetime] = {}  # sid_hash → last moment classic answered for it
        self._lock = threading.Lock()

    def open(self, sid_hash: str, login: str, password: str) -> str:
        """Log in to classic for a new CRM Lite session and keep the id; returns it.

        Raises NotAuthenticated (classic refused the login) or ClassicUnavailable.
        """
        return self._login(sid_hash, login, password)

    def close(self, sid_hash: str) -> None:
        """Sign-out: ``Logout`` on the classic side (errors ignored) and forget the id."""
        session_id = self.session_id(sid_hash)
        if session_id:
            # Signing out of CRM Lite must work when classic is down or the session already ended.
            with contextlib.suppress(CrmLiteError):
                self._auth.logout(session_id)
        self._store.set_classic_session(sid_hash, None)
        with self._lock:
            self._confirmed.pop(sid_hash, None)

    def session_id(self, sid_hash: str) -> str | None:
        """The classic session id kept for ``sid_hash``, or None."""
        record = self._store.get(sid_hash)
        return record.classic_session_id if record is not None and record.classic_session_id else None

    def keep_alive(self, sid_hash: str) -> bool:
        """While the user is active, refresh the classic session (``HasSession`` at most once per
        ``check_every``). Returns False, and forgets the id, when classic says it is gone.
        """
        session_id = self.session_id(sid_hash)
        if session_id is None:
            return False
        now = self._clock.now_utc()
        with self._lock:
            last = self._confirmed.get(sid_hash)
        if last is not None and now - last < self._check_every:
            return True
        if self._auth.has_session(session_id):
            self._mark(sid_hash)
            return True
        self._forget(sid_hash)
        return False

    def call(
        self,
        sid_hash: str,
        operation: Callable[[str], T],
        *,
        login: str | None = None,
        password: str | None = None,
    ) -> T:
        """Run ``operation(classic_session_id)`` in the user's classic session.

        ``login``/``password`` (the password the user just typed, if any) are used only when the
        session is gone: one new login, one retry, never a loop. Raises NotAuthenticated with
        ``details["reason"] == PASSWORD_REQUIRED`` when a password is needed, and whatever the
        operation raises (Forbidden, InvalidInput, Conflict, ClassicRejected, ClassicUnavailable).
        """
        session_id = self.session_id(sid_hash)
        if session_id is None:
            session_id = self._relogin_or_ask(sid_hash, login, password)
            result = operation(session_id)
            self._mark(sid_hash)
            return result
        try:
            result = operation(session_id)
        except NotAuthenticated:
            # Confirm before logging in again: the real vendor throttles repeated logins.
            if self._auth.has_session(session_id):
                raise
            self._forget(sid_hash)
            session_id = self._relogin_or_ask(sid_hash, login, password)
            result = operation(session_id)  # the one retry
        self._mark(sid_hash)
        return result

    # -- internals --

    def _relogin_or_ask(self, sid_hash: str, login: str | None, password: str | None) -> str:
        if not login or not password:
            raise NotAuthenticated(CLASSIC_SESSION_EXPIRED, reason=PASSWORD_REQUIRED)
        return self._login(sid_hash, login, password)

    def _login(self, sid_hash: str, login: str, password: str) -> str:
        try:
            session_id = self._auth.login(login, password)
        except NotAuthenticated as exc:
            details = {**exc.details, "reason": PASSWORD_REQUIRED}
            raise NotAuthenticated(exc.message, **details) from exc
        self._store.set_classic_session(sid_hash, session_id)
        self._mark(sid_hash)
        return session_id

    def _mark(self, sid_hash: str) -> None:
        now = self._clock.now_utc()
        with self._lock:
            self._confirmed[sid_hash] = now
            if len(self._confirmed) > 10_000:  # sessions that ended without close(): forget old marks
                stale = now - timedelta(hours=1)
                self._confirmed = {k: v for k, v in self._confirmed.items() if v >= stale}

    def _forget(self, sid_hash: str) -> None:
        self._store.set_classic_session(sid_hash, None)
        with self._lock:
            self._confirmed.pop(sid_hash, None)
