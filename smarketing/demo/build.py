"""Building the demo company: :func:`build_demo` writes every part in one transaction,
:func:`has_demo` tells whether it is there (removing it: :mod:`smarketing.demo.removal`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sm_select

from smarketing.auth import audit
from smarketing.auth.people import CAST_SETTING, store_cast
from smarketing.auth.permissions import SYSTEM_ACTOR, Actor, require
from smarketing.demo.campaigns import write_campaigns
from smarketing.demo.content import checked_language
from smarketing.demo.definitions import write_definitions
from smarketing.demo.leads import write_leads
from smarketing.demo.meetings import write_meetings
from smarketing.demo.personas import write_personas
from smarketing.demo.sla import write_agreements
from smarketing.demo.story import PEOPLE, Progress, make_story
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.store.db import bump_data_version, get_setting, set_setting
from smarketing.store.models import (
    Lead,
)

#: Setting key; its value is "1" while the demo company is in the database.
DEMO_SETTING = "demo_company"


@dataclass
class DemoSummary:
    """Counts of what :func:`build_demo` wrote."""

    leads: int
    activities: int
    verdicts: int
    campaigns: int
    personas: int
    definitions: int
    agreements: int
    meetings: int
    actions: int
    decisions: int
    seconds: float


def has_demo(session: Session) -> bool:
    """True while the demo company is in the database."""
    if get_setting(session, DEMO_SETTING) == "1":
        return True
    query = sm_select(Lead.id).where(Lead.is_demo == True).limit(1)  # noqa: E712
    return session.exec(query).first() is not None


def ensure_cast(session: Session) -> bool:
    """Store the demo's cast (names for its usernames) when the demo company is in the
    database but was written before the cast was stored; True when it stored it. Commits."""
    if get_setting(session, DEMO_SETTING) != "1" or get_setting(session, CAST_SETTING):
        return False
    store_cast(session, PEOPLE)
    session.commit()
    return True


def default_leads(months: int = 12, now: datetime | None = None) -> int:
    """The number of leads :func:`build_demo` writes by default (~500 a month, seasonal)."""
    st = make_story(_check_now(now), months)
    return max(1, round(float(st.intensity.sum())))


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise InvalidInput(_("now must be timezone-aware (UTC)"))
    return now.astimezone(UTC)


def _chunk() -> int:
    """``smarketing.demo.CHUNK``, read when the demo is built so that it can be turned down
    (tests set it on the package with ``monkeypatch.setattr(demo, "CHUNK", n)``)."""
    from smarketing import demo  # the package imports this module: import it at call time

    return demo.CHUNK


def build_demo(
    engine: Engine,
    *,
    leads: int | None = None,
    months: int = 12,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
    actor: Actor = SYSTEM_ACTOR,
    language: str | None = None,
) -> DemoSummary:
    """Write the demo company (one transaction) and return what was written.

    ``leads`` is the total number of leads (default ~500 a month with seasonality),
    ``now`` the story's "now" (nothing is dated after it), ``language`` the language its
    texts are written in ('en' or 'nb'; default the app default,
    :func:`smarketing.i18n.default_language`): the figures are the same in each. Raises
    InvalidInput when the demo company is already there or the sizes are not positive.
    """
    require(actor, "demo.manage")
    started = time.perf_counter()
    language = checked_language(language)
    if months < 1 or months > 120:
        raise InvalidInput(_("months must be between 1 and 120"))
    if leads is not None and leads < 1:
        raise InvalidInput(_("leads must be at least 1"))
    report: Progress = progress or (lambda _f, _t: None)
    report(0.0, _("Planning the demo company…"))
    st = make_story(_check_now(now), months, language)
    if leads is None:
        leads = max(1, round(float(st.intensity.sum())))
    rng = np.random.default_rng(seed)
    rnd = Random(seed)

    with engine.begin() as conn:
        with Session(bind=conn) as s:
            if has_demo(s):
                raise InvalidInput(
                    _(
                        "the demo company is already in the database; clear it first ({command})"
                    ).format(command="python -m smarketing demo --clear")
                )
        report(0.02, _("Writing leads…"))
        n_acts, n_verdicts, stats = write_leads(conn, rng, st, leads, report, chunk=_chunk())
        report(0.9, _("Writing personas, definitions and campaigns…"))
        n_personas = write_personas(conn, st)
        n_defs = write_definitions(conn, st)
        n_campaigns = write_campaigns(conn, st)
        report(0.94, _("Writing the SLA and meetings…"))
        n_agreements = write_agreements(conn, st)
        counts = write_meetings(conn, st, rnd, stats)
        with Session(bind=conn) as s:
            set_setting(s, DEMO_SETTING, "1")
            store_cast(s, PEOPLE)  # names for the cast's usernames, kept after a removal
            bump_data_version(s)
            audit.record(
                s, actor.username, "demo.build", "demo", leads=leads, seed=seed, language=language
            )
            s.flush()
    report(1.0, _("Demo company ready"))
    return DemoSummary(
        leads=leads,
        activities=n_acts,
        verdicts=n_verdicts,
        campaigns=n_campaigns,
        personas=n_personas,
        definitions=n_defs,
        agreements=n_agreements,
        meetings=counts["meetings"],
        actions=counts["actions"],
        decisions=counts["decisions"],
        seconds=round(time.perf_counter() - started, 3),
    )
