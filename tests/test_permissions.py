"""The permission table is enforced for every action and role."""

from __future__ import annotations

import pytest

from smarketing.auth.permissions import (
    PERMISSIONS,
    Actor,
    allowed,
    permission_table,
    require,
    role_label,
)
from smarketing.errors import PermissionDenied


@pytest.mark.parametrize(
    ("roles", "action", "ok"),
    [
        ({"sales"}, "sla.propose", False),  # the example of the issue
        ({"leadership"}, "sla.propose", True),
        ({"admin"}, "users.manage", True),
        ({"marketing"}, "users.manage", False),
        ({"sales"}, "lead.verdict", True),
        ({"marketing"}, "lead.verdict", False),  # marketing cannot judge its own leads
        ({"marketing"}, "sla.confirm_marketing", True),
        ({"marketing"}, "sla.confirm_sales", False),
        ({"sales", "marketing"}, "campaign.edit", True),  # any one role suffices
        (set(), "meeting.run", False),
    ],
)
def test_allowed(roles, action, ok):
    actor = Actor.of("someone", roles)
    assert allowed(actor, action) is ok
    if ok:
        require(actor, action)
    else:
        with pytest.raises(PermissionDenied, match="Only"):
            require(actor, action)


def test_message_names_roles():
    with pytest.raises(PermissionDenied) as info:
        require(Actor.of("sam", {"sales"}), "sla.propose")
    assert "admin, leadership" in str(info.value) and "your roles: sales" in str(info.value)


def test_unknown_action_is_a_bug():
    with pytest.raises(KeyError):
        allowed(Actor.of("x", {"admin"}), "no.such.action")


def test_table_lists_every_action():
    assert [row["action"] for row in permission_table()] == list(PERMISSIONS)


def test_readme_table_matches_the_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = {
        tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        for line in readme.splitlines()
        if line.startswith("|")
    }
    for row in permission_table():
        cells = (row["what"], *(row[r] for r in ("admin", "marketing", "sales", "leadership")))
        assert cells in rows, f"README's permission table lacks or differs on: {cells}"


def test_a_refusal_in_norwegian_names_the_roles_in_norwegian():
    from smarketing import i18n

    with i18n.language("nb"), pytest.raises(PermissionDenied) as info:
        require(Actor.of("sam", {"sales"}), "sla.propose")
    assert str(info.value) == (
        "Bare admin, ledelse kan foreslå en ny versjon av SLA-avtalen (dine roller: salg)."
    )
    with i18n.language("nb"):
        assert role_label("marketing") == "marked"
        assert role_label("nobody") == "nobody"  # an unknown role as it is stored


def test_a_refusal_in_english_keeps_the_role_names():
    with pytest.raises(PermissionDenied) as info:
        require(Actor.of("x", set()), "audit.read")
    assert str(info.value) == "Only admin may read the audit log (your roles: none)."
