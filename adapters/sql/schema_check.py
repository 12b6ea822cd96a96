"""Reflection of the classic database for ``crm-lite check``. Tables: every classic table CRM Lite
declares in ``adapters.sql.tables`` (``tblSetting`` ``SchemaVersion`` is read too).

Names are compared exactly; where the engine folds case (SQLite, SQL Server with its
case-insensitive collation, MariaDB column names and table names when
``lower_case_table_names`` is set), a name found in another case counts as present and is noted.
PostgreSQL compares quoted names exactly, so there another case means missing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, inspect, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from facade.diagnostics import SchemaReport
from facade.errors import ClassicUnavailable

from .tables import metadata as classic_metadata
from .tables import tblSetting


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0][:300] if text else type(orig).__name__


def _folds_case(conn: Connection, dialect: str) -> tuple[bool, bool]:
    """(table names fold, column names fold) on this engine."""
    if dialect in ("sqlite", "mssql"):
        return True, True
    if dialect in ("mysql", "mariadb"):
        try:
            mode = conn.exec_driver_sql("SELECT @@lower_case_table_names").scalar()
        except SQLAlchemyError:
            mode = 0
        return str(mode) in ("1", "2"), True
    return False, False


def safe_url(engine: Engine) -> str:
    """The engine's URL with the password hidden (for reports and logs)."""
    return engine.url.render_as_string(hide_password=True)


def check_classic_schema(engine: Engine, expected: MetaData = classic_metadata) -> SchemaReport:
    """Reflect ``engine`` and compare it with ``expected`` (CRM Lite's classic tables).

    Returns a SchemaReport listing missing tables and columns and the ``SchemaVersion``.
    Raises ClassicUnavailable (with the driver's first line) when no connection can be made.
    """
    database = safe_url(engine)
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and "mode=memory" not in str(url) and not Path(url.database).is_file():
        # connecting would create an empty file: say what is wrong instead
        raise ClassicUnavailable(f"The classic database cannot be reached: there is no file {url.database}")
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise ClassicUnavailable(f"The classic database cannot be reached: {_first_line(exc)}") from exc
    with conn:
        try:
            dialect = engine.dialect.name
            insp = inspect(conn)
            actual_tables = insp.get_table_names()
            fold_tables, fold_columns = _folds_case(conn, dialect)
            by_lower: dict[str, list[str]] = {}
            for name in actual_tables:
                by_lower.setdefault(name.lower(), []).append(name)
            missing_tables: list[str] = []
            missing_columns: list[tuple[str, tuple[str, ...]]] = []
            notes: list[str] = []
            n_columns = 0
            found_setting: str | None = None
            for table in expected.sorted_tables:
                n_columns += len(table.columns)
                if table.name in actual_tables:
                    found = table.name
                elif fold_tables and by_lower.get(table.name.lower()):
                    found = by_lower[table.name.lower()][0]
                    notes.append(f"table {table.name} is named {found}")
                else:
                    missing_tables.append(table.name)
                    other = by_lower.get(table.name.lower())
                    if other:
                        notes.append(f"table {table.name} exists only as {other[0]} "
                                     "(names are case-sensitive here)")
                    continue
                if table.name == tblSetting.name:
                    found_setting = found
                columns = [c["name"] for c in insp.get_columns(found)]
                col_lower = {c.lower(): c for c in columns}
                lacking = []
                for col in table.columns:
                    if col.name in columns:
                        continue
                    if fold_columns and col.name.lower() in col_lower:
                        notes.append(f"column {table.name}.{col.name} is named {col_lower[col.name.lower()]}")
                        continue
                    lacking.append(col.name)
                if lacking:
                    missing_columns.append((table.name, tuple(lacking)))
            version = None
            if found_setting is not None and not any(t == tblSetting.name for t, _ in missing_columns):
                version = conn.execute(
                    select(tblSetting.c.SettingValue).where(tblSetting.c.SettingKey == "SchemaVersion")
                ).scalar()
        except DBAPIError as exc:
            if exc.connection_invalidated:
                message = f"The connection to the classic database was lost: {_first_line(exc)}"
                raise ClassicUnavailable(message) from exc
            raise ClassicUnavailable(f"The classic database could not be read: {_first_line(exc)}") from exc
    return SchemaReport(
        database=database,
        reachable=True,
        dialect=dialect,
        tables_checked=len(expected.sorted_tables),
        columns_checked=n_columns,
        missing_tables=tuple(missing_tables),
        missing_columns=tuple(missing_columns),
        case_notes=tuple(notes),
        schema_version=version.strip() if isinstance(version, str) else version,
    )


class SqlSchemaInspector:
    """``SchemaInspector`` over an engine on the classic database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.database = safe_url(engine)

    def inspect_schema(self) -> SchemaReport:
        return check_classic_schema(self.engine)
