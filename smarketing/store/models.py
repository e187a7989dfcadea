"""SQLModel tables for the whole smarketing domain.

Timestamps are timezone-aware UTC; dates (``date``) are local calendar days in the
business timezone. Every table that a person writes keeps who and when.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Pydantic builds a model's validator when the model first validates something, not when
# this module is imported: every command and page start imports the tables, few validate
# one (a quarter of this module's import time; `python -m smarketing report sla` starts in
# half a second).
SQLModel.model_config["defer_build"] = True


#: Indexes the migrations make in each dialect's own SQL (0005: the expression index on the
#: first-contact delay): not in the metadata, so a comparison of models and database skips
#: them (SQLite's reflection skips them anyway, PostgreSQL's reports them).
HAND_MADE_INDEXES = frozenset({"ix_lead_contact_span"})


def compared_with_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: everything but the hand-made indexes."""
    return not (type_ == "index" and name in HAND_MADE_INDEXES)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Role(StrEnum):
    admin = "admin"
    marketing = "marketing"
    sales = "sales"
    leadership = "leadership"


class Team(StrEnum):
    marketing = "marketing"
    sales = "sales"
    both = "both"


class ActivityKind(StrEnum):
    page_view = "page_view"
    download = "download"
    form = "form"
    email_click = "email_click"
    email = "email"  # a sales e-mail sent to the lead
    call = "call"
    meeting = "meeting"


#: Activities made by sales; the earliest one after ``mql_at`` is the first contact.
SALES_ACTIVITY_KINDS = (ActivityKind.call, ActivityKind.email, ActivityKind.meeting)


class VerdictKind(StrEnum):
    accepted = "accepted"
    rejected = "rejected"


class MeetingKind(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


class MeetingStatus(StrEnum):
    planned = "planned"
    running = "running"
    closed = "closed"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    dropped = "dropped"


class BriefStatus(StrEnum):
    draft = "draft"
    published = "published"


# --- users, audit, settings -------------------------------------------------------------


class UserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    roles: str = Field(default="", max_length=200, description="comma-separated Role values")


class UserCreate(UserBase):
    password: str


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=200)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    language: str | None = Field(
        default=None, max_length=8, description="nb or en; None: the app default"
    )

    @property
    def role_list(self) -> list[str]:
        """The user's roles as a list."""
        return [r for r in self.roles.split(",") if r]


class LoginSession(SQLModel, table=True):
    """One login (form): the server-side session its cookie carries (``smarketing.auth.sessions``).

    Only a hash of the session secret is stored; the secret itself travels in the signed
    login cookie. A session ends when it is revoked (logout, password reset, disabling, an
    admin's "End"), idle for longer than the idle timeout, or past ``expires_at``."""

    __tablename__ = "login_session"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    secret_hash: str = Field(
        max_length=64, unique=True, index=True, description="sha256 of the secret, hex"
    )
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
    revoked_why: str | None = Field(default=None, max_length=32)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per username (existing or not) or per client address, and the delay
    they impose (``smarketing.auth.logins``)."""

    __tablename__ = "login_throttle"
    kind: str = Field(primary_key=True, max_length=16, description="username or address")
    key: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    last_failure_at: datetime
    blocked_until: datetime | None = None


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)


# --- leads and the closed loop ------------------------------------------------------------


class LeadBase(SQLModel):
    source_system: str = Field(default="manual", max_length=32)
    external_id: str = Field(max_length=64)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=320)
    company: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=200)
    created_at: datetime
    mql_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    #: the key of a RejectionReason (not its label), like Verdict.reason
    rejection_reason: str | None = Field(default=None, max_length=100)
    first_contact_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None
    customer_at: datetime | None = None
    lost_at: datetime | None = None
    source: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=200)
    persona: str | None = Field(default=None, max_length=100)
    owner: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    first_conversion: str | None = Field(default=None, max_length=200)
    score: int | None = None
    deal_value: float | None = None


class LeadCreate(LeadBase):
    pass


class Lead(LeadBase, table=True):
    __table_args__ = (
        UniqueConstraint("source_system", "external_id", name="uq_lead_record"),
        Index("ix_lead_created_at", "created_at"),
        # with first_contact_at: the SLA's deadline and overdue counts read only the index
        Index("ix_lead_mql_at", "mql_at", "first_contact_at"),
        Index("ix_lead_sql_at", "sql_at"),
        # with created_at: the cohort heatmap's customers read only the index
        Index("ix_lead_customer_at", "customer_at", "created_at"),
        # the overdue count reads the contacts just after its cutoff from here
        Index("ix_lead_first_contact_at", "first_contact_at", "mql_at"),
        Index("ix_lead_campaign", "campaign"),
    )
    id: int | None = Field(default=None, primary_key=True)
    is_demo: bool = Field(default=False, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


# --- daily rollups of the leads (smarketing.store.rollup; kept in step by triggers) ------


class RollupDay(SQLModel, table=True):
    """Per local day: leads created; MQLs (by ``mql_at``) with a verdict, accepted and
    contacted; SQLs (by ``sql_at``); customers (by ``customer_at``)."""

    __tablename__ = "rollup_day"
    day: date = Field(primary_key=True)
    leads: int = 0
    mqls: int = 0
    decided: int = 0
    accepted: int = 0
    contacted: int = 0
    sqls: int = 0
    customers: int = 0


class RollupSpan(SQLModel, table=True):
    """Contacted MQLs per local MQL day and fine bucket of first-contact delay."""

    __tablename__ = "rollup_span"
    __table_args__ = (Index("ix_rollup_span_coarse", "coarse", "day"),)
    day: date = Field(primary_key=True)
    fine: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    coarse: int
    n: int


class RollupSpanCoarse(SQLModel, table=True):
    """Contacted MQLs per local MQL day and coarse bucket (16 fine buckets)."""

    __tablename__ = "rollup_span_coarse"
    day: date = Field(primary_key=True)
    coarse: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int


class RollupContact(SQLModel, table=True):
    """Contacted MQLs per local MQL day and UTC date of the first contact (the overdue
    count: those contacted after its cutoff)."""

    __tablename__ = "rollup_contact"
    day: date = Field(primary_key=True)
    contact_day: date = Field(primary_key=True)
    n: int


class RollupCohort(SQLModel, table=True):
    """Stage counts of the leads created on a local day, per dimension and stored value
    ('' for none)."""

    __tablename__ = "rollup_cohort"
    dimension: str = Field(primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    value: str = Field(primary_key=True, max_length=200)
    leads: int = 0
    mqls: int = 0
    accepted: int = 0
    rejected: int = 0
    sqls: int = 0
    opportunities: int = 0
    customers: int = 0


class RollupReason(SQLModel, table=True):
    """Rejected leads created on a local day, per dimension, stored value and reason key
    ('' for none)."""

    __tablename__ = "rollup_reason"
    dimension: str = Field(primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    value: str = Field(primary_key=True, max_length=200)
    reason: str = Field(primary_key=True, max_length=100)
    n: int


class RollupWon(SQLModel, table=True):
    """Customers among the leads created on a local day, per local month (its first day) in
    which they became customers: the cohort heatmap."""

    __tablename__ = "rollup_won"
    day: date = Field(primary_key=True)
    month: date = Field(primary_key=True)
    n: int


class RollupLog(SQLModel, table=True):
    """A change to ``lead`` not yet in the rollups, written by the triggers on ``lead``: the
    lead's counted fields before (``sign`` -1) or after (+1) an insert, update or delete.
    ``writer`` is 0 on SQLite and the transaction id on PostgreSQL, so that a transaction
    takes its own changes and never waits on another's."""

    __tablename__ = "rollup_log"
    #: refreshes take the rows of writers >= 0; an import's parked rows (below 0) wait
    __table_args__ = (Index("ix_rollup_log_writer", "writer"),)
    id: int | None = Field(default=None, primary_key=True)
    writer: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    sign: int
    created_at: datetime | None = None
    mql_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    rejection_reason: str | None = Field(default=None, max_length=100)
    first_contact_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None
    customer_at: datetime | None = None
    source: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=200)
    persona: str | None = Field(default=None, max_length=100)
    owner: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=100)
    first_conversion: str | None = Field(default=None, max_length=200)
    #: The local days of the keyed timestamps (``rollup.KEYED``), written by ``refresh``
    #: before it counts the log (NULL as the triggers write a row).
    created_day: date | None = None
    mql_day: date | None = None
    sql_day: date | None = None
    customer_day: date | None = None


class LeadActivity(SQLModel, table=True):
    __tablename__ = "lead_activity"
    __table_args__ = (Index("ix_activity_lead_time", "lead_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    kind: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)
    occurred_at: datetime = Field(index=True)
    actor: str | None = Field(default=None, max_length=100)
    is_demo: bool = False


class LeadChange(SQLModel, table=True):
    """One changed lifecycle field of a lead (history of stage changes)."""

    __tablename__ = "lead_change"
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=200)
    new_value: str | None = Field(default=None, max_length=200)
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by: str = Field(max_length=64)
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id")


class Verdict(SQLModel, table=True):
    """Sales' verdict on an MQL; every verdict is kept, the newest one counts."""

    __table_args__ = (Index("ix_verdict_lead_time", "lead_id", "decided_at"),)
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    verdict: str = Field(max_length=16)
    #: the key of a RejectionReason (labels are shown through it); None when accepted
    reason: str | None = Field(default=None, max_length=100)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class RejectionReason(SQLModel, table=True):
    """One entry of the managed list of rejection reasons. Verdicts and leads store the
    stable ``key``; the ``label`` is what people read and an admin may rename it. A retired
    reason is no longer offered for new verdicts but stays readable on old ones."""

    __tablename__ = "rejection_reason"
    key: str = Field(primary_key=True, max_length=64)
    label: str = Field(max_length=100)
    position: int = 0
    retired: bool = False
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=64)


# --- shared language, personas, campaigns -------------------------------------------------


class Definition(SQLModel, table=True):
    """One version of a shared-language term; the highest version of a key is current."""

    __table_args__ = (UniqueConstraint("key", "version", name="uq_definition_version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    version: int = 1
    term: str = Field(max_length=200)
    category: str = Field(default="term", max_length=32)
    position: int = 0
    owner_team: str = Field(max_length=16)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rule: str | None = Field(default=None, max_length=500)
    agreed_on: date | None = None
    agreed_by: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class PersonaBase(SQLModel):
    name: str = Field(max_length=100, unique=True)
    icon: str = Field(default="👤", max_length=16)
    role: str = Field(default="", max_length=200)
    seniority: str = Field(default="", max_length=100)
    company_profile: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    goals: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    challenges: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    information_sources: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    objections: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    messages: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recognise: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Persona(PersonaBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    archived: bool = False
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class PersonaVersion(SQLModel, table=True):
    """A frozen copy of a persona card as it was saved (JSON of PersonaBase fields)."""

    __tablename__ = "persona_version"
    id: int | None = Field(default=None, primary_key=True)
    persona_id: int = Field(foreign_key="persona.id", index=True)
    version: int
    data: str = Field(sa_column=Column(Text, nullable=False))
    saved_by: str = Field(max_length=64)
    saved_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class BriefFields(SQLModel):
    goal: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    offer: str = Field(default="", max_length=200)
    key_message: str = Field(default="", max_length=500)
    talking_points: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    objections: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    timeline: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    links: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sales_cta: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Campaign(BriefFields, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    channel: str = Field(default="", max_length=100)
    persona: str | None = Field(default=None, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    lead_target: int | None = None
    brief_status: str = Field(default=BriefStatus.draft, max_length=16)
    brief_version: int = 0
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class BriefVersion(SQLModel, table=True):
    """A published brief, frozen (JSON of BriefFields plus name/persona/dates)."""

    __tablename__ = "brief_version"
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_brief_version"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    version: int
    data: str = Field(sa_column=Column(Text, nullable=False))
    published_by: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class BriefView(SQLModel, table=True):
    """When a user last looked at a campaign's brief ("what's new since you last looked")."""

    __tablename__ = "brief_view"
    __table_args__ = (UniqueConstraint("campaign_id", "username", name="uq_brief_view"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    username: str = Field(max_length=64)
    seen_version: int = 0
    seen_at: datetime = Field(default_factory=utcnow)


# --- the SLA ------------------------------------------------------------------------------


class SlaTargets(SQLModel):
    mql_target: int = Field(ge=0)
    acceptance_rate_target: float = Field(ge=0, le=1)
    response_hours: float = Field(gt=0)
    contacted_within_sla_target: float = Field(ge=0, le=1)
    sql_target: int = Field(ge=0)
    close_rate_target: float = Field(ge=0, le=1)
    customer_target: int = Field(ge=0)


class SlaAgreement(SlaTargets, table=True):
    __tablename__ = "sla_agreement"
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    effective_from: date
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = Field(default_factory=utcnow)
    in_effect: bool = False
    is_demo: bool = False


class SlaConfirmation(SQLModel, table=True):
    __tablename__ = "sla_confirmation"
    __table_args__ = (UniqueConstraint("agreement_id", "team", name="uq_sla_confirmation"),)
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="sla_agreement.id", index=True)
    team: str = Field(max_length=16)
    username: str = Field(max_length=64)
    confirmed_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class SlaCause(SQLModel, table=True):
    """A recorded "why?" for a metric that was red in a period."""

    __tablename__ = "sla_cause"
    __table_args__ = (Index("ix_cause_period", "period_kind", "period_start"),)
    id: int | None = Field(default=None, primary_key=True)
    metric: str = Field(max_length=64)
    period_kind: str = Field(max_length=16)
    period_start: date
    category: str = Field(max_length=64)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    author: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


# --- meetings -----------------------------------------------------------------------------


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    held_on: date = Field(index=True)
    status: str = Field(default=MeetingStatus.planned, max_length=16)
    agenda: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    facilitator: str | None = Field(default=None, max_length=64)
    minutes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: JSON: the scorecard as it stood when the meeting was closed (never recomputed)
    scorecard: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    started_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class MeetingNote(SQLModel, table=True):
    """One person's note on one agenda step (a row per author, so nobody overwrites anyone)."""

    __tablename__ = "meeting_note"
    __table_args__ = (UniqueConstraint("meeting_id", "step", "author", name="uq_note_author"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    step: str = Field(max_length=64)
    author: str = Field(max_length=64)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class MeetingAttendee(SQLModel, table=True):
    """One person at a meeting: a user (``username``) or a guest without an account
    (``guest_name``). A guest's 1–10 rating is kept here; a user's is a MeetingRating."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        UniqueConstraint("meeting_id", "username", name="uq_attendee_user"),
        UniqueConstraint("meeting_id", "guest_name", name="uq_attendee_guest"),
    )
    id: int | None = Field(default=None, primary_key=True)
    #: removing a meeting removes its attendee list with it (the audit log keeps who)
    meeting_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    username: str | None = Field(default=None, max_length=64)
    guest_name: str | None = Field(default=None, max_length=100)
    rating: int | None = Field(default=None, ge=1, le=10)
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    decided_by: str = Field(max_length=200)
    decided_on: date
    metric: str | None = Field(default=None, max_length=64)
    sla_version: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class ActionBase(SQLModel):
    title: str = Field(max_length=300)
    owner: str = Field(max_length=64)
    due_date: date
    metric: str | None = Field(default=None, max_length=64)
    period_kind: str | None = Field(default=None, max_length=16)
    period_start: date | None = None


class ActionCreate(ActionBase):
    pass


class Action(ActionBase, table=True):
    __table_args__ = (Index("ix_action_owner_status", "owner", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=ActionStatus.open, max_length=16)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    carried_over: int = 0
    drop_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    is_demo: bool = False


class ActionReview(SQLModel, table=True):
    """What a meeting's actions review said about one action: done, carried over or dropped."""

    __tablename__ = "action_review"
    __table_args__ = (UniqueConstraint("action_id", "meeting_id", name="uq_action_review"),)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    outcome: str = Field(max_length=16)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reviewed_by: str = Field(max_length=64)
    reviewed_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class MeetingRating(SQLModel, table=True):
    __tablename__ = "meeting_rating"
    __table_args__ = (UniqueConstraint("meeting_id", "username", name="uq_rating_user"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    username: str = Field(max_length=64)
    rating: int = Field(ge=1, le=10)
    is_demo: bool = False


# --- imports ------------------------------------------------------------------------------


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    actor: str = Field(max_length=64)
    file_name: str = Field(max_length=300)
    format: str = Field(max_length=32)
    kind: str = Field(default="leads", max_length=16)
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status: str = Field(default="running", max_length=16)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: While it runs: the process writing it ("host pid") and when it last wrote a batch
    #: (the wall clock), so that a run whose process died is found and undone.
    process: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = None
    #: A sync's data source (None for a file import) and the records it read from the API.
    source_id: int | None = Field(default=None, index=True)
    fetched: int = 0


class ImportUndo(SQLModel, table=True):
    """What one committed batch of a running import wrote, so that a failure (or a crash,
    found later) can undo it: JSON with the ids of the rows it inserted and the old and new
    values of the fields it changed (``smarketing.data_in.batches``). Deleted when the run
    is done or undone."""

    __tablename__ = "import_undo"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="import_run.id", index=True)
    written_at: datetime = Field(default_factory=utcnow)
    entries: str = Field(sa_column=Column(Text, nullable=False))


# --- live data: CRM sources, the event intake, scheduled jobs -------------------------------


class DataSource(SQLModel, table=True):
    """A CRM account synced by ``smarketing.data_in.sync``. The token itself is never
    stored: ``token_env`` names where it is read from (an environment variable, or
    ``secrets:KEY`` for a key of ``.streamlit/secrets.toml``)."""

    __tablename__ = "data_source"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16, description="hubspot | pipedrive | salesforce")
    token_env: str = Field(max_length=100)
    base_url: str | None = Field(default=None, max_length=300)
    every_minutes: int = 15
    enabled: bool = True
    #: Changes to the format's default field mapping, JSON {API field: target or ""}.
    mapping: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    #: Where the next sync starts (the connector's JSON), None before the first full sync.
    cursor: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: HubSpot: where the app's client secret (webhook signatures) is read from.
    webhook_secret_env: str | None = Field(default=None, max_length=100)
    #: Set when a sync was asked for now (a webhook, "Sync now"): the scheduler runs it at
    #: its next tick instead of waiting for ``every_minutes``.
    sync_requested_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A system allowed to post events to ``/api/events``: only the sha256 of its bearer
    token is stored (``python -m smarketing tokens add NAME`` prints the token once).
    ``hmac_secret_env`` names where its HMAC signing secret is read from, if it signs."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    hmac_secret_env: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)


class EventInbox(SQLModel, table=True):
    """One event received on ``/api/events`` (stored as it came, answered 202), then
    matched to its lead and written as an activity by the intake job
    (``processed_at``, ``outcome``). Unique per sender and event id: a repeat is ignored."""

    __tablename__ = "event_inbox"
    __table_args__ = (
        UniqueConstraint("sender", "event_id", name="uq_event_sender_id"),
        Index("ix_event_inbox_pending", "processed_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    received_at: datetime
    payload: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=200)
    activity_id: int | None = None


class JobLock(SQLModel, table=True):
    """Who runs a scheduled job now (SQLite; PostgreSQL uses advisory locks), until when
    the lease holds, and how the job's last run ended."""

    __tablename__ = "job_lock"
    name: str = Field(primary_key=True, max_length=100)
    holder: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_status: str | None = Field(default=None, max_length=16)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# --- notifications: the outbox, each person's preferences, the team channels -----------------


class Notification(SQLModel, table=True):
    """One message to one recipient on one channel (``smarketing.notify.outbox``). Unique
    per (kind, subject key, recipient, channel): a rule that finds the same thing twice, or
    two processes at once, queue it once. ``status``: pending → sending (claimed by one
    dispatcher) → sent, or back to pending with a later ``due_at`` after a failure that is
    worth retrying, or failed; delayed (quiet hours moved ``due_at``); skipped (the person
    opted out of the kind). ``address`` is where it goes, resolved when it is queued (and
    again on a resend); ``body`` the Message as JSON."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("kind", "subject_key", "recipient", "channel", name="uq_notification"),
        Index("ix_notification_due", "status", "due_at"),
        Index("ix_notification_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    subject_key: str = Field(max_length=200)
    recipient: str = Field(max_length=64, description="a username or team:NAME")
    channel: str = Field(max_length=16, description="email | slack | teams | webhook")
    address: str | None = Field(default=None, max_length=500)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None = None


class NotifyPreference(SQLModel, table=True):
    """What one person chose on "My notifications" (until then the defaults of their
    roles apply): the kinds they get (comma-separated, empty: none), the channel and its
    address (None with e-mail: the account's e-mail), quiet hours as local "HH:MM" in the
    business timezone (both None: none)."""

    __tablename__ = "notify_preference"
    username: str = Field(primary_key=True, max_length=64)
    kinds: str = Field(default="", max_length=300)
    channel: str = Field(default="email", max_length=16)
    address: str | None = Field(default=None, max_length=500)
    quiet_start: str | None = Field(default=None, max_length=5)
    quiet_end: str | None = Field(default=None, max_length=5)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=64)


class TeamChannel(SQLModel, table=True):
    """Where an admin sends a team's messages (``team:sales`` …, a lead without owner)."""

    __tablename__ = "team_channel"
    team: str = Field(primary_key=True, max_length=32)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=64)
