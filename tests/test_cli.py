"""The ``crm-lite`` command: ``check`` (complete, missing tables/columns, unreachable), ``demo``
(help, built once a day, served with the SOAP sandbox beside it), ``demo-data`` and ``serve``
(gunicorn with two workers)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from config.cli import ensure_demo, main

from .kit import TODAY

CRM_LITE = Path(sys.executable).parent / "crm-lite"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crm_lite_cmd() -> list[str]:
    """The installed console script, else the module (same ``main``)."""
    return [str(CRM_LITE)] if CRM_LITE.exists() else [sys.executable, "-m", "config.cli"]


def kit_copy(kit, tmp_path: Path, *statements: str) -> str:
    """A copy of the kit's SQLite database with ``statements`` applied; returns its URL."""
    copy = tmp_path / "classic.db"
    shutil.copy(Path(kit.load_url.removeprefix("sqlite:///")), copy)
    con = sqlite3.connect(copy)
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()
    return f"sqlite:///{copy}"


def wait_until_up(url: str, seconds: float = 120) -> requests.Response:
    """GET ``url`` once the server answers (gunicorn accepts before its workers have booted)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.get(url, timeout=10)
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def sign_in_over_http(base: str, login: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = s.post(base + "/login", data={"login": login, "password": "classic", "csrf_token": token},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    return s


# --- check ----------------------------------------------------------------------------------


def test_check_passes_on_the_kit_database(kit, capsys):
    assert main(["check", "--url", kit.app_url]) == 0
    out = capsys.readouterr().out
    assert "Result: OK" in out and "schema version 7.4" in out and "FAIL" not in out


def test_check_reads_the_database_url_from_the_environment(kit, monkeypatch, capsys):
    monkeypatch.setenv("CRM_LITE_DATABASE_URL", kit.app_url)
    assert main(["check"]) == 0
    assert kit.app_url in capsys.readouterr().out


@pytest.mark.engines
def test_check_passes_on_every_engine(kit_any, capsys):
    assert main(["check", "--url", kit_any.app_url]) == 0, capsys.readouterr().out


def test_check_names_a_dropped_column(kit, tmp_path, capsys):
    url = kit_copy(kit, tmp_path, 'ALTER TABLE "tblCompany" DROP COLUMN "Web"')
    assert main(["check", "--url", url]) == 1
    out = capsys.readouterr().out
    assert "FAIL  missing column in tblCompany: Web" in out
    assert "Result: INCOMPLETE" in out and "1 column(s)" in out


def test_check_lists_every_missing_column_of_a_table(kit, tmp_path, capsys):
    url = kit_copy(kit, tmp_path, 'ALTER TABLE "tblCompany" DROP COLUMN "Web"',
                   'ALTER TABLE "tblCompany" DROP COLUMN "Fax"',
                   'ALTER TABLE "tblCall" DROP COLUMN "Extension"')
    assert main(["check", "--url", url]) == 1
    out = capsys.readouterr().out
    assert "missing columns in tblCompany: Fax, Web" in out
    assert "missing column in tblCall: Extension" in out


def test_check_names_a_renamed_table(kit, tmp_path, capsys):
    url = kit_copy(kit, tmp_path, 'ALTER TABLE "tblCall" RENAME TO "tblCallOld"')
    assert main(["check", "--url", url]) == 1
    out = capsys.readouterr().out
    assert "FAIL  missing table: tblCall" in out and "Result: INCOMPLETE" in out


def test_check_accepts_a_table_name_in_another_case_where_sqlite_folds_case(kit, tmp_path, capsys):
    url = kit_copy(kit, tmp_path, 'ALTER TABLE "tblWallPost" RENAME TO "x_tmp"',
                   'ALTER TABLE "x_tmp" RENAME TO "TBLWALLPOST"')
    assert main(["check", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "note  table tblWallPost is named TBLWALLPOST" in out


def test_check_warns_about_another_schema_version_but_passes(kit, tmp_path, capsys):
    url = kit_copy(kit, tmp_path, """UPDATE "tblSetting" SET "SettingValue" = '7.3'
                                     WHERE "SettingKey" = 'SchemaVersion'""")
    assert main(["check", "--url", url]) == 0
    assert "WARN  schema version 7.3 (CRM Lite is built for 7.4)" in capsys.readouterr().out


def test_check_on_an_unreachable_server_fails_readably_without_the_password(capsys):
    url = f"postgresql+psycopg://crmlite:s3cret-pw@127.0.0.1:{free_port()}/classic"
    assert main(["check", "--url", url, "--timeout", "3"]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "cannot be reached" in text and "Result: UNREACHABLE" in text
    assert "s3cret-pw" not in text and "Traceback" not in text
    assert "crmlite:***@127.0.0.1" in text


def test_check_on_a_missing_sqlite_file_fails_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "nowhere" / "classic.db"
    assert main(["check", "--url", f"sqlite:///{path}"]) == 1
    assert "there is no file" in capsys.readouterr().out
    assert not path.exists() and not path.parent.exists()


def test_check_with_a_url_of_no_known_database_fails_readably(capsys):
    assert main(["check", "--url", "nosuchdb://host/db"]) == 1
    assert "cannot use this database URL" in capsys.readouterr().out


def test_console_script_returns_the_check_status(kit, tmp_path):
    ok = subprocess.run([*crm_lite_cmd(), "check", "--url", kit.app_url], capture_output=True, text=True,
                        check=False, timeout=60, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    url = kit_copy(kit, tmp_path, 'ALTER TABLE "tblCompany" DROP COLUMN "Web"')
    bad = subprocess.run([*crm_lite_cmd(), "check", "--url", url], capture_output=True, text=True,
                         check=False, timeout=60, cwd=ROOT)
    assert bad.returncode == 1 and "tblCompany: Web" in bad.stdout
    assert "Traceback" not in bad.stderr


# --- demo and demo-data ---------------------------------------------------------------------


def test_demo_help_works(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "--rebuild" in out and "--host" in out
    proc = subprocess.run([*crm_lite_cmd(), "demo", "--help"], capture_output=True, text=True, check=False,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and "--rebuild" in proc.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_the_demo_is_built_once_a_day(tmp_path):
    instance = tmp_path / "instance"
    meta, built = ensure_demo(instance, today=TODAY)
    assert built and meta["today"] == TODAY.isoformat()
    for name in ("classic.db", "register.csv", "demo.json"):
        assert (instance / name).is_file()
    assert any((instance / "files").rglob("*.pdf"))
    assert json.loads((instance / "demo.json").read_text())["today"] == TODAY.isoformat()
    stamp = (instance / "classic.db").stat().st_mtime_ns
    (instance / "crm-lite-state.db").write_text("sessions of the old data")
    _, built = ensure_demo(instance, today=TODAY)
    assert not built and (instance / "classic.db").stat().st_mtime_ns == stamp
    assert (instance / "crm-lite-state.db").exists()
    tomorrow = TODAY + timedelta(days=1)
    meta, built = ensure_demo(instance, today=tomorrow)
    assert built and meta["today"] == tomorrow.isoformat()
    assert not (instance / "crm-lite-state.db").exists()  # sessions pointed at the old rows
    con = sqlite3.connect(instance / "classic.db")
    (created,) = con.execute('SELECT MAX("CreatedAt") FROM "tblCompany"').fetchone()
    con.close()
    assert created.startswith(tomorrow.isoformat())
    _, built = ensure_demo(instance, today=tomorrow, rebuild=True)
    assert built


def test_the_demo_never_replaces_a_database_it_did_not_build(kit, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(Path(kit.load_url.removeprefix("sqlite:///")), instance / "classic.db")
    before = (instance / "classic.db").read_bytes()
    with pytest.raises(RuntimeError, match="--rebuild"):
        ensure_demo(instance, today=TODAY)
    assert (instance / "classic.db").read_bytes() == before


def test_demo_data_writes_a_folder_and_keeps_an_existing_one(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out), "--today", TODAY.isoformat()]) == 0
    printed = capsys.readouterr().out
    assert "tblCompany" in printed and "anna" in printed
    assert (out / "classic.db").is_file() and (out / "register.csv").is_file()
    assert main(["demo-data", "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["demo-data", "--out", str(out), "--today", TODAY.isoformat(), "--force"]) == 0


def _server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_LITE_")}
    env.update(CRM_LITE_INSTANCE_DIR=str(tmp_path / "instance-dir"), CRM_LITE_SECRET_KEY="k" * 64,
               CRM_LITE_LOGIN_RATE_LIMIT="1000 per minute", **extra)
    return env


@pytest.mark.parametrize("server", ["gunicorn", "dev-server"])
def test_demo_serves_the_app_and_the_soap_sandbox_beside_it(tmp_path, server):
    port, soap_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    extra = ["--dev-server"] if server == "dev-server" else ["--workers", "1"]
    log = open(tmp_path / "demo.log", "w+")  # noqa: SIM115 - closed below; a file never fills like a pipe
    proc = subprocess.Popen([*crm_lite_cmd(), "demo", "--port", str(port), "--soap-port", str(soap_port),
                             "--instance", str(tmp_path / "instance"), *extra],
                            stdout=log, stderr=subprocess.STDOUT, env=_server_env(tmp_path), cwd=ROOT)
    try:
        assert wait_until_up(base + "/health").json() == {"status": "ok"}
        assert requests.get(base + "/login", timeout=30).status_code == 200
        session = sign_in_over_http(base, "anna")
        page = session.get(base + "/", timeout=60)
        assert page.status_code == 200 and "Anna Lindqvist" in page.text
        if (ROOT / "sandbox" / "soap" / "server.py").exists():
            wsdl = requests.get(f"http://127.0.0.1:{soap_port}/Authenticate.asmx?wsdl", timeout=10)
            assert wsdl.status_code == 200 and "definitions" in wsdl.text
        log.seek(0)
        printed = log.read()
        assert f"http://127.0.0.1:{port}" in printed
        assert "password: classic" in printed and "anna" in printed and "karin" in printed
    finally:
        stop(proc)
        log.close()
    assert proc.returncode is not None
    deadline = time.monotonic() + 10
    while port_open(soap_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_open(soap_port) and not port_open(port)


def test_serve_runs_gunicorn_with_two_workers_sharing_sessions(kit, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _server_env(tmp_path, CRM_LITE_DATABASE_URL=kit.app_url,
                      CRM_LITE_STATE_URL=f"sqlite:///{tmp_path / 'state.db'}",
                      CRM_LITE_FILE_STORE=str(kit.file_store))
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*crm_lite_cmd(), "serve", "--port", str(port), "--workers", "2"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        assert wait_until_up(base + "/health").status_code == 200
        assert requests.get(base + "/login", timeout=30).status_code == 200
        session = sign_in_over_http(base, "anna")
        # several requests land on both workers: each must accept the session (one store, one key)
        assert all(session.get(base + "/", timeout=60).status_code == 200 for _ in range(6))
        log.seek(0)
        assert "gunicorn" in log.read().lower()
    finally:
        stop(proc)
        log.close()
    assert not port_open(port)
