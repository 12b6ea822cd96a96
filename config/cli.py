"""The ``crm-lite`` command.

    crm-lite demo [--host 127.0.0.1] [--port 5000] [--rebuild]   demo data + SOAP sandbox + the app
    crm-lite serve [--host 127.0.0.1] [--port 8000] [--workers 2] the app on the configured database
    crm-lite check [--url URL]                                    is the classic database complete?
    crm-lite demo-data --out DIR [--today YYYY-MM-DD]             only build a demo database
    crm-lite index rebuild [--quiet]                              build the search index (progress bar)
    crm-lite index follow [--once] [--interval 5]                 apply classic changes in the foreground

``serve`` and ``demo`` run gunicorn (programmatically, one app per worker: ``preload_app`` off, so
every worker builds its own engines); where gunicorn cannot run (Windows) ``demo`` falls back to
werkzeug's threaded server. Exit status: 0 success, 1 failure (``check``: something missing or
unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .settings import INSTANCE, Settings

if TYPE_CHECKING:
    from facade.diagnostics import SchemaReport

DEMO_FILES = ("classic.db", "register.csv", "demo.json")


# ---------------------------------------------------------------------------------------------
# serving
# ---------------------------------------------------------------------------------------------


def _gunicorn_available() -> bool:
    return os.name != "nt" and importlib.util.find_spec("gunicorn") is not None


def run_gunicorn(app_factory: Callable[[], Any], *, host: str, port: int, workers: int, threads: int,
                 timeout: int = 60, loglevel: str = "info", accesslog: str | None = "-") -> int:
    """Serve the WSGI app built by ``app_factory`` (called once in every worker) with gunicorn."""
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "preload_app": False,  # each worker builds its own engines and pools after the fork
        "accesslog": accesslog,
        "errorlog": "-",
        "loglevel": loglevel,
        "proc_name": "crm-lite",
    }

    class CrmLiteGunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app_factory()

    CrmLiteGunicorn().run()
    return 0


def _prepare_state_store(settings: Settings) -> None:
    """Create CRM Lite's own tables once, before workers start (they would race to create them)."""
    from adapters.sql.engine import make_engine
    from adapters.sql.state import create_state_schema

    if settings.state_url.startswith("sqlite:///"):
        Path(settings.state_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.state_url, pool_size=1)
    try:
        create_state_schema(engine)
    finally:
        engine.dispose()


def _app_factory(settings: Settings) -> Callable[[], Any]:
    def factory() -> Any:
        from views import create_app

        app = create_app(settings)
        settle_heap()
        return app

    return factory


def settle_heap() -> None:
    """Once a worker's app is built: move everything alive now (modules, templates, tables,
    compiled statements) out of the garbage collector's sight. A full collection then walks only
    what requests create, and stops pausing the worker for 40–70 ms every few hundred requests."""
    import gc

    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    """``crm-lite serve``: the app on the database of ``CRM_LITE_DATABASE_URL`` through gunicorn."""
    if not _gunicorn_available():
        print("crm-lite serve needs gunicorn (Linux/macOS). Install it with: pip install gunicorn",
              file=sys.stderr)
        return 1
    settings = Settings.from_env()
    try:
        _prepare_state_store(settings)
    except Exception as exc:  # noqa: BLE001 - a readable message instead of a stack trace
        print(f"crm-lite serve: CRM Lite's own store ({_mask(settings.state_url)}) is not usable: "
              f"{_short(exc)}", file=sys.stderr)
        return 1
    print(f"CRM Lite on http://{args.host}:{args.port} (classic database {_mask(settings.database_url)})",
          flush=True)
    return run_gunicorn(_app_factory(settings), host=args.host, port=args.port, workers=args.workers,
                        threads=args.threads, timeout=args.timeout)


# ---------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------


def _mask(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as such
        return "<not a database URL>"


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return (lines[0][:300] if lines else "") or type(orig).__name__


def _check_engine(url: str, timeout: int) -> Any:
    """An engine for one check, with a connect timeout so an unreachable server fails fast."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    connect_args: dict[str, Any] = {}
    if driver == "pyodbc":
        connect_args["timeout"] = timeout
    elif (backend, driver) in {("postgresql", "psycopg"), ("postgresql", "psycopg2"), ("mysql", "pymysql"),
                               ("mysql", "mysqldb"), ("mariadb", "pymysql"), ("mariadb", "mysqldb")}:
        connect_args["connect_timeout"] = timeout
    elif backend == "sqlite":
        connect_args["timeout"] = timeout
    return sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)


def format_report(report: SchemaReport) -> str:
    """The check's report for people: one line per finding, a result line last."""
    lines = [f"Classic database: {report.database}" + (f" ({report.dialect})" if report.dialect else "")]
    if not report.reachable:
        lines.append(f"FAIL  {report.error}")
        lines.append("Result: UNREACHABLE - check the URL, the network, the user and the password.")
        return "\n".join(lines)
    lines.append("OK    reachable")
    for table in report.missing_tables:
        lines.append(f"FAIL  missing table: {table}")
    for table, columns in report.missing_columns:
        plural = "s" if len(columns) > 1 else ""
        lines.append(f"FAIL  missing column{plural} in {table}: {', '.join(columns)}")
    if not report.missing_tables and not report.missing_columns:
        lines.append(f"OK    all {report.tables_checked} tables and {report.columns_checked} columns "
                     "CRM Lite uses are there")
    for note in report.case_notes:
        lines.append(f"note  {note}")
    if report.schema_version is None:
        lines.append(f"WARN  no SchemaVersion in tblSetting (CRM Lite is built for "
                     f"{report.expected_version})")
    elif report.version_matches:
        lines.append(f"OK    schema version {report.schema_version}")
    else:
        lines.append(f"WARN  schema version {report.schema_version} (CRM Lite is built for "
                     f"{report.expected_version})")
    if report.complete:
        lines.append("Result: OK - CRM Lite can use this database.")
    else:
        n_tables = len(report.missing_tables)
        n_columns = sum(len(c) for _, c in report.missing_columns)
        lines.append(f"Result: INCOMPLETE - {n_tables} table(s) and {n_columns} column(s) missing. "
                     "CRM Lite never creates or alters classic tables: fix the installation or the URL.")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    """``crm-lite check``: reachability and completeness of the classic database; exit 0 or 1."""
    from adapters.sql.schema_check import SqlSchemaInspector
    from facade.diagnostics import check_classic_database

    url = args.url or os.environ.get("CRM_LITE_DATABASE_URL") or Settings().database_url
    try:
        engine = _check_engine(url, args.timeout)
    except Exception as exc:  # noqa: BLE001 - bad URL or missing driver: say so, no stack trace
        print(f"Classic database: {_mask(url)}\nFAIL  cannot use this database URL: {_short(exc)}\n"
              "Result: UNREACHABLE - check the URL and that its database driver is installed.")
        return 1
    try:
        report = check_classic_database(inspector=SqlSchemaInspector(engine))
    except Exception as exc:  # noqa: BLE001 - e.g. no permission to read the catalogue
        print(f"Classic database: {_mask(url)}\nFAIL  the database could not be read: {_short(exc)}\n"
              "Result: UNREADABLE - check the user's permissions.")
        return 1
    finally:
        engine.dispose()
    print(format_report(report))
    return 0 if report.complete else 1


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------


def _remove_demo_database(folder: Path) -> None:
    for name in DEMO_FILES + ("classic.db-journal", "classic.db-wal", "classic.db-shm", "crm-lite-state.db"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "files", ignore_errors=True)


def ensure_demo(instance: Path, *, rebuild: bool = False, today: date | None = None) -> tuple[dict, bool]:
    """Build the demo under ``instance`` unless it was built today; returns (demo.json contents, built now).

    ``instance/classic.db`` + ``files/`` + ``register.csv``; ``demo.json`` records the day. A
    ``classic.db`` without ``demo.json`` is not the demo's: it is only replaced with ``rebuild``.
    Raises RuntimeError for that case.
    """
    from sandbox.demo_data import build_demo_database, stockholm_now

    today = today or stockholm_now().date()
    meta_path = instance / "demo.json"
    db = instance / "classic.db"
    meta: dict | None = None
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
    if db.exists() and meta is None and not rebuild:
        raise RuntimeError(f"{db} exists but was not built by 'crm-lite demo'; "
                           "run 'crm-lite demo --rebuild' to replace it with demo data.")
    if not rebuild and meta and meta.get("today") == today.isoformat() and db.exists():
        return meta, False
    instance.mkdir(parents=True, exist_ok=True)
    work = instance / ".demo-build"
    shutil.rmtree(work, ignore_errors=True)
    info = build_demo_database(f"sqlite:///{work / 'classic.db'}", str(work / "files"), today=today,
                               register_csv=str(work / "register.csv"))
    _remove_demo_database(instance)  # sessions and recently viewed refer to the old rows: start afresh
    for name in ("classic.db", "files", "register.csv"):
        os.replace(work / name, instance / name)
    shutil.rmtree(work, ignore_errors=True)
    meta = {"today": info.today.isoformat(), "snapshot": info.now.isoformat(sep=" "),
            "built_at": datetime.now().astimezone().isoformat(timespec="seconds"), "counts": info.counts}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta, True


def _wait_for_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class SoapSandbox:
    """The SOAP sandbox beside the demo: a thread in this process, or a child process (gunicorn)."""

    def __init__(self, url: str, stop: Callable[[], None]) -> None:
        self.url = url
        self._stop = stop
        self._owner = os.getpid()

    def stop(self) -> None:
        # gunicorn workers are forks of this process and run its finally-blocks too: only the owner stops it
        if os.getpid() == self._owner:
            self._stop()


def _die_with_parent() -> None:
    """Linux: the sandbox process gets SIGTERM when ``crm-lite demo`` ends, even if that is killed."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def start_soap_sandbox(database_url: str, register_csv: str, host: str, port: int, *,
                       separate_process: bool) -> SoapSandbox | None:
    """Start the classic SOAP services and the company lookup (``sandbox.soap.server``) if present.

    ``separate_process``: run the sandbox's own command line in a child process (beside gunicorn,
    whose workers are forks: no thread of ours should be running then); else ``serve_in_thread``.
    Returns None (and CRM Lite runs without SOAP) when the sandbox is absent or does not start.
    """
    # ---- hook: the SOAP sandbox (sandbox/soap, built separately) ------------------------------
    try:
        present = importlib.util.find_spec("sandbox.soap.server") is not None
    except ModuleNotFoundError:
        present = False
    if not present:
        return None
    if not separate_process:
        from sandbox.soap import server as soap_server

        result = soap_server.serve_in_thread(database_url, register_csv, host, port)
        server, url = result if isinstance(result, tuple) else (result, f"http://{host}:{port}")
        return SoapSandbox(url, getattr(server, "stop", lambda: None))
    # "-c" rather than "-m sandbox.soap.server": the package imports its server module (runpy warns)
    launcher = "import sys; from sandbox.soap.server import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", launcher, "--database-url", database_url, "--register", register_csv,
           "--host", host, "--port", str(port)]
    on_exec = _die_with_parent if sys.platform.startswith("linux") else None
    # no threads exist yet (gunicorn has not started), so preexec_fn is safe here
    proc = subprocess.Popen(cmd, cwd=str(Path(__file__).resolve().parents[1]),
                            preexec_fn=on_exec)  # noqa: PLW1509
    if not _wait_for_port(host, port, 15) or proc.poll() is not None:
        proc.terminate()
        proc.wait(timeout=5)
        print(f"warning: the SOAP sandbox did not start on {host}:{port}; writes through SOAP will fail",
              file=sys.stderr)
        return None

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    return SoapSandbox(f"http://{host}:{port}", stop)


def _sign_in_table() -> str:
    from sandbox.demo_data import DEMO_USERS, PASSWORD

    lines = [f"Sign in with one of these (password: {PASSWORD}):"]
    for u in DEMO_USERS:
        mark = "  " if u.may_use_crm else "x "
        lines.append(f"  {mark}{u.login:<7} {u.full_name:<23} {u.role}")
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    """``crm-lite demo``: build the demo once a day, start the SOAP sandbox and serve the app."""
    instance = Path(args.instance).resolve()
    try:
        meta, built = ensure_demo(instance, rebuild=args.rebuild)
    except RuntimeError as exc:
        print(f"crm-lite demo: {exc}", file=sys.stderr)
        return 1
    database_url = f"sqlite:///{instance / 'classic.db'}"
    register_csv = str(instance / "register.csv")
    settings = Settings.from_env().with_(
        database_url=database_url,
        state_url=f"sqlite:///{instance / 'crm-lite-state.db'}",
        file_store=str(instance / "files"),
    )
    use_gunicorn = _gunicorn_available() and not args.dev_server
    soap = None
    if not args.no_soap:
        soap_port = args.soap_port or args.port + 1
        soap = start_soap_sandbox(database_url, register_csv, args.host, soap_port,
                                  separate_process=use_gunicorn)
        if soap is not None:
            os.environ["CRM_LITE_CLASSIC_SOAP_URL"] = soap.url
            os.environ["CRM_LITE_LOOKUP_URL"] = soap.url
            settings = settings.with_(classic_soap_url=soap.url, lookup_url=soap.url)
    _prepare_state_store(settings)
    index_state = _ensure_demo_index(settings, rebuild=built)
    state = "built now" if built else "built earlier today"
    print(f"\nCRM Lite demo: http://{args.host}:{args.port}\n"
          f"  classic database  {instance / 'classic.db'} (demo data for {meta['today']}, {state})\n"
          f"  search index      {index_state}\n"
          f"  file store        {instance / 'files'}\n"
          f"  SOAP sandbox      {soap.url if soap else 'not running (sandbox.soap absent)'}\n\n"
          f"{_sign_in_table()}\n  (x = cannot sign in to CRM Lite)\n\nCtrl-C stops.\n", flush=True)
    try:
        if use_gunicorn:
            return run_gunicorn(_app_factory(settings), host=args.host, port=args.port, workers=args.workers,
                                threads=4, loglevel="warning", accesslog=None)
        from werkzeug.serving import run_simple

        run_simple(args.host, args.port, _app_factory(settings)(), threaded=True, use_reloader=False)
        return 0
    finally:
        if soap is not None:
            soap.stop()


def cmd_demo_data(args: argparse.Namespace) -> int:
    """``crm-lite demo-data``: build ``classic.db``, ``files/`` and ``register.csv`` into a folder."""
    from sandbox.demo_data import build_demo_database

    out = Path(args.out).resolve()
    if (out / "classic.db").exists():
        if not args.force:
            print(f"crm-lite demo-data: {out / 'classic.db'} exists; add --force to replace it",
                  file=sys.stderr)
            return 1
        _remove_demo_database(out)
    today = date.fromisoformat(args.today) if args.today else None
    info = build_demo_database(f"sqlite:///{out / 'classic.db'}", str(out / "files"), today=today,
                               register_csv=str(out / "register.csv"))
    print(f"Demo data for {info.today} (snapshot {info.now:%H:%M}) in {out}:")
    for table in sorted(info.counts):
        print(f"  {table:<20} {info.counts[table]:>5}")
    print(_sign_in_table())
    return 0


# ---------------------------------------------------------------------------------------------
# index: the search index and the change feed
# ---------------------------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on ``stream`` (a terminal: redrawn in place; else a line per 10 %)."""

    def __init__(self, label: str, stream: Any = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw < 0.1 and done < total:
                return
            self._last_draw = now
            filled = int(self.width * fraction)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%} {done}/{total} rows "
                              f"{now - self.started:.0f} s")
            if done >= total:
                self.stream.write("\n")
        else:
            tenth = int(fraction * 10)
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(f"{self.label}: {fraction:.0%} ({done}/{total} rows, "
                                  f"{now - self.started:.0f} s)\n")
        self.stream.flush()


def _ensure_demo_index(settings: Settings, *, rebuild: bool) -> str:
    """Build the demo's search index when the demo data is new or the index was never built;
    returns a line for the banner. Search works without it (plain SQL), so a failure only says so."""
    from facade.search_index import rebuild_search_index

    try:
        svc = _index_services(settings)
    except Exception as exc:  # noqa: BLE001 - the demo still runs on plain SQL
        return f"not built ({_short(exc)}); search uses plain SQL"
    try:
        if not svc.search_index.available():
            return "not available in this store; search uses plain SQL"
        if not rebuild and svc.feed_cursors.load(svc.search_index.name) is not None:
            return "built earlier, kept current by the change feed"
        report = rebuild_search_index(index=svc.search_index, feed=svc.feed, cursors=svc.feed_cursors,
                                      clock=svc.clock, progress=None)
        return f"built now ({report.rows} rows), kept current by the change feed"
    except Exception as exc:  # noqa: BLE001
        return f"not built ({_short(exc)}); search uses plain SQL"
    finally:
        svc.close()


def _index_services(settings: Settings):
    from .wiring import build_services

    _prepare_state_store(settings)
    return build_services(settings, follow=False)


def cmd_index_rebuild(args: argparse.Namespace) -> int:
    """``crm-lite index rebuild``: copy the searchable classic rows into CRM Lite's search index."""
    from facade.search_index import rebuild_search_index

    settings = Settings.from_env()
    svc = _index_services(settings)
    try:
        if not svc.search_index.available():
            print("crm-lite index rebuild: CRM Lite's store cannot hold the search index (it needs SQLite "
                  "with FTS5 or PostgreSQL with the pg_trgm extension); search keeps using plain SQL.",
                  file=sys.stderr)
            return 1
        bar = None if args.quiet else ProgressBar("search index")
        report = rebuild_search_index(index=svc.search_index, feed=svc.feed, cursors=svc.feed_cursors,
                                      clock=svc.clock, progress=bar)
        print(f"Search index rebuilt: {report.rows} rows in {report.seconds:.0f} s "
              f"(store {_mask(settings.state_url)}). It is kept current by the change feed.")
        return 0
    except Exception as exc:  # noqa: BLE001 - a readable message instead of a stack trace
        print(f"crm-lite index rebuild failed: {_short(exc)}", file=sys.stderr)
        return 1
    finally:
        svc.close()


def cmd_index_follow(args: argparse.Namespace) -> int:
    """``crm-lite index follow``: poll the change feed in the foreground (instead of the web workers'
    threads; run the web with ``CRM_LITE_FEED_THREAD=0`` then)."""
    from facade.changes import follow_changes

    settings = Settings.from_env()
    svc = _index_services(settings)
    holder = f"{socket.gethostname()}:{os.getpid()}:follow"
    try:
        while True:
            report = follow_changes(svc.consumers(), feed=svc.feed, cursors=svc.feed_cursors, clock=svc.clock,
                                    time_zone=svc.installation.get().time_zone, holder=holder,
                                    interval=timedelta(seconds=args.interval), force=args.once)
            if report.rows or report.errors:
                print(f"{datetime.now():%H:%M:%S} {json.dumps({'rows': report.rows, 'errors': report.errors})}",
                      flush=True)
            if args.once:
                return 1 if report.errors else 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        svc.close()


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="crm-lite", description="CRM Lite: the cross-browser face of the "
                                     "classic CRM.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="serve CRM Lite on demo data (built once a day under instance/)",
                          description="Build Swedish demo data for today under instance/ (once a day), start "
                          "the SOAP sandbox beside it and serve CRM Lite. Prints the demo sign-ins.")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=5000)
    demo.add_argument("--soap-port", type=int, default=None, help="SOAP sandbox port (default: PORT + 1)")
    demo.add_argument("--rebuild", action="store_true", help="build the demo data again even if built today")
    demo.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    demo.add_argument("--instance", default=str(INSTANCE), help=f"folder for the demo (default {INSTANCE})")
    demo.add_argument("--no-soap", action="store_true", help="do not start the SOAP sandbox")
    demo.add_argument("--dev-server", action="store_true",
                      help="werkzeug's threaded server instead of gunicorn")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve CRM Lite with gunicorn (configuration from CRM_LITE_*)",
                           description="Serve CRM Lite with gunicorn; the configuration comes from the "
                           "CRM_LITE_* environment variables (see README).")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    serve.add_argument("--timeout", type=int, default=60, help="seconds before a stuck worker is restarted")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="is the classic database reachable and complete? (exit 0/1)",
                           description="Reflect the classic database (CRM_LITE_DATABASE_URL or --url) and "
                           "report every table or column CRM Lite uses that is missing.")
    check.add_argument("--url", help="database URL (default: CRM_LITE_DATABASE_URL)")
    check.add_argument("--timeout", type=int, default=10, help="connect timeout in seconds (default 10)")
    check.set_defaults(func=cmd_check)

    data = sub.add_parser("demo-data", help="only build a demo classic database into a folder",
                          description="Write classic.db, files/ and register.csv with the demo data.")
    data.add_argument("--out", required=True, help="folder to write into")
    data.add_argument("--today", help="the demo's day, YYYY-MM-DD (default: today in Europe/Stockholm)")
    data.add_argument("--force", action="store_true", help="replace an existing classic.db there")
    data.set_defaults(func=cmd_demo_data)

    index = sub.add_parser("index", help="the search index in CRM Lite's store (rebuild, follow)",
                           description="CRM Lite's own search index and the classic change feed that keeps "
                           "it and the cached dashboard figures current.")
    index_sub = index.add_subparsers(dest="index_command", metavar="ACTION")
    rebuild = index_sub.add_parser("rebuild", help="copy companies, persons and employees into the index",
                                   description="Build the search index from scratch (with a progress bar); "
                                   "searches use plain SQL until it is complete.")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild.set_defaults(func=cmd_index_rebuild)
    follow = index_sub.add_parser("follow", help="poll the classic change feed in the foreground",
                                  description="Apply classic changes to the index and the cached figures "
                                  "every 10 seconds (for deployments that set CRM_LITE_FEED_THREAD=0).")
    follow.add_argument("--interval", type=float, default=10.0, help="seconds between polls (default 10)")
    follow.add_argument("--once", action="store_true", help="poll once and exit")
    follow.set_defaults(func=cmd_index_follow)
    index.set_defaults(func=lambda _args: (index.print_help(), 2)[1])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``crm-lite``; returns the exit status (0 success, 1 failure, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
