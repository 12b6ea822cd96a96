"""Diagnostics for IT: is the classic database reachable and does it have everything CRM Lite uses?

Used by ``crm-lite check``. The adapter (``adapters/sql/schema_check.py``) reflects the classic
database and compares it with the classic tables CRM Lite declares (schema 7.4, kit names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .errors import ClassicUnavailable

#: The classic schema version CRM Lite is built for (``tblSetting`` ``SchemaVersion``).
EXPECTED_SCHEMA_VERSION = "7.4"


@dataclass(frozen=True)
class SchemaReport:
    """What the reflection of the classic database found.

    ``missing_columns`` pairs a table (present) with the columns it lacks. ``case_notes`` list
    names found only in another letter case, accepted because the engine folds case there.
    ``schema_version`` is ``tblSetting`` ``SchemaVersion`` (None when absent or unreadable).
    """

    database: str
    reachable: bool
    error: str | None = None
    dialect: str | None = None
    tables_checked: int = 0
    columns_checked: int = 0
    missing_tables: tuple[str, ...] = ()
    missing_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    case_notes: tuple[str, ...] = ()
    schema_version: str | None = None
    expected_version: str = EXPECTED_SCHEMA_VERSION

    @property
    def complete(self) -> bool:
        """True when the database answered and has every table and column CRM Lite uses."""
        return self.reachable and not self.missing_tables and not self.missing_columns

    @property
    def version_matches(self) -> bool:
        """True when ``SchemaVersion`` is the version CRM Lite is built for."""
        return (self.schema_version or "").strip() == self.expected_version


class SchemaInspector(Protocol):
    database: str

    def inspect_schema(self) -> SchemaReport:
        """Reflect the classic database and compare it with CRM Lite's tables.

        Raises ClassicUnavailable when the database cannot be reached."""


def check_classic_database(*, inspector: SchemaInspector) -> SchemaReport:
    """Report whether the classic database is reachable and complete (never raises for that).

    Returns a SchemaReport; an unreachable database gives ``reachable=False`` and ``error``.
    """
    try:
        return inspector.inspect_schema()
    except ClassicUnavailable as exc:
        return SchemaReport(database=inspector.database, reachable=False, error=exc.message)
