"""At most 15 SQL statements per page (classic + store), whatever the size of the installation.

Every page's statements are counted on both engines (the classic database and CRM Lite's store).
The count must not grow with the data: the company with the most rows of the kit's sample costs
as many statements as the one with the fewest.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .conftest import english_client, make_app, sign_in

BUDGET = 15


@pytest.fixture(scope="module")
def counted(kit, tmp_path_factory):
    app = make_app(kit, tmp_path_factory.mktemp("budget"))
    services = app.extensions["crm_lite"]
    counts = {"n": 0}

    def count(*_args):
        counts["n"] += 1

    for engine in (services.classic_engine, services.state_engine):
        sa.event.listen(engine, "before_cursor_execute", count)
    client = english_client(app)
    assert sign_in(client, "anna").status_code == 302

    def statements(path: str) -> int:
        client.get(path)  # warm: installation settings, cached figures, statement caches
        counts["n"] = 0
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return counts["n"]

    yield statements
    services.close()


def _companies(kit_sql) -> tuple[int, int]:
    """(the live customer with the most activities + contacts + ledger rows, the one with the fewest)."""
    with kit_sql.connect() as conn:
        rows = conn.execute(sa.text(
            'SELECT c."CompanyID", '
            '(SELECT COUNT(*) FROM "tblActivity" a WHERE a."CompanyID" = c."CompanyID") + '
            '(SELECT COUNT(*) FROM "tblCompanyPerson" p WHERE p."CompanyID" = c."CompanyID") + '
            '(SELECT COUNT(*) FROM "tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID") AS n '
            'FROM "tblCompany" c WHERE c."Deleted" = 0 AND c."IsCustomer" = 1 ORDER BY n DESC, c."CompanyID"'
        )).all()
    return rows[0][0], rows[-1][0]


def test_every_page_stays_within_the_budget_for_big_and_small_companies(counted, kit_sql):
    big, small = _companies(kit_sql)
    with kit_sql.connect() as conn:
        person = conn.execute(sa.text('SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 0')).scalar_one()
    pages = ["/", "/search?q=ab", "/search/typeahead?q=and", "/search?q=08-123", f"/persons/{person}",
             "/employees/1", "/recent"]
    tabs = ["", "/contacts", "/emails", "/documents", "/calls", "/orders", "/ledger"]
    costs = {}
    for company in (big, small):
        for tab in tabs:
            costs[f"/companies/{company}{tab}"] = counted(f"/companies/{company}{tab}")
    for path in pages:
        costs[path] = counted(path)
    over = {p: n for p, n in costs.items() if n > BUDGET}
    assert not over, over
    for tab in tabs:  # the count does not grow with the company's rows
        assert costs[f"/companies/{big}{tab}"] == costs[f"/companies/{small}{tab}"], tab
