"""The languages of the app: which one speaks now, and its texts (gettext, Babel catalogs).

Every text meant for a person goes through ``_`` (or ``ngettext`` for counted nouns,
``pgettext`` where a short English word has two meanings). The English text is the message
id; ``smarketing/locale/<lang>/LC_MESSAGES/messages.po`` holds the translations, managed with
Babel (``babel.cfg``, ``scripts/i18n.py``; README "Languages"). Machine formats stay English:
JSON keys, CSV/JSON report field names, CLI flags, database values.

The language is per run, not per process: the UI sets it for each page run from the user's
choice (``set_language``), the notification job for each recipient (``language``), the CLI
from ``SMARKETING_LANGUAGE``. Where nothing set it, the app default speaks
(``default_language``).

Texts of module constants are marked with ``N_`` (extracted, not translated) and translated
where they are shown: ``_(LABELS[key])``.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from smarketing import config
from smarketing.errors import InvalidInput

#: The languages the app speaks, the default first where the business is Norwegian.
LANGUAGES = ("nb", "en")
#: Each language by its own name (the language switch shows these, never translated).
NAMES = {"nb": "Norsk bokmål", "en": "English"}
#: The catalogs: <lang>/LC_MESSAGES/messages.po (and its compiled .mo).
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
#: Browser and system language codes that mean Norwegian bokmål.
_ALIASES = {"no": "nb", "nn": "nb", "nb": "nb", "en": "en"}

_current: ContextVar[str | None] = ContextVar("smarketing_language", default=None)


def language_code(raw: str | None) -> str | None:
    """The app's language for a code such as 'nb', 'nb-NO', 'no_NO.UTF-8', 'en-GB' or
    'EN'; None when it names no language the app speaks."""
    if not raw:
        return None
    base = raw.strip().lower().replace("_", "-").split(".")[0].split("-")[0]
    return _ALIASES.get(base)


def from_accept_language(header: str) -> str | None:
    """The language of an HTTP ``Accept-Language`` header the app speaks, by the header's
    weights (``q=``), the first listed first among equals; None when it names none."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((-quality, position, tag))
    for _weight, _position, tag in sorted(weighted):
        code = language_code(tag)
        if code:
            return code
    return None


def default_language() -> str:
    """The app default: ``SMARKETING_LANGUAGE`` (nb or en); without it Norwegian bokmål
    when the business timezone is Europe/Oslo, else English."""
    raw = os.environ.get("SMARKETING_LANGUAGE", "").strip()
    if raw:
        code = language_code(raw)
        if code is None:
            raise InvalidInput(
                f"SMARKETING_LANGUAGE={raw!r} is not a language the app speaks "
                f"(use one of: {', '.join(LANGUAGES)})"
            )
        return code
    return "nb" if config.timezone_name() == "Europe/Oslo" else "en"


#: Where a thread that nobody set a language for finds one (the UI registers the language
#: of the browser session the thread works for: its widget callbacks and fragment reruns run
#: in a fresh thread before the page has set anything); None or an error: no such session.
_session_language: Callable[[], str | None] | None = None


def set_session_language(lookup: Callable[[], str | None]) -> None:
    """Register where a thread without a language of its own finds its session's."""
    global _session_language
    _session_language = lookup


def current() -> str:
    """The language speaking now: the one set for this run, else the one of the session
    the thread works for, else the app default."""
    code = _current.get()
    if code:
        return code
    if _session_language is not None:
        try:
            code = _session_language()
        except Exception:  # no session behind this thread (a job, a test's own thread)
            code = None
        if code in LANGUAGES:
            return code
    return default_language()


def set_language(code: str) -> None:
    """Speak ``code`` for the rest of this thread's run (the UI, once per page run)."""
    if code not in LANGUAGES:
        raise InvalidInput(f"{code!r} is not a language the app speaks ({', '.join(LANGUAGES)})")
    _current.set(code)


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Speak ``code`` (the app default when None) inside the block: a message for one
    recipient, a test in one language."""
    chosen = code if code in LANGUAGES else default_language()
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def catalog_path(code: str, suffix: str = ".po") -> Path:
    """Where the catalog of ``code`` lives (``.po`` the source, ``.mo`` compiled)."""
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``code``. The ``.mo`` built at install
    (``python scripts/i18n.py compile``); when it is missing or older than its ``.po``, the
    ``.po`` is compiled in memory, so a stale ``.mo`` never speaks."""
    po, mo = catalog_path(code), catalog_path(code, ".mo")
    if not po.exists():
        return _gettext.NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _gettext.GNUTranslations(BytesIO(compiled_catalog(code)))


def compiled_catalog(code: str) -> bytes:
    """The ``.po`` of ``code`` compiled to ``.mo`` bytes (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(code).open("rb") as handle:
        catalog = read_po(handle, locale=code)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _(message: str) -> str:
    """``message`` (English) in the language speaking now."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the language speaking now."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the sense named by ``context`` ('verb', 'button', …)."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (module constants)."""
    return message
