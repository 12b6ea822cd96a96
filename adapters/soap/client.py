"""zeep plumbing shared by the SOAP gateways: clients from the repository's WSDL copies, addresses
from settings, (connect, read) timeouts, the classic session cookie per call, and the translation
of faults, timeouts and connection errors into facade errors.

SOAP operations: every operation of ``Authenticate``, ``CompanyService``, ``InvoiceService`` and
``CompanyLookup`` goes through ``SoapEndpoint.call``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from requests.cookies import RequestsCookieJar

from facade.errors import (
    ClassicUnavailable,
    CrmLiteError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from facade.i18n import N_

log = logging.getLogger("crm_lite.soap")

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
NS = "http://classiccrm.invalid/webservices"
LOOKUP_NS = "http://classiccrm.invalid/lookup"
SESSION_COOKIE = "ASP.NET_SessionId"

# Messages a user reads (English msgids; the views translate them). The fault text itself goes
# to ``details["fault"]`` for the log only.
CLASSIC_SESSION_GONE = N_("Your session in the classic system has ended.")
CLASSIC_FORBIDDEN = N_("The classic system does not allow you to do this: your user lacks the right it needs.")
CLASSIC_NOT_FOUND = N_("The record was not found in the classic system. It may have been deleted.")
CLASSIC_INVALID = N_("The classic system did not accept the data. Check it and try again.")
CLASSIC_TIMEOUT = N_("The classic system did not answer in time. Try again in a moment.")
CLASSIC_DOWN = N_("The classic system cannot be reached right now. Try again in a moment.")
CLASSIC_FAILED = N_("The classic system ran into a problem. Try again in a moment.")
CLASSIC_GARBLED = N_("The classic system gave an answer CRM Lite does not understand. Try again later.")
CLASSIC_REFUSED = N_("The classic system refused the request.")
REGISTER_AUTH = N_("The company register did not accept CRM Lite's credentials. Ask your administrator.")
REGISTER_NOT_FOUND = N_("The company register has no company with this organisation number.")
REGISTER_INVALID = N_("Type a name or an organisation number to search the company register.")
REGISTER_TIMEOUT = N_("The company register did not answer in time. Try again in a moment.")
REGISTER_DOWN = N_("The company register cannot be reached right now. Try again in a moment.")
REGISTER_FAILED = N_("The company register ran into a problem. Try again in a moment.")

_CLASSIC_MESSAGES = {
    "NotAuthenticated": CLASSIC_SESSION_GONE, "Forbidden": CLASSIC_FORBIDDEN, "NotFound": CLASSIC_NOT_FOUND,
    "Validation": CLASSIC_INVALID, "ServerError": CLASSIC_FAILED, "timeout": CLASSIC_TIMEOUT,
    "down": CLASSIC_DOWN, "garbled": CLASSIC_GARBLED,
}
_REGISTER_MESSAGES = {
    "NotAuthenticated": REGISTER_AUTH, "Forbidden": REGISTER_AUTH, "NotFound": REGISTER_NOT_FOUND,
    "Validation": REGISTER_INVALID, "ServerError": REGISTER_FAILED, "timeout": REGISTER_TIMEOUT,
    "down": REGISTER_DOWN, "garbled": REGISTER_FAILED,
}
_ERRORS: dict[str, type[CrmLiteError]] = {
    "NotAuthenticated": NotAuthenticated, "Forbidden": Forbidden, "NotFound": NotFound,
    "Validation": InvalidInput, "ServerError": ClassicUnavailable,
}
_SESSION_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")


class _NoCookies(RequestsCookieJar):
    """A cookie jar that keeps nothing: one HTTP session serves every user, so the classic session
    cookie must never be remembered (it is sent explicitly per call)."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def make_transport(connect_timeout: float, read_timeout: float) -> zeep.Transport:
    """A zeep transport over one pooled ``requests.Session`` without cookie memory.

    Every operation gets ``timeout=(connect_timeout, read_timeout)`` in seconds.
    """
    session = requests.Session()
    session.cookies = _NoCookies()
    timeouts = (connect_timeout, read_timeout)
    return zeep.Transport(session=session, timeout=timeouts, operation_timeout=timeouts)


def service_address(base_url: str, service: str) -> str:
    """``base_url/<service>.asmx``; a URL that already names an ``.asmx`` is used as it is."""
    url = base_url.strip()
    if url.lower().endswith(".asmx"):
        return url
    return f"{url.rstrip('/')}/{service}.asmx"


class SoapEndpoint:
    """One service: a zeep client built from the local WSDL copy, bound to ``address``.

    ``register=True`` words errors for the company register instead of the classic system.
    """

    def __init__(
        self,
        wsdl_name: str,
        binding: str,
        address: str,
        transport: zeep.Transport,
        *,
        namespace: str = NS,
        register: bool = False,
    ) -> None:
        self.address = address
        self.client = zeep.Client(str(WSDL_DIR / wsdl_name), transport=transport)
        self.service = self.client.create_service(f"{{{namespace}}}{binding}", address)
        self._messages = _REGISTER_MESSAGES if register else _CLASSIC_MESSAGES

    def call(
        self,
        operation: str,
        *,
        session_id: str | None = None,
        soap_headers: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Run ``operation``; with ``session_id`` the call carries the classic session cookie.

        Raises NotAuthenticated, Forbidden, NotFound, InvalidInput (fault ``Validation``) and
        ClassicUnavailable (``ServerError``, a fault without one of the contract's codes, timeouts,
        connection errors, answers that are not SOAP). The user-facing message never holds the
        fault text; ``details["fault"]`` keeps it for the log.
        """
        headers = None
        if session_id is not None:
            if not _SESSION_ID.match(session_id):
                raise NotAuthenticated(self._messages["NotAuthenticated"], operation=operation)
            headers = {"Cookie": f"{SESSION_COOKIE}={session_id}"}
        if soap_headers is not None:
            params["_soapheaders"] = dict(soap_headers)
        try:
            # zeep's settings are thread-local: the cookie goes with this call only.
            with self.client.settings(extra_http_headers=headers) if headers else nullcontext():
                return getattr(self.service, operation)(**params)
        except zeep.exceptions.Fault as fault:
            raise self._from_fault(operation, fault) from fault
        except requests.exceptions.Timeout as exc:
            log.warning("SOAP %s at %s timed out: %s", operation, self.address, exc)
            raise ClassicUnavailable(self._messages["timeout"], operation=operation, cause="timeout") from exc
        except (requests.exceptions.RequestException, zeep.exceptions.TransportError) as exc:
            log.warning("SOAP %s at %s failed: %s", operation, self.address, exc)
            raise ClassicUnavailable(self._messages["down"], operation=operation, cause=type(exc).__name__) from exc
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError) as exc:
            log.warning("SOAP %s at %s answered something unreadable: %s", operation, self.address, exc)
            raise ClassicUnavailable(self._messages["garbled"], operation=operation, cause="garbled") from exc

    def _from_fault(self, operation: str, fault: zeep.exceptions.Fault) -> CrmLiteError:
        text = (fault.message or "").strip()
        code, sep, detail = text.partition(":")
        code = code.strip() if sep else ""
        log.info("SOAP %s fault: %s", operation, text[:500])
        details: dict[str, Any] = {"operation": operation, "fault": text, "fault_code": code}
        error = _ERRORS.get(code)
        if error is None:
            # Not one of the contract's codes (a proxy's error page, an unknown fault): nothing the
            # user did wrong, and retrying later is all they can do.
            log.warning("SOAP %s at %s: unexpected fault %r", operation, self.address, text[:200])
            return ClassicUnavailable(self._messages["garbled"], **details)
        if error is InvalidInput:
            fields = parse_validation(detail.strip())
            return InvalidInput(self._messages[code], fields=fields, **details)
        return error(self._messages[code], **details)


def parse_validation(message: str, names: Mapping[str, str] | None = None) -> dict[str, str]:
    """``"Name: must not be empty; Discount: …"`` → ``{"name": "must not be empty", …}``.

    ``names`` maps classic element names to facade field names (unknown names are kept as sent).
    """
    fields: dict[str, str] = {}
    for part in (message or "").split("; "):
        key, sep, text = part.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            continue
        key = key.strip()
        field = (names or {}).get(key) or (names or {}).get(key.split(".", 1)[0]) or key
        fields.setdefault(field, text.strip())
    return fields
