"""The progress page's charts, drawn on the server as SVG in the active language.

CSS colours them (classes only: the CSP allows no style attribute). Each chart is an `<svg role="img">`
with a summary for screen readers, which also get the table the page shows beside it. The markup is
built here rather than in a template: a template loop over the heatmap's cells alone took longer than
the whole exam list page (bench/progress.py). Only numbers we computed and escaped text go into it.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.dates import MONTHS, MONTHS_AP
from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from quiz.progress import Day

# Heatmap: one column per week, one row per weekday, in SVG user units.
CELL, CELL_STEP = 10, 13
HEAT_LEFT, HEAT_TOP, HEAT_RIGHT = 30, 16, 16  # room for weekday names, month names, the last month's
HEAT_LEVELS = 4
# Bar chart of the reviews due.
BAR, BAR_STEP = 10, 13
BARS_LEFT, BARS_TOP, BARS_RIGHT, BARS_BOTTOM = 34, 8, 30, 20
PLOT_HEIGHT = 100
TICK_EVERY = 7
# Django's Korean abbreviations are the whole weekday names, too wide beside a heatmap's rows.
WEEKDAYS = (
    pgettext_lazy("heatmap weekday", "Sun"),
    pgettext_lazy("heatmap weekday", "Mon"),
    pgettext_lazy("heatmap weekday", "Tue"),
    pgettext_lazy("heatmap weekday", "Wed"),
    pgettext_lazy("heatmap weekday", "Thu"),
    pgettext_lazy("heatmap weekday", "Fri"),
    pgettext_lazy("heatmap weekday", "Sat"),
)


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    empty: bool  # nothing to show: the page says so instead
    rows: list[tuple[str | int, ...]]  # the table behind the chart: labels formatted, numbers as they are


def svg(css_class: str, width: int, height: int, summary: str, parts: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - numbers and escaped text only
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(summary)}">{"".join(parts)}</svg>'
    )


def text(x: int, y: int, content: str, anchor: str = "start") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}">{escape(content)}</text>'


def day_label(day: date) -> str:
    """ "Dec. 3" or "12월 3일", in less than half the time date_format takes (30 of them a page)."""
    return _("%(month)s %(day)d") % {"month": MONTHS_AP[day.month], "day": day.day}


def month_label(first: date) -> str:
    return _("%(month)s %(year)d") % {"month": MONTHS[first.month], "year": first.year}


def heatmap(days: list[Day]) -> Chart:
    """A calendar of the days, oldest first: a column per week (starting on the locale's first day of
    the week), darker for more study relative to the learner's busiest day, today outlined. The cells
    of a level are one path: a year is 365 cells. The table behind it sums the days by month."""
    first_weekday = int(get_format("FIRST_DAY_OF_WEEK"))  # 0 is Sunday
    offset = (days[0].day.isoweekday() - first_weekday) % 7  # the first day's row: its column starts earlier
    columns = (len(days) - 1 + offset) // 7 + 1
    xs = [HEAT_LEFT + column * CELL_STEP for column in range(columns)]
    ys = [HEAT_TOP + row * CELL_STEP for row in range(7)]
    busiest = max(day.total for day in days)
    squares: list[list[str]] = [[] for _level in range(HEAT_LEVELS + 1)]
    square = f"h{CELL}v{CELL}h-{CELL}z"
    months: dict[date, list[int]] = {}  # a month's first day: its days studied, reviews, answers
    month_columns: list[tuple[int, date]] = []  # where a month begins
    month = [0, 0, 0]
    for index, day in enumerate(days):  # the page's hot loop: a cell per day
        column, row = divmod(index + offset, 7)
        total = day.reviews + day.answers
        level = -(-HEAT_LEVELS * total // busiest) if total else 0  # rounded up: any study shows
        squares[level].append(f"M{xs[column]} {ys[row]}{square}")
        if index == 0 or day.day.day == 1:
            month = months[day.day.replace(day=1)] = [0, 0, 0]
            if day.day.day == 1:
                month_columns.append((column, day.day))
        month[0] += total > 0
        month[1] += day.reviews
        month[2] += day.answers
    parts = []
    # A month's name over the column of its first day, unless it would crowd the previous one.
    last_named = -3
    for column, first in month_columns:
        if column - last_named >= 3:
            parts.append(text(xs[column], HEAT_TOP - 5, date_format(first, "M")))
            last_named = column
    # Every other weekday, as calendars label them.
    for row in (1, 3, 5):
        weekday = str(WEEKDAYS[(first_weekday + row) % 7])
        parts.append(text(HEAT_LEFT - 4, ys[row] + CELL - 1, weekday, anchor="end"))
    parts += [f'<path class="heat-{level}" d="{"".join(path)}"/>' for level, path in enumerate(squares) if path]
    column, row = divmod(len(days) - 1 + offset, 7)
    parts.append(f'<rect class="today" x="{xs[column]}" y="{ys[row]}" width="{CELL}" height="{CELL}"/>')
    rows: list[tuple[str | int, ...]] = [(month_label(start), *counts) for start, counts in months.items()]
    studied, reviews, answers = (sum(counts[n] for counts in months.values()) for n in range(3))
    # Each count with its own plural: one sentence of three counts has no single right plural form.
    summary = _("%(days)s in the last year: %(reviews)s, %(answers)s.") % {
        "days": ngettext("%(count)d day studied", "%(count)d days studied", studied) % {"count": studied},
        "reviews": ngettext("%(count)d review", "%(count)d reviews", reviews) % {"count": reviews},
        "answers": ngettext("%(count)d question answered", "%(count)d questions answered", answers)
        % {"count": answers},
    }
    width = HEAT_LEFT + columns * CELL_STEP + HEAT_RIGHT
    return Chart(svg("heatmap", width, HEAT_TOP + 7 * CELL_STEP, summary, parts), not studied, rows)


def due_bars(forecast: list[tuple[date, int]]) -> Chart:
    """A bar per day of the reviews due, scaled to the busiest day, each with its date and count on
    hover; a date under every TICK_EVERY-th bar."""
    peak = max(count for _day, count in forecast)
    total = sum(count for _day, count in forecast)
    baseline = BARS_TOP + PLOT_HEIGHT
    right = BARS_LEFT + len(forecast) * BAR_STEP
    parts = [
        f'<line class="grid" x1="{BARS_LEFT - 3}" x2="{right}" y1="{BARS_TOP}" y2="{BARS_TOP}"/>',
        text(BARS_LEFT - 6, BARS_TOP + 4, str(peak), anchor="end"),
        text(BARS_LEFT - 6, baseline, "0", anchor="end"),
    ]
    rows: list[tuple[str | int, ...]] = []
    for index, (day, count) in enumerate(forecast):
        x = BARS_LEFT + index * BAR_STEP
        label = day_label(day)
        rows.append((_("Today (overdue included)") if index == 0 else label, count))
        if count:
            # A day with reviews gets at least a sliver, so it never looks like a day without.
            height = max(1, round(PLOT_HEIGHT * count / peak))
            due = ngettext("%(count)d review due", "%(count)d reviews due", count) % {"count": count}
            title = escape(f"{label}: {due}")
            parts.append(
                f'<rect class="bar" x="{x}" y="{baseline - height}" width="{BAR}" height="{height}">'
                f"<title>{title}</title></rect>"
            )
        if index % TICK_EVERY == 0:
            parts.append(text(x + BAR // 2, baseline + 14, label, anchor="middle"))
    parts.append(f'<line class="axis" x1="{BARS_LEFT - 3}" x2="{right}" y1="{baseline}" y2="{baseline}"/>')
    summary = ngettext(
        "%(count)d review due in the next 30 days, at most %(peak)d on one day.",
        "%(count)d reviews due in the next 30 days, at most %(peak)d on one day.",
        total,
    ) % {"count": total, "peak": peak}
    return Chart(svg("bars", right + BARS_RIGHT, baseline + BARS_BOTTOM, summary, parts), not total, rows)
