"""The audit log's search: plain text, whatever characters it holds, on every database."""

from __future__ import annotations

import pytest

from smarketing.auth import audit


@pytest.fixture
def logged(session):
    audit.record(session, "ada", "user.add", "user", "kari", note="50% off_season \\ C:\\temp")
    audit.record(session, "ada", "user.add", "user", "sam", note="5000 offseason")
    audit.record(session, "mia", "SLA.Propose", "sla_agreement", 2)
    session.commit()
    return session


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("50%", ["kari"]),  # % is a character, not a wildcard
        ("off_season", ["kari"]),  # so is _
        ("\\", ["kari"]),  # a trailing backslash is no escape character
        ("sla.propose", ["2"]),  # case-insensitive
        ("USER.ADD", ["sam", "kari"]),  # newest first
    ],
)
def test_search_takes_the_text_literally_and_ignores_case(logged, text, ids):
    found = audit.audit_log(logged, text=text)
    assert [what.split(" ", 1)[1] for what in found["what"]] == ids
