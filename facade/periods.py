"""Calendar periods in the installation's time zone (``tblSetting`` ``TimeZone``).

Classic datetimes are local wall-clock times without offset, so every period here is a pair
of naive local datetimes ``[start, end)`` or of dates ``[first, last]``, never the server's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .ports import Clock


def local_now(clock: Clock, time_zone: str) -> datetime:
    """The installation's local wall-clock time now, naive (as classic stores datetimes)."""
    return clock.now_utc().astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)


@dataclass(frozen=True)
class Period:
    """Dates ``first``..``last`` inclusive; ``start``/``end`` the naive local datetimes [start, end)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min)


def day(d: date) -> Period:
    """The calendar day ``d``."""
    return Period(d, d)


def month(d: date) -> Period:
    """The calendar month of ``d``."""
    first = d.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Period(first, nxt - timedelta(days=1))


def quarter(d: date) -> Period:
    """The calendar quarter of ``d`` (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec)."""
    q_first_month = 3 * ((d.month - 1) // 3) + 1
    first = date(d.year, q_first_month, 1)
    last_month_first = date(d.year, q_first_month + 2, 1)
    return Period(first, month(last_month_first).last)


def year(d: date) -> Period:
    """The calendar year of ``d``."""
    return Period(date(d.year, 1, 1), date(d.year, 12, 31))


def week(d: date) -> Period:
    """The week (Monday–Sunday) of ``d``."""
    monday = d - timedelta(days=d.weekday())
    return Period(monday, monday + timedelta(days=6))
