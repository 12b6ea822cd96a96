"""Global search in the classic database. Tables: ``tblCompany``, ``tblPerson``, ``tblCompanyPerson``,
``tblUser``, ``tblAddress``.

The SQL here is a *prefilter*: it returns a superset of what the search policy
(``facade.search``) accepts, and the facade applies the exact policy (``facade.text.fold``) in
Python. Text matching must not depend on the database's collation, so "contains this folded
word" is written per engine so that it stays a superset *and* selective:

- SQLite: a deterministic SQL function ``crm_fold`` (= ``fold``) registered on the
  connection: exact.
- PostgreSQL: a case-sensitive regular expression (``~``) in which every character of the
  word is a bracket expression of all characters that fold to it (``e`` → ``[eEéÉèÈ…]``): exact
  for text stored composed (NFC, as browsers and the classic client send it), independent of
  the database's locale.
- MariaDB/MySQL: ``COLLATE utf8mb4_unicode_ci`` (case- and accent-insensitive; å = a there,
  which only widens the prefilter).
- SQL Server: ``COLLATE Latin1_General_100_CI_AI`` (the same idea; the installation's
  ``Finnish_Swedish_CI_AS`` would treat ü as y).
- Any other engine: ``ILIKE`` with every character that could stand for another one
  replaced by the one-character wildcard ``_``.

Organisation and phone numbers are compared on digits: blanks, ``-``, ``+`` (and for phones
``(``, ``)``, ``/``, ``.``) are stripped with nested ``REPLACE`` (portable to every engine).
Every LIKE pattern escapes ``%``, ``_``, ``[`` with ``!`` (``like_escape``). Values are bound
parameters only.
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, Integer, and_, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.sql.elements import ColumnElement

from facade.search import (
    SOURCE_COMPANY,
    SOURCE_EMPLOYEE,
    SOURCE_PERSON,
    Candidates,
    CompanyRef,
    CompanyRow,
    EmployeeRow,
    PersonRow,
    SearchContext,
    SearchCriteria,
)
from facade.text import fold, swedish_sort_key

from .engine import classic_connection, like_escape
from .tables import tblAddress, tblCompany, tblCompanyPerson, tblPerson, tblUser

SQLITE_FOLD = "crm_fold"
MARIADB_COLLATION = "utf8mb4_unicode_ci"
MSSQL_COLLATION = "Latin1_General_100_CI_AI"
ORGNO_NOISE = (" ", "-", "+")
PHONE_NOISE = (" ", "-", "(", ")", "+", "/", ".")
# Preferred address for the city shown beside a company: visiting, postal, invoice, delivery.
CITY_ADDRESS_ORDER = (2, 1, 4, 3)


@functools.lru_cache(maxsize=50_000)
def _sqlite_fold(text: str | None) -> str:
    # Cached: typeahead asks for the same names keystroke after keystroke.
    return fold(text)


@functools.cache
def fold_preimages() -> dict[str, str]:
    """For every single character ``f`` that other characters fold to: ``f`` and the characters
    ``c`` of the BMP with ``fold(c) == f``, sorted, as one string (a character missing from the
    dict has itself only). Strings, and only the few hundred characters with company: a dict of
    60 000 sets made every full garbage collection of the worker 50 ms slower."""
    pre: dict[str, set[str]] = defaultdict(set)
    for cp in range(0x21, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        f = fold(c)
        if len(f) == 1:
            pre[f].add(c)
    return {f: "".join(sorted(cs | {f})) for f, cs in pre.items() if cs - {f}}


def _pg_char(ch: str) -> str:
    # ARE: a backslash before an ASCII non-alphanumeric makes it literal (also inside brackets).
    return "\\" + ch if ch.isascii() and not ch.isalnum() else ch


def pg_regex(word: str) -> str:
    """A case-sensitive PostgreSQL regex that finds ``word`` (folded) in any unfolded text."""
    parts = []
    pre = fold_preimages()
    for ch in word:
        chars = sorted(pre.get(ch, ch))
        if len(chars) == 1:
            parts.append(_pg_char(chars[0]))
        else:
            parts.append("[" + "".join(_pg_char(c) for c in chars) + "]")
    return "".join(parts)


def wildcard_pattern(word: str) -> str:
    """An ILIKE pattern (escape ``!``) for ``word`` (folded) where a character that more than its
    ASCII case variants fold to becomes ``_``: a superset on any engine."""
    pre = fold_preimages()
    out = []
    for ch in word:
        variants = set(pre.get(ch, ch))
        if ch.isascii() and variants <= {ch, ch.upper(), ch.lower()}:
            out.append(like_escape(ch))
        else:
            out.append("_")
    return "%" + "".join(out) + "%"


def contains_folded(column, word: str, dialect: str) -> ColumnElement[bool]:
    """SQL that is true for every value whose ``fold`` contains ``word`` (and maybe a few more)."""
    if dialect == "sqlite":
        return func.crm_fold(column).like("%" + like_escape(word) + "%", escape="!")
    if dialect == "postgresql":
        return column.regexp_match(pg_regex(word))
    if dialect in ("mysql", "mariadb"):
        return column.collate(MARIADB_COLLATION).like("%" + like_escape(word) + "%", escape="!")
    if dialect == "mssql":
        return column.collate(MSSQL_COLLATION).like("%" + like_escape(word) + "%", escape="!")
    return column.ilike(wildcard_pattern(word), escape="!")


def _strip_chars(column, chars: tuple[str, ...]):
    expr = column
    for ch in chars:
        expr = func.replace(expr, ch, "")
    return expr


def digits_contain(column, needle: str, noise: tuple[str, ...]) -> ColumnElement[bool]:
    """True when ``column`` without the ``noise`` characters contains the digits ``needle``."""
    return _strip_chars(column, noise).like("%" + needle + "%")


class SqlSearchQueries:
    """``facade.search.SearchQueries`` over the classic database (one connection per call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "mysql", "mariadb", "mssql"):
            fold_preimages()  # ~0.3 s once, at start-up rather than in the first search

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        with classic_connection(self.engine) as conn:
            if self.dialect == "sqlite":
                raw = conn.connection.driver_connection
                raw.create_function(SQLITE_FOLD, 1, _sqlite_fold, deterministic=True)
            yield conn

    # -- prefilter --------------------------------------------------------------------------

    def _names(self, columns: list, criteria: SearchCriteria) -> ColumnElement[bool] | None:
        """Every word is in one of ``columns``."""
        if not criteria.words:
            return None
        return and_(*[or_(*[contains_folded(col, w, self.dialect) for col in columns]) for w in criteria.words])

    def _phones(self, columns: list, criteria: SearchCriteria) -> list[ColumnElement[bool]]:
        if not criteria.phone_key:
            return []
        # Stored numbers may carry the country code (+46 8…, 0046 8…) or a trunk 0 (08-…): the
        # national significant number (or the foreign number without its 00) is inside them all.
        needle = criteria.phone_key.lstrip("0")
        return [digits_contain(col, needle, PHONE_NOISE) for col in columns] if needle else []

    def _emails(self, column, criteria: SearchCriteria) -> list[ColumnElement[bool]]:
        return [contains_folded(column, criteria.email, self.dialect)] if criteria.email else []

    def find_candidates(self, criteria: SearchCriteria, sources: frozenset[str]) -> Candidates:
        """Live rows that may match, at most ``criteria.limit + 1`` per source, shortest names first.

        One SELECT per wanted source (``tblCompany``, ``tblPerson``, ``tblUser``), one connection.
        """
        limit = criteria.limit + 1
        companies: list[CompanyRow] = []
        persons: list[PersonRow] = []
        employees: list[EmployeeRow] = []
        with self._connect() as conn:
            if SOURCE_COMPANY in sources:
                c = tblCompany.c
                conds = [x for x in [self._names([c.Name, c.NickName], criteria)] if x is not None]
                if criteria.number is not None:
                    conds += [c.CustomerNo == criteria.number, c.SupplierNo == criteria.number]
                if criteria.org_key:
                    conds.append(digits_contain(c.OrgNo, criteria.org_key, ORGNO_NOISE))
                conds += self._phones([c.Phone], criteria)
                conds += self._emails(c.Email, criteria)
                if conds:
                    q = (
                        select(c.CompanyID, c.Name, c.NickName, c.OrgNo, c.CustomerNo, c.SupplierNo,
                               c.CompanyKind, c.IsCustomer, c.IsSupplier, c.Phone, c.Email)
                        .where(c.Deleted == 0, or_(*conds))
                        .order_by(func.char_length(c.Name), c.CompanyID)
                        .limit(limit)
                    )
                    companies = [
                        CompanyRow(r.CompanyID, r.Name, r.NickName, r.OrgNo, r.CustomerNo, r.SupplierNo,
                                   int(r.CompanyKind or 1), r.IsCustomer == 1, r.IsSupplier == 1,
                                   r.Phone, r.Email)
                        for r in conn.execute(q)
                    ]
            if SOURCE_PERSON in sources:
                p = tblPerson.c
                conds = [x for x in [self._names([p.FirstName, p.LastName], criteria)] if x is not None]
                conds += self._phones([p.Phone, p.Mobile], criteria)
                conds += self._emails(p.Email, criteria)
                if conds:
                    name_length = (func.coalesce(func.char_length(p.FirstName), 0)
                                   + func.coalesce(func.char_length(p.LastName), 0))
                    q = (
                        select(p.PersonID, p.FirstName, p.LastName, p.JobTitle, p.Phone, p.Mobile, p.Email)
                        .where(p.Deleted == 0, or_(*conds))
                        .order_by(name_length, p.PersonID)
                        .limit(limit)
                    )
                    persons = [
                        PersonRow(r.PersonID, r.FirstName, r.LastName, r.JobTitle, r.Phone, r.Mobile, r.Email)
                        for r in conn.execute(q)
                    ]
            if SOURCE_EMPLOYEE in sources:
                u = tblUser.c
                conds = [x for x in [self._names([u.FullName, u.LoginName], criteria)] if x is not None]
                conds += self._phones([u.Phone], criteria)
                conds += self._emails(u.Email, criteria)
                if conds:
                    q = (
                        select(u.UserID, u.LoginName, u.FullName, u.Title, u.Phone, u.Email, u.Active)
                        .where(or_(*conds))
                        .order_by(func.char_length(u.FullName), u.UserID)
                        .limit(limit)
                    )
                    employees = [
                        EmployeeRow(r.UserID, r.LoginName, r.FullName, r.Title, r.Phone, r.Email, r.Active == 1)
                        for r in conn.execute(q)
                    ]
        return Candidates(companies, persons, employees)

    # -- context ----------------------------------------------------------------------------

    def find_context(self, company_ids: list[int], person_ids: list[int]) -> SearchContext:
        """Cities of ``company_ids`` and live companies of ``person_ids`` (main contact link first,
        then by name). Two SELECTs at most (``tblAddress``; ``tblCompanyPerson`` + ``tblCompany``)."""
        cities: dict[int, str] = {}
        companies: dict[int, tuple[CompanyRef, ...]] = {}
        with self._connect() as conn:
            if company_ids:
                best: dict[int, tuple[int, str]] = {}
                statement = _CITIES_PG if self.dialect == "postgresql" else _CITIES
                for company_id, addr_type, city in conn.execute(statement, {"ids": sorted(set(company_ids))}):
                    city = (city or "").strip()
                    if not city:
                        continue
                    order = _CITY_ORDER.get(addr_type, 9)
                    if company_id not in best or order < best[company_id][0]:
                        best[company_id] = (order, city)
                cities = {cid: city for cid, (_o, city) in best.items()}
            if person_ids:
                links: dict[int, list] = defaultdict(list)
                statement = _PERSON_COMPANIES_PG if self.dialect == "postgresql" else _PERSON_COMPANIES
                for person_id, company_id, name, is_main in conn.execute(statement, {"ids": sorted(set(person_ids))}):
                    name = (name or "").strip()
                    links[person_id].append((0 if is_main == 1 else 1, _sort_key(name), company_id, name))
                companies = {
                    pid: tuple(CompanyRef(cid, name) for _m, _k, cid, name in sorted(rows))
                    for pid, rows in links.items()
                }
        return SearchContext(cities, companies)


_CITY_ORDER = {addr_type: i for i, addr_type in enumerate(CITY_ADDRESS_ORDER)}
_sort_key = functools.lru_cache(maxsize=20_000)(swedish_sort_key)

# The context statements are built once (expanding ``IN``): building them per search cost more than
# running them. PostgreSQL gets one array parameter instead (``= ANY``): the same text for any number
# of ids, so the driver prepares it once and the server plans it once.
def _cities(ids):
    return select(tblAddress.c.CompanyID, tblAddress.c.AddrType, tblAddress.c.City).where(
        ids(tblAddress.c.CompanyID), tblAddress.c.City.is_not(None)
    )


def _person_companies(ids):
    cp, c = tblCompanyPerson.c, tblCompany.c
    return (
        select(cp.PersonID, c.CompanyID, c.Name, cp.IsMain)
        .select_from(tblCompanyPerson.join(tblCompany, c.CompanyID == cp.CompanyID))
        .where(ids(cp.PersonID), cp.Deleted == 0, c.Deleted == 0)
    )


def _in_ids(column):
    return column.in_(bindparam("ids", expanding=True))


def _any_ids(column):
    return column == any_(bindparam("ids", type_=PG_ARRAY(Integer)))


_CITIES, _CITIES_PG = _cities(_in_ids), _cities(_any_ids)
_PERSON_COMPANIES, _PERSON_COMPANIES_PG = _person_companies(_in_ids), _person_companies(_any_ids)
