"""The demo company's texts in the language it is written in: :func:`texts` gives the module
(:mod:`~smarketing.demo.content_en` or :mod:`~smarketing.demo.content_nb`) whose names,
cards, briefs, notes and comments the demo's parts write. Both modules have the same names
and the same list lengths, so the random draws, and with them every figure, are the same in
both languages."""

from __future__ import annotations

from types import ModuleType

from smarketing import i18n
from smarketing.demo import content_en, content_nb
from smarketing.errors import InvalidInput

_BY_LANGUAGE = {"en": content_en, "nb": content_nb}


def checked_language(language: str | None) -> str:
    """``language`` as a code the demo is written in (the app default when None), or
    InvalidInput."""
    if language is None:
        return i18n.default_language()
    code = i18n.language_code(language)
    if code not in _BY_LANGUAGE:
        raise InvalidInput(f"the demo company speaks {', '.join(i18n.LANGUAGES)}, not {language!r}")
    return code


def texts(language: str) -> ModuleType:
    """The texts of the demo company in ``language`` ('en' or 'nb')."""
    return _BY_LANGUAGE[checked_language(language)]
