"""Overview — this week and this month at a glance."""

import streamlit as st

from smarketing import i18n
from smarketing.i18n import _
from smarketing.quality import stage_counts
from smarketing.sla.periods import period_containing
from smarketing.ui import action_views, frame, lead_views, resources, sla_data, sla_views, widgets

engine = resources.engine()
as_of = frame.as_of()
live = resources.activity_key(engine)  # read once: every figure below counts the same data
key = live[:2]  # the figures' key (the data key); website activity counts with ``live``
counts = resources.overview_counts(engine, *key, as_of, i18n.current())

st.title(_("Overview"))
widgets.as_of_caption(frame.facts(engine, live), as_of)
PERIODS = ("week", "month")
reports = [sla_data.report(engine, k, as_of, key) for k in PERIODS]
st.subheader(_("The SLA: this week and this month"))
if sla_views.has_agreement(reports):
    spec = sla_data.scorecard_spec(engine, PERIODS, as_of, key, font_size=17, row_height=48)
    st.vega_lite_chart(spec, width="stretch")
    st.caption(
        _(
            "✔ on track · ▲ at risk · ✖ off track · … too early to judge · – no data. "
            "Details, targets and causes on the SLA page."
        )
    )
else:  # nothing to measure against: say so and lead to the agreement form
    sla_views.no_agreement_notice(reports)
for kind, title in (("week", _("This week")), ("month", _("This month"))):
    rows = counts[counts["period_kind"] == kind]
    # the period named here, not from the cached counts: in the language speaking
    st.subheader(f"{title} · {period_containing(kind, as_of).label()}")
    widgets.stage_tiles(rows)
st.caption(_(stage_counts.COMPARISON_NOTE))

lead_views.hot_panel(engine, live)
action_views.mine(engine, frame.actor(), as_of)

st.subheader(_("The last 13 weeks"))
weekly = resources.weekly_stage_specs(engine, *key, as_of, i18n.current())
for column, spec in zip(st.columns(2) * 2, weekly, strict=True):
    column.vega_lite_chart(spec, width="stretch")
st.caption(_("The lighter bar is the week still running."))
