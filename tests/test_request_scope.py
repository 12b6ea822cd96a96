"""One connection per database per request (``adapters.sql.engine.request_scope``).

A page reads through ``classic_connection`` / ``read_connection`` a dozen times; inside a request's
scope they share one pooled connection (one checkout and pre-ping instead of twelve). What must
still hold: each read sees what was committed before it, also a write made in the same request
(MariaDB's transactions read one snapshot: the scope must not keep one open), the connection goes
back to its pool when the request ends, and a broken connection is not handed out again.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from adapters.sql.engine import classic_connection, make_engine, read_connection, request_scope

from .conftest import make_app
from .kit import PG_ADMIN_URL

SERVERS = {
    "sqlite": None,
    "postgresql": PG_ADMIN_URL.rsplit("/", 1)[0] + "/test",
    # CRM Lite reaches MariaDB through pyodbc (as in production); the machine's `test` database.
    "mariadb": "mysql+pyodbc://root:@127.0.0.1/test?driver=MariaDB+Unicode&port=3306&charset=utf8mb4",
}


@pytest.fixture(params=list(SERVERS))
def scratch(request, tmp_path):
    """An engine (as ``make_engine`` builds them) with a scratch table ``t(x)`` holding one row."""
    url = SERVERS[request.param] or f"sqlite:///{tmp_path / 'scratch.db'}"
    engine = make_engine(url)
    table = f"scope_{uuid.uuid4().hex[:10]}"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {table} (x INTEGER)"))
            conn.execute(sa.text(f"INSERT INTO {table} (x) VALUES (1)"))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        pytest.skip(f"{request.param} is not reachable: {exc}")
    yield engine, table
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()


def test_reads_in_one_scope_share_one_connection_and_give_it_back(scratch):
    engine, table = scratch
    with request_scope():
        with read_connection(engine) as a:
            a.execute(sa.text(f"SELECT x FROM {table}")).all()
        with classic_connection(engine) as b:
            b.execute(sa.text(f"SELECT x FROM {table}")).all()
        assert a is b
        assert engine.pool.checkedout() == 1
    assert engine.pool.checkedout() == 0
    with read_connection(engine) as c, read_connection(engine) as d:  # outside a scope: one each
        assert c is not d


def test_a_read_after_a_write_in_the_same_request_sees_the_write(scratch):
    engine, table = scratch
    with request_scope():
        with read_connection(engine) as conn:
            assert conn.execute(sa.text(f"SELECT x FROM {table}")).scalar_one() == 1
        with engine.begin() as writer:  # a write takes its own connection and commits
            writer.execute(sa.text(f"UPDATE {table} SET x = 2"))
        with read_connection(engine) as conn:
            assert conn.execute(sa.text(f"SELECT x FROM {table}")).scalar_one() == 2


def test_an_error_inside_the_scope_returns_the_connection(scratch):
    engine, table = scratch
    with pytest.raises(RuntimeError), request_scope():
        with read_connection(engine) as conn:
            conn.execute(sa.text(f"SELECT x FROM {table}")).all()
        raise RuntimeError("the view failed")
    assert engine.pool.checkedout() == 0


def test_a_failed_statement_drops_the_connection_from_the_scope(scratch):
    engine, table = scratch
    with request_scope():
        with pytest.raises(sa.exc.DBAPIError), read_connection(engine) as conn:
            conn.execute(sa.text("SELECT no_such_column FROM " + table)).all()
        with read_connection(engine) as again:
            assert again is not conn
            assert again.execute(sa.text(f"SELECT x FROM {table}")).scalar_one() == 1
    assert engine.pool.checkedout() == 0


def test_a_card_page_checks_out_one_connection_per_database(kit, tmp_path):
    app = make_app(kit, tmp_path)
    services = app.extensions["crm_lite"]
    checkouts = {"classic": 0, "store": 0}
    for name, engine in (("classic", services.classic_engine), ("store", services.state_engine)):
        sa.event.listen(engine.pool, "checkout", lambda *a, n=name: checkouts.__setitem__(n, checkouts[n] + 1))
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    from .conftest import sign_in

    assert sign_in(client, "anna").status_code == 302
    with sa.create_engine(kit.load_url).connect() as conn:
        company_id = conn.execute(sa.text(
            'SELECT MIN("CompanyID") FROM "tblCompany" WHERE "Deleted" = 0 AND "IsCustomer" = 1')).scalar_one()
    client.get(f"/companies/{company_id}")  # warm (schema, installation settings)
    checkouts.update(classic=0, store=0)
    response = client.get(f"/companies/{company_id}")
    assert response.status_code == 200
    # classic: every read of the page on one connection; store: the reads on one, plus the
    # recently-viewed write in its own transaction.
    assert checkouts == {"classic": 1, "store": 2}
    services.close()
