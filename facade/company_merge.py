"""Merge two companies: pick the duplicate, preview what moves, choose the surviving value of each
differing field, then ``CompanyService.MergeCompanies`` and the choices saved to the survivor.

Classic side: ``MergeCompanies`` (one transaction on the classic side, kit README "CompanyService")
moves every row that references the merged company — person links, addresses of a type the kept
company lacks, categories it lacks, activities, wall posts, projects, sales opportunities, e-mail
links (unless the same e-mail is already linked to the kept company), documents, calls, orders,
ledger entries — and soft-deletes the merged company; ``SaveCompanies`` then writes the values the
user took from the merged company to the survivor (with the survivor's ``ChangeNo`` after the merge,
so nothing written meanwhile is overwritten). The preview counts the same rows with SQL first
(``tblCompanyPerson``, ``tblAddress``, ``tblCompanyCategory``, ``tblActivity``, ``tblWallPost``,
``tblProject``, ``tblSalesOpp``, ``tblEmailLink``, ``tblDocument``, ``tblCall``, ``tblOrder``,
``tblLedgerEntry``).

CRM Lite's store keeps a merge record (who, when, ids, names, rows moved per area, the field
choices; table ``merge_record``) shown on the survivor's card, and every user's recently viewed list
names the survivor instead of the merged company (``recent_view``).

Decisions:

* The preview's ``ChangeNo`` of both companies goes with the confirmation: if either changed since,
  nothing is merged and the preview is shown again (``Conflict``), because the choices were made on
  values that may no longer hold.
* Fields listed for a choice: every field where the merged company has a value that differs from the
  survivor's (organisation numbers compared by digits, phone numbers by ``phone_key``, e-mail
  addresses ignoring case). The default keeps the survivor's value; where the survivor has none the
  default takes the merged company's (filling a gap loses nothing).
* A chosen organisation number is checked like the classic service will check it before anything is
  merged, so a refused choice never leaves a merge half done.
* The rows moved per area come from the preview counted right before the merge; ``moved_rows`` is
  the total the classic service reports (they agree unless someone wrote in between).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from .auth import require
from .company_edit import (
    CompanyWrites,
    EditableCompany,
    Text,
    comparable,
    field_label,
    form_text,
    normalise_org_no,
)
from .errors import (
    ClassicRejected,
    ClassicUnavailable,
    Conflict,
    CrmLiteError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from .i18n import N_
from .model import CRM_DELETE, CRM_READ, CRM_WRITE, User
from .ports import Clock, InstallationRepository
from .ports_classic import ClassicCompanyService, ClassicSessionManager, CompanyChanges
from .search import KIND_COMPANY, KIND_PRIVATE, KIND_SUPPLIER, SearchQueries, search_everything
from .text import fold, orgno_key, phone_key

log = logging.getLogger(__name__)

#: Areas of a merge, in display order: key → label.
AREAS: dict[str, str] = {
    "contacts": N_("Contact links"),
    "addresses": N_("Addresses"),
    "categories": N_("Categories"),
    "activities": N_("Activities"),
    "wall": N_("Wall posts"),
    "projects": N_("Projects"),
    "opportunities": N_("Sales opportunities"),
    "emails": N_("E-mail links"),
    "documents": N_("Documents"),
    "calls": N_("Calls"),
    "orders": N_("Orders and invoices"),
    "ledger": N_("Ledger entries"),
}

#: Why rows of an area stay behind with the merged company (hidden with it).
STAYS_BECAUSE = {
    "contacts": N_("already linked to the surviving company (its link is kept)"),
    "addresses": N_("the surviving company has an address of that type"),
    "categories": N_("the surviving company is in the category already"),
    "emails": N_("the e-mail is linked to the surviving company already"),
}

#: Fields the user chooses a surviving value for (``facade.company_edit`` keys).
MERGE_FIELDS = (
    "name", "nick_name", "org_no", "vat_no", "phone", "fax", "email", "web", "country", "owner_user_id",
    "invoice_method", "invoice_email", "payment_days", "discount_pct", "currency", "credit_limit",
    "language_code", "notes",
)
KEEP, TAKE = "keep", "merge"

SAME_COMPANY = N_("Choose another company: a company cannot be merged with itself.")
MERGED_NOT_FOUND = N_("The company to merge does not exist or has been deleted.")
KEPT_NOT_FOUND = N_("The company to keep does not exist or has been deleted.")
CHANGED_SINCE_PREVIEW = N_(
    "One of the companies was changed since you opened the preview. Nothing was merged: check the preview "
    "again and confirm."
)
NO_SERVICES = N_("The classic services are not configured, so companies cannot be merged from CRM Lite.")
BAD_CHOICE = N_("Choose which value to keep.")
CHOICES_NOT_SAVED = N_(
    "The companies were merged, but your choice of values could not be saved to the surviving company: "
    "%(reason)s"
)
RECORD_NOT_SAVED = N_("The companies were merged, but CRM Lite could not keep the merge record.")
TAKES_CUSTOMER = N_("The surviving company becomes a customer and takes over customer no. %(no)s.")
TAKES_SUPPLIER = N_("The surviving company becomes a supplier and takes over supplier no. %(no)s.")
LOSES_NUMBER = N_("The merged company's customer no. %(no)s is not carried over (the survivor keeps its own).")
LOSES_SUPPLIER_NUMBER = N_(
    "The merged company's supplier no. %(no)s is not carried over (the survivor keeps its own).")


# --- vocabulary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCount:
    """Rows of one area of the merged company: ``moved`` change ``CompanyID`` (``moved_hidden`` of
    them are soft-deleted and stay hidden), ``stays`` remain with the merged company (hidden with
    it); ``revived`` = soft-deleted person links of the survivor that come back (contacts only)."""

    area: str
    moved: int
    moved_hidden: int = 0
    stays: int = 0
    revived: int = 0

    @property
    def label(self) -> str:
        """The area's English msgid."""
        return AREAS[self.area]


@dataclass(frozen=True)
class MergeField:
    """A field whose surviving value the user chooses: form texts of both companies; ``clash`` =
    both have a value; ``default`` ``keep`` or ``merge``."""

    key: str
    label: str
    keep_text: str
    merge_text: str
    clash: bool
    default: str


@dataclass(frozen=True)
class MergePreview:
    """What a merge of ``merge`` into ``keep`` would do."""

    keep: EditableCompany
    merge: EditableCompany
    areas: tuple[AreaCount, ...]
    fields: tuple[MergeField, ...]
    notices: tuple[Text, ...] = ()
    owner_names: dict[int, str] = field(default_factory=dict)

    @property
    def moved_total(self) -> int:
        """Rows that change ``CompanyID`` (what ``MergeCompanies`` reports as ``MovedRows``)."""
        return sum(a.moved for a in self.areas)


@dataclass(frozen=True)
class MergeCandidate:
    """A company the user may pick as the duplicate; ``reason`` ``org_no``/``name`` for a likely
    duplicate (same organisation number digits / same name ignoring case, blanks and legal form)."""

    company_id: int
    name: str
    org_no: str | None = None
    customer_no: int | None = None
    supplier_no: int | None = None
    city: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MergeCandidates:
    """The pick page: likely duplicates of ``keep`` and the hits of ``query`` (companies only)."""

    keep: EditableCompany
    query: str
    suggestions: tuple[MergeCandidate, ...]
    hits: tuple[MergeCandidate, ...]
    searched: bool


@dataclass(frozen=True)
class MergeChoice:
    """A value the survivor took from the merged company (form text)."""

    key: str
    value: str

    @property
    def label(self) -> str:
        """The field's English msgid."""
        return field_label(self.key)


@dataclass(frozen=True)
class MergeRecord:
    """One merge as CRM Lite's store keeps it (``merge_record``).

    ``merged_utc`` aware UTC; ``merged_at`` the installation's local time (set when read for
    display); ``moved_rows`` as classic reported it; ``areas`` rows moved per area key.
    """

    user_id: int
    user_name: str
    merged_utc: datetime
    kept_company_id: int
    merged_company_id: int
    kept_name: str
    merged_name: str
    moved_rows: int
    areas: dict[str, int]
    choices: tuple[MergeChoice, ...] = ()
    choices_saved: bool = True
    merge_id: int | None = None
    merged_at: datetime | None = None


@dataclass(frozen=True)
class MergeDone:
    """The result of a merge: the stored record (``merge_id`` None when the store failed) and
    notices for the user (choices not saved, record not kept)."""

    record: MergeRecord
    notices: tuple[Text, ...] = ()


# --- ports -------------------------------------------------------------------------------------


class MergeQueries(CompanyWrites, Protocol):
    """Classic reads of a merge preview (plus ``CompanyWrites``). Raise ClassicUnavailable."""

    def merge_counts(self, keep_id: int, merge_id: int) -> list[AreaCount]:
        """The rows of ``merge_id`` per area (every key of ``AREAS``) by the rules of
        ``MergeCompanies``, in one query."""


class MergeRecords(Protocol):
    """CRM Lite's store of merge records and recently viewed lists (``merge_record``, ``recent_view``)."""

    def record_merge(self, record: MergeRecord) -> int | None:
        """Insert the record and, in the same store transaction, replace the merged company by the
        survivor in every user's recently viewed list (no duplicates). Returns the record id; None
        (logged) when the store cannot be written."""

    def for_company(self, company_id: int, limit: int = 20) -> list[MergeRecord]:
        """Merge records whose survivor is ``company_id``, newest first."""


# --- rules -------------------------------------------------------------------------------------

#: Legal-form words left out when comparing names for likely duplicates.
LEGAL_FORMS = frozenset({"ab", "aktiebolag", "ab.", "hb", "kb", "handelsbolag", "ek", "för", "ekonomisk",
                         "förening", "as", "asa", "aksjeselskap", "oy", "oyj", "gmbh", "aps", "a/s"})


def core_name(name: str | None) -> str:
    """A name folded (``facade.text.fold``) without legal-form words: ``Testbolaget  AB`` →
    ``testbolaget``."""
    words = [w for w in fold(name).replace(",", " ").split() if w not in LEGAL_FORMS]
    return " ".join(words)


def merge_comparable(key: str, value: object, base_currency: str) -> object:
    """The normal form for "do the two companies differ in this field": digits of organisation
    numbers, ``phone_key`` of phone numbers, e-mail addresses ignoring case, else ``comparable``."""
    if key == "org_no":
        return orgno_key(str(value or "")) or None
    if key in ("phone", "fax"):
        return phone_key(str(value or "")) or None
    if key in ("email", "invoice_email"):
        return (str(value or "").strip().lower()) or None
    return comparable(key, value, base_currency)


def merge_fields(keep: EditableCompany, merge: EditableCompany, base_currency: str) -> tuple[MergeField, ...]:
    """The fields where the merged company holds a value that differs from the survivor's."""
    out = []
    for key in MERGE_FIELDS:
        theirs = merge_comparable(key, merge.value(key), base_currency)
        ours = merge_comparable(key, keep.value(key), base_currency)
        if key == "currency" and not (merge.currency or "").strip():
            continue  # NULL is the base currency: nothing the survivor could take over
        if theirs is None or theirs == ours:
            continue
        clash = ours is not None
        out.append(MergeField(key, field_label(key), form_text(key, keep.value(key)),
                              form_text(key, merge.value(key)), clash, KEEP if clash else TAKE))
    return tuple(out)


def role_notices(keep: EditableCompany, merge: EditableCompany) -> tuple[Text, ...]:
    """What happens to customer and supplier numbers (kit: the survivor takes over a role it lacks)."""
    out = []
    if merge.is_customer and merge.customer_no is not None:
        if not keep.is_customer:
            out.append(Text(TAKES_CUSTOMER, {"no": merge.customer_no}))
        else:
            out.append(Text(LOSES_NUMBER, {"no": merge.customer_no}))
    if merge.is_supplier and merge.supplier_no is not None:
        if not keep.is_supplier:
            out.append(Text(TAKES_SUPPLIER, {"no": merge.supplier_no}))
        else:
            out.append(Text(LOSES_SUPPLIER_NUMBER, {"no": merge.supplier_no}))
    return tuple(out)


# --- use cases ---------------------------------------------------------------------------------


def _both(keep_id: int, merge_id: int, queries: CompanyWrites) -> tuple[EditableCompany, EditableCompany]:
    if keep_id == merge_id:
        raise InvalidInput(SAME_COMPANY, fields={"merge_id": Text(SAME_COMPANY)})
    keep = queries.editable(keep_id)
    if keep is None:
        raise NotFound(KEPT_NOT_FOUND)
    merge = queries.editable(merge_id)
    if merge is None:
        raise NotFound(MERGED_NOT_FOUND)
    return keep, merge


def preview_merge(keep_id: int, merge_id: int, user: User, *, merge_queries: MergeQueries,
                  installation: InstallationRepository) -> MergePreview:
    """What merging ``merge_id`` into ``keep_id`` (both ``tblCompany.CompanyID``) would move, per
    area, and the fields to choose a value for. Needs CRM_DELETE (Forbidden). Raises InvalidInput
    (the same id twice), NotFound (either company unknown or deleted), ClassicUnavailable."""
    require(user, CRM_DELETE)
    keep, merge = _both(keep_id, merge_id, merge_queries)
    base = installation.get().base_currency
    counts = {c.area: c for c in merge_queries.merge_counts(keep_id, merge_id)}
    areas = tuple(counts.get(a, AreaCount(a, 0)) for a in AREAS)
    fields = merge_fields(keep, merge, base)
    names = {}
    if any(f.key == "owner_user_id" for f in fields):
        names = {u.user_id: u.name for u in merge_queries.users()}
    return MergePreview(keep, merge, areas, fields, role_notices(keep, merge), names)


def merge_candidates(keep_id: int, query: str | None, user: User, *, merge_queries: MergeQueries,
                     search: SearchQueries, limit: int = 20) -> MergeCandidates:
    """The pick page of a merge: likely duplicates of ``keep_id`` (same organisation number digits,
    or the same name ignoring case, blanks and legal form) and the companies matching ``query``
    (global search policy, companies, suppliers and private customers only), without ``keep_id``.

    Needs CRM_DELETE (Forbidden). Raises NotFound, ClassicUnavailable. Up to 3 searches.
    """
    require(user, CRM_DELETE)
    require(user, CRM_READ)
    keep = merge_queries.editable(keep_id)
    if keep is None:
        raise NotFound(KEPT_NOT_FOUND)
    kinds = (KIND_COMPANY, KIND_SUPPLIER, KIND_PRIVATE)

    def run(q: str, n: int) -> list:
        results = search_everything(q, user, queries=search, limit_per_kind=n, kinds=kinds)
        return [h for g in results.groups for h in g.hits if h.record == "company" and h.id != keep_id]

    def candidate(hit, reason: str | None) -> MergeCandidate:
        return MergeCandidate(hit.id, hit.title, hit.org_no, hit.customer_no, hit.supplier_no, hit.city, reason)

    found: dict[int, MergeCandidate] = {}
    key = orgno_key(keep.org_no)
    if len(key) >= 6:
        for hit in run(key, 50):
            if orgno_key(hit.org_no) == key:
                found.setdefault(hit.id, candidate(hit, "org_no"))
    core = core_name(keep.name)
    if len(core) >= 2:
        for hit in run(core, 50):
            if core_name(hit.title) == core or (hit.nick_name and core_name(hit.nick_name) == core):
                found.setdefault(hit.id, candidate(hit, "name"))
    q = (query or "").strip()
    hits: tuple[MergeCandidate, ...] = ()
    if q:
        hits = tuple(candidate(h, found[h.id].reason if h.id in found else None) for h in run(q, limit))
    return MergeCandidates(keep, q, tuple(found.values()), hits, bool(q))


def _choices_to_changes(preview: MergePreview, choices: Mapping[str, str]) -> tuple[dict[str, object], tuple[MergeChoice, ...]]:
    """The values taken from the merged company: ``(CompanyChanges keyword arguments, choices)``.
    Raises InvalidInput for an unknown value or a field that is not offered."""
    offered = {f.key: f for f in preview.fields}
    errors: dict[str, Text] = {}
    kwargs: dict[str, object] = {}
    taken: list[MergeChoice] = []
    for key, f in offered.items():
        choice = (choices.get(key) or f.default).strip()
        if choice not in (KEEP, TAKE):
            errors[key] = Text(BAD_CHOICE)
            continue
        if choice == KEEP:
            continue
        value = preview.merge.value(key)
        if isinstance(value, str) and key != "notes":
            value = value.strip()
        kwargs[key] = value
        taken.append(MergeChoice(key, f.merge_text))
    for key in choices:
        if key not in offered and key in MERGE_FIELDS and choices[key] == TAKE:
            errors[key] = Text(BAD_CHOICE)
    if "org_no" in kwargs:
        country = kwargs.get("country", preview.keep.country)
        _stored, problem = normalise_org_no(str(kwargs["org_no"]), str(country) if country else None)
        if problem:
            errors["org_no"] = Text(problem)
    if errors:
        raise InvalidInput(N_("Check the marked choices."), fields=errors)
    return kwargs, tuple(taken)


def merge_companies(
    keep_id: int,
    merge_id: int,
    choices: Mapping[str, str],
    user: User,
    *,
    keep_change_no: int,
    merge_change_no: int,
    merge_queries: MergeQueries,
    merge_records: MergeRecords,
    classic_companies: ClassicCompanyService | None,
    classic_sessions: ClassicSessionManager | None,
    sid_hash: str,
    installation: InstallationRepository,
    clock: Clock,
    password: str | None = None,
) -> MergeDone:
    """Merge ``merge_id`` into ``keep_id`` through ``MergeCompanies`` in the user's classic session,
    then save the values taken from the merged company (``choices``: field key → ``keep``/``merge``;
    missing keys take the preview's default) with ``SaveCompanies`` at the survivor's new
    ``ChangeNo``, keep a merge record and replace the merged company in every recently viewed list.

    ``keep_change_no``/``merge_change_no``: the ``ChangeNo`` of both companies the preview showed.
    ``password``: typed by the user when classic asked for it again (passed through, never kept).
    Needs CRM_DELETE, and CRM_WRITE when a value is taken (Forbidden). Raises InvalidInput,
    NotFound, Conflict (``details["preview"]``: the fresh ``MergePreview``; nothing merged),
    NotAuthenticated (``reason`` PASSWORD_REQUIRED: ask for the password and call again),
    ClassicRejected, ClassicUnavailable — in every one of these cases nothing was merged.
    """
    require(user, CRM_DELETE)
    if classic_companies is None or classic_sessions is None:
        raise ClassicUnavailable(NO_SERVICES)
    preview = preview_merge(keep_id, merge_id, user, merge_queries=merge_queries, installation=installation)
    if preview.keep.change_no != keep_change_no or preview.merge.change_no != merge_change_no:
        raise Conflict(CHANGED_SINCE_PREVIEW, preview=preview)
    changes, taken = _choices_to_changes(preview, choices)
    if changes:
        require(user, CRM_WRITE)

    def in_session(operation: Callable[[str], object]) -> object:
        return classic_sessions.call(sid_hash, operation, login=user.login, password=password)

    outcome = in_session(lambda sid: classic_companies.merge_companies(sid, keep_id, merge_id))
    moved_rows = int(getattr(outcome, "moved_rows", preview.moved_total))
    notices: list[Text] = []
    choices_saved = True
    if changes:
        item = CompanyChanges(company_id=keep_id, change_no=keep_change_no + 1, **changes)  # type: ignore[arg-type]
        try:
            in_session(lambda sid: classic_companies.save_company(sid, item))
        except (Conflict, InvalidInput, NotFound, ClassicRejected, ClassicUnavailable, NotAuthenticated) as exc:
            # The merge itself is done (one classic transaction); say plainly what is missing.
            log.warning("Merge %s <- %s: choices not saved: %s", keep_id, merge_id, exc.message)
            choices_saved = False
            notices.append(Text(CHOICES_NOT_SAVED, {"reason": exc.message}))
    record = MergeRecord(
        user_id=user.user_id,
        user_name=user.full_name,
        merged_utc=clock.now_utc().astimezone(UTC),
        kept_company_id=keep_id,
        merged_company_id=merge_id,
        kept_name=preview.keep.name.strip(),
        merged_name=preview.merge.name.strip(),
        moved_rows=moved_rows,
        areas={a.area: a.moved for a in preview.areas},
        choices=taken,
        choices_saved=choices_saved,
    )
    merge_id_stored = merge_records.record_merge(record)
    if merge_id_stored is None:
        notices.append(Text(RECORD_NOT_SAVED))
    else:
        record = replace(record, merge_id=merge_id_stored)
    return MergeDone(record, tuple(notices))


def merge_history(company_id: int, user: User, *, merge_records: MergeRecords | None,
                  installation: InstallationRepository, limit: int = 20) -> tuple[MergeRecord, ...]:
    """The merges ``company_id`` survived, newest first, with ``merged_at`` in the installation's
    local time. Needs CRM_READ (Forbidden). An unreadable store gives no records (logged), never
    an error page: the card must open."""
    require(user, CRM_READ)
    if merge_records is None:
        return ()
    try:
        records = merge_records.for_company(company_id, limit)
    except CrmLiteError:
        return ()
    if not records:
        return ()
    zone = ZoneInfo(installation.get().time_zone)
    return tuple(replace(r, merged_at=r.merged_utc.astimezone(zone).replace(tzinfo=None)) for r in records)
