"""Figures as a person reads them, the same on every Admin list and page: sizes, durations, times.

Each keeps its number and unit together (a no-break space), so a narrow column wraps between
figures, never inside one. None (not known yet) reads "-".
"""

from datetime import datetime, timedelta

from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.html import avoid_wrapping
from django.utils.translation import gettext as _

UNKNOWN = "-"


def size(value: int | None) -> str:
    """Bytes in the largest unit under 1024 of the next, one decimal: "12.3 MB", "512 bytes"."""
    return UNKNOWN if value is None else str(filesizeformat(value))


def duration(value: timedelta | None) -> str:
    """A duration in the unit that fits: "30 ms", "4.2 s", "3 min 5 s", "2 h 5 min"."""
    if value is None:
        return UNKNOWN
    seconds = max(0.0, value.total_seconds())
    if seconds < 1:
        return avoid_wrapping(_("%(count)d ms") % {"count": round(seconds * 1000)})
    if seconds < 60:
        return avoid_wrapping(_("%(count)s s") % {"count": formats.number_format(seconds, 1)})
    minutes, seconds_left = divmod(round(seconds), 60)
    if minutes < 60:
        return avoid_wrapping(_("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds_left})
    hours, minutes = divmod(minutes, 60)
    return avoid_wrapping(_("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes})


def moment(value: datetime | None) -> str:
    """An aware time in the active time zone, with the zone's name: "2026-12-02 15:48 KST" (a line
    may break after the date)."""
    if value is None:
        return UNKNOWN
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d} " + avoid_wrapping(f"{local:%H:%M} {local.tzname()}")
