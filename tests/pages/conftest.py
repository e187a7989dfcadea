"""AppTest fixtures: a fresh database per test, caches cleared, helpers to log in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.store.db import make_engine, upgrade_to_head
from tests.databases import on_postgres

APP = str(Path(__file__).resolve().parents[2] / "frame.py")
AS_OF = date(2026, 11, 18)
PASSWORD = "correct horse battery"
SETUP_CODE = "test-setup-code-1234"

#: username -> roles of the people the page tests log in as
PEOPLE = {
    "ada": ["admin"],
    "mia": ["marketing"],
    "sam": ["sales"],
    "lea": ["leadership"],
}


@pytest.fixture(autouse=True)
def app_env(tmp_path, monkeypatch, new_database_url):
    """A fresh database (SQLite file or PostgreSQL, see tests/databases.py), no demo, a fixed
    cookie key and setup code; caches cleared."""
    url = new_database_url("app", migrated=True)
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMARKETING_NO_DEMO", "1")
    monkeypatch.setenv("SMARKETING_COOKIE_KEY", "k" * 64)
    monkeypatch.setenv("SMARKETING_SETUP_CODE", SETUP_CODE)
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = make_engine(url)
    upgrade_to_head(engine)
    yield engine
    st.cache_data.clear()
    st.cache_resource.clear()
    engine.dispose()


@pytest.fixture
def people(app_env):
    """The four users of PEOPLE, one per role."""
    with Session(app_env) as s:
        for username, roles in PEOPLE.items():
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username=username,
                name=username.title(),
                email=f"{username}@example.com",
                roles=roles,
                password=PASSWORD,
            )
    return PEOPLE


def new_app() -> AppTest:
    """A fresh AppTest of the frame (frame.py, the script app.py's st.App serves)."""
    return AppTest.from_file(APP, default_timeout=30)


def open_session(username: str) -> int:
    """A login session for the user, opened now in the app's database (the one the app
    checks on every run); its id."""
    import os

    from smarketing.auth import sessions
    from smarketing.store.models import utcnow

    engine = make_engine(os.environ["SMARKETING_DATABASE_URL"])
    try:
        with Session(engine) as s:
            return sessions.start(s, username=username, now=utcnow()).id
    finally:
        engine.dispose()


def logged_in(
    username: str, roles: list[str], as_of: date = AS_OF, *, language: str | None = None
) -> AppTest:
    """An app run as if the user had logged in (session state seeded with an open login
    session), as of AS_OF; ``language``: as if chosen in the sidebar (else English, the
    suite's SMARKETING_LANGUAGE)."""
    from smarketing.ui.auth import SESSION

    if language and language != "en" and on_postgres():
        # the words of a page do not depend on the database: the English page tests cover
        # PostgreSQL, the Norwegian ones run once, on SQLite (keeps CI inside its budget)
        pytest.skip("a page's language does not depend on the database: run on SQLite")
    at = new_app()
    if language:
        at.session_state["language"] = language
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username.title()
    at.session_state["roles"] = roles
    at.session_state["as_of"] = as_of
    at.session_state[SESSION] = open_session(username)
    return at.run()


def login_through_form(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the real login form and submit it."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def as_shown(table) -> pd.DataFrame:
    """An ``at.dataframe`` element as a person sees it: the columns under the labels of its
    column config, hidden ones left out, in the configured order."""
    import json

    frame = table.value
    config = json.loads(table.proto.columns or "{}")
    order = list(table.proto.column_order) or list(frame.columns)
    keep = [c for c in order if not (config.get(str(c)) or {}).get("hidden")]
    labels = {c: (config.get(str(c)) or {}).get("label") or c for c in keep}
    return frame[keep].rename(columns=labels)


def shown_tables(at: AppTest) -> list[pd.DataFrame]:
    """Every table of the run, as shown (see ``as_shown``)."""
    return [as_shown(t) for t in at.dataframe]


def texts(at: AppTest) -> str:
    """All markdown, titles, captions and alerts of the run, joined (for assertions)."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.title]
    parts += [e.value for e in at.caption] + [e.value for e in at.subheader]
    parts += [e.value for e in at.error] + [e.value for e in at.warning]
    parts += [e.value for e in at.success] + [e.value for e in at.info]
    parts += [e.value for e in at.toast]
    return "\n".join(str(p) for p in parts)


def shown_strings(at: AppTest) -> list[str]:
    """Every text of the run a person reads: markdown, titles, captions, alerts, toasts,
    widget labels and options, buttons, tabs, expanders, metrics, table column labels."""
    import json

    parts = texts(at).split("\n")
    for kind in (
        "button",
        "text_input",
        "text_area",
        "number_input",
        "date_input",
        "time_input",
        "selectbox",
        "multiselect",
        "radio",
        "checkbox",
        "toggle",
        "slider",
        "select_slider",
        "color_picker",
        "button_group",
        "expander",
        "tabs",
        "metric",
        "download_button",
    ):
        try:
            elements = getattr(at, kind)
        except (AttributeError, KeyError):
            continue
        for element in elements:
            for attr in ("label", "placeholder", "help"):
                value = getattr(element, attr, None)
                if isinstance(value, str):
                    parts.append(value)
            for option in getattr(element, "options", None) or []:
                parts.append(str(option))
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        for column in table.value.columns:
            label = (config.get(str(column)) or {}).get("label")
            parts.append(str(label or column))
    return [p.strip() for p in parts if p and p.strip()]


def untranslated(at: AppTest, language: str = "nb") -> list[str]:
    """The texts of the run shown in English although the catalog of ``language`` has a
    translation for them (a text that was translated once and then shown raw)."""
    from smarketing import i18n

    catalog = i18n.translations(language)
    return sorted({text for text in shown_strings(at) if catalog.gettext(text) not in (text, "")})


@pytest.fixture
def downloads(monkeypatch):
    """``data(button) -> bytes``: what a download button of this test's runs hands the
    browser. AppTest keeps a download's bytes in the media storage of its run's mock
    runtime; this records those storages so a test can read the file at the button's URL."""
    from streamlit.runtime.media_file_storage import MediaFileStorageError
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    stores: list[MemoryMediaFileStorage] = []

    class Recorded(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recorded)

    def data(button) -> bytes:
        name = button.proto.url.rsplit("/", 1)[-1]
        assert name, "an eager download has a URL"
        for store in reversed(stores):
            try:
                return bytes(store.get_file(name).content)
            except MediaFileStorageError:
                continue
        raise AssertionError(f"no file behind {button.proto.url!r}")

    return data
