"""Companies through the classic CompanyService.

SOAP operations: ``CompanyService.SaveCompanies``, ``DeleteCompanies``, ``MergeCompanies``
(they write ``tblCompany``, ``tblAddress`` and, for a merge, every table that references a company).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from facade.errors import ClassicRejected, ClassicUnavailable
from facade.i18n import N_
from facade.ports_classic import (
    ClassicCompany,
    ClassicItemError,
    CompanyAddress,
    CompanyChanges,
    CompanySaveResult,
    MergeOutcome,
)

from .client import CLASSIC_GARBLED, SoapEndpoint
from .convert import (
    error_for,
    item_error,
    put,
    read_datetime,
    read_decimal,
    read_int,
    read_short,
    read_text,
)

KINDS = {1: "Business", 2: "Consumer"}
METHODS = {1: "Print", 2: "EMail", 3: "ElectronicInvoice"}
ADDRESSES = (("post_address", "Post"), ("visit_address", "Visit"), ("delivery_address", "Delivery"),
             ("invoice_address", "Invoice"))

#: Classic element names in Validation messages → facade field names (CompanyChanges).
FIELD_NAMES = {
    "Id": "company_id", "ChangeNo": "change_no", "Name": "name", "NickName": "nick_name",
    "OrganizationNumber": "org_no", "VatNumber": "vat_no", "Type": "kind", "IsCustomer": "is_customer",
    "IsSupplier": "is_supplier", "Phone": "phone", "Fax": "fax", "Email": "email", "Url": "web",
    "Note": "notes", "Owner": "owner_user_id", "Country": "country", "CurrencyId": "currency",
    "PaymentTime": "payment_days", "DistributionMethod": "invoice_method", "InvoiceEmail": "invoice_email",
    "Discount": "discount_pct", "CreditLimit": "credit_limit", "InvoiceLanguage": "language_code",
    "Addresses.Post": "post_address", "Addresses.Visit": "visit_address",
    "Addresses.Delivery": "delivery_address", "Addresses.Invoice": "invoice_address",
    "mergeCompanyId": "merge_company_id", "keepCompanyId": "keep_company_id",
}
for _facade, _soap in ADDRESSES:
    for _el, _f in (("Street", "street"), ("Street2", "street2"), ("PostalCode", "postal_code"),
                    ("City", "city"), ("Country", "country")):
        FIELD_NAMES[f"Addresses.{_soap}.{_el}"] = f"{_facade}.{_f}"

CANNOT_DELETE = N_("The company cannot be deleted: it has open ledger items or orders that are not deleted.")
CANNOT_MERGE = N_("The classic system refused to merge these companies.")


class ClassicCompanyGateway:
    """``ClassicCompanyService`` over ``CompanyService.asmx``; every call acts as the session's user."""

    def __init__(self, endpoint: SoapEndpoint) -> None:
        self.endpoint = endpoint

    # -- SaveCompanies --

    def save_companies(self, session_id: str, items: Sequence[CompanyChanges]) -> list[CompanySaveResult]:
        """Create or update companies (needs CRM_WRITE); one result per item, in input order.

        Raises NotAuthenticated, Forbidden (nothing saved), ClassicUnavailable.
        """
        if not items:
            return []
        result = self.endpoint.call(
            "SaveCompanies", session_id=session_id, companies={"Company": [company_in(i) for i in items]}
        )
        companies = list(result or [])
        if len(companies) != len(items):
            raise ClassicUnavailable(CLASSIC_GARBLED, operation="SaveCompanies", cause="result count")
        out = []
        for c in companies:
            error = item_error(getattr(c, "APIException", None), FIELD_NAMES) if c is not None else None
            if c is None or error is not None:
                out.append(CompanySaveResult(error=error or ClassicItemError("Unknown", "")))
            else:
                out.append(CompanySaveResult(company=company_out(c)))
        return out

    def save_company(self, session_id: str, item: CompanyChanges) -> ClassicCompany:
        """Create or update one company; the stored company.

        Raises InvalidInput (``details['fields']`` by facade field name), Conflict (``ChangeNo``
        differs; nothing changed), NotFound, NotAuthenticated, Forbidden, ClassicUnavailable.
        """
        (result,) = self.save_companies(session_id, [item])
        if result.error is not None:
            raise error_for(result.error, FIELD_NAMES)
        assert result.company is not None
        return result.company

    # -- DeleteCompanies --

    def delete_companies(self, session_id: str, company_ids: Sequence[int]) -> list[ClassicItemError]:
        """Soft-delete companies (needs CRM_DELETE); one error per id that failed (``NotFound``,
        ``NotAllowed``: open ledger items or live orders)."""
        if not company_ids:
            return []
        result = self.endpoint.call(
            "DeleteCompanies", session_id=session_id, companyIds={"int": [int(i) for i in company_ids]}
        )
        return [e for e in (item_error(x, FIELD_NAMES) for x in (result or [])) if e is not None]

    def delete_company(self, session_id: str, company_id: int) -> None:
        """Soft-delete one company. Raises NotFound, ClassicRejected (open items or live orders),
        NotAuthenticated, Forbidden, ClassicUnavailable."""
        errors = self.delete_companies(session_id, [company_id])
        if errors:
            raise error_for(errors[0], FIELD_NAMES, not_allowed=CANNOT_DELETE)

    # -- MergeCompanies --

    def merge_companies(self, session_id: str, keep_company_id: int, merge_company_id: int) -> MergeOutcome:
        """Move every row of ``merge_company_id`` to ``keep_company_id``, then soft-delete it (needs
        CRM_DELETE; one transaction on the classic side).

        Raises NotFound (either id), InvalidInput (both equal), ClassicRejected, NotAuthenticated,
        Forbidden, ClassicUnavailable.
        """
        result = self.endpoint.call(
            "MergeCompanies", session_id=session_id,
            keepCompanyId=int(keep_company_id), mergeCompanyId=int(merge_company_id),
        )
        if result is None:
            raise ClassicUnavailable(CLASSIC_GARBLED, operation="MergeCompanies", cause="empty result")
        error = item_error(result.APIException, FIELD_NAMES)
        if error is not None:
            raise error_for(error, FIELD_NAMES, not_allowed=CANNOT_MERGE)
        kept = read_int(result.KeptCompanyId)
        if kept is None:
            raise ClassicRejected(CANNOT_MERGE, operation="MergeCompanies")
        return MergeOutcome(kept_company_id=kept, moved_rows=read_int(result.MovedRows) or 0)


def _address_in(address: CompanyAddress) -> dict[str, Any]:
    out: dict[str, Any] = {}
    put(out, "Street", address.street)
    put(out, "Street2", address.street2)
    put(out, "PostalCode", address.postal_code)
    put(out, "City", address.city)
    put(out, "Country", address.country)
    return out


def company_in(c: CompanyChanges) -> dict[str, Any]:
    """A ``Company`` element: only the fields that are set (None = left out; ``""`` clears)."""
    out: dict[str, Any] = {}
    put(out, "Id", c.company_id)
    put(out, "Name", c.name)
    put(out, "NickName", c.nick_name)
    put(out, "OrganizationNumber", c.org_no)
    put(out, "VatNumber", c.vat_no)
    put(out, "Type", KINDS.get(c.kind) if c.kind is not None else None)
    put(out, "IsCustomer", c.is_customer)
    put(out, "IsSupplier", c.is_supplier)
    addresses = {soap: _address_in(getattr(c, facade)) for facade, soap in ADDRESSES if getattr(c, facade) is not None}
    if addresses:
        out["Addresses"] = addresses
    put(out, "Phone", c.phone)
    put(out, "Fax", c.fax)
    put(out, "Email", c.email)
    put(out, "Url", c.web)
    put(out, "Note", c.notes)
    put(out, "Owner", c.owner_user_id)
    put(out, "Country", c.country)
    put(out, "CurrencyId", c.currency)
    put(out, "PaymentTime", c.payment_days)
    put(out, "DistributionMethod", METHODS.get(c.invoice_method) if c.invoice_method is not None else None)
    put(out, "InvoiceEmail", c.invoice_email)
    put(out, "Discount", c.discount_pct)
    put(out, "CreditLimit", c.credit_limit)
    put(out, "InvoiceLanguage", c.language_code)
    put(out, "ChangeNo", c.change_no)
    return out


def _address_out(a: Any) -> CompanyAddress | None:
    if a is None:
        return None
    address = CompanyAddress(
        street=read_text(a.Street), street2=read_text(a.Street2), postal_code=read_text(a.PostalCode),
        city=read_text(a.City), country=read_text(a.Country),
    )
    return None if address == CompanyAddress() else address


def company_out(c: Any) -> ClassicCompany:
    """A zeep ``Company`` as stored by classic: sentinels and empty strings as None."""
    addresses = c.Addresses
    kinds = {v: k for k, v in KINDS.items()}
    methods = {v: k for k, v in METHODS.items()}
    return ClassicCompany(
        company_id=read_int(c.Id) or 0,
        name=read_text(c.Name) or "",
        change_no=read_int(c.ChangeNo) or 0,
        customer_no=read_int(c.CustomerNo),
        supplier_no=read_int(c.SupplierNo),
        nick_name=read_text(c.NickName),
        org_no=read_text(c.OrganizationNumber),
        vat_no=read_text(c.VatNumber),
        kind=kinds.get(c.Type) if c.Type else None,
        is_customer=bool(c.IsCustomer),
        is_supplier=bool(c.IsSupplier),
        post_address=_address_out(addresses.Post) if addresses is not None else None,
        visit_address=_address_out(addresses.Visit) if addresses is not None else None,
        delivery_address=_address_out(addresses.Delivery) if addresses is not None else None,
        invoice_address=_address_out(addresses.Invoice) if addresses is not None else None,
        phone=read_text(c.Phone),
        fax=read_text(c.Fax),
        email=read_text(c.Email),
        web=read_text(c.Url),
        notes=read_text(c.Note),
        owner_user_id=read_int(c.Owner),
        country=read_text(c.Country),
        currency=read_text(c.CurrencyId),
        payment_days=read_short(c.PaymentTime),
        invoice_method=methods.get(c.DistributionMethod) if c.DistributionMethod else None,
        invoice_email=read_text(c.InvoiceEmail),
        discount_pct=read_decimal(c.Discount),
        credit_limit=read_decimal(c.CreditLimit),
        language_code=read_text(c.InvoiceLanguage),
        created_at=read_datetime(c.DateCreated),
        changed_at=read_datetime(c.DateChanged),
    )
