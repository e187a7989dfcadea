"""The ``notify`` job (every minute): the rules find what should be sent and queue it, then
the outbox sends what is due.

``RULES`` is the list of rule functions, each ``rule(session, now) -> list[Notice]``
(hot leads, contact deadlines, SLA at risk, actions, pre-read, minutes): the job calls each
in a transaction of its own and queues what it returns with ``outbox.enqueue`` — a notice
queued before is not queued again, so a rule simply returns everything that is true now.
One rule that raises does not stop the others nor the sending; the job then reports the
error (``job_lock.last_error``) after it sent what was due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from smarketing.notify import outbox, rules_meetings
from smarketing.notify.outbox import DispatchResult, Notice, Sender
from smarketing.notify.rules_actions import action_digest_notices, action_reminder_notices
from smarketing.notify.rules_leads import hot_lead_notices
from smarketing.notify.rules_sla import contact_deadline_notices, sla_at_risk_notices
from smarketing.store.db import session_scope

logger = logging.getLogger("smarketing.notify")

Rule = Callable[[Session, datetime], list[Notice]]
#: The rules the job runs, in order.
RULES: list[Rule] = [
    hot_lead_notices,
    contact_deadline_notices,
    sla_at_risk_notices,
    action_reminder_notices,
    action_digest_notices,
    *rules_meetings.RULES,
]


@dataclass
class RunResult:
    """One run: notices the rules returned, how many were new, what the dispatch did, and
    the rules that raised."""

    noticed: int = 0
    queued: int = 0
    dispatch: DispatchResult = field(default_factory=DispatchResult)
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.queued} queued of {self.noticed} noticed; {self.dispatch}"
        return text + (f"; rules failed: {'; '.join(self.errors)}" if self.errors else "")


class RulesFailed(RuntimeError):
    """One or more rules raised (after the due notifications were sent)."""


def _rule_name(rule: Rule) -> str:
    return getattr(rule, "__name__", repr(rule))


def queue_notices(
    engine: Engine, *, now: datetime, rules: Sequence[Rule] | None = None, result=None
) -> RunResult:
    """Run each rule in a transaction of its own and queue what it returns."""
    result = result or RunResult()
    for rule in RULES if rules is None else rules:
        try:
            with session_scope(engine) as session:
                notices = rule(session, now)
                for notice in notices:
                    result.noticed += 1
                    result.queued += outbox.enqueue(
                        session,
                        kind=notice.kind,
                        subject_key=notice.subject_key,
                        recipient=notice.recipient,
                        message=notice.message,
                        now=now,
                    )
        except Exception as exc:
            logger.exception("notification rule %s failed", _rule_name(rule))
            result.errors.append(f"{_rule_name(rule)}: {type(exc).__name__}: {exc}")
    return result


def run(
    engine: Engine,
    *,
    now: datetime,
    send: Sender | None = None,
    rules: Sequence[Rule] | None = None,
    limit: int = outbox.DISPATCH_LIMIT,
) -> RunResult:
    """Queue what the rules find now, then send what is due; raises RulesFailed (after
    sending) when a rule raised, so the job's record shows it."""
    result = queue_notices(engine, now=now, rules=rules)
    result.dispatch = outbox.dispatch(engine, now=now, send=send, limit=limit)
    if result.errors:
        raise RulesFailed(str(result))
    return result


def _held_back(session: Session, now: datetime) -> list[outbox.Outcome]:
    """The notices this dry run queued that would not go out: ``failed`` (nowhere to send:
    a team without a channel, no address) and ``skipped`` (opted out), with why."""
    from sqlalchemy import select

    from smarketing.store.models import Notification

    t = Notification.__table__
    rows = session.connection().execute(
        select(t)
        .where(t.c.created_at == now, t.c.status.in_((outbox.FAILED, outbox.SKIPPED)))
        .order_by(t.c.id)
    )
    return [outbox._outcome(row, row.status, error=row.last_error) for row in rows]


def dry_run(
    engine: Engine,
    *,
    now: datetime,
    rules: Sequence[Rule] | None = None,
    limit: int = outbox.DISPATCH_LIMIT,
) -> RunResult:
    """What ``run`` would queue and send now, with nothing written and nothing sent: the
    rules' notices are queued in a transaction that is rolled back."""
    result = RunResult()
    with Session(engine) as session:
        try:
            for rule in RULES if rules is None else rules:
                for notice in rule(session, now):
                    result.noticed += 1
                    result.queued += outbox.enqueue(
                        session,
                        kind=notice.kind,
                        subject_key=notice.subject_key,
                        recipient=notice.recipient,
                        message=notice.message,
                        now=now,
                    )
            result.dispatch = outbox.preview_on(session.connection(), now, limit)
            result.dispatch.outcomes += _held_back(session, now)
        finally:
            session.rollback()
    return result
