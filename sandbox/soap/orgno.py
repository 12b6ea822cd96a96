"""Organisation numbers as the classic service checks and stores them (kit README, CompanyService).

SE: 10 digits with a Luhn check digit (a 12-digit form with century 16/19/20 is accepted), stored
``NNNNNN-NNNN``. NO: 9 digits, mod 11 (weights 3 2 7 6 5 4 3 2), stored ``NNNNNNNNN``.
Other countries: stored as sent.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-+]")


def digits_of(text: str) -> str:
    """``text`` without blanks, ``-`` and ``+``; may still hold other characters."""
    return _SEPARATORS.sub("", text or "")


def luhn_ok(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def mod11_no_ok(digits: str) -> bool:
    """True for a valid Norwegian organisation number (9 digits, mod 11)."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(int(d) * w for d, w in zip(digits[:8], weights)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(digits[8])


def normalise(text: str, country: str | None) -> tuple[str | None, str | None]:
    """(the number to store, None) or (None, the validation message without the field name)."""
    code = (country or "SE").strip().upper()
    if code == "SE":
        digits = digits_of(text)
        if len(digits) == 12 and digits[:2] in ("16", "19", "20"):
            digits = digits[2:]
        if len(digits) != 10 or not digits.isdigit() or not luhn_ok(digits):
            return None, "not a valid Swedish organisation number (10 digits with a Luhn check digit)"
        return f"{digits[:6]}-{digits[6:]}", None
    if code == "NO":
        digits = digits_of(text)
        if len(digits) != 9 or not digits.isdigit() or not mod11_no_ok(digits):
            return None, "not a valid Norwegian organisation number (9 digits, mod 11)"
        return digits, None
    return text, None
