"""SLA metrics against a small hand-made dataset (Europe/Oslo), counted by eye.

As of Sunday 15 Nov 2026; "now" is 00:30 on Monday 16 Nov (Oslo), just after the window.
Agreement v1 (from 1 Oct): 12 MQLs, 80 % acceptance, 4 h response, 80 % in time,
5 SQLs, 20 % close rate, 2 customers a month.

lead  mql_at (Oslo)     verdict   first contact      notes
L1    02 Nov 10:00      accepted  +2 h               sql 10 Nov
L2    03 Nov 09:00      rejected  +4 h exactly       on the deadline still counts
L3    04 Nov 09:00      accepted  +6 h               late
L4    05 Nov 09:00      —         —                  due, never contacted
L5    15 Nov 10:00      accepted  —                  due at 14:00, not contacted
L6    31 Oct 23:30      —         —                  October (22:30 UTC)
L7    15 Nov 23:30      —         —                  deadline 03:30 next day: not yet due
L8    (created Sep)                                  sql 12 Nov, customer 14 Nov
L9    31 Oct 23:30 UTC  —         —                  = 1 Nov 00:30 Oslo: November, due, late
"""

from __future__ import annotations

from datetime import date

import pytest

from smarketing.sla.metrics import (
    METRICS,
    Status,
    count_target,
    scorecard_frame,
    sla_report,
    status_of,
    trailing_periods,
)
from smarketing.sla.periods import period_containing
from tests.factories import SLA_V1, add_lead, add_sla_agreement, add_sla_dataset, oslo

NOW = oslo("2026-11-16 00:30")
AS_OF = date(2026, 11, 15)
V1 = SLA_V1


agreement = add_sla_agreement


@pytest.fixture
def data(session):
    return add_sla_dataset(session)


def report(session, kind, as_of=AS_OF, now=NOW):
    return sla_report(session, period_containing(kind, as_of), now=now)


def figures(rep):
    return {m.key: m.to_json() for m in rep.metrics}


def test_month(data):
    got = figures(report(data, "month"))
    assert got["mqls_delivered"] == {
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
    assert got["mql_acceptance_rate"] == {
        "key": "mql_acceptance_rate",
        "side": "marketing",
        "actual": 0.75,
        "target": 0.8,
        "numerator": 3,
        "denominator": 4,
        "status": "amber",
        "reason": None,
    }
    assert got["contacted_within_sla_rate"] == {
        "key": "contacted_within_sla_rate",
        "side": "sales",
        "actual": 0.3333,
        "target": 0.8,
        "numerator": 2,
        "denominator": 6,
        "status": "red",
        "reason": None,
    }
    assert got["median_first_contact_hours"] == {
        "key": "median_first_contact_hours",
        "side": "sales",
        "actual": 4.0,
        "target": 4.0,
        "denominator": 3,
        "status": "green",
        "reason": None,
    }
    assert got["sqls"] == {
        "key": "sqls",
        "side": "sales",
        "actual": 2,
        "target": 5.0,
        "expected_to_date": 2.5,
        "pace": 0.8,
        "forecast": 4.0,
        "needed_per_day": 0.2,
        "status": "red",
        "reason": None,
    }
    assert got["close_rate"] == {
        "key": "close_rate",
        "side": "sales",
        "actual": 0.5,
        "target": 0.2,
        "numerator": 1,
        "denominator": 2,
        "status": "green",
        "reason": None,
    }
    assert got["customers"] == {
        "key": "customers",
        "side": "both",
        "actual": 1,
        "target": 2.0,
        "expected_to_date": 1.0,
        "pace": 1.0,
        "forecast": 2.0,
        "needed_per_day": 0.07,
        "status": "green",
        "reason": None,
    }


def test_week(data):
    got = figures(report(data, "week"))  # Mon 9 – Sun 15 Nov: the whole week has passed
    assert (got["mqls_delivered"]["actual"], got["mqls_delivered"]["target"]) == (2, 2.8)
    assert got["mqls_delivered"]["pace"] == 0.7143 and got["mqls_delivered"]["status"] == "red"
    assert got["mqls_delivered"]["needed_per_day"] == 0.0  # no day remains
    assert (got["mql_acceptance_rate"]["actual"], got["mql_acceptance_rate"]["status"]) == (
        1.0,
        "green",
    )
    assert got["contacted_within_sla_rate"]["numerator"] == 0
    assert got["contacted_within_sla_rate"]["denominator"] == 1  # L5; L7 is not due yet
    assert got["median_first_contact_hours"] == {
        "key": "median_first_contact_hours",
        "side": "sales",
        "actual": None,
        "target": 4.0,
        "denominator": 0,
        "status": "no_data",
        "reason": "no MQL of this period has had a first contact yet",
    }
    assert (got["sqls"]["actual"], got["sqls"]["pace"]) == (2, 1.7143)
    assert (got["customers"]["actual"], got["close_rate"]["actual"]) == (1, 0.5)


def test_day(data):
    got = figures(report(data, "day"))  # Sunday 15 Nov only
    assert got["mqls_delivered"]["actual"] == 2
    assert got["mqls_delivered"]["target"] == 0.4
    assert got["sqls"]["actual"] == 0 and got["close_rate"]["status"] == "no_data"
    assert got["close_rate"]["actual"] is None


def test_quarter(data):
    got = figures(report(data, "quarter"))  # Q4: 46 of 92 days elapsed
    mql = got["mqls_delivered"]
    assert (mql["actual"], mql["target"], mql["expected_to_date"]) == (8, 36.0, 18.0)
    assert (mql["pace"], mql["forecast"], mql["needed_per_day"]) == (0.4444, 16.0, 0.61)


def test_timezone_cut_puts_2330_utc_on_31_october_into_november(data):
    october = figures(report(data, "month", as_of=date(2026, 10, 31)))
    assert october["mqls_delivered"]["actual"] == 1  # L6 only; L9 is already November


def test_now_bounds_deadlines(data):
    # at 12:00 on the 15th, L5's deadline (14:00) has not passed: 5 due instead of 6
    got = figures(report(data, "month", now=oslo("2026-11-15 12:00")))
    assert got["contacted_within_sla_rate"]["denominator"] == 5


def test_early_in_the_period(data):
    got = figures(report(data, "month", as_of=date(2026, 11, 5)))  # 5/30 < 0.2
    assert [got[k]["status"] for k in ("mqls_delivered", "sqls", "customers")] == ["early"] * 3
    assert got["mqls_delivered"]["pace"] is not None  # still reported


def test_agreement_version_in_effect_at_period_start(data):
    agreement(data, 2, date(2026, 11, 9), mql_target=30)
    assert report(data, "week").agreement.version == 2  # week starts 9 Nov
    assert report(data, "week").metric("mqls_delivered").target == 7.0
    assert report(data, "month").agreement.version == 1  # month starts 1 Nov
    assert report(data, "month").metric("mqls_delivered").target == 12.0


def test_no_agreement_means_no_targets(session):
    add_lead(session, "X", "2026-11-02 09:00", mql_at="2026-11-02 10:00")
    rep = report(session, "month")
    assert rep.agreement is None and rep.to_json()["agreement"] is None
    assert rep.metric("mqls_delivered").actual == 1
    assert {m.status for m in rep.metrics} == {Status.no_data}


def test_scorecard_cells_without_an_agreement_show_the_figure_not_no_data(session):
    """Issue 13: 41 leads and no agreement read "41 · no agreement", not "no data"."""
    add_lead(session, "X", "2026-11-02 09:00", mql_at="2026-11-02 10:00")
    rep = report(session, "month")
    cells = scorecard_frame([rep]).set_index("metric")
    assert cells.loc["mqls_delivered", "text"] == "1 · no agreement"
    assert cells.loc["mqls_delivered", "status_text"] == "– no agreement"
    assert cells.loc["mql_acceptance_rate", "text"] == "—"  # no verdict: nothing measured
    short = scorecard_frame([rep], short=True).set_index("metric")
    assert short.loc["mqls_delivered", "text"] == "1 –"
    assert rep.to_json()["metrics"][0]["status"] == "no_data"  # the JSON contract is unchanged


def test_json_report_shape(data):
    out = report(data, "month").to_json()
    assert list(out) == ["period", "agreement", "metrics"]
    assert out["period"] == {
        "kind": "month",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "as_of": "2026-11-15",
        "days": 30,
        "elapsed_days": 15,
        "elapsed_fraction": 0.5,
        "timezone": "Europe/Oslo",
    }
    assert out["agreement"] == {"version": 1, "effective_from": "2026-10-01", **V1}
    assert [m["key"] for m in out["metrics"]] == [m.key for m in METRICS]
    for m in out["metrics"]:
        if m["key"] in ("mqls_delivered", "sqls", "customers"):
            assert isinstance(m["actual"], int)
        elif m["actual"] is not None:
            assert isinstance(m["actual"], float)


@pytest.mark.parametrize(
    ("first", "days", "expected"),
    [
        (date(2026, 11, 1), 30, 12.0),  # a whole month is the monthly target
        (date(2026, 10, 26), 7, 6 * 12 / 31 + 12 / 30),  # a week over two months
        (date(2028, 2, 1), 29, 12.0),  # leap February
        (date(2026, 10, 1), 92, 36.0),  # a quarter: three months
    ],
)
def test_prorated_target(first, days, expected):
    from smarketing.sla.metrics import prorated

    assert prorated(12, first, days) == pytest.approx(expected)


def test_count_target_expected_to_date():
    target, expected = count_target(period_containing("week", date(2026, 11, 1)), 12)
    assert round(target, 2) == 2.72 and expected == pytest.approx(6 * 12 / 31 + 12 / 30)


MQLS, RATE, MEDIAN = METRICS[0], METRICS[1], METRICS[3]


@pytest.mark.parametrize(
    ("metric", "actual", "target", "pace", "fraction", "status"),
    [
        (MQLS, 10, 12, 1.0, 0.5, Status.green),
        (MQLS, 10, 12, 0.85, 0.5, Status.amber),  # exactly 85 % of the pace
        (MQLS, 10, 12, 0.8499, 0.5, Status.red),
        (MQLS, 1, 12, 0.1, 0.19, Status.early),
        (MQLS, 0, 0, None, 0.5, Status.green),  # nothing expected
        (RATE, 0.7, 0.7, None, 1, Status.green),
        (RATE, 0.595, 0.7, None, 1, Status.amber),  # 0.85 × 0.7
        (RATE, 0.59, 0.7, None, 1, Status.red),
        (RATE, None, 0.7, None, 1, Status.no_data),
        (MEDIAN, 4.0, 4.0, None, 1, Status.green),
        (MEDIAN, 5.0, 4.0, None, 1, Status.amber),  # 1.25 × 4
        (MEDIAN, 5.01, 4.0, None, 1, Status.red),
        (MEDIAN, 9.0, None, None, 1, Status.no_data),  # no agreement
    ],
)
def test_status_bands(metric, actual, target, pace, fraction, status):
    assert status_of(metric, actual, target, pace=pace, elapsed_fraction=fraction) is status


def test_trailing_periods():
    periods = trailing_periods("month", date(2026, 11, 15), 13)
    assert len(periods) == 13
    assert (periods[0].start, periods[-1].start) == (date(2025, 11, 1), date(2026, 11, 1))
    assert periods[-1].as_of == date(2026, 11, 15)
    assert all(p.as_of == p.end for p in periods[:-1])


def test_trailing_reports_match_single_reports(data):
    from smarketing.sla.metrics import sla_reports

    periods = trailing_periods("week", AS_OF, 4)
    many = sla_reports(data, periods, now=NOW)
    for period, rep in zip(periods, many, strict=True):
        alone = sla_report(data, period, now=NOW)
        assert [m.to_json() for m in rep.metrics] == [m.to_json() for m in alone.metrics]


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(session):
    agreement(session, 1, date(2026, 10, 1))
    for i, delay in enumerate([1, 2, 6, 9]):
        add_lead(
            session,
            f"E{i}",
            "2026-11-02 08:00",
            mql_at="2026-11-02 10:00",
            first_contact_at=f"2026-11-02 {10 + delay:02d}:00",
        )
    assert report(session, "month").metric("median_first_contact_hours").actual == 4.0


def test_ninetieth_percentile_is_the_nearest_rank(session):
    from smarketing.sla.metrics import Window, first_contact_quantile

    for i in range(10):  # delays 1..10 h: ceil(0.9 × 10) = 9th value
        add_lead(
            session,
            f"P{i}",
            "2026-11-02 08:00",
            mql_at="2026-11-02 00:00",
            first_contact_at=f"2026-11-02 {i + 1:02d}:00",
        )
    start, end = period_containing("month", AS_OF).window()
    window = Window(start, end, end, 4.0)
    assert first_contact_quantile(session, [window], 0.9) == [pytest.approx(9.0)]
    assert first_contact_quantile(session, [window], 0.5) == [pytest.approx(5.5)]


def test_a_contact_before_the_mql_is_not_a_response(session):
    agreement(session, 1, date(2026, 10, 1))
    add_lead(
        session,
        "B1",
        "2026-11-01 08:00",
        mql_at="2026-11-10 10:00",
        first_contact_at="2026-11-02 10:00",
    )  # touched a week before becoming an MQL
    add_lead(
        session,
        "B2",
        "2026-11-01 08:00",
        mql_at="2026-11-10 10:00",
        first_contact_at="2026-11-10 11:00",
    )
    got = figures(report(session, "month"))
    assert got["median_first_contact_hours"]["actual"] == 1.0  # B2 only, never negative
    assert got["median_first_contact_hours"]["denominator"] == 1
    assert (
        got["contacted_within_sla_rate"]["numerator"],
        got["contacted_within_sla_rate"]["denominator"],
    ) == (1, 2)


def test_day_all_seven(data):
    got = figures(report(data, "day"))  # Sunday 15 Nov: L5 (10:00) and L7 (23:30)
    assert [(k, got[k]["actual"], got[k]["status"]) for k in got] == [
        ("mqls_delivered", 2, "green"),  # target 0.4, pace 5.0
        ("mql_acceptance_rate", 1.0, "green"),  # L5 accepted, L7 undecided
        ("contacted_within_sla_rate", 0.0, "red"),  # L5 due at 14:00, not contacted
        ("median_first_contact_hours", None, "no_data"),
        ("sqls", 0, "red"),  # target 5/30 ≈ 0.17, pace 0
        ("close_rate", None, "no_data"),
        ("customers", 0, "red"),
    ]


def test_quarter_all_seven(data):
    got = figures(report(data, "quarter"))  # Q4 to 15 Nov: L6 in October plus November
    assert [(k, got[k]["actual"]) for k in got] == [
        ("mqls_delivered", 8),
        ("mql_acceptance_rate", 0.75),  # 3 of the 4 decided
        ("contacted_within_sla_rate", 0.2857),  # 2 of 7 due (L6 too)
        ("median_first_contact_hours", 4.0),
        ("sqls", 2),
        ("close_rate", 0.5),
        ("customers", 1),
    ]
    assert got["sqls"]["target"] == 15.0 and got["sqls"]["expected_to_date"] == 7.5


# --- languages: the report keeps English ids, every text is shown in the language speaking --


def test_the_scorecard_and_statuses_in_norwegian(data):
    from smarketing import i18n
    from smarketing.sla.metrics import missing_inputs, scorecard_frame, status_label

    rep = report(data, "month")
    with i18n.language("nb"):
        frame = scorecard_frame([rep])
        assert status_label("green") == "✔ i rute" and status_label("red") == "✖ ikke i rute"
        assert missing_inputs([rep]) == []
    row = frame.set_index("metric").loc["contacted_within_sla_rate"]
    assert row["period"] == "november 2026 (så langt)"
    assert row["metric_label"] == "Salg · Kontaktet i tide"
    assert row["text"] == "33,3\u00a0% ✖" and row["status_text"] == "✖ ikke i rute"
    assert rep.metric("contacted_within_sla_rate").label == "Contacted in time"  # the id
    assert rep.to_json()["metrics"][0]["status"] in {"green", "amber", "red", "early"}


def test_an_unmeasured_metric_says_why_in_norwegian(session):
    from smarketing import i18n
    from smarketing.sla.metrics import missing_inputs, sla_report

    add_sla_agreement(session, 1, date(2026, 10, 1))
    add_lead(session, "L1", "2026-11-02 09:00", mql_at="2026-11-02 10:00")
    rep = sla_report(session, period_containing("month", AS_OF), now=NOW)
    with i18n.language("nb"):
        notes = missing_inputs([rep])
    assert notes == [
        "MQL-aksept: — ingen vurderinger registrert eller importert ennå",
        "Kontaktet i tide og Median første kontakt: — ingen data om første kontakt importert "
        "ennå: importer aktiviteter eller koble til CRM",
    ]
    assert rep.metric("mql_acceptance_rate").reason == "no verdicts recorded or imported yet"
