"""The category tree and owners of the new-company form, and the direct category writes.

Classic tables: ``tblCategory`` (the tree; ``Deleted``), ``tblCompanyCategory`` (membership; no
soft delete, no audit columns, no SOAP operation: the kit allows direct writes), ``tblCompany``
(the company must be live), ``tblUser`` (active users as owners).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from facade.companies import CategoryNode, UserRef
from facade.errors import ClassicRejected, ClassicUnavailable
from facade.i18n import N_

from .engine import classic_connection
from .tables import tblCategory, tblCompany, tblCompanyCategory, tblUser

CATEGORIES_FAILED = N_("The categories could not be saved in the classic database.")
CATEGORY_GONE = N_("A chosen category has been deleted in the meantime.")
COMPANY_GONE = N_("The company does not exist or has been deleted.")


class SqlCategoryStore:
    """``facade.company_create.CategoryStore`` on the classic database (SQLAlchemy Core)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def category_tree(self) -> list[CategoryNode]:
        """Every ``tblCategory`` row (a small, global table), deleted ones flagged; one query."""
        q = select(tblCategory.c.CategoryID, tblCategory.c.ParentID, tblCategory.c.Name, tblCategory.c.Deleted)
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [CategoryNode(r.CategoryID, r.ParentID, r.Name or "", int(r.Deleted) != 0, False) for r in rows]

    def owners(self) -> list[UserRef]:
        """The active users (``tblUser.Active = 1``), by ``UserID``; one query."""
        q = (
            select(tblUser.c.UserID, tblUser.c.FullName)
            .where(tblUser.c.Active == 1)
            .order_by(tblUser.c.UserID)
        )
        with classic_connection(self.engine) as conn:
            rows = conn.execute(q).all()
        return [UserRef(r.UserID, (r.FullName or "").strip(), True) for r in rows]

    def add_company_categories(self, company_id: int, category_ids: Sequence[int]) -> None:
        """Insert the ``tblCompanyCategory`` rows of ``company_id`` for ``category_ids`` that it is not
        in yet, in one transaction: all or none.

        The company must be live and every category live (``Deleted = 0``, checked in the same
        transaction). Raises ClassicRejected (company or category gone) or ClassicUnavailable.
        """
        wanted = sorted({int(c) for c in category_ids})
        if not wanted:
            return
        try:
            with self.engine.begin() as conn:
                live = conn.execute(
                    select(tblCompany.c.CompanyID).where(
                        tblCompany.c.CompanyID == int(company_id), tblCompany.c.Deleted == 0
                    )
                ).first()
                if live is None:
                    raise ClassicRejected(COMPANY_GONE, company_id=company_id)
                found = {
                    r.CategoryID
                    for r in conn.execute(
                        select(tblCategory.c.CategoryID).where(
                            tblCategory.c.CategoryID.in_(wanted), tblCategory.c.Deleted == 0
                        )
                    )
                }
                if found != set(wanted):
                    raise ClassicRejected(CATEGORY_GONE, missing=sorted(set(wanted) - found))
                present = {
                    r.CategoryID
                    for r in conn.execute(
                        select(tblCompanyCategory.c.CategoryID).where(
                            tblCompanyCategory.c.CompanyID == int(company_id)
                        )
                    )
                }
                rows = [{"CompanyID": int(company_id), "CategoryID": c} for c in wanted if c not in present]
                if rows:
                    conn.execute(insert(tblCompanyCategory), rows)
        except SQLAlchemyError as exc:
            raise ClassicUnavailable(CATEGORIES_FAILED, company_id=company_id) from exc
