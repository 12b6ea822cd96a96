"""Global search: one box that finds companies, suppliers, private customers, contacts and employees.

Search policy (README "Search"):

- **Names.** A company's ``Name`` and ``NickName``, a person's first and last name (so
  "Anna Ström" and "Ström Anna" both work), an employee's ``FullName`` and ``LoginName``.
  The query is split into words at blanks; *every* word must occur somewhere (infix) in
  the folded name. Folding is exactly ``facade.text.fold``: case never matters; the
  Nordic letters å ä ö æ ø are letters of their own (``å`` finds only ``å``, ``a`` never
  finds ``å`` or ``ä``); every other accent is ignored (``e`` finds ``é``, ``u`` finds ``ü``).
  ``%``, ``_``, ``[``, ``'`` and every other character are plain characters. The query is
  composed (NFC) first, so ``e`` + combining diaeresis typed on a Mac is ``ë``.
- **Organisation numbers** in any format: a query of at least 6 digits made only of digits,
  blanks, ``-`` and ``+`` is compared on digits (``orgno_key``: a 12-digit form drops its
  century 16/19/20) and finds the numbers whose digits start with the query's digits
  (a whole number is an exact hit). Old rows hold free text (``556036-0793``,
  ``5560360793``, `` 556036 0793``, ``16556036-0793``): all of them are found.
- **Customer and supplier numbers**: a query made only of digits finds the equal number.
- **Phone numbers** in any format (``+46 8 123 45 67``, ``08-123 45 67``, ``0046812345 67``):
  a query that looks like a phone number (at least 6 digits) is compared on the national
  significant number (``phone_key``) and finds numbers starting with it. Companies:
  ``Phone``; persons: ``Phone`` and ``Mobile``; employees: ``Phone``.
- **E-mail**: a query containing ``@`` (and no blank) finds the addresses that contain it,
  case-insensitively (companies, persons and employees ``Email``).
- A query that is an organisation or phone number (at least 6 digits, see above) or an e-mail
  address is not looked for in names.
- Deleted rows never appear (``tblCompany.Deleted``, ``tblPerson.Deleted``); a person's
  companies shown as context leave out deleted links and deleted companies. Blank and NULL
  values never match. Employees (``tblUser``) are all found; inactive ones are marked.
- Queries shorter than 2 characters (after folding) are not searched.

**Grouping**: Companies (customers, customer-and-supplier, prospects; badges say which),
Suppliers (supplier-only companies), Private customers (``CompanyKind`` 2), Contacts
(``tblPerson``), Employees (``tblUser``) — in that order.

**Ranking** inside a group: exact hit (whole name, whole number, whole e-mail) before a name
that starts with the query (a number or e-mail that starts with it) before a name where each
query word starts a word (a word starts the name or follows a character that is not a letter
or digit: blank, ``-``, ``'``, ``_``, …), before the rest (infix); then Swedish alphabetical
order (``swedish_sort_key``), then id. A company's nick name counts as a name.

**Typeahead**: the best 8 hits over all groups (by rank, then group order), at most 4 per
group, shown grouped; the results page shows up to 50 hits per group (200 for one group).

Sources: ``tblCompany``, ``tblPerson``, ``tblCompanyPerson``, ``tblUser``, ``tblAddress``
(the city shown beside a company).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol

from .auth import require
from .errors import InvalidInput
from .i18n import N_
from .model import CRM_READ, User
from .text import (
    fold,
    fold_nfc,
    looks_like_orgno,
    looks_like_phone,
    orgno_key,
    phone_key,
    swedish_sort_key,
)

# Hit kinds = result groups, in display order.
KIND_COMPANY = "company"
KIND_SUPPLIER = "supplier"
KIND_PRIVATE = "private"
KIND_CONTACT = "contact"
KIND_EMPLOYEE = "employee"
KINDS: tuple[str, ...] = (KIND_COMPANY, KIND_SUPPLIER, KIND_PRIVATE, KIND_CONTACT, KIND_EMPLOYEE)

# Where the rows of each kind come from (the adapter's sources).
SOURCE_COMPANY = "company"
SOURCE_PERSON = "person"
SOURCE_EMPLOYEE = "employee"
_SOURCE_OF = {
    KIND_COMPANY: SOURCE_COMPANY,
    KIND_SUPPLIER: SOURCE_COMPANY,
    KIND_PRIVATE: SOURCE_COMPANY,
    KIND_CONTACT: SOURCE_PERSON,
    KIND_EMPLOYEE: SOURCE_EMPLOYEE,
}

# Ranks: lower is better.
EXACT, PREFIX, WORD_START, INFIX = 0, 1, 2, 3

MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_NUMBER_DIGITS = 9  # CustomerNo/SupplierNo are int: never bind a number that overflows
RESULTS_CANDIDATES = 500  # rows per source the results page ranks at most
TYPEAHEAD_CANDIDATES = 60  # rows per source the typeahead ranks at most
MAX_LIMIT_PER_KIND = 200

TOO_SHORT = N_("Type at least 2 characters to search.")

# Ranking folds every candidate's names and sorts the hits in Swedish order: at a real
# installation's size that is most of a search's time. The same names come back keystroke after
# keystroke, so both are memoised per worker (pure functions; ~15 MB at most).
_fold = functools.lru_cache(maxsize=50_000)(fold)
_sort_key = functools.lru_cache(maxsize=20_000)(swedish_sort_key)


# --- the port --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchCriteria:
    """What the adapter looks for; every field is already normalised by ``criteria_for``.

    ``words``: folded words (``fold``), each must be an infix of a name. ``org_key``: digits of
    an organisation number (``orgno_key``) or "". ``phone_key``: national significant number
    (``phone_key``) or "". ``number``: a customer/supplier number or None. ``email``: folded
    e-mail fragment or "". ``limit``: candidates per source; the adapter returns at most
    ``limit + 1`` rows so that the caller can tell there were more.
    """

    text: str
    words: tuple[str, ...]
    org_key: str = ""
    phone_key: str = ""
    number: int | None = None
    email: str = ""
    limit: int = RESULTS_CANDIDATES


@dataclass(frozen=True, slots=True)
class CompanyRow:
    """A live ``tblCompany`` row that may match (values as stored)."""

    company_id: int
    name: str
    nick_name: str | None
    org_no: str | None
    customer_no: int | None
    supplier_no: int | None
    company_kind: int
    is_customer: bool
    is_supplier: bool
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A live ``tblPerson`` row that may match (values as stored)."""

    person_id: int
    first_name: str | None
    last_name: str | None
    job_title: str | None
    phone: str | None
    mobile: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class EmployeeRow:
    """A ``tblUser`` row that may match; ``active`` False = may not sign in any more."""

    user_id: int
    login_name: str
    full_name: str
    title: str | None
    phone: str | None
    email: str | None
    active: bool


@dataclass(frozen=True)
class Candidates:
    """Rows the SQL prefilter found, per source (a superset of the hits; at most limit + 1 each)."""

    companies: list[CompanyRow] = field(default_factory=list)
    persons: list[PersonRow] = field(default_factory=list)
    employees: list[EmployeeRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A live company a person is linked to (live ``tblCompanyPerson`` link)."""

    company_id: int
    name: str


@dataclass(frozen=True)
class SearchContext:
    """What is shown beside hits: a company's city, a person's live companies (main contact first)."""

    cities: dict[int, str] = field(default_factory=dict)
    person_companies: dict[int, tuple[CompanyRef, ...]] = field(default_factory=dict)


class SearchQueries(Protocol):
    def find_candidates(self, criteria: SearchCriteria, sources: frozenset[str]) -> Candidates:
        """Rows of the given sources (``SOURCE_*``) that may match ``criteria``, a superset of the
        policy, without deleted rows; at most ``criteria.limit + 1`` per source, shortest names
        first. Raises ClassicUnavailable."""

    def find_context(self, company_ids: list[int], person_ids: list[int]) -> SearchContext:
        """Cities of the companies (visiting, else postal, else any address) and the live
        companies of the persons. Raises ClassicUnavailable."""


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One found record.

    ``kind``: the group (``KIND_*``); ``record``: ``company``, ``person`` or ``employee`` with
    ``id`` (CompanyID, PersonID, UserID). ``rank``: ``EXACT``..``INFIX``. ``matched_on``:
    ``name``, ``org_no``, ``customer_no``, ``supplier_no``, ``phone``, ``mobile`` or ``email``;
    ``matched_value`` the stored value that matched (None for names). Context fields are None
    where they don't apply. ``org_no`` of a private customer (a personal identity number) is
    only given when the query matched it.
    """

    kind: str
    record: str
    id: int
    title: str
    rank: int
    matched_on: str
    matched_value: str | None = None
    nick_name: str | None = None
    city: str | None = None
    customer_no: int | None = None
    supplier_no: int | None = None
    org_no: str | None = None
    is_customer: bool = False
    is_supplier: bool = False
    job_title: str | None = None
    companies: tuple[CompanyRef, ...] = ()
    employee_title: str | None = None
    login: str | None = None
    active: bool = True
    phone: str | None = None
    email: str | None = None

    @property
    def is_prospect(self) -> bool:
        """A company that is neither customer nor supplier."""
        return self.record == "company" and not self.is_customer and not self.is_supplier


@dataclass(frozen=True)
class SearchGroup:
    """The hits of one kind, best first. ``total``: hits found (a lower bound when
    ``truncated``: the prefilter found more candidates than it ranks)."""

    kind: str
    hits: tuple[SearchHit, ...]
    total: int
    truncated: bool = False

    @property
    def more(self) -> bool:
        """True when there are hits that are not shown."""
        return self.truncated or self.total > len(self.hits)


@dataclass(frozen=True)
class SearchResults:
    """The answer to a query: non-empty groups in ``KINDS`` order. ``too_short`` = not searched."""

    query: str
    too_short: bool
    groups: tuple[SearchGroup, ...] = ()
    message: str | None = None

    @property
    def total(self) -> int:
        """Hits found over all groups."""
        return sum(g.total for g in self.groups)

    def group(self, kind: str) -> SearchGroup | None:
        """The group of ``kind``, or None when it has no hits."""
        return next((g for g in self.groups if g.kind == kind), None)


# --- use cases -------------------------------------------------------------------------------


def search_everything(
    query: str,
    user: User,
    *,
    queries: SearchQueries,
    limit_per_kind: int = 50,
    kinds: list[str] | tuple[str, ...] | None = None,
) -> SearchResults:
    """Search companies, suppliers, private customers, contacts and employees (the results page, API).

    ``limit_per_kind`` (1..200) hits are returned per group; ``kinds`` restricts the groups
    (``KIND_*``; None = all). Needs CRM_READ. Raises Forbidden, InvalidInput (unknown kind,
    limit out of range), ClassicUnavailable. At most 2 calls of the port (candidates, context).
    """
    require(user, CRM_READ)
    wanted = _check_kinds(kinds)
    if not 1 <= int(limit_per_kind) <= MAX_LIMIT_PER_KIND:
        raise InvalidInput(N_("The limit must be between 1 and 200."), fields={"limit": "1..200"})
    criteria = criteria_for(query, candidate_limit=max(RESULTS_CANDIDATES, limit_per_kind))
    if criteria is None:
        return SearchResults(query=_clean(query), too_short=True, message=TOO_SHORT)
    ranked, truncated = _rank_all(criteria, wanted, queries)
    shown = _build_hits({kind: found[:limit_per_kind] for kind, found in ranked.items()}, queries)
    groups = tuple(
        SearchGroup(kind, tuple(shown[kind]), len(ranked[kind]), truncated[kind])
        for kind in KINDS
        if ranked.get(kind)
    )
    return SearchResults(query=_clean(query), too_short=False, groups=groups)


def typeahead(
    query: str, user: User, *, queries: SearchQueries, limit: int = 8, per_kind: int = 4
) -> SearchResults:
    """The best ``limit`` hits over all groups for the top-menu typeahead, at most ``per_kind`` each.

    Chosen by rank (then group order, then position in the group) and returned grouped in
    ``KINDS`` order with their context. ``total`` of a group counts every hit found so the
    menu can offer "all results". Needs CRM_READ. Raises Forbidden, ClassicUnavailable.
    """
    require(user, CRM_READ)
    criteria = criteria_for(query, candidate_limit=TYPEAHEAD_CANDIDATES)
    if criteria is None:
        return SearchResults(query=_clean(query), too_short=True, message=TOO_SHORT)
    ranked, truncated = _rank_all(criteria, KINDS, queries)
    pool = [
        (found[0], KINDS.index(kind), pos, found)
        for kind, kind_found in ranked.items()
        for pos, found in enumerate(kind_found[:per_kind])
    ]
    chosen = sorted(pool, key=lambda t: t[:3])[:limit]
    picked: dict[str, list[_Found]] = {kind: [] for kind in KINDS}
    for _rank, kind_index, _pos, found in sorted(chosen, key=lambda t: (t[1], t[2])):
        picked[KINDS[kind_index]].append(found)
    hits = _build_hits(picked, queries)
    groups = tuple(
        SearchGroup(kind, tuple(hits[kind]), len(ranked[kind]), truncated[kind])
        for kind in KINDS
        if hits.get(kind)
    )
    return SearchResults(query=_clean(query), too_short=False, groups=groups)


# --- the policy ------------------------------------------------------------------------------


def _clean(query: str | None) -> str:
    return (query or "").strip()[:MAX_QUERY_CHARS]


def criteria_for(query: str | None, *, candidate_limit: int = RESULTS_CANDIDATES) -> SearchCriteria | None:
    """The normalised criteria of ``query``, or None when it is too short to search (< 2 chars)."""
    raw = _clean(query)
    text = fold_nfc(raw)
    if len(text) < MIN_QUERY_CHARS:
        return None
    words = tuple(dict.fromkeys(w for w in text.split(" ") if w))[:MAX_WORDS]
    compact = raw.replace(" ", "")
    number = None
    if compact and len(compact) <= MAX_NUMBER_DIGITS and all("0" <= ch <= "9" for ch in compact):
        number = int(compact)
    email = text if "@" in text and " " not in text else ""
    org = orgno_key(raw) if looks_like_orgno(raw) else ""
    phone = phone_key(raw) if looks_like_phone(raw) else ""
    if org or phone or email:
        words = ()  # a number or an address is not looked for in names
    return SearchCriteria(
        text=text, words=words, org_key=org, phone_key=phone, number=number, email=email, limit=candidate_limit
    )


def _word_starts(haystack: str, word: str) -> bool:
    """True when ``word`` occurs at the start of a word of ``haystack`` (after a non-alphanumeric)."""
    start = haystack.find(word)
    while start >= 0:
        if start == 0 or not haystack[start - 1].isalnum():
            return True
        start = haystack.find(word, start + 1)
    return False


def name_rank(names: list[str], criteria: SearchCriteria) -> int | None:
    """Rank of the best of ``names`` (already folded), or None when not every word occurs in one.

    Every word must be an infix of at least one of ``names``. Exact (a name equals the query)
    → EXACT; a name starts with the query → PREFIX; every word starts a word of one name →
    WORD_START; else INFIX.
    """
    words = criteria.words
    if len(words) == 1 and words[0] == criteria.text:
        return _one_word_rank(names, words[0])
    names = [n for n in names if n]
    if not names or not words:
        return None
    if not all(any(w in n for n in names) for w in words):
        return None
    best = INFIX
    for n in names:
        if n == criteria.text:
            return EXACT
        if n.startswith(criteria.text):
            best = min(best, PREFIX)
        elif all(_word_starts(n, w) for w in criteria.words):
            best = min(best, WORD_START)
    return best


def _one_word_rank(names: list[str], word: str) -> int | None:
    """``name_rank`` of a one-word query (the query is ``word``): the same answer in one pass over
    each name (most queries are one word, and a results page ranks up to 1 000 candidates)."""
    best = None
    for n in names:
        start = n.find(word)
        if start < 0:
            continue
        if start == 0:
            if len(n) == len(word):
                return EXACT
            best = PREFIX
        elif best is None or best > WORD_START:
            while start >= 0:
                if not n[start - 1].isalnum():
                    best = WORD_START
                    break
                start = n.find(word, start + 1)
            else:
                if best is None:
                    best = INFIX
    return best


def _prefix_rank(stored_key: str, wanted: str) -> int | None:
    if not stored_key or not wanted or not stored_key.startswith(wanted):
        return None
    return EXACT if stored_key == wanted else PREFIX


def _email_rank(stored: str | None, wanted: str) -> int | None:
    value = _fold(stored)
    if not value or not wanted or wanted not in value:
        return None
    return EXACT if value == wanted else PREFIX if value.startswith(wanted) else INFIX


Match = tuple[int, str, str | None]  # (rank, matched_on, matched_value)


def _best(matches: list[Match | None]) -> Match | None:
    """The best match; on equal rank the first listed (names are listed first)."""
    best: Match | None = None
    for m in matches:
        if m is not None and (best is None or m[0] < best[0]):
            best = m
    return best


def _phone_match(value: str | None, criteria: SearchCriteria, field_name: str) -> Match | None:
    if not criteria.phone_key:
        return None
    r = _prefix_rank(phone_key(value), criteria.phone_key)
    return None if r is None else (r, field_name, (value or "").strip())


def _email_match(value: str | None, criteria: SearchCriteria) -> Match | None:
    r = _email_rank(value, criteria.email)
    return None if r is None else (r, "email", (value or "").strip())


def _strip(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _company_match(row: CompanyRow, criteria: SearchCriteria) -> tuple[Match, str] | None:
    """(best match, kind) of a company row, or None when it does not match."""
    r = name_rank([_fold(row.name), _fold(row.nick_name)], criteria) if criteria.words else None
    matches: list[Match | None] = [None if r is None else (r, "name", None)]
    if criteria.number is not None:
        if row.customer_no == criteria.number:
            matches.append((EXACT, "customer_no", str(row.customer_no)))
        if row.supplier_no == criteria.number:
            matches.append((EXACT, "supplier_no", str(row.supplier_no)))
    if criteria.org_key:
        ro = _prefix_rank(orgno_key(row.org_no), criteria.org_key)
        if ro is not None:
            matches.append((ro, "org_no", (row.org_no or "").strip()))
    if criteria.phone_key:
        matches.append(_phone_match(row.phone, criteria, "phone"))
    if criteria.email:
        matches.append(_email_match(row.email, criteria))
    best = _best(matches)
    if best is None:
        return None
    if row.company_kind == 2:
        kind = KIND_PRIVATE
    elif row.is_supplier and not row.is_customer:
        kind = KIND_SUPPLIER
    else:
        kind = KIND_COMPANY
    return best, kind


def _company_hit(row: CompanyRow, best: Match, kind: str, city: str | None = None) -> SearchHit:
    org_no = _strip(row.org_no)
    if kind == KIND_PRIVATE and best[1] != "org_no":
        org_no = None  # a personal identity number: shown only to whoever typed it
    return SearchHit(
        kind=kind,
        record="company",
        id=row.company_id,
        title=(row.name or "").strip(),
        rank=best[0],
        matched_on=best[1],
        matched_value=best[2],
        nick_name=_strip(row.nick_name),
        city=city,
        customer_no=row.customer_no,
        supplier_no=row.supplier_no,
        org_no=org_no,
        is_customer=bool(row.is_customer),
        is_supplier=bool(row.is_supplier),
        phone=_strip(row.phone),
        email=_strip(row.email),
    )


def person_name(first: str | None, last: str | None) -> str:
    """``First Last`` as shown (blanks trimmed, missing parts left out)."""
    return " ".join(p.strip() for p in (first, last) if p and p.strip())


def _person_match(row: PersonRow, criteria: SearchCriteria, title: str) -> Match | None:
    """The best match of a person row (``title``: ``person_name`` of it), or None."""
    if criteria.words:
        r = name_rank([_fold(title), _fold(person_name(row.last_name, row.first_name))], criteria)
        name = None if r is None else (r, "name", None)
    else:
        name = None
    if not (criteria.phone_key or criteria.email):
        return name
    return _best([
        name,
        _phone_match(row.phone, criteria, "phone"),
        _phone_match(row.mobile, criteria, "mobile"),
        _email_match(row.email, criteria),
    ])


def _person_hit(row: PersonRow, best: Match, title: str,
                companies: tuple[CompanyRef, ...] = ()) -> SearchHit:
    return SearchHit(
        kind=KIND_CONTACT,
        record="person",
        id=row.person_id,
        title=title,
        rank=best[0],
        matched_on=best[1],
        matched_value=best[2],
        job_title=_strip(row.job_title),
        companies=companies,
        phone=_strip(row.phone) or _strip(row.mobile),
        email=_strip(row.email),
    )


def _employee_match(row: EmployeeRow, criteria: SearchCriteria) -> Match | None:
    r = name_rank([_fold(row.full_name), _fold(row.login_name)], criteria) if criteria.words else None
    return _best([
        None if r is None else (r, "name", None),
        _phone_match(row.phone, criteria, "phone"),
        _email_match(row.email, criteria),
    ])


def _employee_hit(row: EmployeeRow, best: Match) -> SearchHit:
    return SearchHit(
        kind=KIND_EMPLOYEE,
        record="employee",
        id=row.user_id,
        title=(row.full_name or "").strip(),
        rank=best[0],
        matched_on=best[1],
        matched_value=best[2],
        employee_title=_strip(row.title),
        login=_strip(row.login_name),
        active=bool(row.active),
        phone=_strip(row.phone),
        email=_strip(row.email),
    )


def hit_order(hit: SearchHit) -> tuple:
    """Best first: rank, then Swedish alphabetical order of the title, then id."""
    return (hit.rank, _sort_key(hit.title), hit.id)


def _check_kinds(kinds) -> tuple[str, ...]:
    if not kinds:
        return KINDS
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidInput(N_("Unknown kind of search hit."), fields={"kind": ", ".join(KINDS)})
    return tuple(k for k in KINDS if k in kinds)


# A ranked candidate: (rank, Swedish sort key of the title, id, kind, row, best match, title). The
# first three are ``hit_order`` and unique inside a kind, so tuples sort by them alone. The hit itself
# is only built for what is shown (``_build_hits``): a results page ranks up to 1 000 candidates.
_Found = tuple


def _rank_all(
    criteria: SearchCriteria, kinds: tuple[str, ...], queries: SearchQueries
) -> tuple[dict[str, list[_Found]], dict[str, bool]]:
    """Candidates from the port → matches per kind (only ``kinds``), best first (``hit_order``);
    truncation per kind."""
    sources = frozenset(_SOURCE_OF[k] for k in kinds)
    found = queries.find_candidates(criteria, sources)
    limit = criteria.limit
    cut = {
        SOURCE_COMPANY: len(found.companies) > limit,
        SOURCE_PERSON: len(found.persons) > limit,
        SOURCE_EMPLOYEE: len(found.employees) > limit,
    }
    ranked: dict[str, list[_Found]] = {k: [] for k in kinds}
    sort_key = _sort_key
    for row in found.companies[:limit]:
        m = _company_match(row, criteria)
        if m is not None and m[1] in ranked:
            title = (row.name or "").strip()
            ranked[m[1]].append((m[0][0], sort_key(title), row.company_id, m[1], row, m[0], title))
    if KIND_CONTACT in ranked:
        out = ranked[KIND_CONTACT]
        for row in found.persons[:limit]:
            title = person_name(row.first_name, row.last_name)
            best = _person_match(row, criteria, title)
            if best is not None:
                out.append((best[0], sort_key(title), row.person_id, KIND_CONTACT, row, best, title))
    if KIND_EMPLOYEE in ranked:
        out = ranked[KIND_EMPLOYEE]
        for row in found.employees[:limit]:
            best = _employee_match(row, criteria)
            if best is not None:
                title = (row.full_name or "").strip()
                out.append((best[0], sort_key(title), row.user_id, KIND_EMPLOYEE, row, best, title))
    for kind_found in ranked.values():
        kind_found.sort(key=_order)
    truncated = {k: cut[_SOURCE_OF[k]] for k in kinds}
    return ranked, truncated


def _order(found: _Found) -> tuple:
    return found[:3]


def _build_hits(shown: dict[str, list[_Found]], queries: SearchQueries) -> dict[str, list[SearchHit]]:
    """The hits of the shown candidates, with the city of companies and the companies of persons
    (one port call)."""
    company_ids = [f[2] for found in shown.values() for f in found if f[3] in _COMPANY_KINDS]
    person_ids = [f[2] for found in shown.values() for f in found if f[3] == KIND_CONTACT]
    ctx = queries.find_context(company_ids, person_ids) if company_ids or person_ids else SearchContext()
    out: dict[str, list[SearchHit]] = {}
    for kind, found in shown.items():
        if kind in _COMPANY_KINDS:
            out[kind] = [_company_hit(f[4], f[5], kind, ctx.cities.get(f[2])) for f in found]
        elif kind == KIND_CONTACT:
            out[kind] = [_person_hit(f[4], f[5], f[6], ctx.person_companies.get(f[2], ())) for f in found]
        else:
            out[kind] = [_employee_hit(f[4], f[5]) for f in found]
    return out


_COMPANY_KINDS = frozenset({KIND_COMPANY, KIND_SUPPLIER, KIND_PRIVATE})
