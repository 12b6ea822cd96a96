"""The start page: today's meetings and tasks, newest companies, top sellers, pipeline, sales.

Sources (through the ``DashboardQueries`` port): ``tblActivity`` + ``tblActivityUser``
(meetings and tasks), ``tblCompany`` + ``tblAddress`` (newest companies), ``tblOrder`` +
``tblUser`` (sales), ``tblSalesOpp`` + ``tblCompany`` (pipeline). Every period is a calendar
period in the installation's time zone (``tblSetting`` ``TimeZone``), computed from the Clock
port with ``facade.periods``: never the server's zone.

Money rules (kit "Sales figures"; all amounts in the base currency, SEK in the sample):

* A sale is worth ``round(NetAmount × ExchangeRate, 2)`` (half-up) per invoice or credit note;
  totals are sums of those rounded amounts.
* A pipeline opportunity is worth ``round(Amount × rate, 2)`` with the ``tblSetting`` rate of its
  currency; its weighted value is ``round(Amount × rate × Probability / 100, 2)`` (NULL
  probability counts as 0). Each opportunity is rounded first, then the rounded values are
  summed. An opportunity in a currency without a rate is counted in ``unconverted`` and left
  out of the sums (it cannot be valued; the page says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from . import periods
from .auth import require
from .model import CRM_READ, ORDER_READ, Installation, User, round_money
from .ports import Clock

#: How many rows the boxes of lists show.
NEWEST_COMPANIES = 10
TOP_SELLERS = 10
TASKS = 10

ZERO = Decimal("0.00")


# --- what the port returns ------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    """An appointment (``tblActivity`` ``ActType = 2``) of the user on a day.

    ``start_at``/``end_at`` are naive local datetimes. ``company_id``/``company_name`` are None
    when the appointment has no company. ``owner_name`` is the organiser (``OwnerUserID``);
    ``is_owner`` is False when the user is a participant (``tblActivityUser``).
    ``starts_before_day``/``ends_after_day`` are set by ``get_dashboard`` for the day shown.
    """

    activity_id: int
    subject: str
    start_at: datetime
    end_at: datetime
    location: str | None
    company_id: int | None
    company_name: str | None
    owner_user_id: int | None
    owner_name: str | None
    is_owner: bool
    starts_before_day: bool = False
    ends_after_day: bool = False
    in_progress: bool = False


@dataclass(frozen=True)
class Task:
    """An open task (``tblActivity`` ``ActType = 1``, ``Done = 0``) due by the end of today.

    ``overdue`` (set by ``get_dashboard``) is True when ``due_at`` is before today 00:00.
    ``priority``: 1 high, 2 normal, 3 low, None unknown.
    """

    activity_id: int
    subject: str
    due_at: datetime
    priority: int | None
    company_id: int | None
    company_name: str | None
    overdue: bool = False


@dataclass(frozen=True)
class NewCompany:
    """A recently registered company (``tblCompany``): city of the postal address, else visiting."""

    company_id: int
    name: str
    city: str | None
    customer_no: int | None
    created_at: datetime


@dataclass(frozen=True)
class SellerSales:
    """Sales credited to one seller (``SalesUserID``; None = no seller), in the base currency.

    ``total`` covers the whole queried period, ``month_total`` its sub-period (the month).
    Both are sums of per-invoice amounts rounded half-up to 2 decimals; credit notes negative.
    """

    user_id: int | None
    full_name: str | None
    active: bool
    total: Decimal
    month_total: Decimal
    count: int


@dataclass(frozen=True)
class OpenOpportunity:
    """An open sales opportunity (``tblSalesOpp`` ``Stage`` 1–4) in its own currency."""

    opp_id: int
    amount: Decimal
    currency: str | None
    probability: int | None
    close_date: date
    stage: int


class DashboardQueries(Protocol):
    """Reads of the classic database for the start page. Every method raises ClassicUnavailable."""

    def meetings(self, user_id: int, start: datetime, end: datetime) -> list[Meeting]:
        """Appointments (``ActType = 2``, ``Deleted = 0``) overlapping [start, end)
        (``StartAt < end AND EndAt > start``) where ``user_id`` is the owner or a participant;
        appointments of soft-deleted companies are left out. Ordered by ``StartAt``, ``ActivityID``."""

    def open_tasks(self, user_id: int, due_before: datetime, limit: int) -> list[Task]:
        """The ``limit`` latest open tasks (``ActType = 1``, ``Done = 0``, ``Deleted = 0``) of the
        owner ``user_id`` with ``DueAt < due_before``, soft-deleted companies left out;
        newest first (``DueAt`` desc, ``ActivityID`` desc)."""

    def newest_companies(self, limit: int) -> list[NewCompany]:
        """The ``limit`` most recently registered companies (``Deleted = 0``), newest first
        (``CreatedAt`` desc, ``CompanyID`` desc)."""

    def sales_by_seller(self, first: date, last: date, month_first: date, month_last: date) -> list[SellerSales]:
        """Sales (``DocType`` I/C, ``Status`` 2/3, ``Deleted = 0``) with ``InvoiceDate`` in
        [first, last] grouped by ``SalesUserID`` (one row with ``user_id`` None for sales
        without seller), with the part in [month_first, month_last] as ``month_total``.
        Amounts in the base currency: Σ round(NetAmount × ExchangeRate, 2). Any order."""

    def open_opportunities(self, owner_user_id: int, first: date, last: date) -> list[OpenOpportunity]:
        """Open opportunities (``Stage`` 1–4, ``Deleted = 0``, company ``Deleted = 0``) of
        ``owner_user_id`` with ``CloseDate`` in [first, last]."""


class SharedSales(Protocol):
    """Sales figures kept apart from the per-user reads (``facade.figures_cache.SharedFigures``)."""

    def sales_by_seller(self, first: date, last: date, month_first: date, month_last: date) -> list[SellerSales]:
        """As ``DashboardQueries.sales_by_seller`` — the same for everyone, so from a cache."""

    def sales_of_seller(self, user_id: int, first: date, last: date) -> Decimal:
        """Σ round(NetAmount × ExchangeRate, 2) of the sales credited to ``user_id`` with
        ``InvoiceDate`` in [first, last], base currency — live (a per-user figure)."""

    def seller_summary(self, first: date, last: date, month_first: date, month_last: date,
                       limit: int) -> tuple[tuple[SellerSales, ...], Decimal]:
        """``seller_summary`` of ``sales_by_seller``'s rows, worked out once per cached entry."""


# --- what the page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineSummary:
    """The user's pipeline for a period: ``count`` opportunities worth ``total`` and ``weighted``
    (base currency, each opportunity rounded half-up to 2 decimals, then summed).
    ``unconverted`` of the ``count`` are in a currency without a rate and are not in the sums."""

    first: date
    last: date
    count: int
    total: Decimal
    weighted: Decimal
    unconverted: int = 0


@dataclass(frozen=True)
class SalesSummary:
    """Sales in the base currency for one period: the user's own and the whole company's."""

    first: date
    last: date
    mine: Decimal
    company: Decimal


@dataclass(frozen=True)
class Dashboard:
    """Everything the start page shows, for ``user`` at the installation's local time ``now``.

    ``top_sellers`` and ``sales_month`` are None when the user lacks ``ORDER_READ`` (sales are
    invoice figures: the orders right guards them). ``tasks_more`` is True when more open tasks
    exist than listed (the older overdue ones are left out); ``tasks`` are in due order.
    """

    user_id: int
    now: datetime
    today: date
    base_currency: str
    meetings: tuple[Meeting, ...]
    tasks: tuple[Task, ...]
    tasks_more: bool
    newest_companies: tuple[NewCompany, ...]
    year_first: date
    year_last: date
    top_sellers: tuple[SellerSales, ...] | None
    sales_month: SalesSummary | None
    pipeline_month: PipelineSummary
    pipeline_quarter: PipelineSummary

    @property
    def top_seller_max(self) -> Decimal:
        """The largest positive total of ``top_sellers`` (scale of the bar chart); 0 when none."""
        return max((s.total for s in self.top_sellers or () if s.total > 0), default=ZERO)


# --- the use case ---------------------------------------------------------------------------


def get_dashboard(user: User, *, queries: DashboardQueries, installation: Installation, clock: Clock,
                  figures: SharedSales | None = None) -> Dashboard:
    """The start page of ``user`` (needs ``CRM_READ``; sales figures need ``ORDER_READ`` too).

    "Today", "this month", "this quarter" and "this year" are calendar periods at the
    installation's local time (``installation.time_zone``) now (``clock``). ``figures``: where the
    figures that are the same for everyone (top sellers, the company's sales this month) come
    from — the cache kept by the change feed; None = computed now from ``queries``. The user's own
    figures are always live. Raises Forbidden and ClassicUnavailable.
    """
    require(user, CRM_READ)
    now = periods.local_now(clock, installation.time_zone)
    today = now.date()
    day = periods.day(today)
    this_month = periods.month(today)
    this_quarter = periods.quarter(today)
    this_year = periods.year(today)

    meetings = tuple(
        replace(
            m,
            starts_before_day=m.start_at < day.start,
            ends_after_day=m.end_at > day.end,
            in_progress=m.start_at <= now < m.end_at,
        )
        for m in queries.meetings(user.user_id, day.start, day.end)
    )
    # The latest ones: today's tasks must not be pushed off the list by years-old overdue ones.
    task_rows = queries.open_tasks(user.user_id, day.end, TASKS + 1)
    tasks = tuple(replace(t, overdue=t.due_at < day.start) for t in reversed(task_rows[:TASKS]))
    companies = tuple(queries.newest_companies(NEWEST_COMPANIES))

    top_sellers: tuple[SellerSales, ...] | None = None
    sales_month: SalesSummary | None = None
    if user.can(ORDER_READ):
        if figures is None:
            rows = queries.sales_by_seller(this_year.first, this_year.last, this_month.first, this_month.last)
            top_sellers, company_month = seller_summary(rows, TOP_SELLERS)
            mine = sum((r.month_total for r in rows if r.user_id == user.user_id), ZERO)
        else:
            top_sellers, company_month = figures.seller_summary(
                this_year.first, this_year.last, this_month.first, this_month.last, TOP_SELLERS)
            mine = figures.sales_of_seller(user.user_id, this_month.first, this_month.last)
        sales_month = SalesSummary(
            first=this_month.first,
            last=this_month.last,
            mine=round_money(mine),
            company=round_money(company_month),
        )

    opps = queries.open_opportunities(user.user_id, this_quarter.first, this_quarter.last)
    return Dashboard(
        user_id=user.user_id,
        now=now,
        today=today,
        base_currency=installation.base_currency,
        meetings=meetings,
        tasks=tasks,
        tasks_more=len(task_rows) > TASKS,
        newest_companies=companies,
        year_first=this_year.first,
        year_last=this_year.last,
        top_sellers=top_sellers,
        sales_month=sales_month,
        pipeline_month=pipeline_summary(opps, this_month, installation),
        pipeline_quarter=pipeline_summary(opps, this_quarter, installation),
    )


def seller_summary(rows: Sequence[SellerSales], limit: int) -> tuple[tuple[SellerSales, ...], Decimal]:
    """The top ``limit`` sellers (``_top_sellers``) and the company's sales of the month (Σ of every
    row's ``month_total``, base currency, unrounded)."""
    return _top_sellers(rows, limit), sum((r.month_total for r in rows), ZERO)


def _top_sellers(rows: Sequence[SellerSales], limit: int) -> tuple[SellerSales, ...]:
    """The ``limit`` sellers with the largest totals (sales without seller are nobody's);
    ties in name order, then ``UserID``, so the list is stable."""
    sellers = [r for r in rows if r.user_id is not None]
    sellers.sort(key=lambda r: (-r.total, (r.full_name or "").casefold(), r.user_id))
    return tuple(sellers[:limit])


def pipeline_summary(opps: list[OpenOpportunity], period: periods.Period, installation: Installation) -> PipelineSummary:
    """Count, value and weighted value (base currency) of the opportunities closing in ``period``.

    Each opportunity: value = round(Amount × rate, 2), weighted = round(Amount × rate ×
    Probability / 100, 2) (NULL probability = 0); the sums add the rounded values.
    """
    count = unconverted = 0
    total = weighted = ZERO
    for o in opps:
        if not period.first <= o.close_date <= period.last:
            continue
        count += 1
        rate = installation.rate(o.currency)
        if rate is None:
            unconverted += 1
            continue
        exact = Decimal(o.amount) * rate
        total += round_money(exact)
        weighted += round_money(exact * Decimal(o.probability or 0) / 100)
    return PipelineSummary(period.first, period.last, count, total, weighted, unconverted)
