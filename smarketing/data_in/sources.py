"""CRM data sources: the accounts the sync reads (``smarketing.data_in.sync``), where their
tokens come from, their field mapping and schedule.

A source's token is never stored, in the database or the audit log: ``token_env`` names
where it is read from when a sync or a test runs (``config.secret_value``: an environment
variable, or ``secrets:KEY`` in ``.streamlit/secrets.toml``). Adding or changing a source
needs the ``sources.manage`` permission and is audited.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import Session, col, select

from smarketing import config
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.connectors import KINDS, LABELS, connector_class
from smarketing.connectors.base import AuthFailed, Connector
from smarketing.data_in.formats import SPECS, TARGETS, target_of
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.store.db import bump_data_version
from smarketing.store.models import DataSource, ImportRun, utcnow

#: Minutes between two syncs of a source: the default, and the range allowed.
EVERY_MINUTES = 15
EVERY_RANGE = (1, 1440)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


def where_secret_is(reference: str) -> str:
    """Words for a person, in the language speaking: where the secret named by
    ``reference`` is read from."""
    reference = reference.strip()
    if reference.startswith(config.SECRETS_PREFIX):
        key = reference[len(config.SECRETS_PREFIX) :]
        return _("the key {key} of .streamlit/secrets.toml").format(key=key)
    return _("the environment variable {name}").format(name=reference)


def _reference_problem(reference: str) -> str | None:
    """Why ``reference`` cannot name where a secret is kept (in the language speaking), or
    None."""
    if config.is_secret_reference(reference):
        return None
    if reference.strip().startswith(config.SECRETS_PREFIX):
        return _("that is not a secrets.toml key (e.g. secrets:hubspot_token)")
    return _(
        "that is not the name of an environment variable (letters, digits and _, "
        "e.g. HUBSPOT_TOKEN) or a secrets.toml key (secrets:hubspot_token); give where the "
        "secret is kept, never the secret itself"
    )


def label(kind: str) -> str:
    """The CRM's name for people (``HubSpot``)."""
    return LABELS.get(kind, kind)


#: What a secret reference is, in the messages about it.
TOKEN_FROM = N_("where the token comes from")
SECRET_FROM = N_("where the webhook secret comes from")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            _(
                "a source's name is 1 to 64 letters, digits, spaces, dots, dashes or "
                "underscores, starting with a letter or digit (e.g. hubspot or HubSpot EU)"
            )
        )
    return name


def _check_kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise InvalidInput(
            _("unknown CRM {crm}: expected one of {crms}").format(
                crm=repr(kind), crms=", ".join(KINDS)
            )
        )
    return kind


def _check_reference(reference: str, what: str) -> str:
    reference = (reference or "").strip()
    problem = _reference_problem(reference)
    if problem:
        raise InvalidInput(f"{_(what)}: {problem}")
    return reference


def _check_url(url: str | None) -> str | None:
    url = (url or "").strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            _(
                "the base URL {url} is not an http(s) address (e.g. https://api.hubapi.com); "
                "leave it empty for the CRM's own"
            ).format(url=repr(url))
        )
    if len(url) > 300:
        raise InvalidInput(_("the base URL is longer than {n} characters").format(n=300))
    return url


def _check_every(minutes: int) -> int:
    lo, hi = EVERY_RANGE
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("the schedule must be a whole number of minutes ({lo}–{hi})").format(lo=lo, hi=hi)
        ) from None
    if not lo <= minutes <= hi:
        raise InvalidInput(
            _("a source syncs every {lo} to {hi} minutes, not {minutes}").format(
                lo=lo, hi=hi, minutes=minutes
            )
        )
    return minutes


def get_source(session: Session, name: str) -> DataSource:
    """The source named ``name``, or InvalidInput naming the sources there are."""
    found = session.exec(select(DataSource).where(DataSource.name == name)).first()
    if found is None:
        names = session.exec(select(DataSource.name).order_by(DataSource.name)).all()
        if names:
            raise InvalidInput(
                _("no data source named {name} (sources: {names})").format(
                    name=repr(name), names=", ".join(names)
                )
            )
        raise InvalidInput(
            _("no data source named {name} (no source is set up yet)").format(name=repr(name))
        )
    return found


def add_source(
    session: Session,
    *,
    actor: Actor,
    name: str,
    kind: str,
    token_env: str,
    base_url: str | None = None,
    every_minutes: int = EVERY_MINUTES,
    webhook_secret_env: str | None = None,
    now: datetime | None = None,
) -> DataSource:
    """Add a CRM source (committed, audited). ``token_env`` says where the token is read
    from, never the token."""
    require(actor, "sources.manage")
    name = _check_name(name)
    source = DataSource(
        name=name,
        kind=_check_kind(kind),
        token_env=_check_reference(token_env, TOKEN_FROM),
        base_url=_check_url(base_url),
        every_minutes=_check_every(every_minutes),
        webhook_secret_env=(
            _check_reference(webhook_secret_env, SECRET_FROM)
            if (webhook_secret_env or "").strip()
            else None
        ),
        created_at=now or utcnow(),
        updated_at=now or utcnow(),
        created_by=actor.username,
    )
    taken = session.exec(
        select(DataSource.id).where(func.lower(DataSource.name) == name.lower())
    ).first()
    if taken is not None:
        raise InvalidInput(
            _("a data source named {name} exists already; choose another name").format(
                name=repr(name)
            )
        )
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor.username,
        "source.add",
        "data_source",
        source.id,
        name=source.name,
        kind=source.kind,
        token_from=source.token_env,
        base_url=source.base_url,
        every_minutes=source.every_minutes,
    )
    bump_data_version(session)  # the pages' as-of line now names the CRM's last sync
    session.commit()
    session.refresh(source)
    return source


def update_source(
    session: Session,
    name: str,
    *,
    actor: Actor,
    token_env: str | None = None,
    base_url: str | None = None,
    every_minutes: int | None = None,
    enabled: bool | None = None,
    webhook_secret_env: str | None = None,
    now: datetime | None = None,
) -> DataSource:
    """Change a source's settings (only those given; ``base_url=""`` back to the CRM's own),
    committed and audited with old and new values."""
    require(actor, "sources.manage")
    source = get_source(session, name)
    changes: dict[str, object] = {}
    if token_env is not None:
        changes["token_env"] = _check_reference(token_env, TOKEN_FROM)
    if base_url is not None:
        changes["base_url"] = _check_url(base_url)
    if every_minutes is not None:
        changes["every_minutes"] = _check_every(every_minutes)
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if webhook_secret_env is not None:
        changes["webhook_secret_env"] = (
            _check_reference(webhook_secret_env, SECRET_FROM)
            if webhook_secret_env.strip()
            else None
        )
    changed = {k: v for k, v in changes.items() if getattr(source, k) != v}
    if not changed:
        return source
    detail = {k: {"old": getattr(source, k), "new": v} for k, v in changed.items()}
    for key, value in changed.items():
        setattr(source, key, value)
    source.updated_at = now or utcnow()
    session.add(source)
    audit.record(session, actor.username, "source.update", "data_source", source.id, **detail)
    session.commit()
    session.refresh(source)
    return source


def mapping_changes(source: DataSource) -> dict[str, str]:
    """The source's changes to its format's default mapping: {API field: target or ""}."""
    try:
        changes = json.loads(source.mapping or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in changes.items()} if isinstance(changes, dict) else {}


def set_mapping(
    session: Session, name: str, changes: dict[str, str], *, actor: Actor, merge: bool = False
) -> DataSource:
    """Store the source's mapping changes ({API field: lead field, or "" for not
    imported}), checked like a file's mapping; audited with old and new. ``merge``: on top
    of the changes stored (an edit of some fields), else instead of them."""
    require(actor, "sources.manage")
    source = get_source(session, name)
    if merge:
        changes = {**mapping_changes(source), **changes}
    clean: dict[str, str] = {}
    for field_name, target in changes.items():
        field_name = str(field_name).strip()
        if not field_name:
            continue
        target = str(target or "").strip()
        if target:
            known = target if target in TARGETS else target_of(target)
            if known is None:
                raise InvalidInput(
                    _(
                        "{field}: {target} is not a lead field (expected one of {targets}, or "
                        "empty for not imported)"
                    ).format(field=field_name, target=repr(target), targets=", ".join(TARGETS))
                )
            target = known
        clean[field_name] = target
    old = mapping_changes(source)
    if clean == old:
        return source
    source.mapping = json.dumps(clean, sort_keys=True)
    source.updated_at = utcnow()
    session.add(source)
    audit.record(
        session, actor.username, "source.mapping", "data_source", source.id, old=old, new=clean
    )
    session.commit()
    session.refresh(source)
    return source


def request_sync(session: Session, name: str, *, actor: Actor, now: datetime | None = None) -> None:
    """Ask for a sync of the source at the scheduler's next tick (a webhook, "Sync now")."""
    require(actor, "sources.manage")
    source = get_source(session, name)
    source.sync_requested_at = now or utcnow()
    session.add(source)
    session.commit()


def token_of(source: DataSource) -> str:
    """The source's token, read from where ``token_env`` says; AuthFailed naming where to
    set it when it is not there."""
    token = config.secret_value(source.token_env)
    if not token:
        raise AuthFailed(
            _(
                "{name}: no {crm} token: set {where} for the app (and the worker), then try again"
            ).format(
                name=source.name,
                crm=label(source.kind),
                where=where_secret_is(source.token_env),
            )
        )
    return token


def connector_for(source: DataSource, *, sleep: Callable[[float], None] = time.sleep) -> Connector:
    """The source's connector, with its token and base URL."""
    token = token_of(source)
    return connector_class(source.kind)(token, base_url=source.base_url, sleep=sleep)


def connection_check(source: DataSource) -> str:
    """One line on the account the source reaches, or a ConnectorError saying what is wrong
    (a wrong token, a missing scope, no network)."""
    client = connector_for(source)
    try:
        return client.check()
    finally:
        client.close()


def format_of(source: DataSource) -> str:
    """The import format whose field tables read the source's records."""
    return source.kind if source.kind in SPECS else "generic"


@dataclass(frozen=True)
class SourceStatus:
    """A source with its last sync: for the Data sources page and ``sources list``."""

    name: str
    kind: str
    label: str
    token_from: str
    token_label: str
    base_url: str | None
    every_minutes: int
    enabled: bool
    has_cursor: bool
    last_run_at: datetime | None
    last_status: str | None
    last_message: str | None
    last_ok_at: datetime | None
    next_due_at: datetime | None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def source_statuses(session: Session) -> list[SourceStatus]:
    """Every source with its newest run, its newest successful run and when it is due."""
    sources = session.exec(select(DataSource).order_by(DataSource.name)).all()
    out = []
    for source in sources:
        runs = select(ImportRun).where(ImportRun.source_id == source.id)
        last = session.exec(
            runs.order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc())
        ).first()
        ok = session.exec(
            select(func.max(ImportRun.finished_at)).where(
                ImportRun.source_id == source.id, ImportRun.status == "done"
            )
        ).first()
        due = None
        if source.enabled:
            base = _aware(last.started_at) if last is not None else None
            due = base + timedelta(minutes=source.every_minutes) if base else None
            if source.sync_requested_at is not None:
                requested = _aware(source.sync_requested_at)
                due = min(due, requested) if due else requested
        out.append(
            SourceStatus(
                name=source.name,
                kind=source.kind,
                label=label(source.kind),
                token_from=where_secret_is(source.token_env),
                token_label=config.secret_label(source.token_env),
                base_url=source.base_url,
                every_minutes=source.every_minutes,
                enabled=source.enabled,
                has_cursor=source.cursor is not None,
                last_run_at=_aware(last.started_at) if last else None,
                last_status=last.status if last else None,
                last_message=last.message if last else None,
                last_ok_at=_aware(ok),
                next_due_at=due,
            )
        )
    return out
