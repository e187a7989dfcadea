"""Speed and memory of the CRM import on a realistic HubSpot contacts export.

    python benchmarks/bench_import.py [--rows 10000 100000 1000000] [--keep DIR]

For each size a HubSpot "all properties" contacts export with display-label headers is
generated with numpy into a CSV (not timed): about 30 % of the contacts became MQLs, the
stage dates are in order, a few per cent of the rows are bad (no Record ID, unreadable
Create Date, MQL date before the Create Date, duplicate Record ID, non-numeric score) and
must be rejected. Then three steps run, each in a FRESH Python process so that its peak
memory is its own (``VmHWM`` on Linux; see ``_peak_rss_mb`` for why not ``ru_maxrss``):

* ``read``      - ``read_leads`` only (bytes from disk -> validated records);
* ``import``    - read + ``import_leads`` into a fresh, migrated SQLite database;
* ``re-import`` - read + ``import_leads`` of the same file again (every row unchanged).

Timed is the work from reading the file's bytes to the end of the step; starting Python,
importing the libraries and migrating the empty database are not. rows/s counts every
data row of the file (rejected ones included). The issue's target is checked for the
100k-row full import: at least 20,000 rows/s with peak memory under 1 GB; the exit
status is 1 when that target was measured and missed (or a step failed), else 0.
A step slower than ``--timeout`` seconds is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The issue's target (100k-row HubSpot export, full import).
TARGET_ROWS = 100_000
TARGET_ROWS_PER_S = 20_000
TARGET_PEAK_MB = 1024
STEPS = ("read", "import", "re-import")
#: Rows generated and written per chunk (keeps the generator's own memory small).
CHUNK = 200_000

# --- the export -----------------------------------------------------------------------------

HEADERS = (
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "Create Date",
    "Lifecycle Stage",
    "Lead Status",
    "Original Source",
    "Original Source Drill-Down 1",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
    "HubSpot Score",
    "Contact owner",
    "Owner Assigned Date",
    "Persona",
    "First Touch Converting Campaign",
    "Last Touch Converting Campaign",
    "First Conversion",
    "Industry",
    "Number of Employees",
    "Last Contacted",
    "Number of times contacted",
    "Marketing contact status",
)
FIRST = np.array(
    [
        "Ola",
        "Kari",
        "Per",
        "Ingrid",
        "Lars",
        "Nora",
        "Jonas",
        "Emma",
        "Anders",
        "Sofie",
        "Erik",
        "Maja",
        "Henrik",
        "Ida",
        "Magnus",
        "Thea",
        "Kristian",
        "Sara",
        "Martin",
        "Julie",
        "Sven",
        "Anna",
        "Mohammed",
        "Fatima",
        "John",
        "Mary",
    ]
)
LAST = np.array(
    [
        "Nordmann",
        "Hansen",
        "Johansen",
        "Olsen",
        "Larsen",
        "Andersen",
        "Pedersen",
        "Nilsen",
        "Kristiansen",
        "Jensen",
        "Karlsen",
        "Johnsen",
        "Pettersen",
        "Eriksen",
        "Berg",
        "Haugen",
        "Hagen",
        "Johannessen",
        "Andreassen",
        "Jacobsen",
        "Smith",
        "Khan",
        "Ali",
        "Novak",
    ]
)
DOMAINS = np.array(["example.com", "example.no", "mail.example.org", "firma.example.no"])
COMPANIES = np.array(
    [
        f"{a} {b}"
        for a in ("Nord", "Fjord", "Berg", "Vest", "Aker", "Polar", "Lys", "Stål")
        for b in ("Tech AS", "Consulting", "Industrier AS", "Logistics", "Energi", "Software")
    ]
)
TITLES = np.array(
    ["CEO", "CTO", "Head of Marketing", "IT Manager", "Developer", "Buyer", "CFO", "", ""]
)
# Original Source as HubSpot's label; a few lower-case spellings to be grouped as one.
SOURCES = np.array(
    [
        "Organic Search",
        "Paid Search",
        "Direct Traffic",
        "Organic Social",
        "Paid Social",
        "Email Marketing",
        "Referrals",
        "Offline Sources",
        "Other Campaigns",
        "organic search",
    ]
)
SOURCE_P = np.array([0.26, 0.18, 0.14, 0.08, 0.09, 0.1, 0.07, 0.05, 0.02, 0.01])
DRILL = np.array(["google", "bing", "linkedin", "facebook", "newsletter", "", "IMPORT"])
OWNERS = np.array(
    ["Kari Sales", "Ola Selger", "Per Account", "Nina Closer", "Tom Hunter", "Lise Farmer", ""]
)
PERSONAS = np.array(
    ["IT Ivan", "Marketing Mary", "Finance Frank", "Operations Olivia", "", "", "Select"]
)
CAMPAIGNS = np.array(
    [
        "Webinar Q1",
        "Webinar Q3",
        "Spring eBook",
        "Google Ads - Brand",
        "Google Ads - Generic",
        "LinkedIn ABM",
        "Trade show Oslo",
        "",
    ]
)
CONVERSIONS = np.array(
    [
        "Contact us: Form",
        "Newsletter signup: Form",
        "eBook download: Form",
        "Demo request: Form",
        "Webinar registration: Form",
        "",
    ]
)
INDUSTRIES = np.array(["Software", "Manufacturing", "Retail", "Energy", "Consulting", ""])
EMPLOYEES = np.array(["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+", ""])
STATUSES = np.array(
    ["New", "Open", "In Progress", "Attempted to Contact", "Connected", "Bad Timing", ""]
)
MARKETING_STATUS = np.array(["Marketing contact", "Non-marketing contact"])
#: Fraction of rows made bad, per kind (all of them must end up rejected).
BAD = {
    "no Record ID": 0.004,
    "unreadable Create Date": 0.004,
    "MQL date before Create Date": 0.006,
    "duplicate Record ID": 0.004,
    "HubSpot Score not a number": 0.002,
}
EPOCH = np.datetime64("2024-11-01T00:00", "m")
SPAN_MINUTES = 2 * 365 * 24 * 60  # two years of contacts


def _times(minutes: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Local wall-clock texts ``YYYY-MM-DD HH:MM`` as HubSpot writes them; '' where absent."""
    stamps = EPOCH + minutes.astype("timedelta64[m]")
    text = np.char.replace(np.datetime_as_string(stamps, unit="m"), "T", " ").astype(object)
    text[~present] = ""
    return text


def _after(rng: np.random.Generator, start: np.ndarray, mean_days: float) -> np.ndarray:
    """Minutes a little later than ``start`` (at least one hour)."""
    return start + 60 + rng.exponential(mean_days * 24 * 60, len(start)).astype(np.int64)


def _chunk(rng: np.random.Generator, first_id: int, n: int) -> tuple[pd.DataFrame, int]:
    """``n`` contacts with Record IDs from ``first_id``; returns the rows and the bad count."""
    ids = np.arange(first_id, first_id + n, dtype=np.int64) * 7 + 1_000_001
    first = FIRST[rng.integers(0, len(FIRST), n)]
    last = LAST[rng.integers(0, len(LAST), n)]
    created = rng.integers(0, SPAN_MINUTES, n)
    is_mql = rng.random(n) < 0.30
    is_sql = is_mql & (rng.random(n) < 0.45)
    is_opp = is_sql & (rng.random(n) < 0.5)
    is_customer = is_opp & (rng.random(n) < 0.4)
    mql = _after(rng, created, 4)
    sql = _after(rng, mql, 6)
    opp = _after(rng, sql, 10)
    customer = _after(rng, opp, 30)
    stage = np.where(
        is_customer,
        "Customer",
        np.where(
            is_opp,
            "Opportunity",
            np.where(
                is_sql,
                "Sales Qualified Lead",
                np.where(is_mql, "Marketing Qualified Lead", "Lead"),
            ),
        ),
    )
    status = STATUSES[rng.integers(0, len(STATUSES), n)].astype(object)
    status[is_mql & ~is_sql & (rng.random(n) < 0.15)] = "Unqualified"
    emails = (
        pd.Series(first).str.lower()
        + "."
        + pd.Series(last).str.lower()
        + pd.Series(ids).astype(str)
        + "@"
        + pd.Series(DOMAINS[rng.integers(0, len(DOMAINS), n)])
    )
    source = SOURCES[rng.choice(len(SOURCES), n, p=SOURCE_P)]
    frame = pd.DataFrame(
        {
            "Record ID": ids.astype(str).astype(object),
            "First Name": first,
            "Last Name": last,
            "Email": emails.to_numpy(),
            "Phone Number": np.char.add("+47 9", rng.integers(1000000, 9999999, n).astype(str)),
            "Company Name": COMPANIES[rng.integers(0, len(COMPANIES), n)],
            "Job Title": TITLES[rng.integers(0, len(TITLES), n)],
            "Create Date": _times(created, np.ones(n, dtype=bool)),
            "Lifecycle Stage": stage,
            "Lead Status": status,
            "Original Source": source,
            "Original Source Drill-Down 1": DRILL[rng.integers(0, len(DRILL), n)],
            "Became a Lead Date": _times(created, np.ones(n, dtype=bool)),
            "Became a Marketing Qualified Lead Date": _times(mql, is_mql),
            "Became a Sales Qualified Lead Date": _times(sql, is_sql),
            "Became an Opportunity Date": _times(opp, is_opp),
            "Became a Customer Date": _times(customer, is_customer),
            "HubSpot Score": rng.integers(0, 100, n).astype(str).astype(object),
            "Contact owner": OWNERS[rng.integers(0, len(OWNERS), n)],
            "Owner Assigned Date": _times(created + 30, rng.random(n) < 0.6),
            "Persona": PERSONAS[rng.integers(0, len(PERSONAS), n)],
            "First Touch Converting Campaign": CAMPAIGNS[rng.integers(0, len(CAMPAIGNS), n)],
            "Last Touch Converting Campaign": CAMPAIGNS[rng.integers(0, len(CAMPAIGNS), n)],
            "First Conversion": CONVERSIONS[rng.integers(0, len(CONVERSIONS), n)],
            "Industry": INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)],
            "Number of Employees": EMPLOYEES[rng.integers(0, len(EMPLOYEES), n)],
            "Last Contacted": _times(_after(rng, created, 20), is_mql & (rng.random(n) < 0.8)),
            "Number of times contacted": rng.integers(0, 12, n).astype(str),
            "Marketing contact status": MARKETING_STATUS[rng.integers(0, 2, n)],
        },
        columns=list(HEADERS),
    )
    # The bad rows: distinct positions (never row 0, which duplicates point back to).
    bad_count = sum(round(n * share) for share in BAD.values())
    positions = rng.choice(np.arange(1, n), size=min(bad_count, n - 1), replace=False)
    lo = 0
    for kind, share in BAD.items():
        rows = positions[lo : lo + round(n * share)]
        lo += len(rows)
        if kind == "no Record ID":
            frame.loc[rows, "Record ID"] = ""
        elif kind == "unreadable Create Date":
            frame.loc[rows, "Create Date"] = "sometime in March"
        elif kind == "MQL date before Create Date":
            before = created[rows] - 60 * 24 * rng.integers(1, 30, len(rows))
            frame.loc[rows, "Became a Marketing Qualified Lead Date"] = _times(
                before, np.ones(len(rows), dtype=bool)
            )
            # a valid MQL date earlier than the create date, the later stages cleared
            for column in (
                "Became a Sales Qualified Lead Date",
                "Became an Opportunity Date",
                "Became a Customer Date",
            ):
                frame.loc[rows, column] = ""
            frame.loc[rows, "Lifecycle Stage"] = "Marketing Qualified Lead"
        elif kind == "duplicate Record ID":
            # the id of a good row before it (so the first occurrence stays intact)
            good = np.flatnonzero(~np.isin(np.arange(n), positions))
            before = np.searchsorted(good, rows)  # good rows above each row, >= 1 (row 0)
            earlier = good[(rng.random(len(rows)) * before).astype(np.int64)]
            frame.loc[rows, "Record ID"] = frame["Record ID"].to_numpy()[earlier]
        elif kind == "HubSpot Score not a number":
            frame.loc[rows, "HubSpot Score"] = "high"
    return frame, len(positions)


def write_export(path: Path, rows: int, seed: int) -> int:
    """Write a ``rows``-row contacts export to ``path``; returns the number of bad rows."""
    rng = np.random.default_rng(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        for first_id in range(0, rows, CHUNK):
            frame, chunk_bad = _chunk(rng, first_id, min(CHUNK, rows - first_id))
            bad += chunk_bad
            frame.to_csv(out, index=False, header=first_id == 0, lineterminator="\r\n")
    return bad


# --- one step, in a fresh process -----------------------------------------------------------


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process's own
    memory. Not ``ru_maxrss``: a child started by fork/vfork + exec inherits its parent's
    peak there, so the step processes would all report at least the generator's peak.
    Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def child(step: str, csv_path: str, db_path: str) -> int:
    """Run one step and print its measurements as one JSON line on stdout."""
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.data_in.reading import read_leads
    from smarketing.data_in.upsert import import_leads
    from smarketing.store.db import make_engine, upgrade_to_head

    engine = None
    if step != "read":
        if step == "import" and os.path.exists(db_path):
            os.remove(db_path)
        engine = make_engine(f"sqlite:///{db_path}")
        upgrade_to_head(engine)  # not timed: an empty database's schema
    baseline = _peak_rss_mb()
    started = time.perf_counter()
    data = Path(csv_path).read_bytes()
    parsed = read_leads(data, Path(csv_path).name)
    del data
    read_seconds = time.perf_counter() - started
    out = {
        "step": step,
        "rows": parsed.rows_read,
        "format": parsed.format,
        "valid": len(parsed.records),
        "rejected": len({e.row for e in parsed.errors}),
        "read_seconds": read_seconds,
    }
    if engine is not None:
        result = import_leads(engine, parsed, actor=CLI_ACTOR)
        engine.dispose()
        out.update(
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            import_rejected=result.rejected,
        )
    out["seconds"] = time.perf_counter() - started
    out["peak_mb"] = _peak_rss_mb()
    out["baseline_mb"] = baseline
    print(json.dumps(out))
    return 0


def run_step(step: str, csv_path: Path, db_path: Path, timeout: float) -> dict:
    """One step in a fresh interpreter; a failure or timeout becomes ``{"failed": why}``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step]
    command += [str(csv_path), str(db_path)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return {"step": step, "failed": f"stopped after {timeout:.0f} s (--timeout)"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        why = "killed (out of memory?)" if done.returncode < 0 else f"exit {done.returncode}"
        return {"step": step, "failed": f"{why}: {tail[:120]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the driver -----------------------------------------------------------------------------


def _check(step: dict, rows: int, bad: int) -> str:
    """What is wrong with a step's counts ('' when they are as expected)."""
    problems = []
    if step["rows"] != rows:
        problems.append(f"read {step['rows']:,} rows, not {rows:,}")
    if step["format"] != "hubspot":
        problems.append(f"detected as {step['format']}")
    if step["rejected"] != bad:
        problems.append(f"{step['rejected']:,} rejected, {bad:,} bad rows generated")
    if step.get("import_rejected", bad) != bad:
        problems.append(f"the import counted {step['import_rejected']:,} rejected")
    valid = rows - bad
    if step["step"] == "import" and (step["inserted"], step["unchanged"]) != (valid, 0):
        problems.append(f"inserted {step['inserted']:,} of {valid:,}")
    if step["step"] == "re-import" and (step["inserted"], step["updated"], step["unchanged"]) != (
        0,
        0,
        valid,
    ):
        problems.append(
            f"re-import: {step['inserted']:,} inserted, {step['updated']:,} updated, "
            f"{step['unchanged']:,} unchanged"
        )
    return "; ".join(problems)


def raise_import_limits(rows: int) -> None:
    """The import's row, cell and size limits (README, "Importing CRM exports") raised in
    this process's environment to fit an export of ``rows`` rows of this generator."""
    for variable, needed in (
        ("SMARKETING_IMPORT_MAX_ROWS", rows),
        ("SMARKETING_IMPORT_MAX_CELLS", rows * len(HEADERS)),
        ("SMARKETING_IMPORT_MAX_MB", rows * 400 // 1024 // 1024 + 1),  # ~300 bytes a row
    ):
        if int(os.environ.get(variable) or 0) < needed:
            os.environ[variable] = str(needed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[10_000, 100_000], help="sizes (default 10k 100k)"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the CSVs and DBs here")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds one step may take (default 600)"
    )
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        return child(args.step, *args.paths)
    raise_import_limits(max(args.rows))  # the steps' processes inherit them

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="smarketing-bench-import-")
        work = Path(cleanup.name)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; files in {work}")
    print(
        "peak MB = the step process's peak resident memory (VmHWM); base MB = the same "
        "before the timed work (Python + pandas + SQLAlchemy); rows/s counts every data "
        "row, rejected ones included"
    )
    header = (
        f"{'rows':>9}  {'file MB':>7}  {'step':<9}  {'seconds':>8}  {'of it read':>10}  "
        f"{'rows/s':>9}  "
        f"{'peak MB':>7}  {'base MB':>7}  counts"
    )
    target: dict | None = None
    failures = 0
    lines = [header, "-" * len(header)]
    print("\n".join(lines), flush=True)
    try:
        for rows in args.rows:
            csv_path = work / f"hubspot_contacts_{rows}.csv"
            db_path = work / f"import_{rows}.db"
            bad = write_export(csv_path, rows, args.seed)
            size_mb = csv_path.stat().st_size / 1024 / 1024
            for name in STEPS:
                step = run_step(name, csv_path, db_path, args.timeout)
                lead = f"{rows:>9,}  {size_mb:>7.1f}  {name:<9}"
                if "failed" in step:
                    failures += 1
                    line = f"{lead}  FAILED: {step['failed']}"
                else:
                    counts = f"{step['rejected']:,} rejected"
                    if name != "read":
                        counts = (
                            f"{step['inserted']:,} ins, {step['updated']:,} upd, "
                            f"{step['unchanged']:,} unch, " + counts
                        )
                    else:
                        counts = f"{step['valid']:,} valid, " + counts
                    problem = _check(step, rows, bad)
                    if problem:
                        failures += 1
                        counts += f"  UNEXPECTED: {problem}"
                    line = (
                        f"{lead}  {step['seconds']:>8.2f}  {step['read_seconds']:>10.2f}  "
                        f"{rows / step['seconds']:>9,.0f}  "
                        f"{step['peak_mb']:>7.0f}  {step['baseline_mb']:>7.0f}  {counts}"
                    )
                    if name == "import" and rows == TARGET_ROWS:
                        target = step
                print(line, flush=True)
                if name == "import" and "failed" in step:
                    break  # no database to re-import into
            if not args.keep:
                csv_path.unlink()
                db_path.unlink(missing_ok=True)
    finally:
        if cleanup is not None:
            cleanup.cleanup()

    print()
    if target is None:
        print(f"target ({TARGET_ROWS:,}-row full import): not measured (add it to --rows)")
        met = True
    else:
        speed = TARGET_ROWS / target["seconds"]
        met = speed >= TARGET_ROWS_PER_S and target["peak_mb"] < TARGET_PEAK_MB
        print(
            f"target ({TARGET_ROWS:,}-row full import >= {TARGET_ROWS_PER_S:,} rows/s, peak "
            f"< {TARGET_PEAK_MB:,} MB): {'MET' if met else 'NOT MET'} "
            f"({speed:,.0f} rows/s, {target['peak_mb']:,.0f} MB)"
        )
    if failures:
        print(f"{failures} step(s) failed or gave unexpected counts (see above)")
    return 0 if met and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
