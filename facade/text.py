"""Normal forms of what people typed: names (folding), phone numbers, organisation numbers.

The search policy (documented in README "Search"): case never matters; the Nordic letters
å, ä, ö, æ, ø are letters of their own (``å`` finds only ``å``, ``a`` never finds ``å``); every
other accent is ignored (``e`` finds ``é``, ``é`` finds ``e``, ``u`` finds ``ü``). Whitespace runs
count as one blank. ``%``, ``_``, ``[`` and ``'`` are plain characters.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers

NORDIC = frozenset("åäöæø")
_SPACE = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Fold ``text`` for matching: lower case, accents removed except on å ä ö æ ø, blanks collapsed."""
    if not text:
        return ""
    lowered = text.lower()
    if lowered.isascii():  # the common case: nothing to decompose
        return _SPACE.sub(" ", lowered).strip()
    folded = "".join(_fold_char(ch) for ch in lowered)
    # NFD→strip then recompose guards against å written as a + ring (combining): keep it å.
    folded = unicodedata.normalize("NFC", folded)
    return _SPACE.sub(" ", folded).strip()


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One lower-case character folded: Nordic letters and ASCII kept, other accents removed."""
    if ch in NORDIC or ch.isascii():
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base or ch


def fold_nfc(text: str | None) -> str:
    """``fold`` after composing combining marks (``a`` + ring → ``å``) so Nordic letters survive."""
    return fold(unicodedata.normalize("NFC", text or ""))


def digits(text: str | None) -> str:
    """Only the ASCII digits of ``text``."""
    return "".join(ch for ch in (text or "") if "0" <= ch <= "9")


_PHONE_CHARS = re.compile(r"^[\d\s\-+()/.]+$")


def looks_like_phone(text: str) -> bool:
    """True when ``text`` is made of phone characters only and has at least 6 digits."""
    return bool(_PHONE_CHARS.match(text.strip())) and len(digits(text)) >= 6


def phone_key(text: str | None, country_code: str = "46") -> str:
    """The national significant number of a phone number, for matching any format.

    ``+46 8 123 45 67``, ``08-123 45 67``, ``0046812345 67`` and ``46812345 67`` all give
    ``81234567``. A number of another country keeps its country code after ``00``
    (``+47 22 33 44 55`` → ``004722334455``) so it never equals a Swedish one.
    """
    raw = (text or "").strip()
    d = digits(raw)
    if not d:
        return ""
    if raw.startswith("+"):
        d = "00" + d
    if d.startswith("00"):
        if d.startswith("00" + country_code):
            return d[2 + len(country_code):].lstrip("0")
        return d
    if d.startswith("0"):
        return d.lstrip("0")
    if d.startswith(country_code) and len(d) >= 9 + len(country_code) - 1:
        # 46812345 67 written without + or 00 (as some exchanges report it)
        return d[len(country_code):]
    return d


def format_phone(text: str | None) -> str:
    """A phone number for display: Swedish numbers nationally (``08-123 45 67``,
    ``054-301 74 74``), others internationally (``+47 22 33 44 55``); unparseable text as typed.

    Area codes and grouping come from libphonenumber (the ``phonenumbers`` package).
    """
    raw = (text or "").strip()
    key = phone_key(raw)
    if not key:
        return raw
    candidate = "+" + key[2:] if key.startswith("00") else "+46" + key
    try:
        number = phonenumbers.parse(candidate, "SE")
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(number):
        return raw
    if number.country_code == 46:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_ORGNO_CHARS = re.compile(r"^[\d\s\-+]+$")


def looks_like_orgno(text: str) -> bool:
    """True when ``text`` has at least 6 digits and only digits, blanks, ``-`` and ``+``."""
    return bool(_ORGNO_CHARS.match(text.strip())) and len(digits(text)) >= 6


def orgno_key(text: str | None) -> str:
    """Digits of an organisation number; a 12-digit Swedish form drops its century (16/19/20)."""
    d = digits(text)
    if len(d) == 12 and d[:2] in ("16", "19", "20"):
        return d[2:]
    return d


def swedish_sort_key(text: str | None) -> tuple:
    """Sort key in Swedish order: case-insensitive, Å Ä Ö after Z (Æ as Ä, Ø as Ö, Ü as Y)."""
    s = (text or "").strip().lower()
    if s.isascii():
        return (s, s)
    return ("".join(_sort_char(ch) for ch in s), s)


@functools.lru_cache(maxsize=4096)
def _sort_char(ch: str) -> str:
    """One lower-case character's place in Swedish order (see ``swedish_sort_key``)."""
    if ch == "å":
        return "{"
    if ch in "äæ":
        return "|"
    if ch in "öø":
        return "}"
    if ch == "ü":
        return "y"
    return fold(ch) or ch
