"""Users: validation, roles, first admin (logins and their throttle: tests/test_logins.py;
sessions: tests/test_sessions.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from smarketing.auth import logins, users
from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.store.models import AuditEntry

ADMIN = Actor.of("root", {"admin"})


def add(session, username="sam", roles=("sales",), password="correct horse"):
    return users.add_user(
        session,
        actor=ADMIN,
        username=username,
        name=username.title(),
        email=f"{username.strip().lower()}@example.com",
        roles=roles,
        password=password,
    )


def test_add_user_hashes_and_audits(session):
    user = add(session, "Sam ")  # trimmed and lower-cased
    assert user.username == "sam"
    assert user.password_hash != "correct horse"
    assert users.password_matches("correct horse", user.password_hash)
    assert not users.password_matches("wrong", user.password_hash)
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.entity_id) == ("root", "user.add", "sam")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "x"}, "username"),
        ({"username": "Kari Nordmann"}, "username"),
        ({"password": "short"}, "at least 8"),
        ({"password": " padded password "}, "space"),
        ({"roles": ()}, "at least one role"),
        ({"roles": ("boss",)}, "unknown role boss"),
    ],
)
def test_add_user_rejects_bad_input(session, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        add(session, **kwargs)


def test_duplicate_and_bad_email(session):
    add(session)
    with pytest.raises(InvalidInput, match="already exists"):
        add(session)
    with pytest.raises(InvalidInput, match="not an e-mail"):
        users.add_user(
            session,
            actor=ADMIN,
            username="eve",
            name="Eve",
            email="eve",
            roles=["sales"],
            password="long enough",
        )


def test_only_admin_manages_users(session):
    add(session)
    with pytest.raises(PermissionDenied):
        users.add_user(
            session,
            actor=Actor.of("sam", {"sales"}),
            username="x2",
            name="X",
            email="x@example.com",
            roles=["sales"],
            password="long enough",
        )
    with pytest.raises(PermissionDenied):
        users.set_roles(session, actor=Actor.of("sam", {"sales"}), username="sam", roles=["admin"])
    # but everyone may change their own password
    users.set_password(
        session, actor=Actor.of("sam", {"sales"}), username="sam", password="new password"
    )


def test_first_admin_needs_code_and_empty_store(session):
    with pytest.raises(PermissionDenied, match="setup code is wrong"):
        users.create_first_admin(
            session,
            setup_code="guess",
            expected_code="s3cret-code",
            username="kari",
            name="Kari",
            email="k@example.com",
            password="long enough",
        )
    user = users.create_first_admin(
        session,
        setup_code=" s3cret-code ",
        expected_code="s3cret-code",
        username="kari",
        name="Kari",
        email="k@example.com",
        password="long enough",
    )
    assert user.role_list == ["admin"]
    with pytest.raises(PermissionDenied, match="already exists"):
        users.create_first_admin(
            session,
            setup_code="s3cret-code",
            expected_code="s3cret-code",
            username="eve",
            name="Eve",
            email="e@example.com",
            password="long enough",
        )


def test_setup_codes_are_random():
    assert len({users.new_setup_code() for _ in range(20)}) == 20


def test_setup_code_from_environment_must_be_long():
    with pytest.raises(InvalidInput, match="at least 16"):
        users.checked_setup_code("short")
    assert users.checked_setup_code(" " + "x" * 16 + " ") == "x" * 16


def test_non_ascii_setup_code_is_just_wrong(session):
    with pytest.raises(PermissionDenied, match="setup code is wrong"):
        users.create_first_admin(
            session,
            setup_code="kodeø",
            expected_code="s3cret-code-long",
            username="kari",
            name="Kari",
            email="k@example.com",
            password="long enough",
        )


def test_disabled_users_cannot_log_in_and_are_never_deleted(session):
    add(session)
    users.set_disabled(session, actor=ADMIN, username="sam")
    assert "sam" not in logins.login_credentials(session)["usernames"]
    table = users.users_table(session)
    assert table.set_index("username").loc["sam", "state"] == "disabled"
    users.set_disabled(session, actor=ADMIN, username="sam", disabled=False)
    assert "sam" in logins.login_credentials(session)["usernames"]


def test_last_admin_is_protected(session):
    add(session, "kari", roles=("admin",))
    kari = Actor.of("kari", {"admin"})
    with pytest.raises(InvalidInput, match="last active admin"):
        users.set_roles(session, actor=ADMIN, username="kari", roles=["sales"])
    with pytest.raises(InvalidInput, match="your own account"):
        users.set_disabled(session, actor=kari, username="kari")
    add(session, "ola", roles=("admin", "marketing"))
    users.set_roles(session, actor=ADMIN, username="kari", roles=["sales"])
    assert users.get_user(session, "kari").role_list == ["sales"]


def test_unknown_user(session):
    with pytest.raises(NotFound):
        users.set_password(session, actor=ADMIN, username="nobody", password="long enough")


def test_a_user_saves_their_language_and_only_an_admin_sets_someone_elses(session):
    from smarketing import i18n

    users.add_user(
        session,
        actor=ADMIN,
        username="sam",
        name="Sam",
        email="s@x.no",
        roles=["sales"],
        password="correct horse battery",
    )
    users.add_user(
        session,
        actor=ADMIN,
        username="mia",
        name="Mia",
        email="m@x.no",
        roles=["marketing"],
        password="correct horse battery",
    )
    assert users.language_of(session, "sam") is None
    sam = Actor.of("sam", {"sales"})
    users.set_language(session, actor=sam, username="sam", language="nb")
    assert users.language_of(session, "sam") == "nb"
    with pytest.raises(PermissionDenied):
        users.set_language(session, actor=sam, username="mia", language="en")
    users.set_language(session, actor=ADMIN, username="mia", language="en")
    assert users.language_of(session, "mia") == "en"
    with pytest.raises(InvalidInput, match="'de' is not a language of the app"):
        users.set_language(session, actor=sam, username="sam", language="de")
    with i18n.language("nb"), pytest.raises(InvalidInput, match="ikke et språk"):
        users.set_language(session, actor=sam, username="sam", language="de")
    users.set_language(session, actor=sam, username="sam", language=None)
    assert users.language_of(session, "sam") is None


def test_the_password_rules_in_norwegian():
    from smarketing import i18n

    with i18n.language("nb"):
        assert users.password_problems(" kort") == [
            "passordet må ha minst 8 tegn",
            "passordet kan ikke begynne eller slutte med mellomrom",
        ]
        assert users.identity_problems("Kari N", "", "kari") == [
            "brukernavnet må ha 2–64 tegn: små bokstaver, sifre, «.», «_» eller «-»",
            "navnet kan ikke være tomt",
            "'kari' er ikke en e-postadresse",
        ]
