"""zeep gateways to the classic SOAP services and the company register.

SOAP operations: ``Authenticate`` (Login, HasSession, Logout, GetCurrentUser), ``CompanyService``
(SaveCompanies, DeleteCompanies, MergeCompanies), ``InvoiceService`` (SaveInvoices, DeleteInvoices,
GetInvoiceDocument, SendInvoices), ``CompanyLookup`` (SearchCompanies, GetCompanyData).

The clients are built from the WSDL copies in ``adapters/soap/wsdl`` (byte-identical to the kit's)
with the service addresses from settings, so nothing is fetched at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .auth import ClassicAuthGateway
from .client import LOOKUP_NS, NS, SoapEndpoint, make_transport, service_address
from .companies import ClassicCompanyGateway
from .invoices import ClassicInvoiceGateway
from .lookup import RegisterLookupGateway


@dataclass(frozen=True)
class SoapGateways:
    """The four gateways, sharing one HTTP connection pool."""

    auth: ClassicAuthGateway
    companies: ClassicCompanyGateway
    invoices: ClassicInvoiceGateway
    lookup: RegisterLookupGateway


def build_soap_gateways(
    classic_url: str,
    lookup_url: str,
    lookup_credentials: dict[str, str],
    *,
    connect_timeout: float = 3.0,
    read_timeout: float = 20.0,
) -> SoapGateways:
    """Gateways for the classic services at ``classic_url`` (``…/Authenticate.asmx`` and so on) and
    the register at ``lookup_url``; timeouts in seconds. Contacts nothing until the first call."""
    transport = make_transport(connect_timeout, read_timeout)

    def endpoint(service: str, base: str, *, namespace: str = NS, register: bool = False) -> SoapEndpoint:
        return SoapEndpoint(f"{service}.wsdl", f"{service}Soap", service_address(base, service), transport,
                            namespace=namespace, register=register)

    return SoapGateways(
        auth=ClassicAuthGateway(endpoint("Authenticate", classic_url)),
        companies=ClassicCompanyGateway(endpoint("CompanyService", classic_url)),
        invoices=ClassicInvoiceGateway(endpoint("InvoiceService", classic_url)),
        lookup=RegisterLookupGateway(
            endpoint("CompanyLookup", lookup_url, namespace=LOOKUP_NS, register=True), lookup_credentials
        ),
    )


def gateways_from_settings(settings: Any) -> SoapGateways:
    """``build_soap_gateways`` from CRM Lite's settings (``CRM_LITE_CLASSIC_SOAP_URL``,
    ``CRM_LITE_LOOKUP_URL``, the lookup credentials, ``CRM_LITE_SOAP_CONNECT/READ_TIMEOUT``)."""
    return build_soap_gateways(
        settings.classic_soap_url,
        settings.lookup_url,
        {
            "CustomerCode": settings.lookup_customer_code,
            "UserId": settings.lookup_user_id,
            "Password": settings.lookup_password,
        },
        connect_timeout=settings.soap_connect_timeout,
        read_timeout=settings.soap_read_timeout,
    )


__all__ = [
    "ClassicAuthGateway",
    "ClassicCompanyGateway",
    "ClassicInvoiceGateway",
    "RegisterLookupGateway",
    "SoapGateways",
    "build_soap_gateways",
    "gateways_from_settings",
]
