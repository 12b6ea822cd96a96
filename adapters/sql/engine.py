"""Engines for the classic database and CRM Lite's store; driver errors → facade errors."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from facade.errors import ClassicUnavailable
from facade.i18n import N_


def make_engine(url: str, *, pool_size: int = 5, store: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a busy timeout.

    ``store=True`` marks CRM Lite's own store: a SQLite store runs in WAL mode (fast commits,
    readers never blocked). The classic database's file mode is never touched.
    """
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 15, "check_same_thread": False}
    else:
        # LIFO: the connection used last is used next, so a few connections stay warm (their
        # prepared statements and plans) and the rest may idle out.
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, pool_use_lifo=True)
    if url.startswith("postgresql+psycopg"):
        # psycopg prepares a statement on its 2nd run on a connection (default: 6th): PostgreSQL
        # then stops planning it anew each time, and planning a card's joins costs ten times
        # running them (2-3 ms against 0.2 ms at kit scale 1000).
        kwargs["connect_args"] = {"prepare_threshold": 1}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            if store:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

    return engine


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()``; on SQLite one writer of this process at a time. A SQLite database has
    one writer anyway: the worker's threads queue on a lock, woken the moment the write is done,
    instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    lock = _WRITE_LOCKS.setdefault(engine, threading.RLock())
    with lock, engine.begin() as conn:
        yield conn


_SCOPE: ContextVar[dict[Engine, Connection] | None] = ContextVar("crm_lite_sql_scope", default=None)


@contextlib.contextmanager
def request_scope() -> Iterator[None]:
    """Within (one web request): ``read_connection`` hands out one connection per engine instead
    of one per query, so a page pays one pool checkout (and its pre-ping) per database, not one per
    statement. The connections go back to their pools when the scope ends. Writes
    (``engine.begin()``) always take their own connection."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        held = _SCOPE.get() or {}
        _SCOPE.reset(token)
        for conn in held.values():
            with contextlib.suppress(Exception):
                conn.close()


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reading: the request's own (see ``request_scope``) or a fresh one.

    The read's transaction ends after every use, so each read sees what was committed before it
    (also on MariaDB, whose transactions read one snapshot) and holds no lock. It ends with COMMIT,
    which for a read is the same as ROLLBACK but keeps the connection's prepared statements:
    psycopg drops them all on every ROLLBACK (PostgreSQL would plan each statement anew).
    Only for reads: writes use ``engine.begin()``.
    """
    held = _SCOPE.get()
    if held is None:
        with engine.connect() as conn:
            yield conn
            if conn.in_transaction():
                conn.commit()
        return
    conn = held.get(engine)
    if conn is None or conn.closed or conn.invalidated:
        conn = held[engine] = engine.connect()
    ok = False
    try:
        yield conn
        ok = True
    except DBAPIError:
        held.pop(engine, None)
        with contextlib.suppress(Exception):
            conn.close()
        raise
    finally:
        if not conn.closed and conn.in_transaction():
            if ok:
                conn.commit()
            else:
                conn.rollback()


@contextlib.contextmanager
def classic_connection(engine: Engine) -> Iterator[Connection]:
    """A connection to the classic database for reading (``read_connection``); connection
    failures raise ClassicUnavailable."""
    try:
        with read_connection(engine) as conn:
            yield conn
    except OperationalError as exc:
        raise ClassicUnavailable(N_("The classic database cannot be reached right now.")) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ClassicUnavailable(N_("The connection to the classic database was lost.")) from exc
        raise


def like_escape(text: str, escape: str = "!") -> str:
    """Escape ``text`` for a LIKE pattern with ``ESCAPE '!'``: ``%``, ``_``, ``[`` and ``!`` are plain."""
    out = []
    for ch in text:
        if ch in ("%", "_", "[", "]", escape):
            out.append(escape)
        out.append(ch)
    return "".join(out)
