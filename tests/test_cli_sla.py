"""The CLI of the SLA: `report sla` (json and text), one-line usage errors, `sla set`,
`sla confirm` and `sla history`.

The report runs on the hand-made dataset of tests/test_sla.py (tests/factories.py's
``add_sla_dataset``, as of Sunday 15 Nov 2026 with "now" at 00:30 on Monday 16 Nov,
Oslo), so the figures are counted by eye.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select

from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.cli.main import main
from smarketing.store.models import SlaAgreement
from tests.factories import SLA_V1, add_sla_dataset

NOW = "2026-11-16T00:30+01:00"
V1 = SLA_V1
ALL_TARGETS = [
    "--mql-target",
    "140",
    "--acceptance-rate-target",
    "0.7",
    "--response-hours",
    "4",
    "--contacted-within-sla-target",
    "0.8",
    "--sql-target",
    "55",
    "--close-rate-target",
    "0.2",
    "--customer-target",
    "8",
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(capsys, *argv):
    """Run a command that argparse refuses: (exit code, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    assert out == ""
    return exit_info.value.code, err


@pytest.fixture
def data(session):
    """The hand-made dataset of tests/test_sla.py, with agreement v1 from 1 Oct 2026."""
    return add_sla_dataset(session)


# --- report sla ---------------------------------------------------------------------------


def test_report_json_for_the_hand_made_month(capsys, db_url, data):
    code, out, err = run(
        capsys,
        "report",
        "sla",
        "--period",
        "month",
        "--date",
        "2026-11-15",
        "--format",
        "json",
        "--now",
        NOW,
        "--db",
        db_url,
    )
    assert (code, err) == (0, "")
    got = json.loads(out)
    assert list(got) == ["period", "agreement", "metrics"]
    assert got["period"] == {
        "kind": "month",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "as_of": "2026-11-15",
        "days": 30,
        "elapsed_days": 15,
        "elapsed_fraction": 0.5,
        "timezone": "Europe/Oslo",
    }
    assert list(got["period"]) == [
        "kind",
        "start",
        "end",
        "as_of",
        "days",
        "elapsed_days",
        "elapsed_fraction",
        "timezone",
    ]
    assert got["agreement"] == {"version": 1, "effective_from": "2026-10-01", **V1}
    assert [m["key"] for m in got["metrics"]] == [
        "mqls_delivered",
        "mql_acceptance_rate",
        "contacted_within_sla_rate",
        "median_first_contact_hours",
        "sqls",
        "close_rate",
        "customers",
    ]
    mqls = got["metrics"][0]
    assert mqls == {
        "key": "mqls_delivered",
        "side": "marketing",
        "actual": 7,
        "target": 12.0,
        "expected_to_date": 6.0,
        "pace": 1.1667,
        "forecast": 14.0,
        "needed_per_day": 0.33,
        "status": "green",
        "reason": None,
    }
    assert list(mqls) == [
        "key",
        "side",
        "actual",
        "target",
        "expected_to_date",
        "pace",
        "forecast",
        "needed_per_day",
        "status",
        "reason",
    ]
    in_time = got["metrics"][2]
    assert in_time == {
        "key": "contacted_within_sla_rate",
        "side": "sales",
        "actual": 0.3333,
        "target": 0.8,
        "numerator": 2,
        "denominator": 6,
        "status": "red",
        "reason": None,
    }
    assert list(in_time) == [
        "key",
        "side",
        "actual",
        "target",
        "numerator",
        "denominator",
        "status",
        "reason",
    ]
    assert isinstance(mqls["actual"], int)
    # exactly json.dumps(report.to_json(), indent=2, ensure_ascii=False)
    assert out == json.dumps(got, indent=2, ensure_ascii=False) + "\n"


def test_report_text_is_a_table_with_status_words(capsys, db_url, data):
    code, out, err = run(
        capsys, "report", "sla", "--date", "2026-11-15", "--now", NOW, "--db", db_url
    )
    assert (code, err) == (0, "")
    header = out.splitlines()[0]
    assert "November 2026" in header and "2026-11-01" in header and "2026-11-30" in header
    assert "as of 2026-11-15" in header and "15 of 30 days" in header and "v1" in header
    for word in ("✔ on track", "▲ at risk", "✖ off track"):
        assert word in out
    lines = out.splitlines()

    def row(label):
        return next(line for line in lines if label in line)

    assert row("MQLs delivered").startswith("marketing")
    assert row("MQLs delivered").split()[3:8] == ["7", "12.0", "116.7", "%", "14.0"]
    assert "75.0 %" in row("MQL acceptance") and "▲ at risk" in row("MQL acceptance")
    assert row("Contacted in time").startswith("sales") and "33.3 %" in row("Contacted in time")
    assert "4.0 h" in row("Median first contact")
    assert row("Customers").startswith("both") and row("Customers").endswith("✔ on track")


def test_report_text_without_agreement_and_early(capsys, db_url):
    code, out, _ = run(
        capsys,
        "report",
        "sla",
        "--period",
        "quarter",
        "--date",
        "2026-10-02",
        "--now",
        NOW,
        "--db",
        db_url,
    )
    assert code == 0
    assert "Q4 2026" in out and "no agreement in effect" in out and "– no data" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--period", "fortnight"], "error: argument --period: unknown period 'fortnight'"),
        (["--date", "2026-13-45"], "error: argument --date: invalid date '2026-13-45'"),
        (["--date", "15.11.2026"], "error: argument --date: invalid date"),
        (["--now", "soon"], "error: argument --now: invalid time 'soon'"),
        (["--format", "xml"], "error: argument --format: invalid choice"),
    ],
)
def test_report_usage_errors_are_one_line_exit_2(capsys, db_url, argv, message):
    code, err = usage_error(capsys, "report", "sla", *argv, "--now", NOW, "--db", db_url)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert "usage:" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "sla"], ["--now", "--period", "YYYY-MM-DD"]),
        (["sla", "set"], ["--acceptance-rate-target", "--customer-target", "--confirm-sales"]),
        (["sla", "confirm"], ["--team", "--user"]),
        (["sla", "history"], ["--format"]),
        (["report"], ["sla"]),
        (["sla"], ["set", "confirm", "history"]),
    ],
)
def test_help_still_works(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out


# --- sla set / confirm / history ----------------------------------------------------------


def add_user(engine, username, role):
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username=username,
            name=username.title(),
            email=f"{username}@example.com",
            roles=[role],
            password="long enough pw",
        )


def versions(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(SlaAgreement)).one()


def test_sla_set_invalid_rate_saves_nothing(capsys, db_url, engine):
    argv = ["sla", "set", "--effective-from", "2026-11-01", "--reason", "start", *ALL_TARGETS]
    argv[argv.index("--acceptance-rate-target") + 1] = "1.5"
    code, out, err = run(capsys, *argv, "--db", db_url)
    assert code == 1 and out == ""
    assert err.startswith("error: acceptance_rate_target must be a share between 0 and 1")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert versions(engine) == 0


def test_sla_set_needs_every_target_without_an_agreement(capsys, db_url, engine):
    code, _, err = run(
        capsys,
        "sla",
        "set",
        "--effective-from",
        "2026-11-01",
        "--reason",
        "start",
        "--mql-target",
        "140",
        "--db",
        db_url,
    )
    assert code == 1 and err.count("\n") == 1
    assert "missing --acceptance-rate-target" in err and "--customer-target" in err
    assert "--mql-target" not in err
    assert versions(engine) == 0


def test_sla_set_confirm_and_history(capsys, db_url, engine):
    add_user(engine, "mia", "marketing")
    add_user(engine, "sam", "sales")
    add_user(engine, "sid", "sales")
    code, out, err = run(
        capsys,
        "sla",
        "set",
        "--effective-from",
        "2026-10-01",
        "--reason",
        "first agreement",
        *ALL_TARGETS,
        "--confirm-marketing",
        "mia",
        "--confirm-sales",
        "sam",
        "--db",
        db_url,
    )
    assert (code, err) == (0, "")
    assert "proposed SLA version 1" in out and "version 1: in effect from 2026-10-01" in out

    # a change: only the MQL target; the rest comes from the agreement in effect
    code, out, err = run(
        capsys,
        "sla",
        "set",
        "--effective-from",
        "2026-12-01",
        "--reason",
        "more budget",
        "--mql-target",
        "150",
        "--db",
        db_url,
    )
    assert (code, err) == (0, "")
    assert "proposed SLA version 2" in out and "mql_target 140 → 150" in out
    assert "awaiting confirmation by marketing and sales" in out

    code, out, err = run(
        capsys, "sla", "confirm", "2", "--team", "sales", "--user", "sam", "--db", db_url
    )
    assert (code, err) == (0, "")
    assert "awaiting confirmation by marketing" in out

    # someone without the marketing role cannot confirm for marketing
    code, out, err = run(
        capsys, "sla", "confirm", "2", "--team", "marketing", "--user", "sid", "--db", db_url
    )
    assert code == 1 and out == ""
    assert err.startswith("error: Only marketing may") and err.count("\n") == 1

    code, out, err = run(
        capsys, "sla", "confirm", "2", "--team", "marketing", "--user", "mia", "--db", db_url
    )
    assert (code, err) == (0, "")
    assert "in effect from 2026-12-01" in out

    code, out, _ = run(capsys, "sla", "history", "--db", db_url)
    assert code == 0
    assert out.index("version 2") < out.index("version 1")  # newest first
    assert "mql_target 140 → 150" in out and "more budget" in out
    assert "mia (" in out and "sam (" in out and "by cli" in out

    code, out, _ = run(capsys, "sla", "history", "--format", "json", "--db", db_url)
    history = json.loads(out)
    assert [h["version"] for h in history] == [2, 1]
    assert history[0]["state"] == "in effect" and history[0]["mql_target"] == 150
    assert {"field": "mql_target", "old": 140, "new": 150} in history[0]["changes"]
    assert history[1]["changes"] == []

    # the report of December uses version 2
    code, out, _ = run(
        capsys,
        "report",
        "sla",
        "--date",
        "2026-12-10",
        "--format",
        "json",
        "--now",
        "2026-12-10T12:00Z",
        "--db",
        db_url,
    )
    assert json.loads(out)["agreement"]["version"] == 2


def test_sla_set_confirm_by_user_without_role_saves_nothing(capsys, db_url, engine):
    add_user(engine, "sid", "sales")
    code, out, err = run(
        capsys,
        "sla",
        "set",
        "--effective-from",
        "2026-10-01",
        "--reason",
        "first agreement",
        *ALL_TARGETS,
        "--confirm-marketing",
        "sid",
        "--db",
        db_url,
    )
    assert code == 1 and out == ""
    assert err.startswith("error: Only marketing may") and err.count("\n") == 1
    assert versions(engine) == 0


def test_sla_confirm_unknown_version_and_user(capsys, db_url, engine):
    add_user(engine, "sam", "sales")
    code, _, err = run(
        capsys, "sla", "confirm", "9", "--team", "sales", "--user", "sam", "--db", db_url
    )
    assert code == 1 and err == "error: there is no SLA agreement version 9\n"
    code, _, err = run(
        capsys, "sla", "confirm", "1", "--team", "sales", "--user", "nobody", "--db", db_url
    )
    assert code == 1 and err.startswith("error: no user named 'nobody'")
    code, err = usage_error(
        capsys, "sla", "confirm", "1", "--team", "finance", "--user", "sam", "--db", db_url
    )
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: argument --team")


def test_empty_history(capsys, db_url):
    code, out, _ = run(capsys, "sla", "history", "--db", db_url)
    assert code == 0 and "no SLA agreement yet" in out


# --- languages: the text report is for people, the JSON for machines ----------------------


def test_the_text_report_in_norwegian(capsys, db_url, data, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    code, out, err = run(
        capsys, "report", "sla", "--date", "2026-11-15", "--now", NOW, "--db", db_url
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "SLA november 2026 (måned 2026-11-01 – 2026-11-30) · per 2026-11-15 · 15 av 30 dager "
        "gått · avtale v1 (fra 2026-10-01) · Europe/Oslo"
    )
    assert lines[2].split() == ["side", "måltall", "faktisk", "mål", "tempo", "prognose", "status"]

    def row(label):
        return next(line for line in lines if label in line)

    assert row("Leverte MQL-er").startswith("marked")
    assert row("Leverte MQL-er").split()[3:8] == ["7", "12,0", "116,7", "%", "14,0"]
    assert "116,7\u00a0%" in row("Leverte MQL-er")  # a non-breaking space before the sign
    assert "75,0\u00a0%" in row("MQL-aksept") and row("MQL-aksept").endswith("▲ i faresonen")
    assert row("Kontaktet i tide").startswith("salg") and "✖ ikke i rute" in out
    assert "4,0\u00a0t" in row("Median første kontakt")
    assert row("Kunder").startswith("begge") and row("Kunder").endswith("✔ i rute")
    assert "tempo = faktisk ÷ forventet hittil" in out


def test_the_json_report_stays_english_in_norwegian(capsys, db_url, data, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    code, out, _ = run(
        capsys, "report", "sla", "--date", "2026-11-15", "--now", NOW, "--db", db_url,
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    statuses = {m["key"]: m["status"] for m in report["metrics"]}
    assert statuses["mql_acceptance_rate"] == "amber" and report["period"]["kind"] == "month"


def test_the_history_text_in_norwegian(capsys, db_url, monkeypatch):
    from smarketing import i18n
    from smarketing.sla.text import history_text

    with i18n.language("nb"):
        assert history_text([]) == "ingen SLA-avtale ennå: foreslå en med `sla set`"
