"""Speed and memory of the HubSpot connector alone (no database) against the local fake.

    python benchmarks/bench_hubspot_fetch.py [--contacts 100000] [--changed 100] [--port 0]

Starts ``python -m tests.fakes.hubspot`` in a process of its own (it renders every contact
before it serves, so the fake's generator is not timed), then in THIS process:

* ``full``        - ``HubSpotConnector.pages(None)``: every contact by the list API, 100 a
  page, owners resolved, activities made; records/s and the process's peak memory;
* ``incremental`` - the fake changes ``--changed`` contacts, then ``pages(cursor)`` from the
  full sync's last cursor (the search API); seconds and records.

Timed is from the first request to the last page; starting Python and the fake is not.
The issue's target for the whole sync (connector + database) is 5,000 records/s; the
connector alone should make at least 25,000 records/s, so that the database write has
the rest. Exit status 1 when that is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RECORDS_PER_S = 25_000
TOKEN = "pat-na1-bench-token"


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (``VmHWM``; ``ru_maxrss`` elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_fake(port: int, contacts: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.fakes.hubspot", "--port", str(port)]
    command += ["--contacts", str(contacts), "--token", TOKEN]
    fake = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = fake.stdout.readline()  # printed once every contact is rendered
    if "fake HubSpot on" not in line:
        fake.kill()
        raise SystemExit(f"the fake did not start: {line!r}")
    return fake


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    args = parser.parse_args()
    port = args.port or _free_port()
    base_url = f"http://127.0.0.1:{port}"

    started = time.perf_counter()
    fake = _start_fake(port, args.contacts)
    print(
        f"fake HubSpot with {args.contacts:,} contacts ready "
        f"in {time.perf_counter() - started:.1f} s"
    )
    try:
        from smarketing.connectors.hubspot import HubSpotConnector

        connector = HubSpotConnector(TOKEN, base_url=base_url)
        before = _peak_rss_mb()
        records = activities = pages = 0
        cursor = None
        t0 = time.perf_counter()
        for page in connector.pages(None):
            records += len(page.leads)
            activities += len(page.activities)
            pages += 1
            cursor = page.cursor
        full_s = time.perf_counter() - t0
        rate = records / full_s
        print(
            f"full:        {records:,} contacts ({activities:,} activities, {pages} pages) "
            f"in {full_s:.2f} s = {rate:,.0f} records/s; peak memory {_peak_rss_mb():.0f} MB "
            f"(before the sync {before:.0f} MB)"
        )

        request = urllib.request.Request(
            f"{base_url}/_fake/modify",
            data=json.dumps({"count": args.changed}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).read()
        t0 = time.perf_counter()
        changed = sum(len(page.leads) for page in connector.pages(cursor))
        inc_s = time.perf_counter() - t0
        print(
            f"incremental: {changed:,} contacts read after {args.changed} changed in {inc_s:.2f} s"
        )
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    ok = args.contacts < 100_000 or rate >= TARGET_RECORDS_PER_S
    print(
        f"target (connector alone) >= {TARGET_RECORDS_PER_S:,} records/s: "
        + ("met" if ok else "MISSED")
        + f" (cores: {os.cpu_count()})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
