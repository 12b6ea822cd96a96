"""Shared paging for the card tabs' queries: whitelisted sort parts, a total order, one query per page.

A page is read with ``COUNT(*) OVER ()`` beside the rows, so a page costs one query; only a page
past the end (no rows) costs a separate count and a second read of the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from facade.paging import Page, PageRequest, clamp

FOLLOW, ASC, DESC = "follow", "asc", "desc"


@dataclass(frozen=True)
class SortPart:
    """One ORDER BY term: ``mode`` ``follow`` takes the requested direction, ``asc``/``desc`` are fixed."""

    expr: Any
    mode: str = FOLLOW


def null_last(expr: Any) -> SortPart:
    """A fixed term putting NULLs after values in either direction (engines disagree by default)."""
    return SortPart(case((expr.is_(None), 1), else_=0), ASC)


def blank_last(expr: Any) -> SortPart:
    """A fixed term putting NULL and blank texts after real values (both mean "no value")."""
    return SortPart(case((func.coalesce(func.trim(expr), "") == "", 1), else_=0), ASC)


def text_key(expr: Any) -> Any:
    """A text sort key that ignores leading/trailing blanks and (ASCII, at least) case."""
    return func.lower(func.trim(expr))


def order_by(parts: Sequence[SortPart], descending: bool, id_col: ColumnElement) -> list:
    """ORDER BY clauses for ``parts``, then ``id_col`` ascending: a total order."""
    out = []
    for part in parts:
        desc = descending if part.mode == FOLLOW else part.mode == DESC
        out.append(part.expr.desc() if desc else part.expr.asc())
    out.append(id_col.asc())
    return out


def fetch_page(
    conn: Connection,
    query: Select,
    sorts: dict[str, Sequence[SortPart]],
    req: PageRequest,
    id_col: ColumnElement,
    to_item: Callable[[Any], Any],
) -> Page:
    """Run ``query`` (filtered, unordered) for page ``req`` in a total order; rows → ``to_item``.

    ``req.sort`` must be a key of ``sorts`` (the facade checked it against the whitelist; an unknown
    key here is a programming error: KeyError). A page past the end is moved to the last page.
    """
    clauses = order_by(sorts[req.sort], req.descending, id_col)
    counted = query.add_columns(func.count().over().label("_total")).order_by(*clauses)

    def read(r: PageRequest):
        return conn.execute(counted.limit(r.per_page).offset(r.offset)).all()

    rows = read(req)
    if rows:
        total = int(rows[0]._total)
    elif req.page == 1:
        total = 0
    else:
        total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        req = clamp(req, total)
        rows = read(req) if total else []
    return Page(tuple(to_item(r) for r in rows), total, req.page, req.per_page, req.sort, req.descending)


def live_companies(tbl_company) -> Select:
    """``SELECT CompanyID FROM tblCompany WHERE Deleted = 0`` for ``IN`` filters."""
    return select(tbl_company.c.CompanyID).where(tbl_company.c.Deleted == 0)


def live_persons(tbl_person) -> Select:
    """``SELECT PersonID FROM tblPerson WHERE Deleted = 0`` for ``IN`` filters."""
    return select(tbl_person.c.PersonID).where(tbl_person.c.Deleted == 0)


def person_name(first: str | None, last: str | None) -> str | None:
    """``First Last`` with blanks trimmed and collapsed; None when both are blank."""
    name = " ".join(" ".join(p.split()) for p in (first, last) if p and p.strip())
    return name or None
