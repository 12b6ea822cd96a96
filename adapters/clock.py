"""Clocks: the system clock and a fixed one for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """``Clock`` reading the system time (UTC)."""

    def now_utc(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """``Clock`` frozen at one moment (aware UTC); ``advance`` moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)

    def now_utc(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.moment = self.moment + timedelta(**delta)
