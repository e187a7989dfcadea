"""The catalogs and the language rules: every marked text translated, the compiled catalogs
in step with their sources, the glossary kept, the language chosen as the README says."""

from __future__ import annotations

import csv
import importlib.util
import re
import string
from gettext import GNUTranslations
from io import BytesIO
from pathlib import Path

import pytest

from smarketing import i18n
from smarketing.errors import InvalidInput
from smarketing.i18n import _

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "smarketing" / "locale" / "glossary.csv"


def _script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return _script()


def test_every_marked_text_is_in_each_catalog_with_a_norwegian_translation(script):
    found = script.problems()
    assert not found, (
        f"{len(found)} catalog problems (python scripts/i18n.py update, then translate "
        "what `python scripts/i18n.py todo` lists):\n" + "\n".join(found[:50])
    )


def _fields(text: str) -> set[str]:
    """The ``{placeholders}`` of a message (literal braces, as in a help text's JSON
    example, are not placeholders)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return set()
    return {
        name
        for _, name, _, _ in parsed
        if name is not None and re.fullmatch(r"[A-Za-z_]\w*(\.\w+|\[\w+\])*|\d*", name)
    }


def test_a_translation_keeps_the_placeholders_of_its_message(script):
    wrong = []
    for message in script.load("nb"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(_fields(i) for i in ids))
        for text in strings:
            if text and _fields(text) != wanted:
                wrong.append(f"{ids[0]!r}: {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_compiled_catalogs_match_their_sources():
    for code in i18n.LANGUAGES:
        mo = i18n.catalog_path(code, ".mo")
        fresh = GNUTranslations(BytesIO(i18n.compiled_catalog(code)))
        if mo.exists():  # built at install (scripts/i18n.py compile): it must be current
            with mo.open("rb") as handle:
                assert GNUTranslations(handle)._catalog == fresh._catalog, (
                    f"{mo} is out of date: python scripts/i18n.py compile"
                )


def test_a_stale_compiled_catalog_never_speaks(tmp_path, monkeypatch):
    locale = tmp_path / "locale" / "nb" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    (locale / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Overview"\nmsgstr "Oversikt"\n',
        encoding="utf-8",
    )
    (locale / "messages.mo").write_bytes(b"not a catalog")
    import os

    os.utime(locale / "messages.mo", (1, 1))  # older than its .po
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("nb").gettext("Overview") == "Oversikt"
    finally:
        i18n.translations.cache_clear()


def _glossary() -> list[dict]:
    with GLOSSARY.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_glossary_words_are_the_ones_the_catalog_uses(script):
    """A message naming a glossary term in English names its Norwegian term (by its stem,
    so 'kampanjer' counts for 'kampanje')."""
    wrong = []
    catalog = [m for m in script.load("nb") if m.id]
    for term in _glossary():
        if term["checked"] != "yes":
            continue
        # the word and its plural, not a longer word ("lead", "leads", not "leadership"),
        # in the text, not in a {placeholder}
        pattern = re.compile(r"\b" + re.escape(term["en"]) + r"(s|es)?\b", re.IGNORECASE)
        for message in catalog:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if any(pattern.search(re.sub(r"\{[^}]*\}", "", i)) for i in ids):
                for text in strings:
                    if text and term["nb_stem"].lower() not in text.lower():
                        wrong.append(f"{term['en']} → {term['nb']}: {ids[0]!r} → {text!r}")
    assert not wrong, "glossary terms not used:\n" + "\n".join(wrong)


def test_the_glossary_has_the_articles_own_words():
    words = {row["en"]: row["nb"] for row in _glossary()}
    assert words["marketing qualified lead"] == "markedskvalifisert lead"
    assert words["sales qualified lead"] == "salgskvalifisert lead"
    assert words["funnel"] == "salgstrakt"
    assert words["buying process"] == "kjøpsprosess"
    assert words["prospect"] == "prospekt"
    assert words["closed-loop"] == "lukket sløyfe"
    assert words["MQL"] == "MQL" and words["SQL"] == "SQL"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("nb", "nb"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("no_NO.UTF-8", "nb"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("de-DE", None),
        ("", None),
        (None, None),
    ],
)
def test_language_codes(raw, code):
    assert i18n.language_code(raw) == code


def test_the_app_default_is_norwegian_for_a_business_in_oslo(monkeypatch):
    monkeypatch.delenv("SMARKETING_LANGUAGE", raising=False)
    monkeypatch.delenv("SMARKETING_TIMEZONE", raising=False)
    assert i18n.default_language() == "nb"
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/London")
    assert i18n.default_language() == "en"
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    assert i18n.default_language() == "nb"
    monkeypatch.setenv("SMARKETING_LANGUAGE", "klingon")
    with pytest.raises(InvalidInput, match=r"SMARKETING_LANGUAGE='klingon'.*nb, en"):
        i18n.default_language()


def test_the_language_of_a_block_and_back():
    with i18n.language("en"):
        assert _("week {number}") == "week {number}"
        with i18n.language("nb"):
            assert _("week {number}") == "uke {number}"
        assert i18n.current() == "en"
    with i18n.language("xx") as chosen:  # an unknown code: the app default
        assert chosen == i18n.default_language()


def test_a_user_typed_text_is_never_translated():
    with i18n.language("nb"):
        assert _("Nothing in the catalog, typed by a person") == (
            "Nothing in the catalog, typed by a person"
        )


def test_a_thread_without_a_language_speaks_its_sessions(monkeypatch):
    """A widget callback or fragment rerun runs in a fresh thread before the page sets the
    language: it speaks the language of the browser session it works for."""
    monkeypatch.setattr(i18n, "_session_language", lambda: "nb")
    assert i18n.current() == "nb"
    with i18n.language("en"):  # a language set for the run wins
        assert i18n.current() == "en"

    def no_session():
        raise RuntimeError("no script run context")

    monkeypatch.setattr(i18n, "_session_language", no_session)
    assert i18n.current() == i18n.default_language()
