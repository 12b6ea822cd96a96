"""Delete a company (soft delete) through the classic DeleteCompanies, on pages and in the JSON API.

The SOAP sandbox runs over a private copy of the kit database (see test_company_create.Classic);
which companies have open ledger items or live orders, and what a delete must write, comes from
independent SQL on that copy and the kit's rules. Afterwards the kit's ``check.py`` runs.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from .conftest import csrf_token
from .test_company_create import Classic, basic, html_of, run_check


@pytest.fixture
def classic(kit, tmp_path):
    c = Classic(kit, tmp_path)
    yield c
    c.close()


def open_items(classic, company_id: int) -> int:
    return classic.scalar('SELECT COUNT(*) FROM "tblLedgerEntry" WHERE "CompanyID" = :i AND "Closed" = \'N\'',
                          i=company_id)


def live_orders(classic, company_id: int) -> int:
    return classic.scalar('SELECT COUNT(*) FROM "tblOrder" WHERE "CompanyID" = :i AND "Deleted" = 0', i=company_id)


def items_text(count: int) -> str:
    return "It has 1 open ledger item." if count == 1 else f"It has {count} open ledger items."


def company_with_open_items(classic) -> int:
    return classic.scalar(
        'SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND EXISTS (SELECT 1 FROM '
        '"tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Closed" = \'N\')')


def company_with_orders_only(classic) -> int:
    return classic.scalar(
        'SELECT MIN(c."CompanyID") FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS (SELECT 1 FROM '
        '"tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Closed" = \'N\') AND EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0)')


def deletable_companies(classic) -> list[tuple[int, str]]:
    """Live companies without open ledger items and without live orders, those with contacts first."""
    return [tuple(r) for r in classic.q(
        'SELECT c."CompanyID", c."Name" FROM "tblCompany" c WHERE c."Deleted" = 0 AND NOT EXISTS (SELECT 1 FROM '
        '"tblLedgerEntry" l WHERE l."CompanyID" = c."CompanyID" AND l."Closed" = \'N\') AND NOT EXISTS '
        '(SELECT 1 FROM "tblOrder" o WHERE o."CompanyID" = c."CompanyID" AND o."Deleted" = 0) '
        'ORDER BY (SELECT COUNT(*) FROM "tblCompanyPerson" p WHERE p."CompanyID" = c."CompanyID") DESC, '
        'c."CompanyID"')]


def company_state(classic, company_id: int):
    return classic.one('SELECT "Deleted", "ChangeNo", "ChangedBy", "ChangedAt" FROM "tblCompany" '
                       'WHERE "CompanyID" = :i', i=company_id)


def test_confirm_page_names_the_company_and_posts_with_csrf(classic):
    client = classic.client("anna")
    company_id, name = deletable_companies(classic)[0]
    r = client.get(f"/companies/{company_id}/delete")
    assert r.status_code == 200
    html = html_of(r)
    assert str(escape(name)) in html
    assert f'action="/companies/{company_id}/delete"' in html and 'name="csrf_token"' in html
    # Without the token nothing happens.
    assert client.post(f"/companies/{company_id}/delete").status_code == 400
    assert company_state(classic, company_id).Deleted == 0


def test_delete_soft_deletes_through_classic_and_the_company_is_gone_from_search_and_card(classic):
    client = classic.client("marte")
    company_id, name = deletable_companies(classic)[0]
    links = classic.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :i', i=company_id)
    addresses = classic.scalar('SELECT COUNT(*) FROM "tblAddress" WHERE "CompanyID" = :i', i=company_id)
    before = company_state(classic, company_id)
    word = name.split()[0]
    assert f'href="/companies/{company_id}"' in html_of(client.get(f"/search?q={word}"))

    token = csrf_token(client, f"/companies/{company_id}/delete")
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token})
    assert r.status_code == 302
    after = company_state(classic, company_id)
    assert after.Deleted == 1 and after.ChangeNo == before.ChangeNo + 1
    assert after.ChangedBy == classic.user_id("marte") and after.ChangedAt is not None
    # Links, persons and history stay (kit: DeleteCompanies).
    assert classic.scalar('SELECT COUNT(*) FROM "tblCompanyPerson" WHERE "CompanyID" = :i', i=company_id) == links
    assert classic.scalar('SELECT COUNT(*) FROM "tblAddress" WHERE "CompanyID" = :i', i=company_id) == addresses
    followed = client.get(r.headers["Location"])
    assert str(escape(name)) in html_of(followed)  # "… was deleted."
    assert f'href="/companies/{company_id}"' not in html_of(client.get(f"/search?q={word}"))
    assert client.get(f"/companies/{company_id}").status_code == 404
    assert client.get(f"/companies/{company_id}/delete").status_code == 404
    run_check(classic)


def test_delete_refused_for_open_ledger_items_shows_the_classic_reason(classic):
    client = classic.client("anna")
    company_id = company_with_open_items(classic)
    count = open_items(classic, company_id)
    assert count > 0
    before = company_state(classic, company_id)
    token = csrf_token(client, f"/companies/{company_id}/delete")
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token})
    assert r.status_code == 422
    html = html_of(r)
    assert items_text(count) in html
    assert "Nothing was deleted." in html and "Traceback" not in html
    assert tuple(company_state(classic, company_id)) == tuple(before)


def test_delete_refused_for_orders_that_are_not_deleted(classic):
    client = classic.client("anna")
    company_id = company_with_orders_only(classic)
    count = live_orders(classic, company_id)
    assert count > 0
    token = csrf_token(client, f"/companies/{company_id}/delete")
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token})
    assert r.status_code == 422
    expected = "It has 1 order or invoice that is not deleted." if count == 1 else \
        f"It has {count} orders or invoices that are not deleted."
    assert expected in html_of(r)
    assert company_state(classic, company_id).Deleted == 0


@pytest.mark.parametrize("login", ["erik", "karin"])
def test_delete_needs_crm_delete(classic, login):
    client = classic.client(login)
    company_id, _name = deletable_companies(classic)[0]
    assert client.get(f"/companies/{company_id}/delete").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/companies/{company_id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.delete(f"/api/v1/companies/{company_id}", headers={"X-CSRFToken": token}).status_code == 403
    assert classic.client().delete(f"/api/v1/companies/{company_id}", headers=basic(login)).status_code == 403
    assert company_state(classic, company_id).Deleted == 0


def test_expired_classic_session_asks_for_the_password_then_deletes(classic):
    client = classic.client("anna")
    company_id, _name = deletable_companies(classic)[0]
    token = csrf_token(client, f"/companies/{company_id}/delete")
    classic.clock.advance(minutes=21)
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token})
    assert r.status_code == 401 and 'name="classic_password"' in html_of(r)
    assert company_state(classic, company_id).Deleted == 0
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token, "classic_password": "classic"})
    assert r.status_code == 302
    assert company_state(classic, company_id).Deleted == 1


def test_classic_down_gives_a_clear_message_and_deletes_nothing(classic):
    client = classic.client("anna")
    company_id, _name = deletable_companies(classic)[0]
    token = csrf_token(client, f"/companies/{company_id}/delete")
    classic.stop_soap()
    r = client.post(f"/companies/{company_id}/delete", data={"csrf_token": token})
    assert r.status_code == 503
    html = html_of(r)
    assert "cannot be reached" in html and "Nothing was deleted." in html
    assert company_state(classic, company_id).Deleted == 0


def test_api_delete_with_basic_and_with_the_session(classic):
    api = classic.client()
    (first, _n1), (second, _n2) = deletable_companies(classic)[:2]
    sessions = len(classic.server.app.sessions)
    r = api.delete(f"/api/v1/companies/{first}", headers=basic("anna"))
    assert r.status_code == 204
    assert company_state(classic, first).Deleted == 1
    assert len(classic.server.app.sessions) == sessions  # logged out after the request
    assert api.delete(f"/api/v1/companies/{first}", headers=basic("anna")).status_code == 404
    refused = company_with_open_items(classic)
    r = api.delete(f"/api/v1/companies/{refused}", headers=basic("anna"))
    assert r.status_code == 422
    assert r.get_json()["error"]["reasons"] == [items_text(open_items(classic, refused))]
    session = classic.client("anna")
    token = csrf_token(session, "/")
    assert session.delete(f"/api/v1/companies/{second}").status_code == 400  # no CSRF header
    assert session.delete(f"/api/v1/companies/{second}", headers={"X-CSRFToken": token}).status_code == 204
    assert company_state(classic, second).Deleted == 1
    run_check(classic)


def test_a_wrong_basic_password_deletes_nothing(classic):
    company_id, _name = deletable_companies(classic)[0]
    r = classic.client().delete(f"/api/v1/companies/{company_id}", headers=basic("anna", "wrong"))
    assert r.status_code == 401
    assert company_state(classic, company_id).Deleted == 0


def test_the_card_links_to_the_confirmation(classic):
    client = classic.client("anna")
    company_id, _name = deletable_companies(classic)[0]
    html = html_of(client.get(f"/companies/{company_id}"))
    assert re.search(rf'<a class="button[^"]*" href="/companies/{company_id}/delete">', html)
