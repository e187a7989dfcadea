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
from smarketing.i18n import N_, _
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
#: status -> its label (``outbox.STATUS_LABELS``, N_-marked: shown through ``status_label``).
STATUS_LABELS = outbox.STATUS_LABELS
OFF = "off"
#: Each team as the team channels show it.
TEAM_LABELS = {"sales": N_("Sales"), "marketing": N_("Marketing"), "leadership": N_("Management")}
#: Each role as the defaults note names it.
ROLE_LABELS = {
    "admin": N_("Admin"),
    "marketing": N_("Marketing"),
    "sales": N_("Sales"),
    "leadership": N_("Management"),
}


def status_label(status: str) -> str:
    """A notification's status as a person reads it, in the language speaking."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def my_preference(engine: Engine, actor: Actor) -> preferences.Preference:
    """What applies to the logged-in person now."""
    with session(engine) as s:
        return preferences.preference(s, actor.username)


def _roles_text(actor: Actor) -> str:
    names = [_(ROLE_LABELS.get(r.value, r.value)).lower() for r in Role if r.value in actor.roles]
    return ", ".join(names) or _("no role")


def defaults_note(pref: preferences.Preference, actor: Actor) -> None:
    """Whether the person's own choice or their roles' defaults apply."""
    if pref.saved:
        st.caption(_("Your own choice applies. Messages you opted out of are never sent to you."))
    else:
        st.info(
            _(
                "These are the defaults for your roles ({roles}): everyone gets actions, the "
                "meeting pre-read and minutes; sales also hot leads and contact deadlines; "
                "marketing also SLA at risk. They apply until you save your own."
            ).format(roles=_roles_text(actor)),
            icon=":material/tune:",
        )


def preference_form(engine: Engine, actor: Actor, pref: preferences.Preference) -> None:
    """The form of one's own choice: kinds, channel and address, quiet hours; Save."""
    channels = list(preferences.CHANNELS)
    with st.form("notify_prefs"):
        kinds = st.multiselect(
            _("What I get"),
            list(preferences.KINDS),
            default=sorted(pref.kinds, key=list(preferences.KINDS).index),
            format_func=preferences.kind_label,
            key="notify_kinds",
        )
        channel = st.selectbox(
            _("Channel"),
            channels,
            index=channels.index(pref.channel),
            format_func=preferences.channel_label,
            key="notify_channel",
        )
        address = st.text_input(
            _("Address"),
            value=pref.address or "",
            placeholder=_("E-mail: empty sends to {email}; Slack/Teams/webhook: its URL").format(
                email=pref.email
            ),
            help=_(
                "An e-mail address, or the incoming webhook's URL (Slack: Apps → Incoming "
                "Webhooks; Teams: a channel's Workflows → webhook). Empty with e-mail: your "
                "account's e-mail."
            ),
            key="notify_address",
        )
        quiet_on = st.checkbox(
            _("Quiet hours"),
            value=pref.quiet_start is not None,
            help=_(
                "Messages that come in your quiet hours wait until they end: delayed, never "
                "dropped. Times in the business timezone."
            ),
            key="notify_quiet_on",
        )
        start_col, end_col = st.columns(2)
        start = start_col.time_input(
            _("From"), value=pref.quiet_start or time(20), step=900, key="notify_quiet_start"
        )
        end = end_col.time_input(
            _("Until"), value=pref.quiet_end or time(7), step=900, key="notify_quiet_end"
        )
        if st.form_submit_button(_("Save"), type="primary"):
            widgets.save(
                engine,
                _("Saved your notification settings."),
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
    if not st.button(
        _("Send a test"),
        key=key,
        disabled=not address,
        help=_("To {address}").format(address=label),
    ):
        return
    from smarketing.notify.channels import send_test as channel_test
    from smarketing.notify.message import ChannelError

    try:
        said = channel_test(channel, address)
    except ChannelError as exc:
        said = _("The test did not go out: {error}.").format(error=safe_markdown(str(exc)))
        later = " " + _("Worth trying again later.") if exc.retry else ""
        st.error(said + later)
    else:
        st.success(
            _("Test sent to {address}: {answer}").format(
                address=safe_markdown(label), answer=safe_markdown(str(said))
            )
        )


def where_it_goes(pref: preferences.Preference) -> None:
    """Where one's messages go now, and the test button."""
    address = pref.resolved_address
    label = preferences.address_label(pref.channel, address)
    channel = preferences.channel_label(pref.channel)
    st.markdown(
        _("Your messages go by **{channel}** to `{address}`.").format(
            channel=channel, address=safe_markdown(label)
        )
        if address
        else ":red[" + _("No address for {channel}: give one above.").format(channel=channel) + "]"
    )
    send_test(pref.channel, address, key="notify_test")


# --- Admin → Notifications ---------------------------------------------------------------------


def counts(engine: Engine) -> None:
    """One tile per status."""
    with session(engine) as s:
        by_status = outbox.status_counts(s)
    shown = ("sent", "failed", "pending", "delayed", "skipped")
    for column, status in zip(st.columns(len(shown)), shown, strict=True):
        column.metric(status_label(status), by_status[status], border=True)


def filters() -> tuple[list[str], str | None, str | None]:
    """The list's filters: statuses, kind, recipient."""
    left, middle, right = st.columns([3, 2, 2])
    statuses = left.multiselect(
        _("Status"),
        list(STATUS_LABELS),
        default=["failed", "pending", "delayed", "sent"],
        format_func=status_label,
        key="notify_admin_status",
    )
    kind = middle.selectbox(
        _("Kind"),
        ["", *preferences.KINDS, "test"],
        format_func=kind_option,
        key="notify_admin_kind",
    )
    recipient = right.text_input(
        _("Recipient"),
        placeholder=_("a username or team:sales"),
        key="notify_admin_recipient",
    )
    return statuses, kind or None, recipient.strip() or None


def kind_option(kind: str) -> str:
    """The kind filter's options: every kind by its short name, '' for all."""
    if not kind:
        return _("All kinds")
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


#: Each kind by a short name (the list's Kind column and its filter).
KIND_NAMES = {
    "hot_lead": N_("Hot lead"),
    "contact_deadline": N_("Contact deadline"),
    "sla_at_risk": N_("SLA at risk"),
    "action_due": N_("Action due"),
    "action_overdue": N_("Action overdue"),
    "action_digest": N_("Actions digest"),
    "pre_read": N_("Pre-read"),
    "minutes": N_("Minutes"),
    "test": N_("Test"),
}


def list_columns() -> tuple[dict[str, Col], dict[str, Col]]:
    """The list's columns that fit a 1280-pixel screen, and those under "Columns", in the
    language speaking."""
    shown = {
        "id": Col("#", width=50),
        "status_label": Col(_("Status"), width="small"),
        "recipient": Col(_("To"), width="small"),
        "kind_label": Col(_("Kind"), width="small"),
        "attempts": Col(_("Tries"), "count", help=_("Attempts to send it so far"), width=50),
        "last_error": Col(
            _("Last error"),
            help=_("What the channel said the last time it failed"),
            width="medium",
        ),
        "when": Col(
            _("Due / sent"), "time", help=_("When it was sent, or when it is due (next try)")
        ),
        "subject": Col(_("Subject"), width="medium"),
    }
    more = {
        "channel_label": Col(_("Channel")),
        "address": Col(
            _("Address"), help=_("A webhook is shown by its host: its path is a secret")
        ),
        "created_at": Col(_("Queued"), "time"),
    }
    return shown, more


def listing(engine: Engine, actor: Actor, statuses, kind, recipient) -> pd.DataFrame:
    """The notifications, newest first, with attempts and the last error."""
    with session(engine) as s:
        frame = outbox.notifications(
            s, actor=actor, statuses=statuses, kind=kind, recipient=recipient
        )
    if frame.empty:
        st.info(_("No notification matches."), icon=":material/notifications_off:")
        return frame
    shown = frame.assign(
        status_label=[status_label(v) for v in frame["status"]],
        kind_label=[kind_option(v) for v in frame["kind"]],
        channel_label=[
            preferences.channel_label(v) if v != "none" else _("None") for v in frame["channel"]
        ],
        when=frame["sent_at"].where(frame["status"] == "sent", frame["due_at"]),
    )
    columns, more = list_columns()
    tables.show(shown, columns, more=more, key="notify_list")
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
        _("Resend"),
        ids,
        format_func=lambda i: f"#{i} {subjects[i]}",
        key="notify_resend_id",
        help=_(
            "Queue it again now, to where the recipient's messages go now; attempts start "
            "from zero."
        ),
    )
    if right.button(_("Resend"), key="notify_resend"):
        widgets.save(
            engine,
            _("Notification #{id} queued again: the next run (within a minute) sends it.").format(
                id=chosen
            ),
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
            st.markdown(f"**{_(TEAM_LABELS.get(team, team))}** (`team:{team}`)")
            left, right = st.columns([1, 3])
            channel = left.selectbox(
                _("Channel"),
                choices,
                index=choices.index(row.channel) if row else 0,
                format_func=lambda c: _("Not set") if c == OFF else preferences.channel_label(c),
                key=f"notify_team_{team}_channel",
            )
            address = right.text_input(
                _("Address"),
                value=row.address if row else "",
                placeholder=_("sales@example.com or the webhook's URL"),
                key=f"notify_team_{team}_address",
            )
            save_col, test_col = st.columns([1, 4])
            if save_col.button(_("Save"), key=f"notify_team_{team}_save"):
                team_name = _(TEAM_LABELS.get(team, team)).lower()
                widgets.save(
                    engine,
                    _("Saved the {team} team's channel.").format(team=team_name),
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
