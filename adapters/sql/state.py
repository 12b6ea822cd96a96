"""CRM Lite's own store (never the classic database): sessions and recently viewed records, the
change feed's cursors and lease, the search index and the cached dashboard figures.

Created with ``create_all`` on the state URL (SQLite file under ``instance/`` by default). The
search index's engine-specific parts (SQLite FTS5 tables, PostgreSQL ``pg_trgm`` indexes) are
added by ``adapters.sql.search_index.SqlSearchIndex.ensure_schema`` — in this store only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from facade.ports import SessionRecord

from .engine import read_connection, write_transaction

state_metadata = MetaData()

crm_session = Table(
    "crm_session",
    state_metadata,
    Column("sid_hash", String(64), primary_key=True),  # SHA-256 of the cookie's session id
    Column("user_id", Integer, nullable=False, index=True),
    Column("created_utc", DateTime, nullable=False),
    Column("last_seen_utc", DateTime, nullable=False),
    Column("classic_session_id", String(200)),
)

recent_view = Table(
    "recent_view",
    state_metadata,
    Column("user_id", Integer, primary_key=True),
    Column("kind", String(20), primary_key=True),  # company, person, employee
    Column("record_id", Integer, primary_key=True),
    Column("viewed_utc", DateTime, nullable=False, index=True),
    Column("seq", Integer, nullable=False),  # tie-breaker: views in the same instant
)

merge_record = Table(
    "merge_record",
    state_metadata,
    Column("merge_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False),
    Column("merged_utc", DateTime, nullable=False),
    Column("kept_company_id", Integer, nullable=False, index=True),
    Column("merged_company_id", Integer, nullable=False),
    Column("detail_json", Text, nullable=False),
)


# --- the change feed (facade.changes): one cursor per consumer, one lease for the poller -------

feed_cursor = Table(
    "feed_cursor",
    state_metadata,
    Column("name", String(50), primary_key=True),  # consumer: search_index, figures
    Column("position_json", Text, nullable=False),  # facade.changes.FeedPosition.to_json()
    Column("polled_utc", DateTime, nullable=False),
    Column("rows_applied", BigInteger, nullable=False, default=0),
)

feed_lease = Table(
    "feed_lease",
    state_metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(200), nullable=False),  # host:pid:thread of the poller
    Column("expires_utc", DateTime, nullable=False),
)

# --- the cached dashboard figures (facade.figures_cache) --------------------------------------

figures_cache = Table(
    "figures_cache",
    state_metadata,
    Column("key", String(100), primary_key=True),  # e.g. sales_by_seller:2025-06 (local month)
    Column("payload_json", Text, nullable=False),
    Column("computed_utc", DateTime, nullable=False),
)

# --- the search index (adapters.sql.search_index): copies of the searchable classic columns, with
# their normal forms. names: folded names joined by a line feed (no query word holds one); grams:
# the names' two-character pieces as hex tokens (for two-letter words, which trigrams cannot
# find); phones/org_digits: the stored numbers without the separators the plain SQL strips;
# name_len: the characters of the name(s) the plain SQL orders by; fts_key sorts like (name_len, id)
# and is the SQLite FTS5 rowid, so full-text hits come out in plain SQL's order. The walk index on
# (name_len, id, the searched columns) is made per engine by adapters.sql.search_index.

search_company = Table(
    "search_company",
    state_metadata,
    Column("company_id", Integer, primary_key=True, autoincrement=False),
    Column("name_len", Integer, nullable=False),
    Column("fts_key", BigInteger, nullable=False, unique=True),  # name_len · 2³¹ + id: FTS rowid, in order
    Column("names", Text, nullable=False),
    Column("grams", Text, nullable=False),
    Column("email_fold", Text, nullable=False),
    Column("org_digits", Text, nullable=False),
    Column("phones", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("nick_name", Text),
    Column("org_no", Text),
    Column("customer_no", Integer),
    Column("supplier_no", Integer),
    Column("company_kind", Integer, nullable=False),
    Column("is_customer", Integer, nullable=False),
    Column("is_supplier", Integer, nullable=False),
    Column("phone", Text),
    Column("email", Text),
    Column("change_no", Integer),
    Index("ix_search_company_customer_no", "customer_no"),
    Index("ix_search_company_supplier_no", "supplier_no"),
)

search_person = Table(
    "search_person",
    state_metadata,
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("name_len", Integer, nullable=False),
    Column("fts_key", BigInteger, nullable=False, unique=True),  # name_len · 2³¹ + id: FTS rowid, in order
    Column("names", Text, nullable=False),
    Column("grams", Text, nullable=False),
    Column("email_fold", Text, nullable=False),
    Column("phones", Text, nullable=False),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("job_title", Text),
    Column("phone", Text),
    Column("mobile", Text),
    Column("email", Text),
    Column("change_no", Integer),
)

search_employee = Table(
    "search_employee",
    state_metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("name_len", Integer, nullable=False),
    Column("fts_key", BigInteger, nullable=False, unique=True),  # name_len · 2³¹ + id: FTS rowid, in order
    Column("names", Text, nullable=False),
    Column("grams", Text, nullable=False),
    Column("email_fold", Text, nullable=False),
    Column("phones", Text, nullable=False),
    Column("login_name", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("title", Text),
    Column("phone", Text),
    Column("email", Text),
    Column("active", Integer, nullable=False),
)


def create_state_schema(engine: Engine) -> None:
    """Create CRM Lite's own tables if missing (never on the classic database)."""
    state_metadata.create_all(engine)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


#: ``SqlSessionStore.get``'s statement, built once (every request runs it).
_SESSION_BY_HASH = select(crm_session).where(crm_session.c.sid_hash == bindparam("sid_hash"))


class SqlSessionStore:
    """``SessionStore`` in CRM Lite's store (table ``crm_session``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, sid_hash: str, user_id: int, now_utc: datetime) -> None:
        now = _naive_utc(now_utc)
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(crm_session).values(
                    sid_hash=sid_hash, user_id=user_id, created_utc=now, last_seen_utc=now
                )
            )

    def get(self, sid_hash: str) -> SessionRecord | None:
        with read_connection(self.engine) as conn:
            row = conn.execute(_SESSION_BY_HASH, {"sid_hash": sid_hash}).first()
        if row is None:
            return None
        return SessionRecord(
            row.user_id, _aware(row.created_utc), _aware(row.last_seen_utc), row.classic_session_id
        )

    def touch(self, sid_hash: str, now_utc: datetime) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(crm_session)
                .where(crm_session.c.sid_hash == sid_hash)
                .values(last_seen_utc=_naive_utc(now_utc))
            )

    def set_classic_session(self, sid_hash: str, classic_session_id: str | None) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(crm_session)
                .where(crm_session.c.sid_hash == sid_hash)
                .values(classic_session_id=classic_session_id)
            )

    def delete(self, sid_hash: str) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(delete(crm_session).where(crm_session.c.sid_hash == sid_hash))

    def purge_idle(self, before_utc: datetime) -> int:
        with write_transaction(self.engine) as conn:
            res = conn.execute(delete(crm_session).where(crm_session.c.last_seen_utc < _naive_utc(before_utc)))
        return res.rowcount or 0
