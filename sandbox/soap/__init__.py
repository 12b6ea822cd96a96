"""A faithful stand-in for the classic CRM's SOAP services and the company lookup.

Serves the kit's WSDL (``Authenticate``, ``CompanyService``, ``InvoiceService``,
``CompanyLookup``) over a classic database with the kit's rules: sessions by the
``ASP.NET_SessionId`` cookie (20 idle minutes), number series, ``ChangeNo`` conflicts, per-item
``APIException``, .NET MinValue sentinels and ASMX faults. CRM Lite never imports this package;
it talks to it over HTTP like to the real services.

SOAP machinery: zeep's WSDL/XSD objects (the contract) plus lxml, see ``soap.py``. spyne was not
used: it imports ``cgi``, which Python 3.13 removed, and would need the contract restated in code.
"""

from typing import Any

from .app import SoapSandbox
from .sessions import ManualClock

__all__ = ["ManualClock", "SoapSandbox", "serve_in_thread"]


def __getattr__(name: str) -> Any:
    # The server module is loaded on first use, so ``python -m sandbox.soap.server`` runs it fresh
    # (runpy warns when the package has imported the module it is asked to run).
    if name == "serve_in_thread":
        from .server import serve_in_thread

        return serve_in_thread
    raise AttributeError(name)
