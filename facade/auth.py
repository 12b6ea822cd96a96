"""Sign-in with classic credentials and the rights check of every use case.

Source: ``tblUser`` (``LoginName``, ``PwdSalt``, ``PwdHash`` = lower-case hex SHA-1 of
``PwdSalt + password`` in UTF-8, ``Active``) and ``tblUserRight``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from .errors import ClassicUnavailable, CrmLiteError, Forbidden, NotAuthenticated
from .i18n import N_
from .model import CRM_READ, User
from .ports import Clock, SessionStore, UserRepository

# One message for unknown login, wrong password and inactive user: it must not tell
# an attacker which logins exist.
BAD_CREDENTIALS = N_("Wrong user name or password.")
NO_CRM_RIGHT = N_("Your classic account has no right to use the CRM (CRM_READ). Ask your administrator.")


def password_matches(salt: str | None, stored_hash: str | None, password: str) -> bool:
    """True when SHA-1(salt + password) equals the stored lower-case hex hash (constant time)."""
    if not stored_hash:
        return False
    digest = hashlib.sha1(((salt or "") + password).encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, stored_hash.strip().lower())


def sign_in(login: str, password: str, *, users: UserRepository) -> User:
    """Check classic credentials and return the user with rights.

    Raises NotAuthenticated (unknown login, wrong password or ``Active = 0``: one message)
    and Forbidden when the user lacks ``CRM_READ``/``ADMIN``.
    """
    login = (login or "").strip()
    if not login or not password:
        raise NotAuthenticated(BAD_CREDENTIALS)
    cred = users.find_credentials(login)
    if cred is None:
        # Spend the same time as a real check so response time does not reveal logins.
        password_matches("x" * 16, "0" * 40, password)
        raise NotAuthenticated(BAD_CREDENTIALS)
    if not password_matches(cred.salt, cred.pwd_hash, password) or not cred.active:
        raise NotAuthenticated(BAD_CREDENTIALS)
    user = users.get_user(cred.user_id)
    if user is None or not user.active:
        raise NotAuthenticated(BAD_CREDENTIALS)
    if not user.may_use_crm:
        raise Forbidden(NO_CRM_RIGHT)
    return user


def require(user: User, right: str = CRM_READ) -> None:
    """Raise Forbidden unless ``user`` holds ``right`` (or ADMIN)."""
    if not user.can(right):
        raise Forbidden(NEEDS_RIGHT, right=right)


# --- sessions -------------------------------------------------------------------------------

NEEDS_RIGHT = N_("This needs the classic right %(right)s.")
SESSION_EXPIRED = N_("Your session has expired. Please sign in again.")
_TOUCH_EVERY = timedelta(seconds=30)  # don't write the store on every request


def session_hash(sid: str) -> str:
    """The key a session id is stored under (SHA-256 hex): the store never holds the id itself."""
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


def start_session(user: User, *, sessions: SessionStore, clock: Clock) -> str:
    """Open a CRM Lite session for ``user``; returns the random session id for the cookie."""
    sid = secrets.token_urlsafe(32)
    sessions.create(session_hash(sid), user.user_id, clock.now_utc())
    return sid


def resume_session(
    sid: str, *, sessions: SessionStore, users: UserRepository, clock: Clock, idle_minutes: int
) -> User:
    """The signed-in user of session ``sid``, with rights re-read from classic.

    Raises NotAuthenticated when the session is unknown, idle longer than ``idle_minutes``,
    or its user became inactive or lost ``CRM_READ``.
    """
    key = session_hash(sid)
    record = sessions.get(key)
    now = clock.now_utc()
    if record is None:
        raise NotAuthenticated(SESSION_EXPIRED)
    if now - record.last_seen_utc > timedelta(minutes=idle_minutes):
        sessions.delete(key)
        raise NotAuthenticated(SESSION_EXPIRED)
    user = users.get_user(record.user_id)
    if user is None or not user.active or not user.may_use_crm:
        sessions.delete(key)
        raise NotAuthenticated(SESSION_EXPIRED)
    if now - record.last_seen_utc >= _TOUCH_EVERY:
        sessions.touch(key, now)
    return user


def end_session(sid: str, *, sessions: SessionStore, classic=None) -> None:
    """Sign out: ``Logout`` in classic (when a classic session is kept), then forget the session."""
    key = session_hash(sid)
    if classic is not None:
        classic.close(key)
    sessions.delete(key)


CLASSIC_DOWN_AT_SIGN_IN = N_(
    "The classic services could not be reached: you can read everything, but saving changes "
    "will ask for your password again."
)


def open_session(
    login: str, password: str, *, users: UserRepository, sessions: SessionStore, clock: Clock, classic=None
) -> tuple[str, User, list[str]]:
    """Sign in with classic credentials and open a CRM Lite session; returns (session id, user, notices).

    With the classic services configured (``classic``: a ClassicSessionManager) it also calls
    ``Authenticate.Login`` and keeps the classic session id server-side; when classic is down the
    sign-in still succeeds for reading and a notice says so. Raises NotAuthenticated, Forbidden.
    """
    user = sign_in(login, password, users=users)
    sid = start_session(user, sessions=sessions, clock=clock)
    notices: list[str] = []
    if classic is not None:
        try:
            classic.open(session_hash(sid), login.strip(), password)
        except (ClassicUnavailable, NotAuthenticated):
            notices.append(CLASSIC_DOWN_AT_SIGN_IN)
    return sid, user, notices


def keep_classic_alive(sid: str, *, classic=None) -> None:
    """While the user is active, refresh the classic session (``HasSession``, at most every few
    minutes); classic being down never breaks a page."""
    if classic is None:
        return
    try:
        classic.keep_alive(session_hash(sid))
    except CrmLiteError:
        pass
