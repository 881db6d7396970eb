"""The progress page's charts as geometry for server-drawn SVG: positions, colour levels and labels in
the active language. Templates draw them; CSS colours them (classes only, the CSP allows no style)."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


@dataclass(frozen=True)
class Label:
    x: int
    y: int
    text: str


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    level: int  # 0 (no study) to HEAT_LEVELS
    title: str


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    cells: list[Cell]
    months: list[Label]
    weekdays: list[Label]
    days_studied: int
    reviews: int
    answers: int


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    title: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Label]
    top: int
    baseline: int
    plot_left: int
    plot_right: int
    top_label: Label
    total: int
    peak: int


def study_label(day: Day) -> str:
    """What a heatmap cell says on hover: the date, reviews and questions answered."""
    reviews = ngettext("%(count)d review", "%(count)d reviews", day.reviews) % {"count": day.reviews}
    answers = ngettext("%(count)d question answered", "%(count)d questions answered", day.answers) % {
        "count": day.answers
    }
    return f"{date_format(day.day)}: {reviews}, {answers}"


def heatmap(days: list[Day]) -> Heatmap:
    """A calendar of the days, oldest first: a column per week (starting on the locale's first day of
    the week), darker for more study, relative to the learner's busiest day."""
    first_weekday = int(get_format("FIRST_DAY_OF_WEEK"))  # 0 is Sunday
    row_of = lambda day: (day.isoweekday() - first_weekday) % 7  # noqa: E731
    start = days[0].day - timedelta(days=row_of(days[0].day))  # the first column's first day
    busiest = max((day.total for day in days), default=0)
    cells: list[Cell] = []
    months: list[Label] = []
    for day in days:
        column = (day.day - start).days // 7
        x, y = HEAT_LEFT + column * CELL_STEP, HEAT_TOP + row_of(day.day) * CELL_STEP
        level = math.ceil(HEAT_LEVELS * day.total / busiest) if day.total else 0
        cells.append(Cell(x, y, level, study_label(day)))
        # A month's name over the column of its first day, unless it would crowd the previous one.
        if day.day.day == 1 and (not months or x - months[-1].x >= 3 * CELL_STEP):
            months.append(Label(x, HEAT_TOP - 5, date_format(day.day, "M")))
    columns = (days[-1].day - start).days // 7 + 1
    # Every other weekday, as calendars label them.
    weekdays = [
        Label(HEAT_LEFT - 4, HEAT_TOP + row * CELL_STEP + CELL - 1, date_format(start + timedelta(days=row), "D"))
        for row in (1, 3, 5)
    ]
    return Heatmap(
        width=HEAT_LEFT + columns * CELL_STEP + HEAT_RIGHT,
        height=HEAT_TOP + 7 * CELL_STEP,
        cells=cells,
        months=months,
        weekdays=weekdays,
        days_studied=sum(day.total > 0 for day in days),
        reviews=sum(day.reviews for day in days),
        answers=sum(day.answers for day in days),
    )


def due_bars(forecast: list[tuple[date, int]]) -> BarChart:
    """A bar per day of the reviews due, scaled to the busiest day; a date under every TICK_EVERY-th bar."""
    peak = max((count for _day, count in forecast), default=0)
    bars: list[Bar] = []
    ticks: list[Label] = []
    baseline = BARS_TOP + PLOT_HEIGHT
    # Translators: a Django date format for the dates under the bars of a chart (e.g. "n/j" is 12/25).
    tick_format = _("n/j")
    for index, (day, count) in enumerate(forecast):
        x = BARS_LEFT + index * BAR_STEP
        # A day with reviews gets at least a sliver, so it never looks like a day without.
        height = max(1, round(PLOT_HEIGHT * count / peak)) if count else 0
        due = ngettext("%(count)d review due", "%(count)d reviews due", count) % {"count": count}
        bars.append(Bar(x, baseline - height, height, f"{date_format(day)}: {due}"))
        if index % TICK_EVERY == 0:
            ticks.append(Label(x + BAR // 2, baseline + 14, date_format(day, tick_format)))
    plot_right = BARS_LEFT + len(forecast) * BAR_STEP
    return BarChart(
        width=plot_right + BARS_RIGHT,
        height=baseline + BARS_BOTTOM,
        bars=bars,
        ticks=ticks,
        top=BARS_TOP,
        baseline=baseline,
        plot_left=BARS_LEFT - 3,
        plot_right=plot_right,
        top_label=Label(BARS_LEFT - 6, BARS_TOP + 4, str(peak)),
        total=sum(count for _day, count in forecast),
        peak=peak,
    )
