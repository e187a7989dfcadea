"""The command line starts light: building the parser, every --help and `report sla` import
none of the heavy libraries a command does not need (timings live in
benchmarks/bench_cli.py, never here), and the parser's copies of domain constants stay
equal to the domain's."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from smarketing.cli import hot_leads, report, sla, users
from smarketing.cli.args import started
from smarketing.cli.main import GROUPS, build_parser
from smarketing.quality import cohorts
from smarketing.quality import hot_leads as quality_hot_leads
from smarketing.sla import agreements
from smarketing.store.models import Role, Team
from tests.factories import add_sla_dataset

ROOT = Path(__file__).resolve().parents[1]
#: Libraries that building the parser and printing help must not import.
HEAVY = ("pandas", "numpy", "pyarrow", "alembic", "streamlit", "altair", "sqlalchemy", "sqlmodel")
#: Every command of `python -m smarketing`, in the order --help lists them.
COMMANDS = [
    "init",
    "demo",
    "users",
    "tokens",
    "report",
    "sla",
    "import",
    "sources",
    "sync",
    "hot-leads",
    "notify",
    "backup",
    "restore",
    "export",
    "minutes",
    "meetings",
    "worker",
]
#: Every command path that has a --help of its own.
HELP_PATHS = [
    [],
    *([c] for c in COMMANDS),
    *(["users", a] for a in ("add", "list", "set-password", "disable", "enable")),
    *(["tokens", a] for a in ("add", "list", "revoke")),
    ["report", "sla"],
    ["report", "quality"],
    *(["sources", a] for a in ("add", "list", "test", "set", "mapping")),
    *(["sla", a] for a in ("set", "confirm", "history")),
    ["import", "leads"],
    ["import", "activities"],
    ["meetings", "list"],
    ["notify", "run"],
    ["notify", "test"],
]


def python(code: str) -> str:
    """Run ``code`` in a fresh interpreter from the repository; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def heavy_after(code: str) -> list[str]:
    """The HEAVY libraries imported after running ``code`` (stdout of ``code`` is dropped)."""
    out = python(
        "import contextlib, io, sys\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    return json.loads(out.replace("'", '"'))


def test_building_the_parser_imports_no_heavy_library():
    assert heavy_after("from smarketing.cli.main import build_parser\nbuild_parser()") == []


def test_no_help_imports_a_heavy_library():
    code = (
        "from smarketing.cli.main import main\n"
        f"for path in {HELP_PATHS!r}:\n"
        "    try:\n"
        "        main([*path, '--help'])\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, path\n"
    )
    assert heavy_after(code) == []


def test_help_lists_every_command():
    done = subprocess.run(
        [sys.executable, "-m", "smarketing", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == ""
    listed = [
        line.split()[0]
        for line in done.stdout.split("  COMMAND\n", 1)[1].split("\n\n", 1)[0].splitlines()
        if line.startswith("    ") and not line.startswith("     ")
    ]
    assert listed == COMMANDS  # each on a line of its own, with its help
    assert [c for group in GROUPS for c in group.COMMANDS] == COMMANDS


def test_every_command_has_one_group():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == COMMANDS


def test_the_sla_report_imports_neither_pandas_nor_alembic(db_url, session):
    """A database at the newest migration is only checked (no alembic), and the report
    needs no pandas: as JSON or as text."""
    add_sla_dataset(session)
    for form in ("json", "text"):
        code = (
            "from smarketing.cli.main import main\n"
            f"assert main(['report', 'sla', '--format', {form!r}, '--db', {db_url!r},"
            " '--now', '2026-11-16T00:30+01:00']) == 0"
        )
        assert heavy_after(code) == ["sqlalchemy", "sqlmodel"], form


def test_the_parsers_copies_are_the_domains():
    assert tuple(r.value for r in Role) == users.ROLES
    assert tuple(t.value for t in Team) == sla.TEAMS
    assert sla.TARGET_LIMITS == agreements.TARGET_LIMITS
    assert set(sla.TARGET_OPTIONS.values()) == set(agreements.TARGET_LIMITS)
    assert report.DIMENSIONS == cohorts.DIMENSIONS
    assert hot_leads.HOT_HOURS_DEFAULT == quality_hot_leads.HOT_HOURS_DEFAULT
    assert hot_leads.SILENCE_DAYS == quality_hot_leads.SILENCE_DAYS


def test_the_collector_is_off_for_the_start_up_only(db_url, session):
    """`python -m smarketing` switches the garbage collector off while it imports and back
    on once the command has what it needs: a long import or demo build collects as usual."""
    add_sla_dataset(session)
    argv = ["smarketing", "report", "sla", "--format", "json", "--db", db_url]
    out = python(
        textwrap.dedent(
            f"""
            import contextlib, gc, io, runpy, sys
            import smarketing.cli.report as report

            seen, run = [], report.run

            def spy(args, engine_for):  # the collector as the command starts, and then
                seen.append(gc.isenabled())  # once its engine is ready
                return run(args, lambda a: [engine_for(a), seen.append(gc.isenabled())][0])

            report.run = spy
            sys.argv = {argv!r}
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                runpy.run_module("smarketing", run_name="__main__")
            print(seen)
            """
        )
    )
    assert out.strip() == "[False, True]"


def test_started_changes_nothing_when_the_collector_is_on():
    assert gc.isenabled()
    started()
    assert gc.isenabled() and gc.get_freeze_count() == 0
