"""CSV export of the lists (card tabs, global search) in the shape Excel with Swedish settings opens.

The file: UTF-8 with a byte-order mark (else Excel reads it as Windows-1252), ``;`` between cells
(Swedish Excel's list separator, since ``,`` is its decimal comma), CRLF after every row, a header row
of translated column names. Cells:

* numbers (int, Decimal, float) with a decimal comma and no thousands separator (``-1234,50``);
  money columns always with 2 decimals, rounded half-up;
* dates ISO (``2025-06-16``), datetimes ``2025-06-16 14:30`` (classic local time, as stored);
* booleans as the given yes/no words; None as an empty cell;
* text as typed, line breaks inside a cell as LF (the cell is quoted), and *formula injection*
  neutralised: a text cell that begins (also after blanks) with ``=``, ``+``, ``-``, ``@``, a tab,
  CR or LF (or their full-width forms) gets a leading ``'`` so that Excel/LibreOffice show it as
  text instead of running it. Genuine numbers are never touched (``-2`` as a number stays ``-2``).

An export reads the list through the same use case as the page (same rights, filters, sort and
soft deletes) in pages of ``EXPORT_CHUNK`` rows, at most ``MAX_EXPORT_ROWS``: the first page is read
at once so that errors (Forbidden, NotFound, InvalidInput, a too long list) come before any byte
is sent, the rest while the response is streamed. Pure Python: no Flask, no SQL.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from .errors import InvalidInput
from .i18n import N_
from .model import round_money
from .paging import Page, PageRequest
from .periods import local_now
from .ports import Clock, InstallationRepository

T = TypeVar("T")
Cell = str | int | float | Decimal | date | datetime | bool | None

MAX_EXPORT_ROWS = 50_000
EXPORT_CHUNK = 1_000
BOM = "\ufeff"
DELIMITER = ";"
LINE_END = "\r\n"
#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"),
#: with the full-width forms some spreadsheet versions normalise to them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TOO_MANY_ROWS = N_("The list is too long to export (more than 50 000 rows). Narrow it with the filters first.")
_FLUSH_CHARS = 32 * 1024
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of an export: its (already translated) ``header`` and the ``value`` of a row.

    ``money``: the value is an amount shown with exactly 2 decimals (half-up).
    """

    header: str
    value: Callable[[T], Cell]
    money: bool = False


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would take it for a formula (see module doc)."""
    stripped = text.lstrip(" \u00a0")
    if stripped[:1] in FORMULA_STARTS or text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def format_decimal(value: Decimal, *, money: bool = False) -> str:
    """``Decimal('-1234.5')`` → ``-1234,5`` (``-1234,50`` as money); no exponent, no thousands separator."""
    if not value.is_finite():
        return ""
    if money:
        value = round_money(value)
    text = format(value, "f")
    if text.startswith("-") and value == 0:
        text = text[1:]  # "-0,00" reads as a formula-looking oddity; zero has no sign
    return text.replace(".", ",")


def format_cell(value: Cell, *, money: bool = False, yes_no: tuple[str, str] = ("Yes", "No")) -> str:
    """One cell's text for Swedish Excel (see the module docstring for every type's form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, int):
        return format_decimal(Decimal(value), money=money) if money else str(value)
    if isinstance(value, float):
        return format_decimal(Decimal(repr(value)), money=money)
    if isinstance(value, Decimal):
        return format_decimal(value, money=money)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return neutralise(text)


def to_excel_csv(rows: Iterable[T], columns: Iterable[Column[T]], *,
                 yes_no: tuple[str, str] = ("Yes", "No")) -> Iterator[str]:
    """The CSV text of ``rows`` in chunks (str; encode as UTF-8): BOM and header row first.

    ``yes_no``: the words for True/False (translated by the caller). Lazy: ``rows`` are consumed as
    the chunks are taken, so a streamed response never holds the whole list.
    """
    cols = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, quotechar='"', quoting=csv.QUOTE_MINIMAL,
                        lineterminator=LINE_END)
    writer.writerow([neutralise(c.header) for c in cols])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([format_cell(c.value(row), money=c.money, yes_no=yes_no) for c in cols])
        if buffer.tell() >= _FLUSH_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def first_request(req: PageRequest) -> PageRequest:
    """The first export page of a list in ``req``'s sort order (the page's own page size is ignored)."""
    return PageRequest(1, EXPORT_CHUNK, req.sort, req.descending)


def all_rows(first: Page[T], fetch: Callable[[PageRequest], Page[T]], *,
             limit: int | None = None) -> Iterator[T]:
    """Every row of a list: ``first`` (read with ``first_request``) and the following pages by ``fetch``.

    Raises InvalidInput(TOO_MANY_ROWS) at once when the list holds more than ``limit`` rows (default
    ``MAX_EXPORT_ROWS``). Later
    pages are read lazily; the lists' total order (sort key, then id) means no row repeats or goes
    missing between pages unless the list changes meanwhile. A list that shrank under the export
    (the adapter moves a page past the end back to the last page) ends the export there.
    """
    limit = MAX_EXPORT_ROWS if limit is None else limit
    if first.total > limit:
        raise InvalidInput(TOO_MANY_ROWS)
    return _rows(first, fetch, limit)


def _rows(first: Page[T], fetch: Callable[[PageRequest], Page[T]], limit: int) -> Iterator[T]:
    page, sent = first, 0
    req = PageRequest(first.page, first.per_page, first.sort, first.descending)
    while True:
        for item in page.items:
            if sent >= limit:
                return
            sent += 1
            yield item
        if not page.has_next or len(page.items) < page.per_page:
            return
        req = req.with_page(page.page + 1)
        page = fetch(req)
        if page.page != req.page:
            return


def export_day(*, clock: Clock, installation: InstallationRepository) -> date:
    """Today in the installation's time zone (``tblSetting`` TimeZone): the date in file names."""
    return local_now(clock, installation.get().time_zone).date()


def export_file_name(list_name: str, subject: str | None, day: date) -> str:
    """``<list>-<subject>-<YYYY-MM-DD>.csv``, e.g. ``kontakter-Testbolaget Aktiebolag-2025-06-16.csv``.

    ``subject`` (a company name, a search query) keeps its letters (Unicode, for ``filename*``);
    characters file systems refuse (``/\\:*?"<>|``, control characters) become ``_``, blanks are
    collapsed, the subject is cut at 80 characters. A blank subject is left out.
    """
    def clean(text: str, size: int) -> str:
        text = unicodedata.normalize("NFC", text or "")
        text = _UNSAFE_IN_FILE_NAME.sub("_", text)
        return " ".join(text.split())[:size].strip(" .")

    parts = [clean(list_name, 40) or "export", clean(subject or "", 80), day.isoformat()]
    return "-".join(p for p in parts if p) + ".csv"
