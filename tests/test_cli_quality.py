"""The CLI of lead quality: `report quality` as json, text and csv, and its usage errors.

The report runs on the hand-made dataset of tests/test_quality.py (November 2026 in Oslo:
10 leads, 7 MQLs, 4 accepted, 3 rejected, 4 SQLs, 3 opportunities, 2 customers), so the
figures are counted by eye there.
"""

from __future__ import annotations

import json

import pytest

from smarketing.cli.main import main
from smarketing.store import db
from smarketing.store.db import make_engine
from tests.test_quality import EXPECTED, TOTAL, seed

NOVEMBER = ["--from", "2026-11-01", "--to", "2026-11-30"]
PERCENTS = ["25.0", "%", "100.0", "%", "100.0", "%"]


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
    seed(session)


def test_report_json(capsys, db_url, data):
    code, out, err = run(
        capsys, "report", "quality", "--by", "source", *NOVEMBER, "--format", "json", "--db", db_url
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert list(report) == ["cohort", "dimension", "rows", "total", "unmeasured"]
    assert report["unmeasured"] == {}  # the dataset has verdicts
    assert report["cohort"] == {"from": "2026-11-01", "to": "2026-11-30", "timezone": "Europe/Oslo"}
    assert report["dimension"] == "source"
    assert report["rows"][0] == {
        "value": "web",
        "leads": 4,
        "mqls": 3,
        "accepted": 2,
        "rejected": 1,
        "sqls": 2,
        "opportunities": 2,
        "customers": 1,
        "lead_to_mql": 0.75,
        "mql_to_sql": 0.6667,
        "sql_to_customer": 0.5,
    }
    assert [tuple(r.values()) for r in report["rows"]] == EXPECTED["source"]
    assert report["rows"][-1]["mql_to_sql"] is None  # "(none)": no MQLs → null
    assert '"mql_to_sql": null' in out
    assert tuple(report["total"].values()) == TOTAL


@pytest.mark.parametrize("by", ["campaign", "first_conversion"])
def test_report_json_other_dimensions(capsys, db_url, data, by):
    code, out, _ = run(
        capsys, "report", "quality", "--by", by, *NOVEMBER, "--format", "json", "--db", db_url
    )
    assert code == 0
    assert [tuple(r.values()) for r in json.loads(out)["rows"]] == EXPECTED[by]


def test_report_text_is_the_default(capsys, db_url, data):
    code, out, err = run(capsys, "report", "quality", "--by", "owner", *NOVEMBER, "--db", db_url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "Lead quality by owner · leads created 2026-11-01 – 2026-11-30 (30 days) · Europe/Oslo"
    )
    assert lines[2].split() == [
        "value",
        "leads",
        "MQLs",
        "accepted",
        "rejected",
        "SQLs",
        "opps",
        "customers",
        "lead→MQL",
        "MQL→SQL",
        "SQL→customer",
    ]
    # "(none)" is a small sample: 4 leads, 1 MQL … 25 % → 100 % → 100 %
    assert lines[4].split() == ["(none)", "*", "4", "1", "1", "0", "1", "1", "1", *PERCENTS]
    assert lines[7].startswith("-----")  # a rule above the total
    assert lines[8].split()[:8] == ["total", "10", "7", "4", "3", "4", "3", "2"]
    assert "* fewer than 30 leads" in out


def test_report_text_empty_cohort(capsys, db_url, data):
    code, out, _ = run(
        capsys, "report", "quality", "--by", "segment", "--from", "2025-01-01", "--to",
        "2025-01-31", "--db", db_url,
    )  # fmt: skip
    assert code == 0
    assert "No leads were created in these days." in out
    assert "total      0" in out and "—" in out


def test_report_csv(capsys, db_url, data):
    code, out, err = run(
        capsys, "report", "quality", "--by", "source", *NOVEMBER, "--format", "csv", "--db", db_url
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines == [
        "value,leads,mqls,accepted,rejected,sqls,opportunities,customers,lead_to_mql,"
        "mql_to_sql,sql_to_customer,mql_to_accepted,customers_per_100_leads,small_sample",
        "web,4,3,2,1,2,2,1,0.75,0.6667,0.5,0.6667,25.0,True",
        "events,3,3,1,2,1,0,0,1.0,0.3333,0.0,0.3333,0.0,True",
        "ads,2,1,1,0,1,1,1,0.5,1.0,1.0,1.0,50.0,True",
        "(none),1,0,0,0,0,0,0,0.0,,,,0.0,True",
        "total,10,7,4,3,4,3,2,0.7,0.5714,0.5,0.5714,20.0,True",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--by", "country", *NOVEMBER],
            "error: argument --by: unknown dimension 'country'; use one of source, campaign",
        ),
        (
            ["--by", "source", "--from", "2026-11-31", "--to", "2026-12-01"],
            "error: argument --from: invalid date '2026-11-31'",
        ),
        (
            ["--by", "source", "--from", "2026-11-01", "--to", "30.11.2026"],
            "error: argument --to: invalid date",
        ),
        (
            ["--by", "source", *NOVEMBER, "--format", "xml"],
            "error: argument --format: invalid choice",
        ),
        (NOVEMBER, "error: the following arguments are required: --by"),
        (
            ["--by", "source", "--from", "2026-11-01"],
            "error: the following arguments are required: --to",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, db_url, argv, message):
    code, err = usage_error(capsys, "report", "quality", *argv, "--db", db_url)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert "usage:" not in err and "Traceback" not in err


def test_from_after_to_is_a_usage_error(capsys, db_url):
    code, out, err = run(
        capsys, "report", "quality", "--by", "source", "--from", "2026-11-30", "--to",
        "2026-11-01", "--db", db_url,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == "error: --from 2026-11-30 is after --to 2026-11-01\n"
    engine = make_engine(db_url)
    assert db.current_revision(engine) is None  # refused before the database was opened
    engine.dispose()


def test_dimension_is_forgiving_about_case(capsys, db_url, data):
    code, out, _ = run(
        capsys, "report", "quality", "--by", "First-Conversion", *NOVEMBER, "--format", "json",
        "--db", db_url,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["dimension"] == "first_conversion"


def test_help_lists_quality(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])
    assert exit_info.value.code == 0
    assert "quality" in capsys.readouterr().out


def test_report_text_ends_with_the_rejection_reasons_by_label(capsys, db_url, data):
    """The leads store reason keys; the report shows each reason's label once."""
    code, out, _ = run(capsys, "report", "quality", "--by", "source", *NOVEMBER, "--db", db_url)
    assert code == 0
    tail = out[out.index("Why sales rejected leads") :].splitlines()
    # L3 no budget, L6 wrong persona, L7 no reason (Z1's bad data is October's)
    assert [line.split("  ")[0] for line in tail[4:]] == ["(none)", "No budget", "Wrong persona"]
    assert tail[4].split()[-3:] == ["1", "33.3", "%"]
    assert "no_budget" not in out
