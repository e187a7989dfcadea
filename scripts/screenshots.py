"""Regenerate the README's screenshots: every page of the demo company at 1280x720.

usage: python scripts/screenshots.py OUT_DIR [--as-of YYYY-MM-DD] [--leads N]
                                             [--language nb|en] [--only SLUG,...]

Builds the demo company (its story ending on the as-of day, default today) in a temporary
SQLite database, adds a temporary admin login (random password, never shown), starts
``streamlit run`` on a free 127.0.0.1 port, logs in through the form in Debian's chromium and
saves OUT_DIR/<page slug>.png (overview.png, sla.png, ...) for every page in the navigation,
each once it has settled. Then it stops the server and removes the temporary files.
Prints one line per page; exits 1 when a page shows an exception, an error or "Traceback"
(its screenshot is still saved). Needs playwright (pip) and /usr/bin/chromium (apt).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import browser_tour as tour
from smarketing.sla.periods import today_local


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: use YYYY-MM-DD") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Save a 1280x720 screenshot of every page of the demo company."
    )
    parser.add_argument("out_dir", type=Path, help="folder for the PNGs (created if missing)")
    parser.add_argument(
        "--as-of",
        type=_day,
        default=None,
        help="the day the pages report up to and the demo story ends (default: today)",
    )
    parser.add_argument(
        "--language",
        choices=("nb", "en"),
        default="en",
        help="the app's and the demo company's language, and the browser's (default: en)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="only these pages, by their address, comma-separated (e.g. overview,meeting_mode)",
    )
    parser.add_argument(
        "--leads",
        type=_positive,
        default=None,
        help="leads in the demo company (default: the full demo, ~500 a month)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    as_of = args.as_of or today_local()
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    if not Path(tour.CHROMIUM).exists():
        print(f"{tour.CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    if tour.emoji_font_installed() is False:
        print(
            "note: no colour emoji font (Debian: fonts-noto-color-emoji); "
            "emoji on the pages show as empty boxes in these screenshots",
            flush=True,
        )
    login = tour.TourUser(
        username="kari",
        name="Kari Nordmann",
        roles=("admin",),
        password=secrets.token_urlsafe(24),
    )
    started = time.monotonic()
    os.environ["SMARKETING_LANGUAGE"] = args.language  # the demo's texts, then the server's
    only = {slug.strip() for slug in args.only.split(",") if slug.strip()}
    with tempfile.TemporaryDirectory(prefix="smarketing-screenshots-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'demo.db'}"
        summary = tour.prepare_database(url, as_of=as_of, leads=args.leads, logins=[login])
        print(f"demo company: {summary.leads:,} leads, as of {as_of}", flush=True)
        env = tour.server_env(url, folder / "data", secrets.token_hex(32))
        log_path = folder / "server.log"
        try:
            visits = _tour(env, log_path, login, as_of, out_dir, args.language, only)
        except Exception:
            if log_path.exists():
                print("--- server log ---\n" + log_path.read_text()[-4000:], file=sys.stderr)
            raise
    bad = [v for v in visits if v.problems]
    print(
        f"{len(visits) - len(bad)}/{len(visits)} pages without problems, "
        f"{time.monotonic() - started:.0f} s in all; screenshots in {out_dir}"
    )
    return 1 if bad else 0


def _tour(env, log_path, login, as_of, out_dir, language, only) -> list[tour.PageVisit]:
    visits = []
    said: set[str] = set()  # notes repeated on every page (the demo banner) are printed once
    with tour.streamlit_server(env, log_path) as base, tour.chromium() as browser:
        context = tour.new_context(browser, locale="nb-NO" if language == "nb" else "en-GB")
        page = context.new_page()
        tour.log_in(page, base, login.username, login.password, as_of)
        for link in tour.nav_links(page, base):
            if only and link.slug not in only:
                continue
            seen = tour.visit(page, link, as_of, out_dir)
            visits.append(seen)
            state = "PROBLEM" if seen.problems else "ok"
            print(
                f"{state:7} {seen.screenshot.name:22} {link.title:18} "
                f"{seen.seconds:4.1f} s ({seen.how or 'failed'})"
            )
            for line in seen.problems:
                print(f"        ! {line}")
            for line in seen.notes:
                if line not in said:
                    print(f"        - {line}")
                said.add(line)
        context.close()
    return visits


if __name__ == "__main__":
    sys.exit(main())
