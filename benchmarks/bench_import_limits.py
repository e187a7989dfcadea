"""Seconds and peak memory of the import's hostile-file probes and of files at the limits.

    python benchmarks/bench_import_limits.py [--big-mb 100] [--keep DIR]

Each probe runs ``read_leads`` (the reading every import does first) in a FRESH Python
process: its peak resident memory (``VmHWM``) is its own, and a probe that would hang is
stopped after ``--timeout`` seconds. The probes are issue 15's: a data row of 1,000,000
columns (as ``,x`` pairs, and empty), a header of 1,000,000 columns, one 50 MB line,
50 MB of NUL bytes, 100 MB of tiny rows, a file over the size limit, the widest file the
limits accept (500 columns); then valid HubSpot exports (``bench_import.write_export``) at the
row limit and as large as the size limit allows, read and also fully imported into a
fresh SQLite database (``bench_import``'s ``import`` step). The issue's bound is 500 MB
for any input.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_import import run_step, write_export

BOUND_MB = 500

CHILD = """
import sys, time
from smarketing.data_in.reading import read_leads
from smarketing.data_in.records import UnreadableFile
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
try:
    parsed = read_leads(data, "probe.csv")
    outcome = f"read: {len(parsed.records):,} valid, {len(parsed.errors):,} rejected"
except UnreadableFile as exc:
    outcome = f"refused: {exc}"
seconds = time.perf_counter() - start
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(f"{seconds:.2f}\\t{peak / 1024:.0f}\\t{outcome}")
"""


def probes(work: Path) -> list[tuple[str, Path]]:
    out = []

    def make(name: str, data: bytes) -> None:
        path = work / f"{name}.csv"
        path.write_bytes(data)
        out.append((name, path))

    make("row of 1M columns", b"Record ID,Create Date\n1,2026-01-01" + b",x" * 1_000_000 + b"\n")
    make("row of 1M empty columns", b"Record ID,Create Date\n1,2026-01-01" + b"," * 999_998)
    make("header of 1M columns", ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n")
    make("one 50 MB line", b"Record ID,Create Date\n1," + b"x" * 50_000_000 + b"\n")
    make("50 MB of NUL bytes", b"\0" * 50_000_000)
    make("25M tiny rows (100 MB)", b"Record ID,Create Date\n" + b"1,2\n" * 25_000_000)
    return out


def run_probe(path: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return f"{'>' + str(timeout):>8}  {'?':>7}  STOPPED after {timeout:.0f} s"
    if done.returncode != 0:
        return f"FAILED: {done.stderr.strip().splitlines()[-1]}"
    seconds, peak, outcome = done.stdout.strip().split("\t", 2)
    flag = "" if float(peak) < BOUND_MB else f"  (over {BOUND_MB} MB)"
    return f"{float(seconds):>8.2f}  {peak:>7}  {outcome[:110]}{flag}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=float, default=100, help="the largest valid file")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    holder = None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep
    else:
        holder = tempfile.TemporaryDirectory(prefix="smarketing-limits-")
        work = Path(holder.name)
    print(f"{'probe':<34}  {'seconds':>8}  {'peak MB':>7}  outcome")
    for name, path in probes(work):
        print(f"{name:<34}  {run_probe(path, args.timeout)}", flush=True)
    from smarketing.config import import_limits

    limits = import_limits()
    over = work / "over the size limit.csv"
    with open(over, "wb") as fh:
        fh.truncate(limits.max_bytes + 1)
    print(f"{'file over the size limit (sparse)':<34}  {run_probe(over, args.timeout)}")
    # the widest file the limits let through: 500 columns × as many rows as the cells
    # limit allows, cells as long as the size limit allows: in UTF-8, in cp1252, and UTF-8
    # with every 100th row written by a cp1252 tool
    for encoding in ("utf-8", "cp1252", "mixed"):
        wide = work / f"valid, 500 columns, {encoding}.csv"
        with open(wide, "wb") as fh:
            names = ["Record ID", "Create Date", *(f"c{i}" for i in range(2, 500))]
            fh.write(",".join(names).encode() + b"\n")
            width = limits.max_bytes // limits.max_cells - 3  # the file about at the size limit
            filler = ",".join([("Bråten" + "x" * width)[:width]] * 498)
            for i in range(limits.max_cells // 500):
                line = f"{i + 1},2026-01-01,{filler}\n"
                cp1252 = encoding == "cp1252" or (encoding == "mixed" and i % 100 == 0)
                fh.write(line.encode("cp1252" if cp1252 else "utf-8"))
        mb = wide.stat().st_size / 1024 / 1024
        label = f"500 columns × {limits.max_cells // 500:,} rows, {encoding} ({mb:.0f} MB)"
        print(f"{label:<34}  {run_probe(wide, args.timeout)}", flush=True)
    # valid exports: at the row limit, and the rows that fit in --big-mb
    at_rows = work / "valid at the row limit.csv"
    write_export(at_rows, limits.max_rows, 42)
    per_row = at_rows.stat().st_size / limits.max_rows
    big_rows = int(args.big_mb * 1024 * 1024 / per_row)
    big = work / "valid at the size limit.csv"
    write_export(big, big_rows, 42)
    # the same export in cp1252, and in UTF-8 with every 100th row written in cp1252
    text = at_rows.read_bytes().decode("utf-8").replace("Hansen", "Håøsen")
    at_cp1252 = work / "valid at the row limit, cp1252.csv"
    at_cp1252.write_bytes(text.encode("cp1252"))
    at_mixed = work / "valid at the row limit, mixed.csv"
    with open(at_mixed, "wb") as fh:
        for i, line in enumerate(text.split("\n")[:-1]):  # only \n ends a line
            fh.write((line + "\n").encode("cp1252" if i % 100 == 50 else "utf-8"))
    del text
    for label, path, rows in (
        ("valid, at the row limit", at_rows, limits.max_rows),
        ("valid, row limit, cp1252", at_cp1252, limits.max_rows),
        ("valid, row limit, mixed", at_mixed, limits.max_rows),
        (f"valid, {args.big_mb:.0f} MB", big, big_rows),
    ):
        mb = path.stat().st_size / 1024 / 1024
        label = f"{label} ({rows:,} rows, {mb:.0f} MB)"
        env = {  # the file itself must be read: the row and cell limits raised to fit it
            "SMARKETING_IMPORT_MAX_ROWS": str(max(rows, limits.max_rows)),
            "SMARKETING_IMPORT_MAX_CELLS": str(max(rows * 30, limits.max_cells)),
        }
        print(f"{label + ' read':<34}  {run_probe(path, args.timeout, env)}", flush=True)
        os.environ.update(env)
        db = work / f"{path.stem}.db"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        step = run_step("import", path, db, args.timeout)
        if "failed" in step:
            print(f"{label + ' import':<34}  FAILED: {step['failed']}")
        else:
            flag = "" if step["peak_mb"] < BOUND_MB else f"  (over {BOUND_MB} MB)"
            print(
                f"{label + ' import':<34}  {step['seconds']:>8.2f}  {step['peak_mb']:>7.0f}  "
                f"{step['inserted']:,} inserted{flag}  ({time.perf_counter() - started:.0f} s "
                "with the process start)",
                flush=True,
            )
    if holder is not None:
        holder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
