"""Engines for the classic database and CRM Lite's store; driver errors → facade errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
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


@contextlib.contextmanager
def classic_connection(engine: Engine) -> Iterator[Connection]:
    """A connection to the classic database; connection failures raise ClassicUnavailable."""
    try:
        with engine.connect() as conn:
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
