"""Kit databases for the benchmark, built once and cached under ``/tmp/crm-lite-bench/`` by scale + engine.

A database is reused only when its marker file (``built.json``) names the same scale, seed and day:
a half-built database (interrupted load) has no marker and is built again. ``CRM_LITE_BENCH_CACHE``
moves the cache; ``CRM_LITE_BENCH_PG_ADMIN`` names the PostgreSQL server (a superuser URL that can
create databases; default: the local ``postgres`` user, as the tests use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT_DIR = Path(os.environ.get("CRM_LITE_KIT_DIR", ROOT.parent / "shared" / "legacy")).resolve()
CACHE = Path(os.environ.get("CRM_LITE_BENCH_CACHE", "/tmp/crm-lite-bench"))
PG_ADMIN_URL = os.environ.get("CRM_LITE_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1/postgres")

#: The kit's day for every bench database; the bench's clock runs from 10:00 that day.
TODAY = date(2025, 6, 16)
SEED = 1


@dataclass(frozen=True)
class BenchDatabase:
    """A classic kit database for the bench and the URL of CRM Lite's store beside it."""

    engine: str  # sqlite, postgresql
    scale: int
    classic_url: str
    store_url: str
    folder: Path


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _marker_ok(marker: Path, scale: int) -> bool:
    try:
        meta = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return meta.get("scale") == scale and meta.get("seed") == SEED and meta.get("today") == TODAY.isoformat()


def _load(url: str, scale: int, folder: Path) -> float:
    """Run the kit's ``load.py`` (schema + rows) into ``url``; returns the seconds it took."""
    if not (KIT_DIR / "load.py").exists():
        raise SystemExit(f"the classic integration kit is absent ({KIT_DIR}); set CRM_LITE_KIT_DIR")
    started = time.monotonic()
    cmd = [sys.executable, str(KIT_DIR / "load.py"), "--url", url, "--scale", str(scale), "--seed", str(SEED),
           "--today", TODAY.isoformat(), "--drop"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=folder)
    if proc.returncode != 0:
        raise RuntimeError(f"load.py failed for {url}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started


def _pg_admin(statements: list[str]) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _pg_exists(name: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    finally:
        engine.dispose()


def ensure(engine: str, scale: int, *, log=print) -> BenchDatabase:
    """The cached kit database of ``engine`` (sqlite, postgresql) at ``scale``, built now if missing.

    Scale 1000 takes minutes (SQLite ~5, PostgreSQL ~10 on 2 cores). The store (CRM Lite's own
    tables, the search index, the figures cache) is a separate database beside it, emptied here
    whenever the classic database is built again.
    """
    folder = CACHE / f"{engine}-{scale}"
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "built.json"
    if engine == "sqlite":
        classic_url = f"sqlite:///{folder / 'classic.db'}"
        store_url = f"sqlite:///{folder / 'store.db'}"
        if not _marker_ok(marker, scale) or not (folder / "classic.db").exists():
            marker.unlink(missing_ok=True)
            for name in ("classic.db", "classic.db-journal", "store.db", "store.db-wal", "store.db-shm"):
                (folder / name).unlink(missing_ok=True)
            log(f"building the SQLite kit database at scale {scale} (cached in {folder}) ...")
            took = _load(classic_url, scale, folder)
            marker.write_text(json.dumps({"scale": scale, "seed": SEED, "today": TODAY.isoformat(),
                                          "seconds": round(took)}))
            log(f"  built in {took:.0f} s")
        return BenchDatabase(engine, scale, classic_url, store_url, folder)
    if engine == "postgresql":
        name, store = f"crm_lite_bench_{scale}", f"crm_lite_bench_{scale}_store"
        classic_url, store_url = _pg_url(name), _pg_url(store)
        if not _marker_ok(marker, scale) or not _pg_exists(name):
            marker.unlink(missing_ok=True)
            log(f"building the PostgreSQL kit database at scale {scale} ({name}) ...")
            _pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                       f'DROP DATABASE IF EXISTS "{store}" WITH (FORCE)',
                       f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"])
            took = _load(classic_url, scale, folder)
            import sqlalchemy as sa

            eng = sa.create_engine(classic_url, isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                conn.execute(sa.text("ANALYZE"))  # fresh statistics, as a live server has
            eng.dispose()
            marker.write_text(json.dumps({"scale": scale, "seed": SEED, "today": TODAY.isoformat(),
                                          "seconds": round(took)}))
            log(f"  built in {took:.0f} s")
        if not _pg_exists(store):
            _pg_admin([f"CREATE DATABASE \"{store}\" ENCODING 'UTF8' TEMPLATE template0"])
        return BenchDatabase(engine, scale, classic_url, store_url, folder)
    raise ValueError(f"unknown engine {engine!r} (sqlite, postgresql)")


if __name__ == "__main__":  # python -m benchmarks.kitdb sqlite 1000
    ensure(sys.argv[1], int(sys.argv[2]))
