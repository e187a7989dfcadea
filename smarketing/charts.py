"""Altair chart builders: DataFrame in, alt.Chart out (validated in tests via to_dict).

Every builder follows the same rules, so no chart on any page collapses, overlaps or cuts
its text (tests/test_charts.py checks each one):

- ``autosize`` is ``fit-x``: the chart fills the width of its container, and its height is
  the plotting area's. (Streamlit's default, ``fit``, squeezes the title, legend and axes
  into the given height too: a short bar chart with a legend drew zero-height bars.)
- Bars and rows on a discrete axis get a fixed band per value (``alt.Step``), so two labels
  never share one band; category labels may be ``CATEGORY_LABEL_LIMIT`` pixels wide.
- Titles are short, wrapped into lines of at most ``TITLE_CHARS`` characters and never
  truncated (``limit`` 0): they fit the narrowest column a chart is shown in (about
  270 px, the campaign page at 1280 px).
- A time axis carries explicit ticks from ``time_ticks``: hours when the data spans a day,
  days over a few weeks, months beyond, each labelled so no two ticks read the same.
- Figures in labels and tooltips are written by ``smarketing.formatting`` (the same text
  as in the tables); axis ticks use the Vega expression that writes the same style.
- Every text is in the language speaking (``smarketing.i18n``: titles, axes, legends and
  tooltip titles), and every chart carries that language's Vega-Lite format locale
  (``config.locale`` from ``formatting.vega_locale``), so its axes and tooltips write
  ``64,3 %`` and ``des.`` in Norwegian as the table beside it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import altair as alt
import pandas as pd

from smarketing import config, formatting
from smarketing.formatting import EMPTY, count, decimal, figure, hours, percent, vega_percent
from smarketing.i18n import N_, _

#: Colour-blind-safe palette (Okabe-Ito) for the funnel stages, readable on a projector.
STAGE_COLOURS = {
    "New leads": "#0072B2",
    "MQLs": "#E69F00",
    "SQLs": "#009E73",
    "Customers": "#CC79A7",
}
AXIS = {"labelFontSize": 13, "titleFontSize": 14}
#: Widest label on a category axis, in pixels (Streamlit's theme cuts them at 100).
CATEGORY_LABEL_LIMIT = 220
CATEGORY_AXIS = {**AXIS, "labelLimit": CATEGORY_LABEL_LIMIT}
#: The longest line of a chart title, in characters (16 px bold: at most about 250 px).
TITLE_CHARS = 32
TITLE_SIZE = 16
#: Band per bar or row on a discrete axis, in pixels (two 13 px labels never meet).
BAR_STEP = 34
#: Fit the container's width; the height is the plotting area's (see the module docstring).
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")


def wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def title(text: str) -> alt.Title:
    """A chart title that is never cut: at most ``TITLE_CHARS`` per line, no limit."""
    lines = wrapped(text, TITLE_CHARS)
    return alt.Title(
        lines if len(lines) > 1 else lines[0],
        fontSize=TITLE_SIZE,
        anchor="start",
        limit=0,
    )


def _fit(chart):
    """The chart filling its container's width (``fit-x``, see the module docstring), with
    the format locale of the language speaking (numbers and dates on axes and tooltips)."""
    return chart.properties(autosize=FIT_X).configure(locale=formatting.vega_locale())


# --- time axes ----------------------------------------------------------------------------

#: Tick steps tried, smallest first, until at most MAX_TICKS ticks remain.
HOUR_STEPS = (1, 2, 3, 6, 12)
DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12)
MAX_TICKS = 8
#: Widest span shown with hourly ticks, and with daily ticks.
HOURLY_UP_TO = timedelta(hours=36)
DAILY_UP_TO = timedelta(days=120)
#: ISO text of a wall-clock time that Vega reads as UTC (the chart shows it as written).
WALL_CLOCK = "%Y-%m-%dT%H:%M:%SZ"


#: The d3-time-format of each kind of tick, per language (a message id: its translation is
#: the language's format; the labels ``TimeTicks.labels`` writes with ``formatting`` match).
TICK_FORMATS = {
    "hour": "%H:%M",
    # Translators: a d3 date format (day and short month, hour): keep the % codes
    "day_hour": N_("%d %b %H:%M"),
    # Translators: a d3 date format (day and short month): keep the % codes
    "day": N_("%d %b"),
    # Translators: a d3 date format (day, short month and year): keep the % codes
    "day_year": N_("%d %b %Y"),
    # Translators: a d3 date format (short month and year): keep the % codes
    "month": N_("%b %Y"),
}


def _tick_label(kind: str, value: datetime) -> str:
    """A tick's label as ``smarketing.formatting`` writes it (what the d3 format writes)."""
    if kind == "hour":
        return value.strftime("%H:%M")
    if kind == "day_hour":
        return f"{formatting.short_day(value)} {value:%H:%M}"
    if kind == "day":
        return formatting.short_day(value)
    if kind == "day_year":
        return formatting.day(value)
    return formatting.month(value, short=True)


@dataclass(frozen=True)
class TimeTicks:
    """Explicit ticks of a time axis, in business wall-clock time (naive datetimes);
    ``kind``: hour, day_hour, day, day_year or month (``TICK_FORMATS``)."""

    values: list[datetime]
    kind: str
    domain: tuple[datetime, datetime]

    @property
    def format(self) -> str:
        """The d3-time-format of the ticks, in the language speaking."""
        return _(TICK_FORMATS[self.kind]) if self.kind != "hour" else TICK_FORMATS["hour"]

    def labels(self) -> list[str]:
        """The tick labels as the chart writes them."""
        return [_tick_label(self.kind, v) for v in self.values]

    def axis(self, **kwargs) -> alt.Axis:
        """An axis with exactly these ticks and labels."""
        return alt.Axis(
            values=[_vega_time(v) for v in self.values],
            format=self.format,
            labelOverlap=True,
            labelFlush=False,
            **kwargs,
        )

    def scale(self) -> alt.Scale:
        """A UTC time scale over the domain (the data is wall-clock time written as UTC)."""
        low, high = self.domain
        return alt.Scale(type="utc", domain=[_vega_time(low), _vega_time(high)], nice=False)


def _vega_time(moment: datetime) -> alt.DateTime:
    return alt.DateTime(
        year=moment.year,
        month=moment.month,
        date=moment.day,
        hours=moment.hour,
        minutes=moment.minute,
        utc=True,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def time_ticks(first: datetime, last: datetime, *, whole_days: bool = False) -> TimeTicks:
    """Ticks for data from ``first`` to ``last`` (naive wall-clock times): hourly steps
    ("%H:%M", with the day when it changes) up to 36 hours, daily steps ("%d %b", nb
    "%-d. %b") up to 120 days, monthly steps ("%b %Y") beyond; at most ``MAX_TICKS``
    ticks, all distinct. ``whole_days`` (data by day): never finer than a day."""
    if last < first:
        first, last = last, first
    span = last - first
    if span <= HOURLY_UP_TO and not whole_days:
        pad = max(span * 0.05, timedelta(hours=1))
        low, high = first - pad, last + pad
        hours = (high - low).total_seconds() / 3600
        step = next((s for s in HOUR_STEPS if hours / s <= MAX_TICKS), HOUR_STEPS[-1])
        tick = low.replace(minute=0, second=0, microsecond=0)
        tick += timedelta(hours=(-tick.hour) % step)
        if tick < low:
            tick += timedelta(hours=step)
        values = []
        while tick <= high:
            values.append(tick)
            tick += timedelta(hours=step)
        kind = "hour" if low.date() == high.date() else "day_hour"
        return TimeTicks(values, kind, (low, high))
    first_day, last_day = first.date(), last.date()
    if (last_day - first_day) <= DAILY_UP_TO:
        low = _midnight(first_day) - timedelta(hours=12)
        high = _midnight(last_day) + timedelta(hours=12 if whole_days else 36)
        days = (last_day - first_day).days + 1
        step = next((s for s in DAY_STEPS if days / s <= MAX_TICKS), DAY_STEPS[-1])
        values = [_midnight(first_day + timedelta(days=i)) for i in range(0, days, step)]
        kind = "day" if first_day.year == last_day.year else "day_year"
        return TimeTicks(values, kind, (low, high))
    months = (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1
    step = next((s for s in MONTH_STEPS if months / s <= MAX_TICKS), MONTH_STEPS[-1])
    start = first_day.replace(day=1)
    values = [_midnight(_add_months(start, i)) for i in range(0, months, step)]
    low = _midnight(start)
    return TimeTicks(values, "month", (low, _midnight(_add_months(last_day, 1))))


def wall_clock(moments) -> pd.Series:
    """Aware instants as naive wall-clock times in the business timezone."""
    series = pd.to_datetime(pd.Series(moments), utc=True)
    return series.dt.tz_convert(config.business_tz()).dt.tz_localize(None)


def _wall_text(values: pd.Series) -> list[str]:
    return [v.strftime(WALL_CLOCK) for v in values]


# --- Overview and SLA ---------------------------------------------------------------------


def weekly_stage_chart(frame: pd.DataFrame, label: str) -> alt.Chart:
    """Bars of one stage's count per week (columns week_start, week, partial, label, count;
    ``label`` the stage's English label, shown translated); the week still running is drawn
    lighter and marked "so far"."""
    from smarketing.sla.periods import period_containing

    data = frame[frame["label"] == label].sort_values("week_start")
    starts = [pd.Timestamp(v).date() for v in data["week_start"]]
    so_far, full = _("so far"), _("full week")
    shown = _(label)
    data = data.assign(
        week_start=[d.isoformat() for d in starts],
        week_of=[formatting.short_day(d) for d in starts],
        week=[period_containing("week", d).label() for d in starts],
        state=data["partial"].map({True: so_far, False: full}),
        count_text=[count(v) for v in data["count"]],
    )
    return _fit(
        alt.Chart(data, title=title(shown))
        .mark_bar(color=STAGE_COLOURS.get(label, "#0072B2"))
        .encode(
            x=alt.X(
                "week_of:O",
                sort=None,
                title=_("week starting"),
                axis=alt.Axis(**AXIS, labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y(
                "count:Q",
                title=None,
                axis=alt.Axis(**AXIS, tickMinStep=1, format=",d"),
            ),
            opacity=alt.Opacity(
                "state:N",
                scale=alt.Scale(domain=[full, so_far], range=[1.0, 0.4]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("week:N", title=_("Week")),
                alt.Tooltip("count_text:N", title=shown),
                alt.Tooltip("state:N", title=_("Counted")),
            ],
        )
        .properties(height=200)
    )


#: Status colours, with the symbol and word always drawn too (colour-blind safe, and
#: readable on a black-and-white printout).
STATUS_COLOURS = {
    "green": "#1B7A3D",
    "amber": "#F2B705",
    "red": "#C0262D",
    "early": "#8FA3B3",
    "no_data": "#D9D9D9",
}
STATUS_TEXT_COLOURS = {
    "green": "white",
    "amber": "black",
    "red": "white",
    "early": "black",
    "no_data": "black",
}
SERIES = ["actual", "expected", "target", "forecast"]
#: The pacing chart's lines as a person reads them (the legend).
SERIES_LABELS = {
    "actual": N_("actual"),
    "expected": N_("expected"),
    "target": N_("target"),
    "forecast": N_("forecast"),
}


def pacing_chart(frame: pd.DataFrame, label: str) -> alt.Chart:
    """Cumulative actual per day against the expected-to-date line and the target, with the
    run-rate forecast dashed (long frame: day, series, value; ``label`` the metric's label
    in the language speaking)."""
    colours = {
        "actual": "#0072B2",
        "expected": "#7F7F7F",
        "target": "#C0262D",
        "forecast": "#0072B2",
    }
    dashes = {"actual": [1, 0], "expected": [1, 0], "target": [6, 4], "forecast": [6, 4]}
    present = [s for s in SERIES if s in set(frame["series"])]
    names = [_(SERIES_LABELS[s]) for s in present]
    days = pd.to_datetime(frame["day"])
    ticks = time_ticks(days.min(), days.max(), whole_days=True)
    data = frame.assign(
        series=frame["series"].map(lambda s: _(SERIES_LABELS[s])),
        day=_wall_text(days),
        day_text=[formatting.day(d, weekday=True) for d in days.dt.date],
        value_text=[
            decimal(v, 1) if s in ("expected", "forecast") else count(v)
            for s, v in zip(frame["series"], frame["value"], strict=True)
        ],
    )
    return _fit(
        alt.Chart(data, title=title(_("{metric}, day by day").format(metric=label)))
        .mark_line(strokeWidth=3, point=len(ticks.values) == 1)
        .encode(
            x=alt.X("day:T", title=None, scale=ticks.scale(), axis=ticks.axis(**AXIS)),
            y=alt.Y("value:Q", title=label, axis=alt.Axis(**AXIS, format=",d")),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=[colours[s] for s in present]),
                legend=alt.Legend(title=None, orient="top", labelFontSize=13),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=names, range=[dashes[s] for s in present]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("day_text:N", title=_("Day")),
                alt.Tooltip("series:N", title=_("Line")),
                alt.Tooltip("value_text:N", title=label),
            ],
        )
        .properties(height=280)
    )


#: Characters per line of a note under a chart (13 px: fits a 390 px wide phone).
NOTE_CHARS = 58


def missing_notes(frame: pd.DataFrame) -> list[str]:
    """'— <metrics>: <reason>' for every input the store lacks, from a scorecard frame's
    ``missing`` column (metric labels in the frame's order)."""
    if "missing" not in frame.columns:
        return []
    by_reason: dict[str, list[str]] = {}
    for label, reason in zip(frame["metric_label"], frame["missing"], strict=True):
        if reason and label not in by_reason.setdefault(reason, []):
            by_reason[reason].append(label)
    return [f"{EMPTY} {', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]


#: Below this plot width (pixels: a phone) the scorecard's type shrinks.
NARROW = 520
#: Axis labels a room must read: darker than the theme's grey.
LABEL_COLOUR = "#262730"


def scorecard_chart(frame: pd.DataFrame, *, font_size: int = 12, row_height: int = 36) -> alt.Chart:
    """Rows = metrics, columns = periods, each cell coloured by status and showing the value
    with the status symbol, "—" where it was not measured (columns: period, metric_label,
    text, status, status_text; optionally reason, why there is no status, shown on hover,
    and missing, an input the store lacks, noted under the grid)."""
    periods = list(dict.fromkeys(frame["period"]))
    metrics = list(dict.fromkeys(frame["metric_label"]))
    if "reason" not in frame.columns:
        frame = frame.assign(reason="")
    notes = [line for note in missing_notes(frame) for line in wrapped(note, NOTE_CHARS)]
    # on a phone (a plot narrower than NARROW px) the type shrinks and "(so far)" gets its
    # own line, so the cells and headings never overlap
    small = max(10, round(font_size * 0.62))
    size = {"expr": f"width < {NARROW} ? {small} : {font_size}"}
    so_far = _("(so far)").replace("'", "\\'")  # the heading's mark, as scorecard_frame adds it
    heading = (
        f"width < {NARROW} && indexof(datum.label, ' {so_far}') > 0 ? "
        f"[replace(datum.label, ' {so_far}', ''), '{so_far}'] : datum.label"
    )
    base = alt.Chart(frame).encode(
        x=alt.X(
            "period:O",
            sort=periods,
            title=None,
            axis=alt.Axis(
                orient="top",
                labelAngle=0,
                labelFontSize=size,
                labelLimit=400,
                labelExpr=heading,
                labelColor=LABEL_COLOUR,
            ),
        ),
        y=alt.Y(
            "metric_label:O",
            sort=metrics,
            title=None,
            axis=alt.Axis(
                labelFontSize={"expr": f"width < {NARROW} ? {small} : {font_size + 1}"},
                labelLimit=320,
                labelColor=LABEL_COLOUR,
            ),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("period:N", title=_("Period")),
            alt.Tooltip("metric_label:N", title=_("Metric")),
            alt.Tooltip("text:N", title=_("Actual")),
            alt.Tooltip("status_text:N", title=_("Status")),
            alt.Tooltip("reason:N", title=_("Why")),
        ],
    )
    text = base.mark_text(fontSize=size, fontWeight="bold").encode(
        text=alt.Text("text:N"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(
                domain=list(STATUS_TEXT_COLOURS), range=list(STATUS_TEXT_COLOURS.values())
            ),
            legend=None,
        ),
    )
    chart = (cells + text).properties(height=row_height * len(metrics))
    if notes:
        chart = chart.properties(
            title=alt.Title(
                notes,
                orient="bottom",
                anchor="start",
                fontSize=13,
                lineHeight=18,
                fontWeight="normal",
                color="#333333",
                offset=12,
                limit=0,
            )
        )
    return _fit(chart.resolve_scale(color="independent"))


def contact_histogram(
    bins: pd.DataFrame, *, response_hours: float, median: float | None, p90: float | None
) -> alt.Chart:
    """First-contact delays: bars per bin (late bins in red), the deadline as a rule, and the
    median and 90th percentile marked (bins: label, lower, upper, count, late)."""
    step = float(bins["upper"].dropna().diff().dropna().iloc[0]) if len(bins) > 2 else 1.0
    within, after = _("within the deadline"), _("after the deadline")
    data = bins.assign(
        upper=bins["upper"].fillna(bins["lower"] + step),
        when=bins["late"].map({True: after, False: within}),
        count_text=[count(v) for v in bins["count"]],
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("lower:Q", title=_("hours from MQL to first contact"), axis=alt.Axis(**AXIS)),
            x2=alt.X2("upper:Q"),
            y=alt.Y("count:Q", title=_("MQLs"), axis=alt.Axis(**AXIS, format=",d", tickMinStep=1)),
            y2=alt.Y2Datum(0),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(
                    domain=[within, after],
                    range=["#0072B2", "#C0262D"],
                ),
                legend=alt.Legend(title=None, orient="top", labelFontSize=13),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("Delay")),
                alt.Tooltip("count_text:N", title=_("MQLs")),
            ],
        )
    )
    marks = [
        {"hours": response_hours, "what": _("deadline {hours}").format(hours=hours(response_hours))}
    ]
    if median is not None:
        marks.append({"hours": median, "what": _("median {hours}").format(hours=hours(median))})
    if p90 is not None:
        marks.append(
            {
                "hours": min(p90, float(data["upper"].max())),
                "what": _("90th pct {hours}").format(hours=hours(p90)),
            }
        )
    rules = (
        alt.Chart(pd.DataFrame(marks))
        .mark_rule(strokeWidth=2, strokeDash=[4, 3])
        .encode(x=alt.X("hours:Q"), tooltip=[alt.Tooltip("what:N", title=_("Mark"))])
    )
    for i, mark in enumerate(marks):
        mark["y"] = 14 + 18 * i  # pixels from the top, one line per mark
    labels = (
        alt.Chart(pd.DataFrame(marks))
        .mark_text(align="left", dx=4, fontSize=13, fontWeight="bold")
        .encode(x=alt.X("hours:Q"), y=alt.Y("y:Q", scale=None, axis=None), text=alt.Text("what:N"))
    )
    return _fit(alt.layer(bars, rules, labels).properties(height=260))


# --- bar labels ----------------------------------------------------------------------------

#: A bar at least this share of the longest one carries its label inside (right-aligned),
#: a shorter one just after its end: the label never runs past the chart.
INSIDE_FROM = 0.5


def _bar_labels(base: alt.Chart, *, at: str, ink: str) -> list[alt.Chart]:
    """Two text layers for horizontal bars: long bars labelled inside in ``ink`` (a colour
    field), short bars (and empty ones) labelled after their end in black."""
    inside = base.transform_filter(alt.datum.inside).mark_text(
        align="right", dx=-5, fontSize=13, fontWeight="bold"
    )
    outside = base.transform_filter(~alt.datum.inside).mark_text(align="left", dx=4, fontSize=13)
    return [
        inside.encode(
            x=alt.X(f"{at}:Q"), text=alt.Text("text:N"), color=alt.Color(f"{ink}:N", scale=None)
        ),
        outside.encode(x=alt.X(f"{at}:Q"), text=alt.Text("text:N")),
    ]


def _inside(values: list[float | None]) -> list[bool]:
    top = max((v for v in values if v is not None), default=0.0)
    return [bool(top) and v is not None and v >= INSIDE_FROM * top for v in values]


# --- lead quality (smarketing.quality frames) ---------------------------------------------

#: Okabe-Ito colours for the lead-quality funnel's stages (keys of quality.FUNNEL_STAGES).
FUNNEL_COLOURS = {
    "leads": "#0072B2",
    "mqls": "#E69F00",
    "accepted": "#56B4E9",
    "sqls": "#009E73",
    "opportunities": "#D55E00",
    "customers": "#CC79A7",
}
#: Text colour on each stage's bar (contrast at least 4.5:1).
FUNNEL_INK = {
    "leads": "white",
    "mqls": "black",
    "accepted": "black",
    "sqls": "black",
    "opportunities": "black",
    "customers": "black",
}
#: Funnel modes: frame column shown, the tooltip title of the conversion, and the chart
#: title (English message ids, shown translated).
FUNNEL_MODES = {
    "next": (
        "next_step",
        N_("Conversion of the stage before"),
        N_("Funnel: % of the stage before"),
    ),
    "cumulative": ("cumulative", N_("Conversion of leads"), N_("Funnel: % of leads")),
}
#: The sample-size marks of a conversion bar (the opacity legend): n ≥ 30 and n < 30.
SAMPLE_LARGE, SAMPLE_SMALL = "n≥30", "n<30"
#: Colours for rejection reasons (in order of frequency); "(none)" is always grey.
REASON_COLOURS = ["#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
NO_REASON_COLOUR = "#9E9E9E"
SAMPLE_OPACITY = {SAMPLE_LARGE: 1.0, SAMPLE_SMALL: 0.35}
#: A rejected lead without a reason, in ``quality.rejection_reasons``' frame.
NO_REASON = "(none)"


def funnel_text(count_value, rate, reason: str | None = None) -> str:
    """A funnel bar's label: '67 · 41.4 %', '162' without a conversion, '— <reason>' when
    the stage was not measured."""
    if count_value is None or pd.isna(count_value):
        return f"{EMPTY} {_(reason)}" if reason else EMPTY
    return count(count_value) if pd.isna(rate) else f"{count(count_value)} · {percent(rate)}"


def funnel_chart(frame: pd.DataFrame, mode: str = "next") -> alt.LayerChart:
    """Horizontal funnel bars (one per stage, length = count) labelled with the count and the
    conversion of ``mode``: "next" (from the stage before) or "cumulative" (from leads); a
    stage that was not measured (no verdicts) has no bar and reads "— <reason>".
    Frame: ``quality.funnel`` (stage, label, count, next_step, cumulative[, reason])."""
    if mode not in FUNNEL_MODES:
        raise ValueError(f"unknown funnel mode {mode!r}; use one of {', '.join(FUNNEL_MODES)}")
    column, conversion, heading = FUNNEL_MODES[mode]
    stages = list(frame["stage"])
    reasons = list(frame["reason"]) if "reason" in frame.columns else [None] * len(frame)
    counts = [None if pd.isna(c) else float(c) for c in frame["count"]]
    rates = [None if pd.isna(r) else float(r) for r in frame[column]]
    data = pd.DataFrame(
        {
            "stage": stages,
            "label": [_(v) for v in frame["label"]],
            "count": pd.Series(counts, dtype=float),  # NaN → null (object None → NaN)
            "at": [c or 0.0 for c in counts],
            "count_text": [count(c) for c in counts],
            "rate_text": [percent(r) for r in rates],
            "text": [
                funnel_text(c, r, why) for c, r, why in zip(counts, rates, reasons, strict=True)
            ],
            "inside": _inside(counts),
            "ink": [FUNNEL_INK.get(s, "white") for s in stages],
        }
    )
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(**CATEGORY_AXIS))
    )
    bars = base.mark_bar().encode(
        x=alt.X(
            "count:Q",
            title=_("leads"),
            axis=alt.Axis(**AXIS, tickMinStep=1, format=",d"),
            scale=alt.Scale(zero=True),
        ),
        color=alt.Color(
            "stage:N",
            scale=alt.Scale(
                domain=stages, range=[FUNNEL_COLOURS.get(s, "#0072B2") for s in stages]
            ),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("label:N", title=_("Stage")),
            alt.Tooltip("count_text:N", title=_("Leads")),
            alt.Tooltip("rate_text:N", title=_(conversion)),
        ],
    )
    return _fit(
        alt.layer(bars, *_bar_labels(base, at="at", ink="ink"))
        .properties(title=title(_(heading)), height=alt.Step(BAR_STEP))
        .resolve_scale(color="independent")
    )


def conversion_bar_chart(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """One bar per dimension value of a conversion (a column of ``quality.breakdown``: a
    fraction, or ``customers_per_100_leads``), best first; values with fewer than 30 leads
    are drawn lighter and labelled "n<30". The total row is left out."""
    from smarketing.quality.cohorts import COLUMN_HELP, CONVERSION_METRICS

    if metric not in CONVERSION_METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(CONVERSION_METRICS)}")
    per_100 = metric == "customers_per_100_leads"
    rows = frame[~frame["is_total"]] if "is_total" in frame.columns else frame
    values = [None if pd.isna(v) else float(v) for v in rows[metric]]
    small = [bool(s) for s in rows["small_sample"]]
    shown = decimal if per_100 else percent

    def label(v: float | None, is_small: bool) -> str:
        return f"{shown(v)} · {SAMPLE_SMALL}" if is_small else shown(v)

    data = pd.DataFrame(
        {
            "value": list(rows["value"]),
            "metric": pd.Series(values, dtype=float),  # NaN → null (object None → NaN)
            "at": [v or 0.0 for v in values],
            "leads": [int(n) for n in rows["leads"]],
            "leads_text": [count(n) for n in rows["leads"]],
            "metric_text": [shown(v) for v in values],
            "sample": [SAMPLE_SMALL if s else SAMPLE_LARGE for s in small],
            "text": [label(v, s) for v, s in zip(values, small, strict=True)],
            "inside": _inside(values),
            "ink": ["white"] * len(values),
        }
    )
    order = data.assign(key=[-1.0 if v is None else v for v in values])
    order = order.sort_values(["key", "leads", "value"], ascending=[False, False, True])
    heading = _(COLUMN_HELP[metric][0])
    base = alt.Chart(data).encode(
        y=alt.Y("value:N", sort=list(order["value"]), title=None, axis=alt.Axis(**CATEGORY_AXIS))
    )
    axis = (
        alt.Axis(**AXIS, format=",.1~f")
        if per_100
        else alt.Axis(**AXIS, labelExpr=vega_percent("datum.value", trim=True))
    )
    bars = base.mark_bar(color="#0072B2").encode(
        x=alt.X("metric:Q", title=heading, axis=axis, scale=alt.Scale(zero=True)),
        opacity=alt.Opacity(
            "sample:N",
            scale=alt.Scale(domain=list(SAMPLE_OPACITY), range=list(SAMPLE_OPACITY.values())),
            legend=alt.Legend(title=None, orient="top", labelFontSize=13),
        ),
        tooltip=[
            alt.Tooltip("value:N", title=_("Value")),
            alt.Tooltip("metric_text:N", title=heading),
            alt.Tooltip("leads_text:N", title=_("Leads")),
            alt.Tooltip("sample:N", title=_("Sample")),
        ],
    )
    return _fit(
        alt.layer(bars, *_bar_labels(base, at="at", ink="ink"))
        .properties(title=title(heading), height=alt.Step(BAR_STEP))
        .resolve_scale(color="independent")
    )


def rejection_reasons_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars of rejected leads per dimension value, split by reason (frame:
    ``quality.rejection_reasons``: value, reason, count, share; a ``reason_label`` or
    ``label`` column, when the reasons are stored as keys, is what the chart writes);
    commonest reason first. One band of ``BAR_STEP`` pixels per value, however short the
    chart's container."""
    shown = next((c for c in ("reason_label", "label") if c in frame.columns), "reason")
    none = _(NO_REASON)
    frame = frame.assign(reason=[none if v == NO_REASON else str(v) for v in frame[shown]])
    totals = frame.groupby("reason")["count"].sum().sort_values(ascending=False, kind="stable")
    reasons = [r for r in totals.index if r != none]
    colours = [REASON_COLOURS[i % len(REASON_COLOURS)] for i in range(len(reasons))]
    if none in totals.index:
        reasons.append(none)
        colours.append(NO_REASON_COLOUR)
    data = frame.assign(
        order=frame["reason"].map({r: i for i, r in enumerate(reasons)}),
        count_text=[count(v) for v in frame["count"]],
        share_text=[percent(v) for v in frame["share"]],
    )
    return _fit(
        alt.Chart(data, title=title(_("Rejection reasons")))
        .mark_bar()
        .encode(
            y=alt.Y(
                "value:N",
                sort=list(dict.fromkeys(frame["value"])),
                title=None,
                axis=alt.Axis(**CATEGORY_AXIS),
            ),
            x=alt.X(
                "count:Q",
                title=_("rejected leads"),
                axis=alt.Axis(**AXIS, tickMinStep=1, format=",d"),
                scale=alt.Scale(zero=True),
            ),
            color=alt.Color(
                "reason:N",
                scale=alt.Scale(domain=reasons, range=colours),
                legend=alt.Legend(
                    title=_("Reason"), orient="top", columns=3, labelFontSize=13, labelLimit=200
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("value:N", title=_("Value")),
                alt.Tooltip("reason:N", title=_("Reason")),
                alt.Tooltip("count_text:N", title=_("Rejected")),
                alt.Tooltip("share_text:N", title=_("Share of its rejections")),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def cohort_heatmap_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Cohort months (rows) × months since creation (columns), each cell coloured and labelled
    with the share of the cohort's leads that had become customers by then (frame:
    ``quality.cohort_heatmap``)."""
    shares = [None if pd.isna(v) else float(v) for v in frame["share"]]
    top = max([s for s in shares if s is not None], default=0.0) or 1.0
    data = frame.assign(
        cohort_month=frame["cohort_month"].map(str),
        share=pd.Series(shares, index=frame.index, dtype=float),
        text=["" if s is None else percent(s) for s in shares],
        leads_text=[count(v) for v in frame["leads"]],
        customers_text=[count(v) for v in frame["customers"]],
        ink=["white" if s is not None and s > top / 2 else "black" for s in shares],
    )
    cohorts = list(dict.fromkeys(frame["cohort"]))
    base = alt.Chart(data).encode(
        x=alt.X(
            "months_since:O",
            title=_("months since creation"),
            axis=alt.Axis(**AXIS, labelAngle=0, orient="top"),
        ),
        y=alt.Y("cohort:O", sort=cohorts, title=_("cohort (month created)"), axis=alt.Axis(**AXIS)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(scheme="blues", domain=[0, top]),
            legend=alt.Legend(
                title=_("reached customer"),
                orient="right",
                labelExpr=vega_percent("datum.value", trim=True),
            ),
        ),
        tooltip=[
            alt.Tooltip("cohort:N", title=_("Cohort")),
            alt.Tooltip("months_since:O", title=_("Months since creation")),
            alt.Tooltip("leads_text:N", title=_("Leads")),
            alt.Tooltip("customers_text:N", title=_("Customers by then")),
            alt.Tooltip("text:N", title=_("Share")),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    return _fit(
        alt.layer(cells, text)
        .properties(height=26 * len(cohorts))
        .resolve_scale(color="independent")  # the ink is not on the colour scale
    )


#: Owner-team colours for the shared language (Okabe-Ito, white text readable on each).
TEAM_COLOURS = {"marketing": "#0072B2", "sales": "#D55E00", "both": "#6A3D9A"}
#: The owner teams as the legend names them.
TEAM_NAMES = {"marketing": N_("marketing"), "sales": N_("sales"), "both": N_("both")}


def _wrapped(text: str, width: int = 12) -> list[str]:
    return wrapped(text, width)


def stage_flow_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The funnel stages in order as boxes joined by arrows, each coloured by its owner team
    (legend on the right). Frame: term, owner_team (in stage order)."""
    count_ = len(frame)
    data = pd.DataFrame(
        {
            "x": [10.0 * i for i in range(count_)],
            "x2": [10.0 * i + 8.4 for i in range(count_)],
            "mid": [10.0 * i + 4.2 for i in range(count_)],
            "bottom": [0.0] * count_,
            "top": [1.0] * count_,
            "name_y": [0.5] * count_,
            "label": ["\n".join(_wrapped(t)) for t in frame["term"]],
            "term": list(frame["term"]),
            "team": [_(TEAM_NAMES.get(t, t)) for t in frame["owner_team"]],
        }
    )
    teams = [_(name) for name in TEAM_NAMES.values()]
    arrows = pd.DataFrame(
        {
            "x": [10.0 * i + 9.2 for i in range(max(count_ - 1, 0))],
            "y": [0.5] * max(count_ - 1, 0),
        }
    )
    xs = alt.Scale(domain=[-0.2, 10 * count_ - 1.4], nice=False, zero=False)
    ys = alt.Scale(domain=[0, 1], nice=False)
    base = alt.Chart(data)
    boxes = base.mark_rect(cornerRadius=8).encode(
        x=alt.X("x:Q", scale=xs, axis=None),
        x2=alt.X2("x2"),
        y=alt.Y("bottom:Q", scale=ys, axis=None),
        y2=alt.Y2("top"),
        color=alt.Color(
            "team:N",
            scale=alt.Scale(domain=teams, range=list(TEAM_COLOURS.values())),
            legend=alt.Legend(title=_("Owner team"), orient="right", labelFontSize=13),
        ),
        tooltip=[
            alt.Tooltip("term:N", title=_("Stage")),
            alt.Tooltip("team:N", title=_("Owner")),
        ],
    )
    names = base.mark_text(
        color="white", fontSize=14, fontWeight="bold", baseline="middle", lineBreak="\n"
    ).encode(
        x=alt.X("mid:Q", scale=xs, axis=None),
        y=alt.Y("name_y:Q", scale=ys, axis=None),
        text=alt.Text("label:N"),
    )
    arrow = (
        alt.Chart(arrows)
        .mark_text(text="▶", fontSize=18, color="#444444", baseline="middle")
        .encode(x=alt.X("x:Q", scale=xs, axis=None), y=alt.Y("y:Q", scale=ys, axis=None))
    )
    return _fit(alt.layer(boxes, names, arrow).properties(height=110, width="container"))


def action_effect_chart(frame: pd.DataFrame, heading: str) -> alt.LayerChart:
    """Bars of the metric per period, before (grey) and after (blue) the action was agreed,
    the period still running lighter, the target as a red tick (frame:
    ``actions.action_effect``; its ``attrs["kind"]`` — count, rate or hours — formats the
    values)."""
    from smarketing.sla.metrics import status_label

    kind, metric_label = frame.attrs.get("kind"), frame.attrs["metric_label"]
    shown = (lambda v: figure(kind, v)) if kind in ("count", "rate", "hours") else decimal
    phases = {"before": _("before the action"), "after": _("after the action")}
    complete, so_far = _("complete"), _("so far")
    data = frame.assign(
        when=frame["phase"].map(phases),
        counted=frame["complete"].map({True: complete, False: so_far}),
        value_text=[shown(v) for v in frame["value"]],
        target_text=[shown(v) for v in frame["target"]],
        status=[status_label(v) if v else EMPTY for v in frame["status"]],
    )
    y_axis = {
        "rate": alt.Axis(labelExpr=vega_percent("datum.value", trim=True)),
        "count": alt.Axis(format=",d", tickMinStep=1),
    }.get(kind, alt.Axis(format=",.1~f"))
    x = alt.X(
        "label:N",
        sort=None,
        title=None,
        axis=alt.Axis(labelAngle=0, labelOverlap=True, labelLimit=120),
    )
    bars = (
        alt.Chart(data, title=title(_(heading)))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=_(metric_label), axis=y_axis),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(domain=list(phases.values()), range=["#8FA3B3", "#0072B2"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            opacity=alt.Opacity(
                "counted:N",
                scale=alt.Scale(domain=[complete, so_far], range=[1.0, 0.4]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("Period")),
                alt.Tooltip("value_text:N", title=_("Value")),
                alt.Tooltip("target_text:N", title=_("Target")),
                alt.Tooltip("status:N", title=_("Status")),
                alt.Tooltip("counted:N", title=_("Counted")),
            ],
        )
    )
    target = (
        alt.Chart(data).mark_tick(color="#C0262D", thickness=3).encode(x=x, y=alt.Y("target:Q"))
    )
    return _fit(alt.layer(bars, target).properties(height=240))


# --- a lead's timeline --------------------------------------------------------------------

#: Colour per activity kind (Okabe-Ito), in this order on the chart.
KIND_COLOURS = {
    "page_view": "#56B4E9",
    "download": "#0072B2",
    "form": "#009E73",
    "email_click": "#E69F00",
    "email": "#D55E00",
    "call": "#CC79A7",
    "meeting": "#000000",
}


def timeline_chart(frame: pd.DataFrame) -> alt.Chart:
    """A lead's activities on a time axis in the business timezone, one row per kind,
    coloured by kind (frame: ``leads.timeline``: occurred_at, kind, label, detail, actor).
    The axis ticks follow the span: hours within a day or so, days over weeks."""
    local = wall_clock(frame["occurred_at"]).reset_index(drop=True)
    moments = pd.to_datetime(pd.Series(list(frame["occurred_at"])), utc=True)
    data = frame.reset_index(drop=True).assign(
        when=_wall_text(local),
        when_text=[formatting.local_time(m.to_pydatetime()) for m in moments],
        actor=[EMPTY if pd.isna(a) or not str(a).strip() else a for a in frame["actor"]],
    )
    data = data.drop(columns=["occurred_at"])
    ticks = time_ticks(local.min(), local.max())
    # colours by the stored kind, rows named by the frame's label (in the reader's language)
    label_of = dict(zip(data["kind"], data["label"], strict=True))
    order = [k for k in KIND_COLOURS if k in label_of] + [
        k for k in label_of if k not in KIND_COLOURS
    ]
    colours = [KIND_COLOURS.get(k, "#555555") for k in order]
    kinds = [label_of[k] for k in order]
    return _fit(
        alt.Chart(data)
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("when:T", title=None, scale=ticks.scale(), axis=ticks.axis(labelFontSize=12)),
            y=alt.Y("label:N", title=None, sort=kinds, axis=alt.Axis(**CATEGORY_AXIS)),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=kinds, range=colours),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("when_text:N", title=_("When")),
                alt.Tooltip("label:N", title=_("What")),
                alt.Tooltip("detail:N", title=_("Detail")),
                alt.Tooltip("actor:N", title=_("By")),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )
