"""Database side of the sandbox: engine, write transactions with row locks, installation settings,
local time, number series and rights.

Tables: ``tblSetting``, ``tblNumberSeries``, ``tblUser``, ``tblUserRight``.
Writes lock what they read: ``SELECT … FOR UPDATE`` where the engine supports it; SQLite has no
row locks, so every sandbox transaction there starts with ``BEGIN IMMEDIATE`` (the database's
write lock) and concurrent writers queue on the busy timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event

from adapters.sql.tables import tblNumberSeries, tblSetting, tblUser, tblUserRight

from .sessions import Clock


def make_engine(url: str) -> Engine:
    """An engine for the classic database at ``url``; SQLite transactions take the write lock."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction: commits on success, rolls back on any exception."""
    with engine.begin() as conn:
        yield conn


class Installation:
    """``tblSetting`` values the services need, read per transaction (they may change)."""

    def __init__(self, conn: Connection) -> None:
        rows = conn.execute(sa.select(tblSetting.c.SettingKey, tblSetting.c.SettingValue)).all()
        self.values = {k: v for k, v in rows}
        self.base_currency = (self.values.get("BaseCurrency") or "SEK").strip().upper()
        self.time_zone = (self.values.get("TimeZone") or "Europe/Stockholm").strip()
        self.default_vat_pct = _decimal(self.values.get("DefaultVatPct"), Decimal(25))

    def rate(self, currency: str | None) -> Decimal | None:
        """Base currency per unit of ``currency`` (``Rate.<code>``); 1 for the base currency."""
        code = (currency or "").strip().upper() or self.base_currency
        if code == self.base_currency:
            return Decimal(1)
        value = self.values.get(f"Rate.{code}")
        return _decimal(value, None)

    def now(self, clock: Clock) -> datetime:
        """The installation's local wall-clock time, naive, whole seconds."""
        local = clock().astimezone(ZoneInfo(self.time_zone))
        return local.replace(tzinfo=None, microsecond=0)

    def today(self, clock: Clock) -> date:
        """Today in the installation's zone."""
        return self.now(clock).date()


def _decimal(value: str | None, default: Decimal | None) -> Decimal | None:
    try:
        return Decimal(str(value).strip()) if value not in (None, "") else default
    except ArithmeticError:
        return default


def next_number(conn: Connection, series: str, now: datetime) -> int:
    """Take the next number of ``series`` (``CUSTNO``, ``SUPPNO``, ``ORDERNO`` …): read ``NextNo``
    with the row locked, store ``NextNo + 1`` and ``LastUsedAt``. Numbers are never reused."""
    row = conn.execute(
        sa.select(tblNumberSeries.c.NextNo).where(tblNumberSeries.c.SeriesCode == series).with_for_update()
    ).first()
    if row is None:
        raise RuntimeError(f"number series {series} is missing")
    number = int(row.NextNo)
    conn.execute(
        sa.update(tblNumberSeries)
        .where(tblNumberSeries.c.SeriesCode == series)
        .values(NextNo=number + 1, LastUsedAt=now)
    )
    return number


def user_rights(conn: Connection, user_id: int) -> set[str]:
    """The ``tblUserRight`` codes of a user."""
    rows = conn.execute(sa.select(tblUserRight.c.RightCode).where(tblUserRight.c.UserID == user_id)).scalars()
    return {str(code).strip() for code in rows}


def user_row(conn: Connection, user_id: int):
    """The ``tblUser`` row, or None."""
    return conn.execute(sa.select(tblUser).where(tblUser.c.UserID == user_id)).first()
