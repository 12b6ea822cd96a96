"""Classic sessions of the sandbox: in memory, 20 minutes idle expiry, the clock injectable.

Like ASP.NET session state: the id travels in the cookie ``ASP.NET_SessionId``; any call with a
live session refreshes it; ``Logout`` ends it; a restart of the server forgets every session.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: A clock: returns the current moment as an aware UTC datetime.
Clock = Callable[[], datetime]

IDLE_TIMEOUT = timedelta(minutes=20)
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz012345"  # ASP.NET's session-id alphabet (24 characters)


def system_clock() -> datetime:
    """The real time (aware UTC)."""
    return datetime.now(UTC)


class ManualClock:
    """A clock tests move by hand: ``clock.advance(minutes=21)`` expires every session."""

    def __init__(self, start_utc: datetime) -> None:
        if start_utc.tzinfo is None:
            raise ValueError("start_utc must be aware")
        self._now = start_utc
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        with self._lock:
            self._now += timedelta(**delta)


@dataclass
class Session:
    user_id: int
    last_seen: datetime


class SessionStore:
    """Live sessions by id; thread-safe."""

    def __init__(self, clock: Clock, idle_timeout: timedelta = IDLE_TIMEOUT) -> None:
        self.clock = clock
        self.idle_timeout = idle_timeout
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user_id: int) -> str:
        """A new session for ``user_id``; returns its id (24 characters, like ASP.NET)."""
        session_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))
        with self._lock:
            self._sessions[session_id] = Session(user_id, self.clock())
        return session_id

    def touch(self, session_id: str | None) -> int | None:
        """The user id of a live session, refreshing it; None (and forgotten) when expired or unknown."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self.idle_timeout:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session.user_id

    def end(self, session_id: str) -> None:
        """Forget a session (``Logout``)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def clear(self) -> None:
        """Forget every session (as a restart of the classic server does)."""
        with self._lock:
            self._sessions.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
