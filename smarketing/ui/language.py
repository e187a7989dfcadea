"""Which language a page run speaks: ``?lang=`` in a shared link, the choice made in this
browser tab's sidebar, the user's saved preference, the browser's ``Accept-Language`` on the
login page, else the app default (``SMARKETING_LANGUAGE``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import i18n
from smarketing.auth import users
from smarketing.auth.permissions import Actor
from smarketing.ui.resources import session

#: session-state key of the language chosen in this browser tab (sidebar, ?lang=)
KEY = "language"
#: (username, their saved language) as read once in this tab
SAVED = "_smarketing_saved_language"
#: the switch's widget key
SWITCH = "language_switch"
#: the language this browser session's last run spoke (for its callbacks and fragments)
NOW = "_smarketing_language_now"


def _session_language() -> str | None:
    """The language of the browser session this thread works for (None outside one)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(NOW)


i18n.set_session_language(_session_language)


def _speak(code: str) -> str:
    """Speak ``code`` for the rest of this run and in the session's callbacks and fragment
    reruns until the next run."""
    i18n.set_language(code)
    st.session_state[NOW] = code
    return code


def _from_browser() -> str | None:
    """The first language of the browser's Accept-Language the app speaks."""
    try:
        header = st.context.headers.get("Accept-Language") or ""
    except Exception:  # no request behind the run (AppTest, a script run)
        return None
    return i18n.from_accept_language(header if isinstance(header, str) else "")


def chosen_before_login() -> str:
    """The language of this run before anyone is known: ``?lang=``, the tab's choice, the
    browser's language, the app default. It is set for the run (``i18n.set_language``)."""
    asked = i18n.language_code(st.query_params.get("lang"))
    if asked:
        st.session_state[KEY] = asked
    return _speak(st.session_state.get(KEY) or _from_browser() or i18n.default_language())


def chosen_after_login(engine: Engine, actor: Actor) -> str:
    """The language of this run once the user is known: ``?lang=`` or the tab's choice,
    else the user's saved language (read once per tab), else the app default."""
    code = st.session_state.get(KEY)
    if not code:
        saved = st.session_state.get(SAVED)
        if not saved or saved[0] != actor.username:
            with session(engine) as s:
                saved = (actor.username, users.language_of(s, actor.username))
            st.session_state[SAVED] = saved
        code = saved[1] or i18n.default_language()
    return _speak(code)


def _switched(key: str, save: Callable[[str], None] | None) -> None:
    code = st.session_state.get(key)
    if code not in i18n.LANGUAGES:  # the control deselected: keep the language
        return
    st.session_state[KEY] = code
    st.query_params.pop("lang", None)  # the tab's choice from now on, not the link's
    if save is not None:
        save(code)


def saved_choice(engine: Engine, actor: Actor, code: str) -> None:
    """Save ``code`` as the actor's language (the switch's, once the gate has checked that
    this tab's login session is still open)."""
    with session(engine) as s:
        users.set_language(s, actor=actor, username=actor.username, language=code)
    st.session_state[SAVED] = (actor.username, code)


def switch(save: Callable[[str], None] | None = None) -> None:
    """The language switch (each language in its own name). Logged in, ``save`` keeps the
    choice as the user's language, for every tab, device and message; on the login page it
    holds for this tab."""
    key = SWITCH if save is not None else SWITCH + "_login"
    st.session_state[key] = i18n.current()
    st.segmented_control(
        "Språk · Language",
        options=list(i18n.LANGUAGES),
        format_func=i18n.NAMES.get,
        key=key,
        on_change=_switched,
        args=(key, save),
        label_visibility="collapsed",
    )
