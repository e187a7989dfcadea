"""The command line's `sources add|list|test|set|mapping` and `sync` against the local HubSpot
fake on 127.0.0.1: what they print, their exit codes, a token pasted instead of its
variable refused, a failing source reported with exit 1."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smarketing.cli import sources as cli_sources
from smarketing.cli.main import main
from smarketing.connectors import KINDS
from smarketing.data_in import sources
from smarketing.store.models import DataSource, Lead
from tests.fakes.hubspot import FakeHubSpot, serve

TOKEN = "pat-na1-cli-test"


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def hubspot(httpserver, engine, monkeypatch):
    fake = FakeHubSpot(contacts=30, token=TOKEN)
    serve(httpserver, fake)
    monkeypatch.setenv("HUBSPOT_CLI_TOKEN", TOKEN)
    return fake


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_parser_knows_every_crm():
    assert cli_sources.KINDS == KINDS


def test_where_the_token_comes_from_speaks_norwegian(capsys, engine, hubspot, monkeypatch):
    """The words for where a token is read from are the language's own (they were English
    inside a Norwegian sentence)."""
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    code, out, _ = run(
        capsys, "sources", "add", "hubspot", "--kind", "hubspot",
        "--token-env", "HUBSPOT_CLI_TOKEN", "--base-url", hubspot.url,
    )  # fmt: skip
    assert code == 0 and "token fra miljøvariabelen HUBSPOT_CLI_TOKEN;" in out
    code, out, _ = run(
        capsys, "sources", "add", "other", "--kind", "hubspot",
        "--token-env", "secrets:hubspot_token", "--base-url", hubspot.url,
    )  # fmt: skip
    assert code == 0 and "token fra nøkkelen hubspot_token i .streamlit/secrets.toml;" in out
    code, _out, err = run(
        capsys, "sources", "add", "bad", "--kind", "hubspot", "--token-env", "a b"
    )
    assert code == 1 and "det er ikke navnet på en miljøvariabel" in err


def test_add_test_list_and_sync_a_hubspot_source(capsys, engine, hubspot):
    code, out, _ = run(
        capsys, "sources", "add", "hubspot", "--kind", "hubspot",
        "--token-env", "HUBSPOT_CLI_TOKEN", "--base-url", hubspot.url, "--every", "5",
    )  # fmt: skip
    assert code == 0 and "added hubspot (HubSpot), token from the environment variable" in out
    code, out, _ = run(capsys, "sources", "test", "hubspot")
    assert code == 0 and out.startswith("hubspot: HubSpot at ")
    code, out, _ = run(capsys, "sync", "--dry-run")
    assert code == 0 and "hubspot (full sync, dry run): 30 fetched, 30 would be inserted" in out
    code, out, _ = run(capsys, "sync", "hubspot")
    assert code == 0 and "hubspot (full sync): 30 fetched, 30 inserted" in out
    hubspot.modify([2, 4], jobtitle="CFO")
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "hubspot (sync): 2 fetched, 0 inserted, 2 updated" in out
    code, out, _ = run(capsys, "sources", "list")
    assert code == 0 and "hubspot: HubSpot, token from the environment variable" in out
    assert "every 5 min; last sync" in out and ": done" in out
    with Session(engine) as s:
        assert len(s.exec(select(Lead)).all()) == 30


def test_a_token_pasted_instead_of_its_variable_is_refused_and_not_printed(capsys, engine):
    code, out, err = run(
        capsys, "sources", "add", "crm", "--kind", "pipedrive", "--token-env", "1234abcd-5678efgh"
    )
    assert code == 1 and "not the name of an environment variable" in err
    assert "1234abcd" not in err + out
    with Session(engine) as s:
        assert s.exec(select(DataSource)).all() == []


def test_a_failing_source_is_reported_and_exits_1(capsys, engine, hubspot):
    run(capsys, "sources", "add", "hubspot", "--kind", "hubspot", "--token-env",
        "HUBSPOT_CLI_TOKEN", "--base-url", hubspot.url)  # fmt: skip
    hubspot.revoked = True
    code, _, err = run(capsys, "sync")
    assert code == 1 and "error: HubSpot sync of 'hubspot' failed" in err
    code, out, _ = run(capsys, "sources", "list")
    assert "last sync" in out and ": failed" in out and "error: " in out


def test_mapping_changes_are_shown_and_stored(capsys, engine, hubspot):
    run(capsys, "sources", "add", "hubspot", "--kind", "hubspot", "--token-env",
        "HUBSPOT_CLI_TOKEN", "--base-url", hubspot.url)  # fmt: skip
    code, out, _ = run(capsys, "sources", "mapping", "hubspot", "--set", "jobtitle=",
                       "--set", "hs_persona=persona")  # fmt: skip
    assert code == 0 and "jobtitle -> not imported" in out and "hs_persona -> Persona" in out
    code, _, err = run(capsys, "sources", "mapping", "hubspot", "--set", "jobtitle=shoe size")
    assert code == 1 and "'shoe size' is not a lead field" in err
    with Session(engine) as s:
        stored = sources.mapping_changes(s.exec(select(DataSource)).one())
    assert stored == {"jobtitle": "", "hs_persona": "persona"}


def test_pause_and_resume(capsys, engine, hubspot):
    run(capsys, "sources", "add", "hubspot", "--kind", "hubspot", "--token-env",
        "HUBSPOT_CLI_TOKEN", "--base-url", hubspot.url)  # fmt: skip
    assert run(capsys, "sources", "set", "hubspot", "--pause")[0] == 0
    code, out, _ = run(capsys, "sources", "list")
    assert "hubspot (paused)" in out
    code, _, err = run(capsys, "sync", "hubspot")
    assert code == 1 and "is paused; resume it first" in err
    assert run(capsys, "sources", "set", "hubspot", "--resume")[0] == 0
    assert run(capsys, "sync", "hubspot")[0] == 0
