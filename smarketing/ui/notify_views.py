"""The notification screens: "My notifications" (which kinds, which channel and address,
quiet hours, a test message) and Admin → Notifications (every message with its status,
attempts and last error, Resend; the team channels). Every write goes through
``smarketing.notify`` (checked there)."""

from __future__ import annotations

from datetime import time

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing.auth.permissions import Actor
from smarketing.notify import outbox, preferences
from smarketing.safe_text import safe_markdown
from smarketing.store.models import Role
from smarketing.ui import tables, widgets
from smarketing.ui.resources import session
from smarketing.ui.tables import Col

PREF_KEYS = (
    "notify_kinds",
    "notify_channel",
    "notify_address",
    "notify_quiet_on",
    "notify_quiet_start",
    "notify_quiet_end",
)
STATUS_LABELS = {
    "pending": "Pending",
    "sending": "Sending",
    "delayed": "Delayed (quiet hours)",
    "sent": "Sent",
    "failed": "Failed",
    "skipped": "Skipped (opted out)",
}
OFF = "off"


def my_preference(engine: Engine, actor: Actor) -> preferences.Preference:
    """What applies to the logged-in person now."""
    with session(engine) as s:
        return preferences.preference(s, actor.username)


def _roles_text(actor: Actor) -> str:
    return ", ".join(r.value for r in Role if r.value in actor.roles) or "no role"


def defaults_note(pref: preferences.Preference, actor: Actor) -> None:
    """Whether the person's own choice or their roles' defaults apply."""
    if pref.saved:
        st.caption("Your own choice applies. Messages you opted out of are never sent to you.")
    else:
        st.info(
            f"These are the defaults for your roles ({_roles_text(actor)}): everyone gets "
            "actions, the meeting pre-read and minutes; sales also hot leads and contact "
            "deadlines; marketing also SLA at risk. They apply until you save your own.",
            icon=":material/tune:",
        )


def preference_form(engine: Engine, actor: Actor, pref: preferences.Preference) -> None:
    """The form of one's own choice: kinds, channel and address, quiet hours; Save."""
    channels = list(preferences.CHANNELS)
    with st.form("notify_prefs"):
        kinds = st.multiselect(
            "What I get",
            list(preferences.KINDS),
            default=sorted(pref.kinds, key=list(preferences.KINDS).index),
            format_func=preferences.KINDS.get,
            key="notify_kinds",
        )
        channel = st.selectbox(
            "Channel",
            channels,
            index=channels.index(pref.channel),
            format_func=preferences.CHANNELS.get,
            key="notify_channel",
        )
        address = st.text_input(
            "Address",
            value=pref.address or "",
            placeholder=f"E-mail: empty sends to {pref.email}; Slack/Teams/webhook: its URL",
            help="An e-mail address, or the incoming webhook's URL (Slack: Apps → Incoming "
            "Webhooks; Teams: a channel's Workflows → webhook). Empty with e-mail: your "
            "account's e-mail.",
            key="notify_address",
        )
        quiet_on = st.checkbox(
            "Quiet hours",
            value=pref.quiet_start is not None,
            help="Messages that come in your quiet hours wait until they end: delayed, "
            "never dropped. Times in the business timezone.",
            key="notify_quiet_on",
        )
        start_col, end_col = st.columns(2)
        start = start_col.time_input(
            "From", value=pref.quiet_start or time(20), step=900, key="notify_quiet_start"
        )
        end = end_col.time_input(
            "Until", value=pref.quiet_end or time(7), step=900, key="notify_quiet_end"
        )
        if st.form_submit_button("Save", type="primary"):
            widgets.save(
                engine,
                "Saved your notification settings.",
                lambda s: preferences.save_preference(
                    s,
                    actor=actor,
                    username=actor.username,
                    kinds=kinds,
                    channel=channel,
                    address=address,
                    quiet_start=start if quiet_on else None,
                    quiet_end=end if quiet_on else None,
                ),
                clear=PREF_KEYS,
            )


def send_test(channel: str, address: str | None, *, key: str) -> None:
    """A "Send a test" button for ``channel`` and ``address``: what the channel said, or why
    it failed."""
    label = preferences.address_label(channel, address)
    if not st.button("Send a test", key=key, disabled=not address, help=f"To {label}"):
        return
    from smarketing.notify.channels import send_test as channel_test
    from smarketing.notify.message import ChannelError

    try:
        said = channel_test(channel, address)
    except ChannelError as exc:
        later = " Worth trying again later." if exc.retry else ""
        st.error(f"The test did not go out: {safe_markdown(str(exc))}.{later}")
    else:
        st.success(f"Test sent to {safe_markdown(label)}: {safe_markdown(str(said))}")


def where_it_goes(pref: preferences.Preference) -> None:
    """Where one's messages go now, and the test button."""
    address = pref.resolved_address
    label = preferences.address_label(pref.channel, address)
    st.markdown(
        f"Your messages go by **{preferences.CHANNELS[pref.channel]}** to `{safe_markdown(label)}`."
        if address
        else f":red[No address for {preferences.CHANNELS[pref.channel]}: give one above.]"
    )
    send_test(pref.channel, address, key="notify_test")


# --- Admin → Notifications ---------------------------------------------------------------------


def counts(engine: Engine) -> None:
    """One tile per status."""
    with session(engine) as s:
        by_status = outbox.status_counts(s)
    shown = ("sent", "failed", "pending", "delayed", "skipped")
    for column, status in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(STATUS_LABELS[status], by_status[status], border=True)


def filters() -> tuple[list[str], str | None, str | None]:
    """The list's filters: statuses, kind, recipient."""
    left, middle, right = st.columns([3, 2, 2])
    statuses = left.multiselect(
        "Status",
        list(STATUS_LABELS),
        default=["failed", "pending", "delayed", "sent"],
        format_func=STATUS_LABELS.get,
        key="notify_admin_status",
    )
    kind = middle.selectbox(
        "Kind",
        ["", *preferences.KINDS, "test"],
        format_func=lambda k: k or "All kinds",
        key="notify_admin_kind",
    )
    recipient = right.text_input(
        "Recipient", placeholder="a username or team:sales", key="notify_admin_recipient"
    )
    return statuses, kind or None, recipient.strip() or None


#: The list's columns that fit a 1280-pixel screen, and those under "Columns".
LIST_COLUMNS = {
    "id": Col("#", width=50),
    "status_label": Col("Status", width="small"),
    "recipient": Col("To", width="small"),
    "kind": Col("Kind", width="small"),
    "attempts": Col("Tries", "count", help="Attempts to send it so far", width=50),
    "last_error": Col(
        "Last error", help="What the channel said the last time it failed", width="medium"
    ),
    "when": Col("Due / sent", "time", help="When it was sent, or when it is due (next try)"),
    "subject": Col("Subject", width="medium"),
}
MORE_COLUMNS = {
    "channel": Col("Channel"),
    "address": Col("Address", help="A webhook is shown by its host: its path is a secret"),
    "created_at": Col("Queued", "time"),
}


def listing(engine: Engine, actor: Actor, statuses, kind, recipient) -> pd.DataFrame:
    """The notifications, newest first, with attempts and the last error."""
    with session(engine) as s:
        frame = outbox.notifications(
            s, actor=actor, statuses=statuses, kind=kind, recipient=recipient
        )
    if frame.empty:
        st.info("No notification matches.", icon=":material/notifications_off:")
        return frame
    shown = frame.assign(
        status_label=[STATUS_LABELS.get(v, v) for v in frame["status"]],
        when=frame["sent_at"].where(frame["status"] == "sent", frame["due_at"]),
    )
    tables.show(shown, LIST_COLUMNS, more=MORE_COLUMNS, key="notify_list")
    return frame


def resend(engine: Engine, actor: Actor, frame: pd.DataFrame) -> None:
    """Resend one of the listed notifications that is not on its way already."""
    waiting = ("pending", "sending")
    ids = [int(i) for i, s in zip(frame["id"], frame["status"], strict=True) if s not in waiting]
    if not ids:
        return
    subjects = dict(zip(frame["id"], frame["subject"], strict=True))
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Resend",
        ids,
        format_func=lambda i: f"#{i} {subjects[i]}",
        key="notify_resend_id",
        help="Queue it again now, to where the recipient's messages go now; attempts start "
        "from zero.",
    )
    if right.button("Resend", key="notify_resend"):
        widgets.save(
            engine,
            f"Notification #{chosen} queued again: the next run (within a minute) sends it.",
            lambda s: outbox.resend(s, chosen, actor=actor),
        )


def team_channels(engine: Engine, actor: Actor) -> None:
    """Each team's channel and address (for messages to a team, or a lead without owner),
    with Save and "Send a test"."""
    with session(engine) as s:
        current = preferences.team_channels(s)
    choices = [OFF, *preferences.CHANNELS]
    for team in preferences.TEAMS:
        row = current.get(team)
        with st.container(border=True):
            st.markdown(f"**{team.title()}** (`team:{team}`)")
            left, right = st.columns([1, 3])
            channel = left.selectbox(
                "Channel",
                choices,
                index=choices.index(row.channel) if row else 0,
                format_func=lambda c: "Not set" if c == OFF else preferences.CHANNELS[c],
                key=f"notify_team_{team}_channel",
            )
            address = right.text_input(
                "Address",
                value=row.address if row else "",
                placeholder="sales@example.com or the webhook's URL",
                key=f"notify_team_{team}_address",
            )
            save_col, test_col = st.columns([1, 4])
            if save_col.button("Save", key=f"notify_team_{team}_save"):
                widgets.save(
                    engine,
                    f"Saved the {team} team's channel.",
                    lambda s, team=team, channel=channel, address=address: (
                        preferences.set_team_channel(
                            s,
                            actor=actor,
                            team=team,
                            channel=None if channel == OFF else channel,
                            address=address,
                        )
                    ),
                )
            with test_col:
                if row is not None:
                    send_test(row.channel, row.address, key=f"notify_team_{team}_test")
