"""Which language a page run speaks: ``?lang=`` in a shared link, the choice made in this
browser tab's sidebar, the user's saved preference, the browser's ``Accept-Language`` on the
login page, else the app default (``SMARKETING_LANGUAGE``)."""

from __future__ import annotations

import streamlit as st

from smarketing import i18n

#: session-state key of the language chosen in this browser tab (sidebar, ?lang=)
KEY = "language"


def _from_browser() -> str | None:
    """The first language of the browser's Accept-Language the app speaks."""
    try:
        header = st.context.headers.get("Accept-Language") or ""
    except Exception:  # no request behind the run (AppTest, a script run)
        return None
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        code = i18n.language_code(tag)
        if code:
            return code
    return None


def chosen_before_login() -> str:
    """The language of this run before anyone is known: ``?lang=``, the tab's choice, the
    browser's language, the app default. It is set for the run (``i18n.set_language``)."""
    asked = i18n.language_code(st.query_params.get("lang"))
    if asked:
        st.session_state[KEY] = asked
    code = st.session_state.get(KEY) or _from_browser() or i18n.default_language()
    i18n.set_language(code)
    return code
