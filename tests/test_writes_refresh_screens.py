"""Every domain write that commits bumps the data version (issue 13, defect 2): the screens'
cached figures are keyed by it, so a write that forgot would leave a page showing old data
after "Saved". A source check, so a new write path cannot forget it unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "smarketing"
#: Writes that change nothing any screen caches: accounts and logins (read fresh each run) …
EXEMPT = {
    ("auth/users.py", name)
    for name in (
        "add_user",
        "set_password",
        "set_roles",
        "set_disabled",
        "update_profile",
        "set_language",
    )
} | {("auth/sessions.py", "end_session"), ("auth/throttle.py", "clear")}
#: ... and the settings of the live data, which its pages read fresh: API tokens, a source's
#: schedule, mapping and "sync now" (adding a source bumps: the as-of line names the CRM).
EXEMPT |= {("auth/tokens.py", name) for name in ("add_token", "revoke_token")}
EXEMPT |= {
    ("data_in/sources.py", name) for name in ("update_source", "set_mapping", "request_sync")
}
#: … and the notification settings and outbox (read fresh each run, by their own pages and
#: the notify job; the job's own writes would otherwise empty every cache every minute).
EXEMPT |= {
    ("notify/preferences.py", "save_preference"),
    ("notify/preferences.py", "set_team_channel"),
    ("notify/outbox.py", "resend"),
}


def _writes() -> list[tuple[str, str, bool]]:
    """(module, function, bumps) for every function with keyword ``actor`` and ``session``
    parameters that commits, outside the UI, the CLI and the demo."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in ("ui", "demo") or path.name.startswith("cli"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            names = {a.arg for a in node.args.args + node.args.kwonlyargs}
            if not {"actor", "session"} <= names:
                continue
            source = ast.get_source_segment(path.read_text(), node) or ""
            if "commit()" in source:
                found.append((str(relative), node.name, "bump_data_version" in source))
    return found


FOUND = _writes()
WRITES = [w for w in FOUND if w[:2] not in EXEMPT]


def test_the_check_finds_the_write_paths():
    names = {name for _, name, _ in WRITES}
    assert {"record_verdict", "save_note", "close_meeting", "propose_agreement"} <= names
    assert {w[:2] for w in FOUND} >= EXEMPT, "an exempt write no longer exists: drop it"


@pytest.mark.parametrize(("module", "function", "bumps"), WRITES, ids=lambda v: str(v))
def test_every_write_bumps_the_data_version(module, function, bumps):
    assert bumps, f"{module}:{function} commits without bump_data_version(session)"
