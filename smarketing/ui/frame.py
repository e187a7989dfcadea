"""The shared frame around every page: the as-of picker, data facts and the demo banner."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import config
from smarketing.auth.permissions import PERMISSIONS, Actor, allowed, require, role_label
from smarketing.errors import PermissionDenied
from smarketing.i18n import N_, _
from smarketing.sla.periods import today_local
from smarketing.ui import resources, widgets

AS_OF_KEY = "as_of"
#: The browser tab's icon, shipped with the app (a material icon would load from a font host).
FAVICON = str(Path(__file__).with_name("favicon.png"))
#: The sidebar's width in pixels: room for the longest page title, the rest for the figures.
SIDEBAR_WIDTH = 236
#: The address of meeting mode, the page for the wall screen.
WALL_SCREEN = "meeting_mode"
#: (script, title, icon, the permission that opens it) of the Admin section.
ADMIN_PAGES = (
    ("app_pages/admin_import.py", N_("Import"), ":material/upload:", "import.run"),
    ("app_pages/admin_sources.py", N_("Data sources"), ":material/sync:", "sources.manage"),
    ("app_pages/admin_users.py", N_("Users"), ":material/group:", "users.manage"),
    ("app_pages/admin_audit.py", N_("Audit log"), ":material/history:", "audit.read"),
    (
        "app_pages/admin_notifications.py",
        N_("Notifications"),
        ":material/notifications_active:",
        "notify.manage",
    ),
)
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _initial_as_of() -> date:
    raw = st.query_params.get("as_of")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            st.toast(_("Ignored as_of={raw!r} in the address: use YYYY-MM-DD.").format(raw=raw))
        else:
            if EARLIEST <= day <= LATEST:
                return day
            st.toast(
                _("Ignored as_of={raw}: pick a day between {earliest} and {latest}.").format(
                    raw=raw, earliest=EARLIEST, latest=LATEST
                )
            )
    return today_local()


def as_of() -> date:
    """The as-of day every page reports up to (sidebar picker, default today)."""
    if AS_OF_KEY not in st.session_state:
        st.session_state[AS_OF_KEY] = _initial_as_of()
    return st.session_state[AS_OF_KEY]


def facts(engine: Engine, live: tuple | None = None) -> dict:
    """Cached facts about the store (newest timestamp, demo flag, the CRM sync); ``live`` is
    the activity key (``resources.activity_key``) when the page has read it already."""
    return resources.store_facts(engine, *(live or resources.activity_key(engine)))


def sidebar_and_banner(engine: Engine, *, compact: bool = False) -> None:
    """Render the shared sidebar controls and, while demo data is present, the banner
    (``compact``: a one-line badge, and a save's message as a toast)."""
    as_of()
    with st.sidebar:
        st.date_input(
            _("As of"),
            key=AS_OF_KEY,
            min_value=EARLIEST,
            max_value=LATEST,
            format=widgets.date_input_format(),
            help=_("Every figure counts up to and including this day ({timezone}).").format(
                timezone=config.timezone_name()
            ),
        )
    chosen = st.session_state[AS_OF_KEY]
    if chosen == today_local():
        st.query_params.pop("as_of", None)
    else:  # the address is a link to exactly these figures
        st.query_params["as_of"] = chosen.isoformat()
    widgets.demo_banner(facts(engine)["demo"], compact=compact)
    widgets.flash(toast=compact)
    if not compact and allowed(actor(), "users.manage"):
        resources.file_mode_warning(full=False)


def actor() -> Actor:
    """The logged-in actor (set by the gate in frame.py)."""
    return Actor.of(st.session_state["username"], st.session_state.get("roles") or [])


def actor_allowed_to(action: str) -> Actor:
    """The actor, if their roles allow ``action``; otherwise say so and stop the page.

    Navigation already hides such pages; this guards a page reached any other way.
    """
    who = actor()
    try:
        require(who, action)
    except PermissionDenied as exc:
        st.error(str(exc), icon=":material/lock:")
        st.stop()
    return who


def engine():
    """The app's engine (migrated, cached)."""
    return resources.engine()


def refused_page(script: str, title: str, action: str) -> st.Page:
    """A hidden stand-in for a page the user's roles do not open: reached by its address, it
    says which role it needs (instead of silently showing the Overview)."""

    def refused() -> None:
        roles = _(" or ").join(sorted(role_label(r.value) for r in PERMISSIONS[action][0]))
        st.title(title)
        st.error(
            _(
                "You need the **{roles}** role to open {title}. Ask an admin if you should have it."
            ).format(roles=roles, title=title),
            icon=":material/lock:",
        )
        st.page_link(
            "app_pages/overview.py", label=_("Go to the Overview"), icon=":material/dashboard:"
        )

    return st.Page(refused, title=title, url_path=Path(script).stem, visibility="hidden")
