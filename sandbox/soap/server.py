"""Run the SOAP sandbox: in a thread (tests, ``crm-lite demo``) or from the command line.

    python -m sandbox.soap.server --database-url sqlite:///instance/classic.db \\
        --register instance/register.csv --port 5001

CRM Lite then uses ``CRM_LITE_CLASSIC_SOAP_URL=http://127.0.0.1:5001`` and
``CRM_LITE_LOOKUP_URL=http://127.0.0.1:5001``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import SoapSandbox
from .sessions import Clock

log = logging.getLogger("sandbox.soap")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class SandboxServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server (one thread per request) that knows its app and can stop itself."""

    daemon_threads = True
    allow_reuse_address = True
    app: SoapSandbox
    thread: threading.Thread | None = None

    def stop(self) -> None:
        """Stop serving, close the socket and the app's database connections."""
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.app.close()


def make_sandbox_server(
    database_url: str,
    register_csv: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock | None = None,
    lookup_credentials: dict[str, str] | None = None,
) -> SandboxServer:
    """A bound (not yet serving) sandbox server; ``port=0`` picks a free port."""
    app = SoapSandbox(database_url, register_csv, clock=clock, lookup_credentials=lookup_credentials)
    server = make_server(host, port, app, server_class=SandboxServer, handler_class=_QuietHandler)
    assert isinstance(server, SandboxServer)
    server.app = app
    return server


def serve_in_thread(
    database_url: str,
    register_csv: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock | None = None,
    lookup_credentials: dict[str, str] | None = None,
) -> tuple[SandboxServer, str]:
    """Start the sandbox in a daemon thread; returns ``(server, base_url)``.

    ``base_url`` is ``http://host:port`` (the services are at ``base_url + "/CompanyService.asmx"``
    …). Stop it with ``server.stop()``. ``clock`` (aware UTC now) lets tests expire sessions.
    """
    server = make_sandbox_server(
        database_url, register_csv, host, port, clock=clock, lookup_credentials=lookup_credentials
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="soap-sandbox", daemon=True)
    server.thread = thread
    thread.start()
    return server, f"http://{host}:{server.server_port}"


def main(argv: list[str] | None = None) -> int:
    """Command line: serve until interrupted."""
    ap = argparse.ArgumentParser(description="The classic SOAP services and the company lookup (sandbox).")
    ap.add_argument("--database-url", required=True, help="the classic database, e.g. sqlite:///classic.db")
    ap.add_argument("--register", help="the company register CSV (the kit's register.csv)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5001)
    ap.add_argument("--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    server = make_sandbox_server(args.database_url, args.register, args.host, args.port)
    print(f"SOAP sandbox on http://{args.host}:{server.server_port} (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
