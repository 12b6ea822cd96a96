"""The one place where adapters are built and wired to the facade's ports."""

from __future__ import annotations

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
    classic_engine: Any = None
    state_engine: Any = None
    extra: dict = field(default_factory=dict)

    def close(self) -> None:
        """Release pooled connections."""
        for engine in (self.classic_engine, self.state_engine):
            if engine is not None:
                engine.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Build engines (classic database, CRM Lite's store) and every adapter from ``settings``."""
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
    from adapters.sql.engine import make_engine
    from adapters.sql.ledger import SqlLedgerQueries
    from adapters.sql.merge_records import SqlMergeRecords
    from adapters.sql.orders import SqlOrderQueries
    from adapters.sql.persons import SqlPersonQueries
    from adapters.sql.recent import SqlRecentViews
    from adapters.sql.search import SqlSearchQueries
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
    return Services(
        settings=settings,
        clock=clock,
        installation=SqlInstallationRepository(classic),
        users=SqlUserRepository(classic),
        sessions=sessions,
        dashboard=SqlDashboardQueries(classic),
        search=SqlSearchQueries(classic),
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
        **soap,
    )
