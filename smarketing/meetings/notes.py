"""Meeting notes: one row per author and agenda step, saved with a revision check so that
another tab never silently overwrites a note, and an empty box never deletes one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from smarketing import formatting
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.meetings.agenda import step_titles
from smarketing.meetings.minutes import rewrite_minutes
from smarketing.meetings.records import (
    agenda_of,
    is_closed,
    meeting_by_id,
    note_of,
    require_open,
    utc_time,
)
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import MeetingNote

MAX_NOTE = 20_000


class NoteConflict(InvalidInput):
    """The author's note changed elsewhere (another tab) since their editor loaded it.

    Carries both texts, so the page can show them side by side; nothing was written."""

    def __init__(
        self,
        *,
        step: str,
        author: str,
        stored_body: str,
        stored_revision: int,
        your_body: str,
        your_revision: int | None,
        step_title: str | None = None,
    ):
        self.step = step
        self.step_title = step_title or step
        self.author = author
        self.stored_body = stored_body
        self.stored_revision = stored_revision
        self.your_body = your_body
        self.your_revision = your_revision
        super().__init__(
            _(
                "your note on {step} was changed in another window since you started "
                "(you started from revision {yours}, it is now at revision "
                "{stored}): nothing was overwritten. Both texts are shown: merge them "
                "and save again."
            ).format(
                step=repr(step_title or step), yours=your_revision or 0, stored=stored_revision
            )
        )


class EmptyNote(InvalidInput):
    """An empty text would have replaced a written note; nothing was written. Carries the
    stored note, so the page can put its text back in the box."""

    def __init__(self, *, step: str, step_title: str, stored: MeetingNote):
        self.step = step
        self.stored_body = stored.body
        self.stored_revision = stored.revision
        super().__init__(
            _(
                "your note on {step} is kept as saved: an empty box does not delete it. "
                "To delete it, use “Delete my note”."
            ).format(step=repr(step_title))
        )


def _conflict(session: Session, meeting_id, step, title, author, body, expected) -> NoteConflict:
    session.rollback()
    stored = note_of(session, meeting_id=meeting_id, step=step, author=author)
    return NoteConflict(
        step=step,
        step_title=title,
        author=author,
        stored_body=stored.body if stored else "",
        stored_revision=stored.revision if stored else 0,
        your_body=body,
        your_revision=expected,
    )


def save_note(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    step: str,
    body: str,
    expected_revision: int | None,
    now: datetime,
    author: str | None = None,
    clear: bool = False,
) -> MeetingNote | None:
    """Save the author's note on one agenda step and return it with its new revision.

    ``expected_revision`` is the revision the author's editor started from (None or 0 for a
    new note). When the stored note has moved on since (the same author in another browser
    tab), raise :class:`NoteConflict` with the stored text; nothing is overwritten. Other
    authors have their own rows and never conflict. Saving the same text again is a no-op.
    On a closed meeting only an admin may write (audited with old and new text; the minutes
    are rewritten from the frozen scorecard); only an admin may write as another ``author``.

    An empty text (or only spaces) never creates a note (returns the stored one, None when
    there is none) and never replaces a written one: that raises :class:`EmptyNote`, unless
    ``clear`` says the person deliberately deleted their note — then the note is emptied
    (revision + 1) and the deleted text kept in the audit log.
    """
    require(actor, "meeting.run")
    now = utc_time(now)
    meeting = meeting_by_id(session, meeting_id)
    author = (author or actor.username).strip()
    if author != actor.username:
        require(actor, "meeting.correct_closed")
    require_open(actor, meeting)
    steps = step_titles(agenda_of(meeting))
    if step not in steps:
        raise InvalidInput(
            _(
                "there is no step {step} on the agenda of {title}: copy your text "
                "and add it to one of {steps}"
            ).format(
                step=repr(step),
                title=repr(meeting.title),
                steps=", ".join(repr(t) for t in steps.values()),
            )
        )
    title = steps[step]
    body = "" if body is None else str(body)
    if len(body) > MAX_NOTE:
        raise InvalidInput(
            _("keep a note to {most} characters (it has {n})").format(
                most=formatting.count(MAX_NOTE), n=formatting.count(len(body))
            )
        )
    if expected_revision is not None and (
        isinstance(expected_revision, bool) or not isinstance(expected_revision, int)
    ):
        raise InvalidInput(f"expected_revision must be a whole number (got {expected_revision!r})")
    expected = expected_revision or 0
    stored = note_of(session, meeting_id=meeting.id, step=step, author=author)
    old_body = stored.body if stored else ""
    if stored is not None and stored.body == body:
        return stored  # nothing changed (e.g. the same autosave twice)
    empty = not body.strip()
    if clear and not empty:
        raise InvalidInput(_("clearing a note saves an empty text: empty the box first"))
    if empty and (stored is None or not stored.body.strip()):
        return stored  # nothing written, nothing to keep: an empty note is never created
    if empty and not clear:
        raise EmptyNote(step=step, step_title=title, stored=stored)
    adopt(session, meeting)
    if stored is None:
        note = MeetingNote(
            meeting_id=meeting.id,
            step=step,
            author=author,
            body=body,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(note)
        try:
            session.flush()
        except IntegrityError:  # the same author's other tab created it a moment ago
            raise _conflict(session, meeting.id, step, title, author, body, expected) from None
    else:
        if stored.revision != expected:
            raise NoteConflict(
                step=step,
                step_title=title,
                author=author,
                stored_body=stored.body,
                stored_revision=stored.revision,
                your_body=body,
                your_revision=expected_revision,
            )
        t = MeetingNote.__table__
        changed = session.execute(
            update(t)
            .where(t.c.id == stored.id, t.c.revision == expected)
            .values(body=body, revision=expected + 1, updated_at=now, is_demo=False)
        ).rowcount
        if changed != 1:  # saved elsewhere between our read and our write
            raise _conflict(session, meeting.id, step, title, author, body, expected)
        session.refresh(stored)
        note = stored
    if clear:
        audit.record(
            session,
            actor.username,
            "meeting.clear_note",
            "meeting",
            meeting.id,
            step=step,
            author=author,
            old=old_body,
        )
    if is_closed(meeting):
        audit.record(
            session,
            actor.username,
            "meeting.correct_note",
            "meeting",
            meeting.id,
            step=step,
            author=author,
            old=old_body,
            new=body,
        )
        rewrite_minutes(session, meeting)
        bump_data_version(session)
    session.commit()
    return note
