"""The directory of people the app names: every user (username -> name), the demo company's
cast (stored by the demo build in a setting, so rows that still refer to those usernames keep
their names after the demo is removed) and the app's own actors (the CLI, the first start).

Screens, minutes and exports show people through :func:`display_name` /
:func:`display_names`, never a bare username; lists of people typed or picked into one text
field ("decided by") go through :func:`join_people` and :func:`people_text`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from sqlmodel import Session, col, select

from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.store.db import get_setting, set_setting
from smarketing.store.models import User

#: Setting key: JSON ``{username: name}`` of people who are named without a user account
#: (the demo company's cast). Kept when the demo is removed: notes, actions and decisions
#: people made may still refer to them.
CAST_SETTING = "people.cast"
#: Usernames of the app itself.
#: (English, the message ids: ``display_names`` translates them.)
APP_ACTORS = {"cli": N_("Command line"), "system": "Smarketing"}


def _app_actors() -> dict[str, str]:
    return {u: _(n) for u, n in APP_ACTORS.items()}


#: Shown where a person is expected but none is recorded.
NOBODY = "—"
#: Separator of people stored in one text field ("decided by").
SEPARATOR = ", "


def cast(session: Session) -> dict[str, str]:
    """The stored cast (username -> name); empty when none is stored. (A demo company
    written before the cast was stored gets it at the app's next start:
    ``smarketing.demo.build.ensure_cast``.)"""
    raw = get_setting(session, CAST_SETTING)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if str(v).strip()}


def store_cast(session: Session, people: Mapping[str, str]) -> None:
    """Add ``people`` (username -> name) to the stored cast (no commit). Names already stored
    for other usernames stay: the cast only grows."""
    merged = {**cast(session), **{str(k): str(v) for k, v in people.items()}}
    set_setting(session, CAST_SETTING, json.dumps(merged, ensure_ascii=False, sort_keys=True))


def directory(session: Session) -> dict[str, str]:
    """Every known person: username -> name (a user's own name wins over the cast's)."""
    users = session.exec(select(User.username, User.name)).all()
    return {**_app_actors(), **cast(session), **{u: n for u, n in users if n and n.strip()}}


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Username -> the person's name, for the given usernames (unknown ones stay as they
    are; empty ones are left out)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.exec(select(User.username, User.name).where(col(User.username).in_(wanted)))
    users = {u: n for u, n in rows.all() if n and n.strip()}
    known = {**_app_actors(), **cast(session), **users}
    return {u: known.get(u, u) for u in wanted}


def display_name(session: Session, username: str | None, empty: str = NOBODY) -> str:
    """The person's name (``empty`` when there is no username)."""
    if not username:
        return empty
    return display_names(session, [username])[username]


def name_in(names: Mapping[str, str], username: str | None, empty: str = NOBODY) -> str:
    """``username``'s name from a :func:`display_names` mapping (``empty`` for none)."""
    if not username:
        return empty
    return names.get(username, username)


def join_people(people: Sequence[str], *, limit: int | None = None) -> str:
    """Picked people (usernames, or names of people without an account) as one text, in
    the order given, each once. InvalidInput for an empty pick or a name with a comma."""
    picked: list[str] = []
    for person in people:
        text = " ".join(str(person or "").split())
        if not text:
            continue
        if "," in text:
            raise InvalidInput(
                _("write one person per entry, without a comma (got {text!r})").format(text=text)
            )
        if text not in picked:
            picked.append(text)
    if not picked:
        raise InvalidInput(_("pick who decided: at least one person"))
    joined = SEPARATOR.join(picked)
    if limit is not None and len(joined) > limit:
        raise InvalidInput(
            _("pick fewer people: 'decided by' holds at most {limit} characters").format(
                limit=limit
            )
        )
    return joined


def split_people(text: str | None) -> list[str]:
    """The entries of a text written by :func:`join_people` (or any comma-separated text)."""
    return [p.strip() for p in str(text or "").split(",") if p.strip()]


def people_text(names: Mapping[str, str], text: str | None, empty: str = NOBODY) -> str:
    """A stored list of people with every username replaced by the person's name; free text
    from before people were picked (e.g. 'Maria Moe (marketing), Sam Solberg (sales)')
    reads as it was written."""
    parts = split_people(text)
    if not parts:
        return empty
    return SEPARATOR.join(names.get(p, p) for p in parts)


def people_in(texts: Iterable[str | None]) -> list[str]:
    """Every entry of the given people texts (to look their names up at once)."""
    return [p for t in texts for p in split_people(t)]
