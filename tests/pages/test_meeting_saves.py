"""Every write on the Meetings, Meeting mode and Actions pages shows its result on the same
screen at once (issue 13, defect 2) — and the new meeting behaviour behind defects 3, 4, 5,
9 and 12: the note box that never empties a note, start on another day, closed meetings
always listed, attendees and the facilitator's ratings, names instead of usernames.

The save paths the whole-meeting test in test_meetings_pages.py already checks on screen
(actions review, new action, decision, own rating, close, action status) are not repeated.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from smarketing.auth import sessions, users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.meetings import attendance, closing, planning, records, running
from smarketing.store.models import utcnow
from smarketing.ui import meeting_mode, meeting_notes, widgets
from smarketing.ui.auth import SESSION
from tests.pages.conftest import PEOPLE, logged_in, open_session, texts
from tests.pages.test_meetings_pages import (
    ADMIN,
    AS_OF,
    NOW,
    ON_THE_DAY,
    box,
    button,
    demo,
    errors,
    go_to,
    note_key,
    open_mode,
    sqlite_template,
    stored_note,
)

FIXTURES = (demo, sqlite_template)  # shared with test_meetings_pages.py


@pytest.fixture(autouse=True)
def wall_clock(monkeypatch) -> dict:
    """The meeting screens' clock (widgets.now), at NOW unless a test moves it."""
    at = {"now": NOW}
    monkeypatch.setattr(widgets, "now", lambda: at["now"])
    return at


def meetings_page(username: str, as_of: date = AS_OF):
    at = logged_in(username, PEOPLE[username], as_of=as_of)
    at.switch_page("app_pages/meetings.py").run()
    assert not at.exception
    return at


def cards(at, kind: str = "") -> list[str]:
    """The "next meetings" lines: '**title** · day · state · N min planned' (of a kind:
    'Weekly' or 'Leadership'; the demo plans no December monthly, so the page does)."""
    return [m.value for m in at.markdown if " min planned" in m.value and kind in m.value]


def submit(at, label: str, form: str):
    """The submit button with this label in the form with this key."""
    [found] = [b for b in at.button if b.label == label and form in b.id]
    return found


# --- the Meetings page --------------------------------------------------------------------


def test_planning_a_meeting_shows_it_at_once(people):
    at = meetings_page("mia")
    assert "No meeting is planned." in texts(at)
    at.button(key="plan_weekly").click().run()
    assert "Planned (if it was not already)." in texts(at)
    assert cards(at) == [
        "**Weekly smarketing — week 48** · Monday 23 November 2026 · planned · 40 min planned"
    ]
    assert "No meeting is planned." not in texts(at)


def test_creating_a_meeting_shows_it_at_once(people):
    at = meetings_page("lea")
    at.selectbox(key="mt_kind").set_value("monthly")
    at.date_input(key="mt_day").set_value(date(2026, 12, 7))
    button(at, "Create").click().run()
    assert "Meeting created with the agenda template." in texts(at)
    assert cards(at) == [
        "**Leadership monthly — December 2026** · Monday 07 December 2026 · planned · "
        "60 min planned"
    ]
    assert "Facilitator: Lea · Attendees: no attendees listed yet" in texts(at)


def test_saving_the_attendees_shows_them_at_once(demo, app_env):
    mid = demo.planned.id
    at = meetings_page("mia")
    assert "Facilitator: Sam Solberg · Attendees: no attendees listed yet" in texts(at)
    at.multiselect(key=f"attendees_people_{mid}").set_value(["mia", "maria.m"])
    at.multiselect(key=f"attendees_guests_{mid}").set_value(["Ole Olsen"])
    at.selectbox(key=f"attendees_facilitator_{mid}").set_value("mia")
    submit(at, "Save the attendees", f"attendees_{mid}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Attendees saved." in texts(at)
    assert "Facilitator: Mia · Attendees: Maria Moe, Mia, Ole Olsen" in texts(at)
    with Session(app_env) as s:
        assert records.meeting_by_id(s, mid).facilitator == "mia"


def test_a_meeting_closed_before_its_day_is_in_the_past_meetings(demo, app_env):
    """Issue 13, defect 4: started and closed on the Sunday before its Monday."""
    sunday = date(2026, 11, 22)
    at_five = datetime(2026, 11, 22, 16, tzinfo=UTC)
    with Session(app_env) as s:
        running.start_meeting(
            s, actor=ADMIN, meeting_id=demo.planned.id, now=at_five, on_another_day=True
        )
        closing.close_meeting(s, actor=ADMIN, meeting_id=demo.planned.id, now=at_five)
    at = meetings_page("sam", as_of=sunday)
    assert at.selectbox(key="mt_pick").value == demo.planned.id, "the newest past meeting"
    assert f"# {demo.planned.title}\n" in texts(at)
    assert "- **Held:** Sunday 22 November 2026, started 17:00" in texts(at)
    assert cards(at, "Weekly") == [  # the next one was planned when it closed
        "**Weekly smarketing — week 49** · Monday 30 November 2026 · planned · 40 min planned"
    ]


# --- meeting mode: start ------------------------------------------------------------------


def test_starting_on_the_day_shows_the_running_meeting(demo, wall_clock):
    wall_clock["now"] = ON_THE_DAY
    at = open_mode("mia", demo.planned.id)
    at.button(key="meeting_start").click().run()
    assert "The meeting is running." in texts(at)
    assert ":green-badge[:material/radio_button_checked: running]" in texts(at)
    assert not at.button(key="step_pause").disabled


def test_starting_on_another_day_asks_once(demo, app_env):
    mid = demo.planned.id  # Monday 23 November; the clock says Wednesday 18 November
    at = open_mode("mia", mid)
    at.button(key="meeting_start").click().run()
    question = "is planned for Monday 23 Nov — start it today, Wednesday 18 Nov?"
    assert question in texts(at)
    at.button(key="meeting_start_not_now").click().run()
    assert question not in texts(at)
    with Session(app_env) as s:
        assert records.meeting_by_id(s, mid).status == "planned"
    at.button(key="meeting_start").click().run()
    at.button(key="meeting_start_today").click().run()
    assert "The meeting is running." in texts(at) and question not in texts(at)
    with Session(app_env) as s:
        started = records.meeting_by_id(s, mid)
    assert (started.status, started.held_on) == ("running", date(2026, 11, 23))


# --- meeting mode: notes (defect 3) ---------------------------------------------------------


def test_an_emptied_box_keeps_the_note_and_delete_empties_it(demo, app_env):
    mid = demo.planned.id
    at = open_mode("mia", mid)
    assert not [b for b in at.button if b.label == "Delete my note"]
    box(at, mid, "scorecard").input("Webinar MQLs waited two days.").run()
    assert any(c.value.startswith("✔ Saved at ") for c in at.caption)
    box(at, mid, "scorecard").input("").run()
    assert box(at, mid, "scorecard").value == "Webinar MQLs waited two days.", "put back"
    assert "an empty box does not delete it" in "\n".join(i.value for i in at.info)
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("Webinar MQLs waited two days.", 1)
    button(at, "Delete my note").click().run()
    assert box(at, mid, "scorecard").value == ""
    assert "✔ Note deleted (the audit log keeps it)." in [c.value for c in at.caption]
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("", 2)
    assert not [b for b in at.button if b.label == "Delete my note"]


def test_an_empty_box_on_a_step_without_a_note_writes_nothing(demo, app_env):
    mid = demo.planned.id
    at = open_mode("sam", mid)
    go_to(at, 1)
    box(at, mid, "sla_challenges").input("x").run()
    box(at, mid, "sla_challenges").input("").run()  # typed, then emptied before leaving
    assert stored_note(app_env, mid, "sla_challenges", "sam").body == "x"
    go_to(at, 2)
    box(at, mid, "lead_quality").input(" ").run()
    assert stored_note(app_env, mid, "lead_quality", "sam") is None


def test_a_step_revisited_gets_a_fresh_box_with_the_stored_note(demo, app_env):
    mid = demo.planned.id
    at = open_mode("mia", mid)
    first = box(at, mid, "scorecard").key
    box(at, mid, "scorecard").input("One").run()
    go_to(at, 1)
    go_to(at, 0)
    assert box(at, mid, "scorecard").key != first, "a new key per load"
    assert box(at, mid, "scorecard").value == "One"


def test_a_note_typed_in_a_tab_whose_session_ended_is_not_saved_but_kept(demo, app_env):
    """A note box saves in its on_change callback, which Streamlit runs before the script
    (and so before the login gate): the callback itself checks the session."""
    mid = demo.planned.id
    at = open_mode("mia", mid)
    with Session(app_env) as s:  # an admin resets mia's password: her sessions end
        users.set_password(s, actor=CLI_ACTOR, username="mia", password="another good one 1")
    box(at, mid, "scorecard").input("Typed after the session ended.").run()
    assert stored_note(app_env, mid, "scorecard", "mia") is None
    assert "Your password was changed" in texts(at)  # the login form, with the reason
    with Session(app_env) as s:  # mia logs in again in the same tab: her text is back
        at.session_state[SESSION] = sessions.start(s, username="mia", now=utcnow()).id
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "mia"
    at.switch_page("app_pages/meeting_mode.py").run()
    assert box(at, mid, "scorecard").value == "Typed after the session ended."
    assert "your session had ended" in errors(at)


def test_a_note_whose_save_streamlit_cut_short_is_saved_by_the_next_run(demo, app_env, monkeypatch):
    """Streamlit stops a run — a callback too — at its next session-state access when the
    browser sends the next rerun, and never calls that on_change again for the value. Seen
    in a browser (tests/e2e/test_note_race.py, under load): the facilitator typed a note,
    pressed PageDown, and the note was lost. Here the callback does nothing (it was cut
    short) and the same run steps on: the note is saved all the same, once."""
    mid = demo.planned.id
    monkeypatch.setattr(meeting_notes, "_typed", lambda *args: None)
    at = open_mode("mia", mid)
    box(at, mid, "scorecard").input("Typed, then PageDown at once.")
    go_to(at, 1)
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("Typed, then PageDown at once.", 1)
    go_to(at, 0)
    go_to(at, 1)
    assert stored_note(app_env, mid, "scorecard", "mia").revision == 1, "saved once"
    assert stored_note(app_env, mid, "sla_challenges", "mia") is None


def test_a_note_cut_short_is_not_saved_as_the_next_person_on_the_tab(demo, app_env, monkeypatch):
    """mia types (her save cut short) and leaves; ada logs in on the same tab (the wall
    screen): mia's text is not saved as ada's note, and ada's box is her own."""
    mid = demo.planned.id
    monkeypatch.setattr(meeting_notes, "_typed", lambda *args: None)
    at = open_mode("mia", mid)
    box(at, mid, "scorecard").input("mia's words")
    at.session_state["username"] = "ada"
    at.session_state["name"] = "Ada"
    at.session_state["roles"] = ["admin"]
    at.session_state[SESSION] = open_session("ada")
    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    assert stored_note(app_env, mid, "scorecard", "ada") is None
    assert box(at, mid, "scorecard").value == ""


def test_spaces_in_an_empty_box_are_not_saved_again_and_again(demo, app_env, monkeypatch):
    """Only spaces in a box on a step without a note: nothing to save, and no run tries."""
    mid = demo.planned.id
    at = open_mode("mia", mid)
    saves = []
    real = meeting_notes._save
    monkeypatch.setattr(meeting_notes, "_save", lambda *a, **k: saves.append(1) or real(*a, **k))
    box(at, mid, "scorecard").input("   ").run()
    at.run()
    at.run()
    assert saves == [] and stored_note(app_env, mid, "scorecard", "mia") is None


def test_keep_what_i_typed_cut_short_is_saved_by_the_next_run(demo, app_env, monkeypatch):
    """The person answers a conflict with "Keep what I typed here" and Streamlit cuts the
    callback short before its save: the next run saves the text."""
    mid = demo.planned.id
    key = note_key(mid, "scorecard")
    first, second = open_mode("mia", mid), open_mode("mia", mid)
    box(first, mid, "scorecard").input("From the laptop").run()
    box(second, mid, "scorecard").input("From the wall screen").run()
    assert "changed in another window" in "\n".join(w.value for w in second.warning)
    real = meeting_notes._save
    monkeypatch.setattr(meeting_notes, "_save", lambda *a, **k: None)  # cut short here
    second.button(key=f"keep_{key}").click().run()
    monkeypatch.setattr(meeting_notes, "_save", real)
    second.run()
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("From the wall screen", 2)


# --- meeting mode: causes, ratings ------------------------------------------------------------


def test_a_recorded_cause_replaces_the_prompt_at_once(demo):
    """Issue 13, defect 2: after "Cause recorded", "No cause recorded yet" stayed above it."""
    at = open_mode("sam", demo.planned.id)
    go_to(at, 1)  # SLA challenges: week 47 and November, counted up to 18 November
    prompts = [w for w in at.warning if w.value.startswith("No cause recorded yet")]
    key = "mqls_delivered_week"
    at.selectbox(key=f"cause_cat_{key}").set_value("Lead volume")
    at.text_area(key=f"cause_text_{key}").input("The webinar moved to December.")
    [submit] = [b for b in at.button if b.label == "Record cause" and key in b.id]
    submit.click().run()
    assert not at.exception
    assert "Cause recorded: it is shown with the metric and in the meeting's minutes." in texts(at)
    assert "**Lead volume** — Sam: The webinar moved to December." in texts(at)
    after = [w for w in at.warning if w.value.startswith("No cause recorded yet")]
    assert len(after) == len(prompts) - 1
    assert not [b for b in at.button if b.label == "Record cause" and key in b.id]


def test_the_facilitator_records_everyones_rating_on_the_projector(demo, app_env):
    mid = demo.planned.id
    with Session(app_env) as s:
        attendance.set_attendees(
            s, actor=ADMIN, meeting_id=mid, usernames=["mia", "sam"], guests=["Ole Olsen"]
        )
        running.set_facilitator(s, actor=ADMIN, meeting_id=mid, username="mia")
        ids = {r.name: int(r.id) for r in records.attendee_frame(s, mid).itertuples()}
    at = open_mode("mia", mid)
    go_to(at, 7)
    assert "no ratings yet" in texts(at)
    for name, rating in (("Mia", 8), ("Ole Olsen", 6), ("Sam", 10)):
        at.selectbox(key=f"rating_of_{mid}_{ids[name]}").set_value(rating)
    button(at, "Save the ratings").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Ratings saved." in texts(at)
    assert "**How was this meeting?** 8.0 / 10 from 3 ratings" in texts(at)
    sam = open_mode("sam", mid)  # not the facilitator: his own rating only
    go_to(sam, 7)
    assert "The facilitator (Mia) can record everyone's ratings." in texts(sam)
    assert not [b for b in sam.button if b.label == "Save the ratings"]
    assert sam.slider(key=f"rating_{mid}").value == 10


# --- names and empty cells (defect 9) --------------------------------------------------------


def test_meeting_screens_name_people_and_never_show_none(demo):
    at = open_mode("sam", demo.planned.id)
    shown = []
    for index in range(8):
        go_to(at, index)
        shown.append(texts(at))
        for frame in at.dataframe:
            values = frame.value.astype(object).where(frame.value.notna(), None)
            assert not any(v is None for v in values.to_numpy().ravel()), frame.value
    everything = "\n".join(shown)
    for username in ("sam.s", "maria.m", "jonas.b", "ida.l", "erik.s", "kari.n"):
        assert not re.search(rf"(?<![\w.]){re.escape(username)}(?![\w.])", everything), username
    assert "action(s)" not in everything and "rating(s)" not in everything
    actions_page = logged_in("sam", PEOPLE["sam"]).switch_page("app_pages/actions.py").run()
    [table] = actions_page.dataframe
    assert "—" in set(table.value["days_late"]) and None not in set(table.value["days_late"])
    assert not set(table.value["owner_name"]) & {"sam.s", "maria.m", "jonas.b"}
    assert "Maria Moe" in set(table.value["owner_name"])
    assert actions_page.selectbox(key="actions_owner").format_func("maria.m") == "Maria Moe"


def test_the_decisions_log_names_people_and_metrics(demo):
    at = meetings_page("lea")
    [log] = [f.value for f in at.dataframe if "decided_by" in f.value.columns]
    assert "Maria Moe (marketing), Sam Solberg (sales)" in set(log["decided_by"])
    assert not set(log["metric"]) & {"mqls_delivered", "sqls", "close_rate"}
    assert "MQLs delivered" in set(log["metric"])
    assert log.notna().all().all()


def test_meeting_mode_on_a_closed_meeting_is_its_minutes_for_every_role(demo):
    for username in PEOPLE:
        at = open_mode(username, demo.closed.id)
        assert "## Notes" in texts(at) and "Pause timer" not in [b.label for b in at.button]
        correcting = [
            t for t in at.toggle if t.key == f"{meeting_mode.CORRECTING}_{demo.closed.id}"
        ]
        assert bool(correcting) == (username == "ada")


def test_a_proposed_sla_version_shows_in_the_monthly_meeting_at_once(demo, app_env):
    with Session(app_env, expire_on_commit=False) as s:
        monthly = planning.create_meeting(
            s, actor=ADMIN, kind="monthly", held_on=date(2026, 12, 7), now=NOW
        )
    at = open_mode("lea", monthly.id)
    go_to(at, 3)  # decisions on course changes, with the proposal form
    [history] = [f.value for f in at.dataframe if "version" in f.value.columns]
    versions = list(history["version"])
    at.text_area(key="t_reason").input("Two more webinars a month")
    at.button(key="FormSubmitter:propose_sla-Propose version").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    new = max(versions) + 1
    assert f"Version {new} proposed" in texts(at)
    [history] = [f.value for f in at.dataframe if "version" in f.value.columns]
    assert history["version"].iloc[0] == new


def test_a_saved_agenda_template_shows_its_new_total_at_once(people):
    at = logged_in("mia", PEOPLE["mia"], as_of=AS_OF)
    at.session_state["tpl_editor_weekly"] = {
        "edited_rows": {0: {"minutes": 10}},  # the scorecard: 5 -> 10 minutes
        "added_rows": [],
        "deleted_rows": [],
    }
    at.switch_page("app_pages/meetings.py").run()
    assert "40 minutes planned." in texts(at)
    at.button(key="tpl_save_weekly").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Template saved: the next meetings use it." in texts(at)
    assert "45 minutes planned." in texts(at) and "40 minutes planned." not in texts(at)


# --- the next step is computed while the room reads this one (defect 11) ---------------------


def test_the_next_steps_figures_are_computed_before_pagedown(demo, monkeypatch):
    """On step 2 (SLA challenges) the lead-quality movements of step 3 are computed in the
    background; PageDown then draws step 3 without computing them again."""
    from smarketing.ui import meeting_prefetch, meeting_steps

    calls = []
    real = meeting_steps.movements
    monkeypatch.setattr(meeting_steps, "movements", lambda *args: calls.append(args) or real(*args))
    at = open_mode("mia", demo.planned.id)
    go_to(at, 1)  # SLA challenges: the lead quality step is next
    meeting_prefetch.wait(timeout=60)
    assert len(calls) == 1, "the next step's figures were computed in the background"
    at.button(key="step_next").click().run()
    assert not at.exception
    assert "Biggest movements" in texts(at)
    assert len(calls) == 1, "step 3 was drawn from what the prefetch computed"


def test_a_refused_decision_keeps_what_was_typed(demo):
    """The decision and new-action forms emptied themselves on submit, also when the save
    was refused: what was typed in the meeting was gone."""
    at = open_mode("mia", demo.planned.id)
    go_to(at, 7)  # wrap-up: decisions
    step = next(t.key for t in at.text_area if t.key and t.key.startswith("decision_text_"))
    suffix = step.removeprefix("decision_text_")
    at.text_area(key=step).input("   ")  # no decision written: refused by the domain
    at.selectbox(key=f"decision_metric_{suffix}").select("sqls")
    next(b for b in at.button if b.label == "Record the decision").click().run()
    assert at.error, "the refusal is shown"
    assert at.selectbox(key=f"decision_metric_{suffix}").value == "sqls", "still chosen"
    at.text_area(key=step).input("Webinars twice a month")
    at.multiselect(key=f"decision_by_{suffix}").select("mia")
    next(b for b in at.button if b.label == "Record the decision").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Webinars twice a month" in texts(at)
    assert at.text_area(key=step).value == "", "emptied once saved"
    assert at.selectbox(key=f"decision_metric_{suffix}").value is None
