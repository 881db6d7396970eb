"""Sizes, durations and times as every Admin list and page shows them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from drillquiz import humanize

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.030256, "30 ms"),
        (4.23, "4.2 s"),
        (59.94, "59.9 s"),
        (185, "3 min 5 s"),
        (3599.6, "1 h 0 min"),
        (7500, "2 h 5 min"),
        (-1, "0 ms"),
    ],
)
def test_a_duration_reads_in_the_unit_that_fits(seconds: float, shown: str) -> None:
    assert humanize.duration(timedelta(seconds=seconds)) == shown.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("size", "shown"), [(0, "0 bytes"), (512, "512 bytes"), (2048, "2.0 KB"), (12_897_485, "12.3 MB")]
)
def test_a_size_reads_in_the_largest_unit(size: int, shown: str) -> None:
    assert humanize.size(size) == shown.replace(" ", NBSP)


def test_a_time_reads_in_the_active_zone_with_its_name() -> None:
    moment = datetime(2026, 12, 2, 6, 48, 59, tzinfo=ZoneInfo("UTC"))

    with timezone.override(ZoneInfo("Asia/Seoul")):
        seoul = humanize.moment(moment)
    with timezone.override(ZoneInfo("UTC")):
        utc = humanize.moment(moment)

    assert (seoul, utc) == (f"2026-12-02 15:48{NBSP}KST", f"2026-12-02 06:48{NBSP}UTC")


def test_what_is_not_known_yet_reads_as_a_dash() -> None:
    assert humanize.size(None) == humanize.duration(None) == humanize.moment(None) == "-"
