"""Figures without inputs (docs/metrics.md, "Figures without inputs"): after a contacts-only
import there is no first contact and no verdict in the store, and a rate over them is not
0 % but unmeasured — "—" with the reason — in the SLA report, the lead-quality table and
funnel, the campaign funnel and the CLI. With one first contact (or verdict) anywhere in the
store, a 0 % in the window is a real measurement again.

The dataset is tests/factories.py's ``add_contacts_only_dataset`` (four November MQLs, all
past their deadline, none contacted or decided), as of Sunday 15 Nov 2026.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlmodel import select

from smarketing import charts
from smarketing.cli.main import main
from smarketing.content.campaign_funnel import campaign_funnel
from smarketing.quality import cohorts as quality
from smarketing.quality.text import quality_text
from smarketing.sla import text as sla_text
from smarketing.sla.coverage import NO_FIRST_CONTACTS, NO_VERDICTS, coverage
from smarketing.sla.metrics import missing_inputs, scorecard_frame, sla_report
from smarketing.sla.periods import period_containing
from smarketing.store.models import Lead, LeadActivity, Verdict
from tests.factories import add_contacts_only_dataset, add_lead, oslo

NOW = oslo("2026-11-16 00:30")
NOVEMBER = quality.Cohort(date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def data(session):
    return add_contacts_only_dataset(session)


def november(session):
    return sla_report(session, period_containing("month", date(2026, 11, 15)), now=NOW)


def test_the_store_has_neither_first_contacts_nor_verdicts(data):
    held = coverage(data)
    assert (held.first_contacts, held.verdicts) == (False, False)
    assert (held.first_contact_gap, held.verdict_gap) == (NO_FIRST_CONTACTS, NO_VERDICTS)


def test_contacted_in_time_is_unmeasured_not_zero(data):
    m = november(data).metric("contacted_within_sla_rate")
    assert m.to_json() == {
        "key": "contacted_within_sla_rate",
        "side": "sales",
        "actual": None,  # not 0.0: nobody could have recorded a contact
        "target": 0.8,
        "numerator": None,
        "denominator": 4,  # the four MQLs past their deadline are real
        "status": "no_data",
        "reason": NO_FIRST_CONTACTS,
    }
    assert m.input_missing


def test_median_and_acceptance_are_unmeasured_with_their_reasons(data):
    report = november(data)
    median = report.metric("median_first_contact_hours")
    acceptance = report.metric("mql_acceptance_rate")
    assert (median.actual, median.status.value, median.reason) == (
        None,
        "no_data",
        NO_FIRST_CONTACTS,
    )
    assert (acceptance.actual, acceptance.numerator, acceptance.reason) == (None, None, NO_VERDICTS)
    # counts from the lifecycle dates are measured as ever
    assert report.metric("mqls_delivered").actual == 4
    assert report.metric("close_rate").to_json()["actual"] == 1.0  # 1 customer ÷ 1 SQL
    assert missing_inputs([report]) == [
        f"MQL acceptance: — {NO_VERDICTS}",
        f"Contacted in time and Median first contact: — {NO_FIRST_CONTACTS}",
    ]


def test_one_first_contact_anywhere_makes_zero_a_measurement(data):
    # a September MQL, contacted in September: outside the window, yet first contacts exist
    add_lead(
        data,
        "S1",
        "2026-09-01 08:00",
        mql_at="2026-09-01 09:00",
        first_contact_at="2026-09-01 10:00",
    )
    m = november(data).metric("contacted_within_sla_rate")
    assert (m.actual, m.numerator, m.denominator) == (0.0, 0, 4)
    assert (m.status.value, m.reason) == ("red", None)
    median = november(data).metric("median_first_contact_hours")
    assert median.reason == "no MQL of this period has had a first contact yet"
    assert not median.input_missing


def test_a_logged_attempt_counts_as_first_contact_data(data):
    lead = data.exec(select(Lead)).first()
    attempt = LeadActivity(
        lead_id=lead.id, kind="call", detail="Attempt: no answer", occurred_at=NOW
    )
    data.add(attempt)
    data.commit()
    assert november(data).metric("contacted_within_sla_rate").actual == 0.0


def test_one_verdict_anywhere_makes_acceptance_measurable(data):
    lead = add_lead(data, "V1", "2026-10-01 08:00", mql_at="2026-10-01 09:00")
    data.add(Verdict(lead_id=lead.id, verdict="accepted", decided_by="sam", decided_at=NOW))
    data.commit()
    m = november(data).metric("mql_acceptance_rate")
    # November's MQLs still have no verdict: empty denominator, not missing inputs
    assert (m.actual, m.reason, m.input_missing) == (
        None,
        "no MQL of this period has a verdict yet",
        False,
    )


def test_the_scorecard_shows_a_dash_and_notes_the_reason_under_the_grid(data):
    frame = scorecard_frame([november(data)])
    cell = frame.set_index("metric").loc["contacted_within_sla_rate"]
    assert (cell["text"], cell["status"], cell["missing"]) == ("—", "no_data", NO_FIRST_CONTACTS)
    assert frame.set_index("metric").loc["mqls_delivered", "text"] == "4 ✖"  # 4 of 6 expected
    spec = charts.scorecard_chart(frame).to_dict()
    notes = spec["title"]["text"]
    assert spec["title"]["orient"] == "bottom" and spec["title"]["limit"] == 0
    assert " ".join(notes) == (
        f"— Marketing · MQL acceptance: {NO_VERDICTS} "
        "— Sales · Contacted in time, Sales · Median first contact: "
        f"{NO_FIRST_CONTACTS}"
    )
    assert all(len(line) <= charts.NOTE_CHARS for line in notes)


def test_the_text_report_says_why(data):
    text = sla_text.report_text(november(data))
    assert "— not measured:" in text
    assert f"  Contacted in time: {NO_FIRST_CONTACTS}" in text
    assert f"  MQL acceptance: {NO_VERDICTS}" in text


# --- lead quality -------------------------------------------------------------------------


def test_breakdown_leaves_the_verdict_columns_unmeasured(data):
    frame = quality.breakdown(data, NOVEMBER, "source")
    rows = {r["value"]: r for r in frame.to_dict("records")}
    assert (rows["web"]["leads"], rows["web"]["mqls"]) == (3, 2)  # C1, C2, C6
    for row in rows.values():
        assert (row["accepted"], row["rejected"], row["mql_to_accepted"]) == (None, None, None)
    assert rows["total"]["mql_to_sql"] == 0.0  # SQLs are measured: 0 of 4 November MQLs
    assert quality.unmeasured(frame) == dict.fromkeys(quality.VERDICT_COLUMNS, NO_VERDICTS)


def test_funnel_accepted_is_a_dash_with_the_reason(data):
    frame = quality.funnel(data, NOVEMBER)
    accepted = frame.set_index("stage").loc["accepted"]
    assert (accepted["count"], accepted["next_step"], accepted["cumulative"]) == (None, None, None)
    assert accepted["reason"] == NO_VERDICTS
    assert frame.set_index("stage").loc["sqls", "next_step"] is None  # SQLs ÷ accepted
    assert quality.funnel_from(quality.breakdown(data, NOVEMBER, "source")).equals(frame)
    spec = charts.funnel_chart(frame, "next").to_dict()
    texts = [v["text"] for v in next(iter(spec["datasets"].values()))]
    assert texts == ["5", "4 · 80.0 %", f"— {NO_VERDICTS}", "0", "0", "0"]
    bar = next(v for v in next(iter(spec["datasets"].values())) if v["stage"] == "accepted")
    assert bar["count"] is None  # no bar, not a zero-length one


def test_quality_report_json_csv_and_text(data):
    frame = quality.breakdown(data, NOVEMBER, "source")
    report = quality.report_from(frame, NOVEMBER, "source")
    assert report["total"]["accepted"] is None and report["total"]["rejected"] is None
    assert report["total"]["mqls"] == 4
    assert report["unmeasured"] == {"accepted": NO_VERDICTS, "rejected": NO_VERDICTS}
    total = list(csv.DictReader(io.StringIO(quality.breakdown_csv(frame))))[-1]
    assert (total["value"], total["accepted"], total["mql_to_accepted"]) == ("total", "", "")
    text = quality_text(frame, NOVEMBER, "source")
    assert f"— accepted and rejected: {NO_VERDICTS}." in text
    total_line = next(line for line in text.splitlines() if line.startswith("total"))
    assert total_line.split()[1:4] == ["5", "4", "—"]


def test_campaign_funnel_without_contacts_and_verdicts(data):
    f = campaign_funnel(data, "Webinar", now=NOW)
    assert (f["accepted"], f["rejected"], f["acceptance"]) == (None, None, None)
    assert f["unmeasured"] == dict.fromkeys(("accepted", "rejected", "acceptance"), NO_VERDICTS)
    follow = f["follow_up"]
    assert (follow["due"], follow["in_time"], follow["rate"]) == (5, None, None)
    assert (follow["status"].value, follow["reason"]) == ("no_data", NO_FIRST_CONTACTS)


# --- the CLI ------------------------------------------------------------------------------


def test_report_sla_json_keeps_the_contract_and_adds_the_reason(capsys, db_url, data):
    code = main(
        ["report", "sla", "--period", "month", "--date", "2026-11-15", "--format", "json",
         "--now", "2026-11-16T00:30+01:00", "--db", db_url]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    metrics = {m["key"]: m for m in json.loads(out)["metrics"]}
    assert metrics["contacted_within_sla_rate"]["actual"] is None
    assert metrics["contacted_within_sla_rate"]["status"] == "no_data"
    assert metrics["contacted_within_sla_rate"]["reason"] == NO_FIRST_CONTACTS
    assert metrics["mqls_delivered"]["reason"] is None
