"""CompanyLookup.asmx: SearchCompanies and GetCompanyData over the company register (a CSV file
with the columns of the kit's ``register.csv``), guarded by the ``LookupAuth`` SOAP header.

Not a classic service: no database, no session.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .base import Call
from .orgno import digits_of
from .soap import SoapFault
from .values import out_datetime, out_decimal

REGISTER_COLUMNS = (
    "OrganizationNumber", "Country", "Name", "LegalForm", "RegistrationDate", "PostalStreet", "PostalCode",
    "PostalCity", "VisitingStreet", "VisitingPostalCode", "VisitingCity", "Phone", "VatNumber", "IndustryCode",
    "IndustryText", "NumberOfEmployees", "ShareCapital", "RatingCode",
)
#: The kit's credentials (``generate.LOOKUP_CREDENTIALS``).
DEFAULT_CREDENTIALS = {"CustomerCode": "CLASSIC", "UserId": "crmlite", "Password": "lookup"}
_ORGNO_QUERY = re.compile(r"^[\d\s\-+]+$")


@dataclass(frozen=True)
class Entry:
    """One register entry: the CSV row (empty fields as None) and its organisation-number digits."""

    row: dict[str, str | None]
    digits: str

    @property
    def name(self) -> str:
        return self.row.get("Name") or ""

    @property
    def country(self) -> str:
        return (self.row.get("Country") or "").strip().upper()


class Register:
    """The company register, read once from CSV."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    @classmethod
    def from_csv(cls, path: str | Path | None) -> Register:
        """Read ``path`` (UTF-8, header row); a missing path gives an empty register."""
        if path is None:
            return cls([])
        entries = []
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = set(REGISTER_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: register columns missing: {', '.join(sorted(missing))}")
            for raw in reader:
                row = {k: (v if v not in ("", None) else None) for k, v in raw.items() if k}
                entries.append(Entry(row, _number_digits(row.get("OrganizationNumber") or "")))
        return cls(entries)

    def search(self, query: str, country: str | None, max_hits: int) -> list[Entry]:
        """Hits by organisation number (digits prefix) or by name words, best first."""
        q = query.strip()
        code = (country or "").strip().upper()
        pool = [e for e in self.entries if not code or e.country == code]
        digits = digits_of(q)
        if _ORGNO_QUERY.match(q) and len(digits) >= 6:
            digits = digits[2:] if len(digits) == 12 else digits
            hits = [e for e in pool if e.digits.startswith(digits)]
            hits.sort(key=lambda e: (e.name.casefold(), e.name))
            return hits[:max_hits]
        words = [w.casefold() for w in q.split()]
        hits = [e for e in pool if all(w in e.name.casefold() for w in words)]
        start = q.casefold()
        hits.sort(key=lambda e: (0 if e.name.casefold().startswith(start) else 1, e.name.casefold(), e.name))
        return hits[:max_hits]

    def get(self, number: str, country: str | None) -> Entry | None:
        """The entry with these digits in ``country`` (empty = SE), or None."""
        code = (country or "").strip().upper() or "SE"
        digits = _number_digits(number, code)
        for e in self.entries:
            if e.country == code and e.digits == digits:
                return e
        return None


def _number_digits(text: str, country: str = "") -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 12 and country in ("", "SE") and digits[:2] in ("16", "19", "20"):
        digits = digits[2:]
    return digits


class CompanyLookupService:
    """The lookup operations; every call needs the right ``LookupAuth`` header."""

    def __init__(self, register: Register, credentials: dict[str, str]) -> None:
        self.register = register
        self.credentials = credentials

    def _check_auth(self, call: Call) -> None:
        auth = call.headers.get("LookupAuth") or {}
        if any((auth.get(k) or "") != v for k, v in self.credentials.items()):
            raise SoapFault("NotAuthenticated", "LookupAuth missing or wrong")

    def SearchCompanies(self, call: Call) -> dict[str, Any]:
        """``ArrayOfLookupHit``; fault Validation for an empty query."""
        self._check_auth(call)
        query = call.params.get("query") or ""
        if not query.strip():
            raise SoapFault("Validation", "query: must not be empty")
        max_hits = call.params.get("maxHits")
        max_hits = 20 if max_hits is None or max_hits <= 0 else min(int(max_hits), 100)
        hits = self.register.search(query, call.params.get("country"), max_hits)
        return {
            "LookupHit": [
                {
                    "OrganizationNumber": e.row.get("OrganizationNumber"),
                    "Name": e.row.get("Name"),
                    "Street": e.row.get("VisitingStreet"),
                    "PostalCode": e.row.get("VisitingPostalCode"),
                    "City": e.row.get("VisitingCity"),
                    "Country": e.row.get("Country"),
                }
                for e in hits
            ]
        }

    def GetCompanyData(self, call: Call) -> dict[str, Any]:
        """``CompanyData`` of one entry; fault NotFound when absent."""
        self._check_auth(call)
        number = call.params.get("organizationNumber") or ""
        if not digits_of(number):
            raise SoapFault("Validation", "organizationNumber: must not be empty")
        entry = self.register.get(number, call.params.get("country"))
        if entry is None:
            raise SoapFault("NotFound", "the register has no company with this organisation number")
        r = entry.row
        return {
            "OrganizationNumber": r.get("OrganizationNumber"),
            "Name": r.get("Name"),
            "LegalForm": r.get("LegalForm"),
            "RegistrationDate": out_datetime(_date(r.get("RegistrationDate"))),
            "PostalAddress": {"Street": r.get("PostalStreet"), "PostalCode": r.get("PostalCode"),
                              "City": r.get("PostalCity"), "Country": r.get("Country")},
            "VisitingAddress": {"Street": r.get("VisitingStreet"), "PostalCode": r.get("VisitingPostalCode"),
                                "City": r.get("VisitingCity"), "Country": r.get("Country")},
            "Phone": r.get("Phone"),
            "VatNumber": r.get("VatNumber"),
            "IndustryCode": r.get("IndustryCode"),
            "IndustryText": r.get("IndustryText"),
            "NumberOfEmployees": r.get("NumberOfEmployees"),
            "ShareCapital": out_decimal(_decimal(r.get("ShareCapital"))),
            "RatingCode": r.get("RatingCode"),
        }


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None
