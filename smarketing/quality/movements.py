"""The biggest movements in lead quality between two cohorts, for the meeting's quality step."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from smarketing.quality.cohorts import DIMENSION_LABELS, Cohort, breakdowns

#: The dimensions a meeting looks at.
MEETING_DIMENSIONS = ("source", "campaign", "persona")
#: A value needs this many leads in one of the two cohorts to be listed.
MIN_LEADS = 5
MOVEMENT_COLUMNS = [
    "dimension",
    "dimension_label",
    "value",
    "leads_now",
    "leads_before",
    "leads_change",
    "mqls_now",
    "mqls_before",
    "acceptance_now",
    "acceptance_before",
    "acceptance_change",
    "size",
]


def _acceptance(row: pd.Series | None) -> float | None:
    if row is None or row["accepted"] is None:  # no value, or no verdict in the store
        return None
    decided = int(row["accepted"]) + int(row["rejected"])
    return None if not decided else int(row["accepted"]) / decided


def movements(
    session: Session,
    now: Cohort,
    before: Cohort,
    *,
    dimensions=MEETING_DIMENSIONS,
    limit: int = 8,
) -> pd.DataFrame:
    """Per (dimension, value): leads, MQLs and acceptance in ``now`` against ``before``.

    The ``limit`` largest movements come first. A movement's size is the larger of the
    change in leads relative to the values' combined leads and the change in acceptance (in
    points); values with fewer than ``MIN_LEADS`` leads in both cohorts are left out.
    Acceptance is accepted ÷ (accepted + rejected) of the cohort's leads (None when none
    is decided).
    """
    dims = list(dimensions)
    this, last = breakdowns(session, now, dims), breakdowns(session, before, dims)
    rows = []
    for dim in dims:
        a = this[dim][~this[dim]["is_total"].astype(bool)].set_index("value")
        b = last[dim][~last[dim]["is_total"].astype(bool)].set_index("value")
        for value in sorted(set(a.index) | set(b.index)):
            ra = a.loc[value] if value in a.index else None
            rb = b.loc[value] if value in b.index else None
            leads_now = int(ra["leads"]) if ra is not None else 0
            leads_before = int(rb["leads"]) if rb is not None else 0
            if max(leads_now, leads_before) < MIN_LEADS:
                continue
            acc_now, acc_before = _acceptance(ra), _acceptance(rb)
            acc_change = (
                None if acc_now is None or acc_before is None else round(acc_now - acc_before, 4)
            )
            lead_share = abs(leads_now - leads_before) / (leads_now + leads_before)
            rows.append(
                {
                    "dimension": dim,
                    "dimension_label": DIMENSION_LABELS[dim],
                    "value": value,
                    "leads_now": leads_now,
                    "leads_before": leads_before,
                    "leads_change": leads_now - leads_before,
                    "mqls_now": int(ra["mqls"]) if ra is not None else 0,
                    "mqls_before": int(rb["mqls"]) if rb is not None else 0,
                    "acceptance_now": None if acc_now is None else round(acc_now, 4),
                    "acceptance_before": None if acc_before is None else round(acc_before, 4),
                    "acceptance_change": acc_change,
                    "size": round(max(lead_share, abs(acc_change or 0.0)), 4),
                }
            )
    rows.sort(key=lambda r: (-r["size"], r["dimension"], r["value"]))
    frame = pd.DataFrame.from_records(rows[:limit], columns=MOVEMENT_COLUMNS)
    for name in ("acceptance_now", "acceptance_before", "acceptance_change"):
        frame[name] = pd.Series([r[name] for r in rows[:limit]], dtype=object)
    return frame
