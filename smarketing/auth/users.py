"""Users, roles, passwords and the first-admin setup (logging in and its throttle:
:mod:`smarketing.auth.logins`; open sessions: :mod:`smarketing.auth.sessions`)."""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
from collections.abc import Iterable
from datetime import datetime

import bcrypt
import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from smarketing import i18n
from smarketing.auth import audit, sessions, throttle
from smarketing.auth.permissions import Actor, require, role_labels
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.i18n import N_, _
from smarketing.store.models import MeetingNote, Role, User, utcnow

MIN_PASSWORD = 8
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str) -> str:
    """A bcrypt hash of the password (the format streamlit-authenticator checks)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def password_matches(password: str, password_hash: str) -> bool:
    """True when the password matches the stored bcrypt hash."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


MIN_SETUP_CODE = 16


def new_setup_code() -> str:
    """A fresh one-time code for creating the first admin (printed to the server console)."""
    return secrets.token_urlsafe(12)


def checked_setup_code(code: str) -> str:
    """A setup code given by the operator (SMARKETING_SETUP_CODE), if long enough."""
    code = code.strip()
    if len(code) < MIN_SETUP_CODE:
        raise InvalidInput(
            _("SMARKETING_SETUP_CODE must have at least {n} characters").format(n=MIN_SETUP_CODE)
        )
    return code


_console_codes: dict[str, str] = {}
_console_lock = threading.Lock()


def console_setup_code() -> str:
    """This process's one-time first-admin code (SMARKETING_SETUP_CODE, else a random one),
    printed to the server console the first time it is asked for: at server start when
    there is no user yet (``smarketing.api.server``), else on the first page view that
    needs it."""
    given = os.environ.get("SMARKETING_SETUP_CODE", "").strip()
    with _console_lock:
        code = _console_codes.get(given)
        if code is None:
            code = checked_setup_code(given) if given else new_setup_code()
            _console_codes[given] = code
            text = _(
                "Smarketing has no users yet. To create the first admin, open the app\n"
                "  and enter this setup code:  {code}"
            ).format(code=code)
            print(
                "\n" + "=" * 64 + "\n  " + text + "\n" + "=" * 64 + "\n",
                file=sys.stderr,
                flush=True,
            )
        return code


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(_("the password must have at least {n} characters").format(n=MIN_PASSWORD))
    if password != password.strip():
        problems.append(_("the password must not start or end with a space"))
    if len(password.encode()) > 72:
        problems.append(_("the password must be at most 72 bytes long"))
    return problems


def _check_password(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise InvalidInput(problems=problems)


def _clean_roles(roles: Iterable[str]) -> str:
    names = [str(r).strip().lower() for r in roles if str(r).strip()]
    if not names:
        raise InvalidInput(
            _("give at least one role: {roles}").format(roles=", ".join(r.value for r in Role))
        )
    unknown = sorted(set(names) - {r.value for r in Role})
    if unknown:
        raise InvalidInput(
            _("unknown role {unknown}; roles are {roles}").format(
                unknown=", ".join(unknown), roles=", ".join(r.value for r in Role)
            )
        )
    return ",".join(r.value for r in Role if r.value in names)


def identity_problems(username: str, name: str, email: str) -> list[str]:
    """What is wrong with a new account's username, name and e-mail (empty when fine)."""
    problems = []
    if not USERNAME_RE.match(username):
        problems.append(
            _("the username must be 2–64 characters: lower-case letters, digits, '.', '_' or '-'")
        )
    if not name.strip():
        problems.append(_("the name must not be empty"))
    if not EMAIL_RE.match(email):
        problems.append(
            _("{email!r} is not an e-mail address").format(email=email)
            if email
            else _("give an e-mail")
        )
    return problems


def _check_identity(username: str, name: str, email: str) -> None:
    problems = identity_problems(username, name, email)
    if problems:
        raise InvalidInput(problems=problems)


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(_("no user named {username!r}").format(username=username))
    return user


def user_count(session: Session) -> int:
    """How many users exist (disabled ones included)."""
    return session.exec(select(func.count()).select_from(User)).one()


def get_user(session: Session, username: str) -> User:
    """The user with this username, or NotFound."""
    return _get(session, username)


def _insert_user(session, username, name, email, roles, password) -> User:
    username = username.strip().lower()
    problems = identity_problems(username, name, email.strip()) + password_problems(password)
    if problems:
        raise InvalidInput(problems=problems)
    if session.exec(select(User).where(User.username == username)).first():
        raise InvalidInput(_("a user named {username!r} already exists").format(username=username))
    user = User(
        username=username,
        name=name.strip(),
        email=email.strip(),
        roles=_clean_roles(roles),
        password_hash=hash_password(password),
    )
    session.add(user)
    return user


def add_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    name: str,
    email: str,
    roles: Iterable[str],
    password: str,
) -> User:
    """Create a user (admin only); commits."""
    require(actor, "users.manage")
    user = _insert_user(session, username, name, email, roles, password)
    audit.record(session, actor.username, "user.add", "user", user.username, roles=user.roles)
    session.commit()
    return user


def create_first_admin(
    session: Session,
    *,
    setup_code: str,
    expected_code: str,
    username: str,
    name: str,
    email: str,
    password: str,
    repeat: str | None = None,
) -> User:
    """Create the first admin, allowed only while no user exists and with the console's code.

    Every problem with the form is reported at once (``InvalidInput.problems``); a wrong
    code alone is a PermissionDenied. ``repeat`` is the password typed a second time."""
    if user_count(session) > 0:
        raise PermissionDenied(_("an admin already exists; ask them for an account"))
    problems = identity_problems(username.strip().lower(), name, email.strip())
    problems += password_problems(password)
    if repeat is not None and repeat != password:
        problems.append(_("the two passwords differ"))
    if not secrets.compare_digest(setup_code.strip().encode(), expected_code.encode()):
        wrong = _("the setup code is wrong: copy it from the console where the app was started")
        if not problems:
            raise PermissionDenied(wrong)
        problems.insert(0, wrong)
    if problems:
        raise InvalidInput(problems=problems)
    user = _insert_user(session, username, name, email, [Role.admin], password)
    audit.record(session, user.username, "user.first_admin", "user", user.username)
    session.commit()
    return user


def set_password(
    session: Session, *, actor: Actor, username: str, password: str, now: datetime | None = None
) -> None:
    """Reset a user's password (admin, or the user themself): ends all the user's open
    sessions and clears the username's failed logins; commits."""
    user = _get(session, username)
    if actor.username != user.username:
        require(actor, "users.manage")
    _check_password(password)
    now = now or utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    session.add(user)
    ended = sessions.revoke_all(session, user.username, by=actor.username, why="password", now=now)
    throttle.forget_username(session, user.username)
    audit.record(
        session, actor.username, "user.set_password", "user", user.username, sessions_ended=ended
    )
    session.commit()


def set_roles(session: Session, *, actor: Actor, username: str, roles: Iterable[str]) -> None:
    """Replace a user's roles (admin only; the last active admin keeps the admin role)."""
    require(actor, "users.manage")
    user = _get(session, username)
    new = _clean_roles(roles)
    if Role.admin.value in user.role_list and Role.admin.value not in new.split(","):
        _keep_one_admin(session, user)
    old, user.roles = user.roles, new
    session.add(user)
    audit.record(session, actor.username, "user.set_roles", "user", user.username, old=old, new=new)
    session.commit()


def _keep_one_admin(session: Session, leaving: User) -> None:
    admins = [
        u
        for u in session.exec(select(User).where(User.disabled == False)).all()  # noqa: E712
        if Role.admin.value in u.role_list and u.id != leaving.id
    ]
    if not admins:
        raise InvalidInput(_("this is the last active admin: make someone else admin first"))


def set_disabled(
    session: Session,
    *,
    actor: Actor,
    username: str,
    disabled: bool = True,
    now: datetime | None = None,
) -> None:
    """Disable (or re-enable) a user; disabling ends the user's open sessions. Users are
    never deleted, so their notes keep an author."""
    require(actor, "users.manage")
    user = _get(session, username)
    if disabled and user.username == actor.username:
        raise InvalidInput(_("you cannot disable your own account"))
    if disabled and Role.admin.value in user.role_list:
        _keep_one_admin(session, user)
    user.disabled = disabled
    session.add(user)
    detail = {}
    if disabled:
        detail["sessions_ended"] = sessions.revoke_all(
            session, user.username, by=actor.username, why="disabled", now=now or utcnow()
        )
    audit.record(
        session,
        actor.username,
        "user.disable" if disabled else "user.enable",
        "user",
        user.username,
        **detail,
    )
    session.commit()


def update_profile(session: Session, *, actor: Actor, username: str, name: str, email: str) -> None:
    """Change a user's display name and e-mail (admin only)."""
    require(actor, "users.manage")
    user = _get(session, username)
    _check_identity(user.username, name, email.strip())
    user.name, user.email = name.strip(), email.strip()
    session.add(user)
    audit.record(session, actor.username, "user.update", "user", username, name=name, email=email)
    session.commit()


def language_of(session: Session, username: str) -> str | None:
    """The language a user chose (nb, en), None when they never chose one (the app default
    speaks to them) or when there is no such user."""
    return session.exec(select(User.language).where(User.username == username)).first()


def set_language(session: Session, *, actor: Actor, username: str, language: str | None) -> None:
    """Save the language a user reads the app and their messages in (None: the app
    default). Everyone sets their own; an admin (users.manage) anyone's."""
    if actor.username != username:
        require(actor, "users.manage")
    if language is not None and language not in i18n.LANGUAGES:
        raise InvalidInput(
            _("{language!r} is not a language of the app (one of: {languages})").format(
                language=language, languages=", ".join(i18n.LANGUAGES)
            )
        )
    user = _get(session, username)
    if user.language == language:
        return
    user.language = language
    session.add(user)
    audit.record(session, actor.username, "user.language", "user", username, language=language)
    session.commit()


#: The columns of ``users_table`` as people read them (English, the message ids).
USER_LABELS = {
    "username": N_("Username"),
    "name": N_("Name"),
    "email": N_("E-mail"),
    "roles": N_("Roles"),
    "state": N_("State"),
    "notes_written": N_("Notes written"),
    "last_login": N_("Last login"),
}
#: A user's state (``users_table``'s active or disabled) as people read it.
STATE_LABELS = {"active": N_("active"), "disabled": N_("disabled")}


def user_labels() -> dict[str, str]:
    """The column labels of ``users_table`` in the language speaking now."""
    return {name: _(label) for name, label in USER_LABELS.items()}


def for_people(table: pd.DataFrame) -> pd.DataFrame:
    """``users_table`` with roles and state in the language speaking now (the screen and
    `users list`; the columns keep their names)."""
    return table.assign(
        roles=[role_labels(r for r in roles.split(", ") if r) for roles in table["roles"]],
        state=[_(STATE_LABELS[v]) if v in STATE_LABELS else v for v in table["state"]],
    )


def users_table(session: Session) -> pd.DataFrame:
    """All users with roles, state and how many notes each wrote."""
    notes = dict(
        session.exec(select(MeetingNote.author, func.count()).group_by(MeetingNote.author)).all()
    )
    rows = []
    for u in session.exec(select(User).order_by(User.username)).all():
        rows.append(
            {
                "username": u.username,
                "name": u.name,
                "email": u.email,
                "roles": ", ".join(u.role_list),
                "state": "disabled" if u.disabled else "active",
                "notes_written": notes.get(u.username, 0),
                "last_login": u.last_login_at,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["username", "name", "email", "roles", "state", "notes_written", "last_login"],
    )
