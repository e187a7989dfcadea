"""`python -m smarketing minutes MEETING_ID` and `meetings list` on the command line:
the Markdown on stdout or in a file, one-line errors and their exit codes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from smarketing.auth.permissions import Actor
from smarketing.cli.main import main
from smarketing.meetings import closing, notes, planning
from smarketing.meetings.minutes import minutes_markdown
from tests.conftest import NOW
from tests.factories import add_sla_dataset

MARIA = Actor.of("maria", {"marketing"})


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def closed(session, db_url):
    """A closed weekly meeting with a note (week 47), the next weekly one its close planned
    (week 48), and a planned monthly one."""
    add_sla_dataset(session)
    weekly = planning.create_meeting(
        session, actor=MARIA, kind="weekly", held_on=date(2026, 11, 16), now=NOW
    )
    notes.save_note(
        session,
        actor=MARIA,
        meeting_id=weekly.id,
        step="scorecard",
        body="Seven MQLs so far",
        expected_revision=None,
        now=NOW,
    )
    closing.close_meeting(session, actor=MARIA, meeting_id=weekly.id, now=NOW)
    monthly = planning.create_meeting(
        session, actor=MARIA, kind="monthly", held_on=date(2026, 12, 7), now=NOW
    )
    return session, weekly, monthly


def test_minutes_are_printed_as_markdown(closed, capsys, db_url):
    session, weekly, _ = closed
    code, out, err = run(capsys, "minutes", str(weekly.id), "--db", db_url)
    assert (code, err) == (0, "")
    assert out == minutes_markdown(session, weekly.id)
    assert out.startswith("# Weekly smarketing — week 47\n")
    assert "**maria:** Seven MQLs so far" in out


def test_minutes_are_written_to_a_file(closed, capsys, db_url, tmp_path):
    session, weekly, _ = closed
    target = tmp_path / "week47.md"
    code, out, err = run(capsys, "minutes", str(weekly.id), "--db", db_url, "--output", str(target))
    assert (code, out) == (0, "")
    assert err == f"wrote the minutes of meeting {weekly.id} to {target}\n"
    assert target.read_text(encoding="utf-8") == minutes_markdown(session, weekly.id)


def test_a_planned_meeting_gets_draft_minutes_with_the_scorecard_as_of_now(closed, capsys, db_url):
    _, _, monthly = closed
    code, out, _ = run(
        capsys, "minutes", str(monthly.id), "--db", db_url, "--now", "2026-11-18T13:00"
    )
    assert code == 0
    assert out.startswith("# Leadership monthly — December 2026 (draft)\n")
    assert "As it stands now (2026-11-18 13:00)" in out  # --now read in the business timezone


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["minutes", "999"], 2, "error: there is no meeting with id 999 (see `python -m"),
        (["minutes", "abc"], 2, "error: argument MEETING_ID: invalid meeting id 'abc'"),
        (["minutes", "0"], 2, "invalid meeting id '0'"),
        (["minutes"], 2, "error: the following arguments are required: MEETING_ID"),
        (["minutes", "1", "--now", "soon"], 2, "invalid time 'soon'"),
        (["minutes", "1", "--output", "/nonexistent/dir/m.md"], 1, "error: cannot write"),
        (["meetings", "list", "--kind", "daily"], 2, "invalid choice: 'daily'"),
        (
            ["meetings", "list", "--from", "2026-12-01", "--to", "2026-11-01"],
            2,
            "error: --from 2026-12-01 is after --to 2026-11-01",
        ),
    ],
)
def test_errors_are_one_line_with_an_exit_code(closed, capsys, db_url, argv, code, message):
    try:
        got, out, err = run(capsys, *argv, "--db", db_url)
    except SystemExit as exc:  # argparse's usage errors
        got, out, err = exc.code, *capsys.readouterr()
    assert got == code
    assert out == ""
    assert message in err and err.count("\n") == 1


def test_meetings_list_and_search(closed, capsys, db_url):
    _, weekly, monthly = closed
    code, out, _ = run(capsys, "meetings", "list", "--db", db_url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "date", "kind", "title", "status"]
    assert lines[1].split()[:3] == [str(monthly.id), "2026-12-07", "monthly"]
    assert lines[2].split()[1:3] == ["2026-11-23", "weekly"]  # planned when week 47 closed
    assert lines[3].split()[:3] == [str(weekly.id), "2026-11-16", "weekly"]
    code, out, _ = run(capsys, "meetings", "list", "--db", db_url, "--search", "seven mqls")
    assert code == 0 and "found in" in out.splitlines()[0] and "notes, minutes" in out
    assert len(out.splitlines()) == 2
    code, out, _ = run(capsys, "meetings", "list", "--db", db_url, "--search", "nowhere")
    assert (code, out) == (0, "no meetings matching 'nowhere'\n")
    code, out, _ = run(
        capsys, "meetings", "list", "--db", db_url, "--kind", "weekly", "--format", "json"
    )
    assert [m["held_on"] for m in json.loads(out)] == ["2026-11-23", "2026-11-16"]
    assert json.loads(out)[1:] == [
        {
            "id": weekly.id,
            "held_on": "2026-11-16",
            "kind": "weekly",
            "title": "Weekly smarketing — week 47",
            "status": "closed",
            "found_in": "",
        }
    ]


def test_help_lists_the_meeting_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "minutes" in out and "meetings" in out
