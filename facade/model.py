"""Shared vocabulary: users and rights, the installation's settings, money."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# Classic right codes (tblUserRight.RightCode).
CRM_READ = "CRM_READ"
CRM_WRITE = "CRM_WRITE"
CRM_DELETE = "CRM_DELETE"
ORDER_READ = "ORDER_READ"
ORDER_WRITE = "ORDER_WRITE"
LEDGER_CUSTOMER = "LEDGER_CUSTOMER"
LEDGER_SUPPLIER = "LEDGER_SUPPLIER"
ADMIN = "ADMIN"

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """Round half-up (away from zero) to 2 decimals, the classic rule for every amount."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """An amount in a currency (ISO code, e.g. ``SEK``)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class User:
    """A classic user (``tblUser``) with the codes of ``tblUserRight``."""

    user_id: int
    login: str
    full_name: str
    email: str | None = None
    active: bool = True
    rights: frozenset[str] = field(default_factory=frozenset)

    def can(self, right: str) -> bool:
        """True when the user holds ``right`` or ``ADMIN`` (which allows everything)."""
        return ADMIN in self.rights or right in self.rights

    @property
    def may_use_crm(self) -> bool:
        """A CRM client may only be used with ``CRM_READ`` or ``ADMIN`` (kit: Rights)."""
        return self.can(CRM_READ)


@dataclass(frozen=True)
class Installation:
    """The installation's settings from ``tblSetting``.

    ``rates`` maps currency code to SEK (base currency) per unit; the base currency maps to 1.
    """

    time_zone: str = "Europe/Stockholm"
    base_currency: str = "SEK"
    company_name: str = ""
    classic_url: str = ""
    rates: dict[str, Decimal] = field(default_factory=dict)
    default_payment_days: int = 30
    default_vat_pct: Decimal = Decimal(25)

    def rate(self, currency: str | None) -> Decimal | None:
        """SEK per unit of ``currency`` (None/blank = base currency → 1); None when unknown."""
        code = (currency or "").strip().upper() or self.base_currency
        if code == self.base_currency:
            return Decimal(1)
        return self.rates.get(code)

    def to_base(self, amount: Decimal, currency: str | None) -> Decimal | None:
        """Convert ``amount`` in ``currency`` to the base currency, rounded half-up to 2 decimals."""
        rate = self.rate(currency)
        return None if rate is None else round_money(Decimal(amount) * rate)

    def classic_link(self, kind: str, record_id: int) -> str | None:
        """URL of the record in the classic client (``ClassicUrl`` + ``/company.aspx?id=…``)."""
        if not self.classic_url:
            return None
        page = {"company": "company.aspx", "person": "person.aspx"}.get(kind)
        if page is None:
            return None
        return f"{self.classic_url.rstrip('/')}/{page}?id={int(record_id)}"
