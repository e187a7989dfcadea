"""A whole CRM sync, connector and database, against the local HubSpot fake.

    python benchmarks/bench_sync.py [--contacts 100000] [--changed 100] [--db URL]

Starts ``python -m tests.fakes.hubspot`` in a process of its own (it renders its contacts
before it serves: not timed), makes a fresh database (SQLite in a temporary folder, or the
empty database ``--db`` names), adds the source, then in THIS process (its threads sharing
the interpreter as ``python -m smarketing`` and the server set it up):

* ``full``        - ``sync_source`` of every contact (the list API, 100 a page, owners,
  activities) into the database, checkpoint by checkpoint: contacts read and stored per
  second, start to end (and records/s counting the activities stored with them: the fake
  gives about two per contact), and the process's peak memory;
* ``incremental`` - the fake changes ``--changed`` contacts; ``sync_source`` from the
  cursor (the search API) end to end: seconds, and what it counted.

The issue's targets: a full sync of 100,000 contacts at 5,000 records/s or more with peak
memory under 500 MB; 100 changed contacts synced in under 2 s. Exit 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_hubspot_fetch import TOKEN, _free_port, _peak_rss_mb, _start_fake

TARGET_RECORDS_PER_S = 5_000
TARGET_MEMORY_MB = 500
TARGET_INCREMENTAL_S = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--db", help="an empty database's URL (default: a new SQLite file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    url = args.db or f"sqlite:///{folder / 'sync.db'}"
    os.environ["SMARKETING_DATA_DIR"] = str(folder / "data")
    os.environ["SMARKETING_DATABASE_URL"] = url
    os.environ["BENCH_HUBSPOT_TOKEN"] = TOKEN
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    fake = _start_fake(port, args.contacts)
    ready = time.perf_counter() - started
    print(f"fake HubSpot with {args.contacts:,} contacts ready in {ready:.1f} s")
    try:
        from sqlmodel import Session

        from smarketing.auth.permissions import CLI_ACTOR
        from smarketing.data_in import sources, sync
        from smarketing.runtime import share_the_interpreter
        from smarketing.store.db import make_engine, upgrade_to_head

        share_the_interpreter()  # as `python -m smarketing sync` and the server do

        engine = make_engine(url)
        upgrade_to_head(engine)
        with Session(engine) as s:
            sources.add_source(
                s,
                actor=CLI_ACTOR,
                name="hubspot",
                kind="hubspot",
                token_env="BENCH_HUBSPOT_TOKEN",
                base_url=base_url,
            )
        before = _peak_rss_mb()
        t0 = time.perf_counter()
        full = sync.sync_source(engine, "hubspot", actor=CLI_ACTOR)
        full_s = time.perf_counter() - t0
        rate = full.inserted / full_s
        written = (full.inserted + full.activities) / full_s
        peak = _peak_rss_mb()
        print(
            f"full:        {full.summary} in {full_s:.1f} s = {rate:,.0f} contacts/s "
            f"({written:,.0f} records/s counting the activities stored with them); "
            f"peak memory {peak:.0f} MB (before the sync {before:.0f} MB)"
        )
        request = urllib.request.Request(
            f"{base_url}/_fake/modify",
            data=json.dumps(
                {"count": args.changed, "properties": {"jobtitle": "Head of Growth"}}
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).read()
        t0 = time.perf_counter()
        inc = sync.sync_source(engine, "hubspot", actor=CLI_ACTOR)
        inc_s = time.perf_counter() - t0
        print(f"incremental: {inc.summary} in {inc_s:.2f} s ({args.changed} changed)")
        engine.dispose()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    checks = {
        f"full >= {TARGET_RECORDS_PER_S:,} contacts/s": rate >= TARGET_RECORDS_PER_S,
        f"peak memory < {TARGET_MEMORY_MB} MB": peak < TARGET_MEMORY_MB,
        f"incremental < {TARGET_INCREMENTAL_S} s": inc_s < TARGET_INCREMENTAL_S,
    }
    for name, ok in checks.items():
        print(f"target {name}: {'met' if ok else 'MISSED'}")
    print(f"(database {url.split(':')[0]}, cores: {os.cpu_count()})")
    return 0 if all(checks.values()) or args.contacts < 100_000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
