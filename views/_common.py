"""What every view shares: the services, the signed-in user, the rights check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app, g

from facade.auth import NEEDS_RIGHT
from facade.errors import Forbidden
from facade.model import User

F = TypeVar("F", bound=Callable)


def services():
    """The wired ``config.wiring.Services`` of this app."""
    return current_app.extensions["crm_lite"]


def current_user() -> User:
    """The signed-in user (set by the authentication hook before every view)."""
    return g.user


def requires(*rights: str) -> Callable[[F], F]:
    """Decorate a view: every right in ``rights`` (or ADMIN) is needed, else 403."""

    def deco(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            for right in rights:
                if not user.can(right):
                    raise Forbidden(NEEDS_RIGHT, right=right)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
