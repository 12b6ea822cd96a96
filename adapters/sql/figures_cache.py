"""Cached dashboard figures in CRM Lite's store (``facade.figures_cache.FiguresStore``).

Store table: ``figures_cache`` (``adapters/sql/state.py``): one row per key with the figures as
JSON (amounts as decimal strings, so nothing is lost to floating point). The shared figures are
computed by ``adapters.sql.dashboard.SqlDashboardQueries`` (``tblOrder``, ``tblUser``); the live
per-user figure by ``SqlOwnSales`` here (classic table ``tblOrder``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, Numeric, func, insert, select, update

from facade.dashboard import SellerSales
from facade.figures_cache import CachedSales
from facade.model import round_money

from .engine import classic_connection
from .state import figures_cache
from .tables import tblOrder

SALE_DOC_TYPES = ("I", "C")  # invoice, credit note
SALE_STATUSES = (2, 3)  # invoiced, sent
_SUM = Numeric(19, 4, asdecimal=True)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _encode(rows: tuple[SellerSales, ...]) -> str:
    return json.dumps([
        {"user_id": r.user_id, "full_name": r.full_name, "active": r.active, "total": str(r.total),
         "month_total": str(r.month_total), "count": r.count}
        for r in rows
    ], ensure_ascii=False)


def _decode(payload: str) -> tuple[SellerSales, ...]:
    return tuple(
        SellerSales(d["user_id"], d["full_name"], bool(d["active"]), Decimal(d["total"]),
                    Decimal(d["month_total"]), int(d["count"]))
        for d in json.loads(payload)
    )


class SqlFiguresStore:
    """``FiguresStore`` on the store engine (one SELECT per read)."""

    def __init__(self, store: Engine) -> None:
        self.store = store

    def get(self, key: str) -> CachedSales | None:
        """The entry under ``key`` or None."""
        with self.store.connect() as conn:
            row = conn.execute(select(figures_cache).where(figures_cache.c.key == key)).first()
        if row is None:
            return None
        return CachedSales(key, _decode(row.payload_json), row.computed_utc.replace(tzinfo=UTC))

    def put(self, entry: CachedSales) -> None:
        """Insert or replace ``entry``."""
        values = {"payload_json": _encode(entry.rows), "computed_utc": _naive_utc(entry.computed_utc)}
        with self.store.begin() as conn:
            res = conn.execute(update(figures_cache).where(figures_cache.c.key == entry.key).values(**values))
            if not res.rowcount:
                conn.execute(insert(figures_cache).values(key=entry.key, **values))


class SqlOwnSales:
    """``facade.figures_cache.OwnSalesQueries`` on the classic database (one SELECT)."""

    def __init__(self, classic: Engine) -> None:
        self.engine = classic

    def sales_of_seller(self, user_id: int, first: date, last: date) -> Decimal:
        """Σ round(NetAmount × ExchangeRate, 2) of ``user_id``'s sales (``tblOrder`` I/C in status
        2/3, ``Deleted = 0``) with ``InvoiceDate`` in [first, last]; the classic index on
        (``InvoiceDate``, ``SalesUserID``) serves it."""
        o = tblOrder.c
        q = select(func.sum(func.round(o.NetAmount * o.ExchangeRate, 2), type_=_SUM)).where(
            o.InvoiceDate >= first,
            o.InvoiceDate <= last,
            o.SalesUserID == user_id,
            o.DocType.in_(SALE_DOC_TYPES),
            o.Status.in_(SALE_STATUSES),
            o.Deleted == 0,
        )
        with classic_connection(self.engine) as conn:
            value = conn.execute(q).scalar()
        return round_money(Decimal(value if value is not None else 0))
