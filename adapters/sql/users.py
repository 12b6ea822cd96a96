"""Users and rights of the classic database. Tables: ``tblUser``, ``tblUserRight``, ``tblSetting``."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation

from sqlalchemy import Engine, bindparam, func, select

from facade.model import Installation, User
from facade.ports import Credentials

from .engine import classic_connection
from .tables import tblSetting, tblUser, tblUserRight


class SqlUserRepository:
    """``UserRepository`` over ``tblUser``/``tblUserRight``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find_credentials(self, login: str) -> Credentials | None:
        """The ``tblUser`` row whose ``LoginName`` equals ``login`` ignoring case, or None."""
        q = select(tblUser.c.UserID, tblUser.c.PwdSalt, tblUser.c.PwdHash, tblUser.c.Active).where(
            func.lower(tblUser.c.LoginName) == login.strip().lower()
        )
        with classic_connection(self.engine) as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return Credentials(row.UserID, (row.PwdSalt or ""), (row.PwdHash or ""), bool(row.Active))

    def get_user(self, user_id: int) -> User | None:
        """The user with its right codes, in one query; None when unknown."""
        with classic_connection(self.engine) as conn:
            rows = conn.execute(_USER_WITH_RIGHTS, {"user_id": user_id}).all()
        if not rows:
            return None
        r = rows[0]
        rights = frozenset(x.RightCode.strip() for x in rows if x.RightCode)
        return User(r.UserID, r.LoginName.strip(), r.FullName.strip(), r.Email, bool(r.Active), rights)


#: ``get_user``'s statement, built once (every request runs it).
_USER_WITH_RIGHTS = (
    select(
        tblUser.c.UserID,
        tblUser.c.LoginName,
        tblUser.c.FullName,
        tblUser.c.Email,
        tblUser.c.Active,
        tblUserRight.c.RightCode,
    )
    .select_from(tblUser.outerjoin(tblUserRight, tblUserRight.c.UserID == tblUser.c.UserID))
    .where(tblUser.c.UserID == bindparam("user_id", type_=tblUser.c.UserID.type))
)


class SqlInstallationRepository:
    """``InstallationRepository`` over ``tblSetting``, cached for ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float = 60.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._cached: tuple[float, Installation] | None = None

    def get(self) -> Installation:
        """The installation's settings (time zone, base currency, rates, classic URL)."""
        now = time.monotonic()
        if self._cached and now - self._cached[0] < self.ttl:
            return self._cached[1]
        with classic_connection(self.engine) as conn:
            rows = dict(conn.execute(select(tblSetting.c.SettingKey, tblSetting.c.SettingValue)).all())
        inst = installation_from_settings(rows)
        self._cached = (now, inst)
        return inst


def installation_from_settings(rows: dict[str, str | None]) -> Installation:
    """Build an Installation from ``tblSetting`` key/values (``Rate.EUR`` = SEK per EUR, decimal point)."""
    rates: dict[str, Decimal] = {}
    for key, value in rows.items():
        if key.startswith("Rate.") and value:
            try:
                rates[key[5:].strip().upper()] = Decimal(value.strip())
            except InvalidOperation:
                continue

    def _get(key: str, default: str) -> str:
        value = rows.get(key)
        return value.strip() if value and value.strip() else default

    try:
        days = int(_get("DefaultPaymentDays", "30"))
    except ValueError:
        days = 30
    try:
        vat = Decimal(_get("DefaultVatPct", "25"))
    except InvalidOperation:
        vat = Decimal(25)
    return Installation(
        time_zone=_get("TimeZone", "Europe/Stockholm"),
        base_currency=_get("BaseCurrency", "SEK").upper(),
        company_name=_get("CompanyName", ""),
        classic_url=_get("ClassicUrl", ""),
        rates=rates,
        default_payment_days=days,
        default_vat_pct=vat,
    )
