"""The search index in CRM Lite's own store (``facade.search_index.SearchIndex``).

Classic tables read (never written): ``tblCompany`` (live rows), ``tblPerson`` (live rows),
``tblUser`` (all). Store tables: ``search_company``, ``search_person``, ``search_employee``
(``adapters/sql/state.py``) plus, per engine of the *store*:

- SQLite: FTS5 tables ``search_company_fts`` … with the ``trigram`` tokenizer (``case_sensitive 1``:
  the text is folded already). A phrase of three or more characters matches every text that
  contains it — infix search on an index. The rowid is ``fts_key`` = name_len · 2³¹ + id, so the
  hits come out in plain SQL's order (shortest names first) and a query stops after ``limit + 1``.
- PostgreSQL: ``pg_trgm`` GIN indexes (``gin_trgm_ops``) on the same columns; ``LIKE '%w%'`` uses
  them for three or more characters. ``CREATE EXTENSION IF NOT EXISTS pg_trgm`` runs in the store
  database only. Names also have a GIN index of their two- and three-character pieces keyed with
  the name's length (``PG_TOKENS``), which finds hits in (name_len, id) order.

What is stored are the same normal forms the plain SQL prefilter (``adapters/sql/search.py``)
compares: ``facade.text.fold`` of every name (joined by a line feed, which no query word
contains), the org number and phone numbers without the separators plain SQL strips, the folded
e-mail, and the length plain SQL orders by. A query therefore returns exactly plain SQL's
candidate rows in plain SQL's order (the facade then ranks them as always); only the way to find
them differs. Two-letter words (no trigram) use ``grams``: every two-character piece of the names
and, marked ``e``, of the e-mail, as blank-delimited hex tokens (FTS phrase / PostgreSQL array).

- SQLite: one FTS5 query in rowid order, joined to the entries and filtered by the exact
  conditions, ``LIMIT limit + 1`` — a common word stops after a few hundred hits, a rare one has
  few; customer/supplier numbers come from their own indexes and are merged in by ``fts_key``.
- PostgreSQL, a query of names only (letters: the typeahead, most searches): **tokens** — one query
  asks the token index name length after name length and stops after ``limit + 1`` exact hits.
- PostgreSQL, other queries (GIN hits are unordered): **index** — read the hits, keep the exact ones,
  sort, take ``limit + 1`` — while the planner expects few hits; else **walk** the walk index
  (name_len, id, searched columns) in order and stop after ``limit + 1`` exact hits.
- Either engine walks when some branch has no index (a phone number of one or two digits after
  its zeros; words of one letter only) and for tables of at most ``SMALL`` rows (the employees).

Statements are built per *shape* of the query (which branches, how many words) with bound
parameters only, compiled once per process and run with ``exec_driver_sql``; candidate rows are read
as plain tuples straight into the facade's dataclasses.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from facade.changes import ChangeSet, TableChanges
from facade.search import (
    SOURCE_COMPANY,
    SOURCE_EMPLOYEE,
    SOURCE_PERSON,
    Candidates,
    CompanyRow,
    EmployeeRow,
    PersonRow,
    SearchCriteria,
)
from facade.search_index import INDEX_NAME, INDEX_TABLES
from facade.text import fold

from .engine import classic_connection, read_connection
from .search import ORGNO_NOISE, PHONE_NOISE
from .state import feed_cursor, search_company, search_employee, search_person, state_metadata
from .tables import tblCompany, tblPerson, tblUser

log = logging.getLogger(__name__)

#: Rows copied per classic read (keyset pages: no long transaction on the classic database).
BATCH = 2000
#: Ids per ``IN (…)`` when changed rows are read again.
IN_CHUNK = 500
#: Tables up to this many rows are always walked (cheaper than asking an index first). Measured on
#: PostgreSQL at kit scale 1000: the 8 000 employees walked in 1.2–4.4 ms, against 4.5–14 ms through
#: the token index, one name length at a time.
SMALL = 10_000


@functools.lru_cache(maxsize=200_000)
def _fold(value: str | None) -> str:
    # Cached: first and last names repeat a lot in a rebuild.
    return fold(value)


def _strip(value: str | None, noise: tuple[str, ...]) -> str:
    """``value`` without the ``noise`` characters, as plain SQL's nested REPLACE gives it."""
    out = value or ""
    for ch in noise:
        out = out.replace(ch, "")
    return out


def _len(value: str | None) -> int:
    return len(value) if value is not None else 0


def gram_token(pair: str) -> str:
    """The token of a two-character piece: its UTF-8 bytes in hex (always a plain word)."""
    return pair.encode("utf-8", "surrogatepass").hex()


def grams_of(names: str, email: str = "") -> str:
    """Space-separated tokens of every two-character piece of the folded ``names`` (line-feed
    separated) and, marked with ``e``, of the folded ``email``; pieces with a blank are left out
    (a query word has none)."""
    tokens: dict[str, None] = {}
    for prefix, value in (("", names), ("e", email)):
        for part in value.split("\n"):
            for i in range(len(part) - 1):
                pair = part[i:i + 2]
                if " " not in pair:
                    tokens[prefix + gram_token(pair)] = None
    # Blanks around every token: the FTS phrase " 6162 " then matches that whole token only.
    return " " + " ".join(tokens) + " " if tokens else " "


# --- one source: how it is copied and searched ---------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One searchable classic table and its index table."""

    key: str  # facade.search.SOURCE_*
    classic: Table
    classic_id: str
    index: Table
    index_id: str
    fts: str
    searched: tuple[str, ...]  # the columns conditions look at: names, email_fold, (org_digits), phones
    live_only: bool  # classic rows with Deleted = 1 are not indexed
    entry: Callable
    rows: Callable  # [(*shown, fts_key)] → [CompanyRow | PersonRow | EmployeeRow]
    read: tuple[str, ...] = ()  # the classic columns ``entry`` needs (never the long notes)
    shown: tuple[str, ...] = ()  # the index columns a candidate row is made of, in its dataclass's order

    def classic_columns(self) -> list:
        return [self.classic.c[c] for c in self.read]

    @property
    def fts_columns(self) -> tuple[str, ...]:
        """The SQLite FTS5 table's columns: the searched ones and the two-character pieces."""
        return (*self.searched, "grams")

    @property
    def id_col(self):
        return self.index.c[self.index_id]

    def row_columns(self, table=None) -> list:
        """The columns read for a candidate: ``shown`` and ``fts_key`` (of ``table``, default the index)."""
        t = self.index if table is None else table
        return [t.c[c] for c in self.shown] + [t.c.fts_key]


def fts_key(name_len: int, ident: int) -> int:
    """The FTS5 rowid of an entry: sorts as (name_len, id), plain SQL's order of candidates."""
    return (name_len << 31) | ident


def _with_grams(ident: int, entry: dict) -> dict:
    entry["grams"] = grams_of(entry["names"], entry["email_fold"])
    entry["fts_key"] = fts_key(entry["name_len"], ident)
    return entry


def _company_entry(r) -> dict:
    return _with_grams(r.CompanyID, {
        "company_id": r.CompanyID,
        "name_len": _len(r.Name),
        "names": _fold(r.Name) + "\n" + _fold(r.NickName),
        "email_fold": _fold(r.Email),
        "org_digits": _strip(r.OrgNo, ORGNO_NOISE),
        "phones": _strip(r.Phone, PHONE_NOISE),
        "name": r.Name,
        "nick_name": r.NickName,
        "org_no": r.OrgNo,
        "customer_no": r.CustomerNo,
        "supplier_no": r.SupplierNo,
        "company_kind": int(r.CompanyKind or 1),
        "is_customer": 1 if r.IsCustomer == 1 else 0,
        "is_supplier": 1 if r.IsSupplier == 1 else 0,
        "phone": r.Phone,
        "email": r.Email,
        "change_no": r.ChangeNo,
    })


def _person_entry(r) -> dict:
    return _with_grams(r.PersonID, {
        "person_id": r.PersonID,
        "name_len": _len(r.FirstName) + _len(r.LastName),
        "names": _fold(r.FirstName) + "\n" + _fold(r.LastName),
        "email_fold": _fold(r.Email),
        "phones": _strip(r.Phone, PHONE_NOISE) + "\n" + _strip(r.Mobile, PHONE_NOISE),
        "first_name": r.FirstName,
        "last_name": r.LastName,
        "job_title": r.JobTitle,
        "phone": r.Phone,
        "mobile": r.Mobile,
        "email": r.Email,
        "change_no": r.ChangeNo,
    })


def _employee_entry(r) -> dict:
    return _with_grams(r.UserID, {
        "user_id": r.UserID,
        "name_len": _len(r.FullName),
        "names": _fold(r.FullName) + "\n" + _fold(r.LoginName),
        "email_fold": _fold(r.Email),
        "phones": _strip(r.Phone, PHONE_NOISE),
        "login_name": r.LoginName,
        "full_name": r.FullName,
        "title": r.Title,
        "phone": r.Phone,
        "email": r.Email,
        "active": 1 if r.Active == 1 else 0,
    })


def _company_rows(rows) -> list[CompanyRow]:
    return [CompanyRow(i, n, nick, org, cust, supp, int(kind), is_c == 1, is_s == 1, phone, email)
            for i, n, nick, org, cust, supp, kind, is_c, is_s, phone, email, _key in rows]


def _person_rows(rows) -> list[PersonRow]:
    return [PersonRow(i, first, last, job, phone, mobile, email)
            for i, first, last, job, phone, mobile, email, _key in rows]


def _employee_rows(rows) -> list[EmployeeRow]:
    return [EmployeeRow(i, login, full, title, phone, email, active == 1)
            for i, login, full, title, phone, email, active, _key in rows]


SOURCES: dict[str, Source] = {
    SOURCE_COMPANY: Source(SOURCE_COMPANY, tblCompany, "CompanyID", search_company, "company_id",
                           "search_company_fts", ("names", "email_fold", "org_digits", "phones"), True,
                           _company_entry, _company_rows,
                           ("CompanyID", "Name", "NickName", "OrgNo", "CustomerNo", "SupplierNo", "CompanyKind",
                            "IsCustomer", "IsSupplier", "Phone", "Email", "ChangeNo", "Deleted"),
                           ("company_id", "name", "nick_name", "org_no", "customer_no", "supplier_no", "company_kind",
                            "is_customer", "is_supplier", "phone", "email")),
    SOURCE_PERSON: Source(SOURCE_PERSON, tblPerson, "PersonID", search_person, "person_id",
                          "search_person_fts", ("names", "email_fold", "phones"), True,
                          _person_entry, _person_rows,
                          ("PersonID", "FirstName", "LastName", "JobTitle", "Phone", "Mobile", "Email", "ChangeNo",
                           "Deleted"),
                          ("person_id", "first_name", "last_name", "job_title", "phone", "mobile", "email")),
    SOURCE_EMPLOYEE: Source(SOURCE_EMPLOYEE, tblUser, "UserID", search_employee, "user_id",
                            "search_employee_fts", ("names", "email_fold", "phones"), False,
                            _employee_entry, _employee_rows,
                            ("UserID", "LoginName", "FullName", "Title", "Phone", "Email", "Active"),
                            ("user_id", "login_name", "full_name", "title", "phone", "email", "active")),
}
SOURCE_OF_TABLE = {"tblCompany": SOURCE_COMPANY, "tblPerson": SOURCE_PERSON, "tblUser": SOURCE_EMPLOYEE}


def _fts_phrase(column: str, needle: str) -> str:
    """An FTS5 query term: ``column : "needle"`` (quotes doubled)."""
    return f'{column} : "' + needle.replace('"', '""') + '"'


def _pg_like(needle: str) -> str:
    """``%needle%`` with PostgreSQL's default LIKE escape (backslash)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class _Branch:
    """One OR-branch of the prefilter: its exact condition and how an index can find it.

    ``column``: the searched column whose text must contain every one of ``needles`` (names: the
    query's words), or ``"number"``: ``customer_no`` or ``supplier_no`` equals ``needles[0]``.
    ``terms``: (column, needle) pairs that must all occur — trigram terms (three or more
    characters), or ``("grams", token)`` pairs for two-letter words; None when only walking the
    table finds it. Values are bound parameters; only the shape (columns, counts) makes the SQL.
    """

    column: str
    needles: tuple
    terms: tuple[tuple[str, str], ...] | None = None

    @property
    def number(self) -> int | None:
        return self.needles[0] if self.column == NUMBER else None

    @property
    def shape(self) -> tuple:
        return (self.column, len(self.needles), None if self.terms is None else tuple(c for c, _n in self.terms))


NUMBER = "number"

# PostgreSQL: GIN trigram hits come in no order, so finding the first ``limit`` in (name_len, id)
# order meant reading every hit (or walking in order past the misses). The token index keys every
# two- and three-character piece of the folded names with the name's length — ``13:lun`` — so one
# query can ask length after length and stop as soon as it has ``limit`` rows: it reads only the
# hits of the shortest names, a few hundred rows for any word instead of up to 100 000. Lengths of
# 41 and more share the last bucket.
PG_TOKENS = "crm_search_tokens_v1"  # a new body needs a new name: indexes are built with the old one
PG_KEYED = "crm_search_keyed_v1"
TOKEN_BUCKETS = 41
PG_TOKENS_FUNCTIONS = (
    f"""CREATE FUNCTION {PG_TOKENS}(len integer, names text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL RESTRICTED COST 10000 AS $$
DECLARE
  tokens text[] := '{{}}';
  key text := least(len, {TOKEN_BUCKETS}) || ':';
  last integer := length(names);
  piece text;
BEGIN
  FOR i IN 1 .. last - 1 LOOP
    piece := substr(names, i, 2);
    IF strpos(piece, ' ') = 0 AND strpos(piece, E'\\n') = 0 THEN
      tokens := tokens || (key || piece);
      IF i < last - 1 THEN
        piece := substr(names, i, 3);
        IF strpos(piece, ' ') = 0 AND strpos(piece, E'\\n') = 0 THEN
          tokens := tokens || (key || piece);
        END IF;
      END IF;
    END IF;
  END LOOP;
  RETURN tokens;  -- repeated pieces are fine: GIN keeps each key once per row
END
$$""",
    f"""CREATE FUNCTION {PG_KEYED}(len integer, pieces text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL RESTRICTED AS $$
  SELECT coalesce(array_agg(len || ':' || piece), '{{}}') FROM unnest(pieces) AS piece
$$""",
)
# PARALLEL RESTRICTED: the lengths must be asked one after the other (parallel workers would mix
# their rows). COST: a scan that had to compute the tokens of every row is never worth it.
MAX_TOKENS = 8  # pieces asked per query (any subset finds the same rows; the words are checked)


def query_tokens(words: tuple[str, ...]) -> list[str]:
    """The pieces of the query's words the token index is asked for: three-character pieces of
    words of three or more characters, the two-character words themselves; at most ``MAX_TOKENS``,
    spread over the words. Empty when every word has one character."""
    pieces: list[str] = []
    for w in words:
        n = 3 if len(w) >= 3 else 2
        if len(w) >= 2:
            pieces += [w[i:i + n] for i in range(len(w) - n + 1)]
    pieces = list(dict.fromkeys(pieces))
    if len(pieces) > MAX_TOKENS:
        step = (len(pieces) - 1) / (MAX_TOKENS - 1)
        pieces = [pieces[round(k * step)] for k in range(MAX_TOKENS)]
    return pieces


class _Prepared:
    """A statement compiled once for the store's dialect, run with ``exec_driver_sql``: a search runs
    a few statements whose shape repeats, so neither building nor compiling them is paid again."""

    __slots__ = ("fixed", "order", "sql")

    def __init__(self, sql: str, order: tuple[str, ...] | None, fixed: dict) -> None:
        self.sql = sql
        self.order = order  # bind parameter names by position (qmark drivers), None for named ones
        self.fixed = fixed  # values the statement itself binds (the 0 of ``instr(…) > 0``)

    @classmethod
    def of(cls, statement, dialect) -> _Prepared:
        compiled = statement.compile(dialect=dialect)
        fixed = {k: v for k, v in compiled.params.items() if v is not None}
        return cls(compiled.string, tuple(compiled.positiontup) if dialect.positional else None, fixed)

    def run(self, conn: Connection, params: dict):
        """The result of the statement with ``params`` (by bind parameter name)."""
        params = {**self.fixed, **params}
        args = tuple(params[n] for n in self.order) if self.order is not None else params
        return conn.exec_driver_sql(self.sql, args)


class SqlSearchIndex:
    """``facade.search_index.SearchIndex`` on the store engine; copies from the classic engine."""

    name = INDEX_NAME
    tables = INDEX_TABLES

    def __init__(self, store: Engine, classic: Engine, *, batch: int = BATCH, small: int = SMALL) -> None:
        self.store = store
        self.classic = classic
        self.dialect = store.dialect.name
        self.batch = batch
        self.small = small
        self._ready: bool | None = None
        self._sizes: dict[str, int] = {}
        self._prepared: dict[tuple, _Prepared] = {}
        self._pg_tokens = False  # the PostgreSQL token indexes exist (``_ensure_pg_tokens``)
        self.last_plan: dict[str, str] = {}

    # -- schema -----------------------------------------------------------------------------------

    def available(self) -> bool:
        """True when the store can hold the index; creates its engine-specific parts once."""
        if self._ready is None:
            self._ready = self._ensure_schema()
        return self._ready

    def _drop_outdated(self) -> None:
        """Drop the index when its tables lack a column this version needs (an older CRM Lite made
        them); the index is only a copy, and its cursor goes with it (``index rebuild`` again)."""
        names = set(inspect(self.store).get_table_names())
        outdated = [
            s for s in SOURCES.values()
            if s.index.name in names
            and {c["name"] for c in inspect(self.store).get_columns(s.index.name)} != set(s.index.c.keys())
        ]
        if not outdated:
            return
        with self.store.begin() as conn:
            for s in SOURCES.values():
                if self.dialect == "sqlite":
                    for fts in (s.fts, f"{s.index.name}_grams"):  # _grams: an earlier layout
                        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {s.index.name}")
            conn.execute(delete(feed_cursor).where(feed_cursor.c.name == self.name))

    def _ensure_schema(self) -> bool:
        tables = [s.index for s in SOURCES.values()]
        try:
            self._drop_outdated()
            if self.dialect == "sqlite":
                with self.store.begin() as conn:
                    state_metadata.create_all(conn, tables=tables)
                    for s in SOURCES.values():
                        cols = ", ".join(s.fts_columns)
                        conn.exec_driver_sql(
                            f"CREATE VIRTUAL TABLE IF NOT EXISTS {s.fts} USING fts5({cols}, "
                            "tokenize = 'trigram case_sensitive 1')"
                        )
                        # The walk in (name_len, id) order reads this index only (SQLite seeks the
                        # row of a hit alone): a fifth of the cost of walking the table.
                        walked = ", ".join(s.searched)
                        conn.exec_driver_sql(
                            f"CREATE INDEX IF NOT EXISTS ix_{s.index.name}_walk "
                            f"ON {s.index.name} (name_len, {s.index_id}, {walked})"
                        )
                return True
            if self.dialect == "postgresql":
                for attempt in range(2):  # two workers creating the extension at once: one retry
                    try:
                        with self.store.begin() as conn:
                            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                            state_metadata.create_all(conn, tables=tables)
                            for s in SOURCES.values():
                                for col in s.searched:
                                    conn.exec_driver_sql(
                                        f"CREATE INDEX IF NOT EXISTS ix_{s.index.name}_{col}_trgm "
                                        f"ON {s.index.name} USING gin ({col} gin_trgm_ops)"
                                    )
                                conn.exec_driver_sql(
                                    f"CREATE INDEX IF NOT EXISTS ix_{s.index.name}_grams "
                                    f"ON {s.index.name} USING gin (string_to_array(grams, ' '))"
                                )
                                walked = ", ".join(s.searched)
                                conn.exec_driver_sql(
                                    f"CREATE INDEX IF NOT EXISTS ix_{s.index.name}_walk "
                                    f"ON {s.index.name} (name_len, {s.index_id}) INCLUDE ({walked})"
                                )
                            self._pg_tokens = self._ensure_pg_tokens(conn)
                        return True
                    except DBAPIError:
                        if attempt:
                            raise
                return True
        except DBAPIError as exc:
            log.warning("search index unavailable in the store (%s): %s", self.dialect, exc)
            return False
        return False  # another store engine: plain SQL answers

    def _ensure_pg_tokens(self, conn: Connection) -> bool:
        """PostgreSQL: the token functions and their GIN index per table (``PG_TOKENS``; the first
        time on a filled store this takes about half a minute at 400 000 rows). False — names are
        then found like any other text — when the database's characters are not UTF-8 (``substr``
        would cut bytes where Python cuts characters) or the store may not hold them."""
        if conn.exec_driver_sql("SHOW server_encoding").scalar() != "UTF8":
            return False
        for attempt in range(2):  # another worker creating them at the same moment: look again
            try:
                with conn.begin_nested():
                    for name, args, definition in zip((PG_TOKENS, PG_KEYED), ("integer, text", "integer, text[]"),
                                                      PG_TOKENS_FUNCTIONS, strict=True):
                        if conn.exec_driver_sql(f"SELECT to_regprocedure('{name}({args})')").scalar() is None:
                            conn.exec_driver_sql(definition)
                    for s in SOURCES.values():
                        conn.exec_driver_sql(
                            f"CREATE INDEX IF NOT EXISTS ix_{s.index.name}_{PG_TOKENS} "
                            f"ON {s.index.name} USING gin ({PG_TOKENS}(name_len, names))"
                        )
                break
            except DBAPIError as exc:
                if attempt:
                    log.warning("search index: no name tokens in the store: %s", exc)
                    return False
        return True

    # -- writing ----------------------------------------------------------------------------------

    def _delete(self, conn: Connection, source: Source, ids: list[int] | None) -> None:
        """Drop index entries of ``ids`` (all entries when None)."""
        if ids is None:
            conn.execute(delete(source.index))
            if self.dialect == "sqlite":
                conn.exec_driver_sql(f"DELETE FROM {source.fts}")
            return
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i:i + IN_CHUNK]
            if self.dialect == "sqlite":
                keys = select(source.index.c.fts_key).where(source.id_col.in_(chunk))
                conn.execute(text(f"DELETE FROM {source.fts} WHERE rowid IN :keys").bindparams(
                    bindparam("keys", expanding=True)), {"keys": list(conn.execute(keys).scalars())})
            conn.execute(delete(source.index).where(source.id_col.in_(chunk)))

    def _insert(self, conn: Connection, source: Source, entries: list[dict]) -> None:
        if not entries:
            return
        conn.execute(insert(source.index), entries)
        if self.dialect == "sqlite":
            cols = ", ".join(source.fts_columns)
            marks = ", ".join("?" for _ in source.fts_columns)
            conn.exec_driver_sql(
                f"INSERT INTO {source.fts} (rowid, {cols}) VALUES (?, {marks})",
                [tuple([e["fts_key"]] + [e[c] for c in source.fts_columns]) for e in entries],
            )

    def _classic_rows(self, source: Source, where) -> list:
        q = select(*source.classic_columns()).where(where)
        with classic_connection(self.classic) as conn:
            return conn.execute(q).all()

    def _live(self, source: Source, rows: Iterable) -> list:
        if not source.live_only:
            return list(rows)
        return [r for r in rows if r.Deleted == 0]

    def count_classic(self, source: Source) -> int:
        """Rows the copy of ``source`` will read (for the progress bar)."""
        t = source.classic
        q = select(func.count()).select_from(t)
        if source.live_only:
            q = q.where(t.c.Deleted == 0)
        with classic_connection(self.classic) as conn:
            return int(conn.execute(q).scalar() or 0)

    def rebuild(self, progress: Callable[[int, int], None] | None = None,
                sources: Iterable[str] | None = None) -> int:
        """Copy every row of ``sources`` (default all) into the index, replacing what was there."""
        if not self.available():
            raise RuntimeError("the store cannot hold the search index")
        chosen = [SOURCES[k] for k in (sources or SOURCES)]
        total = sum(self.count_classic(s) for s in chosen)
        done = 0
        if progress:
            progress(0, total)
        for source in chosen:
            with self.store.begin() as conn:
                self._delete(conn, source, None)
            t = source.classic
            ident = t.c[source.classic_id]
            last = 0
            while True:
                where = ident > last
                if source.live_only:
                    where = and_(where, t.c.Deleted == 0)
                q = select(*source.classic_columns()).where(where).order_by(ident).limit(self.batch)
                with classic_connection(self.classic) as conn:
                    rows = conn.execute(q).all()
                if not rows:
                    break
                entries = [source.entry(r) for r in rows]
                with self.store.begin() as conn:
                    # A poll that was running when the rebuild started may have written some of
                    # these rows already: replace them (rows are copies, either is current).
                    self._delete(conn, source, [e[source.index_id] for e in entries])
                    self._insert(conn, source, entries)
                last = rows[-1]._mapping[source.classic_id]
                done += len(rows)
                if progress:
                    progress(done, max(total, done))
        if self.dialect == "sqlite":
            with self.store.begin() as conn:
                for s in chosen:
                    conn.exec_driver_sql(f"INSERT INTO {s.fts}({s.fts}) VALUES ('optimize')")
                conn.exec_driver_sql("ANALYZE")
        elif self.dialect == "postgresql":
            # VACUUM: the walk index is read without the table only on all-visible pages.
            with self.store.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for s in chosen:
                    conn.exec_driver_sql(f"VACUUM ANALYZE {s.index.name}")
        self._sizes.clear()
        return done

    def apply(self, changes: ChangeSet) -> int:
        """Re-read the changed classic rows and replace their entries (drop deleted/absent ones)."""
        written = 0
        for table, key in SOURCE_OF_TABLE.items():
            tc: TableChanges = changes.of(table)
            if tc.empty:
                continue
            source = SOURCES[key]
            if tc.everything:
                written += self.rebuild(sources=[key])
                continue
            ident = source.classic.c[source.classic_id]
            ids = tc.ids()
            for i in range(0, len(ids), IN_CHUNK):
                chunk = ids[i:i + IN_CHUNK]
                rows = self._live(source, self._classic_rows(source, ident.in_(chunk)))
                with self.store.begin() as conn:
                    self._delete(conn, source, chunk)
                    self._insert(conn, source, [source.entry(r) for r in rows])
                written += len(chunk)
            for lo, hi in tc.ranges:
                rows = self._live(source, self._classic_rows(source, ident.between(lo, hi)))
                with self.store.begin() as conn:
                    present = select(source.id_col).where(source.id_col.between(lo, hi))
                    old = list(conn.execute(present).scalars())
                    self._delete(conn, source, old)
                    self._insert(conn, source, [source.entry(r) for r in rows])
                written += len(rows) + len(old)
        return written

    def tick(self, now_utc, last_poll_utc) -> int:
        """The index has no timers."""
        return 0

    # -- searching --------------------------------------------------------------------------------

    def _contains(self, column, needle) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return func.strpos(column, needle) > 0
        return func.instr(column, needle) > 0

    def _branches(self, source: Source, criteria: SearchCriteria) -> list[_Branch]:
        """The OR-branches of plain SQL's prefilter for ``source`` (the same conditions)."""
        out: list[_Branch] = []
        if criteria.words:
            long_words = [w for w in criteria.words if len(w) >= 3]
            if long_words:  # the two-letter words of the query are checked by ``exact`` only
                terms = tuple(("names", w) for w in long_words)
            else:
                terms = tuple(("grams", gram_token(w)) for w in criteria.words if len(w) == 2) or None
            out.append(_Branch("names", tuple(criteria.words), terms))
        if source.key == SOURCE_COMPANY:
            if criteria.number is not None:
                out.append(_Branch(NUMBER, (criteria.number,)))
            if criteria.org_key:
                k = criteria.org_key
                out.append(_Branch("org_digits", (k,), (("org_digits", k),) if len(k) >= 3 else None))
        if criteria.phone_key:
            needle = criteria.phone_key.lstrip("0")
            if needle:
                out.append(_Branch("phones", (needle,), (("phones", needle),) if len(needle) >= 3 else None))
        if criteria.email:
            e = criteria.email
            terms = (("email_fold", e),) if len(e) >= 3 else (("grams", "e" + gram_token(e)),) if len(e) == 2 else None
            out.append(_Branch("email_fold", (e,), terms))
        return out

    # Statements are built from the branches' shapes with bound parameters named ``x<i>_<j>`` (the
    # exact condition), ``t<i>_<j>``/``g<i>`` (what a PostgreSQL index answers), ``match`` (the FTS5
    # query), ``number`` and ``lim``; each shape is compiled once per process.

    def _exact(self, source: Source, shape: tuple, table=None) -> ColumnElement[bool]:
        """Plain SQL's prefilter: any branch, each with all its needles (``x<i>_<j>``), on ``table``
        (the index table or an alias of it)."""
        c = (source.index if table is None else table).c
        conds = []
        for i, (column, count, _terms) in enumerate(shape):
            if column == NUMBER:
                n = bindparam(f"x{i}_0", type_=Integer)
                conds.append(or_(c.customer_no == n, c.supplier_no == n))
            else:
                conds.append(and_(*[self._contains(c[column], bindparam(f"x{i}_{j}", type_=Text))
                                    for j in range(count)]))
        return or_(*conds)

    @staticmethod
    def _params(branches: list[_Branch], limit: int) -> dict:
        params: dict = {"lim": limit}
        for i, b in enumerate(branches):
            for j, needle in enumerate(b.needles):
                params[f"x{i}_{j}"] = needle
        return params

    def _statement(self, key: tuple, build: Callable[[], object]) -> _Prepared:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _Prepared.of(build(), self.store.dialect)
        return prepared

    def _walk_statement(self, source: Source, shape: tuple) -> _Prepared:
        """The first ``lim`` rows meeting the prefilter in (name_len, id) order: the walk reads the walk
        index only (ids, lengths and searched columns), then the full rows of the hits."""
        def build():
            t = source.index
            first = (select(source.id_col.label("id"), t.c.name_len.label("len"))
                     .where(self._exact(source, shape))
                     .order_by(t.c.name_len, source.id_col).limit(bindparam("lim", type_=Integer))
                     .subquery("first"))
            return (select(*source.row_columns()).join(first, first.c.id == source.id_col)
                    .order_by(first.c.len, first.c.id))
        return self._statement(("walk", source.key, shape), build)

    def _fts_statement(self, source: Source, shape: tuple) -> _Prepared:
        """SQLite: the FTS5 hits of ``match`` that meet the prefilter, in rowid order, ``lim`` at most."""
        def build():
            t = source.index
            fts = sa_table(source.fts, sa_column("rowid"))
            return (select(*source.row_columns()).select_from(fts.join(t, t.c.fts_key == fts.c.rowid))
                    .where(literal_column(source.fts).op("MATCH")(bindparam("match", type_=Text)),
                           self._exact(source, shape))
                    .order_by(fts.c.rowid).limit(bindparam("lim", type_=Integer)))
        return self._statement(("fts", source.key, shape), build)

    def _number_statement(self, source: Source) -> _Prepared:
        """The rows whose customer or supplier number is ``number`` (their own indexes)."""
        def build():
            t = source.index
            c, n = t.c, bindparam("number", type_=Integer)
            return (select(*source.row_columns()).where(or_(c.customer_no == n, c.supplier_no == n))
                    .order_by(c.fts_key).limit(bindparam("lim", type_=Integer)))
        return self._statement(("number", source.key), build)

    def _sqlite_ordered(self, conn: Connection, source: Source, branches: list[_Branch], limit: int) -> list:
        """SQLite: the FTS5 hits in rowid order — (name_len, id), plain SQL's order — stopping after
        ``limit`` exact ones (a common word stops early, a rare one has few hits); customer and
        supplier numbers are looked up by their indexes and merged in."""
        rows: list = []
        text_terms = [b.terms for b in branches if b.terms]
        if text_terms:
            params = self._params(branches, limit)
            params["match"] = " OR ".join(
                "(" + " AND ".join(_fts_phrase(col, f" {n} " if col == "grams" else n) for col, n in terms) + ")"
                for terms in text_terms
            )
            shape = tuple(b.shape for b in branches)
            rows = self._fts_statement(source, shape).run(conn, params).fetchall()
        numbers = [b.number for b in branches if b.number is not None]
        if numbers:
            merged = {r[-1]: r for r in rows}
            for n in numbers:
                merged.update({r[-1]: r for r in self._number_statement(source).run(conn, {"number": n, "lim": limit})})
            rows = [merged[k] for k in sorted(merged)][:limit]
        return rows

    def _pg_found(self, source: Source, shape: tuple) -> ColumnElement[bool]:
        """PostgreSQL: the condition the indexes (GIN trigram/array, btree) answer, any branch."""
        c = source.index.c
        conds = []
        for i, (column, _count, terms) in enumerate(shape):
            if column == NUMBER:
                n = bindparam(f"x{i}_0", type_=Integer)
                conds.append(or_(c.customer_no == n, c.supplier_no == n))
                continue
            parts = []
            if "grams" in terms:
                # Written exactly as the GIN index's expression (a bound ' ' would not match it).
                pieces = func.string_to_array(c.grams, literal_column("' '"))
                parts.append(pieces.op("@>")(bindparam(f"g{i}", type_=PG_ARRAY(Text))))
            parts += [c[col].like(bindparam(f"t{i}_{j}", type_=Text)) for j, col in enumerate(terms)
                      if col != "grams"]
            conds.append(and_(*parts))
        return or_(*conds)

    @staticmethod
    def _pg_params(branches: list[_Branch], params: dict) -> dict:
        for i, b in enumerate(branches):
            if b.terms is None:
                continue
            grams = [n for col, n in b.terms if col == "grams"]
            if grams:
                params[f"g{i}"] = grams
            for j, (col, n) in enumerate(b.terms):
                if col != "grams":
                    params[f"t{i}_{j}"] = _pg_like(n)
        return params

    def _pg_estimate_statement(self, source: Source, shape: tuple) -> _Prepared:
        def build():
            return select(literal_column("1")).select_from(source.index).where(self._pg_found(source, shape))
        found = self._statement(("pg-found", source.key, shape), build)
        key = ("pg-estimate", source.key, shape)
        if key not in self._prepared:
            self._prepared[key] = _Prepared("EXPLAIN (FORMAT JSON) " + found.sql, found.order, found.fixed)
        return self._prepared[key]

    def _pg_index_statement(self, source: Source, shape: tuple) -> _Prepared:
        """PostgreSQL: the index hits that meet the prefilter, sorted, ``lim`` at most."""
        def build():
            t = source.index
            hits = (select(source.id_col.label("id"), t.c.name_len.label("len"))
                    .where(self._pg_found(source, shape), self._exact(source, shape))
                    .cte("hits").prefix_with("MATERIALIZED"))
            first = (select(hits).order_by(hits.c.len, hits.c.id).limit(bindparam("lim", type_=Integer))
                     .subquery("first"))
            return (select(*source.row_columns()).join(first, first.c.id == source.id_col)
                    .order_by(first.c.len, first.c.id))
        return self._statement(("pg-index", source.key, shape), build)

    def _pg_tokens_statement(self, source: Source, shape: tuple) -> _Prepared:
        """PostgreSQL, names only: name length after name length (``generate_series``, the outer side
        of a nested loop), the rows holding every piece of ``toks`` keyed with that length, in
        (name_len, id) order; the LIMIT stops the loop (see ``PG_TOKENS``)."""
        def build():
            t = source.index.alias("t")
            lengths = func.generate_series(0, TOKEN_BUCKETS).table_valued("l").render_derived(name="b")
            keyed = getattr(func, PG_KEYED)(lengths.c.l, bindparam("toks", type_=PG_ARRAY(Text)))
            hits = (select(*source.row_columns(t))
                    .where(getattr(func, PG_TOKENS)(t.c.name_len, t.c.names).op("@>")(keyed),
                           self._exact(source, shape, t))
                    .order_by(t.c.name_len, t.c[source.index_id])
                    .lateral("h"))
            # The rows come out in the loop's order, (name_len, id): no ORDER BY, which would make
            # PostgreSQL read every length before the first row.
            return select(*hits.c).select_from(lengths.join(hits, true())).limit(bindparam("lim", type_=Integer))
        return self._statement(("pg-tokens", source.key, shape), build)

    def size(self, conn: Connection, source: Source) -> int:
        """About the rows in the index table of ``source``: its highest id (one index look-up,
        once per process and rebuild; deleted ids make it a little high, which does not matter)."""
        if source.key not in self._sizes:
            self._sizes[source.key] = int(conn.execute(select(func.max(source.id_col))).scalar() or 0)
        return self._sizes[source.key]

    def _find(self, conn: Connection, source: Source, criteria: SearchCriteria, limit: int) -> list:
        branches = self._branches(source, criteria)
        if not branches:
            return []
        shape = tuple(b.shape for b in branches)
        size = max(self.size(conn, source), 1)
        if size <= self.small or not all(b.terms or b.number is not None for b in branches):
            # A small table (the employees) is walked whole in a few milliseconds: no probe.
            self.last_plan[source.key] = "walk"
            return self._walk_statement(source, shape).run(conn, self._params(branches, limit)).fetchall()
        if self.dialect != "postgresql":
            self.last_plan[source.key] = "index"
            return self._sqlite_ordered(conn, source, branches, limit)
        tokens = query_tokens(criteria.words) if len(branches) == 1 and branches[0].column == "names" else []
        if tokens and self._pg_tokens:
            self.last_plan[source.key] = "tokens"
            params = self._params(branches, limit)
            params["toks"] = tokens
            return self._pg_tokens_statement(source, shape).run(conn, params).fetchall()
        # PostgreSQL's GIN indexes give hits in no order and re-check each one in the table: reading h
        # hits costs ≈ 3.5 µs each. Walking in (name_len, id) order until ``limit`` hits costs ≈ 0.3 µs
        # a step, and takes about limit × size / h steps times ≈ 10, since hits gather in long names
        # (a word of six letters is rarely in a name of eight). So the index wins while h stays under
        # ≈ √(limit × size / 1.2), judged on the planner's estimate of h (GIN statistics; nothing runs)
        # since counting would mean reading the hits. (Measured at scale 1000: 290 000 persons.)
        threshold = max(100, int(math.sqrt(limit * size / 1.2)))
        params = self._pg_params(branches, self._params(branches, limit))
        plan = self._pg_estimate_statement(source, shape).run(conn, params).scalar()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        if float(plan[0]["Plan"]["Plan Rows"]) < threshold:
            self.last_plan[source.key] = "index"
            return self._pg_index_statement(source, shape).run(conn, params).fetchall()
        self.last_plan[source.key] = "walk"
        return self._walk_statement(source, shape).run(conn, params).fetchall()

    def find_candidates(self, criteria: SearchCriteria, sources: frozenset[str]) -> Candidates:
        """Plain SQL's candidates for ``criteria`` from the index (the request's store connection)."""
        limit = criteria.limit + 1
        out: dict[str, list] = {}
        with read_connection(self.store) as conn:
            for key in (SOURCE_COMPANY, SOURCE_PERSON, SOURCE_EMPLOYEE):
                if key in sources:
                    source = SOURCES[key]
                    out[key] = source.rows(self._find(conn, source, criteria, limit))
        return Candidates(out.get(SOURCE_COMPANY, []), out.get(SOURCE_PERSON, []), out.get(SOURCE_EMPLOYEE, []))
