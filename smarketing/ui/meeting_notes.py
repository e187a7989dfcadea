"""Meeting notes that save as they are typed: one editor per person and step, saved when the
field is left (or Ctrl+Enter), never overwriting anyone — a conflict from another window of
the same person is shown with both texts; a failed save keeps the text and says so."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import meetings
from smarketing.errors import SmarketingError
from smarketing.models import Meeting
from smarketing.permissions import Actor, allowed
from smarketing.ui import widgets
from smarketing.ui.resources import session


def _keys(meeting_id: int, step: str) -> tuple[str, str, str, str]:
    base = f"{meeting_id}_{step}"
    return f"note_{base}", f"note_rev_{base}", f"note_state_{base}", f"note_conflict_{base}"


def _unsaved_key(meeting_id: int, step: str) -> str:
    """Where text that could not be saved waits: a widget's own key is dropped from the
    session when the widget is not on screen (another step, another page)."""
    return f"note_unsaved_{meeting_id}_{step}"


def _save(engine: Engine, actor: Actor, meeting_id: int, step: str) -> None:
    text_key, rev_key, state_key, conflict_key = _keys(meeting_id, step)
    body = st.session_state.get(text_key, "")
    try:
        with session(engine) as s:
            note = meetings.save_note(
                s,
                actor=actor,
                meeting_id=meeting_id,
                step=step,
                body=body,
                expected_revision=st.session_state.get(rev_key),
                now=datetime.now(UTC),
            )
    except meetings.NoteConflict as exc:
        st.session_state[_unsaved_key(meeting_id, step)] = body
        st.session_state[conflict_key] = exc
        st.session_state[state_key] = ("conflict", str(exc))
    except SmarketingError as exc:
        st.session_state[_unsaved_key(meeting_id, step)] = body
        st.session_state[state_key] = ("error", str(exc))
    except SQLAlchemyError as exc:  # disk full, database locked, connection lost …
        st.session_state[_unsaved_key(meeting_id, step)] = body
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        st.session_state[state_key] = (
            "error",
            f"Not saved — the database refused the write ({reason}). Your text is still in "
            "the box: press “Try saving again”, or edit it and leave the box.",
        )
    else:
        st.session_state.pop(_unsaved_key(meeting_id, step), None)
        st.session_state[rev_key] = note.revision
        st.session_state.pop(conflict_key, None)
        st.session_state[state_key] = ("saved", f"Saved at {widgets.local_time(note.updated_at)}")


def _resolve(engine: Engine, actor: Actor, meeting_id: int, step: str, keep_mine: bool) -> None:
    text_key, rev_key, state_key, conflict_key = _keys(meeting_id, step)
    conflict = st.session_state.pop(conflict_key)
    st.session_state[rev_key] = conflict.stored_revision
    if keep_mine:
        _save(engine, actor, meeting_id, step)
    else:
        st.session_state[text_key] = conflict.stored_body
        st.session_state.pop(_unsaved_key(meeting_id, step), None)
        st.session_state[state_key] = ("saved", "Took the text saved in your other window.")


def my_note(engine: Engine, actor: Actor, meeting: Meeting, step: dict) -> None:
    """The logged-in person's note on this step, saved as it is typed."""
    text_key, rev_key, state_key, conflict_key = _keys(meeting.id, step["key"])
    closed = meetings.is_closed(meeting)
    can = allowed(actor, "meeting.correct_closed") if closed else allowed(actor, "meeting.run")
    unsaved = st.session_state.get(_unsaved_key(meeting.id, step["key"]))
    if text_key not in st.session_state and unsaved is not None:
        st.session_state[text_key] = unsaved  # its revision stays the one it was typed on
    if text_key not in st.session_state:
        with session(engine) as s:
            stored = meetings.note_of(
                s, meeting_id=meeting.id, step=step["key"], author=actor.username
            )
        st.session_state[text_key] = stored.body if stored else ""
        st.session_state[rev_key] = stored.revision if stored else None
    st.text_area(
        "Your notes on this step (saved as you type — when you leave the box)",
        key=text_key,
        height=140,
        disabled=not can,
        on_change=_save,
        args=(engine, actor, meeting.id, step["key"]),
        help="Each person has their own note per step, so nobody overwrites anyone.",
    )
    state = st.session_state.get(state_key)
    if state and state[0] == "saved":
        st.caption(f"✔ {state[1]}")
    elif state and state[0] == "error":
        st.error(state[1], icon=":material/error:")
        st.button(
            "Try saving again",
            key=f"retry_{text_key}",
            icon=":material/refresh:",
            disabled=not can,
            on_click=_save,
            args=(engine, actor, meeting.id, step["key"]),
        )
    conflict = st.session_state.get(conflict_key)
    if conflict is not None:
        st.warning(str(conflict), icon=":material/sync_problem:")
        st.markdown("**Saved in your other window:**")
        st.code(conflict.stored_body or "(empty)", language=None, wrap_lines=True)
        a, b = st.columns(2)
        a.button(
            "Keep what I typed here",
            key=f"keep_{text_key}",
            on_click=_resolve,
            args=(engine, actor, meeting.id, step["key"], True),
        )
        b.button(
            "Take the saved text",
            key=f"take_{text_key}",
            on_click=_resolve,
            args=(engine, actor, meeting.id, step["key"], False),
        )
    if closed and not can:
        st.caption("The meeting is closed: its notes are part of the minutes (admins can correct).")


def others(engine: Engine, actor: Actor, meeting: Meeting, step: dict) -> None:
    """Everyone else's notes on this step."""
    with session(engine) as s:
        frame = meetings.notes_for(s, meeting.id)
        names = meetings.display_names(s, list(frame["author"].unique()))
    rows = frame[(frame["step"] == step["key"]) & (frame["author"] != actor.username)]
    for row in rows.itertuples():
        if row.body.strip():
            with st.container(border=True):
                st.caption(
                    f"{names.get(row.author, row.author)} · {widgets.local_time(row.updated_at)}"
                )
                widgets.user_markdown(row.body)
