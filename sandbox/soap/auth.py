"""Authenticate.asmx: Login, HasSession, Logout, GetCurrentUser.

Tables: ``tblUser`` (``LoginName`` case-insensitive, ``PwdSalt``/``PwdHash`` = SHA-1 hex of salt +
password, ``Active``), ``tblUserRight``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import sqlalchemy as sa

from adapters.sql.tables import tblUser

from .base import Call, Service
from .db import user_rights, user_row
from .soap import SoapFault

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COOKIE = "ASP.NET_SessionId"


class AuthenticateService(Service):
    """The classic login service."""

    def Login(self, call: Call) -> str:
        """The new session id (and its cookie), or ``""`` for an unknown login, a wrong password or an
        inactive user. Fault Validation when ``ApplicationId`` is not a GUID."""
        cred = call.params.get("credential") or {}
        if not _GUID.match(str(cred.get("ApplicationId") or "")):
            raise SoapFault("Validation", "ApplicationId: must be a GUID")
        login = (cred.get("Username") or "").strip()
        password = cred.get("Password") or ""
        if not login:
            return ""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tblUser.c.UserID, tblUser.c.LoginName, tblUser.c.PwdSalt, tblUser.c.PwdHash,
                          tblUser.c.Active)
                .where(sa.func.lower(tblUser.c.LoginName) == login.lower())
            ).all()
        # SQL Server compares case-insensitively; lower() in SQLite folds ASCII only, so re-check here.
        rows = [r for r in rows if (r.LoginName or "").strip().casefold() == login.casefold()]
        if len(rows) != 1:
            return ""
        row = rows[0]
        digest = hashlib.sha1(((row.PwdSalt or "") + password).encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest, (row.PwdHash or "").strip().lower()) or int(row.Active) != 1:
            return ""
        session_id = self.sandbox.sessions.create(int(row.UserID))
        call.set_cookies.append(f"{COOKIE}={session_id}; path=/; HttpOnly")
        return session_id

    def HasSession(self, call: Call) -> bool:
        """True when the cookie names a live session (refreshing it); never a fault."""
        return self.sandbox.sessions.touch(call.session_id) is not None

    def Logout(self, call: Call) -> None:
        """End the session; fault NotAuthenticated when there is none."""
        self.session_user(call)
        self.sandbox.sessions.end(call.session_id or "")
        call.set_cookies.append(f"{COOKIE}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/; HttpOnly")

    def GetCurrentUser(self, call: Call) -> dict[str, Any]:
        """The session's user with the codes of ``tblUserRight``."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            row = user_row(conn, user_id)
            if row is None:
                raise SoapFault("NotAuthenticated", "the session's user no longer exists")
            rights = sorted(user_rights(conn, user_id))
        return {
            "UserId": int(row.UserID),
            "LoginName": row.LoginName,
            "FullName": row.FullName,
            "Email": row.Email,
            "Rights": {"string": rights},
        }
