"""Configuration: the cookie key is never a default, the timezone is checked."""

from __future__ import annotations

import stat

import pytest

from smarketing import config
from smarketing.errors import InvalidInput


def test_generated_cookie_key_is_random_private_and_stable(db_url, tmp_path):
    key = config.cookie_key()
    path = tmp_path / "data" / "cookie_key"
    assert len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the data folder it made
    assert config.cookie_key() == key  # kept across restarts
    path.unlink()
    assert config.cookie_key() != key  # a new install gets a new key


def test_cookie_key_from_environment_or_secrets(db_url, monkeypatch, tmp_path):
    assert config.cookie_key("s" * 40) == "s" * 40
    monkeypatch.setenv("SMARKETING_COOKIE_KEY", "e" * 40)
    assert config.cookie_key("s" * 40) == "e" * 40  # the environment wins
    assert not (tmp_path / "data" / "cookie_key").exists()
    monkeypatch.setenv("SMARKETING_COOKIE_KEY", "short")
    with pytest.raises(InvalidInput, match="at least 32"):
        config.cookie_key()


def test_default_database_is_sqlite_in_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SMARKETING_DATABASE_URL", raising=False)
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(tmp_path))
    assert config.database_url() == f"sqlite:///{tmp_path / 'smarketing.db'}"


def test_unknown_timezone_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(InvalidInput, match="not a known timezone"):
        config.business_tz()


def test_session_timeouts_from_the_environment(monkeypatch):
    from datetime import timedelta

    monkeypatch.delenv("SMARKETING_SESSION_IDLE_HOURS", raising=False)
    monkeypatch.delenv("SMARKETING_SESSION_MAX_HOURS", raising=False)
    assert config.session_idle() == timedelta(hours=8)
    assert config.session_max_age() == timedelta(hours=24)  # the cookie's day
    monkeypatch.setenv("SMARKETING_SESSION_IDLE_HOURS", "0.5")
    monkeypatch.setenv("SMARKETING_SESSION_MAX_HOURS", "12")
    assert config.session_idle() == timedelta(minutes=30)
    assert config.session_max_age() == timedelta(hours=12)
    for bad in ("0", "-1", "eight", "nan"):
        monkeypatch.setenv("SMARKETING_SESSION_IDLE_HOURS", bad)
        with pytest.raises(InvalidInput, match="SMARKETING_SESSION_IDLE_HOURS"):
            config.session_idle()


@pytest.mark.parametrize(
    ("value", "secure"), [("", False), ("0", False), ("1", True), ("yes", True)]
)
def test_secure_cookie_flag(monkeypatch, value, secure):
    monkeypatch.setenv("SMARKETING_COOKIE_SECURE", value)
    assert config.cookie_secure() is secure


@pytest.mark.parametrize(("value", "trusted"), [("", False), ("1", True), ("no", False)])
def test_forwarded_for_flag(monkeypatch, value, trusted):
    monkeypatch.setenv("SMARKETING_FORWARDED_FOR", value)
    assert config.forwarded_for() is trusted


def test_import_future_days_default_and_setting(monkeypatch):
    monkeypatch.delenv("SMARKETING_IMPORT_FUTURE_DAYS", raising=False)
    assert config.import_future_days() == 1.0
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", " 0.5 ")
    assert config.import_future_days() == 0.5
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", "a week")
    with pytest.raises(InvalidInput, match="must be a number of days from 0 to 36500"):
        config.import_future_days()


def test_pre_read_hours_and_meeting_time_from_the_environment(monkeypatch):
    from datetime import time, timedelta

    monkeypatch.delenv("SMARKETING_PREREAD_HOURS", raising=False)
    monkeypatch.delenv("SMARKETING_MEETING_TIME", raising=False)
    assert config.preread_lead() == timedelta(hours=18)
    assert config.meeting_time() == time(9, 0)
    monkeypatch.setenv("SMARKETING_PREREAD_HOURS", "36")
    monkeypatch.setenv("SMARKETING_MEETING_TIME", "8:30")
    assert config.preread_lead() == timedelta(hours=36)
    assert config.meeting_time() == time(8, 30)
    for bad in ("24:00", "9", "09:60", "nine"):
        monkeypatch.setenv("SMARKETING_MEETING_TIME", bad)
        with pytest.raises(InvalidInput, match="SMARKETING_MEETING_TIME"):
            config.meeting_time()
    monkeypatch.setenv("SMARKETING_PREREAD_HOURS", "0")
    with pytest.raises(InvalidInput, match="SMARKETING_PREREAD_HOURS"):
        config.preread_lead()
