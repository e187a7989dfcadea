"""Settings read from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smarketing.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
COOKIE_NAME = "smarketing_auth"
COOKIE_EXPIRY_DAYS = 1.0


def data_dir() -> Path:
    """Folder for the default SQLite file and the generated cookie key."""
    return Path(os.environ.get("SMARKETING_DATA_DIR", DEFAULT_DATA_DIR))


def database_url() -> str:
    """SQLAlchemy URL of the store; default a SQLite file in the data folder."""
    url = os.environ.get("SMARKETING_DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir() / 'smarketing.db'}"


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
        path.parent.mkdir(parents=True, exist_ok=True)
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
