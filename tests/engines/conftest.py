"""Fixtures of the cross-browser suite: one live server, one browser per engine.

Package scope (this directory), not session: nothing here outlives these tests, so the other
browser tests can start their own Playwright afterwards (the sync API allows one at a time).

* ``live``: the app served on a free loopback port, on a private copy of the kit's SQLite
  database (the kit's own file stays read-only even when a flow edits something).
* ``live_sql``: an engine for independent SQL on that copy.
* ``engine``: a ``BrowserSession`` per engine, parametrized "chromium", "firefox", "webkit" so
  every test id names its engine (``test_x[webkit]``); opened once and reused by every test
  of that engine (``open_engine`` hands other fixtures the same one). WebKit runs on an Xvfb
  display (1280x1024, 24-bit) that the ``xvfb`` fixture starts.
  ``CRM_LITE_ENGINES=chromium,firefox`` narrows the run.
* ``browser``: the engine's session for one test: cookies cleared, Swedish, 1280 px wide.

On a failure the page is saved to ``test-artifacts/<engine>-<test>.png``; the end of the run
prints each engine's outcome and time.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa

from ..browser import ARTIFACTS, LiveServer
from ..conftest import make_app
from .drivers import ENGINES, BrowserSession, EngineUnavailable, Xvfb, open_session


def selected_engines() -> list[str]:
    """The engines of this run: all three unless ``CRM_LITE_ENGINES`` names some."""
    wanted = [e.strip() for e in os.environ.get("CRM_LITE_ENGINES", "").split(",") if e.strip()]
    unknown = set(wanted) - set(ENGINES)
    if unknown:
        raise pytest.UsageError(f"CRM_LITE_ENGINES: unknown engines {sorted(unknown)}; choose from {ENGINES}")
    return wanted or list(ENGINES)


# Per-engine bookkeeping for the summary: launch seconds, test seconds, outcomes.
_STATS: dict[str, dict] = defaultdict(lambda: {"launch": 0.0, "total": 0.0, "passed": 0, "failed": [],
                                               "skipped": 0})
_OPEN: dict[str, BrowserSession] = {}
#: (page, axe-core version, violations) of every axe run, for the summary.
AXE_SUMMARY: list[tuple[str, str, list[dict]]] = []


@pytest.fixture(scope="package")
def live_db(kit, tmp_path_factory):
    """A private copy of the kit's SQLite database (the same data; writes stay here)."""
    work = tmp_path_factory.mktemp("engines-db")
    source = kit.load_url.removeprefix("sqlite:///")
    shutil.copyfile(source, work / "classic.db")
    url = f"sqlite:///{work / 'classic.db'}"
    return dataclasses.replace(kit, load_url=url, app_url=url)


@pytest.fixture(scope="package")
def live(live_db, tmp_path_factory):
    """The app (fixed clock, 2025-06-16 10:00 Stockholm) served for the whole run."""
    app = make_app(live_db, tmp_path_factory.mktemp("engines-app"))
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["crm_lite"].close()


@pytest.fixture(scope="package")
def live_sql(live_db):
    """An engine for independent SQL (``sa.text``) on the live server's database."""
    engine = sa.create_engine(live_db.load_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def xvfb():
    """A 1280x1024, 24-bit virtual display for WebKit (started only when WebKit runs)."""
    try:
        display = Xvfb()
    except EngineUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield display
    display.stop()


def open_engine(name: str, request, live) -> BrowserSession:
    """The open session of engine ``name`` (launched now if none is), timed for the summary."""
    if name not in _OPEN:
        display = request.getfixturevalue("xvfb").display if name == "webkit" else None
        started = time.perf_counter()
        try:
            _OPEN[name] = open_session(name, live.url, display=display)
        except EngineUnavailable as exc:
            pytest.fail(f"{exc} (`make test` installs it)", pytrace=False)
        _STATS[name]["launch"] += time.perf_counter() - started
    return _OPEN[name]


def close_engine(name: str) -> None:
    """Quit engine ``name`` if it is open."""
    session = _OPEN.pop(name, None)
    if session is not None:
        session.close()


@pytest.fixture(scope="package", params=selected_engines())
def engine(request, live) -> BrowserSession:
    """One browser per engine for the package's tests; pytest groups the tests by engine, so
    one browser is open at a time. Package scope: every browser is closed before the other
    browser tests of the run start their own Playwright."""
    name = request.param
    session = open_engine(name, request, live)
    yield session
    close_engine(name)


@pytest.fixture(scope="package", autouse=True)
def _close_engines():
    yield
    for name in list(_OPEN):
        close_engine(name)


#: The app's language cookie (views/i18n.py): every engine shows the same language, whatever
#: its Accept-Language (WebKit's follows a C locale here).
LANGUAGE_COOKIE = {"crm_lite_lang": "sv"}


@pytest.fixture
def browser(engine) -> BrowserSession:
    """The engine's session for one test: signed out, Swedish, blank page, 1280 px wide. After the
    test, no script on its pages may have thrown or logged an error (Chromium reports them)."""
    engine.reset(cookies=LANGUAGE_COOKIE)
    engine.set_width(1280)
    engine.js_errors.clear()
    yield engine
    errors = list(engine.js_errors)
    engine.js_errors.clear()
    assert not errors, f"{engine.engine}: JavaScript errors on the pages: {errors}"


def sign_in(browser: BrowserSession, login: str = "anna", password: str = "classic") -> None:
    """Sign in through the login form as a user would; waits for the dashboard."""
    browser.goto("/login")
    browser.fill("#login", login)
    browser.fill("#password", password)
    browser.click("button[type=submit].primary")
    browser.wait_for_url("/")


def _engine_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "engine" in callspec.params:
        return callspec.params["engine"]
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, BrowserSession):
            return value.engine
    return None


def _test_name(item) -> str:
    """The test's name with its parameters but without the engine: "test_x", "test_y-login"."""
    callspec = getattr(item, "callspec", None)
    extra = [part for part in (callspec.id.split("-") if callspec else []) if part not in ENGINES]
    return "-".join([item.originalname, *extra]).replace("/", "_")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of a failed test's page: ``test-artifacts/<engine>-<test>.png``."""
    report = yield
    name = _engine_of(item)
    if name is None:
        return report
    stats = _STATS[name]
    stats["total"] += report.duration  # setup (a launch too), call and teardown
    if report.when == "call" and report.passed:
        stats["passed"] += 1
    elif report.skipped:
        stats["skipped"] += 1
    elif report.failed:
        if item.name not in stats["failed"]:
            stats["failed"].append(item.name)
        session = next((v for v in getattr(item, "funcargs", {}).values() if isinstance(v, BrowserSession)), None)
        if session is not None:
            path = ARTIFACTS / f"{name}-{_test_name(item)}.png"
            try:
                session.screenshot(path, full_page=True)
                report.sections.append(("screenshot", f"{path} (page {session.current_url()})"))
            except Exception as exc:  # noqa: BLE001 - a dead browser must not hide the failure
                report.sections.append(("screenshot", f"none: {exc}"))
    return report


def pytest_terminal_summary(terminalreporter):
    """One line per engine: tests passed/failed (by name), launch and total seconds; one line
    per page axe checked: violations by impact and rule."""
    if AXE_SUMMARY:
        terminalreporter.section(f"accessibility (axe-core {AXE_SUMMARY[0][1]}, Chromium)")
        for page, _version, violations in AXE_SUMMARY:
            rules = ", ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])})" for v in violations)
            terminalreporter.write_line(f"{page:16s} {len(violations)} violations{': ' + rules if rules else ''}")
    if not _STATS:
        return
    terminalreporter.section("browser engines")
    for name in ENGINES:
        if name not in _STATS:
            continue
        s = _STATS[name]
        failed = f", {len(s['failed'])} FAILED: {', '.join(s['failed'])}" if s["failed"] else ""
        terminalreporter.write_line(
            f"{name:9s} {s['passed']} passed{failed}; browser launch {s['launch']:.1f} s, "
            f"total {s['total']:.1f} s")
