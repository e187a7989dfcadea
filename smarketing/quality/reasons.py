"""The managed list of rejection reasons: stable keys, labels people read.

A verdict (and its lead) stores a reason's **key** (``student_competitor``); every screen
shows the key's **label** ("Student / competitor") and groups by the key, so two spellings
of one reason are one category. An admin renames labels, adds reasons and retires the ones
no longer offered (old verdicts keep showing them). Free text — a CRM's value in an
import, a demo reason, a reason typed on the command line — is matched onto the list
(:func:`match`): case, spaces and punctuation do not matter ("student/competitor" =
"Student / competitor"), and a built-in reason also knows a few common other spellings
(``ALIASES``). Text that matches no reason is not invented into a new one: imports store
it as :data:`OTHER` with the original text in the verdict's comment and report it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.store.db import bump_data_version
from smarketing.store.models import RejectionReason, Verdict, utcnow

#: The reason that needs a comment saying what it was; also where unmatched text goes.
OTHER = "other"
#: A rejection without a reason (a CRM status such as HubSpot's "Unqualified" alone);
#: set by imports only, never offered in the verdict form.
UNSPECIFIED = "unspecified"
LABEL_MAX = 100  # Verdict.reason is 100 wide; labels fit the same width
KEY_MAX = 64

#: The list a new database starts with: (key, label), in the order sales sees it. The
#: labels are stored in English; while a reason keeps its built-in label, people read it in
#: their language (``display_label``); a label an admin typed is shown as typed.
DEFAULTS: tuple[tuple[str, str], ...] = (
    ("wrong_persona", N_("Wrong persona")),
    ("no_budget", N_("No budget")),
    ("bad_data", N_("Bad data")),
    ("student_competitor", N_("Student / competitor")),
    ("duplicate", N_("Duplicate")),
    ("not_reachable", N_("Not reachable")),
    (OTHER, N_("Other")),
    (UNSPECIFIED, N_("No reason given")),
)
_BUILT_IN = dict(DEFAULTS)
#: Other spellings of the built-in reasons, as CRMs and people write them (matched like
#: labels: case, spaces and punctuation ignored). Only whole values match, never parts.
ALIASES: dict[str, tuple[str, ...]] = {
    "wrong_persona": (
        "wrong person",
        "wrong contact",
        "not the right person",
        "not decision maker",
        "not a decision maker",
        "no authority",
        "wrong role",
    ),
    "no_budget": ("budget", "no money", "too expensive", "price", "pricing"),
    "bad_data": (
        "invalid data",
        "wrong data",
        "bad contact data",
        "invalid email",
        "invalid e-mail",
        "fake",
        "fake data",
        "spam",
        "junk",
    ),
    "student_competitor": (
        "student",
        "competitor",
        "student or competitor",
        "student, competitor",
        "student competitor",
    ),
    "duplicate": ("dupe", "duplicate lead", "duplicate contact", "already in pipeline"),
    "not_reachable": (
        "unreachable",
        "no answer",
        "no response",
        "not responding",
        "could not reach",
        "cannot reach",
        "no contact",
        "not contactable",
    ),
    OTHER: ("other reason", "misc", "miscellaneous"),
    # a CRM's status saying only *that* it was rejected ("Unqualified", "Lost"…)
    UNSPECIFIED: (
        "no reason",
        "none given",
        "rejected in crm",
        "unqualified",
        "disqualified",
        "rejected",
        "closed - not converted",
        "lost",
        "archived",
    ),
}
#: Reasons that cannot be retired: the fallback of imports and the form's "something else".
PERMANENT = frozenset({OTHER, UNSPECIFIED})
#: Reasons a person may pick for a new verdict (besides the active list) — none of these.
NOT_PICKABLE = frozenset({UNSPECIFIED})


@dataclass(frozen=True)
class Reason:
    """One reason as the app uses it."""

    key: str
    label: str
    retired: bool = False
    position: int = 0


def normal(text: object) -> str:
    """The matching form of a reason text: case-folded letters and digits only, accents
    kept apart from their letters dropped ("Student / Competitor" -> "studentcompetitor")."""
    folded = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def slug(label: str) -> str:
    """A key for a new reason: lower-case ASCII words joined by ``_`` (at most 64)."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "_".join(words)[:KEY_MAX].strip("_") or "reason"


def _defaults() -> list[Reason]:
    return [Reason(k, label, False, i) for i, (k, label) in enumerate(DEFAULTS)]


def reasons(session: Session, *, include_retired: bool = True) -> list[Reason]:
    """The managed list in its order (retired ones too unless ``include_retired=False``).
    A database whose list was never written (no migration seed) gets the defaults."""
    rows = session.exec(
        select(RejectionReason).order_by(col(RejectionReason.position), col(RejectionReason.key))
    ).all()
    out = [Reason(r.key, r.label, bool(r.retired), r.position) for r in rows] or _defaults()
    return [r for r in out if include_retired or not r.retired]


def choices(session: Session) -> list[Reason]:
    """The reasons sales picks from for a new verdict: active, pickable, in order."""
    return [r for r in reasons(session, include_retired=False) if r.key not in NOT_PICKABLE]


def display_label(key: str, label: str) -> str:
    """The label people read: a built-in reason's own label in the language speaking
    ("Wrong persona", nb "Feil persona"); a label an admin gave it as typed."""
    return _(label) if _BUILT_IN.get(key) == label else label


def labels(session: Session) -> dict[str, str]:
    """key -> label of every reason as people read it (``display_label``), retired ones
    included."""
    return {r.key: display_label(r.key, r.label) for r in reasons(session)}


def shown_choices(session: Session) -> dict[str, str]:
    """key -> label (as people read it) of the reasons sales picks from (``choices``)."""
    return {r.key: display_label(r.key, r.label) for r in choices(session)}


def usage(session: Session) -> dict[str, int]:
    """key -> how many verdicts gave that reason (every verdict of the history)."""
    rows = session.execute(
        sa_select(Verdict.__table__.c.reason, func.count())
        .where(Verdict.__table__.c.reason.is_not(None))
        .group_by(Verdict.__table__.c.reason)
    ).all()
    return {key: int(n) for key, n in rows}


def label_of(value: str | None, known: dict[str, str]) -> str | None:
    """The label of a stored reason; a stored value that is not a key is shown as it is."""
    if value is None:
        return None
    return known.get(value, value)


def match(text: object, listed: Sequence[Reason]) -> str | None:
    """The key of the reason a text names — by key, label or a built-in alias, ignoring
    case, spaces and punctuation — or None. Active reasons win over retired ones."""
    wanted = normal(text)
    if not wanted:
        return None
    ordered = sorted(listed, key=lambda r: r.retired)
    for reason in ordered:
        if wanted in (normal(reason.key), normal(reason.label)):
            return reason.key
    keys = {r.key for r in listed}
    for key, spellings in ALIASES.items():
        if key in keys and any(wanted == normal(s) for s in spellings):
            return key
    return None


# --- changing the list --------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One row of the list as an admin left it: ``key`` None (or "") for a new reason."""

    key: str | None
    label: str
    retired: bool = False


def _clean_label(text: object) -> str:
    label = " ".join(str(text or "").split())
    if len(label) > LABEL_MAX:
        raise InvalidInput(
            _("a reason may be at most {most} characters: {label}…").format(
                most=LABEL_MAX, label=repr(label[:40])
            )
        )
    return label


def save(session: Session, *, actor: Actor, rows: Iterable[Edit]) -> list[Reason]:
    """Store the list as edited (admin): labels renamed, new reasons added, reasons retired
    or brought back, the order as given. Keys never change and no reason is deleted
    (verdicts point at them); every change is audited. Rows with an empty label and no key
    are ignored (an empty new row)."""
    require(actor, "users.manage")
    before = {r.key: r for r in reasons(session)}
    # empty when the list was never written: then the defaults are written now
    stored = {r.key: r for r in session.exec(select(RejectionReason)).all()}
    edits: list[Edit] = []
    for row in rows:
        key = (row.key or "").strip() or None
        label = _clean_label(row.label)
        if key is None and not label:
            continue
        if key is not None and key not in before:
            raise InvalidInput(
                _("there is no rejection reason with the key {key}").format(key=repr(key))
            )
        if not label:
            raise InvalidInput(
                _("the reason {label} needs a label (retire it instead of emptying it)").format(
                    label=repr(before[key].label)
                )
            )
        edits.append(Edit(key, label, bool(row.retired)))
    seen_keys = [e.key for e in edits if e.key]
    if len(seen_keys) != len(set(seen_keys)):
        raise InvalidInput(_("a reason is listed twice"))
    missing = [before[k].label for k in before if k not in seen_keys]
    if missing:
        raise InvalidInput(
            _(
                "reasons cannot be deleted, because verdicts keep them: tick 'retired' for "
                "{reasons}"
            ).format(reasons=", ".join(repr(m) for m in missing))
        )
    names: dict[str, str] = {}
    for e in edits:
        n = normal(e.label)
        if not n:
            raise InvalidInput(
                _("{label} is not a usable label: use letters or digits").format(
                    label=repr(e.label)
                )
            )
        if n in names:
            raise InvalidInput(
                _(
                    "{label} and {other} are the same reason spelled two ways: keep one of them"
                ).format(label=repr(e.label), other=repr(names[n]))
            )
        names[n] = e.label
    for e in edits:
        if e.key in PERMANENT and e.retired:
            raise InvalidInput(
                _("{label} cannot be retired: imports and the form need it").format(
                    label=repr(e.label)
                )
            )
    now = utcnow()
    taken = set(before)
    result: list[Reason] = []
    for position, e in enumerate(edits):
        key = e.key
        if key is None:
            key = base = slug(e.label)
            n = 2
            while key in taken:
                suffix = f"_{n}"
                key = base[: KEY_MAX - len(suffix)] + suffix
                n += 1
            taken.add(key)
        row = stored.get(key)
        old = before.get(key)
        changed = old is None or (old.label, old.retired) != (e.label, e.retired)
        if row is None:
            row = RejectionReason(key=key, label=e.label)
        if changed or row.position != position or key not in stored:
            row.label, row.retired, row.position = e.label, e.retired, position
            row.updated_at, row.updated_by = now, actor.username[:64]
            session.add(row)
        if changed:
            audit.record(
                session,
                actor.username,
                "lead.rejection_reason",
                "rejection_reason",
                key,
                old=None if old is None else {"label": old.label, "retired": old.retired},
                new={"label": e.label, "retired": e.retired},
            )
        result.append(Reason(key, e.label, e.retired, position))
    bump_data_version(session)
    session.commit()
    return result
