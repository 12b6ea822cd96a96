"""The edit of a company straight in the classic database, and the counts of a merge preview.

Classic tables: ``tblCompany`` (read, and written by ``update``: ``ChangedAt``/``ChangedBy``/
``ChangeNo + 1`` guarded by ``ChangeNo``), ``tblAddress`` (read and written with the company, no
audit columns, no soft delete), ``tblUser`` (owners, the changing user). Merge counts read
``tblCompanyPerson``, ``tblAddress``, ``tblCompanyCategory``, ``tblActivity``, ``tblWallPost``,
``tblProject``, ``tblSalesOpp``, ``tblEmailLink``, ``tblDocument``, ``tblCall``, ``tblOrder`` and
``tblLedgerEntry``; nothing is written by them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Engine,
    Integer,
    exists,
    func,
    insert,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from facade.companies import ADDRESS_TYPES, UserRef
from facade.company_edit import (
    ADDRESS_FIELDS,
    COMPANY_FIELDS,
    AddressValues,
    CompanyPatch,
    EditableCompany,
)
from facade.company_merge import AREAS, AreaCount
from facade.errors import ClassicUnavailable, Conflict, NotFound
from facade.i18n import N_

from .companies import user_columns, user_ref, with_addresses
from .engine import classic_connection
from .tables import (
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

_COLUMNS = {f.key: f.column for f in COMPANY_FIELDS}
_ADDRESS_COLUMNS = {f.key: f.column for f in ADDRESS_FIELDS}


def _decimal(value: Any) -> Decimal | None:
    # SQLite keeps money as REAL: 4 decimals is what the column holds.
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.0001")).normalize()


class SqlCompanyWrites:
    """``facade.company_edit.CompanyWrites`` and ``facade.company_merge.MergeQueries``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reads ----------------------------------------------------------------------------------

    def editable(self, company_id: int) -> EditableCompany | None:
        """The live company as stored (values untrimmed) with its first address of each type and
        the user who changed it last; one query. None when unknown or soft-deleted."""
        co = tblCompany
        chby = tblUser.alias("chby")
        joined, addr_cols = with_addresses(
            co.outerjoin(chby, chby.c.UserID == co.c.ChangedBy), "CompanyID", co.c.CompanyID
        )
        q = (
            select(co, *user_columns(chby, "chby"), *addr_cols)
            .select_from(joined)
            .where(co.c.CompanyID == company_id, co.c.Deleted == 0)
        )
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        addresses = {}
        for addr_type in ADDRESS_TYPES:
            if getattr(r, f"a{addr_type}_id") is None:
                continue
            addresses[addr_type] = AddressValues(
                line1=getattr(r, f"a{addr_type}_line1"),
                line2=getattr(r, f"a{addr_type}_line2"),
                post_code=getattr(r, f"a{addr_type}_post_code"),
                city=getattr(r, f"a{addr_type}_city"),
                country=getattr(r, f"a{addr_type}_country"),
            )
        return EditableCompany(
            company_id=int(r.CompanyID),
            change_no=int(r.ChangeNo),
            name=r.Name or "",
            nick_name=r.NickName,
            org_no=r.OrgNo,
            vat_no=r.VatNo,
            kind=None if r.CompanyKind is None else int(r.CompanyKind),
            country=r.Country,
            owner_user_id=r.OwnerUserID,
            phone=r.Phone,
            fax=r.Fax,
            email=r.Email,
            web=r.Web,
            invoice_method=None if r.InvoiceMethod is None else int(r.InvoiceMethod),
            invoice_email=r.InvoiceEmail,
            payment_days=None if r.PaymentDays is None else int(r.PaymentDays),
            discount_pct=_decimal(r.DiscountPct),
            currency=r.Currency,
            credit_limit=_decimal(r.CreditLimit),
            language_code=r.LanguageCode,
            notes=r.Notes,
            addresses=addresses,
            customer_no=r.CustomerNo,
            supplier_no=r.SupplierNo,
            is_customer=int(r.IsCustomer or 0) == 1,
            is_supplier=int(r.IsSupplier or 0) == 1,
            changed_at=r.ChangedAt,
            changed_by=user_ref(r, "chby"),
        )

    def users(self) -> list[UserRef]:
        """Every ``tblUser`` (id, trimmed name, active), by name then id."""
        q = select(tblUser.c.UserID, tblUser.c.FullName, tblUser.c.Active).order_by(
            tblUser.c.FullName, tblUser.c.UserID
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [UserRef(int(r.UserID), (r.FullName or "").strip(), int(r.Active or 0) == 1) for r in rows]

    # -- the unit of work -----------------------------------------------------------------------

    def update(self, company_id: int, seen_change_no: int, patch: CompanyPatch, *, user_id: int,
               now_local: datetime) -> int:
        """One transaction: the ``tblCompany`` row (guarded by ``ChangeNo`` and ``Deleted = 0``),
        then each patched address type (the type's first row updated, or a row inserted). Returns
        the new ``ChangeNo``. Raises Conflict or NotFound (rolled back, nothing written),
        ClassicUnavailable."""
        values: dict[str, Any] = {_COLUMNS[k]: v for k, v in patch.fields.items()}
        values.update(ChangedAt=now_local, ChangedBy=user_id, ChangeNo=tblCompany.c.ChangeNo + 1)
        try:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(tblCompany)
                    .where(
                        tblCompany.c.CompanyID == company_id,
                        tblCompany.c.ChangeNo == seen_change_no,
                        tblCompany.c.Deleted == 0,
                    )
                    .values(**values)
                )
                if done.rowcount != 1:
                    state = conn.execute(
                        select(tblCompany.c.Deleted).where(tblCompany.c.CompanyID == company_id)
                    ).first()
                    if state is None or int(state.Deleted) != 0:
                        raise NotFound(N_("The company has been deleted."))
                    raise Conflict(N_("The company was changed by someone else."))
                # Addresses only after the company's ChangeNo check: the check guards them too.
                for addr_type, address in patch.addresses.items():
                    row = {_ADDRESS_COLUMNS[k]: getattr(address, k) for k in _ADDRESS_COLUMNS}
                    existing = conn.execute(
                        select(tblAddress.c.AddressID)
                        .where(tblAddress.c.CompanyID == company_id, tblAddress.c.AddrType == addr_type)
                        .order_by(tblAddress.c.AddressID)
                        .limit(1)
                    ).first()
                    if existing is not None:
                        conn.execute(
                            update(tblAddress).where(tblAddress.c.AddressID == existing.AddressID).values(**row)
                        )
                    elif not address.empty:
                        conn.execute(
                            insert(tblAddress).values(CompanyID=company_id, PersonID=None, AddrType=addr_type, **row)
                        )
        except OperationalError as exc:
            raise ClassicUnavailable(N_("The classic database cannot be reached right now.")) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise ClassicUnavailable(N_("The connection to the classic database was lost.")) from exc
            raise
        return seen_change_no + 1

    # -- merge preview --------------------------------------------------------------------------

    def merge_counts(self, keep_id: int, merge_id: int) -> list[AreaCount]:
        """Rows of ``merge_id`` per area by the rules of ``MergeCompanies``, in one query of scalar
        subqueries (the same statement on every engine)."""
        keep, merge = literal(keep_id, Integer), literal(merge_id, Integer)

        def count(table, *where) -> Any:
            return select(func.count()).select_from(table).where(*where).scalar_subquery()

        # Person links: a person the survivor has a link to (live or not) keeps the survivor's link.
        m, k = tblCompanyPerson.alias("m"), tblCompanyPerson.alias("k")
        kept_link = exists().where(k.c.CompanyID == keep, k.c.PersonID == m.c.PersonID)
        kept_dead_link = exists().where(k.c.CompanyID == keep, k.c.PersonID == m.c.PersonID, k.c.Deleted == 1)
        # Addresses / categories / e-mails the survivor already has stay behind.
        ma, ka = tblAddress.alias("ma"), tblAddress.alias("ka")
        addr_free = not_(exists().where(ka.c.CompanyID == keep, ka.c.AddrType == ma.c.AddrType))
        mc, kc = tblCompanyCategory.alias("mc"), tblCompanyCategory.alias("kc")
        cat_kept = exists().where(kc.c.CompanyID == keep, kc.c.CategoryID == mc.c.CategoryID)
        me, ke = tblEmailLink.alias("me"), tblEmailLink.alias("ke")
        mail_free = not_(exists().where(ke.c.CompanyID == keep, ke.c.EmailID == me.c.EmailID))

        columns: dict[str, Any] = {
            "contacts_moved": count(m, m.c.CompanyID == merge, not_(kept_link)),
            "contacts_hidden": count(m, m.c.CompanyID == merge, not_(kept_link), m.c.Deleted == 1),
            "contacts_stays": count(m, m.c.CompanyID == merge, kept_link),
            "contacts_revived": count(m, m.c.CompanyID == merge, kept_dead_link, m.c.Deleted == 0),
            # One address per type moves (the kit allows one per type and owner).
            "addresses_moved": select(func.count(func.distinct(ma.c.AddrType)))
            .where(ma.c.CompanyID == merge, addr_free).scalar_subquery(),
            "addresses_all": count(tblAddress, tblAddress.c.CompanyID == merge),
            "categories_moved": count(mc, mc.c.CompanyID == merge, not_(cat_kept)),
            "categories_stays": count(mc, mc.c.CompanyID == merge, cat_kept),
            "emails_moved": select(func.count(func.distinct(me.c.EmailID)))
            .where(me.c.CompanyID == merge, mail_free).scalar_subquery(),
            "emails_all": count(tblEmailLink, tblEmailLink.c.CompanyID == merge),
        }
        soft = {"activities": tblActivity, "wall": tblWallPost, "projects": tblProject,
                "opportunities": tblSalesOpp, "orders": tblOrder, "documents": tblDocument}
        for area, table in soft.items():
            columns[f"{area}_moved"] = count(table, table.c.CompanyID == merge)
            columns[f"{area}_hidden"] = count(table, table.c.CompanyID == merge, table.c.Deleted == 1)
        for area, table in {"calls": tblCall, "ledger": tblLedgerEntry}.items():
            columns[f"{area}_moved"] = count(table, table.c.CompanyID == merge)
        q = select(*(col.label(name) for name, col in columns.items()))
        with classic_connection(self.engine) as conn:
            r = conn.execute(q).one()._mapping
        n = {name: int(r[name] or 0) for name in columns}
        out = [
            AreaCount("contacts", n["contacts_moved"], n["contacts_hidden"], n["contacts_stays"],
                      n["contacts_revived"]),
            AreaCount("addresses", n["addresses_moved"], 0, n["addresses_all"] - n["addresses_moved"]),
            AreaCount("categories", n["categories_moved"], 0, n["categories_stays"]),
            AreaCount("emails", n["emails_moved"], 0, n["emails_all"] - n["emails_moved"]),
        ]
        out += [AreaCount(a, n[f"{a}_moved"], n[f"{a}_hidden"]) for a in soft]
        out += [AreaCount(a, n[f"{a}_moved"]) for a in ("calls", "ledger")]
        order = list(AREAS)
        return sorted(out, key=lambda a: order.index(a.area))
