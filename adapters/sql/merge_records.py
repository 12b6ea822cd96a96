"""Merge records and the recently viewed lists after a merge, in CRM Lite's own store.

Store tables (``adapters/sql/state.py``): ``merge_record`` (who, when in UTC, the two company ids,
``detail_json`` with names, rows moved per area and the field choices) and ``recent_view`` (the
merged company's rows become the survivor's). No classic table is read or written here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, case, delete, exists, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from facade.company_merge import MergeChoice, MergeRecord
from facade.errors import ClassicUnavailable
from facade.i18n import N_

from .engine import read_connection
from .state import merge_record, recent_view

log = logging.getLogger("crm_lite")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class SqlMergeRecords:
    """``facade.company_merge.MergeRecords`` over CRM Lite's store."""

    def __init__(self, state_engine: Engine) -> None:
        self.engine = state_engine

    def record_merge(self, record: MergeRecord) -> int | None:
        """Insert the merge record and move every user's recently viewed entry of the merged company
        to the survivor, in one store transaction of four statements:

        1. a user who viewed both keeps one entry: the survivor's, with the newer ``seq``/time;
        2. then the merged company's entries of those users are deleted;
        3. the remaining entries of the merged company name the survivor.
        Returns the new ``merge_id``; None (logged) when the store cannot be written.
        """
        detail = {
            "kept_name": record.kept_name,
            "merged_name": record.merged_name,
            "user_name": record.user_name,
            "moved_rows": record.moved_rows,
            "areas": record.areas,
            "choices": [{"field": c.key, "value": c.value} for c in record.choices],
            "choices_saved": record.choices_saved,
        }
        rv, keep, gone = recent_view, record.kept_company_id, record.merged_company_id
        old = recent_view.alias("old")
        of_merged = and_(old.c.user_id == rv.c.user_id, old.c.kind == "company", old.c.record_id == gone)
        try:
            with self.engine.begin() as conn:
                merge_id = conn.execute(
                    insert(merge_record).values(
                        user_id=record.user_id,
                        merged_utc=_naive_utc(record.merged_utc),
                        kept_company_id=keep,
                        merged_company_id=gone,
                        detail_json=json.dumps(detail, ensure_ascii=False),
                    )
                ).inserted_primary_key[0]
                survivor_rows = and_(rv.c.kind == "company", rv.c.record_id == keep, exists().where(of_merged))
                old_seq = select(old.c.seq).where(of_merged).scalar_subquery()
                old_time = select(old.c.viewed_utc).where(of_merged).scalar_subquery()
                conn.execute(
                    update(rv)
                    .where(survivor_rows)
                    .values(
                        seq=case((old_seq > rv.c.seq, old_seq), else_=rv.c.seq),
                        viewed_utc=case((old_time > rv.c.viewed_utc, old_time), else_=rv.c.viewed_utc),
                    )
                )
                kept_too = recent_view.alias("kept_too")
                conn.execute(
                    delete(rv).where(
                        rv.c.kind == "company",
                        rv.c.record_id == gone,
                        exists().where(kept_too.c.user_id == rv.c.user_id, kept_too.c.kind == "company",
                                       kept_too.c.record_id == keep),
                    )
                )
                conn.execute(
                    update(rv).where(rv.c.kind == "company", rv.c.record_id == gone).values(record_id=keep)
                )
        except SQLAlchemyError:
            log.exception("Could not keep the merge record of %s <- %s", keep, gone)
            return None
        return int(merge_id)

    def for_company(self, company_id: int, limit: int = 20) -> list[MergeRecord]:
        """The merges ``company_id`` survived, newest first (``merged_utc``, ``merge_id``).
        Raises ClassicUnavailable (the store cannot be read; the caller shows none)."""
        q = (
            select(merge_record)
            .where(merge_record.c.kept_company_id == company_id)
            .order_by(merge_record.c.merged_utc.desc(), merge_record.c.merge_id.desc())
            .limit(limit)
        )
        try:
            with read_connection(self.engine) as conn:
                rows = conn.execute(q).all()
        except SQLAlchemyError as exc:
            log.warning("Could not read merge records of %s", company_id, exc_info=True)
            raise ClassicUnavailable(N_("CRM Lite's store cannot be read right now.")) from exc
        out = []
        for r in rows:
            try:
                d = json.loads(r.detail_json)
            except ValueError:
                d = {}
            out.append(
                MergeRecord(
                    user_id=int(r.user_id),
                    user_name=str(d.get("user_name") or ""),
                    merged_utc=r.merged_utc.replace(tzinfo=UTC),
                    kept_company_id=int(r.kept_company_id),
                    merged_company_id=int(r.merged_company_id),
                    kept_name=str(d.get("kept_name") or ""),
                    merged_name=str(d.get("merged_name") or ""),
                    moved_rows=int(d.get("moved_rows") or 0),
                    areas={str(k): int(v) for k, v in (d.get("areas") or {}).items()},
                    choices=tuple(MergeChoice(str(c.get("field")), str(c.get("value") or ""))
                                  for c in d.get("choices") or []),
                    choices_saved=bool(d.get("choices_saved", True)),
                    merge_id=int(r.merge_id),
                )
            )
        return out
