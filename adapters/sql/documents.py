"""The documents tab and document downloads.

Tables: ``tblDocument`` (``Deleted``, ``FolderPath``, ``FileName``, ``ContentType``, ``ByteSize``,
``StorageKey``, ``UploadedAt``, ``UploadedBy``), ``tblUser`` (uploader's name), ``tblCompany`` and
``tblPerson`` (``Deleted``). The bytes come from the file store (``adapters.files.LocalFileStore``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, and_, func, or_, select

from facade.documents import DocumentRow, FileStore, StoredDocument, StoredFile, last_segment
from facade.paging import Page, PageRequest
from facade.tabs import COMPANY, CardOwner

from .engine import classic_connection
from .paging import DESC, SortPart, blank_last, fetch_page, live_companies, live_persons, null_last, text_key
from .tables import tblCompany, tblDocument, tblPerson, tblUser

_d, _u = tblDocument, tblUser
SORTS = {
    "uploaded": [SortPart(_d.c.UploadedAt)],
    "name": [SortPart(text_key(_d.c.FileName))],
    "type": [blank_last(_d.c.ContentType), SortPart(text_key(_d.c.ContentType)), SortPart(text_key(_d.c.FileName),
                                                                                           "asc")],
    "size": [null_last(_d.c.ByteSize), SortPart(_d.c.ByteSize)],
    "folder": [SortPart(text_key(_d.c.FolderPath)), SortPart(_d.c.UploadedAt, DESC)],
}


def _owned(owner: CardOwner):
    """The live documents shown on ``owner``'s card."""
    if owner.kind == COMPANY:
        return and_(_d.c.Deleted == 0, _d.c.CompanyID == owner.owner_id)
    return and_(_d.c.Deleted == 0, _d.c.PersonID == owner.owner_id,
                or_(_d.c.CompanyID.is_(None), _d.c.CompanyID.in_(live_companies(tblCompany))))


class SqlDocumentQueries:
    """``DocumentQueries`` over ``tblDocument`` and the file store ``files``."""

    def __init__(self, engine: Engine, files: FileStore) -> None:
        self.engine = engine
        self.files = files

    def folder_counts(self, owner: CardOwner) -> list[tuple[str, int]]:
        """``(FolderPath, live documents)`` of the owner, each stored folder path once."""
        q = select(_d.c.FolderPath, func.count()).where(_owned(owner)).group_by(_d.c.FolderPath)
        with classic_connection(self.engine) as conn:
            return [(path or "/", int(n)) for path, n in conn.execute(q).all()]

    def list_documents(self, owner: CardOwner, folders: Sequence[str] | None, req: PageRequest) -> Page[DocumentRow]:
        """One page of the owner's live documents whose ``FolderPath`` is one of ``folders`` (None: all)."""
        q = (
            select(_d.c.DocumentID, _d.c.FolderPath, _d.c.FileName, _d.c.ContentType, _d.c.ByteSize,
                   _d.c.UploadedAt, _u.c.FullName)
            .select_from(_d.outerjoin(_u, _u.c.UserID == _d.c.UploadedBy))
            .where(_owned(owner))
        )
        if folders is not None:
            q = q.where(_d.c.FolderPath.in_(list(folders)))
        with classic_connection(self.engine) as conn:
            return fetch_page(conn, q, SORTS, req, _d.c.DocumentID, _to_row)

    def document_for_download(self, document_id: int) -> StoredDocument | None:
        """The live document when its company is live, or it has no company and its person is live."""
        q = select(_d.c.DocumentID, _d.c.FileName, _d.c.ContentType, _d.c.StorageKey).where(
            _d.c.DocumentID == document_id,
            _d.c.Deleted == 0,
            or_(_d.c.CompanyID.in_(live_companies(tblCompany)),
                and_(_d.c.CompanyID.is_(None), _d.c.PersonID.in_(live_persons(tblPerson)))),
        )
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        return StoredDocument(r.DocumentID, r.FileName or "", r.ContentType, r.StorageKey or "")

    def open_file(self, storage_key: str) -> StoredFile:
        """The bytes of ``storage_key`` from the file store (NotFound when refused or missing)."""
        return self.files.open(storage_key)


def _to_row(r) -> DocumentRow:
    return DocumentRow(r.DocumentID, r.FolderPath or "/", last_segment(r.FileName), r.FileName or "",
                       (r.ContentType or "").strip() or None, r.ByteSize, r.UploadedAt, r.FullName)
