"""The documents tab (the file area's folder tree and files) and document downloads.

Source: ``tblDocument`` (``FolderPath``, ``FileName``, ``ContentType``, ``ByteSize``,
``StorageKey``, ``UploadedAt``/``UploadedBy`` → ``tblUser``) and the classic file store: the bytes
of a document live at ``<file-store root>/<StorageKey>``.

Visibility: live documents (``Deleted = 0``); on a company card those with its ``CompanyID``; on a
contact card those with its ``PersonID`` whose company, when they name one, is live. A download
needs CRM_READ and a document shown on some live card (its company is live, or it has no company
and its person is live).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .auth import require
from .errors import NotFound
from .i18n import N_
from .model import CRM_READ, User
from .paging import Page, PageRequest, SortOption
from .tabs import Card, CardHeaderQueries, CardOwner, open_card
from .text import swedish_sort_key

DOCUMENT_SORTS = (
    SortOption("uploaded", N_("Uploaded"), descending=True),
    SortOption("name", N_("Name")),
    SortOption("type", N_("Type")),
    SortOption("size", N_("Size"), descending=True),
    SortOption("folder", N_("Folder")),
)
DOCUMENT_DEFAULT_SORT = "uploaded"
DOCUMENT_NOT_FOUND = N_("The document does not exist or has been deleted.")
FILE_MISSING = N_("The file of this document is missing from the file store. Ask your administrator.")
FILE_KEY_REJECTED = N_("The file of this document has an invalid storage path and was not sent. "
                       "Ask your administrator.")
FALLBACK_TYPE = "application/octet-stream"
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")


@dataclass(frozen=True)
class DocumentRow:
    """A file in the list. ``file_name`` is the last segment of the uploaded name; size in bytes."""

    document_id: int
    folder: str
    file_name: str
    original_name: str
    content_type: str | None
    byte_size: int | None
    uploaded_at: datetime | None
    uploaded_by: str | None


@dataclass(frozen=True)
class Folder:
    """A node of the folder tree: ``path`` (``/Offerter/2025``), ``name`` (``2025``), ``depth`` (1 = top),
    ``own`` files directly in it and ``total`` files in it and below."""

    path: str
    name: str
    depth: int
    own: int
    total: int


@dataclass(frozen=True)
class DocumentsTab:
    card: Card
    folders: tuple[Folder, ...]
    folder: str | None  # the chosen folder (None: every folder)
    total_files: int
    page: Page[DocumentRow]


@dataclass(frozen=True)
class StoredDocument:
    """What a download needs of a ``tblDocument`` row."""

    document_id: int
    file_name: str
    content_type: str | None
    storage_key: str


@dataclass(frozen=True)
class StoredFile:
    """An open file of the file store: ``size`` in bytes and its content in ``chunks``."""

    size: int
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class Download:
    """A document ready to send: display name (Unicode), ASCII fallback name, content type, bytes."""

    document_id: int
    file_name: str
    ascii_name: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


class FileStore(Protocol):
    def open(self, storage_key: str) -> StoredFile:
        """Open ``<root>/<storage_key>`` for reading in chunks.

        Raises NotFound(FILE_KEY_REJECTED) when the key is absolute, has ``..``, backslashes or
        resolves (symlinks included) outside the root; NotFound(FILE_MISSING) when there is no file.
        """


class DocumentQueries(Protocol):
    def folder_counts(self, owner: CardOwner) -> list[tuple[str, int]]:
        """``(FolderPath, number of live documents)`` of the owner, each folder once."""

    def list_documents(self, owner: CardOwner, folders: Sequence[str] | None, req: PageRequest) -> Page[DocumentRow]:
        """One page of the owner's live documents whose stored ``FolderPath`` is one of ``folders``
        (None: every folder).

        Sort keys: ``uploaded``, ``name``, ``type``, ``size``, ``folder``; ties broken by ``DocumentID``.
        """

    def document_for_download(self, document_id: int) -> StoredDocument | None:
        """The live document when it is shown on some live card, else None."""

    def open_file(self, storage_key: str) -> StoredFile:
        """The bytes of ``storage_key`` from the file store (see FileStore.open)."""


def last_segment(file_name: str | None) -> str:
    """The file's own name: IE sent whole client paths (``C:\\Documents and Settings\\…\\x.doc``)."""
    name = (file_name or "").replace("\\", "/").rstrip("/")
    name = name.rsplit("/", 1)[-1].strip()
    return name or "file"


def ascii_file_name(name: str) -> str:
    """An ASCII stand-in for ``name`` for the plain ``filename=`` parameter (RFC 6266).

    Accents are dropped (``Göteborg`` → ``Goteborg``), other non-ASCII characters, quotes,
    backslashes, control characters and path separators become ``_``.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        if ch in "\u2013\u2014":
            out.append("-")
        elif " " <= ch <= "~" and ch not in '"\\/;%':
            out.append(ch)
        else:
            out.append("_")
    text = "".join(out).strip() or "file"
    return text[:200]


def safe_content_type(content_type: str | None) -> str:
    """The stored ``ContentType`` when it is a plain ``type/subtype`` token, else octet-stream."""
    value = (content_type or "").strip().lower()
    return value if _MIME.match(value) else FALLBACK_TYPE


def folder_tree(counts: list[tuple[str, int]]) -> tuple[Folder, ...]:
    """The folder tree (depth-first, Swedish name order) from ``(FolderPath, count)`` pairs.

    Every ancestor of a folder is a node too, even when it holds no file itself; the root ``/`` is
    not a node (it is "every folder"). Paths are normalised: one leading ``/``, no trailing ``/``.
    """
    own: dict[tuple[str, ...], int] = {}
    for path, n in counts:
        parts = tuple(p.strip() for p in (path or "/").split("/") if p.strip())
        for i in range(1, len(parts) + 1):
            own.setdefault(parts[:i], 0)
        if parts:
            own[parts] += n
    totals: dict[tuple[str, ...], int] = {}
    for parts, n in own.items():
        for i in range(1, len(parts) + 1):
            totals[parts[:i]] = totals.get(parts[:i], 0) + n
    ordered = sorted(own, key=lambda parts: [swedish_sort_key(p) for p in parts])
    return tuple(Folder("/" + "/".join(p), p[-1], len(p), own[p], totals[p]) for p in ordered)


def normalise_folder(folder: str | None) -> str | None:
    """A folder filter from user input: ``/A/B``; blank or ``/`` → None (every folder)."""
    parts = [p.strip() for p in (folder or "").split("/") if p.strip()]
    return "/" + "/".join(parts) if parts else None


def in_folder(path: str | None, folder: str) -> bool:
    """True when stored ``path`` is ``folder`` (normalised) or below it."""
    norm = normalise_folder(path) or "/"
    return norm == folder or norm.startswith(folder.rstrip("/") + "/")


def documents_tab(user: User, owner: CardOwner, folder: str | None, req: PageRequest, *,
                  documents: DocumentQueries, headers: CardHeaderQueries) -> DocumentsTab:
    """The documents tab: the owner's folder tree and one page of files in ``folder`` and below.

    Needs CRM_READ. Raises Forbidden, NotFound (unknown or soft-deleted owner), ClassicUnavailable.
    """
    card = open_card(user, owner, "documents", headers=headers)
    counts = documents.folder_counts(owner)
    chosen = normalise_folder(folder)
    # The folder and its subfolders, matched on the stored paths so that odd spellings
    # ("/Avtal/", " /Avtal") are found under the folder they mean.
    stored = None if chosen is None else [p for p, _n in counts if in_folder(p, chosen)]
    page = documents.list_documents(owner, stored, req)
    return DocumentsTab(card, folder_tree(counts), chosen, sum(n for _p, n in counts), page)


def download_document(user: User, document_id: int, *, documents: DocumentQueries) -> Download:
    """A live, visible document's bytes with its display name and a safe content type.

    Needs CRM_READ. Raises Forbidden, NotFound (document unknown, deleted or of a deleted owner;
    its file missing; its StorageKey outside the file store), ClassicUnavailable.
    """
    require(user, CRM_READ)
    doc = documents.document_for_download(document_id)
    if doc is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    stored = documents.open_file(doc.storage_key)
    name = last_segment(doc.file_name)
    return Download(doc.document_id, name, ascii_file_name(name), safe_content_type(doc.content_type),
                    stored.size, stored.chunks)
