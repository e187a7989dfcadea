"""Lead quality — which sources, campaigns, offers and personas bring leads that sales
accepts and closes."""

import streamlit as st

from smarketing.i18n import N_, _
from smarketing.quality.cohorts import dimension_label
from smarketing.ui import frame, quality_views

#: The page's sections: keys (the widget's values, stable in every language) and their
#: titles (message ids; "By" is titled by the chosen dimension: "By source").
SECTIONS = {
    "Funnel": N_("Funnel"),
    "By": N_("By {dimension}"),
    "Rejection reasons": N_("Rejection reasons"),
    "Cohorts": N_("Cohorts"),
    "Best offers": N_("Best offers"),
}

engine = frame.engine()

st.title(_("Lead quality"))
picked = quality_views.pickers(frame.as_of())
if picked is None:
    st.stop()
cohort, by = picked
frames = quality_views.frames(engine, cohort, by)
st.caption(
    _(
        "Cohort: leads created {cohort}; a lead counts at a stage when it reached it, "
        "whenever that happened."
    ).format(cohort=cohort.label())
)
quality_views.table(frames[by], cohort, by)

section = (
    st.segmented_control(
        _("Show"),
        list(SECTIONS),
        default="Funnel",
        format_func=lambda key: _(SECTIONS[key]).format(dimension=dimension_label(by).lower()),
        key="quality_section",
    )
    or "Funnel"
)
if section == "Funnel":
    quality_views.funnel(frames[by])
elif section == "By":
    quality_views.conversion(frames[by], by)
elif section == "Rejection reasons":
    quality_views.reasons(engine, cohort, by)
elif section == "Cohorts":
    quality_views.heatmap(engine, cohort)
else:
    quality_views.offers(frames["first_conversion"])
