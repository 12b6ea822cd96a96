"""The classic file store: a StorageKey never reaches outside the root; missing files give a clear
error. Unit tests of LocalFileStore and the download route on a COPY of the kit database whose
StorageKeys were tampered with."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest
import sqlalchemy as sa

from adapters.files import LocalFileStore
from facade.documents import FILE_KEY_REJECTED, FILE_MISSING, ascii_file_name, last_segment, safe_content_type
from facade.errors import NotFound

from .conftest import make_app, sign_in

SECRET = b"TOP SECRET - outside the file store\n"


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "files"
    (root / "2025" / "06").mkdir(parents=True)
    (root / "2025" / "06" / "a.bin").write_bytes(b"hello" * 30000)
    (root / "dir.bin").mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_bytes(SECRET)
    os.symlink(outside, root / "escape.bin")
    os.symlink(tmp_path, root / "up")
    os.symlink(root / "2025" / "06" / "a.bin", root / "inside-link.bin")
    return LocalFileStore(str(root))


def _read(stored) -> bytes:
    return b"".join(stored.chunks)


def test_a_plain_key_is_read_in_chunks(store):
    stored = store.open("2025/06/a.bin")
    assert stored.size == 150000
    chunks = list(stored.chunks)
    assert len(chunks) > 1 and b"".join(chunks) == b"hello" * 30000


@pytest.mark.parametrize("key", [
    "../secret.txt", "../../etc/passwd", "2025/../../secret.txt", "2025/06/../../../secret.txt",
    "/etc/passwd", "//etc/passwd", "C:/Windows/win.ini", "c:secret.txt", "..\\secret.txt", "2025\\06\\a.bin",
    "2025/06/a.bin\x00.txt", "", "   ", "./2025/06/a.bin", "2025//06/a.bin", "escape.bin", "up/secret.txt",
])
def test_keys_that_leave_the_root_are_refused(store, key):
    with pytest.raises(NotFound) as err:
        store.open(key)
    assert err.value.message == FILE_KEY_REJECTED


def test_a_symlink_that_stays_inside_the_root_is_allowed(store):
    assert _read(store.open("inside-link.bin")) == b"hello" * 30000


@pytest.mark.parametrize("key", ["2025/06/missing.bin", "nowhere/x.bin", "dir.bin", "2025/06/a.bin/x"])
def test_missing_file_is_a_clear_not_found(store, key):
    with pytest.raises(NotFound) as err:
        store.open(key)
    assert err.value.message == FILE_MISSING


def test_file_name_helpers():
    assert last_segment(r"C:\Documents and Settings\anna\Skrivbord\Avtal 2009.doc") == "Avtal 2009.doc"
    assert last_segment("a/b/c.txt") == "c.txt" and last_segment("") == "file"
    assert ascii_file_name("Offert Göteborg – vår 2025.pdf") == "Offert Goteborg - var 2025.pdf"
    assert ascii_file_name('a"b\\c;d.txt') == "a_b_c_d.txt"
    assert ascii_file_name("фото.jpg") == "____.jpg"
    assert safe_content_type(" Application/PDF ") == "application/pdf"
    assert safe_content_type("text/html\r\nX-Evil: 1") == "application/octet-stream"
    assert safe_content_type(None) == "application/octet-stream"


# --- the download route on a tampered copy of the kit -----------------------------------------


@pytest.fixture
def tampered(kit, tmp_path):
    """A copy of the kit database and file store, an outside secret, and a way to change StorageKeys."""
    db_file = tmp_path / "classic.db"
    shutil.copyfile(kit.load_url.removeprefix("sqlite:///"), db_file)
    files = tmp_path / "files"
    shutil.copytree(kit.file_store, files, symlinks=True)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    os.symlink(tmp_path / "secret.txt", files / "link-out.bin")
    url = f"sqlite:///{db_file}"
    db = dataclasses.replace(kit, load_url=url, app_url=url, file_store=files)
    engine = sa.create_engine(url)

    def set_doc(doc_id: int, **values):
        sets = ", ".join(f'"{k}" = :{k}' for k in values)
        with engine.begin() as conn:
            conn.execute(sa.text(f'UPDATE "tblDocument" SET {sets} WHERE "DocumentID" = :d'), dict(values, d=doc_id))

    with engine.connect() as conn:
        doc_ids = [r[0] for r in conn.execute(sa.text(
            '''SELECT "DocumentID" FROM "tblDocument" WHERE "Deleted" = 0 AND "FolderPath" <> '/Import 2009'
               ORDER BY "DocumentID" LIMIT 5'''))]
    app = make_app(db, tmp_path)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert sign_in(client, "karin").status_code == 302
    yield client, set_doc, doc_ids, tmp_path
    app.extensions["crm_lite"].close()
    engine.dispose()


def test_download_refuses_storage_keys_outside_the_file_store(tampered):
    client, set_doc, doc_ids, tmp_path = tampered
    secret_rel = os.path.relpath(tmp_path / "secret.txt", tmp_path / "files")
    keys = ["../../etc/passwd", "/etc/passwd", str(tmp_path / "secret.txt"), secret_rel, "link-out.bin",
            "..\\secret.txt"]
    for doc_id, key in zip(doc_ids * 2, keys):
        set_doc(doc_id, StorageKey=key)
        for url in (f"/documents/{doc_id}/download", f"/api/v1/documents/{doc_id}/content"):
            r = client.get(url)
            assert r.status_code == 404, (key, url)
            assert SECRET not in r.data and b"root:" not in r.data
            assert "invalid storage path" in r.get_data(as_text=True)


def test_download_of_a_missing_file_names_the_problem(tampered):
    client, set_doc, doc_ids, _tmp = tampered
    set_doc(doc_ids[0], StorageKey="2001/01/never-written.bin")
    r = client.get(f"/documents/{doc_ids[0]}/download")
    assert r.status_code == 404 and "missing from the file store" in r.get_data(as_text=True)


def test_stored_html_is_never_rendered_inline(tampered):
    client, set_doc, doc_ids, _tmp = tampered
    set_doc(doc_ids[1], ContentType="text/html", FileName="<script>alert(1)</script>.html")
    r = client.get(f"/documents/{doc_ids[1]}/download")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert '"' not in r.headers["Content-Disposition"].split('filename="', 1)[1].split('";', 1)[0]
    set_doc(doc_ids[2], ContentType="text/html\r\nSet-Cookie: x=1")
    r = client.get(f"/documents/{doc_ids[2]}/download")
    assert r.headers["Content-Type"] == "application/octet-stream" and "Set-Cookie" not in r.headers
