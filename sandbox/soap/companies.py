"""CompanyService.asmx: SaveCompanies, DeleteCompanies, MergeCompanies.

Tables: ``tblCompany``, ``tblAddress`` (saved with the company); ``tblNumberSeries`` (``CUSTNO``,
``SUPPNO``); ``tblUser`` (owner check); ``tblSetting`` (currencies); for delete ``tblLedgerEntry``
and ``tblOrder``; for merge every table that references a company: ``tblCompanyPerson``,
``tblAddress``, ``tblCompanyCategory``, ``tblProject``, ``tblActivity``, ``tblWallPost``,
``tblSalesOpp``, ``tblEmailLink``, ``tblDocument``, ``tblCall``, ``tblOrder``, ``tblLedgerEntry``.
Each saved or deleted item is one transaction; a merge is one transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from adapters.sql.tables import (
    tblActivity,
    tblAddress,
    tblCall,
    tblCompany,
    tblCompanyCategory,
    tblCompanyPerson,
    tblDocument,
    tblEmailLink,
    tblLedgerEntry,
    tblOrder,
    tblProject,
    tblSalesOpp,
    tblUser,
    tblWallPost,
)

from . import orgno
from .base import Call, ItemError, Service
from .db import Installation, next_number, transaction
from .soap import INT_UNSET, MalformedRequest
from .values import (
    NOT_SET,
    in_bool,
    in_decimal,
    in_int,
    in_short,
    in_text,
    is_set,
    out_datetime,
    out_decimal,
    out_int,
    out_short,
    out_text,
)

KINDS = {"Business": 1, "Consumer": 2}
METHODS = {"Print": 1, "EMail": 2, "ElectronicInvoice": 3}
ADDRESS_TYPES = {"Post": 1, "Visit": 2, "Delivery": 3, "Invoice": 4}

# SOAP element → (column, max length, varchar). varchar columns hold Windows-1252 only on SQL Server.
TEXT_FIELDS: dict[str, tuple[str, int | None, bool]] = {
    "Name": ("Name", 200, False),
    "NickName": ("NickName", 100, False),
    "VatNumber": ("VatNo", 30, True),
    "Phone": ("Phone", 50, True),
    "Fax": ("Fax", 50, True),
    "Email": ("Email", 200, True),
    "Url": ("Web", 200, True),
    "Note": ("Notes", None, False),
    "InvoiceEmail": ("InvoiceEmail", 200, True),
    "InvoiceLanguage": ("LanguageCode", 2, True),
}
ADDRESS_FIELDS: dict[str, tuple[str, int, bool]] = {
    "Street": ("Line1", 100, False),
    "Street2": ("Line2", 100, False),
    "PostalCode": ("PostCode", 20, True),
    "City": ("City", 100, False),
    "Country": ("Country", 2, True),
}
MONEY_LIMIT = Decimal("1e15")


def check_text(field: str, value: str | None, max_len: int | None, varchar: bool) -> str | None:
    """The validation message for a text value, or None when it can be stored."""
    if value is None:
        return None
    if max_len is not None and len(value) > max_len:
        return f"{field}: at most {max_len} characters"
    if varchar:
        try:
            value.encode("cp1252")
        except UnicodeEncodeError:
            return f"{field}: contains characters the classic database cannot store"
    return None


class CompanyService(Service):
    """Companies: save (create/update), soft-delete, merge."""

    # -- SaveCompanies ---------------------------------------------------------------------------

    def SaveCompanies(self, call: Call) -> dict[str, Any]:
        """One Company per input item, in order: as stored, or as sent with its APIException."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "CRM_WRITE")
        items = (call.params.get("companies") or {}).get("Company") or []
        results = []
        for item in items:
            try:
                with transaction(self.engine) as conn:
                    results.append(self._save_one(conn, user_id, item))
            except ItemError as err:
                echo = dict(item or {})
                echo["APIException"] = err.as_api_exception()
                results.append(echo)
        return {"Company": results}

    def _save_one(self, conn: Connection, user_id: int, item: dict | None) -> dict[str, Any]:
        if item is None:
            raise ItemError("Validation", "Company: the item is empty")
        inst = Installation(conn)
        now = inst.now(self.clock)
        company_id = in_int(item, "Id")
        if is_set(company_id) and company_id != 0:
            return self._update(conn, inst, now, user_id, company_id, item)
        return self._create(conn, inst, now, user_id, item)

    def _values(self, conn: Connection, inst: Installation, item: dict, stored: Any | None) -> dict[str, Any]:
        """Validate the item; the column values it sets (only those given). Raises ItemError."""
        errors: list[str] = []
        values: dict[str, Any] = {}
        item_id = None if stored is None else int(stored.CompanyID)

        for element, (column, max_len, varchar) in TEXT_FIELDS.items():
            v = in_text(item, element)
            if not is_set(v):
                continue
            problem = check_text(element, v, max_len, varchar)
            if problem:
                errors.append(problem)
            values[column] = v
        name = values.get("Name", NOT_SET)
        if (stored is None and (not is_set(name) or not (name or "").strip())) or (
            stored is not None and "Name" in values and not (values["Name"] or "").strip()
        ):
            errors.insert(0, "Name: must not be empty")

        country = in_text(item, "Country")
        if is_set(country):
            if country is not None and (len(country.strip()) != 2 or not country.strip().isalpha()):
                errors.append("Country: must be a two-letter country code")
            values["Country"] = country.strip().upper() if country else None
        effective_country = values.get("Country") if "Country" in values else (
            stored.Country if stored is not None else "SE")

        org = in_text(item, "OrganizationNumber")
        if is_set(org):
            if org is None or not org.strip():
                values["OrgNo"] = None
            else:
                normalised, problem = orgno.normalise(org, effective_country or "SE")
                if problem:
                    errors.append(f"OrganizationNumber: {problem}")
                else:
                    p = check_text("OrganizationNumber", normalised, 20, True)
                    if p:
                        errors.append(p)
                    values["OrgNo"] = normalised

        kind = item.get("Type")
        if kind is not None:
            if kind not in KINDS:
                errors.append(f"Type: must be one of {', '.join(KINDS)}")
            else:
                values["CompanyKind"] = KINDS[kind]
        method = item.get("DistributionMethod")
        if method is not None:
            if method not in METHODS:
                errors.append(f"DistributionMethod: must be one of {', '.join(METHODS)}")
            else:
                values["InvoiceMethod"] = METHODS[method]
        for element, column in (("IsCustomer", "IsCustomer"), ("IsSupplier", "IsSupplier")):
            b = in_bool(item, element)
            if is_set(b):
                values[column] = 1 if b else 0

        owner = in_int(item, "Owner")
        if is_set(owner):
            exists = conn.execute(sa.select(tblUser.c.UserID).where(tblUser.c.UserID == owner)).first()
            if exists is None:
                errors.append(f"Owner: there is no user {owner}")
            values["OwnerUserID"] = owner

        currency = in_text(item, "CurrencyId")
        if is_set(currency):
            code = (currency or "").strip().upper()
            if code and inst.rate(code) is None:
                errors.append(f"CurrencyId: unknown currency {code[:10]} (no Rate.{code[:10]} setting)")
            values["Currency"] = code or None

        days = in_short(item, "PaymentTime")
        if is_set(days):
            if not 0 <= days <= 365:
                errors.append("PaymentTime: must be between 0 and 365 days")
            values["PaymentDays"] = days
        discount = in_decimal(item, "Discount")
        if is_set(discount):
            if not Decimal(0) <= discount <= Decimal(100):
                errors.append("Discount: must be between 0 and 100")
            values["DiscountPct"] = discount
        limit = in_decimal(item, "CreditLimit")
        if is_set(limit):
            if abs(limit) >= MONEY_LIMIT:
                errors.append("CreditLimit: out of range")
            values["CreditLimit"] = limit

        for atype in ADDRESS_TYPES:
            address = (item.get("Addresses") or {}).get(atype)
            for element, (_column, max_len, varchar) in ADDRESS_FIELDS.items():
                v = in_text(address or {}, element)
                if is_set(v):
                    problem = check_text(f"Addresses.{atype}.{element}", v, max_len, varchar)
                    if problem:
                        errors.append(problem)
        if errors:
            raise ItemError("Validation", "; ".join(errors), item_id)
        return values

    def _create(self, conn: Connection, inst: Installation, now: datetime, user_id: int, item: dict) -> dict:
        values = self._values(conn, inst, item, None)
        values.setdefault("IsCustomer", 1)
        values.setdefault("IsSupplier", 0)
        values.setdefault("CompanyKind", 1)
        values.setdefault("Country", "SE")
        values.setdefault("Currency", None)  # NULL = the base currency (not the column default)
        if values["IsCustomer"]:
            values["CustomerNo"] = next_number(conn, "CUSTNO", now)
        if values["IsSupplier"]:
            values["SupplierNo"] = next_number(conn, "SUPPNO", now)
        values.update(Deleted=0, CreatedAt=now, CreatedBy=user_id, ChangedAt=None, ChangedBy=None, ChangeNo=1)
        company_id = conn.execute(sa.insert(tblCompany).values(**values)).inserted_primary_key[0]
        self._save_addresses(conn, int(company_id), item)
        return company_out(conn, int(company_id))

    def _update(
        self, conn: Connection, inst: Installation, now: datetime, user_id: int, company_id: int, item: dict
    ) -> dict:
        stored = conn.execute(
            sa.select(tblCompany).where(tblCompany.c.CompanyID == company_id).with_for_update()
        ).first()
        if stored is None or int(stored.Deleted) != 0:
            raise ItemError("NotFound", f"Company {company_id} does not exist or is deleted", company_id)
        change_no = in_int(item, "ChangeNo")
        if not is_set(change_no):
            raise ItemError("Validation", "ChangeNo: required on update", company_id)
        if change_no != int(stored.ChangeNo):
            raise ItemError(
                "Conflict",
                f"ChangeNo: the company was changed by someone else (stored {stored.ChangeNo}, sent {change_no})",
                company_id,
            )
        values = self._values(conn, inst, item, stored)
        if values.get("IsCustomer") == 1 and stored.CustomerNo is None:
            values["CustomerNo"] = next_number(conn, "CUSTNO", now)
        if values.get("IsSupplier") == 1 and stored.SupplierNo is None:
            values["SupplierNo"] = next_number(conn, "SUPPNO", now)
        values.update(ChangedAt=now, ChangedBy=user_id, ChangeNo=tblCompany.c.ChangeNo + 1)
        done = conn.execute(
            sa.update(tblCompany)
            .where(tblCompany.c.CompanyID == company_id, tblCompany.c.ChangeNo == change_no)
            .values(**values)
        )
        if done.rowcount != 1:
            raise ItemError("Conflict", "ChangeNo: the company was changed by someone else", company_id)
        self._save_addresses(conn, company_id, item)
        return company_out(conn, company_id)

    @staticmethod
    def _save_addresses(conn: Connection, company_id: int, item: dict) -> None:
        """A given address replaces the given fields of that type (left-out fields unchanged)."""
        addresses = item.get("Addresses") or {}
        for atype, code in ADDRESS_TYPES.items():
            address = addresses.get(atype)
            if address is None:
                continue
            values = {}
            for element, (column, _max, _varchar) in ADDRESS_FIELDS.items():
                v = in_text(address, element)
                if is_set(v):
                    values[column] = v.strip().upper() if (column == "Country" and v) else v
            if not values:
                continue
            existing = conn.execute(
                sa.select(tblAddress.c.AddressID)
                .where(tblAddress.c.CompanyID == company_id, tblAddress.c.AddrType == code)
                .order_by(tblAddress.c.AddressID)
            ).first()
            if existing is not None:
                conn.execute(sa.update(tblAddress).where(tblAddress.c.AddressID == existing.AddressID).values(**values))
            elif any(v is not None for v in values.values()):
                conn.execute(sa.insert(tblAddress).values(CompanyID=company_id, PersonID=None, AddrType=code, **values))

    # -- DeleteCompanies -------------------------------------------------------------------------

    def DeleteCompanies(self, call: Call) -> dict[str, Any]:
        """Soft-delete each id; one APIException per id that failed."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "CRM_DELETE")
        ids = (call.params.get("companyIds") or {}).get("int") or []
        failures = []
        for company_id in ids:
            try:
                with transaction(self.engine) as conn:
                    self._delete_one(conn, user_id, int(company_id))
            except ItemError as err:
                failures.append(err.as_api_exception())
        return {"APIException": failures}

    def _delete_one(self, conn: Connection, user_id: int, company_id: int) -> None:
        now = Installation(conn).now(self.clock)
        stored = conn.execute(
            sa.select(tblCompany.c.CompanyID, tblCompany.c.Deleted)
            .where(tblCompany.c.CompanyID == company_id)
            .with_for_update()
        ).first()
        if stored is None or int(stored.Deleted) != 0:
            raise ItemError("NotFound", f"Company {company_id} does not exist or is already deleted", company_id)
        open_items = conn.execute(
            sa.select(sa.func.count())
            .select_from(tblLedgerEntry)
            .where(tblLedgerEntry.c.CompanyID == company_id, tblLedgerEntry.c.Closed == "N")
        ).scalar_one()
        if open_items:
            raise ItemError("NotAllowed", f"Company {company_id} has {open_items} open ledger items", company_id)
        live_orders = conn.execute(
            sa.select(sa.func.count())
            .select_from(tblOrder)
            .where(tblOrder.c.CompanyID == company_id, tblOrder.c.Deleted == 0)
        ).scalar_one()
        if live_orders:
            raise ItemError(
                "NotAllowed", f"Company {company_id} has {live_orders} orders or invoices that are not deleted",
                company_id,
            )
        conn.execute(
            sa.update(tblCompany)
            .where(tblCompany.c.CompanyID == company_id)
            .values(Deleted=1, ChangedAt=now, ChangedBy=user_id, ChangeNo=tblCompany.c.ChangeNo + 1)
        )

    # -- MergeCompanies --------------------------------------------------------------------------

    def MergeCompanies(self, call: Call) -> dict[str, Any]:
        """Move every row of the merged company to the kept one and soft-delete it (one transaction)."""
        user_id = self.session_user(call)
        with self.engine.connect() as conn:
            self.require_right(conn, user_id, "CRM_DELETE")
        if call.params.get("keepCompanyId") is None or call.params.get("mergeCompanyId") is None:
            raise MalformedRequest("keepCompanyId and mergeCompanyId are required")
        keep_id = int(call.params["keepCompanyId"])
        merge_id = int(call.params["mergeCompanyId"])
        try:
            with transaction(self.engine) as conn:
                moved = self._merge(conn, user_id, keep_id, merge_id)
        except ItemError as err:
            return {"KeptCompanyId": keep_id, "MovedRows": INT_UNSET, "APIException": err.as_api_exception()}
        return {"KeptCompanyId": keep_id, "MovedRows": moved}

    def _merge(self, conn: Connection, user_id: int, keep_id: int, merge_id: int) -> int:
        if keep_id == merge_id:
            raise ItemError("Validation", "mergeCompanyId: must differ from keepCompanyId", merge_id)
        now = Installation(conn).now(self.clock)
        rows = {
            r.CompanyID: r
            for r in conn.execute(
                sa.select(tblCompany)
                .where(tblCompany.c.CompanyID.in_([keep_id, merge_id]))
                .order_by(tblCompany.c.CompanyID)
                .with_for_update()
            )
        }
        for cid in (keep_id, merge_id):
            if cid not in rows or int(rows[cid].Deleted) != 0:
                raise ItemError("NotFound", f"Company {cid} does not exist or is deleted", cid)
        kept, merged = rows[keep_id], rows[merge_id]
        audit = {"ChangedAt": now, "ChangedBy": user_id}
        moved = 0

        # Person links: the kept company's own link wins; a soft-deleted one of it is revived.
        kept_links = {
            r.PersonID: r
            for r in conn.execute(sa.select(tblCompanyPerson).where(tblCompanyPerson.c.CompanyID == keep_id))
        }
        kept_has_main = any(int(r.IsMain) == 1 and int(r.Deleted) == 0 for r in kept_links.values())
        merged_links = conn.execute(
            sa.select(tblCompanyPerson)
            .where(tblCompanyPerson.c.CompanyID == merge_id)
            .order_by(tblCompanyPerson.c.PersonID)
        ).all()
        for link in merged_links:
            own = kept_links.get(link.PersonID)
            if own is None:
                is_main = int(link.IsMain)
                if is_main and int(link.Deleted) == 0:
                    if kept_has_main:
                        is_main = 0
                    else:
                        kept_has_main = True
                elif is_main and kept_has_main:
                    is_main = 0
                conn.execute(
                    sa.update(tblCompanyPerson)
                    .where(tblCompanyPerson.c.CompanyID == merge_id, tblCompanyPerson.c.PersonID == link.PersonID)
                    .values(CompanyID=keep_id, IsMain=is_main, ChangeNo=tblCompanyPerson.c.ChangeNo + 1, **audit)
                )
                moved += 1
            elif int(own.Deleted) == 1 and int(link.Deleted) == 0:
                is_main = int(own.IsMain)
                if is_main and kept_has_main:
                    is_main = 0
                elif is_main:
                    kept_has_main = True
                conn.execute(
                    sa.update(tblCompanyPerson)
                    .where(tblCompanyPerson.c.CompanyID == keep_id, tblCompanyPerson.c.PersonID == link.PersonID)
                    .values(Deleted=0, IsMain=is_main, ChangeNo=tblCompanyPerson.c.ChangeNo + 1, **audit)
                )

        # Addresses of a type the kept company lacks.
        kept_types = set(
            conn.execute(sa.select(tblAddress.c.AddrType).where(tblAddress.c.CompanyID == keep_id)).scalars()
        )
        for addr in conn.execute(
            sa.select(tblAddress.c.AddressID, tblAddress.c.AddrType)
            .where(tblAddress.c.CompanyID == merge_id)
            .order_by(tblAddress.c.AddressID)
        ).all():
            if addr.AddrType not in kept_types:
                conn.execute(sa.update(tblAddress).where(tblAddress.c.AddressID == addr.AddressID).values(CompanyID=keep_id))
                kept_types.add(addr.AddrType)
                moved += 1

        # Categories the kept company lacks.
        kept_cats = set(
            conn.execute(
                sa.select(tblCompanyCategory.c.CategoryID).where(tblCompanyCategory.c.CompanyID == keep_id)
            ).scalars()
        )
        for cat in conn.execute(
            sa.select(tblCompanyCategory.c.CategoryID).where(tblCompanyCategory.c.CompanyID == merge_id)
        ).scalars().all():
            if cat not in kept_cats:
                conn.execute(
                    sa.update(tblCompanyCategory)
                    .where(tblCompanyCategory.c.CompanyID == merge_id, tblCompanyCategory.c.CategoryID == cat)
                    .values(CompanyID=keep_id)
                )
                moved += 1

        # E-mail links, unless the same e-mail is already linked to the kept company.
        kept_emails = set(
            conn.execute(sa.select(tblEmailLink.c.EmailID).where(tblEmailLink.c.CompanyID == keep_id)).scalars()
        )
        for link in conn.execute(
            sa.select(tblEmailLink.c.LinkID, tblEmailLink.c.EmailID)
            .where(tblEmailLink.c.CompanyID == merge_id)
            .order_by(tblEmailLink.c.LinkID)
        ).all():
            if link.EmailID not in kept_emails:
                conn.execute(sa.update(tblEmailLink).where(tblEmailLink.c.LinkID == link.LinkID).values(CompanyID=keep_id))
                kept_emails.add(link.EmailID)
                moved += 1

        # Everything else moves: audited tables as updates (ChangedAt/By, ChangeNo + 1).
        for table in (tblActivity, tblWallPost, tblProject, tblSalesOpp, tblOrder):
            moved += conn.execute(
                sa.update(table)
                .where(table.c.CompanyID == merge_id)
                .values(CompanyID=keep_id, ChangeNo=table.c.ChangeNo + 1, **audit)
            ).rowcount
        for table in (tblDocument, tblCall, tblLedgerEntry):
            moved += conn.execute(
                sa.update(table).where(table.c.CompanyID == merge_id).values(CompanyID=keep_id)
            ).rowcount

        # Roles: the kept company takes over a role (and its number) only the merged one has.
        kept_values: dict[str, Any] = {}
        merged_values: dict[str, Any] = {}
        if int(merged.IsCustomer) == 1 and int(kept.IsCustomer) == 0:
            kept_values.update(IsCustomer=1, CustomerNo=merged.CustomerNo)
            merged_values.update(IsCustomer=0, CustomerNo=None)
        if int(merged.IsSupplier) == 1 and int(kept.IsSupplier) == 0:
            kept_values.update(IsSupplier=1, SupplierNo=merged.SupplierNo)
            merged_values.update(IsSupplier=0, SupplierNo=None)
        # The merged company first: a number is never held by two companies, not even for a moment.
        conn.execute(
            sa.update(tblCompany)
            .where(tblCompany.c.CompanyID == merge_id)
            .values(Deleted=1, ChangeNo=tblCompany.c.ChangeNo + 1, **merged_values, **audit)
        )
        conn.execute(
            sa.update(tblCompany)
            .where(tblCompany.c.CompanyID == keep_id)
            .values(ChangeNo=tblCompany.c.ChangeNo + 1, **kept_values, **audit)
        )
        return moved


def company_out(conn: Connection, company_id: int) -> dict[str, Any]:
    """The ``Company`` element of a stored row (value types always written, NULL as the sentinel)."""
    row = conn.execute(sa.select(tblCompany).where(tblCompany.c.CompanyID == company_id)).one()
    addresses: dict[str, Any] = {}
    names = {code: name for name, code in ADDRESS_TYPES.items()}
    for a in conn.execute(
        sa.select(tblAddress).where(tblAddress.c.CompanyID == company_id).order_by(tblAddress.c.AddressID)
    ):
        name = names.get(int(a.AddrType))
        if name and name not in addresses:
            addresses[name] = {
                "Street": out_text(a.Line1),
                "Street2": out_text(a.Line2),
                "PostalCode": out_text(a.PostCode),
                "City": out_text(a.City),
                "Country": out_text(a.Country),
            }
    kinds = {v: k for k, v in KINDS.items()}
    methods = {v: k for k, v in METHODS.items()}
    return {
        "Id": int(row.CompanyID),
        "CustomerNo": out_int(row.CustomerNo),
        "SupplierNo": out_int(row.SupplierNo),
        "Name": row.Name,
        "NickName": out_text(row.NickName),
        "OrganizationNumber": out_text(row.OrgNo),
        "VatNumber": out_text(row.VatNo),
        "Type": kinds.get(int(row.CompanyKind)) if row.CompanyKind is not None else None,
        "IsCustomer": int(row.IsCustomer) == 1,
        "IsSupplier": int(row.IsSupplier) == 1,
        "Addresses": addresses or None,
        "Phone": out_text(row.Phone),
        "Fax": out_text(row.Fax),
        "Email": out_text(row.Email),
        "Url": out_text(row.Web),
        "Note": out_text(row.Notes),
        "Owner": out_int(row.OwnerUserID),
        "Country": out_text(row.Country),
        "CurrencyId": out_text(row.Currency.strip()) if row.Currency and row.Currency.strip() else None,
        "PaymentTime": out_short(row.PaymentDays),
        "DistributionMethod": methods.get(int(row.InvoiceMethod)) if row.InvoiceMethod is not None else None,
        "InvoiceEmail": out_text(row.InvoiceEmail),
        "Discount": out_decimal(row.DiscountPct),
        "CreditLimit": out_decimal(row.CreditLimit),
        "InvoiceLanguage": out_text(row.LanguageCode),
        "ChangeNo": int(row.ChangeNo),
        "DateCreated": out_datetime(row.CreatedAt),
        "DateChanged": out_datetime(row.ChangedAt),
    }

