"""The one place where adapters are built and wired to the facade's ports."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

from facade.ports import Clock

from .settings import Settings


@dataclass
class Services:
    """Every port implementation the views hand to the facade. Tests build their own."""

    settings: Settings
    clock: Clock
    installation: Any
    users: Any
    sessions: Any
    dashboard: Any = None
    search: Any = None
    companies: Any = None
    persons: Any = None
    employees: Any = None
    recent: Any = None
    contacts: Any = None
    emails: Any = None
    documents: Any = None
    calls: Any = None
    orders: Any = None
    ledger: Any = None
    categories: Any = None  # adapters.sql.categories.SqlCategoryStore (tree, owners, direct category writes)
    classic_auth: Any = None  # SOAP gateways: None when CRM_LITE_CLASSIC_SOAP_URL is empty
    classic_companies: Any = None
    classic_invoices: Any = None
    register_lookup: Any = None
    classic_sessions: Any = None  # facade.ports_classic.ClassicSessionManager
    company_writes: Any = None  # facade.company_edit.CompanyWrites + company_merge.MergeQueries
    merge_records: Any = None  # facade.company_merge.MergeRecords (CRM Lite's store)
    feed: Any = None  # facade.changes.ChangeFeed (polling, or SQL Server Change Tracking)
    feed_cursors: Any = None  # facade.changes.FeedCursors (CRM Lite's store)
    search_index: Any = None  # facade.search_index.SearchIndex (CRM Lite's store)
    figures: Any = None  # facade.figures_cache.SharedFigures: shared dashboard figures, cached
    follower: Any = None  # adapters.sql.change_feed.FollowerThread (None in tests and commands)
    classic_engine: Any = None
    state_engine: Any = None
    request_scope: Any = None  # context manager factory: one connection per database per request
    extra: dict = field(default_factory=dict)

    def consumers(self) -> list:
        """What the change feed keeps current (``facade.changes.ChangeConsumer``)."""
        return [c for c in (self.search_index, self.figures) if c is not None]

    def close(self) -> None:
        """Stop the feed's poller and release pooled connections."""
        if self.follower is not None:
            self.follower.stop()
        for engine in (self.classic_engine, self.state_engine):
            if engine is not None:
                engine.dispose()


def _feed_services(settings: Settings, classic: Any, state: Any, clock: Clock, installation: Any,
                   dashboard: Any, follow: bool | None) -> dict[str, Any]:
    """The change feed, the search index behind ``search``, the cached figures and the poller."""
    from adapters.sql.change_feed import (
        FollowerThread,
        MssqlChangeTrackingFeed,
        PollingChangeFeed,
        SqlFeedCursors,
    )
    from adapters.sql.figures_cache import SqlFiguresStore, SqlOwnSales
    from adapters.sql.search import SqlSearchQueries
    from adapters.sql.search_index import SqlSearchIndex
    from facade.changes import DEFAULT_INTERVAL, follow_changes
    from facade.figures_cache import SharedFigures
    from facade.search_index import IndexedSearchQueries

    thread = settings.feed_thread
    feed = MssqlChangeTrackingFeed(classic) if settings.change_feed == "change-tracking" else PollingChangeFeed(classic)
    cursors = SqlFeedCursors(state)
    index = SqlSearchIndex(state, classic)
    figures = SharedFigures(SqlFiguresStore(state), dashboard, SqlOwnSales(classic), clock,
                            lambda: installation.get().time_zone)
    parts: dict[str, Any] = {
        "feed": feed, "feed_cursors": cursors, "search_index": index, "figures": figures,
        "search": IndexedSearchQueries(index, SqlSearchQueries(classic), cursors, clock),
    }
    if follow if follow is not None else (thread and not settings.testing):
        holder = f"{socket.gethostname()}:{os.getpid()}"

        def poll_once():
            return follow_changes([index, figures], feed=feed, cursors=cursors, clock=clock,
                                  time_zone=installation.get().time_zone, holder=holder)

        parts["follower"] = FollowerThread(poll_once, DEFAULT_INTERVAL.total_seconds()).start()
    return parts


def build_services(settings: Settings, *, clock: Clock | None = None, follow: bool | None = None) -> Services:
    """Build engines (classic database, CRM Lite's store) and every adapter from ``settings``.

    ``follow``: start the change feed's poller thread (default: unless testing or
    ``CRM_LITE_FEED_THREAD=0``, ``Settings.feed_thread``); call this after gunicorn forked (``preload_app`` is off).
    """
    from adapters.clock import SystemClock
    from adapters.files import LocalFileStore
    from adapters.sql.calls import SqlCallQueries
    from adapters.sql.categories import SqlCategoryStore
    from adapters.sql.companies import SqlCompanyQueries
    from adapters.sql.company_writes import SqlCompanyWrites
    from adapters.sql.contacts import SqlContactQueries
    from adapters.sql.dashboard import SqlDashboardQueries
    from adapters.sql.documents import SqlDocumentQueries
    from adapters.sql.emails import SqlEmailQueries
    from adapters.sql.employees import SqlEmployeeQueries
    from adapters.sql.engine import make_engine, request_scope
    from adapters.sql.ledger import SqlLedgerQueries
    from adapters.sql.merge_records import SqlMergeRecords
    from adapters.sql.orders import SqlOrderQueries
    from adapters.sql.persons import SqlPersonQueries
    from adapters.sql.recent import SqlRecentViews
    from adapters.sql.state import SqlSessionStore, create_state_schema
    from adapters.sql.users import SqlInstallationRepository, SqlUserRepository
    from facade.ports_classic import ClassicSessionManager

    classic = make_engine(settings.database_url, pool_size=settings.pool_size)
    state = make_engine(settings.state_url, pool_size=settings.pool_size, store=True)
    create_state_schema(state)
    clock = clock or SystemClock()
    sessions = SqlSessionStore(state)
    soap: dict[str, Any] = {}
    if settings.classic_soap_url:
        from adapters.soap import gateways_from_settings

        gateways = gateways_from_settings(settings)
        soap = {
            "classic_auth": gateways.auth,
            "classic_companies": gateways.companies,
            "classic_invoices": gateways.invoices,
            "register_lookup": gateways.lookup,
            "classic_sessions": ClassicSessionManager(gateways.auth, sessions, clock),
        }
    installation = SqlInstallationRepository(classic)
    dashboard = SqlDashboardQueries(classic)
    feed_parts = _feed_services(settings, classic, state, clock, installation, dashboard, follow)
    return Services(
        settings=settings,
        clock=clock,
        installation=installation,
        users=SqlUserRepository(classic),
        sessions=sessions,
        dashboard=dashboard,
        companies=SqlCompanyQueries(classic),
        persons=SqlPersonQueries(classic),
        employees=SqlEmployeeQueries(classic),
        recent=SqlRecentViews(state, classic),
        contacts=SqlContactQueries(classic),
        emails=SqlEmailQueries(classic),
        documents=SqlDocumentQueries(classic, LocalFileStore(settings.file_store)),
        calls=SqlCallQueries(classic),
        orders=SqlOrderQueries(classic),
        ledger=SqlLedgerQueries(classic),
        company_writes=SqlCompanyWrites(classic),
        merge_records=SqlMergeRecords(state),
        categories=SqlCategoryStore(classic),
        classic_engine=classic,
        state_engine=state,
        request_scope=request_scope,
        **feed_parts,
        **soap,
    )
