"""A tour of every page in a real browser, shared by tests/e2e/test_tour.py and
scripts/screenshots.py.

It starts the app with ``streamlit run`` on a free 127.0.0.1 port against a database holding
the demo company, logs in through the real form in Debian's chromium (Playwright), reads the
page links from the sidebar navigation (so new pages are toured without editing this file),
opens each one with ``?as_of=YYYY-MM-DD``, waits until it has settled (script idle, charts
drawn, fonts loaded), looks for exception boxes, error alerts and "Traceback", and saves a
1280x720 screenshot.

Nothing here imports streamlit: the app runs in its own process.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from sqlmodel import Session

from smarketing import config, demo
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.store.db import make_engine, upgrade_to_head

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 720}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
ACTIVE_NAV_LINK = '[data-testid="stSidebarNavLink"][aria-current="page"]'
NAV_MORE = '[data-testid="stSidebarNavViewButton"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
WARNING_ALERT = '[data-testid="stAlertContentWarning"]'
AS_OF_INPUT = '[data-testid="stSidebar"] [data-testid="stDateInput"] input'
COOKIE_NAME = config.COOKIE_NAME
#: The login form's labels in every language of the app.
LABELS = {
    "username": re.compile(r"^(Username|Brukernavn)$"),
    "password": re.compile(r"^(Password|Passord)$"),
    "login": re.compile(r"^(Login|Logg inn)$"),
}

#: True once every visible chart is drawn (vega draws into canvas.marks or svg.marks),
#: no spinner or skeleton is left and the web fonts are loaded.
_DRAWN_JS = """
() => {
  const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(visible);
  const drawn = charts.every((chart) => {
    const marks = chart.querySelector('canvas.marks, svg.marks');
    return marks && marks.getBoundingClientRect().width > 0;
  });
  const busy = [...document.querySelectorAll(
    '[data-testid="stSpinner"], [data-testid="stSkeleton"]')].some(visible);
  return drawn && !busy && document.fonts.status === 'loaded';
}
"""


@dataclass(frozen=True)
class TourUser:
    """A login the tour creates before the server starts."""

    username: str
    name: str
    roles: tuple[str, ...]
    password: str


@dataclass(frozen=True)
class NavLink:
    """One page link read from the sidebar navigation."""

    title: str
    href: str  # absolute
    slug: str  # the address path; for the default page (at "/") made from the title
    raw_href: str  # as written in the link (to find it again)


@dataclass
class PageVisit:
    """What the tour saw on one page."""

    link: NavLink
    how: str = ""
    as_of: str | None = None
    screenshot: Path | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- the database ---------------------------------------------------------------------------


def demo_now(as_of: date) -> datetime:
    """The demo story's "now" for an as-of day: noon UTC that day, never in the future."""
    return min(datetime.combine(as_of, day_time(12), UTC), datetime.now(UTC))


def prepare_database(
    url: str,
    *,
    as_of: date,
    leads: int | None,
    logins: Iterable[TourUser],
    now: datetime | None = None,
) -> demo.DemoSummary:
    """Migrate the (new) database at ``url``, write the demo company whose story ends at
    ``now`` (default :func:`demo_now` of ``as_of``) and add the logins; returns what the
    demo wrote."""
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        summary = demo.build_demo(engine, leads=leads, now=now or demo_now(as_of), actor=CLI_ACTOR)
        with Session(engine) as s:
            for login in logins:
                users.add_user(
                    s,
                    actor=CLI_ACTOR,
                    username=login.username,
                    name=login.name,
                    email=f"{login.username}@example.com",
                    roles=list(login.roles),
                    password=login.password,
                )
    finally:
        engine.dispose()
    return summary


# -- the server -----------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, data_dir: Path, cookie_key: str) -> dict[str, str]:
    """The environment for a tour server: this database, no first-start demo, a cookie key."""
    return {
        **os.environ,
        "SMARKETING_DATABASE_URL": database_url,
        "SMARKETING_DATA_DIR": str(data_dir),
        "SMARKETING_NO_DEMO": "1",
        "SMARKETING_COOKIE_KEY": cookie_key,
    }


@contextmanager
def streamlit_server(env: dict[str, str], log_path: Path, timeout: float = 60) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free 127.0.0.1 port; yields its base URL and stops it
    on exit. The server's output goes to ``log_path``."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
    ]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_health(base, proc, timeout, log_path)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_for_health(base: str, proc: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer on {base} within {timeout:.0f} s; see {log_path}")


# -- the browser ----------------------------------------------------------------------------


@contextmanager
def chromium() -> Iterator:
    """Debian's chromium driven by Playwright (headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser, viewport: dict[str, int] | None = None, locale: str = "en-GB"):
    """A fresh context (no cookies) with a light-mode viewport (default 1280x720) that records
    every text drawn on a canvas (charts and tables draw their text there, out of the DOM);
    ``locale`` is the browser's language (its Accept-Language: the login page's)."""
    context = browser.new_context(
        viewport=viewport or VIEWPORT,
        color_scheme="light",
        reduced_motion="reduce",
        locale=locale,
        timezone_id="Europe/Oslo",
    )
    context.add_init_script(_RECORD_CANVAS_TEXT_JS)
    return context


def emoji_font_installed() -> bool | None:
    """Whether fontconfig knows a colour emoji font (None when fc-list is missing). Without
    one (Debian: fonts-noto-color-emoji) headless chromium draws emoji as empty boxes."""
    try:
        out = subprocess.run(["fc-list"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return "emoji" in out.lower()


def with_as_of(url: str, as_of: date | None) -> str:
    """``url`` with ``?as_of=YYYY-MM-DD`` (any other query is dropped)."""
    parts = urlsplit(url)
    query = urlencode({"as_of": as_of.isoformat()}) if as_of else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def settle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished its reruns and the page is drawn.

    A chart or table that is still drawing after ``timeout`` (a slow, busy machine) is not
    a failure: the script has finished, so whatever it rendered is checked as it stands."""
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(350)  # a rerun the last one asked for (widgets, cookie component)
    page.wait_for_selector(IDLE, timeout=timeout)
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    with suppress(PlaywrightTimeoutError):
        page.wait_for_function(_DRAWN_JS, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(100)  # the last paint


def wait_for_cookie(context, present: bool = True, timeout: float = 10) -> None:
    """Poll the context's cookies until the login cookie is (or is no longer) there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c["name"] == COOKIE_NAME for c in context.cookies()) is present:
            return
        time.sleep(0.2)
    raise AssertionError(f"the login cookie was {'never set' if present else 'never removed'}")


def log_in(page, base: str, username: str, password: str, as_of: date | None = None) -> None:
    """Open the app and log in through the real form; returns once the navigation is shown
    and the login cookie is set. Errors never carry the password."""
    page.goto(with_as_of(base + "/", as_of))
    settle(page)
    try:
        page.get_by_label(LABELS["username"]).fill(username, timeout=45_000)
        page.get_by_label(LABELS["password"]).fill(password)
        page.get_by_role("button", name=LABELS["login"]).click()
        page.locator(NAV_LINK).first.wait_for(state="attached", timeout=45_000)
    except Exception as exc:
        text = str(exc).replace(password, "********") if password else str(exc)
        raise RuntimeError(f"could not log in as {username}: {text}") from None
    settle(page)
    wait_for_cookie(page.context, present=True)


#: An element's text without its icons (a Material icon is a ligature: its name is text).
_LABEL_JS = """
(link) => {
  const copy = link.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"]').forEach((icon) => icon.remove());
  return copy.textContent.trim();
}
"""

#: Record whether the script starts running after this point (a click on a nav link).
_ARM_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__tourRan = false;
  if (window.__tourObserver) window.__tourObserver.disconnect();
  window.__tourObserver = new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') !== 'notRunning') window.__tourRan = true;
  });
  window.__tourObserver.observe(
    app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""


#: The clicked page has started: its script ran since _ARM_JS, or its link is the current one.
_ARRIVED_JS = """
() => window.__tourRan === true || !!document.querySelector(
  '[data-testid="stSidebarNavLink"][aria-current="page"][href=' + JSON.stringify(%s) + ']')
"""


#: The height of the page's content (Streamlit scrolls its main area, not the document).
_MAIN_HEIGHT_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return main ? main.scrollHeight : document.scrollingElement.scrollHeight;
}
"""


#: Keep every text drawn on a canvas (Vega charts, the data grid) in window.__canvasTexts.
_RECORD_CANVAS_TEXT_JS = """
(() => {
  window.__canvasTexts = new Set();
  const proto = CanvasRenderingContext2D.prototype;
  const fill = proto.fillText;
  proto.fillText = function (text, ...rest) {
    window.__canvasTexts.add(String(text));
    return fill.call(this, text, ...rest);
  };
})();
"""

#: Every text a chart or table drew: on a canvas (recorded) or as SVG text (Vega's SVG).
_DRAWN_TEXTS_JS = """
() => [...(window.__canvasTexts || []),
       ...[...document.querySelectorAll('[data-testid="stMain"] svg text')]
         .map((t) => t.textContent)]
"""

#: The visible text of the main area without icons (a Material icon's name is text) and
#: without code blocks, one entry per line.
_MAIN_TEXT_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return [];
  const copy = main.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"], [data-testid="stIconMaterial"], code, pre, '
    + 'style, script').forEach((el) => el.remove());
  return copy.innerText.split('\\n').map((line) => line.trim()).filter(Boolean);
}
"""

#: Elements of the main area that stick out of it, and boxes whose content is wider than the
#: box (a table or block that scrolls or clips sideways), as short descriptions.
_OVERFLOW_JS = """
() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (!main) return [];
  const edge = main.getBoundingClientRect().right + 1;
  const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
  const name = (el) => {
    const block = el.closest('[data-testid^="st"]') || el;
    const id = block.getAttribute('data-testid') || el.tagName.toLowerCase();
    const label = (block.innerText || '').trim().split('\\n')[0];
    return `${id} "${label.slice(0, 40)}"`;
  };
  const found = new Set();
  // a block of the page that reaches past the page's right edge
  const blocks = main.querySelectorAll('[data-testid="stElementContainer"], '
    + '[data-testid="stHorizontalBlock"], [data-testid="stVegaLiteChart"]');
  for (const el of blocks) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > edge) {
      found.add(`${name(el)} sticks out ${Math.round(box.right - edge)} px`);
    }
  }
  // a table whose columns are wider than the table (some scroll out of sight)
  for (const grid of main.querySelectorAll('[data-testid="stDataFrame"]')) {
    const scroller = grid.querySelector('.dvn-scroller');
    if (!scroller || !visible(grid)) continue;
    const hidden = scroller.scrollWidth - scroller.clientWidth;
    if (hidden > 2) found.add(`${name(grid)} hides ${hidden} px of columns (scrolls sideways)`);
  }
  // a chart drawn wider than its place
  for (const chart of main.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const marks = chart.querySelector('canvas.marks, svg.marks');
    if (!marks || !visible(chart)) continue;
    const over = marks.getBoundingClientRect().width - chart.getBoundingClientRect().width;
    if (over > 2) found.add(`${name(chart)} is drawn ${Math.round(over)} px wider than its place`);
  }
  return [...found];
}
"""

#: Texts drawn on top of each other in a chart (Vega's SVG): pairs, as short descriptions.
_OVERLAP_JS = """
() => {
  const found = [];
  for (const svg of document.querySelectorAll('[data-testid="stMain"] svg.marks')) {
    const boxes = [...svg.querySelectorAll('text')]
      .filter((t) => t.textContent.trim() && t.getClientRects().length
        && !t.closest('[opacity="0"]') && getComputedStyle(t).opacity !== '0'
        && getComputedStyle(t).visibility !== 'hidden')
      .map((t) => [t.textContent.trim(), t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, r] = boxes[i];
        const [b, q] = boxes[j];
        const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
        const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
        if (w > 2 && h > 2) found.push(`"${a.slice(0, 30)}" and "${b.slice(0, 30)}"`);
      }
    }
  }
  return found;
}
"""

#: A status symbol after a figure ("12 …" = too early to judge), not a cut-off text.
_EARLY_FIGURE = re.compile(r"^[\d.,%h\s–-]*\s…$")
#: A whole label that is a program's name for a field (mql_at, trigger_kind, external_id).
_RAW_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_EMPTY_WORDS = {"None", "nan", "NaN", "NaT", "null", "<NA>"}


def text_problems(page) -> list[str]:
    """Cut-off chart texts ("…"), raw field names and "None"/"NaN" shown as values, in the
    canvas texts (charts and tables) and the page's own text."""
    drawn = page.evaluate(_DRAWN_TEXTS_JS)
    lines = page.evaluate(_MAIN_TEXT_JS)
    found = []
    cut = sorted({t for t in drawn if t.endswith("…") and not _EARLY_FIGURE.match(t)})
    if cut:
        found.append(f"cut-off text in a chart or table: {cut[:5]}")
    raw = sorted({t.strip() for t in [*drawn, *lines] if _RAW_NAME.match(t.strip())})
    if raw:
        found.append(f"raw field names on screen: {raw[:8]}")
    empty = sorted({t.strip() for t in [*drawn, *lines] if t.strip() in _EMPTY_WORDS})
    if empty:
        found.append(f"{empty} shown for an empty value")
    return found


def layout_problems(page) -> list[str]:
    """Elements wider than their container and chart texts drawn over each other, on the
    current viewport (empty: fine)."""
    found = [f"too wide: {what}" for what in page.evaluate(_OVERFLOW_JS)[:6]]
    overlaps = page.evaluate(_OVERLAP_JS)
    if overlaps:
        found.append(f"chart texts overlap: {'; '.join(overlaps[:4])}")
    return found


def _title(link) -> str:
    return link.evaluate(_LABEL_JS)


#: The default page (address "/") by the name its screenshot gets in every language.
DEFAULT_SLUG = "overview"


def nav_links(page, base: str) -> list[NavLink]:
    """Every page link of the sidebar navigation, in its order ("View more" expanded)."""
    page.locator(NAV_LINK).first.wait_for(state="attached", timeout=45_000)
    more = page.locator(NAV_MORE)
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()
        page.wait_for_timeout(300)
    links = page.locator(NAV_LINK)
    found: list[NavLink] = []
    for i in range(links.count()):
        link = links.nth(i)
        title = _title(link)
        raw = link.get_attribute("href") or ""
        href = urljoin(base + "/", raw)
        path = urlsplit(href).path.strip("/")
        found.append(NavLink(title=title, href=href, slug=path or DEFAULT_SLUG, raw_href=raw))
    return found


def problems_on(page) -> list[str]:
    """Exception boxes, error alerts and "Traceback" on the page, in words (empty: fine)."""
    found = []
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        first = " ".join(exceptions.first.inner_text().split())[:300]
        found.append(f"{exceptions.count()} exception box(es): {first}")
    errors = page.locator(ERROR_ALERT)
    if errors.count():
        first = " ".join(errors.first.inner_text().split())[:300]
        found.append(f"{errors.count()} error alert(s): {first}")
    if "Traceback" in page.locator("body").inner_text():
        found.append('"Traceback" in the page text')
    return found


def open_page(page, link: NavLink, as_of: date | None) -> str:
    """Go to ``link``'s page and wait until it has settled; returns how: "current" (already
    there), "click" (its sidebar link, as a person would) or "address" (a fresh load of its
    address with ``?as_of=``, where the link cannot be clicked, e.g. the sidebar is hidden;
    the login cookie logs the new session in)."""
    target = page.locator(f'{NAV_LINK}[href="{link.raw_href}"]')
    if target.count() and target.first.get_attribute("aria-current") == "page":
        how = "current"
    elif target.count() and target.first.is_visible():
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        page.evaluate(_ARM_JS)
        target.first.click()
        arrived = _ARRIVED_JS % json.dumps(link.raw_href)
        try:
            page.wait_for_function(arrived, timeout=20_000)
            how = "click"
        except PlaywrightTimeoutError:  # a click a busy browser dropped: a person clicks again
            target.first.click()
            page.wait_for_function(arrived, timeout=45_000)
            how = "click twice"
    else:
        page.goto(with_as_of(link.href, as_of))
        how = "address"
    page.wait_for_selector(IDLE, timeout=30_000)
    page.locator(ACTIVE_NAV_LINK).first.wait_for(state="attached", timeout=45_000)
    settle(page)
    return how


def visit(page, link: NavLink, as_of: date | None, shot_dir: Path | None) -> PageVisit:
    """Open one page, wait until settled, look for problems and, with ``shot_dir``, save a
    1280x720 screenshot of what a person sees first as ``shot_dir/<slug>.png``."""
    seen = PageVisit(link=link)
    started = time.monotonic()
    errors: list[str] = []

    def on_error(exc) -> None:
        errors.append(str(exc))

    page.on("pageerror", on_error)
    page.evaluate("() => window.__canvasTexts && window.__canvasTexts.clear()")
    try:
        seen.how = open_page(page, link, as_of)
    except Exception as exc:  # still look and screenshot what is there
        seen.problems.append(f"did not settle: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    seen.problems.extend(problems_on(page))
    seen.problems.extend(text_problems(page))
    seen.problems.extend(layout_problems(page))
    active = page.locator(ACTIVE_NAV_LINK)
    if active.count() and _title(active.first) != link.title:
        seen.problems.append(f"the navigation marks {_title(active.first)!r} as the current page")
    if page.get_by_role("button", name=LABELS["login"]).count():
        seen.problems.append("the login form is shown")
    seen.as_of = shown_as_of(page)
    if as_of and seen.as_of not in (None, as_of.isoformat()):
        seen.problems.append(f"the As of picker shows {seen.as_of}, not {as_of}")
    warnings = page.locator(WARNING_ALERT)
    for i in range(warnings.count()):
        seen.notes.append("warning: " + " ".join(_title(warnings.nth(i)).split())[:200])
    seen.notes.extend(f"JavaScript error: {e[:200]}" for e in errors)
    height = page.evaluate(_MAIN_HEIGHT_JS)
    if height > page.viewport_size["height"]:
        seen.notes.append(f"{height} px tall: the screenshot shows the top of it")
    if shot_dir is not None:
        _toasts_gone(page)
        seen.screenshot = shot_dir / f"{link.slug}.png"
        page.screenshot(path=str(seen.screenshot), animations="disabled")
    page.remove_listener("pageerror", on_error)
    seen.seconds = time.monotonic() - started
    return seen


def _toasts_gone(page, timeout: float = 10_000) -> None:
    """Wait until the page's toasts (a save's message, a meeting planned) have faded, so
    the screenshot shows the page under them; a toast that stays is photographed."""
    try:
        page.wait_for_selector('[data-testid="stToast"]', state="detached", timeout=timeout)
    except Exception:  # still there after the timeout: the picture shows it
        return


def shown_as_of(page) -> str | None:
    """The day in the sidebar's "As of" picker (None when the page has none)."""
    picker = page.locator(AS_OF_INPUT)
    if not picker.count():
        return None
    shown = picker.first.input_value()
    day, month, year = [*shown.split("."), "", "", ""][:3]
    return f"{year}-{month}-{day}" if len(year) == 4 else shown  # nb: DD.MM.YYYY


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
