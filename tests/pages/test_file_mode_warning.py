"""Admins see the private files that other users of the server may read (the sidebar says
how many, Admin → Users names each with its chmod); other roles see nothing of it."""

from __future__ import annotations

import pytest

from smarketing.store.db import sqlite_file
from tests.pages.conftest import PEOPLE, logged_in

pytestmark = pytest.mark.sqlite_only("file modes of the SQLite database")


def _warnings(elements) -> str:
    return "\n".join(str(w.value) for w in elements)


def test_admins_are_told_which_file_is_open_and_how_to_fix_it(people, app_env):
    path = sqlite_file(app_env.url)
    path.chmod(0o644)
    at = logged_in("ada", PEOPLE["ada"])
    assert not at.exception
    assert "1 data file readable by other users" in _warnings(at.sidebar.warning)
    at.switch_page("app_pages/admin_users.py").run()
    shown = _warnings(at.main.warning)
    assert "has mode 0644" in shown and f"chmod 600 `{path}`" in shown

    sam = logged_in("sam", PEOPLE["sam"])
    assert not sam.exception
    assert "readable by other users" not in _warnings(sam.sidebar.warning)


def test_no_warning_when_the_files_are_private(people, app_env):
    sqlite_file(app_env.url).chmod(0o600)
    at = logged_in("ada", PEOPLE["ada"])
    assert "readable by other users" not in _warnings(at.sidebar.warning)
