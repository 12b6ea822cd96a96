"""The classic file store: a document's bytes live at ``<root>/<StorageKey>`` (forward slashes).

``StorageKey`` comes from the classic database, so it is not trusted: an absolute path, a drive
letter, a ``..`` segment, a backslash, a NUL, or a path that resolves (symlinks followed) outside
the root is refused and never opened. Files are read in chunks, never wholly into memory.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from facade.documents import FILE_KEY_REJECTED, FILE_MISSING, StoredFile
from facade.errors import NotFound

log = logging.getLogger("crm_lite")

CHUNK = 64 * 1024


class LocalFileStore:
    """``FileStore`` over a local (or mounted) directory."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _reject(self, key: str, why: str) -> NotFound:
        log.warning("file store: refused StorageKey %r (%s)", key, why)
        return NotFound(FILE_KEY_REJECTED, reason="storage_key_rejected")

    def resolve(self, storage_key: str) -> Path:
        """The real path of ``storage_key`` inside the root.

        Raises NotFound(FILE_KEY_REJECTED) for keys that are not plain relative paths or that
        resolve outside the root; NotFound(FILE_MISSING) when nothing (or no regular file) is there.
        """
        key = storage_key or ""
        if not key.strip():
            raise self._reject(key, "empty")
        if "\x00" in key or "\\" in key:
            raise self._reject(key, "NUL or backslash")
        if key.startswith("/") or (len(key) > 1 and key[1] == ":") or os.path.isabs(key):
            raise self._reject(key, "absolute")
        parts = key.split("/")
        if any(p in ("..", ".") for p in parts) or any(not p for p in parts):
            raise self._reject(key, "dot or empty segment")
        root = Path(self.root).resolve()
        candidate = root.joinpath(*parts)
        try:
            real = candidate.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(FILE_MISSING, reason="file_missing") from None
        except (OSError, RuntimeError):  # symlink loops and the like
            raise self._reject(key, "unresolvable") from None
        if not real.is_relative_to(root):
            raise self._reject(key, "outside the root")
        return real

    def open(self, storage_key: str) -> StoredFile:
        """Open the file of ``storage_key``; its size and a chunk iterator that closes the file at the end."""
        real = self.resolve(storage_key)
        try:
            handle = open(real, "rb")  # noqa: SIM115 - closed by the iterator
        except FileNotFoundError:
            raise NotFound(FILE_MISSING, reason="file_missing") from None
        except IsADirectoryError:
            raise NotFound(FILE_MISSING, reason="file_missing") from None
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            handle.close()
            raise NotFound(FILE_MISSING, reason="file_missing")
        return StoredFile(info.st_size, FileChunks(handle))


class FileChunks(Iterator[bytes]):
    """The file's bytes in chunks of 64 KiB; closes the file at the end or on ``close()``.

    (WSGI servers call ``close()`` on the response body, also when the client went away.)
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def __iter__(self) -> FileChunks:
        return self

    def __next__(self) -> bytes:
        if self._handle.closed:
            raise StopIteration
        block = self._handle.read(CHUNK)
        if not block:
            self._handle.close()
            raise StopIteration
        return block

    def close(self) -> None:
        self._handle.close()
