"""Normal forms of typed text: folding policy, phone keys and display, org-number keys, Swedish order."""

from __future__ import annotations

import pytest

from facade.text import fold, format_phone, orgno_key, phone_key, swedish_sort_key


@pytest.mark.parametrize("typed", ["+46 8 123 45 67", "08-123 45 67", "0046812345 67", "08/1234567", "(08) 123 45 67"])
def test_every_format_of_one_stockholm_number_has_the_same_key(typed):
    assert phone_key(typed) == "81234567"


def test_a_norwegian_number_never_equals_a_swedish_one():
    assert phone_key("+47 22 33 44 55") != phone_key("022-33 44 55")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("+46 8 123 45 67", "08-123 45 67"),       # Stockholm: 2-digit area code
        ("+46 54 301 74 74", "054-301 74 74"),     # Karlstad: 3-digit area code
        ("026-806 34 32", "026-806 34 32"),        # Gävle
        ("0480-722 95", "0480-722 95"),            # Kalmar: 4-digit area code
        ("0046 70 123 45 67", "070-123 45 67"),    # mobile
        ("+47 22 33 44 55", "+47 22 33 44 55"),    # abroad: international form
        ("okänt", "okänt"),                        # not a number: as typed
    ],
)
def test_phone_numbers_are_shown_by_the_swedish_numbering_plan(typed, shown):
    assert format_phone(typed) == shown


def test_fold_keeps_nordic_letters_and_drops_other_accents():
    assert fold("  ÅSA  Öberg ") == "åsa öberg"
    assert fold("Café Ümit") == "cafe umit"
    assert fold("Zoë Ørsted") == "zoe ørsted"
    assert fold("A\u030asa") == "åsa"  # a + combining ring is å, not a


@pytest.mark.parametrize("typed", ["556036-0793", "5560360793", " 556036 0793", "16556036-0793", "195560360793"])
def test_org_number_key_ignores_format_and_century(typed):
    assert orgno_key(typed) == "5560360793"


def test_swedish_order_puts_a_ring_a_umlaut_o_umlaut_after_z():
    names = ["Örebro", "Zäta", "Akesson", "Åkesson", "Ängel", "zebra"]
    assert sorted(names, key=swedish_sort_key) == ["Akesson", "zebra", "Zäta", "Åkesson", "Ängel", "Örebro"]
