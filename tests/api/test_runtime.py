"""The server and the CLI hand Python's interpreter lock between their threads every
millisecond (smarketing/runtime.py): set by the server's start and by
``python -m smarketing``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from smarketing import runtime
from smarketing.api.server import Server


@pytest.fixture
def default_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's default
    yield
    sys.setswitchinterval(before)


def test_the_server_start_hands_the_lock_over_every_millisecond(engine, default_interval):
    server = Server(engine)

    async def start_and_stop() -> float:
        async with server.lifespan():
            return sys.getswitchinterval()

    assert asyncio.run(start_and_stop()) == pytest.approx(runtime.SWITCH_INTERVAL_S)
    assert runtime.SWITCH_INTERVAL_S < 0.005


def test_a_cli_command_hands_the_lock_over_every_millisecond():
    """`python -m smarketing` sets it before the command runs (seen from inside the process:
    the command is replaced by one that prints the interval)."""
    probe = (
        "import runpy, sys\n"
        "import smarketing.cli.main as m\n"
        "m.main = lambda argv=None: print(sys.getswitchinterval()) or 0\n"
        "sys.argv = ['smarketing']\n"
        "runpy.run_module('smarketing', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) == pytest.approx(runtime.SWITCH_INTERVAL_S)
