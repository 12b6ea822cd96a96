"""The sandbox's WSGI application: the four ASMX endpoints of the kit's WSDL.

``POST /<Service>.asmx`` with a SOAP 1.1 envelope runs the operation named by ``SOAPAction``;
``GET /<Service>.asmx?wsdl`` returns the WSDL with this server's address. Faults are ASMX style
(HTTP 500, ``faultstring`` "Code: message"); anything unexpected becomes ``ServerError`` (logged
here, never sent to the client).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import Engine

from .auth import COOKIE, AuthenticateService
from .base import Call
from .companies import CompanyService
from .db import make_engine
from .invoices import InvoiceService
from .lookup import DEFAULT_CREDENTIALS, CompanyLookupService, Register
from .sessions import Clock, SessionStore, system_clock
from .soap import (
    MalformedRequest,
    ServiceContract,
    SoapFault,
    parse_request,
    read_envelope,
    render_fault,
    render_response,
)

log = logging.getLogger("sandbox.soap")

#: The repository's copies of the kit's WSDL (a test proves they are byte-identical to the kit's).
WSDL_DIR = Path(__file__).resolve().parents[2] / "adapters" / "soap" / "wsdl"
SERVICES = ("Authenticate", "CompanyService", "InvoiceService", "CompanyLookup")
MAX_REQUEST_BYTES = 20 * 1024 * 1024

StartResponse = Callable[..., Any]


class SoapSandbox:
    """A WSGI app standing in for the classic services and the company lookup.

    ``clock`` returns aware UTC now (sessions expire after 20 idle minutes of it; audit times use it
    in the installation's zone). ``calls`` counts calls per operation, ``outbox`` records what
    ``SendInvoices`` sent: both for tests.
    """

    def __init__(
        self,
        database: str | Engine,
        register_csv: str | Path | None,
        *,
        clock: Clock | None = None,
        lookup_credentials: dict[str, str] | None = None,
        wsdl_dir: Path = WSDL_DIR,
    ) -> None:
        self.engine = make_engine(database) if isinstance(database, str) else database
        self.clock: Clock = clock or system_clock
        self.sessions = SessionStore(self.clock)
        self.register = Register.from_csv(register_csv)
        self.calls: Counter[str] = Counter()
        self.outbox: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        handlers: dict[str, Any] = {
            "Authenticate": AuthenticateService(self),
            "CompanyService": CompanyService(self),
            "InvoiceService": InvoiceService(self),
            "CompanyLookup": CompanyLookupService(self.register, lookup_credentials or DEFAULT_CREDENTIALS),
        }
        self.endpoints: dict[str, tuple[ServiceContract, Any]] = {}
        for name in SERVICES:
            contract = ServiceContract(wsdl_dir / f"{name}.wsdl")
            self.endpoints[f"/{name.lower()}.asmx"] = (contract, handlers[name])

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = (environ.get("PATH_INFO") or "/").lower()
        endpoint = self.endpoints.get(path)
        method = environ.get("REQUEST_METHOD", "GET")
        if endpoint is None:
            return _plain(start_response, "404 Not Found", "Not found\n")
        contract, handler = endpoint
        if method == "GET":
            if environ.get("QUERY_STRING", "").lower() in ("wsdl", "wsdl="):
                return _respond(start_response, "200 OK", contract.wsdl_for(_base_url(environ)), "text/xml; charset=utf-8")
            ops = "\n".join(f"  {name}" for name in contract.operations)
            return _plain(start_response, "200 OK", f"{contract.path.stem}\n\nOperations:\n{ops}\n\nWSDL: ?wsdl\n")
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "Use POST\n", [("Allow", "GET, POST")])
        call: Call | None = None
        try:
            data = _read_body(environ)
            header, node = read_envelope(data)
            operation = self._operation(contract, environ, node)
            params, headers = parse_request(operation, header, node)
            call = Call(operation.name, params, headers, _session_cookie(environ))
            with self._lock:
                self.calls[operation.name] += 1
            result = getattr(handler, operation.name)(call)
            body = render_response(operation, result)
        except SoapFault as fault:
            return _respond(start_response, "500 Internal Server Error", render_fault(fault), "text/xml; charset=utf-8")
        except Exception:
            log.exception("SOAP sandbox: unexpected error in %s", getattr(call, "operation", path))
            fault = SoapFault("ServerError", "an unexpected error occurred on the server; try again")
            return _respond(start_response, "500 Internal Server Error", render_fault(fault), "text/xml; charset=utf-8")
        cookies = [("Set-Cookie", c) for c in (call.set_cookies if call else [])]
        return _respond(start_response, "200 OK", body, "text/xml; charset=utf-8", cookies)

    @staticmethod
    def _operation(contract: ServiceContract, environ: dict[str, Any], node: Any) -> Any:
        action = (environ.get("HTTP_SOAPACTION") or "").strip().strip('"')
        if action:
            operation = contract.by_action.get(action)
            if operation is None:
                raise MalformedRequest(f"the server did not recognize the value of HTTP header SOAPAction: {action}")
            return operation
        operation = contract.operations.get(etree.QName(node).localname)
        if operation is None:
            raise MalformedRequest("unknown operation")
        return operation


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        raise MalformedRequest("the request has no body")
    if length > MAX_REQUEST_BYTES:
        raise MalformedRequest("the request is too large")
    return environ["wsgi.input"].read(length)


def _session_cookie(environ: dict[str, Any]) -> str | None:
    raw = environ.get("HTTP_COOKIE") or ""
    if not raw:
        return None
    try:
        jar = SimpleCookie()
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


def _base_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _respond(
    start_response: StartResponse, status: str, body: bytes, content_type: str, extra: list | None = None
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))] + (extra or [])
    start_response(status, headers)
    return [body]


def _plain(start_response: StartResponse, status: str, text: str, extra: list | None = None) -> list[bytes]:
    return _respond(start_response, status, text.encode("utf-8"), "text/plain; charset=utf-8", extra)
