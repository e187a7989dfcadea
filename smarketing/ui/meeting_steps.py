"""What each kind of agenda step shows in meeting mode. Every renderer takes the engine, the
actor, the meeting, the step and the day the figures count up to (the day before the
meeting)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, config, formatting
from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.content import campaigns
from smarketing.formatting import figure
from smarketing.i18n import N_, _, ngettext
from smarketing.meetings import actions, attendance, closing, records, running
from smarketing.meetings.minutes import SIDE_TEXT
from smarketing.meetings.scorecard import frozen_scorecard, scorecard_day, snapshot_frame
from smarketing.quality.cohorts import Cohort
from smarketing.quality.movements import movements
from smarketing.safe_text import safe_markdown as safe
from smarketing.sla import metrics as sla
from smarketing.sla.periods import period_containing
from smarketing.store.models import Meeting
from smarketing.ui import (
    meeting_prefetch,
    meeting_views,
    quality_views,
    sla_data,
    sla_views,
    widgets,
)
from smarketing.ui.resources import data_key, session

#: A review outcome in a sentence; translated where shown.
OUTCOME_WORD = {"done": N_("✔ done"), "carried": N_("↻ carried over"), "dropped": N_("✖ dropped")}
#: The period kinds an action can name (database values), in the order offered.
ACTION_PERIODS = ["week", "month", "quarter"]


def _now() -> datetime:
    return widgets.now()


def _percent(value) -> str:
    """'64 %' style share, '—' when there is none."""
    return "—" if value is None or pd.isna(value) else formatting.percent(value, digits=0)


def _side(side: str) -> str:
    """'marketing' (a metric's side) in the language speaking, in lower case."""
    return _(SIDE_TEXT[side]).lower() if side in SIDE_TEXT else side


def _kinds(meeting: Meeting) -> tuple[str, str]:
    return ("month", "quarter") if meeting.kind == "monthly" else ("week", "month")


def _reports(engine: Engine, meeting: Meeting, day: date) -> list[sla.SlaReport]:
    return [sla_data.report(engine, k, day) for k in _kinds(meeting)]


def scorecard(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """The two-sided scorecard as it stands, then the trailing periods."""
    frozen = frozen_scorecard(meeting)
    if frozen:
        st.caption(
            _("Frozen when the meeting closed ({time} UTC).").format(
                time=frozen["computed_at"][:16].replace("T", " ")
            )
        )
        st.vega_lite_chart(
            charts.scorecard_chart(snapshot_frame(frozen), font_size=16).to_dict(),
            width="stretch",
        )
        return
    st.caption(
        _("Counted up to and including {day}.").format(day=formatting.day(day, weekday=True))
    )
    spec = sla_data.scorecard_spec(engine, _kinds(meeting), day, font_size=19, row_height=54)
    st.vega_lite_chart(spec, width="stretch")
    kind = "month" if meeting.kind == "monthly" else "week"
    if kind == "month":
        last = ngettext("**The last {n} month**", "**The last {n} months**", 13)
    else:
        last = ngettext("**The last {n} week**", "**The last {n} weeks**", 13)
    st.markdown(last.format(n=13))
    trailing = sla.scorecard_frame(sla_data.trailing(engine, kind, day), short=True)
    st.vega_lite_chart(
        charts.scorecard_chart(trailing, font_size=15, row_height=46).to_dict(), width="stretch"
    )
    st.caption(_("✔ on track · ▲ at risk · ✖ off track · … too early · – no data · * so far"))


def sla_challenges(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Every red or amber metric with its recorded causes, and a prompt where none is."""
    shown = 0
    for report in _reports(engine, meeting, day):
        kind = str(report.period.kind)
        recorded = sla_data.period_causes(engine, kind, day)
        with session(engine) as s:
            names = people.display_names(s, list(recorded["author"]))
        for m in report.metrics:
            if m.status not in (sla.Status.red, sla.Status.amber):
                continue
            shown += 1
            mine = recorded[recorded["metric"] == m.key]
            st.markdown(
                f"#### {sla_views.badge(m.status)} {_(m.label)} · {report.period.label()}: "
                f"{figure(m.kind, m.actual)}"
            )
            for row in mine.itertuples():
                who = people.name_in(names, row.author)
                st.markdown(f"**{safe(_(row.category))}** — {safe(who)}: {safe(row.text)}")
            if mine.empty:
                st.warning(_("No cause recorded yet: why did this happen?"), icon=":material/help:")
                sla_views.cause_form(engine, actor, m, report.period, suffix=f"_{kind}")
    if not shown:
        st.success(_("Every metric is green (or too early to judge). 🎉"))


def _cohorts(meeting: Meeting, day: date) -> tuple[Cohort, Cohort]:
    """The lead-quality step's cohorts: the last week (month) and the one before."""
    span = 28 if meeting.kind == "monthly" else 7
    now = Cohort(day - timedelta(days=span - 1), day)
    return now, Cohort(now.start - timedelta(days=span), now.start - timedelta(days=1))


@st.cache_data(show_spinner=False, max_entries=32)
def _movements(_engine: Engine, key, now: Cohort, before: Cohort) -> pd.DataFrame:
    with session(_engine) as s:
        return movements(s, now, before)


def lead_quality(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """The biggest movements by source, campaign and persona, and why sales rejected leads."""
    now, before = _cohorts(meeting, day)
    frame = _movements(engine, data_key(engine), now, before)
    st.markdown(
        _("**Biggest movements** · leads created {now} against {before}").format(
            now=now.label(), before=before.label()
        )
    )
    if frame.empty:
        st.caption(_("Too few leads to compare."))
    else:
        columns = [
            "dimension_label",
            "value",
            "leads_now",
            "leads_before",
            "leads_change",
            "acceptance_now",
            "acceptance_before",
        ]
        shown = frame.assign(
            acceptance_now=[_percent(v) for v in frame["acceptance_now"]],
            acceptance_before=[_percent(v) for v in frame["acceptance_before"]],
            value=[v if isinstance(v, str) and v else _("(none)") for v in frame["value"]],
            dimension_label=[_(v) if isinstance(v, str) else v for v in frame["dimension_label"]],
        )[columns]
        st.dataframe(
            shown,
            column_config={
                "dimension_label": _("By"),
                "value": _("Value"),
                "leads_now": st.column_config.NumberColumn(_("Leads now"), format="%d"),
                "leads_before": st.column_config.NumberColumn(_("Before"), format="%d"),
                "leads_change": st.column_config.NumberColumn(_("Change"), format="%+d"),
                "acceptance_now": _("Accepted now"),
                "acceptance_before": _("Accepted before"),
            },
            hide_index=True,
            width="stretch",
        )
    st.markdown(_("**Why sales rejected leads** (by source)"))
    quality_views.reasons(engine, now, "source")


def campaign_news(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Briefs published since the last meeting of this kind (or in the last week)."""
    since = day - timedelta(days=(30 if meeting.kind == "monthly" else 7) - 1)
    with session(engine) as s:
        frame = campaigns.campaign_list(s, actor=actor, as_of=meeting.held_on)
    start = datetime.combine(since, datetime.min.time(), config.business_tz())
    fresh = frame[frame["published_at"].notna()]
    fresh = fresh[[t >= start for t in fresh["published_at"]]]
    st.markdown(
        _("**New and changed briefings** since {day}").format(day=formatting.short_day(since))
    )
    if fresh.empty:
        st.caption(_("No brief was published in that time."))
    for row in fresh.itertuples():
        st.page_link(
            "app_pages/campaigns.py",
            label=f"{safe(row.name)} — v{row.published_version}, "
            f"{widgets.local_time(row.published_at)}",
            icon=":material/campaign:",
            query_params={"campaign": str(row.id)},
        )
    active = frame[frame["status"] == "active"]
    if not active.empty:
        st.markdown(_("**Active campaigns:** {names}").format(names=", ".join(active["name"])))


def free_note(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """A step that is only notes."""
    st.caption(_("Write it down below: product news, persona updates, anything both teams need."))


def actions_review(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """The open actions of earlier meetings: done, carried over or dropped (with a reason)."""
    with session(engine) as s:
        todo = actions.actions_for_review(s, meeting.id)
        reviews = {r.action_id: r for r in actions.reviews_in(s, meeting.id)}
        names = people.display_names(
            s, [a.owner for a in todo] + [r.reviewed_by for r in reviews.values()]
        )
    if not todo:
        st.success(_("No open actions from earlier meetings."))
        return
    can = allowed(actor, "action.update") and not records.is_closed(meeting)
    late = sum(1 for a in todo if a.status == "open" and a.due_date < meeting.held_on)
    st.markdown(
        ngettext(
            "**{n} action to review** · {late} overdue",
            "**{n} actions to review** · {late} overdue",
            len(todo),
        ).format(n=formatting.count(len(todo)), late=formatting.count(late))
    )
    for a in todo:
        review = reviews.get(a.id)
        overdue = a.status == "open" and a.due_date < meeting.held_on
        with st.container(border=True):
            left, right = st.columns([3, 2])
            flag = ":red-badge[{text}] ".format(text=_("overdue")) if overdue else ""
            line = f"{flag}**{safe(a.title)}**  \n{safe(people.name_in(names, a.owner))} · "
            line += _("due {day}").format(day=formatting.short_day(a.due_date))
            if a.carried_over:
                line += _(" · carried {n}×").format(n=a.carried_over)
            if a.metric:
                line += _(" · metric: {metric}").format(metric=actions.metric_label(a.metric))
            left.markdown(line)
            if review:
                by = people.name_in(names, review.reviewed_by)
                left.markdown(
                    _("**{outcome}** by {name}").format(
                        outcome=_(OUTCOME_WORD[review.outcome]), name=safe(by)
                    )
                    + (f" — {safe(review.note)}" if review.note else "")
                )
            with right:
                _review_buttons(engine, actor, meeting, a.id, can)


def _review_buttons(engine: Engine, actor: Actor, meeting: Meeting, action_id: int, can: bool):
    reason = st.text_input(
        _("Reason (to drop)"),
        key=f"drop_reason_{action_id}",
        label_visibility="collapsed",
        placeholder=_("Reason, if you drop it"),
    )
    cols = st.columns(3)
    for col, outcome, label in zip(
        cols, ("done", "carried", "dropped"), (_("Done"), _("Carry over"), _("Drop")), strict=True
    ):
        if col.button(label, key=f"review_{outcome}_{action_id}", disabled=not can):
            widgets.save(
                engine,
                _("Marked {outcome}.").format(outcome=_(OUTCOME_WORD[outcome])),
                lambda s, o=outcome: actions.review_action(
                    s,
                    actor=actor,
                    action_id=action_id,
                    meeting_id=meeting.id,
                    outcome=o,
                    note=reason,
                    now=_now(),
                ),
            )


def new_actions(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Capture actions with owner, due date and the metric (and period) they address."""
    with session(engine) as s:
        owners = dict(actions.owner_choices(s))
        made = actions.actions_created_in(s, meeting.id)
        names = people.display_names(s, [a.owner for a in made])
    for a in made:
        who = people.name_in(names, a.owner)
        st.markdown(
            _("- **{action}** — {owner}, due {day}").format(
                action=safe(a.title), owner=safe(who), day=formatting.day(a.due_date)
            )
            + (f" · {actions.metric_label(a.metric)}" if a.metric else "")
        )
    can = allowed(actor, "meeting.run") and not records.is_closed(meeting)
    metrics = {m.key: f"{_(m.label)} ({_side(m.side)})" for m in sla.METRICS}
    # the form empties only once the action is saved: a refused one keeps what was typed
    with st.form(f"new_action_{meeting.id}"):
        title = st.text_input(_("What will be done?"), key="action_title", max_chars=300)
        c1, c2, c3, c4 = st.columns([2, 1, 2, 1])
        owner = c1.selectbox(_("Owner"), list(owners), format_func=owners.get, key="action_owner")
        due = c2.date_input(
            _("Due"),
            value=meeting.held_on + timedelta(days=7),
            key="action_due",
            format=widgets.date_input_format(),
        )
        metric = c3.selectbox(
            _("Metric it addresses"),
            [None, *metrics],
            format_func=lambda k: metrics.get(k, "—"),
            key="action_metric",
        )
        kind = c4.selectbox(
            _("Period"),
            ACTION_PERIODS,
            format_func={k: actions.period_kind_text(k) for k in ACTION_PERIODS}.get,
            key="action_period",
        )
        if st.form_submit_button(_("Add the action"), disabled=not can, type="primary"):
            widgets.save(
                engine,
                _("Action added: it is reviewed at the next meeting."),
                lambda s: actions.add_action(
                    s,
                    actor=actor,
                    title=title,
                    owner=owner,
                    due_date=due,
                    metric=metric,
                    period_kind=kind if metric else None,
                    period_start=period_containing(kind, day).start if metric else None,
                    meeting_id=meeting.id,
                    today=meeting.held_on,
                ),
                clear=("action_title", "action_metric"),
            )


def _decider_choices(engine: Engine, meeting: Meeting) -> dict[str, str]:
    """Who can be picked as 'decided by': the attendees first, then the other people."""
    with session(engine) as s:
        listed = records.attendee_frame(s, meeting.id)
        known = people.directory(s)
    choices = {
        (row.username or row.guest_name): row.name for row in listed.itertuples() if row.name
    }
    others = sorted(
        ((u, n) for u, n in known.items() if u not in people.APP_ACTORS and u not in choices),
        key=lambda item: item[1].lower(),
    )
    return {**choices, **dict(others)}


def decisions(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Decisions as their own records: text, who decided, linked metric or SLA version."""
    with session(engine) as s:
        frame = records.decisions_for(s, meeting.id)
        names = people.display_names(s, people.people_in(frame["decided_by"]))
    for row in frame.itertuples():
        link = f" · {actions.metric_label(row.metric)}" if row.metric else ""
        link += f" · SLA v{int(row.sla_version)}" if pd.notna(row.sla_version) else ""
        by = people.people_text(names, row.decided_by)
        st.markdown(f"- **{safe(row.text)}** — {safe(by)}{link}")
    can = allowed(actor, "meeting.run") and (
        not records.is_closed(meeting) or allowed(actor, "meeting.correct_closed")
    )
    metrics = {m.key: _(m.label) for m in sla.METRICS}
    choices = _decider_choices(engine, meeting)
    # the form empties only once the decision is saved: a refused one keeps what was typed
    with st.form(f"decision_{meeting.id}_{step['key']}"):
        text = st.text_area(_("Decision"), key=f"decision_text_{step['key']}", max_chars=2000)
        c1, c2, c3 = st.columns([2, 2, 1])
        who = c1.multiselect(
            _("Decided by"),
            list(choices),
            format_func=lambda u: choices.get(u, u),
            accept_new_options=True,
            key=f"decision_by_{step['key']}",
            placeholder=_("Pick people (or type, e.g. “both teams”)"),
        )
        metric = c2.selectbox(
            _("Linked metric"),
            [None, *metrics],
            format_func=lambda k: metrics.get(k, "—"),
            key=f"decision_metric_{step['key']}",
        )
        version = c3.number_input(
            _("SLA version"), min_value=1, value=None, step=1, key=f"decision_sla_{step['key']}"
        )
        if st.form_submit_button(_("Record the decision"), disabled=not can):
            widgets.save(
                engine,
                _("Decision recorded."),
                lambda s: running.add_decision(
                    s,
                    actor=actor,
                    meeting_id=meeting.id,
                    text=text,
                    decided_by=list(who),
                    decided_on=meeting.held_on,
                    metric=metric,
                    sla_version=int(version) if version else None,
                ),
                clear=tuple(
                    f"decision_{part}_{step['key']}" for part in ("text", "by", "metric", "sla")
                ),
            )
    if step["kind"] == "decisions":
        st.markdown(_("**Course change?** Propose a new SLA version (admin and leadership):"))
        sla_views.agreement_panel(engine, actor, "month", day)


RATINGS = [None, *range(1, 11)]


def _ratings(engine: Engine, actor: Actor, meeting: Meeting) -> None:
    """Every attendee's 1–10 rating: the facilitator (or an admin) records anyone's from the
    projector laptop; everyone else rates for themselves."""
    with session(engine) as s:
        average, count = records.rating_summary(s, meeting.id)
        mine = records.rating_of(s, meeting.id, actor.username)
        listed = records.attendee_frame(s, meeting.id)
        facilitator = people.display_name(s, meeting.facilitator)
    if count:
        summary = ngettext(
            "{average} / 10 from {n} rating", "{average} / 10 from {n} ratings", count
        ).format(average=formatting.decimal(average, 1), n=formatting.count(count))
    else:
        summary = _("no ratings yet")
    st.markdown(_("**How was this meeting?** {summary}").format(summary=summary))
    if records.is_closed(meeting):
        return
    records_all = actor.username == meeting.facilitator or allowed(actor, "meeting.correct_closed")
    if records_all and not listed.empty:
        with st.form(f"ratings_{meeting.id}"):
            st.caption(
                _("Attendees' ratings, recorded by the facilitator ({name}).").format(
                    name=safe(facilitator)
                )
            )
            picked = {}
            columns = st.columns(min(len(listed), 4))
            for i, row in enumerate(listed.itertuples()):
                current = None if pd.isna(row.rating) else int(row.rating)
                picked[int(row.id)] = (
                    current,
                    columns[i % len(columns)].selectbox(
                        row.name,
                        RATINGS,
                        index=RATINGS.index(current),
                        format_func=lambda r: "—" if r is None else str(r),
                        key=f"rating_of_{meeting.id}_{row.id}",
                    ),
                )
            if st.form_submit_button(_("Save the ratings")):

                def write(s):
                    for attendee_id, (before, rating) in picked.items():
                        if rating != before:
                            attendance.rate_attendee(
                                s,
                                actor=actor,
                                meeting_id=meeting.id,
                                attendee_id=attendee_id,
                                rating=rating,
                            )

                widgets.save(engine, _("Ratings saved."), write)
        return
    if records_all:
        st.caption(_("List the attendees (Meetings page, or below) to record everyone's rating."))
    else:
        st.caption(
            _("The facilitator ({name}) can record everyone's ratings.").format(
                name=safe(facilitator)
            )
        )
    rating = st.slider(_("Your rating"), 1, 10, value=mine or 7, key=f"rating_{meeting.id}")
    if st.button(_("Save my rating"), key=f"rate_{meeting.id}"):
        widgets.save(
            engine,
            _("Thanks — rating saved."),
            lambda s: attendance.rate_meeting(s, actor=actor, meeting_id=meeting.id, rating=rating),
        )


def wrap_up(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Decisions, the attendees and their 1–10 ratings, and closing the meeting into its
    minutes."""
    decisions(engine, actor, meeting, step, day)
    _ratings(engine, actor, meeting)
    if records.is_closed(meeting):
        return
    with st.expander(_("Attendees and facilitator"), icon=":material/group:"):
        meeting_views.attendee_editor(engine, actor, meeting)
    st.divider()
    sure = st.checkbox(
        _("Everything is captured — close the meeting and write the minutes"),
        key=f"close_sure_{meeting.id}",
    )
    if st.button(
        _("Close the meeting"), key=f"close_{meeting.id}", disabled=not sure, type="primary"
    ):
        widgets.save(
            engine,
            _(
                "Closed: the minutes are written, the open actions carried over and the next "
                "meeting planned."
            ),
            lambda s: closing.close_meeting(s, actor=actor, meeting_id=meeting.id, now=_now()),
        )


def trends(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Month by month: the trailing 13 months of the scorecard."""
    sla_views.scorecard(engine, actor, "month", day)


def sla_history(engine: Engine, actor: Actor, meeting: Meeting, step: dict, day: date) -> None:
    """Every SLA version, its targets, who proposed and who confirmed it."""
    history = sla_data.history(engine)
    if not history:
        st.info(_("No SLA agreement yet."))
        return
    with session(engine) as s:
        names = people.display_names(
            s,
            [
                u
                for h in history
                for u in (h["proposed_by"], h["marketing_confirmed"], h["sales_confirmed"])
            ],
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Version"): h["version"],
                    _("In effect from"): _history_day(h["effective_from"]),
                    _("State"): _state_text(h),
                    _("Why"): h["reason"] or "—",
                    _("Proposed by"): people.name_in(names, h["proposed_by"]),
                    _("Confirmed for marketing"): people.name_in(names, h["marketing_confirmed"]),
                    _("Confirmed for sales"): people.name_in(names, h["sales_confirmed"]),
                    _("What changed"): "; ".join(str(c) for c in h["changes"] or []) or "—",
                }
                for h in history
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _state_text(version: dict) -> str:
    """An SLA version's state ('in effect') in the language speaking."""
    state = version.get("state")
    return _(state) if isinstance(state, str) and state else formatting.text(state)


def _history_day(value) -> str:
    """An SLA version's first day as people read it ('—' when it has none)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return formatting.day(value) if isinstance(value, date) else formatting.text(value)


def _scorecard_figures(engine: Engine, meeting: Meeting, day: date) -> None:
    _reports(engine, meeting, day)
    sla_data.trailing(engine, "month" if meeting.kind == "monthly" else "week", day)


def _lead_quality_figures(engine: Engine, meeting: Meeting, day: date) -> None:
    now, before = _cohorts(meeting, day)
    _movements(engine, data_key(engine), now, before)
    quality_views.reasons_figures(engine, now, "source")


#: What each kind of step computes (into the caches) before it is drawn: meeting mode
#: computes the next step's while the room reads the current one.
FIGURES = {
    "scorecard": _scorecard_figures,
    "sla_challenges": _reports,
    "lead_quality": _lead_quality_figures,
    "trends": lambda engine, meeting, day: sla_data.trailing(engine, "month", day),
}


def prefetch(engine: Engine, meeting: Meeting, step: dict, as_of: date) -> None:
    """Start computing ``step``'s figures in the background (see meeting_prefetch)."""
    day = min(scorecard_day(meeting.held_on), as_of)
    meeting_prefetch.start(FIGURES.get(step["kind"]), engine, meeting, day)


RENDERERS = {
    "scorecard": scorecard,
    "sla_challenges": sla_challenges,
    "lead_quality": lead_quality,
    "campaigns": campaign_news,
    "free_note": free_note,
    "actions_review": actions_review,
    "new_actions": new_actions,
    "wrap_up": wrap_up,
    "trends": trends,
    "sla_history": sla_history,
    "decisions": decisions,
}


def render(engine: Engine, actor: Actor, meeting: Meeting, step: dict, as_of: date) -> None:
    """Show one agenda step; figures count up to the day before the meeting (or the as-of
    day, when that is earlier)."""
    day = min(scorecard_day(meeting.held_on), as_of)
    RENDERERS.get(step["kind"], free_note)(engine, actor, meeting, step, day)
