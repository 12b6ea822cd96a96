"""Values across the SOAP line: .NET MinValue sentinels and empty strings read as None; facade
"not set" (None) written by leaving the element out; per-item ``APIException`` → facade errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from facade.errors import ClassicRejected, Conflict, CrmLiteError, InvalidInput, NotFound
from facade.i18n import N_
from facade.ports_classic import ClassicItemError

from .client import CLASSIC_INVALID, CLASSIC_NOT_FOUND, CLASSIC_REFUSED, parse_validation

INT_UNSET = -2147483648
SHORT_UNSET = -32768
DECIMAL_UNSET = Decimal(-79228162514264337593543950335)

RECORD_CHANGED = N_("Someone changed this record in the meantime. Reload it and make your change again.")


def read_int(value: Any) -> int | None:
    """An ``int`` element: None when left out or the int MinValue."""
    return None if value is None or value == INT_UNSET else int(value)


def read_short(value: Any) -> int | None:
    """A ``short`` element: None when left out or -32768."""
    return None if value is None or value == SHORT_UNSET else int(value)


def read_decimal(value: Any) -> Decimal | None:
    """A ``decimal`` element: None when left out or the decimal MinValue."""
    return None if value is None or Decimal(value) == DECIMAL_UNSET else Decimal(value)


def read_datetime(value: Any) -> datetime | None:
    """A ``dateTime`` element as naive local time: None when left out or 0001-01-01T00:00:00."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return None if value.year == 1 else value.replace(tzinfo=None)
    if isinstance(value, date):
        return None if value.year == 1 else datetime(value.year, value.month, value.day)
    return None


def read_date(value: Any) -> date | None:
    """A ``dateTime`` element that carries a date column (sent as ``T00:00:00``)."""
    moment = read_datetime(value)
    return None if moment is None else moment.date()


def read_text(value: Any) -> str | None:
    """A ``string`` element: None when left out or empty."""
    return None if value is None or value == "" else str(value)


def items_of(wrapper: Any, name: str) -> list[Any]:
    """The items of a nested .NET array wrapper (``x.InvoiceRows.InvoiceRow``); ``[]`` when absent."""
    if wrapper is None:
        return []
    if isinstance(wrapper, list):
        return wrapper
    return list(getattr(wrapper, name, None) or [])


def put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set ``out[key]`` unless ``value`` is None (None = not set: the element is left out)."""
    if value is not None:
        out[key] = value


def as_datetime(value: date | None) -> datetime | None:
    """A date for a ``dateTime`` element (``T00:00:00``)."""
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def item_error(api_exception: Any, names: Mapping[str, str]) -> ClassicItemError | None:
    """A zeep ``APIException`` as a ClassicItemError (``field`` = the first facade field named)."""
    if api_exception is None:
        return None
    kind = read_text(getattr(api_exception, "Type", None)) or "Unknown"
    message = read_text(getattr(api_exception, "Message", None)) or ""
    field = None
    if kind == "Validation":
        fields = parse_validation(message, names)
        field = next(iter(fields), None)
    return ClassicItemError(kind, message, read_int(getattr(api_exception, "ItemId", None)), field)


def error_for(item: ClassicItemError, names: Mapping[str, str], not_allowed: str = CLASSIC_REFUSED) -> CrmLiteError:
    """The facade error of one failed item: InvalidInput (fields), Conflict, NotFound or ClassicRejected."""
    details: dict[str, Any] = {"classic_type": item.kind, "classic_message": item.message, "item_id": item.item_id}
    if item.kind == "Validation":
        return InvalidInput(CLASSIC_INVALID, fields=parse_validation(item.message, names), **details)
    if item.kind == "Conflict":
        return Conflict(RECORD_CHANGED, **details)
    if item.kind == "NotFound":
        return NotFound(CLASSIC_NOT_FOUND, **details)
    if item.kind == "NotAllowed":
        return ClassicRejected(not_allowed, **details)
    return ClassicRejected(CLASSIC_REFUSED, **details)
