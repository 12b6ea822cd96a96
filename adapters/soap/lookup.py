"""The company register (credit-information gateway) of the "new company" dialog, through zeep.

SOAP operations: ``CompanyLookup.SearchCompanies``, ``GetCompanyData`` (with the ``LookupAuth``
header: CRM Lite's own register credentials from settings; no classic session).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facade.errors import NotFound
from facade.ports_classic import CompanyAddress, RegisterCompany, RegisterHit

from .client import REGISTER_NOT_FOUND, SoapEndpoint
from .convert import read_date, read_decimal, read_text


class RegisterLookupGateway:
    """``RegisterLookup`` over ``CompanyLookup.asmx``."""

    def __init__(self, endpoint: SoapEndpoint, credentials: Mapping[str, str]) -> None:
        self.endpoint = endpoint
        self._auth = {
            "LookupAuth": {
                "CustomerCode": credentials.get("CustomerCode", ""),
                "UserId": credentials.get("UserId", ""),
                "Password": credentials.get("Password", ""),
            }
        }

    def search_companies(self, query: str, country: str | None = None, max_hits: int = 20) -> list[RegisterHit]:
        """Register entries by name words or organisation number in any format, best first.

        ``country`` SE/NO (None = all); ``max_hits`` 1..100. Raises InvalidInput (empty query),
        NotAuthenticated (the register refused CRM Lite's credentials), ClassicUnavailable.
        """
        result = self.endpoint.call(
            "SearchCompanies", soap_headers=self._auth, query=query, country=country or "", maxHits=int(max_hits)
        )
        return [
            RegisterHit(
                org_no=read_text(h.OrganizationNumber), name=read_text(h.Name), street=read_text(h.Street),
                postal_code=read_text(h.PostalCode), city=read_text(h.City), country=read_text(h.Country),
            )
            for h in (result or [])
            if h is not None
        ]

    def get_company_data(self, org_no: str, country: str | None = None) -> RegisterCompany:
        """The register's data of one company (organisation number in any format; country None = SE).

        Raises NotFound, NotAuthenticated, ClassicUnavailable.
        """
        if not any(ch.isdigit() for ch in org_no or ""):
            raise NotFound(REGISTER_NOT_FOUND, org_no=org_no)
        d = self.endpoint.call(
            "GetCompanyData", soap_headers=self._auth, organizationNumber=org_no, country=country or ""
        )
        if d is None:
            raise NotFound(REGISTER_NOT_FOUND, org_no=org_no)
        return RegisterCompany(
            org_no=read_text(d.OrganizationNumber),
            name=read_text(d.Name),
            legal_form=read_text(d.LegalForm),
            registration_date=read_date(d.RegistrationDate),
            postal_address=_address(d.PostalAddress),
            visiting_address=_address(d.VisitingAddress),
            phone=read_text(d.Phone),
            vat_no=read_text(d.VatNumber),
            industry_code=read_text(d.IndustryCode),
            industry_text=read_text(d.IndustryText),
            employees_band=read_text(d.NumberOfEmployees),
            share_capital=read_decimal(d.ShareCapital),
            rating_code=read_text(d.RatingCode),
        )


def _address(a: Any) -> CompanyAddress | None:
    if a is None:
        return None
    address = CompanyAddress(
        street=read_text(a.Street), street2=read_text(a.Street2), postal_code=read_text(a.PostalCode),
        city=read_text(a.City), country=read_text(a.Country),
    )
    return None if address == CompanyAddress() else address
