"""Recently viewed records in CRM Lite's own store, with names looked up in classic.

Store table: ``recent_view`` (``adapters/sql/state.py``; key user, kind, record id; ``seq``
grows per user with every view). Classic tables (read only, to name the records and leave out
soft-deleted ones): ``tblCompany``, ``tblPerson``, ``tblUser``.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from sqlalchemy import (
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from facade.companies import company_kind, person_name
from facade.recent import RecentEntry, company_label

from .engine import classic_connection, read_connection, write_transaction
from .state import recent_view
from .tables import tblCompany, tblPerson, tblUser

log = logging.getLogger("crm_lite")

# Kinds as small ints and untyped NULLs inside the classic UNION: no string literal or CAST whose
# collation could clash with the columns' on MariaDB.
_KIND_CODES = {"company": 1, "person": 2, "employee": 3}
_CODE_KINDS = {v: k for k, v in _KIND_CODES.items()}


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class SqlRecentViews:
    """``facade.recent.RecentViews``: views in ``recent_view`` (state engine), names from classic."""

    def __init__(self, state_engine: Engine, classic_engine: Engine) -> None:
        self.state_engine = state_engine
        self.classic_engine = classic_engine

    def record(self, user_id: int, kind: str, record_id: int, at_utc: datetime, keep: int) -> None:
        """Upsert the view and trim to the newest ``keep`` in one transaction of two statements.

        1. Delete the same record's earlier view and every view older than the user's
           ``keep - 1``-th newest *other* record (so ``keep`` remain with the new one).
        2. Insert the view with ``seq`` = the user's highest remaining ``seq`` + 1.
        Two simultaneous views of one record may collide on the key: the other one won, which
        is the same result, so the IntegrityError is ignored. Any other store error is logged and
        swallowed: a card must open even when its view cannot be remembered.
        """
        trim, add = _record_statements(keep)
        params = {"user_id": user_id, "kind": kind, "record_id": record_id, "viewed_utc": _naive_utc(at_utc)}
        try:
            with write_transaction(self.state_engine) as conn:
                conn.execute(trim, params)
                conn.execute(add, params)
        except IntegrityError:
            pass
        except SQLAlchemyError:
            log.warning(
                "Could not record a recent view (%s %s) for user %s", kind, record_id, user_id, exc_info=True
            )

    def latest(self, user_id: int, limit: int) -> list[RecentEntry]:
        """The newest ``limit`` views (``seq`` desc) that still name a live record: one store
        query, then one classic query (a UNION ALL of one ``IN (...)`` select per kind present)."""
        if limit <= 0:
            return []
        with read_connection(self.state_engine) as conn:
            views = conn.execute(_latest_statement(limit), {"user_id": user_id}).all()
        if not views:
            return []
        ids: dict[str, list[int]] = {}
        for v in views:
            if v.kind in _KIND_CODES:
                ids.setdefault(v.kind, []).append(int(v.record_id))
        found = self._lookup(ids)
        out = []
        for v in views:
            hit = found.get((v.kind, int(v.record_id)))
            if hit is not None:
                name, label = hit
                out.append(
                    RecentEntry(v.kind, int(v.record_id), name, label, v.viewed_utc.replace(tzinfo=UTC))
                )
        return out

    def _lookup(self, ids: dict[str, list[int]]) -> dict[tuple[str, int], tuple[str, str]]:
        """(kind, id) → (name, label) of the live records among ``ids``."""
        kinds = tuple(k for k in ("company", "person", "employee") if ids.get(k))
        if not kinds:
            return {}
        with classic_connection(self.classic_engine) as conn:
            rows = conn.execute(_lookup_statement(kinds), {f"{k}_ids": ids[k] for k in kinds}).all()
        found: dict[tuple[str, int], tuple[str, str]] = {}
        for r in rows:
            kind = _CODE_KINDS[int(r[0])]
            if kind == "company":
                label = company_label(company_kind(r[4], bool(r[5]), bool(r[6])))
                name = (r[2] or "").strip()
            elif kind == "person":
                label, name = "contact", person_name(r[2], r[3])
            else:
                label, name = "employee", (r[2] or "").strip()
            found[(kind, int(r[1]))] = (name, label)
        return found


@functools.lru_cache(maxsize=4)
def _record_statements(keep: int):
    """``record``'s DELETE and INSERT … SELECT, built once (bind parameters: user_id, kind,
    record_id, viewed_utc)."""
    rv = recent_view
    user_id = bindparam("user_id", type_=rv.c.user_id.type)
    kind = bindparam("kind", type_=rv.c.kind.type)
    record_id = bindparam("record_id", type_=rv.c.record_id.type)
    same = and_(rv.c.kind == kind, rv.c.record_id == record_id)
    # A derived table around the LIMIT query: MariaDB refuses a LIMIT directly in a subquery
    # of a DELETE on the same table.
    newest_others = (
        select(rv.c.seq)
        .where(rv.c.user_id == user_id, not_(same))
        .order_by(rv.c.seq.desc())
        .limit(1)
        .offset(max(keep - 2, 0))
        .subquery("floor_view")
    )
    floor_seq = select(newest_others.c.seq).scalar_subquery()
    next_seq = select(
        user_id,
        kind,
        record_id,
        bindparam("viewed_utc", type_=rv.c.viewed_utc.type),
        func.coalesce(func.max(rv.c.seq), 0) + 1,
    ).where(rv.c.user_id == user_id)
    return (
        delete(rv).where(rv.c.user_id == user_id, or_(same, rv.c.seq < floor_seq)),
        insert(rv).from_select(["user_id", "kind", "record_id", "viewed_utc", "seq"], next_seq),
    )


@functools.lru_cache(maxsize=8)
def _latest_statement(limit: int) -> Select:
    """``latest``'s statement, built once (bind parameter: user_id)."""
    rv = recent_view
    return (
        select(rv.c.kind, rv.c.record_id, rv.c.viewed_utc)
        .where(rv.c.user_id == bindparam("user_id", type_=rv.c.user_id.type))
        .order_by(rv.c.seq.desc(), rv.c.viewed_utc.desc())
        .limit(limit)
    )


@functools.lru_cache(maxsize=8)
def _lookup_statement(kinds: tuple[str, ...]):
    """``_lookup``'s UNION ALL for the ``kinds`` present, built once per combination (expanding
    bind parameters ``company_ids``, ``person_ids``, ``employee_ids``)."""
    c, p, u = tblCompany, tblPerson, tblUser
    selects = []
    if "company" in kinds:
        selects.append(
            select(
                literal(1, Integer).label("k"),
                c.c.CompanyID.label("id"),
                c.c.Name.label("n1"),
                null().label("n2"),
                c.c.CompanyKind.label("ck"),
                c.c.IsCustomer.label("cu"),
                c.c.IsSupplier.label("su"),
            ).where(c.c.CompanyID.in_(bindparam("company_ids", expanding=True)), c.c.Deleted == 0)
        )
    if "person" in kinds:
        selects.append(
            select(
                literal(2, Integer), p.c.PersonID, p.c.FirstName, p.c.LastName, null(), null(), null()
            ).where(p.c.PersonID.in_(bindparam("person_ids", expanding=True)), p.c.Deleted == 0)
        )
    if "employee" in kinds:
        selects.append(
            select(literal(3, Integer), u.c.UserID, u.c.FullName, null(), null(), null(), null()).where(
                u.c.UserID.in_(bindparam("employee_ids", expanding=True))
            )
        )
    return selects[0] if len(selects) == 1 else union_all(*selects)
