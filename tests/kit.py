"""Classic databases built with the integration kit (``../shared/legacy/load.py``) for tests.

Every expected value in the tests comes from SQL on these databases (or the kit's documented
rules), never from the code under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIT_DIR = Path(os.environ.get("CRM_LITE_KIT_DIR", ROOT.parent / "shared" / "legacy")).resolve()

#: The kit's day for every test database (a Monday in June, second quarter).
TODAY = date(2025, 6, 16)
SEED = 1
#: The tests' "now": 10:00 local time on TODAY (the kit's snapshot is at 07:45).
NOW_LOCAL = datetime(2025, 6, 16, 10, 0)
NOW_UTC = NOW_LOCAL.replace(tzinfo=ZoneInfo("Europe/Stockholm")).astimezone(ZoneInfo("UTC"))

PG_ADMIN_URL = os.environ.get("CRM_LITE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1/postgres")
MARIA_ADMIN_URL = os.environ.get("CRM_LITE_TEST_MARIA_ADMIN", "mysql+pymysql://root@127.0.0.1/test?charset=utf8mb4")


def require_kit() -> None:
    """Skip the calling test when the kit is absent (CI has it beside the repo)."""
    if not (KIT_DIR / "load.py").exists():
        pytest.skip(f"the classic integration kit is absent ({KIT_DIR}); these tests need ../shared/legacy")


@dataclass(frozen=True)
class KitDatabase:
    engine_name: str  # sqlite, postgresql, mariadb
    load_url: str     # the URL load.py used (and independent SQL uses)
    app_url: str      # the URL CRM Lite gets (mysql+pyodbc for MariaDB)
    file_store: Path
    register_csv: Path
    today: date = TODAY


def load_kit(load_url: str, workdir: Path, scale: int = 1, today: date = TODAY) -> None:
    """Run the kit's ``load.py`` into ``load_url`` (dropping kit tables first)."""
    require_kit()
    cmd = [
        sys.executable, str(KIT_DIR / "load.py"), "--url", load_url, "--scale", str(scale),
        "--seed", str(SEED), "--today", today.isoformat(), "--drop",
        "--file-store", str(workdir / "files"), "--register-out", str(workdir / "register.csv"),
    ]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"load.py failed:\n{proc.stdout}\n{proc.stderr}")


def build_sqlite(workdir: Path, scale: int = 1, today: date = TODAY) -> KitDatabase:
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'classic.db'}"
    load_kit(url, workdir, scale, today)
    return KitDatabase("sqlite", url, url, workdir / "files", workdir / "register.csv", today)


def _worker_suffix() -> str:
    # One database per test process: parallel runs (xdist workers, several suites) never collide.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'm')}_{os.getpid()}"


def drop_server_database(db: KitDatabase) -> None:
    """Drop a PostgreSQL/MariaDB kit database made by this process."""
    import sqlalchemy as sa

    name = db.load_url.split("?")[0].rsplit("/", 1)[1]
    admin_url = PG_ADMIN_URL if db.engine_name == "postgresql" else MARIA_ADMIN_URL
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if db.engine_name == "postgresql":
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    engine.dispose()


def create_pg_database(name: str) -> str:
    """A new, empty PostgreSQL database ``name`` (a leftover of that name is dropped first); its
    URL. Skips the test when the server cannot be reached."""
    import sqlalchemy as sa

    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str) -> None:
    """Drop the PostgreSQL database ``name`` made by ``create_pg_database``."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build_postgresql(workdir: Path) -> KitDatabase:
    url = create_pg_database(f"crm_lite_kit_{_worker_suffix()}")
    workdir.mkdir(parents=True, exist_ok=True)
    load_kit(url, workdir)
    return KitDatabase("postgresql", url, url, workdir / "files", workdir / "register.csv")


def build_mariadb(workdir: Path) -> KitDatabase:
    import sqlalchemy as sa

    name = f"crm_lite_kit_{_worker_suffix()}"
    try:
        admin = sa.create_engine(MARIA_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_swedish_ci"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"MariaDB is not reachable at {MARIA_ADMIN_URL}: {exc}")
    base = MARIA_ADMIN_URL.split("?")[0].rsplit("/", 1)[0]
    load_url = f"{base}/{name}?charset=utf8mb4"
    workdir.mkdir(parents=True, exist_ok=True)
    load_kit(load_url, workdir)
    # CRM Lite itself goes through pyodbc, as production does (the port as a parameter).
    app_url = f"mysql+pyodbc://root:@127.0.0.1/{name}?driver=MariaDB+Unicode&port=3306&charset=utf8mb4"
    return KitDatabase("mariadb", load_url, app_url, workdir / "files", workdir / "register.csv")
