"""rejection reasons: one managed list with stable keys; verdicts and leads store the key

Creates ``rejection_reason`` (key, label, position, retired), fills it from the list an
admin had saved (the ``rejection_reasons`` setting, a JSON list of labels) or else the
default list, and rewrites every stored reason text in ``verdict.reason`` and
``lead.rejection_reason`` to its key. Texts are matched like the app matches them (case,
spaces and punctuation ignored, a few built-in other spellings): "student/competitor" and
"Student / competitor" both become ``student_competitor``. A CRM status stored as a
reason ("rejected in CRM", "Unqualified", "Closed - Not Converted", "Lost", "Archived")
becomes ``unspecified``. Any other text (a reason removed from the list earlier, a CRM's
own reason) becomes a *retired* reason of its own with that text as its label, so nothing
stored is lost or merged. The setting is removed: the table replaces it. The downgrade
writes the labels back and restores the setting from the active reasons.

The matching rules are copied here (not imported) so that this revision keeps doing what
it did when the app's rules change later.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTING = "rejection_reasons"
DEFAULTS = (
    ("wrong_persona", "Wrong persona"),
    ("no_budget", "No budget"),
    ("bad_data", "Bad data"),
    ("student_competitor", "Student / competitor"),
    ("duplicate", "Duplicate"),
    ("not_reachable", "Not reachable"),
    ("other", "Other"),
    ("unspecified", "No reason given"),
)
ALIASES = {
    "wrong_persona": ("wrong person", "wrong contact", "not the right person",
                      "not decision maker", "not a decision maker", "no authority",
                      "wrong role"),
    "no_budget": ("budget", "no money", "too expensive", "price", "pricing"),
    "bad_data": ("invalid data", "wrong data", "bad contact data", "invalid email",
                 "invalid e-mail", "fake", "fake data", "spam", "junk"),
    "student_competitor": ("student", "competitor", "student or competitor",
                           "student, competitor", "student competitor"),
    "duplicate": ("dupe", "duplicate lead", "duplicate contact", "already in pipeline"),
    "not_reachable": ("unreachable", "no answer", "no response", "not responding",
                      "could not reach", "cannot reach", "no contact", "not contactable"),
    "other": ("other reason", "misc", "miscellaneous"),
    "unspecified": ("no reason", "none given", "rejected in crm", "unqualified",
                    "disqualified", "rejected", "closed - not converted", "lost",
                    "archived"),
}

reason_table = sa.table(
    "rejection_reason",
    sa.column("key", sa.String),
    sa.column("label", sa.String),
    sa.column("position", sa.Integer),
    sa.column("retired", sa.Boolean),
    sa.column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("updated_by", sa.String),
)
setting_table = sa.table(
    "setting",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
verdict_table = sa.table("verdict", sa.column("reason", sa.String))
lead_table = sa.table("lead", sa.column("rejection_reason", sa.String))


def _normal(text) -> str:
    folded = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _slug(label: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return "_".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:64].strip("_") or "reason"


def _saved_list(conn) -> list[str] | None:
    raw = conn.execute(
        sa.select(setting_table.c.value).where(setting_table.c.key == SETTING)
    ).scalar()
    try:
        saved = json.loads(raw) if raw else None
    except ValueError:
        return None
    if isinstance(saved, list) and saved and all(isinstance(x, str) for x in saved):
        return saved
    return None


class _List:
    """The reasons being built: key -> [label, retired], in order."""

    def __init__(self) -> None:
        self.rows: dict[str, list] = {}

    def find(self, text: str) -> str | None:
        wanted = _normal(text)
        if not wanted:
            return None
        for key, (label, _retired) in self.rows.items():
            if wanted in (_normal(key), _normal(label)):
                return key
        for key, spellings in ALIASES.items():
            if any(wanted == _normal(s) for s in spellings):
                return key
        return None

    def add(self, key: str, label: str, retired: bool) -> str:
        base, n = key, 2
        while key in self.rows:
            key = f"{base[:60]}_{n}"
            n += 1
        self.rows[key] = [label[:100], retired]
        return key


def upgrade() -> None:
    op.create_table(
        "rejection_reason",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    conn = op.get_bind()
    default_label = dict(DEFAULTS)
    listed = _List()
    saved = _saved_list(conn)
    for label in saved or [label for _k, label in DEFAULTS if _k != "unspecified"]:
        label = " ".join(label.split())
        if not label or listed.find(label) in listed.rows:
            continue
        known = next(
            (k for k, text in DEFAULTS if _normal(text) == _normal(label)), None
        ) or next(
            (k for k, s in ALIASES.items() if any(_normal(x) == _normal(label) for x in s)),
            None,
        )
        if known in ("unspecified",) or (known is not None and known in listed.rows):
            known = None
        listed.add(known or _slug(label), label, False)
    for key in ("other", "unspecified"):  # the app needs both
        if key not in listed.rows:
            listed.add(key, default_label[key], False)
    # every stored text gets a key; an unknown one a retired reason of its own
    stored: set[str] = set()
    for column in (verdict_table.c.reason, lead_table.c.rejection_reason):
        stored |= {v for v in conn.execute(sa.select(column).distinct()).scalars() if v}
    keys: dict[str, str | None] = {}
    for text in sorted(stored):
        if not text.strip():
            keys[text] = None
            continue
        key = listed.find(text)
        if key is not None and key not in listed.rows:  # a built-in the admin had removed
            listed.add(key, default_label[key], True)
        if key is None:
            key = listed.add(_slug(text), " ".join(text.split()), True)
        keys[text] = key
    now = datetime.now(UTC)
    op.bulk_insert(
        reason_table,
        [
            {"key": k, "label": label, "position": i, "retired": retired,
             "updated_at": now, "updated_by": "migration 0004"}
            for i, (k, (label, retired)) in enumerate(listed.rows.items())
        ],
    )
    for text, key in keys.items():
        if key == text:
            continue
        conn.execute(
            verdict_table.update().where(verdict_table.c.reason == text).values(reason=key)
        )
        conn.execute(
            lead_table.update()
            .where(lead_table.c.rejection_reason == text)
            .values(rejection_reason=key)
        )
    conn.execute(setting_table.delete().where(setting_table.c.key == SETTING))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(reason_table.c.key, reason_table.c.label, reason_table.c.retired)
        .order_by(reason_table.c.position, reason_table.c.key)
    ).all()
    for key, label, _retired in rows:
        conn.execute(
            verdict_table.update().where(verdict_table.c.reason == key).values(reason=label)
        )
        conn.execute(
            lead_table.update()
            .where(lead_table.c.rejection_reason == key)
            .values(rejection_reason=label)
        )
    active = [label for key, label, retired in rows if not retired and key != "unspecified"]
    conn.execute(setting_table.delete().where(setting_table.c.key == SETTING))
    if active:
        conn.execute(
            setting_table.insert().values(
                key=SETTING,
                value=json.dumps(active, ensure_ascii=False),
                updated_at=datetime.now(UTC),
            )
        )
    op.drop_table("rejection_reason")
