"""CRM Lite's settings: one frozen object read from ``CRM_LITE_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = Path(os.environ.get("CRM_LITE_INSTANCE_DIR", ROOT / "instance"))


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable. See README "Configuration" for each variable."""

    database_url: str = f"sqlite:///{INSTANCE / 'classic.db'}"
    state_url: str = f"sqlite:///{INSTANCE / 'crm-lite-state.db'}"
    file_store: str = str(INSTANCE / "files")
    secret_key: str = ""
    idle_minutes: int = 20  # at or below the classic session's 20 minutes
    ratelimit_storage_uri: str = "memory://"
    login_rate_limit: str = "5 per 5 minutes"
    classic_soap_url: str = "http://127.0.0.1:5001"
    lookup_url: str = "http://127.0.0.1:5001"
    lookup_customer_code: str = "CLASSIC"
    lookup_user_id: str = "crmlite"
    lookup_password: str = "lookup"
    soap_connect_timeout: float = 3.0
    soap_read_timeout: float = 20.0
    secure_cookies: bool = False
    pool_size: int = 5
    change_feed: str = "polling"  # or "change-tracking" (SQL Server with Change Tracking enabled)
    feed_thread: bool = True  # web workers follow the change feed (off when `crm-lite index follow` runs)
    testing: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``CRM_LITE_*`` variables; unset ones keep the safe defaults."""
        env = os.environ.get
        secret = env("CRM_LITE_SECRET_KEY") or _instance_secret()
        d = cls()
        return cls(
            database_url=env("CRM_LITE_DATABASE_URL") or d.database_url,
            state_url=env("CRM_LITE_STATE_URL") or d.state_url,
            file_store=env("CRM_LITE_FILE_STORE") or d.file_store,
            secret_key=secret,
            idle_minutes=min(_int("CRM_LITE_IDLE_MINUTES", d.idle_minutes), 20),
            ratelimit_storage_uri=env("CRM_LITE_RATELIMIT_STORAGE_URI") or d.ratelimit_storage_uri,
            login_rate_limit=env("CRM_LITE_LOGIN_RATE_LIMIT") or d.login_rate_limit,
            classic_soap_url=env("CRM_LITE_CLASSIC_SOAP_URL") or d.classic_soap_url,
            lookup_url=env("CRM_LITE_LOOKUP_URL") or d.lookup_url,
            lookup_customer_code=env("CRM_LITE_LOOKUP_CUSTOMER_CODE") or d.lookup_customer_code,
            lookup_user_id=env("CRM_LITE_LOOKUP_USER_ID") or d.lookup_user_id,
            lookup_password=env("CRM_LITE_LOOKUP_PASSWORD") or d.lookup_password,
            soap_connect_timeout=_float("CRM_LITE_SOAP_CONNECT_TIMEOUT", d.soap_connect_timeout),
            soap_read_timeout=_float("CRM_LITE_SOAP_READ_TIMEOUT", d.soap_read_timeout),
            secure_cookies=env("CRM_LITE_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            pool_size=_int("CRM_LITE_POOL_SIZE", d.pool_size),
            change_feed=_choice("CRM_LITE_CHANGE_FEED", ("polling", "change-tracking"), d.change_feed),
            feed_thread=env("CRM_LITE_FEED_THREAD", "1").strip().lower() not in ("0", "no", "false", "off"),
        )

    @classmethod
    def for_tests(cls, **overrides: object) -> Settings:
        """Settings for tests: a random secret; everything else from ``overrides``."""
        # No SOAP services unless a test starts the sandbox and passes its URL.
        base = cls(secret_key=secrets.token_hex(16), testing=True, classic_soap_url="", lookup_url="")
        return replace(base, **overrides)  # type: ignore[arg-type]

    def with_(self, **overrides: object) -> Settings:
        """A copy with some values replaced."""
        return replace(self, **overrides)  # type: ignore[arg-type]


def _instance_secret() -> str:
    """A secret key kept in ``instance/secret_key`` so sessions survive a restart."""
    path = INSTANCE / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        INSTANCE.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
