"""Lead quality — which sources, campaigns, offers and personas bring leads that sales
accepts and closes."""

import streamlit as st

from smarketing.quality.cohorts import DIMENSION_LABELS
from smarketing.ui import frame, quality_views

engine = frame.engine()

st.title("Lead quality")
picked = quality_views.pickers(frame.as_of())
if picked is None:
    st.stop()
cohort, by = picked
frames = quality_views.frames(engine, cohort, by)
st.caption(
    f"Cohort: leads created {cohort.label()}; a lead counts at a stage when it "
    "reached it, whenever that happened."
)
quality_views.table(frames[by], cohort, by)

section = (
    st.segmented_control(
        "Show",
        [
            "Funnel",
            f"By {DIMENSION_LABELS[by].lower()}",
            "Rejection reasons",
            "Cohorts",
            "Best offers",
        ],
        default="Funnel",
        key="quality_section",
    )
    or "Funnel"
)
if section == "Funnel":
    quality_views.funnel(frames[by])
elif section.startswith("By "):
    quality_views.conversion(frames[by], by)
elif section == "Rejection reasons":
    quality_views.reasons(engine, cohort, by)
elif section == "Cohorts":
    quality_views.heatmap(engine, cohort)
else:
    quality_views.offers(frames["first_conversion"])
