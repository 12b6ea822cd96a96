"""Swedish demo data for a classic CRM database, relative to today, so every page has content.

``build_demo_database(url, file_store)`` creates the classic schema (``adapters.sql.tables``)
in an EMPTY database and fills every classic table with a modest, human-friendly installation:
about 70 companies (customers, suppliers, both, prospects, private customers, EUR and NOK
customers, a few soft-deleted, a duplicate pair), 150 persons, today's meetings for every
active user, tasks, opportunities in every stage, e-mails, documents (real bytes in the file
store), calls, orders, invoices, credit notes and the customer and supplier ledgers.

Dates are relative to ``today`` (the installation's today in Europe/Stockholm); the snapshot
("now") is 07:00 that day, or the real time when a build today happens earlier: nothing is
created after it, while appointments, tasks and close dates may lie ahead. The same ``today``
always gives the same rows. Every invariant of the classic kit holds (see the kit README,
"Facts a reader can check"): audit columns, number series, ledger matching, rounding half-up.

Stand-alone on purpose: it does not import the vendor's kit (absent on users' machines), and
nothing in facade/adapters/views imports this module.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import re
import struct
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from adapters.sql import tables as T

PASSWORD = "classic"
TIME_ZONE = "Europe/Stockholm"
SCHEMA_VERSION = "7.4"
LOOKUP_CREDENTIALS = {"CustomerCode": "CLASSIC", "UserId": "crmlite", "Password": "lookup"}

REGISTER_COLUMNS = (
    "OrganizationNumber", "Country", "Name", "LegalForm", "RegistrationDate", "PostalStreet",
    "PostalCode", "PostalCity", "VisitingStreet", "VisitingPostalCode", "VisitingCity", "Phone",
    "VatNumber", "IndustryCode", "IndustryText", "NumberOfEmployees", "ShareCapital", "RatingCode",
)

CENT = Decimal("0.01")
D0 = Decimal(0)


# ---------------------------------------------------------------------------------------------
# What the caller gets back
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSignIn:
    """One demo user (``tblUser``): login, full name, what the user may do, rights codes."""

    user_id: int
    login: str
    full_name: str
    role: str
    rights: tuple[str, ...]
    active: bool = True

    @property
    def may_use_crm(self) -> bool:
        """True when the user may sign in to CRM Lite (active, with CRM_READ or ADMIN)."""
        return self.active and ("CRM_READ" in self.rights or "ADMIN" in self.rights)


@dataclass(frozen=True)
class DemoInfo:
    """What ``build_demo_database`` made: the day, the snapshot time, sign-ins and row counts."""

    today: date
    now: datetime
    sign_ins: tuple[DemoSignIn, ...]
    counts: dict[str, int] = field(default_factory=dict)
    password: str = PASSWORD


# Same logins, names and rights as the kit's sample, so the kit's documentation applies.
DEMO_USERS: tuple[DemoSignIn, ...] = (
    DemoSignIn(1, "admin", "Administratör Classic", "administrator: everything", ("ADMIN",)),
    DemoSignIn(2, "anna", "Anna Lindqvist", "seller with customer ledger",
               ("CRM_READ", "CRM_WRITE", "CRM_DELETE", "ORDER_READ", "ORDER_WRITE", "LEDGER_CUSTOMER")),
    DemoSignIn(3, "erik", "Erik Johansson", "seller without ledger",
               ("CRM_READ", "CRM_WRITE", "ORDER_READ", "ORDER_WRITE")),
    DemoSignIn(4, "marte", "Marte Haugen", "seller (Norway), may delete and merge",
               ("CRM_READ", "CRM_WRITE", "CRM_DELETE", "ORDER_READ", "ORDER_WRITE")),
    DemoSignIn(5, "lars", "Lars Öberg", "finance: orders, customer and supplier ledger, reads the CRM",
               ("CRM_READ", "ORDER_READ", "ORDER_WRITE", "LEDGER_CUSTOMER", "LEDGER_SUPPLIER")),
    DemoSignIn(6, "karin", "Karin Åström", "reception: reads the CRM only", ("CRM_READ",)),
    DemoSignIn(7, "olle", "Olle Berg", "former seller: inactive, cannot sign in",
               ("CRM_READ", "CRM_WRITE", "ORDER_READ", "ORDER_WRITE"), active=False),
    DemoSignIn(8, "per", "Per Lagerström", "warehouse: orders only, may not use the CRM", ("ORDER_READ",)),
)
_USER_DETAILS = {  # login: (initials, title, e-mail local part, extension)
    "admin": ("ADM", "Systemadministratör", "it", "200"),
    "anna": ("AL", "Säljare", "anna.lindqvist", "211"),
    "erik": ("EJ", "Säljare", "erik.johansson", "212"),
    "marte": ("MH", "Key account manager Norge", "marte.haugen", "213"),
    "lars": ("LÖ", "Ekonomiansvarig", "lars.oberg", "220"),
    "karin": ("KÅ", "Receptionist", "karin.astrom", "100"),
    "olle": ("OB", "Säljare (slutat)", "olle.berg", "214"),
    "per": ("PL", "Lagerchef", "per.lagerstrom", "230"),
}
ADMIN, ANNA, ERIK, MARTE, LARS, KARIN, OLLE, PER = range(1, 9)
ACTIVE_USERS = (ADMIN, ANNA, ERIK, MARTE, LARS, KARIN, PER)
SELLERS = (ANNA, ERIK, MARTE)
OUR_DOMAIN = "demoforetaget.example"


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------


def round2(value: Decimal) -> Decimal:
    """Half-up (away from zero) to 2 decimals: the classic rule for every amount."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def luhn_digit(payload: str) -> str:
    """The Luhn (mod 10) check digit of a string of digits (Swedish organisation numbers, OCR)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def ocr_reference(invoice_no: int) -> str:
    """Swedish OCR reference: invoice number + length digit + Luhn digit (kit README, Ledger)."""
    text = str(invoice_no)
    text += str((len(text) + 2) % 10)
    return text + luhn_digit(text)


def _no_mod11_digit(payload8: str) -> str | None:
    s = sum(int(c) * w for c, w in zip(payload8, (3, 2, 7, 6, 5, 4, 3, 2), strict=True))
    r = 11 - s % 11
    return "0" if r == 11 else (None if r == 10 else str(r))


def _fi_check_digit(payload7: str) -> str | None:
    r = sum(int(c) * w for c, w in zip(payload7, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return "0" if r == 0 else (None if r == 1 else str(11 - r))


_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "ae", "ø": "o", "ü": "u", "é": "e",
                       "Å": "a", "Ä": "a", "Ö": "o", "Æ": "ae", "Ø": "o", "Ü": "u", "É": "e"})


def slug(text: str) -> str:
    """ASCII letters and digits of ``text`` for e-mail domains (``Åkesson Måleri`` → ``akessonmaleri``)."""
    t = text.translate(_FOLD).lower()
    return "".join(ch for ch in t if ch.isascii() and ch.isalnum()) or "foretag"


def rate_on(currency: str, day: date) -> Decimal:
    """SEK per unit of ``currency`` on ``day``: smooth and deterministic, 4 decimals."""
    n = day.toordinal()
    if currency == "EUR":
        return Decimal("%.4f" % (11.30 + 0.30 * math.sin(n / 41.0) + 0.08 * math.sin(n / 9.0)))
    if currency == "NOK":
        return Decimal("%.4f" % (0.975 + 0.025 * math.sin(n / 37.0) + 0.006 * math.sin(n / 7.0)))
    return Decimal(1)


def stockholm_now() -> datetime:
    """The wall-clock time in Europe/Stockholm now, naive (as classic stores datetimes)."""
    return datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None)


def tiny_pdf(title: str, lines: Iterable[str] = ()) -> bytes:
    """A small valid one-page PDF showing ``title`` and ``lines`` (folded to ASCII)."""

    def pdf_text(s: str) -> str:
        s = s.translate(_FOLD).encode("ascii", "replace").decode()
        return s.replace("\\", "/").replace("(", "[").replace(")", "]")[:90]

    ops = [f"BT /F1 16 Tf 72 770 Td ({pdf_text(title)}) Tj ET"]
    for k, line in enumerate(lines):
        ops.append(f"BT /F1 11 Tf 72 {740 - 16 * k} Td ({pdf_text(line)}) Tj ET")
    stream = "\n".join(ops).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"),
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def tiny_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A valid ``size``×``size`` PNG: a diagonal two-colour pattern of ``rgb`` and white."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = []
    for y in range(size):
        row = bytearray(b"\x00")
        for x in range(size):
            row += bytes(rgb) if (x + y) % 6 < 3 else b"\xff\xff\xff"
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _csv_value(value: object) -> str:
    """One register CSV field as the kit writes it: NULL empty, ``""`` the empty string, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        s = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        s = value.isoformat()
    elif isinstance(value, Decimal):
        s = format(value, "f")
    else:
        s = str(value)
    if s == "" or any(ch in s for ch in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_register_csv(path: str | Path, rows: Iterable[tuple]) -> None:
    """Write the lookup register (``REGISTER_COLUMNS``): UTF-8, comma, header row, CRLF."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(REGISTER_COLUMNS) + "\r\n")
        fh.writelines(",".join(_csv_value(v) for v in row) + "\r\n" for row in rows)


# ---------------------------------------------------------------------------------------------
# Fixed content: places, names, companies
# ---------------------------------------------------------------------------------------------

# city: (postcode prefix, area code without 0)
SE_CITIES = {
    "Stockholm": ("11", "8"), "Göteborg": ("41", "31"), "Malmö": ("21", "40"), "Uppsala": ("75", "18"),
    "Västerås": ("72", "21"), "Örebro": ("70", "19"), "Linköping": ("58", "13"), "Helsingborg": ("25", "42"),
    "Jönköping": ("55", "36"), "Norrköping": ("60", "11"), "Lund": ("22", "46"), "Umeå": ("90", "90"),
    "Gävle": ("80", "26"), "Borås": ("50", "33"), "Södertälje": ("15", "8"), "Eskilstuna": ("63", "16"),
    "Karlstad": ("65", "54"), "Täby": ("18", "8"), "Växjö": ("35", "470"), "Halmstad": ("30", "35"),
    "Luleå": ("97", "920"), "Östersund": ("83", "63"), "Sundsvall": ("85", "60"), "Kalmar": ("39", "480"),
    "Falun": ("79", "23"), "Trollhättan": ("46", "520"), "Kiruna": ("98", "980"), "Åre": ("83", "647"),
    "Mölndal": ("43", "31"), "Solna": ("17", "8"), "Visby": ("62", "498"), "Ängelholm": ("26", "431"),
}
NO_CITIES = {"Oslo": "0", "Bergen": "5", "Trondheim": "7", "Tromsø": "9", "Ålesund": "6", "Stavanger": "4"}
FI_CITIES = {"Helsinki": "00", "Turku": "20", "Tampere": "33"}
DE_CITIES = {"Hamburg": "20", "Lübeck": "23", "Kiel": "24"}
SE_STREETS = ("Storgatan", "Drottninggatan", "Kungsgatan", "Vasagatan", "Industrivägen", "Järnvägsgatan",
              "Skolgatan", "Kyrkogatan", "Ågatan", "Östra Hamngatan", "Nygatan", "Hantverkargatan",
              "Fabriksgatan", "Björkvägen", "Ringvägen", "Åvägen", "Verkstadsgatan", "Lagergatan",
              "Älvstranden", "Sjöviksvägen", "Götgatan", "Stora Torget")
NO_STREETS = ("Karl Johans gate", "Storgata", "Kongens gate", "Bryggen", "Sjøgata", "Strandveien")
FI_STREETS = ("Mannerheimintie", "Aleksanterinkatu", "Hämeenkatu", "Satamakatu")
DE_STREETS = ("Hauptstraße", "Bahnhofstraße", "Hafenstraße", "Am Markt")

FIRST_NAMES = ("Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Emma", "Malin", "Ingrid", "Hanna", "Linda",
               "Sofia", "Elin", "Ida", "Johanna", "Åsa", "Linnéa", "Agneta", "Helena", "Frida", "Ebba",
               "Maja",
               "Märta", "Astrid", "Ylva", "Anna-Lena", "Sigrid", "Erik", "Lars", "Karl", "Anders", "Johan",
               "Nils", "Mikael", "Peter", "Olof", "Gunnar", "Sven", "Fredrik", "Daniel", "Åke", "Göran",
               "Magnus", "Stefan", "Oskar", "Jonas", "Henrik", "Björn", "Ulf", "Mats", "Håkan", "Jörgen",
               "Måns", "Örjan", "Sören", "Viktor", "Axel", "Karl-Erik")
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
              "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Bengtsson", "Jönsson",
              "Lindberg",
              "Magnusson", "Lindström", "Lindgren", "Axelsson", "Berg", "Bergström", "Lundberg", "Lundqvist",
              "Berglund", "Sandberg", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Håkansson",
              "Björk", "Holm", "Wikström", "Nyström", "Holmberg", "Löfgren", "Söderberg", "Blomqvist",
              "Nordström", "Mårtensson", "Åberg", "Ekström", "Sundberg", "Hedlund", "Sjögren", "Öberg",
              "Ström", "Åström", "Dahlberg", "af Klint")
NO_FIRST = ("Kari", "Ingrid", "Solveig", "Marit", "Ola", "Bjørn", "Håvard", "Øystein", "Eirik", "Ståle")
NO_LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Haugen", "Næss", "Økland", "Ødegård", "Solheim",
           "Nygård")
FI_FIRST = ("Aino", "Päivi", "Mikko", "Jukka")
FI_LAST = ("Korhonen", "Virtanen", "Mäkinen", "Nieminen")
DE_FIRST = ("Anke", "Jürgen", "Uwe", "Sabine")
DE_LAST = ("Müller", "Schröder", "Weiß", "Hoffmann")
JOB_TITLES = ("VD", "Vice VD", "Inköpschef", "Inköpare", "Ekonomichef", "Ekonomiassistent", "Projektledare",
              "Säljare", "Platschef", "IT-ansvarig", "Kontorschef", "Lagerchef", "Marknadschef",
              "Redovisningsekonom", "Ägare", "Servicetekniker", "Controller", "Reception & växel")
ROLES = ("Beslutsfattare", "Fakturamottagare", "Teknisk kontakt", "Inköpare", "Ekonomi", "Kontaktperson")

# (name, profile, city, trade category id, created days back or None for "long ago")
# profiles: cust, both, supp, prospect, private, eur, nok, deleted, dup
COMPANIES: tuple[tuple[str, str, str, int, int | None], ...] = (
    ("Åkesson Måleri AB", "cust", "Göteborg", 7, None),
    ("Björkdalens Bygg AB", "cust", "Umeå", 7, None),
    ("Wallin & Söner Bygg AB", "cust", "Jönköping", 7, None),
    ("Östgöta Elteknik AB", "cust", "Linköping", 7, None),
    ("Sjöviks Fastigheter AB", "cust", "Stockholm", 11, None),
    ("Lindqvist Data AB", "cust", "Uppsala", 8, None),
    ("Fjällstugan Konferens AB", "cust", "Åre", 9, None),
    ("Kvarnby Bageri AB", "cust", "Malmö", 9, None),
    ("Stenhuggeriet i Lund AB", "cust", "Lund", 7, None),
    ("Gävle Rör & VVS AB", "cust", "Gävle", 7, None),
    ("Ängelholms Trädgård HB", "cust", "Ängelholm", 9, None),
    ("Hamnens Logistik AB", "cust", "Helsingborg", 10, None),
    ("Västerås Verkstad AB", "cust", "Västerås", 7, None),
    ("Älvsbyns Snickeri AB", "cust", "Luleå", 7, None),
    ("Örebro Kontorsservice AB", "cust", "Örebro", 9, None),
    ("Solbergs Städ AB", "cust", "Södertälje", 9, None),
    ("Kustens Transport AB", "cust", "Kalmar", 10, None),
    ("Granlunds Glas AB", "cust", "Karlstad", 7, None),
    ("Torpets Tak AB", "cust", "Borås", 7, None),
    ("Rönnbäck Revision AB", "cust", "Sundsvall", 11, None),
    ("Växjö Maskin AB", "cust", "Växjö", 7, None),
    ("Norrskens Energi AB", "cust", "Kiruna", 11, None),
    ("Holmgrens Optik AB", "cust", "Jönköping", 9, None),
    ("Strömma Media AB", "cust", "Stockholm", 8, None),
    ("Eklunds Elektronik AB", "cust", "Västerås", 8, None),
    ("Visby Hamnkrog AB", "cust", "Visby", 9, None),
    ("Skogsbrynet Mark & Anläggning AB", "cust", "Falun", 7, None),
    ("Bergslagens Däck AB", "cust", "Eskilstuna", 10, None),
    ("Mölndals Kyl & Värme AB", "cust", "Mölndal", 7, None),
    ("Solna IT-partner AB", "cust", "Solna", 8, None),
    ("Täby Blommor & Fest AB", "cust", "Täby", 9, None),
    ("Dalarnas Tryckeri AB", "cust", "Falun", 9, None),
    ("Lundgren Design AB", "cust", "Halmstad", 8, None),
    ("Trollhättans Mekaniska AB", "cust", "Trollhättan", 7, None),
    ("Norrköpings Frakt AB", "cust", "Norrköping", 10, None),
    ("Östersunds Skidcenter AB", "cust", "Östersund", 9, 40),
    ("Kalmar Lås & Larm AB", "cust", "Kalmar", 8, 20),
    ("Reklambyrån <b>Fet</b> & Kursiv AB", "cust", "Stockholm", 8, 120),
    ("Uppsala Kommunfastigheter", "cust", "Uppsala", 11, 200),
    ("Sundsvalls Båtklubb Ekonomisk förening", "cust", "Sundsvall", 9, 3),
    ("Mälardalens Elgrossist AB", "both", "Västerås", 9, None),
    ("Gränsbo Grossist AB", "both", "Helsingborg", 9, None),
    ("Nordisk Kontorsmaterial AB", "both", "Stockholm", 9, None),
    ("Lagerhyllan Sverige AB", "supp", "Borås", 9, None),
    ("Frakt & Kurir Norden AB", "supp", "Göteborg", 10, None),
    ("Svensk Kaffeservice AB", "supp", "Malmö", 9, None),
    ("Datorgrossisten i Solna AB", "supp", "Solna", 8, None),
    ("Utsikten Konsult AB", "prospect", "Stockholm", 8, 60),
    ("Framtidsbolaget i Kiruna AB", "prospect", "Kiruna", 11, 25),
    ("Havsörnen Fiske AB", "prospect", "Visby", 9, 12),
    ("Skärgårdens Båtvarv AB", "prospect", "Täby", 7, 5),
    ("Vindkraft Öst AB", "prospect", "Norrköping", 11, 2),
    ("Ängsgårdens Gårdsbutik", "prospect", "Lund", 9, 0),
    ("Sven Svensson", "private", "Uppsala", 0, None),
    ("Maria Öberg", "private", "Göteborg", 0, 300),
    ("Jörgen Åberg", "private", "Malmö", 0, 90),
    ("Lisa Fält", "private", "Stockholm", 0, 30),
    ("Saariston Puu Oy", "eur", "Turku", 9, None),
    ("Helsingin Tekniikka Oy", "eur", "Helsinki", 8, None),
    ("Nordsee Handel GmbH", "eur", "Hamburg", 9, None),
    ("Lübecker Kontor GmbH", "eur", "Lübeck", 10, None),
    ("Fjordkraft Service AS", "nok", "Bergen", 11, None),
    ("Trondheim Bygg AS", "nok", "Trondheim", 7, None),
    ("Nordlys Eiendom AS", "nok", "Tromsø", 11, None),
    ("Ålesund Fiskeeksport AS", "nok", "Ålesund", 10, None),
    ("Gamla Bolaget AB", "deleted", "Örebro", 9, None),
    ("Nedlagda Kiosken HB", "deleted", "Gävle", 9, None),
    ("Fönsterkompaniet i Konkurs AB", "deleted", "Borås", 7, None),
    ("Sjöbergs Bygg AB", "dup", "Göteborg", 7, None),
    ("Sjöbergs Bygg Aktiebolag", "dup", "Göteborg", 7, 45),
)

COMPANY_NOTES = (
    "Ramavtal löper ut vid årsskiftet. Kontakta inköpschefen i god tid.",
    "Vill ha fakturor som PDF per e-post.\r\nBesöksadress: ring på porttelefonen, kod 1234.",
    "Stor kund sedan många år. Julklapp varje år!",
    "Betalar ofta sent – påminn efter 10 dagar.",
    "Intresserade av serviceavtal Plus.\r\nHar fått offert i våras.",
    "Leveranser endast vardagar 07–15.",
    "Kunden föredrar Teams-möten framför besök.",
    None, None, None, "", None,
)
WALL_TEXTS = (
    "Ringde och bekräftade leveransen till fredag.",
    "Kunden är nöjd med installationen. Vill ha en offert på utbyggnad.",
    "Har skickat ramavtalet för signering.",
    "Möte bokat med VD nästa vecka.",
    "Påminnelse: fakturan förfaller snart, de har lovat att betala i tid.",
    "Ny inköpschef från och med nästa månad – uppdatera kontaktlistan.",
    "Tackade nej till offerten just nu, hör av oss igen i höst.",
    "Beställde 12 kontorsstolar till nya kontoret.",
    "Fråga om rabatt på årsvolym – stämmer av med Lars.",
    "Besök på plats: fina lokaler, trevligt bemötande.\r\nNästa steg: demo för ledningsgruppen.",
    "Har bytt bank, nytt bankgironummer finns i ekonomisystemet.",
    "Skickat julhälsning & kalender.",
    "Kunden frågade om vi kan leverera till Norge – ja, via Frakt & Kurir Norden.",
    "Felaktig leverans reklamerad, ersättning skickad.",
    "Referenskund! Får gärna kontaktas av nya kunder.",
    "Noterat: \"ring inte före 9\".",
)
TASK_SUBJECTS = ("Ring upp angående offert", "Skicka avtal för signering", "Följ upp faktura", "Boka möte",
                 "Skicka prislista", "Uppdatera kontaktuppgifter", "Förbered presentation",
                 "Kontrollera kreditupplysning", "Skicka tackbrev", "Följ upp reklamation")
APPT_SUBJECTS = ("Möte om ramavtal", "Lunch med kund", "Demo av systemet", "Uppföljningsmöte",
                 "Kundbesök", "Avtalsgenomgång", "Telefonmöte", "Offertgenomgång", "Leveransmöte",
                 "Planeringsmöte")
LOCATIONS = ("Kontoret", "Hos kunden", "Teams", "Konferensrum Älgen", "Konferensrum Ö",
             "Restaurang Tre Kronor")
PROJECT_NAMES = ("Ombyggnad kontor", "Nytt affärssystem", "Serviceavtal Plus", "Nätverksuppgradering",
                 "Takrenovering etapp 2", "Flytt till nya lokaler", "Utbildning säljteam", "Lagerautomation",
                 "Ny webbplats", "Energieffektivisering")
OPP_TITLES = ("Ramavtal", "Nytt kontorsnät", "Serviceavtal Plus", "Licensförnyelse", "Takrenovering",
              "Kontorsmöbler", "Utbildningspaket", "Ny lagerlösning", "Konsultstöd", "Årsavtal kaffe & fika")
EMAIL_SUBJECTS = ("Offert", "Fråga om faktura", "Orderbekräftelse", "Mötesbokning", "Avtal för signering",
                  "Leveransdatum", "Prislista", "Reklamation", "Tack för mötet", "Kontaktuppgifter")
ARTICLES = (  # ArticleNo, Description, Unit, price SEK, VAT %
    ("100-01", "Konsulttimme", "tim", Decimal("950.00"), Decimal(25)),
    ("100-02", "Installation", "tim", Decimal("850.00"), Decimal(25)),
    ("200-10", "Kontorsstol Ergo", "st", Decimal("2490.00"), Decimal(25)),
    ("200-20", "Skrivbord höj- och sänkbart", "st", Decimal("5990.00"), Decimal(25)),
    ("300-05", "Nätverkskabel Cat6", "m", Decimal("12.50"), Decimal(25)),
    ("400-01", "Kaffe mellanrost 500 g", "st", Decimal("79.00"), Decimal(12)),
    ("400-02", "Fikabröd, låda", "st", Decimal("145.00"), Decimal(12)),
    ("500-01", "Bok: Sälj i Norden", "st", Decimal("349.00"), Decimal(6)),
    ("600-01", "Serviceavtal, år", "st", Decimal("12000.00"), Decimal(25)),
    ("900-10", "Frakt", "st", Decimal("295.00"), Decimal(25)),
)
INDUSTRIES = (("41200", "Byggande av hus"), ("43210", "Elinstallationer"), ("43220", "VVS-arbeten"),
              ("62010", "Dataprogrammering"), ("46690", "Partihandel med övriga maskiner"),
              ("49410", "Vägtransport, godstrafik"), ("69201", "Redovisning och bokföring"),
              ("56100", "Restaurangverksamhet"), ("47111", "Varuhus- och stormarknadshandel"),
              ("71121", "Teknisk konsultverksamhet"))
EMPLOYEE_BANDS = ("1-4", "5-9", "10-19", "20-49", "50-99", "100-199", "200-499")
RATINGS = ("AAA", "AA", "A", "A", "AA", "B", "C")
REGISTER_ONLY = (
    ("Ljungskogens Bygg AB", "Göteborg"), ("Norrlands Eltjänst AB", "Umeå"), ("Söderhamns Plåt AB", "Gävle"),
    ("Älmhults Möbelverkstad AB", "Växjö"), ("Kristallens Glas AB", "Kalmar"),
    ("Bohusläns Båtservice AB", "Göteborg"),
    ("Sigtuna Data AB", "Stockholm"), ("Vätterns Fisk HB", "Jönköping"), ("Ölands Vindkraft AB", "Kalmar"),
    ("Skånska Kök & Bad AB", "Malmö"), ("Trosa Trädgårdsanläggning AB", "Södertälje"),
    ("Hälsinge Transport AB", "Gävle"), ("Karlskoga Mekaniska AB", "Örebro"),
    ("Norrtälje Städservice AB", "Stockholm"),
    ("Västkustens Revision AB", "Halmstad"), ("Jämtlands Fjällguider AB", "Östersund"),
    ("Eskilstuna Svets & Smide AB", "Eskilstuna"), ("Värmlands Virke AB", "Karlstad"),
    ("Lunds Bokhandel Ekonomisk förening", "Lund"), ("Gotlands Lamm AB", "Visby"),
    ("Uppsala Cykelverkstad AB", "Uppsala"), ("Linköpings Ljudteknik AB", "Linköping"),
    ("Nordkapp Fiskeri AS", "Tromsø"), ("Bergen Havneservice AS", "Bergen"),
    ("Oslo Kontorsmøbler AS", "Oslo"),
    ("Stavanger Energi Rådgivning AS", "Stavanger"),
)


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class _Builder:
    """Builds every row in memory ({table: [dict, ...]}), then the caller inserts them."""

    def __init__(self, today: date, now: datetime) -> None:
        self.today = today
        self.now = now
        self.R = random.Random(f"crm-lite-demo/{today.isoformat()}")
        self.rows: dict[str, list[dict]] = {t.name: [] for t in T.metadata.sorted_tables}
        self.files: dict[str, bytes] = {}
        self.register: list[tuple] = []
        self.first_day = date(today.year - 1, 1, 1)
        self.next_match = 1
        self.next_voucher = 900001

    # -- time ---------------------------------------------------------------------------------
    def at(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second))

    def before_now(self, moment: datetime, margin_minutes: int = 1) -> datetime:
        """``moment``, or a little before the snapshot when it would lie after it."""
        limit = self.now - timedelta(minutes=margin_minutes)
        return min(moment, limit)

    def office_time(self, day: date) -> datetime:
        return self.at(day, self.R.randint(8, 16), self.R.randint(0, 59), self.R.randint(0, 59))

    def audit(self, created: datetime, by: int | None, p_changed: float = 0.5, force: bool = False) -> dict:
        """CreatedAt/By, ChangedAt/By, ChangeNo: ChangeNo 1 and NULLs, or ChangeNo > 1 changed later."""
        R = self.R
        old = created < self.now - timedelta(hours=2)
        if force or (R.random() < p_changed and old):
            span = int((self.now - created).total_seconds())
            if old:
                changed = created + timedelta(seconds=R.randint(3600, max(3601, span - 60)))
                changed = min(changed, self.now - timedelta(minutes=1))
            else:  # changed (e.g. deleted) shortly after it was made
                changed = created + timedelta(seconds=max(0, span) // 2)
            return {"CreatedAt": created, "CreatedBy": by, "ChangedAt": changed,
                    "ChangedBy": R.choice(ACTIVE_USERS[:5]), "ChangeNo": R.randint(2, 5)}
        return {"CreatedAt": created, "CreatedBy": by, "ChangedAt": None, "ChangedBy": None, "ChangeNo": 1}

    # -- formats ------------------------------------------------------------------------------
    def se_phone(self, area: str, variant: int) -> str:
        R = self.R
        n = f"{R.randint(1, 9)}{R.randint(0, 99):02d}{R.randint(0, 99):02d}{R.randint(0, 99):02d}"
        if len(area) >= 3:
            n = n[1:]
        groups = n[:-4] + " " + n[-4:-2] + " " + n[-2:]
        return (f"0{area}-{groups}", f"+46 {area} {groups}", f"0{area}{n}",
                f"0046{area} {groups}")[variant % 4]

    def se_mobile(self, variant: int) -> str:
        R = self.R
        prefix = R.choice(("70", "72", "73", "76"))
        n = f"{R.randint(100, 999):03d}{R.randint(0, 99):02d}{R.randint(0, 99):02d}"
        return (f"0{prefix}-{n[:3]} {n[3:5]} {n[5:]}", f"+46 {prefix} {n[:3]} {n[3:5]} {n[5:]}",
                f"0{prefix}{n}")[variant % 3]

    def no_phone(self) -> str:
        R = self.R
        a, b, c, d = R.randint(20, 99), R.randint(0, 99), R.randint(0, 99), R.randint(0, 99)
        return f"+47 {a} {b:02d} {c:02d} {d:02d}"

    def se_orgno(self, i: int, kind: str = "AB") -> str:
        first = {"AB": "556", "HB": "969", "EF": "769", "KOMMUN": "212"}[kind]
        payload = first + f"{(i * 7919 + 104729) % 1_000_000:06d}"
        return payload + luhn_digit(payload)

    def se_pin(self, i: int) -> str:
        """A personal identity number (private customers): YYYYMMDD + 3 digits + Luhn digit."""
        born = date(1950 + (i * 7) % 45, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
        payload = born.strftime("%y%m%d") + f"{900 + i % 100:03d}"
        return born.strftime("%Y") + payload[2:] + luhn_digit(payload)

    def no_orgno(self, i: int) -> str:
        k = i
        while True:
            payload = f"9{(k * 48271 + 1234567) % 10_000_000:07d}"
            digit = _no_mod11_digit(payload)
            if digit is not None:
                return payload + digit
            k += 1000  # a stride no other caller's i reaches: numbers stay unique

    def fi_orgno(self, i: int) -> str:
        k = i
        while True:
            payload = f"{(k * 69621 + 2345678) % 10_000_000:07d}"
            digit = _fi_check_digit(payload)
            if digit is not None:
                return payload + "-" + digit
            k += 1000

    @staticmethod
    def stored_orgno(digits: str, variant: int) -> str:
        """A Swedish organisation number as people stored it over the years (all with a valid check digit)."""
        return (digits[:6] + "-" + digits[6:], digits, " " + digits[:6] + " " + digits[6:],
                "16" + digits[:6] + "-" + digits[6:], digits[:6] + "-" + digits[6:])[variant % 5]

    def street(self, country: str) -> str:
        R = self.R
        names = {"SE": SE_STREETS, "NO": NO_STREETS, "FI": FI_STREETS, "DE": DE_STREETS}[country]
        return f"{R.choice(names)} {R.randint(1, 60)}"

    def postcode(self, country: str, prefix: str) -> str:
        R = self.R
        if country == "SE":
            return f"{prefix}{R.randint(1, 9)} {R.randint(0, 99):02d}"
        if country == "NO":
            return f"{prefix}{R.randint(10, 999):03d}"
        return f"{prefix}{R.randint(100, 999):03d}"

    # -- the parts ----------------------------------------------------------------------------
    def build(self) -> None:
        self.settings()
        self.users()
        self.categories()
        self.companies()
        self.persons_and_links()
        self.addresses()
        self.company_categories()
        self.projects()
        self.activities()
        self.wall_posts()
        self.opportunities()
        self.emails()
        self.documents()
        self.calls()
        self.orders_and_ledger()
        self.number_series()
        self.register_rows()

    def settings(self) -> None:
        values = (("BaseCurrency", "SEK"), ("TimeZone", TIME_ZONE), ("CompanyName", "Demoföretaget AB"),
                  ("ClassicUrl", "http://classic.invalid/crm"), ("Rate.EUR", str(rate_on("EUR", self.today))),
                  ("Rate.NOK", str(rate_on("NOK", self.today))), ("SchemaVersion", SCHEMA_VERSION),
                  ("DefaultPaymentDays", "30"), ("DefaultVatPct", "25"))
        self.rows["tblSetting"] = [{"SettingKey": k, "SettingValue": v} for k, v in values]

    def users(self) -> None:
        for u in DEMO_USERS:
            initials, title, local, ext = _USER_DETAILS[u.login]
            salt = hashlib.sha1(f"demo-salt/{u.login}".encode()).hexdigest()[:16]
            created = self.at(self.today - timedelta(days=4000 - 300 * u.user_id), 9, 0)
            self.rows["tblUser"].append({
                "UserID": u.user_id, "LoginName": u.login, "FullName": u.full_name, "Initials": initials,
                "Email": f"{local}@{OUR_DOMAIN}", "Phone": f"08-555 12 {ext[-2:]}", "Title": title,
                "PwdSalt": salt, "PwdHash": hashlib.sha1((salt + PASSWORD).encode("utf-8")).hexdigest(),
                "Active": 1 if u.active else 0, "CreatedAt": created,
            })
            self.rows["tblUserRight"].extend({"UserID": u.user_id, "RightCode": r} for r in u.rights)

    CATEGORIES = ((1, None, "Kundtyp", 0), (2, 1, "A-kund", 0), (3, 1, "B-kund", 0), (4, 1, "C-kund", 0),
                  (5, 1, "Återförsäljare", 0), (6, None, "Bransch", 0), (7, 6, "Bygg & anläggning", 0),
                  (8, 6, "IT & telekom", 0), (9, 6, "Handel & service", 0),
                  (10, 6, "Transport & logistik", 0),
                  (11, 6, "Fastigheter & energi", 0), (12, None, "Marknad", 0), (13, 12, "Nyhetsbrev", 0),
                  (14, 12, "Mässa Elmia", 0), (15, 12, "VIP & partner", 0), (16, None, "Gamla kategorier", 1),
                  (17, 16, "Kunder före 2015", 1))

    def categories(self) -> None:
        self.rows["tblCategory"] = [{"CategoryID": c, "ParentID": p, "Name": n, "Deleted": d}
                                    for c, p, n, d in self.CATEGORIES]

    def companies(self) -> None:
        R = self.R
        specs = []
        for i, (name, profile, city, trade, days_back) in enumerate(COMPANIES):
            if days_back is None:
                days_back = R.randint(400, 3200)
            created = self.at(self.today - timedelta(days=days_back), R.randint(8, 16), R.randint(0, 59),
                              R.randint(0, 59))
            if days_back == 0:
                created = self.now - timedelta(minutes=35)
            created = self.before_now(created, 30)
            specs.append({"i": i, "name": name, "profile": profile, "city": city, "trade": trade,
                          "created": created})
        # the duplicate's twin was typed in later
        specs.sort(key=lambda c: (c["created"], c["i"]))
        self.comps = specs
        cust_no, supp_no = 10001, 50001
        dups_seen = 0
        for cid, c in enumerate(specs, 1):
            c["id"] = cid
            p = c["profile"]
            country = {"eur": "FI" if c["city"] in FI_CITIES else "DE", "nok": "NO"}.get(p, "SE")
            c["country"] = country
            c["currency"] = {"eur": "EUR", "nok": "NOK"}.get(p, "SEK")
            c["is_customer"] = int(p in ("cust", "both", "private", "eur", "nok", "deleted", "dup"))
            c["is_supplier"] = int(p in ("both", "supp"))
            c["deleted"] = int(p == "deleted")
            c["kind"] = 2 if p == "private" else 1
            plain = re.sub(r"<[^>]*>", "", c["name"])  # no tag letters in the domain
            for legal in (" AB", " HB", " Oy", " GmbH", " AS"):
                plain = plain.replace(legal, "")
            c["domain"] = slug(plain) + ".example"
            c["persons"] = []
            c["pay_days"] = 30
            if country == "SE":
                c["pfx"], area = SE_CITIES[c["city"]]
            else:
                c["pfx"] = {"NO": NO_CITIES, "FI": FI_CITIES, "DE": DE_CITIES}[country][c["city"]]
                area = ""
            i = c["i"]
            # organisation numbers
            orgno = vat = None
            c["orgdigits"] = None
            if p == "private":
                pin = self.se_pin(i)
                orgno = pin[:8] + "-" + pin[8:] if i % 2 else pin[2:8] + "-" + pin[8:]
            elif country == "SE":
                kind = "HB" if c["name"].endswith("HB") else "EF" if "förening" in c["name"] else "AB"
                if "Kommun" in c["name"]:
                    kind = "KOMMUN"
                digits = self.se_orgno(i, kind)
                if p == "dup":
                    digits = self.se_orgno(999)  # the same number, stored in two formats
                c["orgdigits"] = digits
                if p == "dup":  # the same number in two formats
                    orgno = self.stored_orgno(digits, dups_seen)
                    dups_seen += 1
                    vat = None
                elif not (p == "prospect" and i % 3 == 0):
                    orgno = self.stored_orgno(digits, i)
                    vat = f"SE{digits}01" if R.random() < 0.7 else None
            elif country == "NO":
                digits = self.no_orgno(i)
                c["orgdigits"] = digits
                orgno, vat = digits, f"NO{digits}MVA"
            elif country == "FI":
                orgno = self.fi_orgno(i)
                vat = "FI" + orgno.replace("-", "")
            else:
                orgno, vat = f"HRB {10000 + i * 37}", f"DE{100000000 + i * 7777:09d}"
            c["orgno"] = orgno
            if country == "SE":
                phone = self.se_phone(area, i)
            elif country == "NO":
                phone = self.no_phone()
            elif country == "FI":
                phone = f"+358 {R.randint(2, 9)} {R.randint(100, 999):03d} {R.randint(0, 9999):04d}"
            else:
                phone = f"+49 {R.randint(30, 89)} {R.randint(100000, 999999)}"
            c["phone"] = phone if p != "private" or i % 2 else None
            owner = R.choice((ANNA, ANNA, ERIK, ERIK, MARTE, None, OLLE)) if p != "nok" else MARTE
            c["owner"] = owner
            if p == "dup":
                c["owner"] = ANNA
            cust = supp = None
            if c["is_customer"]:
                cust, cust_no = cust_no, cust_no + 1
            if c["is_supplier"]:
                supp, supp_no = supp_no, supp_no + 1
            email = f"info@{c['domain']}" if p != "private" else f"{slug(c['name'])}@mail.example"
            if i % 11 == 5:
                email = None
            pay_days = None if R.random() < 0.6 else R.choice((10, 15, 20, 30, 45))
            if p == "private":
                pay_days = 10
            c["pay_days"] = pay_days or 30
            invoice_method = R.choice((1, 2, 2, 3)) if c["is_customer"] else None
            created = c["created"]
            audit = self.audit(created, R.choice((ADMIN, ANNA, ERIK, KARIN)), 0.6, force=bool(c["deleted"]))
            c["changed"] = audit["ChangedAt"]
            name = c["name"]
            row = {
                "CompanyID": cid, "CustomerNo": cust, "SupplierNo": supp, "Name": name,
                "NickName": name.split()[0] if R.random() < 0.2 and p not in ("private", "dup") else None,
                "OrgNo": orgno, "VatNo": vat, "CompanyKind": c["kind"], "IsCustomer": c["is_customer"],
                "IsSupplier": c["is_supplier"], "Phone": c["phone"],
                "Fax": self.se_phone(area, i + 1) if country == "SE" and R.random() < 0.15 else None,
                "Email": email,
                "Web": f"https://www.{c['domain']}" if p not in ("private",) and R.random() < 0.7 else None,
                "Notes": R.choice(COMPANY_NOTES), "OwnerUserID": c["owner"], "Country": country,
                "Currency": None if (c["currency"] == "SEK" and R.random() < 0.3) else c["currency"],
                "PaymentDays": pay_days, "InvoiceMethod": invoice_method,
                "InvoiceEmail": f"faktura@{c['domain']}" if invoice_method == 2 and p != "private" else None,
                "DiscountPct": R.choice((None, None, None, Decimal("5.00"), Decimal("10.00")))
                if c["is_customer"] else None,
                "CreditLimit": Decimal(R.choice((50000, 100000, 250000, 500000))) if c["is_customer"]
                and R.random() < 0.5 else None,
                "LanguageCode": {"SE": "SV", "NO": "NO", "FI": "FI", "DE": "DE"}[country],
                "Deleted": c["deleted"], **audit,
            }
            c["discount"] = row["DiscountPct"]
            self.rows["tblCompany"].append(row)
        self.cust_no_next, self.supp_no_next = cust_no, supp_no
        self.by_name = {c["name"]: c for c in specs}

    def person_name(self, country: str) -> tuple[str, str]:
        R = self.R
        if country == "NO":
            return R.choice(NO_FIRST), R.choice(NO_LAST)
        if country == "FI":
            return R.choice(FI_FIRST), R.choice(FI_LAST)
        if country == "DE":
            return R.choice(DE_FIRST), R.choice(DE_LAST)
        return R.choice(FIRST_NAMES), R.choice(LAST_NAMES)

    def persons_and_links(self) -> None:
        R = self.R
        people = []  # dicts before ids are known (ids follow CreatedAt)
        for c in self.comps:
            p = c["profile"]
            n = {"cust": R.choice((1, 2, 2, 3)), "both": 2, "supp": R.choice((1, 2)),
                 "prospect": R.choice((1, 2)), "private": 1, "eur": R.choice((1, 2)), "nok": R.choice((1, 2)),
                 "deleted": 1, "dup": 1}[p]
            for k in range(n):
                if p == "private":
                    first, last = c["name"].split(" ", 1)
                else:
                    first, last = self.person_name(c["country"])
                created = c["created"] + timedelta(days=R.randint(0, 200), minutes=R.randint(1, 600))
                created = self.before_now(created, 20)
                if created < c["created"]:
                    created = c["created"] + timedelta(minutes=1)
                people.append({"first": first, "last": last, "company": c, "created": created,
                               "main": k == 0 and p not in ("prospect",) or (k == 0 and R.random() < 0.5)})
        # persons without a company (former contacts, private contacts)
        for _ in range(150 - len(people)):
            first, last = self.person_name("SE")
            people.append({"first": first, "last": last, "company": None,
                           "created": self.before_now(self.office_time(self.today - timedelta(
                               days=R.randint(5, 900)))),
                           "main": False})
        people.sort(key=lambda x: x["created"])
        persons = self.rows["tblPerson"]
        for pid, pr in enumerate(people, 1):
            pr["id"] = pid
            comp = pr["company"]
            country = comp["country"] if comp else "SE"
            domain = comp["domain"] if comp and comp["profile"] != "private" else R.choice(
                ("telia.example", "gmail.example", "outlook.example"))
            email = f"{slug(pr['first'])}.{slug(pr['last'])}@{domain}"
            if pid % 13 == 0:
                email = None
            area = SE_CITIES[comp["city"]][1] if comp and country == "SE" else "8"
            phone = self.se_phone(area, pid) if country == "SE" else (
                self.no_phone() if country == "NO" else None)
            deleted = 1 if pid in (17, 58, 121) else 0
            pr["deleted"] = deleted
            pr["phone"] = phone if pid % 4 else None
            pr["mobile"] = self.se_mobile(pid) if country == "SE" and pid % 3 else None
            pr["email"] = email
            persons.append({
                "PersonID": pid, "FirstName": pr["first"], "LastName": pr["last"],
                "JobTitle": R.choice(JOB_TITLES) if comp and comp["profile"] != "private" else None,
                "Phone": pr["phone"], "Mobile": pr["mobile"], "Email": email,
                "Notes": R.choice((None, None, None, "Föredrar e-post.", "Har semester i juli.",
                                   "Träffades på Elmia-mässan.\r\nIntresserad av serviceavtal.")),
                "OwnerUserID": comp["owner"] if comp else R.choice(SELLERS), "Deleted": deleted,
                **self.audit(pr["created"], R.choice((ANNA, ERIK, MARTE, KARIN)), 0.4, force=bool(deleted)),
            })
            if comp is not None and not deleted:
                comp["persons"].append(pr)
        self.people = people
        links = self.rows["tblCompanyPerson"]
        linked: set[tuple[int, int]] = set()

        def link(comp: dict, pr: dict, role: str | None, main: int, deleted: int = 0) -> None:
            later = max(comp["created"], pr["created"]) + timedelta(minutes=R.randint(1, 90))
            created = self.before_now(later, 10)
            linked.add((comp["id"], pr["id"]))
            links.append({"CompanyID": comp["id"], "PersonID": pr["id"], "Role": role, "IsMain": main,
                          "Deleted": deleted,
                          **self.audit(created, R.choice((ANNA, ERIK, KARIN)), 0.3, force=bool(deleted))})

        for pr in people:
            comp = pr["company"]
            if comp is None:
                continue
            role = "VD" if comp["profile"] == "dup" else (
                None if comp["profile"] == "private" else R.choice(ROLES))
            link(comp, pr, role, 1 if pr["main"] else 0)
        # a few persons on two companies (board member, consultant)
        live = [c for c in self.comps if not c["deleted"] and c["kind"] == 1]
        for k in range(6):
            pr = people[10 + k * 17]
            if pr["company"] is None or pr["deleted"]:
                continue
            other = live[(k * 11 + 7) % len(live)]
            if (other["id"], pr["id"]) in linked:
                continue
            link(other, pr, R.choice(("Styrelse", "Konsult", "Revisor")), 0)
            other["persons"].append(pr)
        # the duplicate pair: the same person on both, with different roles
        dup_a, dup_b = [c for c in self.comps if c["profile"] == "dup"]
        pr = dup_a["persons"][0] if dup_a["persons"] else None
        if pr is not None and (dup_b["id"], pr["id"]) not in linked:
            link(dup_b, pr, "Styrelse", 0)
            dup_b["persons"].append(pr)
        # links removed in the classic client (people who left): soft-deleted
        unlinked = [pr for pr in people if pr["company"] is None and not pr["deleted"]]
        for k, pr in enumerate(unlinked[:4]):
            comp = live[(k * 5 + 3) % len(live)]
            if (comp["id"], pr["id"]) not in linked:
                link(comp, pr, "Slutat", 0, deleted=1)

    def addresses(self) -> None:
        R = self.R
        rows = self.rows["tblAddress"]
        for c in self.comps:
            types = [1]
            if R.random() < 0.6:
                types.append(2)
            if R.random() < 0.2:
                types.append(3)
            if R.random() < 0.25:
                types.append(4)
            if c["profile"] == "prospect" and R.random() < 0.5:
                types = [2]
            street = self.street(c["country"])
            code = self.postcode(c["country"], c["pfx"])
            for t in types:
                line1, line2, postcode = street, None, code
                if t == 1 and c["country"] == "SE" and R.random() < 0.4:
                    line1, postcode = f"Box {R.randint(10, 9999)}", self.postcode("SE", c["pfx"])
                elif t == 4:
                    line1, line2 = "Fakturaavdelningen", street if R.random() < 0.5 else "Att: Ekonomi"
                rows.append({"AddressID": len(rows) + 1, "CompanyID": c["id"], "PersonID": None,
                             "AddrType": t, "Line1": line1, "Line2": line2, "PostCode": postcode,
                             "City": c["city"], "Country": c["country"]})
            c["street"] = street
        for pr in self.people[::10]:
            city = R.choice(list(SE_CITIES))
            rows.append({"AddressID": len(rows) + 1, "CompanyID": None, "PersonID": pr["id"], "AddrType": 1,
                         "Line1": self.street("SE"), "Line2": None,
                         "PostCode": self.postcode("SE", SE_CITIES[city][0]), "City": city, "Country": "SE"})

    def company_categories(self) -> None:
        R = self.R
        rows = self.rows["tblCompanyCategory"]
        for c in self.comps:
            cats = []
            if c["is_customer"]:
                cats.append(R.choice((2, 3, 3, 4, 4)))
            if c["trade"]:
                cats.append(c["trade"])
            if R.random() < 0.25:
                cats.append(R.choice((13, 14, 15)))
            if c["profile"] in ("both", "dup"):
                cats.append(5)
            if c["id"] in (3, 9):
                cats.append(17)  # still in a soft-deleted category
            for cat in dict.fromkeys(cats):
                rows.append({"CompanyID": c["id"], "CategoryID": cat})

    def customers(self, before: date | None = None) -> list[dict]:
        """Live customers (not suppliers only, not prospects), optionally created before ``before``."""
        out = [c for c in self.comps if c["is_customer"] and not c["deleted"]]
        if before is not None:
            out = [c for c in out if c["created"].date() < before]
        return out

    def projects(self) -> None:
        R = self.R
        custs = self.customers(self.today - timedelta(days=30))
        plans = []
        for k, name in enumerate(PROJECT_NAMES):
            comp = custs[(k * 7 + 2) % len(custs)]
            status = (2, 2, 2, 1, 1, 3, 3, 4, 2, 1)[k]
            start = self.today + timedelta(days={1: R.randint(7, 60), 2: -R.randint(10, 120),
                                                 3: -R.randint(150, 400), 4: -R.randint(60, 200)}[status])
            end = start + timedelta(days=R.randint(30, 240))
            created = self.office_time(min(start, self.today) - timedelta(days=R.randint(5, 40)))
            created = self.before_now(created)
            created = max(created, comp["created"] + timedelta(hours=1))
            plans.append((created, k, name, comp, status, start, end))
        plans.sort(key=lambda p: (p[0], p[1]))
        self.projects_rows = []
        for pid, (created, k, name, comp, status, start, end) in enumerate(plans, 1):
            row = {"ProjectID": pid, "ProjectNo": 1000 + pid, "Name": f"{name} – {comp['name'].split()[0]}",
                   "CompanyID": comp["id"], "ManagerUserID": (ANNA, ERIK, MARTE, ADMIN)[k % 4],
                   "StartDate": start, "EndDate": end if status != 1 or k % 2 else None, "Status": status,
                   "Budget": Decimal(R.choice((50000, 120000, 250000, 480000, 1200000))),
                   "Deleted": 1 if k == 8 else 0,
                   **self.audit(created, ANNA, 0.6, force=k == 8)}
            self.rows["tblProject"].append(row)
            self.projects_rows.append(row)

    # -- activities ---------------------------------------------------------------------------
    def activities(self) -> None:
        R = self.R
        self.acts: list[dict] = []
        self.participants: list[tuple[int, int]] = []
        live = [c for c in self.comps if not c["deleted"] and c["persons"]]
        today = self.today
        C = self.by_name

        def comp_person(comp: dict | None) -> tuple[int | None, int | None]:
            if comp is None:
                return None, None
            pr = comp["persons"][0] if comp["persons"] and R.random() < 0.8 else None
            return comp["id"], pr["id"] if pr else None

        def appt(owner: int, day: date, start: tuple[int, int], minutes: int, subject: str,
                 comp: dict | None = None, location: str | None = None, others: tuple[int, ...] = (),
                 body: str | None = None, created_days: int | None = None) -> None:
            start_at = self.at(day, *start)
            end_at = start_at + timedelta(minutes=minutes)
            cid, pid = comp_person(comp)
            back = created_days if created_days is not None else R.randint(1, 20)
            created = self.before_now(self.office_time(min(day, today) - timedelta(days=back)), 5)
            self.acts.append({"ActType": 2, "Subject": subject, "Body": body, "Location": location,
                              "StartAt": start_at, "EndAt": end_at, "DueAt": None, "Done": 0, "DoneAt": None,
                              "Priority": 2, "OwnerUserID": owner, "CompanyID": cid, "PersonID": pid,
                              "ProjectID": None, "Deleted": 0, "created": created, "others": others})

        def task(owner: int, due: datetime, subject: str, comp: dict | None = None,
                 done_at: datetime | None = None, priority: int = 2, deleted: int = 0) -> None:
            cid, pid = comp_person(comp)
            created = self.office_time(min(due.date(), today) - timedelta(days=R.randint(1, 14)))
            created = self.before_now(created, 5)
            if done_at is not None:
                done_at = max(min(done_at, self.now - timedelta(minutes=2)), created + timedelta(minutes=5))
            self.acts.append({"ActType": 1, "Subject": subject, "Body": None, "Location": None,
                              "StartAt": None, "EndAt": None, "DueAt": due, "Done": 1 if done_at else 0,
                              "DoneAt": done_at,
                              "Priority": priority, "OwnerUserID": owner, "CompanyID": cid, "PersonID": pid,
                              "ProjectID": None, "Deleted": deleted, "created": created, "others": ()})

        # today: every active user has several meetings, as owner or participant
        appt(ANNA, today, (8, 30), 30, "Säljmöte: veckans affärer", None, "Konferensrum Älgen",
             (ERIK, MARTE, ADMIN))
        appt(ANNA, today, (10, 0), 60, "Demo av CRM Lite för Björkdalens Bygg", C["Björkdalens Bygg AB"],
             "Teams", (ERIK,), "Visa dashboard, sök och företagskortet.\r\nFrågor om mobilversionen.")
        appt(ERIK, today, (12, 0), 75, "Lunch med kund", C["Östgöta Elteknik AB"], "Restaurang Tre Kronor",
             (ANNA,))
        appt(ANNA, today, (14, 0), 60, "Avtalsgenomgång ramavtal", C["Åkesson Måleri AB"], "Hos kunden")
        appt(MARTE, today, (16, 0), 30, "Uppföljning offert Nordlys", C["Nordlys Eiendom AS"], "Teams",
             (ANNA,))
        appt(ANNA, today, (18, 30), 150, "Middag med Wallin & Söner", C["Wallin & Söner Bygg AB"],
             "Restaurang Tre Kronor")
        appt(ERIK, today, (9, 30), 45, "Telefonmöte om leveranstider", C["Västerås Verkstad AB"], "Telefon")
        appt(ERIK, today, (15, 0), 60, f"Leveransplanering vecka {today.isocalendar()[1]}", None, "Lagret",
             (PER,))
        appt(MARTE, today, (9, 0), 60, "Videomøte med Fjordkraft", C["Fjordkraft Service AS"], "Teams")
        appt(MARTE, today, (13, 30), 60, "Kundbesøk Trondheim Bygg", C["Trondheim Bygg AS"], "Hos kunden")
        appt(LARS, today, (9, 0), 45, "Genomgång kundreskontra", None, "Konferensrum Ö", (ADMIN,))
        appt(LARS, today, (11, 0), 60, "Kreditbedömning Norrskens Energi", C["Norrskens Energi AB"],
             "Konferensrum Ö", (ANNA,))
        appt(LARS, today, (15, 0), 30, "Betalningspåminnelser", None, "Kontoret")
        appt(KARIN, today, (8, 0), 30, "Växelschema och post", None, "Receptionen")
        appt(KARIN, today, (13, 0), 60, "Besök från Kustens Transport", C["Kustens Transport AB"],
             "Receptionen", (ERIK,))
        appt(PER, today, (7, 30), 30, "Inventering hylla 12–18", None, "Lagret")
        appt(PER, today, (14, 30), 45, "Godsmottagning: Lagerhyllan", C["Lagerhyllan Sverige AB"], "Lagret")
        appt(ADMIN, today, (11, 30), 30, "Säkerhetskopiering av klassiska CRM", None, "Serverrummet")
        appt(ADMIN, today, (15, 30), 60, "Introduktion av CRM Lite", None, "Konferensrum Älgen",
             (KARIN, LARS))
        # the rest of this week and the next two: a couple per weekday for the sellers and the rest
        monday = today - timedelta(days=today.weekday())
        for d in range(21):
            day = monday + timedelta(days=d)
            if day == today or day.weekday() >= 5:
                continue
            for owner in (ANNA, ERIK, MARTE, LARS, ADMIN):
                for _ in range(R.choice((1, 1, 2))):
                    comp = R.choice(live)
                    others = (R.choice([u for u in (ANNA, ERIK, MARTE, KARIN) if u != owner]),) \
                        if R.random() < 0.3 else ()
                    appt(owner, day, (R.randint(8, 16), R.choice((0, 15, 30))), R.choice((30, 45, 60, 90)),
                         R.choice(APPT_SUBJECTS), comp, R.choice(LOCATIONS), others)
        tomorrow = today + timedelta(days=1)
        self.acts.append({"ActType": 2, "Subject": "Mässa: Elmia Subcontractor", "Body": None,
                          "Location": "Jönköping",
                          "StartAt": self.at(tomorrow, 0), "EndAt": self.at(tomorrow + timedelta(days=1), 0),
                          "DueAt": None, "Done": 0, "DoneAt": None, "Priority": 2, "OwnerUserID": ERIK,
                          "CompanyID": None, "PersonID": None, "ProjectID": None, "Deleted": 0,
                          "created": self.before_now(self.at(today - timedelta(days=30), 10)),
                          "others": (ANNA,)})
        # history: past meetings on company cards (olle's too: he owned old ones)
        for _ in range(90):
            day = today - timedelta(days=R.randint(1, 180))
            if day.weekday() >= 5:
                continue
            owner = R.choice((ANNA, ANNA, ERIK, MARTE, LARS, OLLE)) if day < today - timedelta(days=120) \
                else R.choice((ANNA, ANNA, ERIK, MARTE, LARS))
            appt(owner, day, (R.randint(8, 16), R.choice((0, 30))), R.choice((30, 60, 90)),
                 R.choice(APPT_SUBJECTS), R.choice(live), R.choice(LOCATIONS), created_days=R.randint(1, 15))
        # tasks: due today, overdue, done, later
        for owner in ACTIVE_USERS:
            task(owner, self.at(today, 12), R.choice(TASK_SUBJECTS), R.choice(live), priority=1)
            task(owner, self.at(today, 17), R.choice(TASK_SUBJECTS), R.choice(live))
            task(owner, self.at(today - timedelta(days=R.randint(1, 4)), 17), R.choice(TASK_SUBJECTS),
                 R.choice(live), priority=1)
            task(owner, self.at(today - timedelta(days=R.randint(8, 30)), 12), R.choice(TASK_SUBJECTS),
                 R.choice(live), priority=3)
            for _ in range(3):
                due = self.at(today - timedelta(days=R.randint(0, 40)), R.choice((9, 12, 17)))
                task(owner, due, R.choice(TASK_SUBJECTS), R.choice(live),
                     done_at=due - timedelta(hours=R.randint(1, 30)))
            for _ in range(2):
                task(owner, self.at(today + timedelta(days=R.randint(1, 20)), 17), R.choice(TASK_SUBJECTS),
                     R.choice(live), priority=R.choice((1, 2, 3)))
        task(OLLE, self.at(today - timedelta(days=200), 12), "Följ upp offert (ej klar när Olle slutade)",
             R.choice(live))
        task(ANNA, self.at(today + timedelta(days=3), 12), "Borttagen uppgift", R.choice(live), deleted=1)
        # ids follow creation order
        self.acts.sort(key=lambda a: a["created"])
        for aid, a in enumerate(self.acts, 1):
            a["ActivityID"] = aid
            created = a.pop("created")
            others = a.pop("others")
            audit = self.audit(created, a["OwnerUserID"], 0.25, force=bool(a["Done"] or a["Deleted"]))
            if a["Done"]:
                audit["ChangedAt"] = max(a["DoneAt"], created)
                audit["ChangedBy"] = a["OwnerUserID"]
                if audit["ChangedAt"] == created:
                    audit["ChangedAt"] = created + timedelta(minutes=5)
                    a["DoneAt"] = audit["ChangedAt"]
            a.update(audit)
            self.rows["tblActivity"].append(a)
            for uid in dict.fromkeys(others):
                if uid != a["OwnerUserID"]:
                    self.rows["tblActivityUser"].append({"ActivityID": aid, "UserID": uid})

    def wall_posts(self) -> None:
        R = self.R
        live = [c for c in self.comps if not c["deleted"]]
        posts = []
        for k in range(60):
            comp = R.choice(live)
            pr = R.choice(comp["persons"]) if comp["persons"] and R.random() < 0.4 else None
            if k % 15 == 7 and pr is not None:
                comp = None  # a note on a person only
            days = 0 if k < 4 else R.randint(1, 120)
            created = self.before_now(self.office_time(self.today - timedelta(days=days)), 3 + k)
            if comp is not None and created < comp["created"]:
                created = self.before_now(comp["created"] + timedelta(hours=1), 3)
            posts.append({"CompanyID": comp["id"] if comp else None, "PersonID": pr["id"] if pr else None,
                          "Body": R.choice(WALL_TEXTS), "Deleted": 1 if k in (20, 41) else 0,
                          "created": created,
                          "by": R.choice((ANNA, ANNA, ERIK, MARTE, LARS, KARIN))})
        posts.sort(key=lambda p: p["created"])
        for pid, p in enumerate(posts, 1):
            created, by = p.pop("created"), p.pop("by")
            self.rows["tblWallPost"].append({"PostID": pid, **p, **self.audit(created, by, 0.15,
                                                                            force=bool(p["Deleted"]))})

    def opportunities(self) -> None:
        R = self.R
        today = self.today
        month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        q_last_month = 3 * ((today.month - 1) // 3) + 3
        q_end = (date(today.year, q_last_month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

        def this_month() -> date:
            return today + timedelta(days=R.randint(0, (month_end - today).days))

        def this_quarter() -> date:
            start = month_end + timedelta(days=1) if month_end < q_end else today
            return start + timedelta(days=R.randint(0, max(0, (q_end - start).days)))

        buyers = [c for c in self.comps if not c["deleted"] and c["profile"] != "supp"]
        plans = []
        # (stage, when, owner)
        for stage, when, owner in (
            (3, "month", ANNA), (3, "month", ANNA), (4, "month", ANNA), (2, "quarter", ANNA),
            (1, "later", ANNA),
            (4, "overdue", ANNA), (2, "none", ANNA), (3, "quarter", ANNA), (5, "won", ANNA), (5, "won", ANNA),
            (6, "lost", ANNA),
            (2, "month", ERIK), (3, "quarter", ERIK), (4, "quarter", ERIK), (1, "later", ERIK),
            (1, "none", ERIK), (3, "overdue", ERIK), (5, "won", ERIK), (6, "lost", ERIK), (4, "month", ERIK),
            (3, "month", MARTE), (2, "quarter", MARTE), (4, "later", MARTE), (1, "none", MARTE),
            (5, "won", MARTE), (6, "lost", MARTE), (2, "overdue", MARTE),
            (1, "later", ADMIN), (2, "quarter", OLLE), (5, "won", OLLE), (6, "lost", None),
            (3, "later", None),
            (4, "quarter", ANNA), (1, "month", ERIK), (5, "won", ERIK), (2, "later", MARTE),
        ):
            if owner == MARTE and R.random() < 0.7:
                comp = R.choice([c for c in buyers if c["country"] in ("NO", "FI", "DE")])
            else:
                comp = R.choice([c for c in buyers if c["country"] == "SE"])
            plans.append((stage, when, owner, comp))
        deleted_comp = next(c for c in self.comps if c["deleted"])
        plans.append((3, "month", ANNA, deleted_comp))  # open, but its company is gone: not in the pipeline
        rows = []
        for stage, when, owner, comp in plans:
            close = {"month": this_month, "quarter": this_quarter}.get(when, lambda: None)()
            if when == "later":
                close = q_end + timedelta(days=R.randint(10, 200))
            elif when == "overdue":
                close = today - timedelta(days=R.randint(3, 45))
            elif when in ("won", "lost"):
                close = today - timedelta(days=R.randint(1, 300))
            cur = comp["currency"]
            amount = Decimal(R.choice((25, 40, 60, 85, 120, 150, 240, 400, 650))) * 1000
            if cur == "EUR":
                amount = (amount / Decimal("11.3") / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100
            elif cur == "NOK":
                amount = (amount / Decimal("0.98") / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000
            prob = {1: 10, 2: 25, 3: 50, 4: 75, 5: 100, 6: 0}[stage]
            if stage < 5 and R.random() < 0.15:
                prob = None
            earliest = comp["created"] + timedelta(hours=2)
            created = self.office_time((close or today) - timedelta(days=R.randint(20, 120)))
            created = self.before_now(max(created, earliest), 15)
            pr = R.choice(comp["persons"]) if comp["persons"] and R.random() < 0.7 else None
            rows.append({"Title": f"{R.choice(OPP_TITLES)} {comp['name'].split()[0]}",
                         "CompanyID": comp["id"],
                         "PersonID": pr["id"] if pr else None, "OwnerUserID": owner, "Amount": amount,
                         "Currency": cur, "Probability": prob, "CloseDate": close, "Stage": stage,
                         "Deleted": 0, "created": created})
        rows[1]["Amount"] = Decimal(100000)   # anna: 100 000 SEK in stage 3 this month
        rows[-2]["Deleted"] = 1                  # one deleted opportunity
        rows.sort(key=lambda r: r["created"])
        for oid, r in enumerate(rows, 1):
            created = r.pop("created")
            self.rows["tblSalesOpp"].append({"OppID": oid, **r, **self.audit(
                created, r["OwnerUserID"] or ANNA, 0.5, force=r["Stage"] >= 5 or bool(r["Deleted"]))})

    def emails(self) -> None:
        R = self.R
        live = [c for c in self.comps if not c["deleted"] and c["persons"] and c["profile"] != "private"]
        users = {u.user_id: f"{_USER_DETAILS[u.login][2]}@{OUR_DOMAIN}" for u in DEMO_USERS}
        mails = []
        for k in range(80):
            comp = R.choice(live)
            pr = R.choice(comp["persons"])
            ours = users[R.choice(SELLERS + (LARS,))]
            theirs = pr["email"] or f"info@{comp['domain']}"
            direction = "I" if R.random() < 0.55 else "O"
            subject = R.choice(EMAIL_SUBJECTS)
            prefix = R.choice(("", "", "SV: ", "VB: ", "Re: "))
            days = 0 if k < 3 else R.randint(1, 90)
            sent = self.before_now(self.office_time(self.today - timedelta(days=days)), 2 + k)
            if direction == "O":
                body = (f"Hej {pr['first']},\r\n\r\nTack för senast! Här kommer det vi pratade om.\r\n\r\n"
                        "Vänliga hälsningar\r\nDemoföretaget AB")
            else:
                body = (f"Hej,\r\n\r\nKan ni återkomma om {subject.lower()}?\r\n\r\nMvh\r\n"
                        f"{pr['first']} {pr['last']}\r\n{comp['name']}")
            mails.append({"Subject": prefix + subject + " – " + comp["name"].split()[0],
                          "FromAddr": theirs if direction == "I" else ours,
                          "ToAddrs": ours if direction == "I" else theirs,
                          "CcAddrs": users[LARS] if R.random() < 0.1 else None, "SentAt": sent,
                          "Direction": direction, "BodyText": body,
                          "HasAttachments": 1 if R.random() < 0.2 else 0,
                          "Deleted": 1 if k in (11, 37, 64) else 0, "comp": comp, "person": pr})
        mails.sort(key=lambda m: m["SentAt"])
        links = self.rows["tblEmailLink"]
        for eid, m in enumerate(mails, 1):
            comp, pr = m.pop("comp"), m.pop("person")
            domain = OUR_DOMAIN if m["Direction"] == "O" else comp["domain"]
            message_id = f"<{R.getrandbits(32):08x}.{eid}@{domain}>"
            self.rows["tblEmail"].append({"EmailID": eid, "MessageID": message_id, **m})
            mode = R.random()
            # the e-mail module links by address: company and person, each alone, or only the company
            pairs = [(comp["id"], pr["id"])] if mode < 0.6 else (
                [(comp["id"], None), (None, pr["id"])] if mode < 0.8 else [(comp["id"], None)])
            for company_id, person_id in pairs:
                links.append({"LinkID": len(links) + 1, "EmailID": eid, "CompanyID": company_id,
                              "PersonID": person_id})

    def documents(self) -> None:
        R = self.R
        year = self.today.year
        live = [c for c in self.comps if not c["deleted"]]
        specs = [  # folder, file name, kind
            ("/Offerter", f"Offert Göteborg – vår {year}.pdf", "pdf"),
            ("/Avtal", "Ramavtal Åkesson Måleri.pdf", "pdf"),
            ("/Avtal", "Överenskommelse om rabatt.pdf", "pdf"),
            ("/Avtal", "Sekretessavtal (NDA).pdf", "pdf"),
            ("/Offerter", "Ändringsorder nr 3.pdf", "pdf"),
            ("/Offerter", f"Offert serviceavtal {year}.pdf", "pdf"),
            ("/", f"Prislista {year}.csv", "csv"),
            ("/", "Kundlista export.csv", "csv"),
            ("/Protokoll", "Mötesanteckningar styrgrupp.txt", "txt"),
            ("/Protokoll", "Protokoll uppstartsmöte.txt", "txt"),
            ("/Bilder", "Logotyp.png", "png"),
            ("/Bilder", "Bilder från besöket – Åre.png", "png"),
            ("/Bilder", "Skiss kontorsplan.png", "png"),
            ("/Fakturor", "Faktura kopia.pdf", "pdf"),
            ("/Fakturor", "Påminnelse.pdf", "pdf"),
            ("/", "Vägbeskrivning.txt", "txt"),
            ("/Avtal", "Leveransvillkor Norge.pdf", "pdf"),
            ("/", "Önskemål från kunden.txt", "txt"),
        ]
        docs = []
        for k in range(30):
            folder, name, kind = specs[k % len(specs)]
            comp = R.choice(live)
            pr = R.choice(comp["persons"]) if comp["persons"] and R.random() < 0.3 else None
            if k in (7, 22) and pr is not None:
                comp = None  # a document of a person only
            uploaded = self.office_time(self.today - timedelta(days=R.randint(0, 400)))
            uploaded = self.before_now(uploaded, 4 + k)
            if comp is not None and uploaded < comp["created"]:
                uploaded = self.before_now(comp["created"] + timedelta(hours=2), 4)
            docs.append({"folder": folder, "name": name, "kind": kind, "comp": comp, "person": pr,
                         "uploaded": uploaded, "deleted": 1 if k in (13, 27) else 0})
        docs.sort(key=lambda d: d["uploaded"])
        ctypes = {"pdf": "application/pdf", "png": "image/png", "txt": "text/plain", "csv": "text/csv"}
        colours = ((0, 84, 147), (214, 40, 40), (42, 157, 143), (233, 196, 106))
        for did, d in enumerate(docs, 1):
            owner = d["comp"]["name"] if d["comp"] else f"{d['person']['first']} {d['person']['last']}"
            kind = d["kind"]
            if kind == "pdf":
                data = tiny_pdf(d["name"][:-4], [owner, "Demoföretaget AB", f"{d['uploaded']:%Y-%m-%d}"])
            elif kind == "png":
                data = tiny_png(colours[did % len(colours)])
            elif kind == "csv":
                lines = ["Artikelnr;Benämning;Enhet;Pris"] + [
                    f"{a[0]};{a[1]};{a[2]};{str(a[3]).replace('.', ',')}" for a in ARTICLES]
                data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
            else:
                data = (f"{d['name'][:-4]}\r\n{owner}\r\n\r\n- Gick igenom läget.\r\n"
                        "- Nästa möte om två veckor.\r\n").encode()
            key = f"demo/{d['uploaded']:%Y/%m}/{did:06d}.{kind}"
            self.files[key] = data
            self.rows["tblDocument"].append({
                "DocumentID": did, "CompanyID": d["comp"]["id"] if d["comp"] else None,
                "PersonID": d["person"]["id"] if d["person"] else None, "FolderPath": d["folder"],
                "FileName": d["name"], "ContentType": ctypes[kind], "ByteSize": len(data), "StorageKey": key,
                "UploadedAt": d["uploaded"], "UploadedBy": R.choice((ANNA, ERIK, MARTE, LARS)),
                "Deleted": d["deleted"],
            })

    @staticmethod
    def exchange_format(number: str | None) -> str | None:
        """A number as the telephone exchange reports it: ``+46…`` without blanks or the national form."""
        if not number:
            return None
        digits = "".join(ch for ch in number if ch.isdigit())
        if number.startswith("+"):
            return "+" + digits
        if digits.startswith("00"):
            return "+" + digits[2:]
        return digits

    def calls(self) -> None:
        R = self.R
        with_phone = [c for c in self.comps if not c["deleted"] and c["phone"]]
        people = [p for p in self.people if not p["deleted"] and (p["phone"] or p["mobile"])]
        calls = []
        for k in range(120):
            days = 0 if k < 6 else R.randint(1, 45)
            started = self.before_now(self.office_time(self.today - timedelta(days=days)), 2 + k)
            direction = "I" if R.random() < 0.6 else "O"
            kind = R.random()
            comp = person = None
            if kind < 0.45:
                comp = R.choice(with_phone)
                number = comp["phone"]
            elif kind < 0.8:
                person = R.choice(people)
                number = person["mobile"] or person["phone"]
                comp = person["company"] if person["company"] and not person["company"]["deleted"] else None
            elif kind < 0.93:
                a, b, c2 = R.randint(100, 999), R.randint(0, 99), R.randint(0, 99)
                number = R.choice((f"070-{a} {b:02d} {c2:02d}", f"+4631{R.randint(100000, 999999)}",
                                   f"0046 8 {a} {b:02d} {c2:02d}"))
            else:
                number = None  # hidden number
                direction = "I"
            if R.random() < 0.5:
                number = self.exchange_format(number)
            user = KARIN if direction == "I" and R.random() < 0.35 else R.choice((ANNA, ERIK, MARTE, LARS))
            answered = 0 if direction == "I" and R.random() < 0.2 else 1
            calls.append({"Direction": direction, "Number": number, "Extension": _USER_DETAILS[
                DEMO_USERS[user - 1].login][3], "UserID": user, "CompanyID": comp["id"] if comp else None,
                "PersonID": person["id"] if person else None, "StartedAt": started,
                "DurationSec": R.randint(15, 1500) if answered else 0, "Answered": answered})
        calls.sort(key=lambda c: c["StartedAt"])
        for cid, c in enumerate(calls, 1):
            self.rows["tblCall"].append({"CallID": cid, **c})

    # -- orders, invoices, ledger ---------------------------------------------------------------
    def order_lines(self, comp: dict) -> list[tuple]:
        R = self.R
        cur = comp["currency"]
        lines = []
        if R.random() < 0.15:
            week = self.today.isocalendar()[1]
            text = R.choice(("Enligt offert", f'Leverans vecka {week} – märk "Lager 3"',
                             "Rabatt enligt avtal"))
            lines.append((None, text, D0, None, D0, D0, D0))
        for _ in range(R.randint(1, 4)):
            art, desc, unit, price, vat = R.choice(ARTICLES)
            if unit == "tim":
                qty = Decimal(R.randint(2, 40)) / 2
            elif unit == "m":
                qty = Decimal(R.randint(10, 300))
            else:
                qty = Decimal(R.randint(1, 12))
            if cur == "EUR":
                price = round2(price / Decimal("11.3"))
            elif cur == "NOK":
                price = round2(price / Decimal("0.98"))
            if cur != "SEK":
                vat = D0  # export: no Swedish VAT
            disc = comp["discount"] or D0
            if R.random() < 0.1:
                disc = R.choice((Decimal("10.00"), Decimal("15.00"), Decimal("33.33")))
            lines.append((art, desc, qty, unit, price, disc, vat))
        return lines

    def orders_and_ledger(self) -> None:
        R = self.R
        today = self.today
        span = (today - self.first_day).days
        docs = []  # invoices and credit notes first (their numbers follow their dates)
        inv_dates = [today, today] + [today - timedelta(days=R.randint(1, 12)) for _ in range(10)]
        inv_dates += [self.first_day + timedelta(days=R.randint(0, span - 1)) for _ in range(98)]
        for d in inv_dates:
            docs.append({"kind": "inv", "inv_date": d})
        for k in range(7):
            d = today - timedelta(days=R.randint(2, 300))
            docs.append({"kind": "credit" if k else "bonus", "inv_date": d})
        docs.sort(key=lambda o: (o["inv_date"], o["kind"]))
        for n, o in enumerate(docs):
            o["invoice_no"] = 20001 + n
        # customers: some buy a lot
        invoices = [o for o in docs if o["kind"] == "inv"]
        credited: set[int] = set()
        for o in docs:
            if o["kind"] == "credit":
                cands = [i for i in invoices
                         if i["inv_date"] < o["inv_date"] and i["invoice_no"] not in credited
                         and "comp" in i and (o["inv_date"] - i["inv_date"]).days < 200]
                if cands:
                    orig = R.choice(cands)
                    credited.add(orig["invoice_no"])
                    o["original"] = orig
                    o["comp"] = orig["comp"]
                else:
                    o["kind"] = "bonus"
            if "comp" not in o:
                o["comp"] = self.pick_customer(o["inv_date"], sek_only=o["kind"] == "bonus")
            if o["kind"] == "credit":
                o["order_date"] = o["inv_date"]  # after the invoice it credits, so it is numbered after it
            else:
                o["order_date"] = max(o["inv_date"] - timedelta(days=R.randint(0, 14)),
                                      o["comp"]["created"].date())
        # orders not (yet) invoiced
        for kind, n in (("draft", 10), ("confirmed", 12), ("cancelled", 4), ("deleted", 3)):
            for _ in range(n):
                d = today - timedelta(days=R.randint(0, 25 if kind in ("draft", "confirmed") else 120))
                comp = self.pick_customer(d)
                docs.append({"kind": kind, "inv_date": None, "order_date": max(d, comp["created"].date()),
                             "comp": comp})
        docs.sort(key=lambda o: (o["order_date"], o.get("invoice_no") or 0, o["kind"]))
        metas = []
        for oid, o in enumerate(docs, 1):
            o["id"] = oid
            o["order_no"] = 100000 + oid
            comp, kind = o["comp"], o["kind"]
            cur = comp["currency"]
            orig = o.get("original")
            rate = orig["rate"] if orig else rate_on(cur, o["inv_date"] or o["order_date"])
            o["rate"] = rate
            if kind == "credit":
                lines = [(None, f"Kreditering av faktura {orig['invoice_no']}", D0, None, D0, D0, D0)]
                if R.random() < 0.5:
                    lines += [(a, d, -q, u, p, disc, v)
                              for (a, d, q, u, p, disc, v) in orig["lines"] if q != 0]
                else:
                    vat = D0 if cur != "SEK" else Decimal(25)
                    part = round2(orig["net"] * Decimal(R.randint(10, 40)) / 100)
                    lines.append(("999-99", "Prisavdrag enligt överenskommelse", Decimal(-1), "st", part, D0,
                                  vat))
            elif kind == "bonus":
                lines = [("999-98", "Bonus 2 % på årsvolym", Decimal(-1), "st", Decimal(R.randint(500, 8000)),
                          D0, Decimal(25))]
            else:
                lines = self.order_lines(comp)
            net = D0
            vat_base: dict[Decimal, Decimal] = {}
            line_rows = []
            for num, (art, desc, qty, unit, price, disc, vat) in enumerate(lines, 1):
                line_net = round2(qty * price * (1 - disc / 100))
                net += line_net
                vat_base[vat] = vat_base.get(vat, D0) + line_net
                line_rows.append({"OrderID": oid, "LineNum": num, "ArticleNo": art, "Description": desc,
                                  "Quantity": qty, "Unit": unit, "UnitPrice": price, "DiscountPct": disc,
                                  "VatPct": vat, "LineNet": line_net})
            vat_amt = sum((round2(base * v / 100) for v, base in vat_base.items()), D0)
            total = net + vat_amt
            o.update(lines=lines, net=net, total=total)
            doc_type = {"inv": "I", "credit": "C", "bonus": "C"}.get(kind, "O")
            status = {"draft": 0, "deleted": 0, "confirmed": 1, "cancelled": 9}.get(kind)
            due = None
            if doc_type != "O":
                age = (today - o["inv_date"]).days
                status = 2 if age < 7 and R.random() < 0.6 else 3
                due = o["inv_date"] + timedelta(days=comp["pay_days"]) if doc_type == "I" else o["inv_date"]
            o["due"] = due
            u = R.random()
            if comp["country"] == "NO":
                seller = MARTE
            elif u < 0.06:
                seller = None
            elif u < 0.14 and (today - o["order_date"]).days > 200:
                seller = OLLE
            else:
                seller = R.choice(SELLERS if comp["country"] != "SE" else (ANNA, ANNA, ERIK))
            created = self.at(o["order_date"], R.randint(8, 11), R.randint(0, 59), R.randint(0, 59))
            created = max(created, comp["created"] + timedelta(minutes=5))
            created = self.before_now(created, 90)
            ch_at = ch_by = None
            ch_no = 1
            if doc_type != "O":
                ch_at = max(created + timedelta(minutes=10), self.at(o["inv_date"], 16, R.randint(0, 59)))
                ch_at = self.before_now(ch_at, 1)
                ch_by, ch_no = R.choice((ANNA, ERIK, LARS)), R.randint(2, 4) if status == 3 else 2
            elif kind in ("confirmed", "cancelled", "deleted") or R.random() < 0.3:
                ch_at = self.before_now(created + timedelta(hours=R.randint(1, 48)), 1)
                ch_by, ch_no = seller or LARS, R.randint(2, 3)
            if ch_at is not None and ch_at <= created:
                if kind in ("confirmed", "cancelled", "deleted") or doc_type != "O":
                    ch_at = created + timedelta(seconds=30)
                else:
                    ch_at, ch_by, ch_no = None, None, 1
            persons = comp["persons"]
            person = R.choice(persons) if persons and R.random() < 0.5 else None
            your_ref = f"{person['first']} {person['last']}" if person and R.random() < 0.7 else (
                f"Inköpsorder {R.randint(1000, 99999)}" if R.random() < 0.3 else None)
            self.rows["tblOrder"].append({
                "OrderID": oid, "OrderNo": o["order_no"], "DocType": doc_type,
                "InvoiceNo": o.get("invoice_no"),
                "CompanyID": comp["id"], "PersonID": person["id"] if person else None, "SalesUserID": seller,
                "OrderDate": o["order_date"], "InvoiceDate": o["inv_date"], "DueDate": due, "Status": status,
                "Currency": cur, "ExchangeRate": rate, "NetAmount": net, "VatAmount": vat_amt,
                "TotalAmount": total,
                "YourRef": your_ref, "OurRef": DEMO_USERS[seller - 1].full_name if seller else None,
                "Deleted": 1 if kind == "deleted" else 0, "CreatedAt": created, "CreatedBy": seller or LARS,
                "ChangedAt": ch_at, "ChangedBy": ch_by, "ChangeNo": ch_no,
            })
            self.rows["tblOrderLine"].extend(line_rows)
            if doc_type != "O":
                metas.append(o)
        for lid, line in enumerate(self.rows["tblOrderLine"], 1):
            line["LineID"] = lid
        self.max_order_no = max(o["order_no"] for o in docs)
        self.max_invoice_no = max(o["invoice_no"] for o in metas)
        self.customer_ledger(metas)
        self.supplier_ledger()
        entries = self.ledger
        entries.sort(key=lambda e: (e["VoucherDate"], e["VoucherNo"]))
        for eid, e in enumerate(entries, 1):
            e["EntryID"] = eid
        self.rows["tblLedgerEntry"] = entries

    def pick_customer(self, before: date, sek_only: bool = False) -> dict:
        R = self.R
        custs = [c for c in self.customers(before) if not sek_only or c["currency"] == "SEK"]
        if not custs:
            custs = sorted(self.customers(), key=lambda c: c["created"])[:1]
        weights = [1 + (c["id"] * 7) % 6 for c in custs]
        return R.choices(custs, weights)[0]

    def entry(self, **kw) -> dict:
        e = {"Ledger": "C", "InvoiceNo": None, "DueDate": None, "Description": None, "Currency": "SEK",
             "ClosedDate": None, "MatchNo": None, "OcrRef": None, "Closed": "N"}
        e.update(kw)
        self.ledger.append(e)
        return e

    def customer_ledger(self, metas: list[dict]) -> None:
        R = self.R
        today = self.today
        self.ledger: list[dict] = []
        by_no = {}
        for m in metas:
            amount = round2(m["total"] * m["rate"])
            kind = "Faktura" if m["kind"] == "inv" else "Kreditnota"
            by_no[m["invoice_no"]] = self.entry(
                CompanyID=m["comp"]["id"], VoucherNo=m["invoice_no"], VoucherDate=m["inv_date"],
                InvoiceNo=str(m["invoice_no"]), DueDate=m["due"], Description=f"{kind} {m['invoice_no']}",
                Currency=m["comp"]["currency"], AmountCur=m["total"], Amount=amount, OpenAmount=amount,
                OcrRef=ocr_reference(m["invoice_no"]))
        # credit notes settle (part of) their invoice
        for m in metas:
            if m["kind"] != "credit":
                continue
            ce, ie = by_no[m["invoice_no"]], by_no[m["original"]["invoice_no"]]
            match = self.next_match
            self.next_match += 1
            ce["MatchNo"] = ie["MatchNo"] = match
            remaining = ie["Amount"] + ce["Amount"]
            ce.update(OpenAmount=D0, Closed="Y", ClosedDate=ce["VoucherDate"])
            ie["credit_date"] = ce["VoucherDate"]
            if remaining <= 0:
                ie.update(OpenAmount=D0, Closed="Y", ClosedDate=ce["VoucherDate"], settled=True)
            else:
                ie["OpenAmount"] = remaining
        # payments
        for m in metas:
            if m["kind"] != "inv":
                continue
            e = by_no[m["invoice_no"]]
            if e.get("settled"):
                continue
            age = (today - m["inv_date"]).days
            overdue = (today - m["due"]).days
            u = R.random()
            if overdue > 10:
                state = "paid" if u < 0.85 else ("part" if u < 0.93 else "open")
            elif age > 4:
                state = "paid" if u < 0.4 else ("part" if u < 0.5 else "open")
            else:
                state = "open"
            if state == "open":
                continue
            first = e.get("credit_date", m["inv_date"])
            last = min(today, max(m["due"], first) + timedelta(days=15))
            if last <= first:
                continue
            pay_day = first + timedelta(days=R.randint(1, (last - first).days))
            if state == "paid":
                pay = e["OpenAmount"]
                pay_cur = e["AmountCur"] if e["OpenAmount"] == e["Amount"] else round2(pay / m["rate"])
            else:
                pay_cur = round2(e["AmountCur"] * Decimal(R.randint(20, 80)) / 100)
                pay = round2(pay_cur * m["rate"])
                if pay >= e["OpenAmount"]:
                    continue
            match = e["MatchNo"] or self.next_match
            if e["MatchNo"] is None:
                self.next_match += 1
                e["MatchNo"] = match
            self.entry(CompanyID=e["CompanyID"], VoucherNo=self.next_voucher, VoucherDate=pay_day,
                       InvoiceNo=e["InvoiceNo"],
                       Description=R.choice((f"Inbetalning OCR {e['OcrRef']}", "Inbetalning bankgiro",
                                             f"Betalning faktura {e['InvoiceNo']}")),
                       Currency=e["Currency"], AmountCur=-pay_cur, Amount=-pay, OpenAmount=D0, Closed="Y",
                       ClosedDate=pay_day, MatchNo=match, OcrRef=e["OcrRef"])
            self.next_voucher += 1
            e["OpenAmount"] = e["OpenAmount"] - pay
            if e["OpenAmount"] == 0:
                e.update(Closed="Y", ClosedDate=pay_day)
        for e in self.ledger:
            e.pop("settled", None)
            e.pop("credit_date", None)

    def supplier_ledger(self) -> None:
        R = self.R
        today = self.today
        for sc in [c for c in self.comps if c["is_supplier"]]:
            for _ in range(R.randint(3, 6)):
                vdate = today - timedelta(days=R.randint(0, 420))
                if vdate < sc["created"].date():
                    continue
                cur = sc["currency"]
                rate = rate_on(cur, vdate)
                amount_cur = round2(Decimal(R.randint(800, 180000)) + Decimal(R.randint(0, 99)) / 100)
                amount = round2(amount_cur * rate)
                due = vdate + timedelta(days=R.choice((10, 20, 30, 30, 45)))
                invno = R.choice((f"F-{vdate.year}-{R.randint(1, 9999):04d}", f"INV{R.randint(10000, 99999)}",
                                  str(R.randint(1000, 999999))))
                ocr = None
                if R.random() < 0.5:
                    p = str(R.randint(10000, 9999999))
                    ocr = p + luhn_digit(p)
                e = self.entry(Ledger="S", CompanyID=sc["id"], VoucherNo=self.next_voucher, VoucherDate=vdate,
                               InvoiceNo=invno, DueDate=due, Description=f"Leverantörsfaktura {invno}",
                               Currency=cur, AmountCur=amount_cur, Amount=amount, OpenAmount=amount,
                               OcrRef=ocr)
                self.next_voucher += 1
                u = R.random()
                if due < today - timedelta(days=5):
                    state = "paid" if u < 0.8 else ("part" if u < 0.9 else "open")
                else:
                    state = "paid" if u < 0.2 else "open"
                if state == "open":
                    continue
                pay_day = min(today, due + timedelta(days=R.randint(-5, 3)))
                if pay_day <= vdate:
                    pay_day = vdate + timedelta(days=1)
                    if pay_day > today:
                        continue
                if state == "paid":
                    pay_cur, pay = amount_cur, amount
                else:
                    pay_cur = round2(amount_cur * Decimal(R.randint(30, 70)) / 100)
                    pay = round2(pay_cur * rate)
                match = self.next_match
                self.next_match += 1
                e["MatchNo"] = match
                self.entry(Ledger="S", CompanyID=sc["id"], VoucherNo=self.next_voucher, VoucherDate=pay_day,
                           InvoiceNo=invno, Description="Utbetalning leverantör", Currency=cur,
                           AmountCur=-pay_cur, Amount=-pay, OpenAmount=D0, Closed="Y", ClosedDate=pay_day,
                           MatchNo=match, OcrRef=ocr)
                self.next_voucher += 1
                e["OpenAmount"] = amount - pay
                if e["OpenAmount"] == 0:
                    e.update(Closed="Y", ClosedDate=pay_day)

    def number_series(self) -> None:
        used = self.now - timedelta(minutes=50)
        self.rows["tblNumberSeries"] = [
            {"SeriesCode": "CUSTNO", "NextNo": self.cust_no_next, "LastUsedAt": used},
            {"SeriesCode": "SUPPNO", "NextNo": self.supp_no_next, "LastUsedAt": used - timedelta(days=40)},
            {"SeriesCode": "ORDERNO", "NextNo": self.max_order_no + 1, "LastUsedAt": used},
            {"SeriesCode": "INVOICENO", "NextNo": self.max_invoice_no + 1, "LastUsedAt": used},
            {"SeriesCode": "PROJECTNO", "NextNo": 1001 + len(self.rows["tblProject"]), "LastUsedAt": used},
        ]

    # -- the lookup register ------------------------------------------------------------------
    def register_rows(self) -> None:
        """About 40 register entries; about a third are companies of the CRM (same organisation number)."""
        known = [c for c in self.comps if c["orgdigits"] and c["kind"] == 1 and c["profile"] not in ("dup",)
                 and c["country"] in ("SE", "NO")]
        rows = []
        for c in known[:: max(1, len(known) // 13)][:13]:
            name = re.sub(r"\s+", " ", c["name"]).strip()
            rows.append(self.register_row(c["orgdigits"], c["country"], name, c["city"]))
        for k, (name, city) in enumerate(REGISTER_ONLY):
            if city in NO_CITIES:
                rows.append(self.register_row(self.no_orgno(500 + k), "NO", name, city))
            else:
                kind = "HB" if name.endswith("HB") else "EF" if "förening" in name else "AB"
                rows.append(self.register_row(self.se_orgno(500 + k, kind), "SE", name, city))
        rows.sort(key=lambda r: r[2])
        self.register = rows

    def register_row(self, digits: str, country: str, name: str, city: str) -> tuple:
        R = self.R
        if country == "SE":
            pfx, area = SE_CITIES[city]
            orgno = digits[:6] + "-" + digits[6:]
            legal = {"5": "Aktiebolag", "9": "Handelsbolag", "7": "Ekonomisk förening"}.get(
                digits[0], "Aktiebolag")
            vat = f"SE{digits}01"
            phone = self.se_phone(area, R.randint(0, 3))
            capital = Decimal(R.choice((25000, 50000, 100000, 250000, 500000))) \
                if legal == "Aktiebolag" else None
        else:
            pfx = NO_CITIES[city]
            orgno, legal, vat, phone = digits, "Aksjeselskap", f"NO{digits}MVA", self.no_phone()
            capital = Decimal(R.choice((30000, 100000, 1000000)))
        postal_street = f"Box {R.randint(10, 9999)}" if country == "SE" and R.random() < 0.4 \
            else self.street(country)
        postal_code = self.postcode(country, pfx)
        visit_street = self.street(country)
        visit_code = self.postcode(country, pfx)
        industry = R.choice(INDUSTRIES)
        reg_date = date(R.randint(1960, self.today.year - 1), R.randint(1, 12), R.randint(1, 28))
        rating = R.choice(RATINGS) if reg_date.year < self.today.year - 1 else "AN"
        return (orgno, country, name, legal, reg_date, postal_street, postal_code, city, visit_street,
                visit_code, city, phone, vat if R.random() < 0.85 else None, industry[0], industry[1],
                R.choice(EMPLOYEE_BANDS), capital, rating)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def snapshot_time(today: date, real_now: datetime | None = None) -> datetime:
    """The demo's "now": 07:00 on ``today``, or the real local time when that is earlier that day."""
    snapshot = datetime.combine(today, time(7, 0))
    real_now = real_now or stockholm_now()
    if real_now.date() == today and real_now < snapshot:
        snapshot = real_now.replace(second=0, microsecond=0)
    return snapshot


def generate_demo_rows(
    today: date, now: datetime | None = None
) -> tuple[dict[str, list[dict]], dict[str, bytes], list[tuple]]:
    """Every row of the demo in memory: ({table: [row dict]}, {StorageKey: bytes}, register rows)."""
    builder = _Builder(today, now or snapshot_time(today))
    builder.build()
    return builder.rows, builder.files, builder.register


def build_demo_database(url: str, file_store: str, today: date | None = None,
                        register_csv: str | None = None, *, now: datetime | None = None) -> DemoInfo:
    """Create the classic schema in the EMPTY database ``url`` and fill it with the demo installation.

    ``file_store``: folder that receives each document's bytes at ``<file_store>/<StorageKey>``.
    ``today``: the installation's day (default: today in Europe/Stockholm); every date is relative
    to it and nothing is created after the snapshot (07:00 that day, earlier when built before 07:00).
    ``register_csv``: also write the company register of the lookup stand-in there (about 40 rows).
    ``now``: another snapshot time on ``today`` (tests of a build just after midnight).
    Raises ValueError when the database already holds tables (never touches a real installation).
    """
    today = today or stockholm_now().date()
    now = now or snapshot_time(today)
    rows, files, register = generate_demo_rows(today, now)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        existing = sa.inspect(engine).get_table_names()
        if existing:
            raise ValueError(f"The database is not empty (it has {len(existing)} tables); "
                             "the demo only builds into an empty one.")
        T.metadata.create_all(engine)
        with warnings.catch_warnings():
            # SQLite stores DECIMAL as REAL, like the kit; SQLAlchemy warns about that on every insert.
            warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal.*")
            with engine.begin() as conn:
                for table in T.metadata.sorted_tables:
                    data = rows.get(table.name) or []
                    if data:
                        conn.execute(table.insert(), data)
    finally:
        engine.dispose()
    root = Path(file_store)
    for key, data in files.items():
        path = root.joinpath(*key.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if register_csv:
        write_register_csv(register_csv, register)
    counts = {name: len(data) for name, data in rows.items()}
    counts["register"] = len(register)
    return DemoInfo(today=today, now=now, sign_ins=DEMO_USERS, counts=counts)
