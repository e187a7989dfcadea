"""The meeting pages with the demo company: Meetings, Meeting mode (every agenda step, the
timer, notes saved as typed, conflicts, failed saves, the whole meeting from the actions
review to the minutes and the carry-over), Actions and "My actions" on the Overview."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.demo import build_demo
from smarketing.meetings import actions, closing, planning, records
from smarketing.store import db
from smarketing.store.db import make_engine, upgrade_to_head
from smarketing.store.models import Action, AuditEntry, Meeting, MeetingNote
from smarketing.ui import meeting_mode, meeting_timer, resources, widgets
from tests.databases import on_postgres
from tests.pages.conftest import PASSWORD, PEOPLE, logged_in, texts, untranslated

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
AS_OF = date(2026, 11, 18)
#: Monday 23 November 2026, 09:00 in Oslo: the demo's planned weekly meeting, on its day.
ON_THE_DAY = datetime(2026, 11, 23, 8, tzinfo=UTC)
WEEKLY_STEPS = [
    "Scorecard",
    "SLA challenges",
    "Lead quality",
    "Campaigns",
    "Personas and product news",
    "Actions review",
    "New actions",
    "Wrap-up",
]
MONTHLY_STEPS = [
    "Trends by month",
    "SLA history",
    "Actions review",
    "Decisions on course changes",
    "Wrap-up",
]
ADMIN = Actor.of("ada", {"admin"})


@pytest.fixture(autouse=True)
def wall_clock(monkeypatch) -> dict:
    """The meeting screens' clock (widgets.now), at NOW unless a test moves it."""
    at = {"now": NOW}
    monkeypatch.setattr(widgets, "now", lambda: at["now"])
    return at


@dataclass(frozen=True)
class Demo:
    planned: Meeting  # the next weekly meeting (Monday 23 November), not started
    closed: Meeting  # last Monday's weekly meeting, closed with its minutes
    monthly: Meeting  # this month's leadership meeting, closed


def _people_and_demo(engine) -> None:
    with Session(engine) as s:
        for username, roles in PEOPLE.items():
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username=username,
                name=username.title(),
                email=f"{username}@example.com",
                roles=roles,
                password=PASSWORD,
            )
    build_demo(engine, leads=800, months=3, now=NOW, seed=5)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """On SQLite: one database file with the four people and the demo, copied into each
    test's database (hashing four passwords and writing the demo take ~3.5 s a test)."""
    if on_postgres():
        return None
    path = tmp_path_factory.mktemp("meetings") / "template.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")
        engine = make_engine(f"sqlite:///{path}")
        upgrade_to_head(engine)
        _people_and_demo(engine)
        engine.dispose()
    return path


@pytest.fixture
def demo(app_env, sqlite_template) -> Demo:
    """The four people of PEOPLE and the demo company (built on NOW) in the app's database."""
    if sqlite_template is None:
        _people_and_demo(app_env)
    else:
        app_env.dispose()
        source, target = sqlite3.connect(sqlite_template), sqlite3.connect(app_env.url.database)
        with source, target:
            source.backup(target)
        source.close()
        target.close()
    with Session(app_env, expire_on_commit=False) as s:
        weekly = records.meetings(s, kind="weekly")
        monthly = records.meetings(s, kind="monthly")
    planned = [m for m in weekly if m.status == "planned"]
    closed = [m for m in weekly if m.status == "closed"]
    assert len(planned) == 1 and closed and monthly[0].status == "closed"
    return Demo(planned=planned[0], closed=closed[0], monthly=monthly[0])


def open_mode(username: str, meeting_id: int | None = None, as_of: date = AS_OF):
    """Meeting mode as ``username`` (on ``meeting_id`` when given, via the session)."""
    at = logged_in(username, PEOPLE[username], as_of=as_of)
    if meeting_id is not None:
        at.session_state[meeting_mode.MEETING_KEY] = meeting_id
    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    return at


def heading(at) -> str:
    """The "Step i of n · title" heading on screen."""
    [shown] = [m.value for m in at.markdown if re.match(r"#+ Step \d", m.value)]
    return shown.lstrip("# ")


def button(at, label: str):
    """The one button (form submit buttons included) with this label."""
    [found] = [b for b in at.button if b.label == label]
    return found


def note_key(meeting_id: int, step: str) -> str:
    """The note box's base key (its retry, keep and take buttons are named after it)."""
    return f"note_{meeting_id}_{step}"


def box(at, meeting_id: int, step: str):
    """The logged-in person's note box for a step (its key grows a generation each time
    the box is loaded afresh)."""
    pattern = re.compile(rf"{note_key(meeting_id, step)}_\d+")
    [found] = [t for t in at.text_area if t.key and pattern.fullmatch(t.key)]
    return found


def stored_note(engine, meeting_id: int, step: str, author: str) -> MeetingNote | None:
    with Session(engine) as s:
        return records.note_of(s, meeting_id=meeting_id, step=step, author=author)


def go_to(at, index: int):
    """Jump to agenda step ``index`` (0-based) with the agenda strip."""
    at.button_group(key="agenda_strip").set_value(index).run()
    assert not at.exception
    return at


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def conflict(at) -> bool:
    """The "changed in another window" warning is on screen."""
    return any("changed in another window" in w.value for w in at.warning)


# --- every page, every role -----------------------------------------------------------------


@pytest.mark.parametrize("username", list(PEOPLE))
def test_meeting_pages_render_for_every_role(demo, username):
    at = logged_in(username, PEOPLE[username])
    at.switch_page("app_pages/meetings.py").run()
    assert not at.exception
    shown = texts(at)
    assert demo.planned.title in shown and "min planned" in shown
    assert [t.label for t in at.tabs][:4] == [
        "Next meetings",
        "Past meetings and minutes",
        "Decisions",
        "Agenda templates",
    ]
    assert demo.closed.title in shown, "the newest past meeting's minutes are shown"

    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    assert heading(at) == "Step 1 of 8 · Scorecard"
    assert f"# {demo.planned.title}" in texts(at)
    assert box(at, demo.planned.id, "scorecard").disabled is False

    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    assert re.search(r"\d+ actions?\*\* · overdue = open and past its due date", texts(at))
    assert len(at.dataframe) == 1


# --- every agenda step ------------------------------------------------------------------------


def walk(at, titles: list[str]) -> None:
    """Click "Next ▶" through the whole agenda, checking each step's heading."""
    n = len(titles)
    for i, title in enumerate(titles, start=1):
        assert not at.exception, f"step {i} ({title}): {at.exception}"
        assert heading(at) == f"Step {i} of {n} · {title}"
        assert at.button(key="step_prev").disabled == (i == 1)
        assert at.button(key="step_next").disabled == (i == n)
        if i < n:
            at.button(key="step_next").click().run()


def test_meeting_mode_renders_every_step_of_the_planned_weekly_meeting(demo):
    at = open_mode("mia")  # no meeting chosen: the one not yet closed
    assert at.session_state[meeting_mode.MEETING_KEY] == demo.planned.id
    walk(at, WEEKLY_STEPS)
    shown = texts(at)
    assert "How was this meeting?" in shown and "Close the meeting" in [b.label for b in at.button]


def test_meeting_mode_renders_every_step_of_a_monthly_meeting_from_its_address(demo, app_env):
    with Session(app_env, expire_on_commit=False) as s:
        planned = planning.create_meeting(
            s, actor=ADMIN, kind="monthly", held_on=date(2026, 12, 7), now=NOW
        )
    at = logged_in("lea", PEOPLE["lea"])
    at.query_params["meeting"] = str(planned.id)
    at.switch_page("app_pages/meeting_mode.py").run()
    assert f"# {planned.title}" in texts(at)
    walk(at, MONTHLY_STEPS)
    assert "Close the meeting" in [b.label for b in at.button]


@pytest.mark.parametrize("which", ["closed", "monthly"])
def test_a_closed_meeting_in_meeting_mode_shows_its_minutes(demo, which):
    """Issue 13, defect 5: no timer, no Pause button, no forms — the minutes."""
    meeting = getattr(demo, which)
    at = open_mode("sam", meeting.id)
    shown = texts(at)
    assert "closed — read-only" in shown
    assert f"# {meeting.title}\n" in shown
    assert "## Scorecard" in shown and "## Notes" in shown
    assert not [m for m in at.markdown if ":material/timer:" in m.value], "no timer"
    assert not [m for m in at.markdown if re.match(r"#+ Step \d", m.value)], "no agenda steps"
    labels = [b.label for b in at.button]
    assert not {"Pause timer", "Record the decision", "Next ▶", "Start the meeting"} & set(labels)
    assert not at.text_area and not at.toggle, "nothing to type, no correction switch"
    [download] = at.get("download_button")
    assert download.proto.label == "Download the minutes (Markdown)"


def test_an_admin_walks_a_closed_meeting_to_correct_it(demo):
    at = open_mode("ada", demo.closed.id)
    assert "## Notes" in texts(at)
    at.toggle(key=f"{meeting_mode.CORRECTING}_{demo.closed.id}").set_value(True).run()
    assert "Frozen when the meeting closed" in texts(at)
    assert not [m for m in at.markdown if ":material/timer:" in m.value], "still no timer"
    assert "Pause timer" not in [b.label for b in at.button]
    walk(at, WEEKLY_STEPS)


def test_an_unknown_meeting_in_the_address_falls_back_to_the_next_one(demo):
    at = logged_in("mia", PEOPLE["mia"])
    at.query_params["meeting"] = "999999"
    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    assert "There is no meeting '999999'" in texts(at)
    assert f"# {demo.planned.title}" in texts(at)


# --- the timer --------------------------------------------------------------------------------


class FakeClock:
    """Stands in for the time module in the meeting mode modules."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def timer(at) -> str:
    """The step timer as shown: '00:12 / 5 min', '05:12 / 5 min · **over time**' …"""
    [shown] = [m.value for m in at.markdown if ":material/timer:" in m.value]
    return re.sub(r"^#+ :(\w+)\[:material/timer: ([\d:]+)\]", r"\2", shown)


def test_the_timer_starts_with_the_meeting_and_survives_reruns_and_a_page_switch(
    demo, monkeypatch, wall_clock
):
    wall_clock["now"] = ON_THE_DAY
    clock = FakeClock()
    monkeypatch.setattr(meeting_timer, "time", clock)
    monkeypatch.setattr(meeting_mode, "time", clock)
    mid = demo.planned.id
    at = open_mode("mia", mid)
    assert timer(at) == "00:00 / 5 min · not started"
    clock.now += 30
    at.button(key="step_next").click().run()  # looking ahead before the start: no time runs
    clock.now += 40
    at.run()
    assert timer(at) == "00:00 / 8 min · not started"
    assert at.button(key="step_pause").disabled
    go_to(at, 0)
    assert at.session_state[f"meeting_clock_{mid}"].spent == {}

    at.button(key="meeting_start").click().run()
    assert "running" in texts(at)
    clock.now += 30
    at.button(key="step_next").click().run()
    clock.now += 45
    at.button(key="step_next").click().run()
    assert heading(at) == "Step 3 of 8 · Lead quality"
    clock.now += 12
    at.run()
    at.run()
    state = at.session_state[f"meeting_clock_{mid}"]
    assert state.step == 2
    assert state.spent == {0: 30.0, 1: 45.0}
    assert heading(at) == "Step 3 of 8 · Lead quality"
    assert timer(at) == "00:12 / 5 min"

    clock.now += 300  # over the 5 planned minutes
    at.run()
    assert timer(at) == "05:12 / 5 min · **over time**"
    assert any(":red[:material/timer:" in m.value for m in at.markdown)

    at.button(key="step_pause").click().run()  # paused: the time stands still
    clock.now += 100
    at.run()
    assert timer(at) == "05:12 / 5 min · **over time** · paused"
    at.button(key="step_pause").click().run()  # resumed

    at.switch_page("app_pages/meetings.py").run()
    clock.now += 8
    at.switch_page("app_pages/meeting_mode.py").run()
    assert heading(at) == "Step 3 of 8 · Lead quality"
    assert timer(at).startswith("05:20 / 5 min")

    go_to(at, 0)  # back to the scorecard: its 30 seconds are still there
    assert timer(at) == "00:30 / 5 min"
    assert at.session_state[f"meeting_clock_{mid}"].spent == {0: 30.0, 1: 45.0, 2: 320.0}


# --- notes ------------------------------------------------------------------------------------


def test_a_note_is_saved_when_typed(demo, app_env):
    mid = demo.planned.id
    at = open_mode("mia", mid)
    box(at, mid, "scorecard").input("Webinar MQLs wait too long.").run()
    assert not at.exception
    assert any(c.value.startswith("✔ Saved at ") for c in at.caption)
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("Webinar MQLs wait too long.", 1)

    box(at, mid, "scorecard").input("Webinar MQLs wait two days.").run()
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("Webinar MQLs wait two days.", 2)

    again = open_mode("mia", mid)  # a new session loads it
    assert box(again, mid, "scorecard").value == "Webinar MQLs wait two days."


def test_two_people_on_the_same_step_both_keep_their_notes(demo, app_env):
    mid = demo.planned.id
    mia, sam = open_mode("mia", mid), open_mode("sam", mid)
    go_to(mia, 1)
    go_to(sam, 1)
    box(mia, mid, "sla_challenges").input("Marketing: the webinar list was late.").run()
    box(sam, mid, "sla_challenges").input("Sales: Kari was on leave all week.").run()
    assert "Saved at" in texts(mia) and "Saved at" in texts(sam)
    assert stored_note(app_env, mid, "sla_challenges", "mia").body.startswith("Marketing")
    assert stored_note(app_env, mid, "sla_challenges", "sam").body.startswith("Sales")
    mia.run()
    assert "Sales: Kari was on leave all week." in texts(mia)
    assert box(mia, mid, "sla_challenges").value == "Marketing: the webinar list was late."
    assert "Marketing: the webinar list was late." in texts(sam.run())


def test_the_same_person_in_two_tabs_gets_a_conflict_not_an_overwrite(demo, app_env):
    mid = demo.planned.id
    key = note_key(mid, "scorecard")
    first, second = open_mode("mia", mid), open_mode("mia", mid)
    box(first, mid, "scorecard").input("From the laptop").run()
    assert stored_note(app_env, mid, "scorecard", "mia").revision == 1

    box(second, mid, "scorecard").input("From the wall screen").run()
    assert not second.exception
    assert conflict(second)
    assert [c.value for c in second.code] == ["From the laptop"]
    assert stored_note(app_env, mid, "scorecard", "mia").body == "From the laptop"
    assert box(second, mid, "scorecard").value == "From the wall screen", "nothing typed is lost"

    second.button(key=f"keep_{key}").click().run()
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("From the wall screen", 2)
    assert not conflict(second) and "Saved at" in texts(second)

    box(first, mid, "scorecard").input("From the laptop, later").run()
    assert conflict(first)
    assert [c.value for c in first.code] == ["From the wall screen"]
    first.button(key=f"take_{key}").click().run()
    assert box(first, mid, "scorecard").value == "From the wall screen"
    assert not conflict(first) and "Took the text saved in your other window." in texts(first)
    box(first, mid, "scorecard").input("From the wall screen, and the laptop").run()
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == ("From the wall screen, and the laptop", 3)


# --- a failed save --------------------------------------------------------------------------


def _app_engine():
    """The engine the app's runs use (st.cache_resource is shared with AppTest)."""
    return resources.engine()


class ExclusiveLock:
    """Another connection holds the write lock: SQLite BEGIN EXCLUSIVE (the app's busy
    timeout shortened), PostgreSQL LOCK TABLE meeting_note (the app's lock_timeout short)."""

    def __init__(self, engine, monkeypatch):
        self.url = engine.url
        if on_postgres():
            self.engine = _app_engine()

            def short_lock_timeout(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    cur.execute("SET lock_timeout = '300ms'")
                dbapi_conn.commit()

            event.listen(self.engine, "connect", short_lock_timeout)
            self.listener = short_lock_timeout
            self.engine.dispose()
        else:
            monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
            _app_engine().dispose()  # new connections get the short timeout

    def hold(self) -> None:
        if on_postgres():
            self.holder = self.engine.connect()
            self.holder.execute(text("LOCK TABLE meeting_note IN EXCLUSIVE MODE"))
        else:
            self.holder = sqlite3.connect(self.url.database, isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if on_postgres():
            self.holder.rollback()
            self.holder.close()
            event.remove(self.engine, "connect", self.listener)
        else:
            self.holder.execute("ROLLBACK")
            self.holder.close()


class DiskFull:
    """SQLite may not grow the file by a single page: PRAGMA max_page_count on the app's
    connections (after a VACUUM, so no free page is left to reuse)."""

    def __init__(self, engine, monkeypatch):
        conn = sqlite3.connect(engine.url.database)
        conn.execute("VACUUM")
        (self.pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.close()
        self.engine = _app_engine()

    def limit(self, dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={self.pages}")

    def hold(self) -> None:
        event.listen(self.engine, "connect", self.limit)
        self.engine.dispose()

    def release(self) -> None:
        event.remove(self.engine, "connect", self.limit)
        self.engine.dispose()


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (ExclusiveLock, ("database is locked", "lock timeout", "canceling statement")),
        pytest.param(
            DiskFull,
            ("database or disk is full",),
            marks=pytest.mark.sqlite_only("max_page_count is SQLite's own way to fill a disk"),
        ),
    ],
    ids=["locked", "disk-full"],
)
def test_a_refused_note_save_keeps_the_text_and_saves_on_retry(
    demo, app_env, monkeypatch, fault, says
):
    mid = demo.planned.id
    key = note_key(mid, "scorecard")
    typed = "Decided: every webinar lead is called within a day. " * 80  # more than a page
    at = open_mode("mia", mid)
    problem = fault(app_env, monkeypatch)
    problem.hold()
    try:
        box(at, mid, "scorecard").input(typed).run()
        assert not at.exception
        shown = errors(at)
        assert "Not saved — the database refused the write" in shown
        assert any(s in shown for s in says), shown
        assert box(at, mid, "scorecard").value == typed
        assert stored_note(app_env, mid, "scorecard", "mia") is None, "nothing half-written"
        assert not any(c.value.startswith("✔ Saved") for c in at.caption)

        go_to(at, 1)  # away to another step and back: the typed text is still there
        go_to(at, 0)
        assert box(at, mid, "scorecard").value == typed
        assert "Not saved" in errors(at)

        at.button(key=f"retry_{key}").click().run()  # still refused
        assert "Not saved" in errors(at) and box(at, mid, "scorecard").value == typed
        assert stored_note(app_env, mid, "scorecard", "mia") is None
    finally:
        problem.release()
    at.button(key=f"retry_{key}").click().run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("✔ Saved at ") for c in at.caption)
    note = stored_note(app_env, mid, "scorecard", "mia")
    assert (note.body, note.revision) == (typed, 1)


# --- the whole meeting ------------------------------------------------------------------------


def test_a_weekly_meeting_from_the_review_to_the_minutes_and_the_carry_over(
    demo, app_env, wall_clock
):
    day = demo.planned.held_on  # the meeting runs on its own day
    wall_clock["now"] = ON_THE_DAY
    mid = demo.planned.id
    with Session(app_env) as s:
        review = {a.id: a for a in actions.actions_for_review(s, mid)}
    overdue = next(a for a in review.values() if a.due_date < day)
    fresh = next(a for a in review.values() if a.carried_over == 0 and a.id != overdue.id)
    dropped = next(a for a in review.values() if a.id not in (overdue.id, fresh.id))

    at = open_mode("mia", mid, as_of=day)
    at.button(key="meeting_start").click().run()
    assert "The meeting is running." in texts(at)
    box(at, mid, "scorecard").input("MQLs from the webinar waited 2 days.").run()

    go_to(at, 5)  # actions review
    assert heading(at) == "Step 6 of 8 · Actions review"
    assert any(":red-badge[overdue]" in m.value and overdue.title in m.value for m in at.markdown)
    at.button(key=f"review_done_{overdue.id}").click().run()
    assert "Marked ✔ done." in texts(at)
    at.button(key=f"review_dropped_{dropped.id}").click().run()
    assert "say why the action is dropped" in errors(at)
    at.text_input(key=f"drop_reason_{dropped.id}").input("The new dialler makes it moot")
    at.button(key=f"review_dropped_{dropped.id}").click().run()
    assert "Marked ✖ dropped." in texts(at)
    assert "**✖ dropped** by Mia — The new dialler makes it moot" in texts(at)

    go_to(at, 6)  # new actions
    at.text_input(key="action_title").input("Call every webinar lead within a day")
    at.selectbox(key="action_owner").set_value("sam")
    at.date_input(key="action_due").set_value(day + timedelta(days=7))
    at.selectbox(key="action_metric").set_value("contacted_within_sla_rate")
    at.selectbox(key="action_period").set_value("week")
    button(at, "Add the action").click().run()
    assert not at.exception
    assert "Action added: it is reviewed at the next meeting." in texts(at)
    assert "**Call every webinar lead within a day** — Sam, due 30 Nov 2026" in texts(at)
    with Session(app_env) as s:
        new = s.exec(select(Action).where(Action.meeting_id == mid)).one()
    assert (new.owner, new.due_date) == ("sam", date(2026, 11, 30))
    assert new.metric == "contacted_within_sla_rate"
    assert (new.period_kind, new.period_start) == ("week", date(2026, 11, 16))

    go_to(at, 7)  # wrap-up
    at.text_area(key="decision_text_wrap_up").input("Webinar leads go to the front of the queue.")
    at.multiselect(key="decision_by_wrap_up").set_value(["mia", "sam.s"])
    button(at, "Record the decision").click().run()
    assert "Decision recorded." in texts(at)
    assert "**Webinar leads go to the front of the queue.** — Mia, Sam Solberg" in texts(at)
    at.slider(key=f"rating_{mid}").set_value(9)
    at.button(key=f"rate_{mid}").click().run()
    assert "9.0 / 10 from 1 rating" in texts(at)
    assert at.button(key=f"close_{mid}").disabled
    at.checkbox(key=f"close_sure_{mid}").check().run()
    at.button(key=f"close_{mid}").click().run()
    assert not at.exception
    assert "Closed: the minutes are written, the open actions carried over and the next" in texts(
        at
    )
    assert "closed — read-only" in texts(at)
    assert "## Actions review" in texts(at), "a closed meeting shows its minutes"
    with Session(app_env) as s:
        assert s.get(Meeting, mid).status == "closed"
        assert s.get(Action, fresh.id).carried_over == 1

    at.switch_page("app_pages/meetings.py").run()
    at.text_input(key="mt_search").input("waited 2 days").run()
    assert "1 meeting" in [c.value for c in at.caption], texts(at)
    minutes = texts(at)
    for expected in (
        "MQLs from the webinar waited 2 days.",
        "Webinar leads go to the front of the queue. — decided by Mia, Sam Solberg",
        "| Call every webinar lead within a day | Sam | ",
        f"✔ Done: {overdue.title}",
        f"✖ Dropped: {dropped.title}",
        "Reason: The new dialler makes it moot",
        f"↻ Carried over (1×): {fresh.title}",
    ):
        assert expected in minutes, expected
    [download] = at.get("download_button")
    assert download.proto.label == "Download the minutes (Markdown)"

    next_day = day + timedelta(days=7)  # closing planned the next one, a week later
    with Session(app_env) as s:
        following = records.next_meeting(s, today=next_day, kind="weekly")
    assert following.held_on == next_day
    assert f"**{following.title}** · Monday 30 November 2026 · planned" in texts(at)

    at = open_mode("sam", following.id, as_of=next_day)
    go_to(at, 5)
    shown = texts(at)
    assert f"**{fresh.title}**" in shown and "carried 1×" in shown
    assert "Call every webinar lead within a day" in shown
    assert overdue.title not in shown and dropped.title not in shown


def test_planning_the_next_weekly_meeting_right_after_closing_todays(demo, app_env):
    day = demo.planned.held_on
    with Session(app_env) as s:
        closed_at = datetime(2026, 11, 23, 9, 55, tzinfo=UTC)
        closing.close_meeting(s, actor=ADMIN, meeting_id=demo.planned.id, now=closed_at)
        planned = records.next_meeting(s, today=day, kind="weekly")  # planned by the close
    at = logged_in("mia", PEOPLE["mia"], as_of=day)
    at.switch_page("app_pages/meetings.py").run()
    at.button(key="plan_weekly").click().run()
    assert not at.error, errors(at)
    with Session(app_env) as s:
        following = records.next_meeting(s, today=day, kind="weekly")
    assert following.id == planned.id and following.held_on == day + timedelta(days=7)


# --- permissions ------------------------------------------------------------------------------


def test_leadership_takes_notes_and_a_closed_meeting_is_read_only_but_for_admins(demo, app_env):
    planned = demo.planned.id
    lea = open_mode("lea", planned)
    box(lea, planned, "scorecard").input("Leadership: watch acceptance.").run()
    assert stored_note(app_env, planned, "scorecard", "lea").body == "Leadership: watch acceptance."

    mid = demo.closed.id
    mia = open_mode("mia", mid)  # the minutes: nothing to type, press or switch
    assert "closed — read-only" in texts(mia) and "## Notes" in texts(mia)
    assert not mia.text_area and not mia.toggle and not mia.get("form")
    assert not [b for b in mia.button if b.key and b.key.startswith(("review_", "close_"))]

    ada = open_mode("ada", mid)
    ada.toggle(key=f"{meeting_mode.CORRECTING}_{mid}").set_value(True).run()
    note_box = box(ada, mid, "scorecard")
    assert not note_box.disabled
    note_box.input("Correction: the MQL count excluded the partner leads.").run()
    assert not ada.exception and "Saved at" in texts(ada)
    with Session(app_env) as s:
        entry = s.exec(
            select(AuditEntry).where(
                AuditEntry.action == "meeting.correct_note", AuditEntry.entity_id == str(mid)
            )
        ).one()
        minutes = s.get(Meeting, mid).minutes
    assert entry.actor == "ada" and "partner leads" in entry.detail
    assert "Correction: the MQL count excluded the partner leads." in minutes


# --- actions outside meetings ----------------------------------------------------------------


MIA = Actor.of("mia", {"marketing"})
SOON, LATE, SAMS = (
    "Refresh the webinar persona card",
    "Send sales the December campaign calendar",
    "Call back every rejected MQL from October",
)


@pytest.fixture
def own_actions(demo, app_env) -> dict[str, int]:
    """Two open actions owned by mia (one overdue on AS_OF) and one owned by sam."""
    with Session(app_env) as s:
        made = [
            actions.add_action(s, actor=MIA, title=SOON, owner="mia", due_date=AS_OF, today=AS_OF),
            actions.add_action(
                s,
                actor=MIA,
                title=LATE,
                owner="mia",
                due_date=date(2026, 11, 10),
                metric="mqls_delivered",
                period_kind="week",
                period_start=date(2026, 11, 2),
                today=date(2026, 11, 2),
                now=datetime(2026, 11, 2, 10, tzinfo=UTC),
            ),
            actions.add_action(
                s, actor=MIA, title=SAMS, owner="sam", due_date=date(2026, 11, 30), today=AS_OF
            ),
        ]
        return {a.title: a.id for a in made}


def shown_titles(at) -> list[str]:
    """The action titles in the page's tables, in order."""
    return [t for frame in at.dataframe for t in frame.value.get("title", [])]


def test_overview_shows_my_actions(own_actions):
    mia = logged_in("mia", PEOPLE["mia"])
    assert not mia.exception
    assert "My actions · 2 open · 1 overdue" in [h.value for h in mia.subheader]
    assert shown_titles(mia) == [LATE, SOON], "overdue first"
    sam = logged_in("sam", PEOPLE["sam"])
    assert "My actions · 1 open" in [h.value for h in sam.subheader]
    assert shown_titles(sam) == [SAMS]
    lea = logged_in("lea", PEOPLE["lea"])
    assert "My actions · 0 open" in [h.value for h in lea.subheader]
    assert "You have no open actions." in texts(lea)


def count_line(at) -> str:
    [line] = [m.value for m in at.markdown if re.match(r"\*\*\d+ actions?\*\*", m.value)]
    return line.split("**")[1]


def test_actions_page_filters_and_updates(own_actions, app_env):
    at = logged_in("sam", PEOPLE["sam"]).switch_page("app_pages/actions.py").run()
    assert not at.exception
    assert int(count_line(at).split()[0]) > 3, "everyone's open actions, the demo's too"
    at.selectbox(key="actions_owner").set_value("mia").run()
    assert count_line(at) == "2 actions" and shown_titles(at) == [LATE, SOON]
    at.toggle(key="actions_overdue").set_value(True).run()
    assert count_line(at) == "1 action" and shown_titles(at) == [LATE]
    at.toggle(key="actions_overdue").set_value(False).run()
    assert count_line(at) == "2 actions"

    at.selectbox(key="actions_pick").set_value(own_actions[SOON]).run()
    assert f"**#{own_actions[SOON]} {SOON}**" in texts(at)
    at.radio(key=f"act_status_{own_actions[SOON]}").set_value("done")
    button(at, "Update").click().run()
    assert not at.exception
    assert f"Action #{own_actions[SOON]} is now done." in texts(at)
    assert shown_titles(at) == [LATE], "only open ones under the default status"
    at.segmented_control(key="actions_status").set_value("done").run()
    assert shown_titles(at) == [SOON]

    at.segmented_control(key="actions_status").set_value("open").run()
    late = own_actions[LATE]
    at.selectbox(key="actions_pick").set_value(late).run()
    assert at.get("vega_lite_chart"), "the metric before and after the action"
    assert "**Did it help?** ✔ better" in texts(at)
    at.radio(key=f"act_status_{late}").set_value("dropped")
    button(at, "Update").click().run()
    assert "say why the action is dropped" in errors(at)
    with Session(app_env) as s:
        assert s.get(Action, late).status == "open"
    at.text_input(key=f"act_reason_{late}").input("The calendar moved to the shared drive")
    button(at, "Update").click().run()
    assert f"Action #{late} is now dropped." in texts(at)
    at.segmented_control(key="actions_status").set_value("dropped").run()
    at.selectbox(key="actions_pick").set_value(late).run()
    assert "Dropped because: The calendar moved to the shared drive" in texts(at)


# --- in Norwegian (issue 18) ------------------------------------------------------------------

WEEKLY_STEPS_NB = [
    "Resultattavle",
    "SLA-utfordringer",
    "Leadkvalitet",
    "Kampanjer",
    "Personaer og produktnyheter",
    "Gjennomgang av tiltak",
    "Nye tiltak",
    "Avslutning",
]


def heading_nb(at) -> str:
    """The "Punkt i av n · title" heading on screen."""
    [shown] = [m.value for m in at.markdown if re.match(r"#+ Punkt \d", m.value)]
    return shown.lstrip("# ")


@pytest.mark.parametrize("username", list(PEOPLE))
def test_meeting_pages_in_norwegian_for_every_role(own_actions, demo, username):
    at = logged_in(username, PEOPLE[username], language="nb")
    at.switch_page("app_pages/meetings.py").run()
    assert not at.exception
    assert untranslated(at) == []
    shown = texts(at)
    assert "# Møter" in shown or "Møter" in [t.value for t in at.title]
    assert [t.label for t in at.tabs][:4] == [
        "Neste møter",
        "Tidligere møter og referater",
        "Beslutninger",
        "Agendamaler",
    ]
    assert f"**{demo.planned.title}** · mandag 23. november 2026 · planlagt · " in shown
    assert "min planlagt" in shown
    assert "Last ned referatet (Markdown)" in [b.proto.label for b in at.get("download_button")]

    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert heading_nb(at) == "Punkt 1 av 8 · Resultattavle"
    assert "Neste ▶" in [b.label for b in at.button]

    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert re.search(
        r"\*\*\d+ tiltak\*\* · forfalt = åpent og over fristen 18\. nov\. 2026", texts(at)
    )
    at.selectbox(key="actions_pick").set_value(own_actions[LATE]).run()
    assert not at.exception
    assert untranslated(at) == []
    assert "**Hjalp det?** ✔ bedre — snitt" in texts(at)


def test_meeting_mode_in_norwegian_walks_every_step(demo):
    """Every step of the weekly agenda in Norwegian: the built-in titles translated, no
    text on any step shown in English where the catalog has it in Norwegian."""
    at = logged_in("mia", PEOPLE["mia"], language="nb")
    at.switch_page("app_pages/meeting_mode.py").run()
    n = len(WEEKLY_STEPS_NB)
    for i, title in enumerate(WEEKLY_STEPS_NB, start=1):
        assert not at.exception, f"step {i} ({title}): {at.exception}"
        assert heading_nb(at) == f"Punkt {i} av {n} · {title}"
        assert untranslated(at) == [], f"step {i} ({title})"
        if i < n:
            at.button(key="step_next").click().run()
    shown = texts(at)
    assert "**Hvordan var møtet?**" in shown
    assert "Lukk møtet" in [b.label for b in at.button]


def test_a_closed_meeting_in_norwegian_shows_its_minutes(demo):
    at = logged_in("sam", PEOPLE["sam"], language="nb")
    at.session_state[meeting_mode.MEETING_KEY] = demo.closed.id
    at.switch_page("app_pages/meeting_mode.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert "lukket — skrivebeskyttet" in texts(at)


def test_a_monthly_meeting_in_norwegian_walks_every_step(demo, app_env):
    with Session(app_env, expire_on_commit=False) as s:
        planned = planning.create_meeting(
            s, actor=ADMIN, kind="monthly", held_on=date(2026, 12, 7), now=NOW
        )
    at = logged_in("lea", PEOPLE["lea"], language="nb")
    at.query_params["meeting"] = str(planned.id)
    at.switch_page("app_pages/meeting_mode.py").run()
    titles = [
        "Trender per måned",
        "SLA-historikk",
        "Gjennomgang av tiltak",
        "Beslutninger om kursendringer",
        "Avslutning",
    ]
    for i, title in enumerate(titles, start=1):
        assert not at.exception, f"step {i} ({title}): {at.exception}"
        assert heading_nb(at) == f"Punkt {i} av {len(titles)} · {title}"
        assert untranslated(at) == [], f"step {i} ({title})"
        if i < len(titles):
            at.button(key="step_next").click().run()
    assert "Registrer beslutningen" in [b.label for b in at.button]
