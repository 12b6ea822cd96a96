"""The one error tree of CRM Lite. Adapters translate driver errors and SOAP faults into these."""

from __future__ import annotations


class CrmLiteError(Exception):
    """Base of every error a use case may raise; ``message`` is safe to show a user."""

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAuthenticated(CrmLiteError):
    """Sign-in failed, or the session (CRM Lite's or classic's) is gone."""


class Forbidden(CrmLiteError):
    """The signed-in user lacks the classic right the action needs."""


class NotFound(CrmLiteError):
    """The record does not exist or is soft-deleted (``Deleted = 1``)."""


class InvalidInput(CrmLiteError):
    """Bad input; ``details['fields']`` maps field names to messages."""


class Conflict(CrmLiteError):
    """The record changed since it was read (``ChangeNo`` differs)."""


class ClassicRejected(CrmLiteError):
    """The classic system refused an operation (per-item ``APIException``)."""


class ClassicUnavailable(CrmLiteError):
    """The classic database or services cannot be reached or timed out."""
