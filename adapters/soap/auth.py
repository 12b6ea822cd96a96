"""The classic login service through zeep.

SOAP operations: ``Authenticate.Login``, ``HasSession``, ``Logout``, ``GetCurrentUser``.
"""

from __future__ import annotations

import uuid

from facade.auth import BAD_CREDENTIALS
from facade.errors import NotAuthenticated
from facade.model import User

from .client import SoapEndpoint
from .convert import items_of, read_int, read_text

#: ``Credential.ApplicationId``: the classic service accepts any well-formed GUID; CRM Lite's own.
CRM_LITE_APPLICATION_ID = str(uuid.UUID("6f1c1a52-0c4e-4d59-9a57-2b7c6a3e1c11"))


class ClassicAuthGateway:
    """``ClassicAuth`` over ``Authenticate.asmx``."""

    def __init__(self, endpoint: SoapEndpoint, application_id: str = CRM_LITE_APPLICATION_ID) -> None:
        self.endpoint = endpoint
        self._application_id = application_id

    def login(self, login: str, password: str) -> str:
        """Log in as the user; returns the classic session id.

        Raises NotAuthenticated (unknown login, wrong password, inactive user: one message) or
        ClassicUnavailable.
        """
        result = self.endpoint.call(
            "Login",
            credential={"ApplicationId": self._application_id, "Username": login, "Password": password},
        )
        session_id = read_text(result)
        if not session_id:
            raise NotAuthenticated(BAD_CREDENTIALS)
        return session_id

    def has_session(self, session_id: str) -> bool:
        """True when classic still knows the session (the call refreshes it). Never NotAuthenticated."""
        try:
            return bool(self.endpoint.call("HasSession", session_id=session_id))
        except NotAuthenticated:
            return False  # a malformed id: certainly no live session

    def logout(self, session_id: str) -> None:
        """End the classic session. Raises NotAuthenticated when it was already gone."""
        self.endpoint.call("Logout", session_id=session_id)

    def current_user(self, session_id: str) -> User:
        """The session's user and the codes of ``tblUserRight`` (``GetCurrentUser``)."""
        u = self.endpoint.call("GetCurrentUser", session_id=session_id)
        if u is None:
            raise NotAuthenticated(BAD_CREDENTIALS)
        rights = frozenset(r.strip() for r in items_of(u.Rights, "string") if r and r.strip())
        return User(
            user_id=read_int(u.UserId) or 0,
            login=read_text(u.LoginName) or "",
            full_name=read_text(u.FullName) or "",
            email=read_text(u.Email),
            rights=rights,
        )
