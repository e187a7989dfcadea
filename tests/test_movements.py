"""The meeting's biggest movements: leads and acceptance per value, now against before."""

from __future__ import annotations

from datetime import date

from smarketing.quality.cohorts import Cohort
from smarketing.quality.movements import movements
from tests.factories import add_lead

BEFORE = Cohort(date(2026, 11, 2), date(2026, 11, 8))
NOW = Cohort(date(2026, 11, 9), date(2026, 11, 15))


def _leads(session, prefix, day, source, n, *, accepted=0, rejected=0):
    for i in range(n):
        verdict = {}
        if i < accepted:
            verdict = {"mql_at": f"{day} 10:00", "accepted_at": f"{day} 11:00"}
        elif i < accepted + rejected:
            verdict = {"mql_at": f"{day} 10:00", "rejected_at": f"{day} 11:00"}
        add_lead(session, f"{prefix}{i}", f"{day} 09:00", source=source, **verdict)


def test_movements_rank_changes_in_leads_and_acceptance(session):
    # Webinar: 10 leads before (4 of 5 decided accepted = 80 %), 10 now (1 of 5 = 20 %)
    _leads(session, "wb", "2026-11-03", "Webinar", 10, accepted=4, rejected=1)
    _leads(session, "wn", "2026-11-10", "Webinar", 10, accepted=1, rejected=4)
    # Paid search: 6 before, 18 now, nothing decided: lead share change 12/24 = 0.5
    _leads(session, "pb", "2026-11-04", "Paid search", 6)
    _leads(session, "pn", "2026-11-11", "Paid search", 18)
    # Blog: 2 and 3 leads: below the 5-lead floor, left out
    _leads(session, "bb", "2026-11-04", "Blog", 2)
    _leads(session, "bn", "2026-11-11", "Blog", 3)

    frame = movements(session, NOW, BEFORE, dimensions=["source"])

    assert list(frame["value"]) == ["Webinar", "Paid search"]
    webinar, paid = frame.iloc[0], frame.iloc[1]
    assert (webinar.leads_now, webinar.leads_before, webinar.leads_change) == (10, 10, 0)
    assert (webinar.acceptance_now, webinar.acceptance_before) == (0.2, 0.8)
    assert webinar.acceptance_change == -0.6 and webinar["size"] == 0.6
    assert (paid.leads_now, paid.leads_before, paid.leads_change) == (18, 6, 12)
    assert paid.acceptance_now is None and paid.acceptance_change is None
    assert paid["size"] == 0.5


def test_movements_limit_and_empty(session):
    assert movements(session, NOW, BEFORE).empty
    _leads(session, "a", "2026-11-10", "A", 5)
    _leads(session, "b", "2026-11-10", "B", 6)
    assert len(movements(session, NOW, BEFORE, dimensions=["source"], limit=1)) == 1
