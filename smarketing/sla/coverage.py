"""Whether the store holds a figure's inputs at all (docs/metrics.md, "Figures without
inputs"): a HubSpot contacts export, for one, has neither first contacts nor verdicts, and
a rate over them would read 0 % — a zero that was never measured.

The test is over the whole store, not a period: once one lead anywhere has a first contact
(or sales has logged one call, e-mail or meeting), a period whose MQLs were not contacted
in time really is at 0 %.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlmodel import Session

from smarketing.i18n import N_
from smarketing.store.models import SALES_ACTIVITY_KINDS, Lead, LeadActivity, Verdict

#: Why a first-contact figure (contacted in time, median first contact) is not shown (an
#: English message id, like every reason of ``smarketing.sla``: shown as ``_(reason)``).
NO_FIRST_CONTACTS = N_("no first-contact data imported yet: import activities or connect the CRM")
#: Why a verdict figure (acceptance, accepted, rejected, rejection reasons) is not shown.
NO_VERDICTS = N_("no verdicts recorded or imported yet")
#: Every reason that means "the inputs are missing from the whole store".
INPUT_GAPS = (NO_FIRST_CONTACTS, NO_VERDICTS)


@dataclass(frozen=True)
class Coverage:
    """Which kinds of input the store holds (both, unless measured otherwise)."""

    first_contacts: bool = True
    verdicts: bool = True

    @property
    def first_contact_gap(self) -> str | None:
        """The reason first-contact figures are missing, or None when they can be counted."""
        return None if self.first_contacts else NO_FIRST_CONTACTS

    @property
    def verdict_gap(self) -> str | None:
        """The reason verdict figures are missing, or None when they can be counted."""
        return None if self.verdicts else NO_VERDICTS


def _first_contacts_held():
    """EXISTS: a lead with a first contact, or a stored sales activity (attempts included)."""
    t, a = Lead.__table__.c, LeadActivity.__table__.c
    return or_(
        exists().where(t.first_contact_at.is_not(None)),
        exists().where(a.kind.in_([k.value for k in SALES_ACTIVITY_KINDS])),
    )


def _verdicts_held():
    """EXISTS: a lead accepted or rejected, or a stored verdict row."""
    t = Lead.__table__.c
    return or_(
        exists().where(or_(t.accepted_at.is_not(None), t.rejected_at.is_not(None))),
        exists().where(Verdict.__table__.c.id.is_not(None)),
    )


@functools.cache
def _statement(*held: str):
    """SELECT of the EXISTS named (built once: every figure asks)."""
    parts = {"contacts": _first_contacts_held, "verdicts": _verdicts_held}
    return select(*[parts[name]() for name in held])


def has_first_contacts(session: Session) -> bool:
    """True when any lead has a first contact or any sales activity (call, e-mail, meeting,
    attempts included) is stored."""
    return bool(session.execute(_statement("contacts")).scalar())


def has_verdicts(session: Session) -> bool:
    """True when any lead is accepted or rejected, or any verdict row is stored."""
    return bool(session.execute(_statement("verdicts")).scalar())


def coverage(session: Session) -> Coverage:
    """What the store holds now (one statement of a few EXISTS)."""
    contacts, verdicts = session.execute(_statement("contacts", "verdicts")).one()
    return Coverage(first_contacts=bool(contacts), verdicts=bool(verdicts))
