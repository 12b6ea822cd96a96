"""CRM Lite's own store (never the classic database): sessions and recently viewed records.

Created with ``create_all`` on the state URL (SQLite file under ``instance/`` by default).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from facade.ports import SessionRecord

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


def create_state_schema(engine: Engine) -> None:
    """Create CRM Lite's own tables if missing (never on the classic database)."""
    state_metadata.create_all(engine)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class SqlSessionStore:
    """``SessionStore`` in CRM Lite's store (table ``crm_session``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, sid_hash: str, user_id: int, now_utc: datetime) -> None:
        now = _naive_utc(now_utc)
        with self.engine.begin() as conn:
            conn.execute(
                insert(crm_session).values(
                    sid_hash=sid_hash, user_id=user_id, created_utc=now, last_seen_utc=now
                )
            )

    def get(self, sid_hash: str) -> SessionRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(crm_session).where(crm_session.c.sid_hash == sid_hash)).first()
        if row is None:
            return None
        return SessionRecord(
            row.user_id, _aware(row.created_utc), _aware(row.last_seen_utc), row.classic_session_id
        )

    def touch(self, sid_hash: str, now_utc: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(crm_session)
                .where(crm_session.c.sid_hash == sid_hash)
                .values(last_seen_utc=_naive_utc(now_utc))
            )

    def set_classic_session(self, sid_hash: str, classic_session_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(crm_session)
                .where(crm_session.c.sid_hash == sid_hash)
                .values(classic_session_id=classic_session_id)
            )

    def delete(self, sid_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(crm_session).where(crm_session.c.sid_hash == sid_hash))

    def purge_idle(self, before_utc: datetime) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(delete(crm_session).where(crm_session.c.last_seen_utc < _naive_utc(before_utc)))
        return res.rowcount or 0
