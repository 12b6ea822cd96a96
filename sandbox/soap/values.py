"""Reading "not set" from requests and writing it into responses (kit README "Not set").

In a request a left-out element, ``xsi:nil`` or the .NET MinValue sentinel means "not set"
(``NOT_SET``); an empty string clears a text field (None = store NULL). In a response the
sandbox does what .NET's XmlSerializer does: value types (int, short, decimal, dateTime) are
always written, with the sentinel when the column is NULL; NULL strings are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .soap import INT_UNSET, SHORT_UNSET

DECIMAL_UNSET = Decimal(-79228162514264337593543950335)
DATETIME_UNSET = datetime(1, 1, 1)


class _NotSet:
    def __repr__(self) -> str:
        return "NOT_SET"

    def __bool__(self) -> bool:
        return False


NOT_SET: Any = _NotSet()


def is_set(value: Any) -> bool:
    """True unless ``value`` is ``NOT_SET``."""
    return value is not NOT_SET


def in_int(d: dict, key: str) -> Any:
    """An ``int`` element: its value, or NOT_SET (left out, nil, MinValue)."""
    v = d.get(key)
    return NOT_SET if v is None or v == INT_UNSET else int(v)


def in_short(d: dict, key: str) -> Any:
    """A ``short`` element: its value, or NOT_SET (left out, nil, -32768)."""
    v = d.get(key)
    return NOT_SET if v is None or v == SHORT_UNSET else int(v)


def in_decimal(d: dict, key: str) -> Any:
    """A ``decimal`` element: its value, or NOT_SET (left out, nil, decimal MinValue)."""
    v = d.get(key)
    return NOT_SET if v is None or v == DECIMAL_UNSET else Decimal(v)


def in_datetime(d: dict, key: str) -> Any:
    """A ``dateTime`` element as a naive local datetime, or NOT_SET (left out, nil, 0001-01-01)."""
    v = d.get(key)
    if v is None:
        return NOT_SET
    if isinstance(v, datetime):
        v = v.replace(tzinfo=None)
        return NOT_SET if v.year == 1 else v
    if isinstance(v, date):
        return NOT_SET if v.year == 1 else datetime(v.year, v.month, v.day)
    return NOT_SET


def in_bool(d: dict, key: str) -> Any:
    """A ``boolean`` element: its value, or NOT_SET when left out (booleans have no sentinel)."""
    v = d.get(key)
    return NOT_SET if v is None else bool(v)


def in_text(d: dict, key: str) -> Any:
    """A ``string`` element: NOT_SET when left out or nil; None for ``""`` (clear); else the text as sent."""
    v = d.get(key)
    if v is None:
        return NOT_SET
    return None if v == "" else str(v)


def out_int(v: Any) -> int:
    """An int column for a response: the int MinValue when NULL."""
    return INT_UNSET if v is None else int(v)


def out_short(v: Any) -> int:
    """A short column for a response: -32768 when NULL."""
    return SHORT_UNSET if v is None else int(v)


def out_decimal(v: Any) -> Decimal:
    """A decimal/money column for a response, in plain notation: the decimal MinValue when NULL."""
    if v is None:
        return DECIMAL_UNSET
    return Decimal(format(Decimal(str(v)) if isinstance(v, float) else Decimal(v), "f"))


def out_datetime(v: Any) -> datetime:
    """A datetime/date column for a response (a date as ``T00:00:00``): 0001-01-01 when NULL."""
    if v is None:
        return DATETIME_UNSET
    if isinstance(v, datetime):
        return v.replace(microsecond=0)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return datetime.fromisoformat(str(v))


def out_text(v: Any) -> str | None:
    """A text column for a response: left out (None) when NULL."""
    return None if v is None else str(v)
