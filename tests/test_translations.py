"""Translations: every user-visible text is in the Swedish catalogue, placeholders survive
translation, pages follow the user's language (cookie, else the browser's Accept-Language, else
Swedish) and money is formatted the locale's way.

When a test here fails with "missing from the Swedish catalogue": run ``make translations`` and
fill in the new ``msgstr`` entries of ``views/translations/sv/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from .conftest import csrf_token, sign_in

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "views" / "translations"
SV_PO = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
COOKIE = "crm_lite_lang"
NBSP = "\u00a0"

# Every %-sequence: placeholders (``%(name)s``, ``%d``), the escaped ``%%`` and a lone ``%``.
PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%")


def _babel(*args: str) -> subprocess.CompletedProcess:
    """Run pybabel (the same module the Makefile's ``pybabel`` runs) in the project root."""
    return subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def _key(m: Message) -> tuple[str, str | None]:
    return (m.id[0] if isinstance(m.id, (tuple, list)) else m.id, m.context)


def _label(m: Message) -> str:
    msgid = m.id[0] if isinstance(m.id, (tuple, list)) else m.id
    where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
    ctx = f" (context {m.context!r})" if m.context else ""
    return f"{msgid!r}{ctx} [{where}]"


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


@pytest.fixture
def client(app):
    """A test client that states no language, whatever conftest's ``client`` sends: this module
    tests the language choice itself (``anna`` signs in through this client too)."""
    c = app.test_client()
    c.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    return c


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The texts of the code as they are now: ``pybabel extract`` with the Makefile's babel.cfg
    and keywords, into a temporary .pot."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    done = _babel("extract", "-F", "babel.cfg", "-k", "N_", "-k", "_l", "-o", str(pot), ".")
    assert done.returncode == 0, done.stderr
    return _read(pot)


@pytest.fixture(scope="module")
def sv() -> Catalog:
    return _read(SV_PO, "sv")


@pytest.fixture(scope="module")
def en() -> Catalog:
    return _read(EN_PO, "en")


# --- the catalogues ---------------------------------------------------------------------------


def test_extraction_finds_texts_of_facade_views_and_templates(extracted):
    files = {f.split("/")[0] for m in _messages(extracted) for f, _line in m.locations}
    assert {"facade", "views", "templates"} <= files
    keys = {_key(m) for m in _messages(extracted)}
    # One text of each way of marking: a template's _(), a view's gettext, a facade N_(), pgettext.
    assert ("Recently viewed", None) in keys
    assert ("You have signed out.", None) in keys
    assert ("Customer ledger", None) in keys
    assert ("contacts", "file name") in keys


def test_every_text_in_the_code_is_in_the_swedish_catalogue(extracted, sv):
    missing = [_label(m) for m in _messages(extracted) if sv.get(*_key(m)) is None]
    assert not missing, (
        f"{len(missing)} text(s) missing from the Swedish catalogue; run `make translations` and "
        "translate them in views/translations/sv/LC_MESSAGES/messages.po:\n" + "\n".join(missing))


def test_swedish_catalogue_has_no_empty_or_fuzzy_translation(sv):
    assert sv.num_plurals == 2
    bad = []
    for m in _messages(sv):
        strings = list(m.string) if m.pluralizable else [m.string]
        if m.fuzzy:
            bad.append(f"fuzzy: {_label(m)}")
        elif not all(s and s.strip() for s in strings) or len(strings) != (2 if m.pluralizable else 1):
            bad.append(f"empty: {_label(m)}")
    assert not bad, "\n".join(bad)


def test_english_catalogue_has_no_fuzzy_entry(en):
    # The Makefile compiles with --use-fuzzy: a fuzzy English guess would be shown.
    assert [_label(m) for m in _messages(en) if m.fuzzy] == []


def test_catalogues_list_the_same_texts(sv, en):
    assert {_key(m) for m in _messages(sv)} == {_key(m) for m in _messages(en)}


def test_both_catalogues_compile_without_errors(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    done = _babel("compile", "-d", str(copy), "--statistics")
    assert done.returncode == 0, done.stderr
    assert "error" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    for lang in ("sv", "en"):
        assert (copy / lang / "LC_MESSAGES" / "messages.mo").stat().st_size > 0


def test_placeholders_and_percent_signs_survive_translation(sv):
    bad = []
    for m in _messages(sv):
        if m.pluralizable:
            pairs = [(m.id[0], m.string[0]), (m.id[1], m.string[1])]
        else:
            pairs = [(m.id, m.string)]
        for source, text in pairs:
            if text and Counter(PERCENT.findall(source)) != Counter(PERCENT.findall(text)):
                bad.append(f"{source!r} -> {text!r}")
    assert not bad, "placeholders differ:\n" + "\n".join(bad)


def test_template_texts_escape_their_percent_signs(extracted):
    # Jinja's newstyle gettext always %-formats: a lone "%" in a template's _() raises ValueError
    # (write "%%"; a facade text shown with "| t" is not formatted and keeps its "%").
    bad = [_label(m) for m in _messages(extracted)
           if any(f.startswith("templates/") for f, _line in m.locations)
           and any(tok == "%" for text in (m.id if m.pluralizable else [m.id]) for tok in PERCENT.findall(text))]
    assert bad == []


def test_swedish_texts_are_translated_not_copied(sv):
    # A msgstr equal to its msgid is fine for words Swedish shares (Status, Order, API…), but
    # a whole English sentence copied over is an untranslated text.
    copied = [_label(m) for m in _messages(sv)
              if not m.pluralizable and m.string == m.id and len(m.id.split()) > 2]
    assert copied == []


def test_swedish_uses_the_trade_terms(sv):
    def t(msgid, context=None):
        return sv.get(msgid, context).string

    assert t("Customer ledger") == "Kundreskontra"
    assert t("Supplier ledger") == "Leverantörsreskontra"
    assert t("Due date") == "Förfallodatum"
    assert t("Credit note") == "Kreditfaktura"
    assert t("Sales opportunities") == "Affärsmöjligheter"
    assert t("Private customer") == "Privatkund"
    assert t("Recently viewed") == "Senast visade"
    assert t("Sign out") == "Logga ut"
    assert sv.get("%(num)s day overdue").string == ("%(num)s dag sedan förfall", "%(num)s dagar sedan förfall")


ERRORS = {"CrmLiteError", "NotAuthenticated", "Forbidden", "NotFound", "InvalidInput", "Conflict",
          "ClassicRejected", "ClassicUnavailable"}
# Error messages known to be unmarked: "path:function" → why. The test fails when one is fixed,
# so the entry gets removed, and when a new one appears.
KNOWN_UNMARKED = {
    "adapters/sql/schema_check.py:*": "start-up diagnostics of `crm-lite check` (CLI, English)",
}


def _own_nodes(func: ast.AST):
    """The nodes of a function's body, without those of functions nested in it."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _unmarked_error_messages() -> set[str]:
    """``path:function`` of every ``raise SomeCrmLiteError(<text>)`` whose text cannot be translated:
    an f-string, a plain literal, or a module constant assigned a plain literal (not ``N_(…)``)."""
    found = set()
    for base in ("facade", "adapters", "views", "config"):
        for path in sorted((ROOT / base).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            plain = {t.id for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, (ast.Constant, ast.JoinedStr))
                     and isinstance(getattr(node.value, "value", ""), str)
                     for t in node.targets if isinstance(t, ast.Name)}
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for call in _own_nodes(func):
                    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                            and call.func.id in ERRORS and call.args):
                        continue
                    arg = call.args[0]
                    if (isinstance(arg, ast.JoinedStr)
                            or (isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value)
                            or (isinstance(arg, ast.Name) and arg.id in plain)):
                        found.add(f"{rel}:{func.name}")
    return found


def test_error_messages_are_marked_for_translation():
    found = _unmarked_error_messages()
    known = {k for k in KNOWN_UNMARKED if not k.endswith(":*")}
    wildcard = tuple(k[:-1] for k in KNOWN_UNMARKED if k.endswith(":*"))
    new = sorted(f for f in found - known if not f.startswith(wildcard))
    assert not new, "error messages not marked with N_() (they stay English):\n" + "\n".join(new)
    fixed = sorted(known - found)
    assert not fixed, f"now marked, remove from KNOWN_UNMARKED: {fixed}"


# --- pages ------------------------------------------------------------------------------------


def _company(kit_sql, company_id: int = 77) -> dict:
    with kit_sql.connect() as c:
        row = c.execute(sa.text('SELECT "Name", "CustomerNo", "Deleted" FROM "tblCompany" '
                                'WHERE "CompanyID" = :id'), {"id": company_id}).mappings().one()
    assert row["Deleted"] == 0 and row["CustomerNo"] is not None
    return dict(row)


def _html_lang(html: str) -> str:
    m = re.search(r'<html lang="([a-z]+)"', html)
    assert m, "no <html lang>"
    return m.group(1)


def _text(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities of quotes undone."""
    text = re.sub(r"<[^>]+>", " ", html)
    return text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def test_login_page_is_swedish_by_default_and_english_on_request(client):
    sv_page = client.get("/login").get_data(as_text=True)
    assert _html_lang(sv_page) == "sv"
    for word in ("Logga in i CRM Lite", "Användarnamn", "Lösenord", "English"):
        assert word in sv_page
    assert "Password" not in sv_page

    en_page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert _html_lang(en_page) == "en"
    for word in ("Sign in to CRM Lite", "User name", "Password", "Svenska"):
        assert word in en_page
    assert "Lösenord" not in en_page


def test_wrong_password_message_is_swedish(client):
    r = sign_in(client, "anna", "not-the-password")
    assert r.status_code == 401
    assert "Fel användarnamn eller lösenord." in r.get_data(as_text=True)


def test_dashboard_in_swedish_and_english(anna):
    sv_page = anna.get("/").get_data(as_text=True)
    assert _html_lang(sv_page) == "sv"
    for word in ("Översikt", "Min försäljning", "Dagens möten", "Senast visade", "Logga ut"):
        assert word in sv_page, word
    assert "Overview" not in sv_page

    anna.set_cookie(COOKIE, "en")
    en_page = anna.get("/").get_data(as_text=True)
    assert _html_lang(en_page) == "en"
    for word in ("Overview", "My sales", "Today's meetings", "Recently viewed", "Sign out"):
        assert word in _text(en_page), word
    assert "Översikt" not in en_page


def _kpi(html: str, kpi_id: str) -> str:
    m = re.search(rf'id="{kpi_id}".*?<p class="kpi-value">([^<]+)</p>', html, re.DOTALL)
    assert m, f"no {kpi_id}"
    return m.group(1).strip()


def test_money_on_the_dashboard_follows_the_locale(anna):
    sv_value = _kpi(anna.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True), "kpi-sales-mine")
    anna.set_cookie(COOKIE, "en")
    en_value = _kpi(anna.get("/").get_data(as_text=True), "kpi-sales-mine")

    # sv: "75 146,10 kr" with no-break spaces between digit groups and before "kr".
    assert re.fullmatch(r"-?\d{1,3}(?:\u00a0\d{3})*,\d{2}\u00a0kr", sv_value), repr(sv_value)
    # en: "SEK75,146.10".
    assert re.fullmatch(r"-?SEK\d{1,3}(?:,\d{3})*\.\d{2}", en_value), repr(en_value)
    sv_amount = Decimal(sv_value.replace(NBSP, "").replace("kr", "").replace(",", "."))
    en_amount = Decimal(en_value.replace("SEK", "").replace(",", ""))
    assert sv_amount == en_amount
    assert sv_amount >= 1000  # anna invoiced this month: the groups are really shown


def test_company_card_in_swedish_and_english(anna, kit_sql):
    company = _company(kit_sql)
    sv_page = anna.get("/companies/77").get_data(as_text=True)
    assert _html_lang(sv_page) == "sv"
    assert f"Kundnr {company['CustomerNo']}" in sv_page
    for word in ("Organisationsnummer", "Aktiviteter", "Affärsmöjligheter", "Kontaktpersoner",
                 "Kundvillkor", "Betalningsvillkor", "Öppna i Classic", ">Kund<"):
        assert word in sv_page, word
    assert "Customer settings" not in sv_page

    anna.set_cookie(COOKIE, "en")
    en_page = anna.get("/companies/77").get_data(as_text=True)
    assert _html_lang(en_page) == "en"
    assert f"Customer no. {company['CustomerNo']}" in en_page
    for word in ("Organisation no.", "Activities", "Sales opportunities", "Contacts", "Customer settings",
                 "Payment terms", "Open in Classic", ">Customer<"):
        assert word in en_page, word
    assert "Kundvillkor" not in en_page


def test_search_results_in_swedish_and_english(anna):
    sv_page = anna.get("/search?q=ab").get_data(as_text=True)
    assert "Sökresultat för ”ab”" in sv_page
    assert re.search(r"\d+ träffar", sv_page)
    assert "Leverantörer" in sv_page and "Org.nr" in sv_page

    en_page = anna.get("/search?q=ab", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Search results for “ab”" in en_page
    assert re.search(r"\d+ matches", en_page)
    assert "Suppliers" in en_page and "Org. no." in en_page


def test_search_too_short_message_is_translated_from_the_facade(anna):
    sv_page = anna.get("/search?q=a").get_data(as_text=True)
    assert "Skriv minst 2 tecken för att söka." in sv_page
    anna.set_cookie(COOKIE, "en")
    assert "Type at least 2 characters to search." in anna.get("/search?q=a").get_data(as_text=True)


def test_language_cookie_wins_over_the_browser(anna):
    anna.set_cookie(COOKIE, "sv")
    page = anna.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _html_lang(page) == "sv" and "Översikt" in page


def test_unknown_language_cookie_falls_back_to_the_browser_then_swedish(anna):
    anna.set_cookie(COOKIE, "de")
    assert _html_lang(anna.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "en"
    assert _html_lang(anna.get("/", headers={"Accept-Language": "de, fr"}).get_data(as_text=True)) == "sv"


def test_not_found_page_shows_the_facade_message_in_swedish(anna, kit_sql):
    with kit_sql.connect() as c:
        missing_id = c.execute(sa.text('SELECT MAX("CompanyID") + 1000 FROM "tblCompany"')).scalar_one()
    r = anna.get(f"/companies/{missing_id}")
    assert r.status_code == 404
    assert "Företaget finns inte eller har tagits bort." in r.get_data(as_text=True)


def test_error_page_title_is_swedish(anna, kit_sql):
    with kit_sql.connect() as c:
        missing_id = c.execute(sa.text('SELECT MAX("CompanyID") + 1000 FROM "tblCompany"')).scalar_one()
    html = anna.get(f"/companies/{missing_id}").get_data(as_text=True)
    assert "Hittades inte" in html and "Not found" not in html


# --- the language switch ----------------------------------------------------------------------


def _choose(client, lang: str, next_path: str, token_page: str = "/login"):
    token = csrf_token(client, token_page)
    return client.post("/language", data={"lang": lang, "next": next_path, "csrf_token": token})


def test_language_switch_sets_the_cookie_and_the_next_page_is_english(anna, kit_sql):
    company = _company(kit_sql)
    r = _choose(anna, "en", "/companies/77", token_page="/companies/77")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/companies/77")
    cookie = anna.get_cookie(COOKIE)
    assert cookie is not None and cookie.value == "en"
    assert "max-age=31536000" in r.headers["Set-Cookie"].lower()

    page = anna.get(r.headers["Location"]).get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert f"Customer no. {company['CustomerNo']}" in page

    r = _choose(anna, "sv", "/", token_page="/")
    assert anna.get_cookie(COOKIE).value == "sv"
    page = anna.get(r.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _html_lang(page) == "sv" and "Översikt" in page


def test_language_switch_works_before_sign_in(client):
    r = _choose(client, "en", "/login")
    assert r.status_code == 302 and client.get_cookie(COOKIE).value == "en"
    assert "Sign in to CRM Lite" in client.get("/login").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_next(anna):
    r = _choose(anna, "xx", "https://evil.example/", token_page="/")
    assert r.status_code == 302
    assert r.headers["Location"] == "/"
    assert anna.get_cookie(COOKIE) is None


def test_language_switch_needs_the_csrf_token(anna):
    r = anna.post("/language", data={"lang": "en", "next": "/"})
    assert r.status_code == 400
    assert anna.get_cookie(COOKIE) is None
