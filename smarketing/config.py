"""Settings read from the environment (see README, "Configuration")."""

from __future__ import annotations

import math
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smarketing.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
COOKIE_NAME = "smarketing_auth"
COOKIE_EXPIRY_DAYS = 1.0
#: A login session ends after this long without a page run (SMARKETING_SESSION_IDLE_HOURS).
SESSION_IDLE_HOURS = 8.0


def data_dir() -> Path:
    """Folder for the default SQLite file and the generated cookie key."""
    return Path(os.environ.get("SMARKETING_DATA_DIR", DEFAULT_DATA_DIR))


def database_url() -> str:
    """SQLAlchemy URL of the store; default a SQLite file in the data folder."""
    url = os.environ.get("SMARKETING_DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir() / 'smarketing.db'}"


def image_hosts() -> frozenset[str]:
    """Hosts whose images user Markdown may show (``SMARKETING_IMAGE_HOSTS``, comma-separated).

    An entry is a host name (any port) or ``host:port``, compared without case; empty by
    default, so no image typed by a person is fetched by anyone's browser.
    """
    raw = os.environ.get("SMARKETING_IMAGE_HOSTS", "")
    return frozenset(h.strip().lower().rstrip(".") for h in raw.split(",") if h.strip())


def timezone_name() -> str:
    """Name of the business timezone used for display and period cuts."""
    return os.environ.get("SMARKETING_TIMEZONE", "").strip() or "Europe/Oslo"


def business_tz() -> ZoneInfo:
    """The business timezone; a clear error when the name is unknown."""
    name = timezone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"SMARKETING_TIMEZONE={name!r} is not a known timezone (e.g. Europe/Oslo)"
        ) from exc


#: An imported date later than this many days after the import is reported (a warning).
DEFAULT_IMPORT_FUTURE_DAYS = 1.0


def import_future_days() -> float:
    """How far after the import an imported date may lie before the import warns about it
    (``SMARKETING_IMPORT_FUTURE_DAYS``, days, may be fractional; default 1)."""
    raw = os.environ.get("SMARKETING_IMPORT_FUTURE_DAYS", "").strip()
    if not raw:
        return DEFAULT_IMPORT_FUTURE_DAYS
    try:
        days = float(raw)
    except ValueError:
        days = math.nan
    if not (math.isfinite(days) and 0 <= days <= 36_500):
        raise InvalidInput(
            f"SMARKETING_IMPORT_FUTURE_DAYS={raw!r} must be a number of days from 0 to 36500 "
            f"(default {DEFAULT_IMPORT_FUTURE_DAYS:g})"
        )
    return days


MIN_COOKIE_KEY = 32


def cookie_key(secrets_value: str | None = None) -> str:
    """The login-cookie signing key: env var, then secrets.toml, else a generated key file.

    The generated key (64 hex characters) is written atomically with mode 0600, so
    concurrent first starts agree on one key and nobody reads a half-written file.
    """
    key = os.environ.get("SMARKETING_COOKIE_KEY", "").strip() or (secrets_value or "").strip()
    if key:
        if len(key) < MIN_COOKIE_KEY:
            raise InvalidInput(
                f"the cookie key (SMARKETING_COOKIE_KEY or cookie_key in secrets.toml) must "
                f"be at least {MIN_COOKIE_KEY} characters long"
            )
        return key
    path = data_dir() / "cookie_key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as store makes it
        temporary = path.with_name(f".cookie_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # fails if another process won the race: use theirs
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_COOKIE_KEY:
        raise InvalidInput(
            f"{path} holds a key shorter than {MIN_COOKIE_KEY} characters: delete the file "
            "to generate a new one (everyone logs in again)"
        )
    return key


def _hours(name: str, default: float) -> timedelta:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return timedelta(hours=default)
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 366:
        raise InvalidInput(f"{name}={raw!r} must be a number of hours above 0 (e.g. {default:g})")
    return timedelta(hours=hours)


def session_idle() -> timedelta:
    """How long a login session lives without a page run (default 8 hours)."""
    return _hours("SMARKETING_SESSION_IDLE_HOURS", SESSION_IDLE_HOURS)


def session_max_age() -> timedelta:
    """How long a login session (and its cookie) lives at most, however busy (default the
    cookie's day)."""
    return _hours("SMARKETING_SESSION_MAX_HOURS", COOKIE_EXPIRY_DAYS * 24)


#: How long before a meeting starts its pre-read goes out (SMARKETING_PREREAD_HOURS).
PREREAD_HOURS = 18.0
#: When meetings start, local time in the business timezone (SMARKETING_MEETING_TIME).
MEETING_TIME = time(9, 0)


def preread_lead() -> timedelta:
    """How long before a meeting starts its attendees get the pre-read (default 18 hours:
    15:00 the day before a 09:00 meeting)."""
    return _hours("SMARKETING_PREREAD_HOURS", PREREAD_HOURS)


def meeting_time() -> time:
    """The time of day meetings start, in the business timezone (SMARKETING_MEETING_TIME,
    ``HH:MM``, default 09:00): a meeting is planned for a day, the pre-read counts back
    from this time on that day."""
    raw = os.environ.get("SMARKETING_MEETING_TIME", "").strip()
    if not raw:
        return MEETING_TIME
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw)
    if match is None:
        raise InvalidInput(
            f"SMARKETING_MEETING_TIME={raw!r} must be a time of day as HH:MM (e.g. 09:00)"
        )
    return time(int(match.group(1)), int(match.group(2)))


def cookie_secure() -> bool:
    """True when the login cookie is marked Secure (sent over HTTPS only):
    SMARKETING_COOKIE_SECURE=1, for an app served only behind HTTPS."""
    return os.environ.get("SMARKETING_COOKIE_SECURE", "").strip().lower() in {"1", "true", "yes"}


def forwarded_for() -> bool:
    """True when the app is reached only through a reverse proxy that appends the client's
    address to ``X-Forwarded-For`` (SMARKETING_FORWARDED_FOR=1): the login throttle and the
    sessions list then use that address instead of the proxy's."""
    return os.environ.get("SMARKETING_FORWARDED_FOR", "").strip().lower() in {"1", "true", "yes"}


def scheduler_enabled() -> bool:
    """True when this process runs the scheduled jobs (the CRM sync, the event intake) in
    the server: ``SMARKETING_SCHEDULER`` unset or ``on``; ``off`` when a separate
    `python -m smarketing worker` runs them."""
    raw = os.environ.get("SMARKETING_SCHEDULER", "").strip().lower()
    if raw in {"", "on"}:
        return True
    if raw == "off":
        return False
    raise InvalidInput(
        f"SMARKETING_SCHEDULER={raw!r} must be on (the server runs the scheduled jobs, the "
        "default) or off (a separate `python -m smarketing worker` runs them)"
    )


def public_url() -> str | None:
    """The address the app is reached at from outside, e.g. https://smarketing.example.com
    (SMARKETING_PUBLIC_URL): HubSpot signs a webhook's full URL, which a reverse proxy in
    front of the app may change. None: the URL of the request as it arrives."""
    url = os.environ.get("SMARKETING_PUBLIC_URL", "").strip().rstrip("/")
    return url or None


# --- import limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLimits:
    """Hard limits of one imported file, checked before it is parsed (README, "Importing
    CRM exports"; docs/import-formats.md). Each comes from an environment variable."""

    max_bytes: int
    max_columns: int
    max_field_bytes: int
    max_line_bytes: int
    max_rows: int
    max_cells: int


#: (environment variable, default, unit in bytes) of each ImportLimits field.
IMPORT_LIMIT_VARS = {
    "max_bytes": ("SMARKETING_IMPORT_MAX_MB", 100, 1024 * 1024),
    "max_columns": ("SMARKETING_IMPORT_MAX_COLUMNS", 500, 1),
    "max_field_bytes": ("SMARKETING_IMPORT_MAX_FIELD_KB", 64, 1024),
    "max_line_bytes": ("SMARKETING_IMPORT_MAX_LINE_KB", 1024, 1024),
    "max_rows": ("SMARKETING_IMPORT_MAX_ROWS", 80_000, 1),
    "max_cells": ("SMARKETING_IMPORT_MAX_CELLS", 4_000_000, 1),
}


def import_limits() -> ImportLimits:
    """The import limits from the environment (a positive whole number each), else the
    defaults: 100 MB, 500 columns, 64 K characters per field, 1 MB per line,
    80,000 rows and 4,000,000 cells (columns × rows): what keeps an import under 500 MB."""
    values = {}
    for name, (variable, default, unit) in IMPORT_LIMIT_VARS.items():
        raw = os.environ.get(variable, "").strip()
        if not raw:
            values[name] = default * unit
            continue
        try:
            number = int(raw.replace("_", ""))
        except ValueError:
            number = 0
        if number <= 0:
            raise InvalidInput(f"{variable}={raw!r} must be a positive whole number")
        values[name] = number * unit
    return ImportLimits(**values)


def import_limit_variable(field_name: str) -> str:
    """The environment variable that raises one import limit (``max_rows`` → …)."""
    return IMPORT_LIMIT_VARS[field_name][0]


# --- secrets named by reference (CRM tokens, signing secrets) ------------------------------

#: A reference to a secret: an environment variable's name, or ``secrets:KEY`` for a key
#: of ``.streamlit/secrets.toml`` (dots for tables: ``secrets:hubspot.token``).
SECRETS_PREFIX = "secrets:"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def secrets_files() -> list[Path]:
    """Where Streamlit reads ``secrets.toml`` from: the user's, then the project's (which
    wins), as Streamlit does."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def is_secret_reference(reference: str) -> bool:
    """Whether ``reference`` names where a secret is kept: an environment variable's name,
    or ``secrets:KEY`` (a key of secrets.toml, its parts joined by dots)."""
    reference = reference.strip()
    if reference.startswith(SECRETS_PREFIX):
        key = reference[len(SECRETS_PREFIX) :]
        return bool(key) and all(_ENV_NAME.fullmatch(part) for part in key.split("."))
    return bool(_ENV_NAME.fullmatch(reference))


def secret_value(reference: str) -> str | None:
    """The secret a reference names (stripped), or None when it is not set."""
    import tomllib

    reference = reference.strip()
    if not reference.startswith(SECRETS_PREFIX):
        return os.environ.get(reference, "").strip() or None
    parts = reference[len(SECRETS_PREFIX) :].split(".")
    found = None
    for path in secrets_files():
        try:
            with path.open("rb") as fh:
                table = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        value: object = table
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int) and str(value).strip():
            found = str(value).strip()
    return found


def secret_label(reference: str) -> str:
    """Short words for where a secret is read from, for a table: ``$HUBSPOT_TOKEN`` or
    ``secrets.toml: hubspot_token``."""
    reference = reference.strip()
    if reference.startswith(SECRETS_PREFIX):
        return f"secrets.toml: {reference[len(SECRETS_PREFIX) :]}"
    return f"${reference}"


# --- notification channels (README, "Notifications → Channels") ------------------------------

SMTP_SECURITY = ("starttls", "ssl", "none")
DEFAULT_SMTP_PORT = 587


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail is sent through: ``security`` is ``starttls``, ``ssl`` (implicit TLS) or
    ``none`` (a local relay); ``user``/``password`` None when the server needs no login."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    sender: str


def _smtp_value(name: str) -> str | None:
    """One SMTP setting: ``SMARKETING_SMTP_<NAME>``, else ``[smtp] <name>`` of
    ``.streamlit/secrets.toml``."""
    return secret_value(f"SMARKETING_SMTP_{name.upper()}") or secret_value(
        f"{SECRETS_PREFIX}smtp.{name}"
    )


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server e-mail goes through, or None when neither a host nor a sender is
    set; a clear error when it is set only in part or a value is wrong."""
    host, sender = _smtp_value("host"), _smtp_value("from")
    if not host and not sender:
        return None
    if not host or not sender:
        raise InvalidInput(
            "SMTP is not configured: set SMARKETING_SMTP_HOST and SMARKETING_SMTP_FROM "
            "(or host and from under [smtp] in .streamlit/secrets.toml)"
        )
    security = (_smtp_value("security") or "starttls").lower()
    if security not in SMTP_SECURITY:
        raise InvalidInput(
            f"SMARKETING_SMTP_SECURITY={security!r} must be starttls (the default), ssl "
            "(implicit TLS, usually port 465) or none (a local relay)"
        )
    raw_port = _smtp_value("port")
    try:
        port = int(raw_port) if raw_port else DEFAULT_SMTP_PORT
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise InvalidInput(f"SMARKETING_SMTP_PORT={raw_port!r} must be a port number (e.g. 587)")
    user = _smtp_value("user")
    password = _smtp_value("password")
    if password and not user:
        raise InvalidInput("SMARKETING_SMTP_PASSWORD is set without SMARKETING_SMTP_USER")
    return SmtpSettings(host, port, security, user, password if user else None, sender)


def webhook_secret() -> str | None:
    """The secret that signs the generic JSON webhook's requests
    (``SMARKETING_WEBHOOK_SECRET``, else ``webhook_secret`` of ``.streamlit/secrets.toml``),
    or None: the requests go unsigned."""
    return secret_value("SMARKETING_WEBHOOK_SECRET") or secret_value(
        f"{SECRETS_PREFIX}webhook_secret"
    )
