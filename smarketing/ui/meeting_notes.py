"""Meeting notes that save as they are typed: one editor per person and step, saved when the
field is left (or Ctrl+Enter), never overwriting anyone — a conflict from another window of
the same person is shown with both texts; a failed save keeps the text and says so.

Stale values. When the facilitator steps quickly (PageDown/PageUp), the browser can send the
value of a note box that is no longer on screen — the box of the step just left, with the
text it was loaded with, or empty — and Streamlit calls that box's ``on_change`` as if the
person had typed it (the widget's state was dropped when it left the screen, so any value
counts as a change). That once wrote an empty revision over a saved note, and empty notes
on steps nobody wrote on. So:

- every time a box is (re)loaded from the database it gets a new widget key (a generation),
  and the run that shows it records which box is on screen;
- a change is saved only if it comes from the box that was on screen in the run the person
  interacted with, and only if it differs from what that box was loaded with or last saved;
- the domain never lets an empty text replace a note, or create one, unless the person
  pressed "Delete my note" (see :func:`smarketing.meetings.save_note`).
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import SmarketingError
from smarketing.i18n import _
from smarketing.meetings import notes, records
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Meeting
from smarketing.ui import auth, widgets
from smarketing.ui.resources import session

#: Session key: (username, meeting id, step key, generation) of the note box the last run
#: showed.
ON_SCREEN = "note_on_screen"


def _base(meeting_id: int, step: str) -> str:
    return f"note_{meeting_id}_{step}"


def _keys(meeting_id: int, step: str, who: str) -> tuple[str, str, str, str]:
    """The session keys of one person's note box on a step: its revision, its state, its
    conflict (each the person's own: another person who logs in on the same tab gets
    theirs) and the box's generation (the same for everyone: a widget key is never
    reused)."""
    mine = f"{_base(meeting_id, step)}_{who}"
    return (
        f"note_rev_{mine}",
        f"note_state_{mine}",
        f"note_conflict_{mine}",
        _gen_key(meeting_id, step),
    )


def _gen_key(meeting_id: int, step: str) -> str:
    return f"note_gen_{_base(meeting_id, step)}"


def _unsaved_key(meeting_id: int, step: str, who: str) -> str:
    """Where text that could not be saved waits: a widget's own key is dropped from the
    session when the widget is not on screen (another step, another page)."""
    return f"note_unsaved_{meeting_id}_{step}_{who}"


def _saved_key(meeting_id: int, step: str, who: str) -> str:
    """The text the box was loaded with or last saved: what the database holds for us."""
    return f"note_saved_{meeting_id}_{step}_{who}"


def box_key(meeting_id: int, step: str, generation: int) -> str:
    """The widget key of one load of a note box."""
    return f"{_base(meeting_id, step)}_{generation}"


def current_box_key(meeting_id: int, step: str) -> str | None:
    """The widget key of the note box now on screen for this step (None before the first)."""
    generation = st.session_state.get(_gen_key(meeting_id, step))
    return None if generation is None else box_key(meeting_id, step, generation)


def _saved(meeting_id: int, step: str, who: str, body: str, revision: int | None) -> None:
    rev_key, _state, conflict_key, _gen = _keys(meeting_id, step, who)
    st.session_state.pop(_unsaved_key(meeting_id, step, who), None)
    st.session_state[_saved_key(meeting_id, step, who)] = body
    st.session_state[rev_key] = revision
    st.session_state.pop(conflict_key, None)


def _save(engine: Engine, actor: Actor, meeting_id: int, step: str, *, clear=False) -> None:
    who = actor.username
    rev_key, state_key, conflict_key, _gen = _keys(meeting_id, step, who)
    text_key = current_box_key(meeting_id, step)
    body = "" if clear else st.session_state.get(text_key, "")
    if not auth.session_is_open(engine, actor.username):  # a callback runs before the gate
        if not clear:
            st.session_state[_unsaved_key(meeting_id, step, who)] = body
        st.session_state[state_key] = (
            "error",
            _(
                "Not saved — your session had ended. Your text is kept: after you log in again "
                "it is back in the box; press “Try saving again”."
            ),
        )
        return
    try:
        with session(engine) as s:
            note = notes.save_note(
                s,
                actor=actor,
                meeting_id=meeting_id,
                step=step,
                body=body,
                expected_revision=st.session_state.get(rev_key),
                now=widgets.now(),
                clear=clear,
            )
    except notes.EmptyNote as exc:  # the box was emptied: the saved note stays, and shows
        st.session_state[text_key] = exc.stored_body
        _saved(meeting_id, step, who, exc.stored_body, exc.stored_revision)
        st.session_state[state_key] = ("kept", str(exc))
    except notes.NoteConflict as exc:
        st.session_state[_unsaved_key(meeting_id, step, who)] = body
        st.session_state[conflict_key] = exc
        st.session_state[state_key] = ("conflict", str(exc))
    except SmarketingError as exc:
        st.session_state[_unsaved_key(meeting_id, step, who)] = body
        st.session_state[state_key] = ("error", str(exc))
    except SQLAlchemyError as exc:  # disk full, database locked, connection lost …
        st.session_state[_unsaved_key(meeting_id, step, who)] = body
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        st.session_state[state_key] = (
            "error",
            _(
                "Not saved — the database refused the write ({reason}). Your text is still in "
                "the box: press “Try saving again”, or edit it and leave the box."
            ).format(reason=reason),
        )
    else:
        if note is None:  # an empty box on a step without a note: nothing to keep
            _saved(meeting_id, step, who, "", None)
            st.session_state.pop(state_key, None)
            return
        _saved(meeting_id, step, who, note.body, note.revision)
        if clear:
            st.session_state[text_key] = ""
            st.session_state[state_key] = (
                "saved",
                _("Note deleted (the audit log keeps it)."),
            )
        else:
            when = widgets.local_time(note.updated_at)
            st.session_state[state_key] = ("saved", _("Saved at {time}").format(time=when))


def _typed(engine: Engine, actor: Actor, meeting_id: int, step: str, generation: int) -> None:
    """The box's on_change: save what the person typed — but not a stale value the browser
    sent for a box that is no longer on screen (a step left behind, or an earlier load of
    this one)."""
    if st.session_state.get(ON_SCREEN) == (actor.username, meeting_id, step, generation):
        save_typed_note(engine, actor)


def save_typed_note(engine: Engine, actor: Actor) -> None:
    """Save the text in the logged-in person's note box on screen if it is neither what the
    database holds, nor a text whose save failed (that one waits for "Try saving again"),
    nor empty where nothing is stored (an empty text never creates a note).

    The box's on_change calls this; so does every run of every page, before it shows
    anything. Streamlit stops a run at its next ``st.session_state`` access when the
    browser sends the next rerun (the facilitator steps on, the person clicks another
    page) — in a callback too — and never calls that callback again for the value, which
    it then takes as already seen. A save cut short is made by the next run; one that
    reached the database is a no-op (the same text saved twice)."""
    shown = st.session_state.get(ON_SCREEN)
    if shown is None or shown[0] != actor.username:
        return  # (a box of someone who logged out on this tab is theirs, not this person's)
    _who, meeting_id, step, generation = shown
    key = box_key(meeting_id, step, generation)
    if key not in st.session_state:
        return  # the box has left the screen and its state with it
    body = st.session_state[key]
    saved = st.session_state.get(_saved_key(meeting_id, step, actor.username))
    if body == saved:
        return  # what the database already holds: nothing typed
    if body == st.session_state.get(_unsaved_key(meeting_id, step, actor.username)):
        return  # its save failed and says so; the person decides when to try again
    if not body.strip() and not (saved or "").strip():
        return  # nothing stored, nothing written: nothing to save
    _save(engine, actor, meeting_id, step)


def _retry(engine: Engine, actor: Actor, meeting_id: int, step: str) -> None:
    _save(engine, actor, meeting_id, step)


def _delete(engine: Engine, actor: Actor, meeting_id: int, step: str) -> None:
    _save(engine, actor, meeting_id, step, clear=True)


def _resolve(engine: Engine, actor: Actor, meeting_id: int, step: str, keep_mine: bool) -> None:
    """The person's answer to a conflict. Each step leaves a state the next run finishes
    if Streamlit cuts this callback short: the conflict shown until the text waits to be
    saved (no longer "unsaved"), which ``save_typed_note`` then saves."""
    who = actor.username
    rev_key, state_key, conflict_key, _gen = _keys(meeting_id, step, who)
    conflict = st.session_state.get(conflict_key)
    if conflict is None:
        return  # (answered already)
    st.session_state[rev_key] = conflict.stored_revision
    st.session_state[_saved_key(meeting_id, step, who)] = conflict.stored_body
    if keep_mine:
        st.session_state.pop(_unsaved_key(meeting_id, step, who), None)
        st.session_state.pop(conflict_key, None)
        _save(engine, actor, meeting_id, step)
    else:
        st.session_state[current_box_key(meeting_id, step)] = conflict.stored_body
        st.session_state.pop(_unsaved_key(meeting_id, step, who), None)
        st.session_state.pop(conflict_key, None)
        st.session_state[state_key] = ("saved", _("Took the text saved in your other window."))


def _load(engine: Engine, actor: Actor, meeting: Meeting, step: str) -> str:
    """A fresh load of the box: a new generation, filled with the unsaved text if a save
    failed (its revision stays the one it was typed on), else with the stored note."""
    who = actor.username
    rev_key, _state, _conflict, gen_key = _keys(meeting.id, step, who)
    generation = st.session_state.get(gen_key, 0) + 1
    st.session_state[gen_key] = generation
    text_key = box_key(meeting.id, step, generation)
    unsaved = st.session_state.get(_unsaved_key(meeting.id, step, who))
    with session(engine) as s:
        stored = records.note_of(s, meeting_id=meeting.id, step=step, author=actor.username)
    if unsaved is not None:
        st.session_state[text_key] = unsaved
    else:
        st.session_state[text_key] = stored.body if stored else ""
        st.session_state[rev_key] = stored.revision if stored else None
    st.session_state[_saved_key(meeting.id, step, who)] = stored.body if stored else ""
    return text_key


def my_note(engine: Engine, actor: Actor, meeting: Meeting, step: dict) -> None:
    """The logged-in person's note on this step, saved as it is typed."""
    key = step["key"]
    who = actor.username
    _rev, state_key, conflict_key, gen_key = _keys(meeting.id, key, who)
    base = _base(meeting.id, key)
    closed = records.is_closed(meeting)
    can = allowed(actor, "meeting.correct_closed") if closed else allowed(actor, "meeting.run")
    generation = st.session_state.get(gen_key)
    text_key = None if generation is None else box_key(meeting.id, key, generation)
    on_screen = st.session_state.get(ON_SCREEN) == (who, meeting.id, key, generation)
    if text_key is None or not on_screen or text_key not in st.session_state:
        text_key = _load(engine, actor, meeting, key)  # a new visit: a new box
        generation = st.session_state[gen_key]
    st.session_state[ON_SCREEN] = (who, meeting.id, key, generation)
    st.text_area(
        _("Your notes on this step (saved as you type — when you leave the box)"),
        key=text_key,
        height=140,
        disabled=not can,
        on_change=_typed,
        args=(engine, actor, meeting.id, key, generation),
        help=_(
            "Each person has their own note per step, so nobody overwrites anyone. An "
            "emptied box does not delete your note: use “Delete my note”."
        ),
    )
    state = st.session_state.get(state_key)
    if state and state[0] == "saved":
        st.caption(f"✔ {state[1]}")
    elif state and state[0] == "kept":
        st.info(state[1], icon=":material/info:")
    elif state and state[0] == "error":
        st.error(state[1], icon=":material/error:")
        st.button(
            _("Try saving again"),
            key=f"retry_{base}",
            icon=":material/refresh:",
            disabled=not can,
            on_click=_retry,
            args=(engine, actor, meeting.id, key),
        )
    if (st.session_state.get(_saved_key(meeting.id, key, who)) or "").strip() and can:
        st.button(
            _("Delete my note"),
            key=f"delete_{base}",
            icon=":material/delete:",
            on_click=_delete,
            args=(engine, actor, meeting.id, key),
            help=_("Empties your note on this step; the audit log keeps the text."),
        )
    conflict = st.session_state.get(conflict_key)
    if conflict is not None:
        st.warning(str(conflict), icon=":material/sync_problem:")
        st.markdown(_("**Saved in your other window:**"))
        st.code(conflict.stored_body or _("(empty)"), language=None, wrap_lines=True)
        a, b = st.columns(2)
        a.button(
            _("Keep what I typed here"),
            key=f"keep_{base}",
            on_click=_resolve,
            args=(engine, actor, meeting.id, key, True),
        )
        b.button(
            _("Take the saved text"),
            key=f"take_{base}",
            on_click=_resolve,
            args=(engine, actor, meeting.id, key, False),
        )
    if closed and not can:
        st.caption(
            _("The meeting is closed: its notes are part of the minutes (admins can correct).")
        )


def others(engine: Engine, actor: Actor, meeting: Meeting, step: dict) -> None:
    """Everyone else's notes on this step."""
    with session(engine) as s:
        frame = records.notes_for(s, meeting.id)
        names = people.display_names(s, list(frame["author"].unique()))
    rows = frame[(frame["step"] == step["key"]) & (frame["author"] != actor.username)]
    for row in rows.itertuples():
        if row.body.strip():
            with st.container(border=True):
                st.caption(
                    f"{safe(names.get(row.author, row.author))} · "
                    f"{widgets.local_time(row.updated_at)}"
                )
                widgets.user_markdown(row.body)
