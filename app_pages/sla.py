"""SLA — is each side keeping its promises, and what will it take to get back on track?"""

import streamlit as st

from smarketing.i18n import _
from smarketing.sla.periods import PeriodKind, kind_label
from smarketing.ui import frame, sla_data, sla_views, widgets

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("SLA"))
kind = (
    st.segmented_control(
        _("Period"),
        [k.value for k in PeriodKind],
        default="month",
        format_func=kind_label,
        key="sla_period",
    )
    or "month"
)
report = sla_data.report(engine, kind, as_of)
sla_views.agreement_caption(report)
widgets.as_of_caption(frame.facts(engine), as_of)
if report.agreement is None:
    sla_views.no_agreement_notice([report], link="section")
sla_views.two_sided_card(report)
sla_views.why_boxes(engine, actor, report, kind, as_of)

st.divider()
section = (
    st.segmented_control(
        _("Show"),
        list(sla_views.SECTIONS),
        format_func=_,
        default=sla_views.section_default(),  # ?section=agreement opens the agreement form
        key=sla_views.SECTION_KEY,
    )
    or sla_views.DEFAULT_SECTION
)
sla_views.SECTIONS[section](engine, actor, kind, as_of)
