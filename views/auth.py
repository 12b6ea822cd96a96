"""Sign-in, sign-out and the authentication hook that guards every page and API call."""

from __future__ import annotations

import base64
import binascii

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from facade import auth as auth_uc
from facade.errors import Forbidden, NotAuthenticated

from ._common import safe_next, services
from .security import limiter

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "auth.logout", "language.choose_language", "static", "health"}


class LoginForm(FlaskForm):
    login = StringField("login", validators=[DataRequired(), Length(max=50)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    next = StringField("next")


def _login_limit() -> str:
    return current_app.config.get("CRM_LITE_LOGIN_RATE_LIMIT", "5 per 5 minutes")


def _login_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, per_method=True)
@limiter.limit(_login_limit, key_func=_login_key, methods=["POST"], deduct_when=_failed, per_method=True)
def login():
    """The sign-in page; POST checks classic credentials (``tblUser``) and opens a session."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error, status = None, 200
    if form.validate_on_submit():
        svc = services()
        old = session.get("sid")
        try:
            sid, _user, notices = auth_uc.open_session(
                form.login.data, form.password.data, users=svc.users, sessions=svc.sessions,
                clock=svc.clock, classic=svc.classic_sessions,
            )
        except NotAuthenticated as exc:
            error, status = _(exc.message), 401
        except Forbidden as exc:
            error, status = _(exc.message), 403
        else:
            if old:
                auth_uc.end_session(old, sessions=svc.sessions, classic=svc.classic_sessions)
            session.clear()
            session["sid"] = sid
            for notice in notices:
                flash(_(notice), "warning")
            return redirect(safe_next(form.next.data, url_for("dashboard.index")))
    elif request.method == "POST":
        error, status = _("Enter your user name and password."), 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out: end the CRM Lite session (POST with CSRF token)."""
    sid = session.get("sid")
    if sid:
        svc = services()
        auth_uc.end_session(sid, sessions=svc.sessions, classic=svc.classic_sessions)
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _basic_user():
    """The user of an HTTP Basic ``Authorization`` header, or None when there is none."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        login_name, _sep, password = raw.partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated(auth_uc.BAD_CREDENTIALS) from None
    return auth_uc.sign_in(login_name, password, users=services().users)


def _api_unauthorized(message: str, status: int = 401):
    response = jsonify({"error": {"code": "not_authenticated" if status == 401 else "forbidden",
                                  "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="CRM Lite", charset="UTF-8"'
    return response


def authenticate():
    """Before every request: find the signed-in user (session or, for the API, HTTP Basic)."""
    g.user = None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    svc = services()
    is_api = request.blueprint == "api"
    if is_api and request.headers.get("Authorization"):
        try:
            g.user = _basic_user()
        except NotAuthenticated as exc:
            return _api_unauthorized(_(exc.message))
        except Forbidden as exc:
            return _api_unauthorized(_(exc.message), 403)
        g.api_basic = True
        return None
    sid = session.get("sid")
    if sid:
        try:
            g.user = auth_uc.resume_session(
                sid, sessions=svc.sessions, users=svc.users, clock=svc.clock,
                idle_minutes=svc.settings.idle_minutes,
            )
            g.sid = sid
            auth_uc.keep_classic_alive(sid, classic=svc.classic_sessions)
            return None
        except NotAuthenticated as exc:
            session.clear()
            if is_api:
                return _api_unauthorized(_(exc.message))
            flash(_(exc.message), "warning")
    if is_api:
        return _api_unauthorized(_("Sign in, or send HTTP Basic credentials."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    """Install the authentication hook and the language blueprint."""
    from .i18n import bp as language_bp
    app.before_request(authenticate)
    app.register_blueprint(language_bp)
