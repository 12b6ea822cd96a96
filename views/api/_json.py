"""Turning facade dataclasses into JSON: Decimals as strings, dates ISO, Money as {amount, currency}."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


def to_json(value):
    """A JSON-ready copy of ``value`` (dataclasses, lists, dicts, Decimal, date, datetime, Enum)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        cents = value.quantize(Decimal("0.01"))
        return str(cents) if cents == value else str(value.normalize())
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
