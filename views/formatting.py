"""Jinja filters: money, numbers, dates in the user's locale (Babel).

Classic datetimes are local wall-clock times already: they are formatted as they are,
never shifted by a time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import dates as bdates
from babel import numbers as bnumbers
from flask_babel import get_locale

from facade.text import format_phone


def _locale() -> str:
    loc = get_locale()
    return str(loc) if loc else "sv"


def money(value, currency: str | None = None) -> str:
    """``1 234 567,50 kr`` (sv) / ``SEK 1,234,567.50`` (en); blank for None."""
    if value is None:
        return ""
    loc = _locale()
    cur = (currency or "SEK").strip().upper() or "SEK"
    return bnumbers.format_currency(Decimal(value), cur, locale=loc, currency_digits=False,
                                    format=None, format_type="standard") if cur else ""


def number(value, digits: int | None = None) -> str:
    """A number with the locale's separators; ``digits`` fixes the decimals."""
    if value is None:
        return ""
    if digits is None:
        return bnumbers.format_decimal(value, locale=_locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return bnumbers.format_decimal(value, format=pattern, locale=_locale())


def percent(value) -> str:
    """``50 %`` for 50 (a percent number, not a fraction)."""
    if value is None:
        return ""
    return bnumbers.format_percent(Decimal(value) / 100, locale=_locale())


def local_date(value) -> str:
    """A date (or datetime's date) in the locale's short form: ``2025-06-16`` (sv)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return bdates.format_date(value, format="short" if _locale() != "sv" else "yyyy-MM-dd", locale=_locale())


def local_datetime(value) -> str:
    """``2025-06-16 14:30`` (sv) for a naive local datetime."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return local_date(value)
    return f"{local_date(value)} {local_time(value)}"


def local_time(value) -> str:
    """``14:30`` (sv) / ``2:30 PM`` (en)."""
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return ""
    return bdates.format_time(value, format="short", locale=_locale())


def filesize(value) -> str:
    """Bytes as ``12,3 kB`` / ``4,5 MB``."""
    if value is None:
        return ""
    n = int(value)
    if n < 1024:
        return f"{number(n)} B"
    if n < 1024 * 1024:
        return f"{number(n / 1024, 1)} kB"
    return f"{number(n / (1024 * 1024), 1)} MB"


def duration(seconds) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from an hour)."""
    if seconds is None:
        return ""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


FILTERS = {
    "money": money,
    "number": number,
    "percent": percent,
    "local_date": local_date,
    "local_datetime": local_datetime,
    "local_time": local_time,
    "filesize": filesize,
    "duration": duration,
    "phone": format_phone,
}
