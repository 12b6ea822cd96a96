"""Core ports: the clock, the installation settings, users and CRM Lite's session store.

Area ports (dashboard, search, cards, …) live in their area's module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .model import Installation, User


class Clock(Protocol):
    def now_utc(self) -> datetime:
        """The current moment as an aware UTC datetime."""


class InstallationRepository(Protocol):
    def get(self) -> Installation:
        """The installation's settings (``tblSetting``). Raises ClassicUnavailable."""


@dataclass(frozen=True)
class Credentials:
    """What sign-in needs of a ``tblUser`` row."""

    user_id: int
    salt: str
    pwd_hash: str
    active: bool


class UserRepository(Protocol):
    def find_credentials(self, login: str) -> Credentials | None:
        """The row of ``tblUser`` whose ``LoginName`` equals ``login`` ignoring case, or None."""

    def get_user(self, user_id: int) -> User | None:
        """The user with rights (``tblUser`` + ``tblUserRight``), or None when unknown."""


@dataclass(frozen=True)
class SessionRecord:
    """A CRM Lite session kept server-side in CRM Lite's own store."""

    user_id: int
    created_utc: datetime
    last_seen_utc: datetime
    classic_session_id: str | None = None


class SessionStore(Protocol):
    def create(self, sid_hash: str, user_id: int, now_utc: datetime) -> None:
        """Store a new session under the hash of its id."""

    def get(self, sid_hash: str) -> SessionRecord | None:
        """The session, or None."""

    def touch(self, sid_hash: str, now_utc: datetime) -> None:
        """Record activity now."""

    def set_classic_session(self, sid_hash: str, classic_session_id: str | None) -> None:
        """Keep the classic SOAP session id of this session (never sent to the browser)."""

    def delete(self, sid_hash: str) -> None:
        """End the session."""

    def purge_idle(self, before_utc: datetime) -> int:
        """Delete sessions last seen before ``before_utc``; returns how many."""
