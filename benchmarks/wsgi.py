"""CRM Lite as ``make bench`` serves it: ``gunicorn benchmarks.wsgi:application`` (one app per worker).

The same ``create_app``/``build_services`` as ``crm-lite serve`` (pooled engines, the change feed's
poller thread in every worker, the search index, the cached figures), with three additions that
change nothing in what a page does:

- a clock shifted by whole days so that "today" is the kit's day (2025-06-16) at the real time of
  day (every process of a run, and the runs of one day, agree on it);
- per request, response headers with the server time (from the request until the response is
  ready), the SQL statements run on the classic database and on the store, and their time;
- ``X-Bench-Capture: <name>`` on a request writes its statements and parameters to
  ``benchmarks/results/captures/<name>.pickle`` so that ``run.py`` can time the page's SQL alone;
  ``GET /__bench/rss`` answers the worker's pid and resident memory.

Configuration: the ``CRM_LITE_*`` variables (``run.py`` sets them); SOAP is off.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

RESULTS = Path(os.environ.get("CRM_LITE_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
KIT_TODAY = date(2025, 6, 16)
ZONE = ZoneInfo("Europe/Stockholm")


class ShiftedClock:
    """``Clock``: the real time moved by whole days so that the local date is ``day``."""

    def __init__(self, day: date = KIT_TODAY) -> None:
        real_local = datetime.now(UTC).astimezone(ZONE).date()
        self.offset = timedelta(days=(day - real_local).days)

    def now_utc(self) -> datetime:
        return datetime.now(UTC) + self.offset


_request = threading.local()


def instrument(engine, name: str) -> None:
    """Count and time the statements ``engine`` runs for the current request (not the poller's)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        rec = getattr(_request, "rec", None)
        if rec is None:
            return
        conn.info["bench_started"] = time.perf_counter()
        if rec["capture"] is not None:
            rec["capture"].append((name, statement, parameters))

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        rec = getattr(_request, "rec", None)
        started = conn.info.pop("bench_started", None)
        if rec is None or started is None:
            return
        rec[name] += 1
        rec["sql_ms"] += (time.perf_counter() - started) * 1000


def _rss_kb() -> dict:
    out = {"pid": os.getpid()}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1])
    return out


class BenchMiddleware:
    """Adds the X-Bench-* headers; serves ``/__bench/rss``."""

    def __init__(self, app, services) -> None:
        self.app = app
        self.services = services

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/__bench/rss":
            body = json.dumps(_rss_kb()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        capture = environ.get("HTTP_X_BENCH_CAPTURE")
        rec = {"classic": 0, "store": 0, "sql_ms": 0.0, "capture": [] if capture else None}
        _request.rec = rec
        started = time.perf_counter()

        def bench_start_response(status, headers, exc_info=None):
            # Flask has rendered the whole page when it starts the response.
            headers = list(headers) + [
                ("X-Bench-Server-Ms", f"{(time.perf_counter() - started) * 1000:.3f}"),
                ("X-Bench-Classic", str(rec["classic"])),
                ("X-Bench-Store", str(rec["store"])),
                ("X-Bench-Sql-Ms", f"{rec['sql_ms']:.3f}"),
                ("X-Bench-Search", getattr(self.services.search, "answered_by", "") or "-"),
                ("X-Bench-Pid", str(os.getpid())),
            ]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, bench_start_response)
        finally:
            _request.rec = None
        if capture:
            folder = RESULTS / "captures"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"{capture}.pickle", "wb") as fh:
                pickle.dump(rec["capture"], fh)
        return body


def build_application():
    """The instrumented app of one gunicorn worker."""
    from config.settings import Settings
    from config.wiring import build_services
    from views import create_app

    settings = Settings.from_env().with_(classic_soap_url="", lookup_url="")
    services = build_services(settings, clock=ShiftedClock(), follow=True)
    instrument(services.classic_engine, "classic")
    instrument(services.state_engine, "store")
    app = create_app(settings, services)
    from config.cli import settle_heap

    settle_heap()  # as crm-lite serve does
    return BenchMiddleware(app, services)


application = build_application() if os.environ.get("CRM_LITE_BENCH_WSGI") == "1" else None
