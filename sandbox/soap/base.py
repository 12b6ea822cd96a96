"""What every sandbox service shares: the call, the session check, rights, per-item errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from .db import user_rights
from .soap import INT_UNSET, SoapFault

if TYPE_CHECKING:
    from .app import SoapSandbox

NOT_AUTHENTICATED = "session missing or expired"


@dataclass
class Call:
    """One SOAP request: its parameters and headers (see ``soap.parse_element``) and the cookie."""

    operation: str
    params: dict[str, Any]
    headers: dict[str, Any]
    session_id: str | None
    set_cookies: list[str] = field(default_factory=list)


class ItemError(Exception):
    """A per-item ``APIException``: the item fails, the transaction of that item is rolled back."""

    def __init__(self, kind: str, message: str, item_id: int | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.item_id = item_id

    def as_api_exception(self) -> dict[str, Any]:
        """The ``APIException`` element: Type, Message, an empty StackTrace, ItemId (MinValue when none)."""
        return api_exception(self.kind, self.message, self.item_id)


def api_exception(kind: str, message: str, item_id: int | None) -> dict[str, Any]:
    """An ``APIException`` value."""
    return {
        "Type": kind,
        "Message": message,
        "StackTrace": "",
        "ItemId": INT_UNSET if item_id is None else int(item_id),
    }


class Service:
    """Base of the classic services: every operation except Login/HasSession needs a session."""

    def __init__(self, sandbox: SoapSandbox) -> None:
        self.sandbox = sandbox
        self.engine = sandbox.engine
        self.clock = sandbox.clock

    def session_user(self, call: Call) -> int:
        """The user id of the call's live session (refreshing it); fault NotAuthenticated otherwise."""
        user_id = self.sandbox.sessions.touch(call.session_id)
        if user_id is None:
            raise SoapFault("NotAuthenticated", NOT_AUTHENTICATED)
        return user_id

    @staticmethod
    def require_right(conn: Connection, user_id: int, right: str) -> None:
        """Fault Forbidden unless the user holds ``right`` or ADMIN (nothing is done then)."""
        rights = user_rights(conn, user_id)
        if "ADMIN" not in rights and right not in rights:
            raise SoapFault("Forbidden", f"the user lacks the right {right}")
