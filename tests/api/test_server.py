"""The real server: `streamlit run app.py` serves the frame and the API from one process,
and its start prints the first-admin setup code before anybody opens a page."""

from __future__ import annotations

import time

import httpx
from sqlmodel import Session, func, select

from scripts.browser_tour import server_env, streamlit_server
from smarketing.auth import tokens
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.data_in.events import process_inbox
from smarketing.store.db import make_engine, upgrade_to_head
from smarketing.store.models import LeadActivity
from tests.factories import add_lead

SETUP_CODE = "server-start-code-0001"


def test_streamlit_run_app_serves_the_api_and_prints_the_setup_code(tmp_path, new_database_url):
    url = new_database_url("server")
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as s:
        token = tokens.add_token(s, "website", actor=CLI_ACTOR)
        add_lead(s, "101", "2026-11-01 09:00", email="kari@example.com")
    env = {
        **server_env(url, tmp_path / "data", "k" * 64),
        "SMARKETING_SETUP_CODE": SETUP_CODE,
    }
    log = tmp_path / "server.log"
    with streamlit_server(env, log) as base:
        # no page has been opened: the code comes from the server's start
        assert SETUP_CODE in log.read_text()
        event = {"event_id": "e1", "email": "KARI@example.com", "kind": "download"}
        started = time.perf_counter()
        r = httpx.post(
            f"{base}/api/events", json=event, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 202 and r.json() == {"accepted": 1, "repeats": 0}
        assert time.perf_counter() - started < 5
        wrong = httpx.post(f"{base}/api/events", json=event, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        assert httpx.get(f"{base}/_stcore/health").text == "ok"
        assert "<!DOCTYPE html>" in httpx.get(base).text  # the frame's page is served
    assert log.read_text().count(SETUP_CODE) == 1
    assert process_inbox(engine).stored == 1
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(LeadActivity)).one() == 1
    engine.dispose()
