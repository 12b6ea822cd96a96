"""Fixtures: kit databases (SQLite always; PostgreSQL and MariaDB for the engine tier), the app
with a fixed clock, and signed-in clients."""

from __future__ import annotations

import contextlib
import re

import pytest
import sqlalchemy as sa

from adapters.clock import FixedClock
from config.settings import Settings
from config.wiring import build_services
from views import create_app

from .kit import NOW_UTC, KitDatabase, build_mariadb, build_postgresql, build_sqlite, drop_server_database


@pytest.fixture(scope="session")
def kit(tmp_path_factory) -> KitDatabase:
    """The kit's sample (scale 1, seed 1, today 2025-06-16) in SQLite. Read-only for tests."""
    return build_sqlite(tmp_path_factory.mktemp("kit-sqlite"))


_ENGINE_CACHE: dict[str, KitDatabase] = {}


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "mariadb"])
def kit_any(request, tmp_path_factory, kit) -> KitDatabase:
    """The same sample in SQLite, PostgreSQL and MariaDB (read-only for tests)."""
    if request.param == "sqlite":
        return kit
    if request.param not in _ENGINE_CACHE:
        builder = build_postgresql if request.param == "postgresql" else build_mariadb
        db = builder(tmp_path_factory.mktemp(f"kit-{request.param}"))
        _ENGINE_CACHE[request.param] = db
    return _ENGINE_CACHE[request.param]


@pytest.fixture(scope="session", autouse=True)
def _drop_server_databases():
    """Drop the PostgreSQL/MariaDB kit databases this run made."""
    yield
    for db in _ENGINE_CACHE.values():
        with contextlib.suppress(Exception):  # best effort cleanup
            drop_server_database(db)


@pytest.fixture(scope="session")
def kit_sql(kit):
    """An engine on the SQLite kit database for independent SQL (``sa.text`` queries)."""
    engine = sa.create_engine(kit.load_url)
    yield engine
    engine.dispose()


def sql_engine(db: KitDatabase):
    """An engine for independent SQL on ``db`` (the URL load.py used)."""
    return sa.create_engine(db.load_url)


def make_app(db: KitDatabase, tmp_path, **overrides):
    """The app on ``db`` with the clock fixed at 2025-06-16 10:00 Stockholm time."""
    values = {
        "database_url": db.app_url,
        "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        "file_store": str(db.file_store),
        "login_rate_limit": "1000 per minute",
    }
    values.update(overrides)
    settings = Settings.for_tests(**values)
    services = build_services(settings, clock=FixedClock(NOW_UTC))
    return create_app(settings, services)


@pytest.fixture
def app(kit, tmp_path):
    application = make_app(kit, tmp_path)
    yield application
    application.extensions["crm_lite"].close()


def english_client(app):
    """A test client whose browser asks for English (the msgids): page tests assert English
    text; Swedish, the default, is covered by tests/test_translations.py."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    return english_client(app)


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    m = _CSRF.search(html)
    assert m, f"no csrf_token on {path}"
    return m.group(1) or m.group(2)


def sign_in(client, login: str, password: str = "classic"):
    """Sign in through the login form (with its CSRF token); returns the response."""
    token = csrf_token(client)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


@pytest.fixture
def anna(client):
    """A client signed in as ``anna`` (seller with ledger right)."""
    r = sign_in(client, "anna")
    assert r.status_code == 302, r.get_data(as_text=True)
    return client
