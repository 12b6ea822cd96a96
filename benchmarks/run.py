"""``make bench`` (``python -m benchmarks.run``): CRM Lite at a real installation's size.

    python -m benchmarks.run [--scales 100,1000] [--engines sqlite,postgresql] [--quick]

For every engine and scale: the kit database (built once, cached under /tmp/crm-lite-bench/), CRM
Lite's store beside it with the search index (``crm-lite index rebuild``'s code), CRM Lite under
gunicorn (2 workers × 4 threads, pooled connections, the change feed's poller in each worker),
signed in as ``anna``. Then, one request at a time (the server time comes from the server's
X-Bench-Server-Ms header: request in → page rendered):

- dashboard, typeahead (real names typed letter by letter), full search (name prefix, infix, org
  number in another format, phone number in another format), company card and each tab — median
  and p95 of the server time, SQL statements per page (classic + store), and the time of the
  page's own SQL alone (its captured statements replayed on a raw connection, fetching all rows);
- requests per second for the card with 8 concurrent clients (separate processes);
- resident memory (RSS) of each worker after the load.

One table goes to stdout; the rows also go to benchmarks/results/ (git-ignored) as JSON and text.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import pickle
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import kitdb

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"

TARGETS = {  # p95 ms at scale 1000 (issue "Fast at a real installation's size")
    "card": 15.0, "ledger tab": 10.0, "dashboard": 30.0, "typeahead": 25.0, "search": 150.0,
}
MAX_QUERIES = 15
MIN_CARD_RPS = 300.0
MAX_RSS_MB = 150.0


# --- HTTP ----------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection with the session cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        hdrs = {"Cookie": self.cookie} if self.cookie else {}
        hdrs.update(headers or {})
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                return resp, data
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)


def sign_in(port: int, login: str = "anna", password: str = "classic") -> str:
    """The session cookie of ``login`` (through the login form and its CSRF token)."""
    c = Client(port)
    resp, body = c.get("/login")
    cookie = _cookie(resp, "")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', body)
    assert token, "no CSRF token on /login"
    form = urllib.parse.urlencode({"login": login, "password": password, "csrf_token": token.group(1).decode()})
    c.cookie = cookie
    resp, body = c.request("POST", "/login", body=form.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 302, (resp.status, body[:500])
    return _cookie(resp, cookie)


def _cookie(resp, old: str) -> str:
    jar = dict(p.split("=", 1) for p in old.split("; ") if "=" in p)
    for header, value in resp.getheaders():
        if header.lower() == "set-cookie":
            name, rest = value.split("=", 1)
            jar[name] = rest.split(";", 1)[0]
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(db: kitdb.BenchDatabase) -> dict:
    env = dict(os.environ)
    env.update({
        "CRM_LITE_DATABASE_URL": db.classic_url,
        "CRM_LITE_STATE_URL": db.store_url,
        "CRM_LITE_SECRET_KEY": "bench-secret",
        "CRM_LITE_LOGIN_RATE_LIMIT": "100000 per minute",
        "CRM_LITE_FILE_STORE": str(db.folder / "files"),
        "CRM_LITE_POOL_SIZE": "5",
        "CRM_LITE_BENCH_WSGI": "1",
        "CRM_LITE_BENCH_RESULTS": str(RESULTS),
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


def prepare_store(db: kitdb.BenchDatabase, log) -> float | None:
    """Create the store's tables and build the search index unless a current one is there;
    returns the seconds the rebuild took (None: reused)."""
    os.environ.update({k: v for k, v in server_env(db).items() if k.startswith("CRM_LITE_")})
    from config.settings import Settings
    from config.wiring import build_services
    from facade.search_index import rebuild_search_index

    from .wsgi import ShiftedClock

    svc = build_services(Settings.from_env(), clock=ShiftedClock(), follow=False)
    try:
        cursor = svc.feed_cursors.load(svc.search_index.name)
        built = cursor is not None and svc.search_index.available()
        if built:
            with svc.state_engine.connect() as conn:
                built = conn.exec_driver_sql("SELECT COUNT(*) FROM search_company").scalar() > 0
        if built:
            return None
        log(f"  building the search index ({db.engine}, scale {db.scale}) ...")
        from config.cli import ProgressBar

        report = rebuild_search_index(index=svc.search_index, feed=svc.feed, cursors=svc.feed_cursors,
                                      clock=svc.clock, progress=ProgressBar("  search index"))
        log(f"  search index: {report.rows} rows in {report.seconds:.0f} s")
        return report.seconds
    finally:
        svc.close()


class Server:
    """gunicorn with 2 workers × 4 threads (as ``crm-lite serve``) on ``benchmarks.wsgi``."""

    def __init__(self, db: kitdb.BenchDatabase, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--worker-class", "gthread", "--bind", f"{HOST}:{self.port}", "--timeout", "120",
               "--log-level", "warning", "benchmarks.wsgi:application"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(db), start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited early")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        self.workers = workers

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def rss_mb(self) -> list[float]:
        out = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return out

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: gunicorn and its workers
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


# --- what is measured ----------------------------------------------------------------------------


@dataclass
class PageResult:
    engine: str
    scale: int
    page: str
    n: int
    median_ms: float
    p95_ms: float
    max_ms: float
    queries: int  # most statements of one request (classic + store)
    classic_queries: int
    store_queries: int
    sql_median_ms: float  # the page's SQL alone, replayed
    sql_p95_ms: float
    search: str = ""  # index / sql for search pages
    samples: list[float] = field(default_factory=list, repr=False)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else float("nan")


def pick_inputs(db: kitdb.BenchDatabase) -> dict:
    """Real ids and search inputs of the database: cards to open, names to type, numbers in
    another format than stored."""
    import sqlalchemy as sa

    engine = sa.create_engine(db.classic_url)
    try:
        with engine.connect() as conn:
            def rows(sql, **kw):
                return conn.execute(sa.text(sql), kw).all()

            top = rows('SELECT MAX("CompanyID") FROM "tblCompany"')[0][0]
            step = max(1, top // 60)
            companies = [r[0] for r in rows(
                'SELECT "CompanyID" FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1 '
                'AND "CompanyID" % :step = 1 ORDER BY "CompanyID"', step=step)][:40]
            pstep = max(1, rows('SELECT MAX("PersonID") FROM "tblPerson"')[0][0] // 40)
            persons = rows('SELECT "FirstName", "LastName", "Phone", "Mobile" FROM "tblPerson" WHERE "Deleted" = 0 '
                           'AND "LastName" IS NOT NULL ORDER BY "PersonID"')[::pstep][:40]
            orgs = [r[0] for r in rows('SELECT "OrgNo" FROM "tblCompany" WHERE "Deleted" = 0 AND "OrgNo" IS NOT NULL '
                                       'ORDER BY "CompanyID"')[::step][:40]]
            names = [r[0] for r in rows('SELECT "Name" FROM "tblCompany" WHERE "Deleted" = 0 ORDER BY "CompanyID"')
                     [::step][:40]]
    finally:
        engine.dispose()

    def digits(s):
        return re.sub(r"[^0-9]", "", s or "")

    typed = []
    for p in persons[:12]:
        last = (p.LastName or "").strip()
        typed += [last[:n] for n in range(2, min(len(last), 7) + 1)]
    prefixes = [(p.LastName or "").strip()[:6] for p in persons[:20]]
    infixes = [(p.LastName or "").strip()[1:6] for p in persons[:20] if len((p.LastName or "").strip()) > 4]
    infixes += [n.split()[0][1:5] for n in names[:10] if len(n.split()[0]) > 5]
    org_other = []
    for o in orgs:
        d = digits(o)
        if len(d) == 10:
            org_other.append(d if "-" in o else f"{d[:6]}-{d[6:]}")
        elif len(d) == 12:
            org_other.append(f"{d[2:8]}-{d[8:]}")
    phones = []
    for p in persons:
        d = digits(p.Mobile or p.Phone)
        if len(d) >= 8 and d.startswith("0") and not d.startswith("00"):
            phones.append("+46 " + d[1:3] + " " + d[3:])
    return {"companies": companies, "typed": typed, "prefix": prefixes, "infix": infixes, "org": org_other[:20],
            "phone": phones[:20]}


def measure_pages(port: int, cookie: str, pages: dict[str, list[str]], runs: int, tag: str) -> dict[str, dict]:
    """Each page ``runs`` times (rotating over its paths), one request at a time."""
    client = Client(port, cookie)
    out: dict[str, dict] = {}
    for name, paths in pages.items():
        for path in paths[:3]:  # warm: templates, statement caches, connections
            client.get(path)
        samples, queries, classic, store, search = [], 0, 0, 0, set()
        for i in range(runs):
            resp, _body = client.get(paths[i % len(paths)])
            assert resp.status == 200, (name, paths[i % len(paths)], resp.status)
            samples.append(float(resp.getheader("X-Bench-Server-Ms")))
            c, s = int(resp.getheader("X-Bench-Classic")), int(resp.getheader("X-Bench-Store"))
            if c + s > queries:
                queries, classic, store = c + s, c, s
            if "search" in name or "typeahead" in name:
                search.add(resp.getheader("X-Bench-Search"))
        captures = []
        for j, path in enumerate(paths[:min(len(paths), 10)]):
            cap = f"{tag}-{re.sub(r'[^a-z0-9]+', '_', name)}-{j}"
            client.get(path, headers={"X-Bench-Capture": cap})
            captures.append(RESULTS / "captures" / f"{cap}.pickle")
        out[name] = {"samples": samples, "queries": queries, "classic": classic, "store": store,
                     "captures": captures, "search": "/".join(sorted(search - {"-"}))}
    return out


def replay_sql(db: kitdb.BenchDatabase, captures: list[Path], rounds: int) -> list[float]:
    """Times (ms) of each captured request's statements alone: executed and fetched on raw
    driver connections (classic and store), ``rounds`` times each; on PostgreSQL prepared from the
    2nd round on, as CRM Lite's connections do."""
    from adapters.sql.engine import make_engine
    from adapters.sql.search import SQLITE_FOLD, _sqlite_fold

    engines = {"classic": make_engine(db.classic_url), "store": make_engine(db.store_url, store=True)}
    raws = {}
    for name, engine in engines.items():
        raw = engine.raw_connection()
        if db.engine == "sqlite":
            raw.driver_connection.create_function(SQLITE_FOLD, 1, _sqlite_fold, deterministic=True)
        raws[name] = raw
    times: list[float] = []
    try:
        for path in captures:
            statements = pickle.loads(path.read_bytes())
            for _ in range(rounds):
                started = time.perf_counter()
                for name, statement, params in statements:
                    cur = raws[name].cursor()
                    cur.execute(statement, params)
                    if cur.description is not None:
                        cur.fetchall()
                    cur.close()
                times.append((time.perf_counter() - started) * 1000)
                for raw in raws.values():
                    # COMMIT, as CRM Lite ends its reads (psycopg drops prepared statements on
                    # ROLLBACK); the store's recently-viewed write is replayed and kept, harmlessly.
                    raw.commit()
    finally:
        for raw in raws.values():
            raw.close()
        for engine in engines.values():
            engine.dispose()
    return times


def _rps_worker(port: int, cookie: str, paths: list[str], seconds: float, start_at: float, queue) -> None:
    client = Client(port, cookie)
    while time.time() < start_at:
        time.sleep(0.001)
    done = errors = 0
    end = start_at + seconds
    i = 0
    while time.time() < end:
        resp, _ = client.get(paths[i % len(paths)])
        i += 1
        if resp.status == 200:
            done += 1
        else:
            errors += 1
    queue.put((done, errors))


def card_rps(port: int, cookie: str, paths: list[str], clients: int, seconds: float) -> tuple[float, int]:
    """Card views per second with ``clients`` concurrent clients (processes), and errors."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0
    procs = [ctx.Process(target=_rps_worker, args=(port, cookie, paths[k::clients] or paths, seconds, start_at, queue))
             for k in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


# --- one configuration ----------------------------------------------------------------------------


def run_one(engine: str, scale: int, quick: bool, log) -> dict:
    db = kitdb.ensure(engine, scale, log=log)
    rebuild_s = prepare_store(db, log)
    inputs = pick_inputs(db)
    server = Server(db)
    try:
        cookie = sign_in(server.port)
        client = Client(server.port, cookie)
        client.get("/")  # the first dashboard of the month computes the shared figures once
        time.sleep(6)  # one poll of the change feed (index cursor current, figures cursor started)
        cards = [f"/companies/{cid}" for cid in inputs["companies"]]

        def q(path, items):
            return [f"{path}?q={urllib.parse.quote(x)}" for x in items if x]

        pages: dict[str, list[str]] = {
            "dashboard": ["/"],
            "typeahead": q("/search/typeahead", inputs["typed"]),
            "search: name prefix": q("/search", inputs["prefix"]),
            "search: infix": q("/search", inputs["infix"]),
            "search: org no (other format)": q("/search", inputs["org"]),
            "search: phone (other format)": q("/search", inputs["phone"]),
            "card": cards,
        }
        for tab in ("contacts", "emails", "documents", "calls", "orders", "ledger"):
            pages[f"{tab} tab"] = [f"/companies/{cid}/{tab}" for cid in inputs["companies"]]
        runs = 40 if quick else 200
        tag = f"{engine}-{scale}"
        measured = measure_pages(server.port, cookie, pages, runs, tag)
        rows = []
        for name, m in measured.items():
            sql_times = replay_sql(db, m["captures"], 3 if quick else 10)
            s = m["samples"]
            rows.append(PageResult(engine, scale, name, len(s), statistics.median(s), p95(s), max(s), m["queries"],
                                   m["classic"], m["store"], statistics.median(sql_times), p95(sql_times),
                                   m["search"], s))
        rps, errors = card_rps(server.port, cookie, cards, clients=8, seconds=4 if quick else 10)
        rss = server.rss_mb()
        return {"engine": engine, "scale": scale, "rebuild_s": rebuild_s, "pages": rows, "card_rps": rps,
                "rps_errors": errors, "rss_mb": rss, "load": os.getloadavg()}
    finally:
        server.stop()


# --- report ------------------------------------------------------------------------------------------


def table(results: list[dict]) -> str:
    lines = []
    head = (f"{'engine':<10} {'scale':>5}  {'page':<30} {'median':>7} {'p95':>7} {'SQL alone':>10} "
            f"{'SQL p95':>8} {'queries':>8}  {'target p95':>10}  search")
    lines.append(head)
    lines.append("-" * len(head))
    for r in results:
        for p in r["pages"]:
            target = TARGETS.get(p.page) or (TARGETS["search"] if p.page.startswith("search") else None)
            mark = ""
            if r["scale"] >= 1000 and target is not None:
                mark = f"{target:>6.0f} {'ok' if p.p95_ms <= target else 'MISS'}"
            lines.append(
                f"{p.engine:<10} {p.scale:>5}  {p.page:<30} {p.median_ms:>6.1f}  {p.p95_ms:>6.1f}  "
                f"{p.sql_median_ms:>9.1f} {p.sql_p95_ms:>8.1f} {p.queries:>4} ({p.classic_queries}+{p.store_queries})"
                f"  {mark:>10}  {p.search}"
            )
        rss = ", ".join(f"{x:.0f}" for x in r["rss_mb"])
        rebuild = "reused" if r["rebuild_s"] is None else f"{r['rebuild_s']:.0f} s"
        lines.append(f"{r['engine']:<10} {r['scale']:>5}  card views/s, 8 clients: {r['card_rps']:.0f} "
                     f"(errors {r['rps_errors']}; target ≥ {MIN_CARD_RPS:.0f})   RSS per worker MB: {rss} "
                     f"(target ≤ {MAX_RSS_MB:.0f})   index rebuild: {rebuild}   load avg {r['load'][0]:.1f}")
        lines.append("")
    big = [r for r in results if r["scale"] >= 1000]
    if big:
        lines.append("Targets at scale 1000 (p95 ms unless said; measured → verdict):")
        for r in big:
            checks = []
            by_page = {p.page: p for p in r["pages"]}
            for page, target in (("card", TARGETS["card"]), ("ledger tab", TARGETS["ledger tab"]),
                                 ("dashboard", TARGETS["dashboard"]), ("typeahead", TARGETS["typeahead"])):
                got = by_page[page].p95_ms
                checks.append(f"{page} {got:.0f}/{target:.0f} {'ok' if got <= target else f'MISS +{got - target:.0f}'}")
            worst = max((p for p in r["pages"] if p.page.startswith("search")), key=lambda p: p.p95_ms)
            over = worst.p95_ms - TARGETS["search"]
            verdict = "ok" if over <= 0 else f"MISS +{over:.0f}"
            checks.append(f"full search (worst: {worst.page[8:]}) {worst.p95_ms:.0f}/{TARGETS['search']:.0f} "
                          f"{verdict}")
            most = max(r["pages"], key=lambda p: p.queries)
            checks.append(f"queries ≤ {MAX_QUERIES}: most {most.queries} ({most.page}) "
                          f"{'ok' if most.queries <= MAX_QUERIES else 'MISS'}")
            checks.append(f"card views/s {r['card_rps']:.0f}/{MIN_CARD_RPS:.0f} "
                          f"{'ok' if r['card_rps'] >= MIN_CARD_RPS else 'MISS'}")
            top = max(r["rss_mb"], default=0.0)
            checks.append(f"RSS {top:.0f}/{MAX_RSS_MB:.0f} MB {'ok' if top <= MAX_RSS_MB else 'MISS'}")
            lines.append(f"  {r['engine']}: " + "; ".join(checks))
        lines.append("")
    lines.append("times: server time in ms (request in → page rendered), one request at a time; SQL alone: "
                 "the page's captured statements replayed on raw connections; queries: most per request "
                 "(classic + store).")
    return "\n".join(lines)


def _postgresql_reachable() -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(kitdb.PG_ADMIN_URL, connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure: not reachable
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100,1000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="fewer requests (40 per page, 4 s of load)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    log(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = []
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        if engine == "postgresql" and not _postgresql_reachable():
            log(f"PostgreSQL is not reachable at {kitdb.PG_ADMIN_URL} (CRM_LITE_BENCH_PG_ADMIN): skipped")
            continue
        for scale in [int(s) for s in args.scales.split(",") if s.strip()]:
            log(f"== {engine}, scale {scale}")
            results.append(run_one(engine, scale, args.quick, log))
    text = table(results)
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.txt").write_text(text + "\n")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(
        [{**{k: v for k, v in r.items() if k != "pages"}, "pages": [asdict(p) for p in r["pages"]]} for r in results],
        indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
