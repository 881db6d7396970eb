"""Each learner's FSRS parameters, fitted to their own review logs by fsrs-rs (the weekly job).

The optimiser is fsrs-rs through its Rust binding (fsrs-rs-python), not py-fsrs's torch Optimizer:
the README says why and BENCHMARKS.md has the figures. A fit reads only reviews made before the
start of the week, so a second run in the same week fits the same reviews to the same parameters.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
import fsrs_rs_python
from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from quiz import scheduling
from quiz.models import CardState, LearnerParameters, ReviewLog

logger = logging.getLogger(__name__)

# fsrs-rs gives back its defaults below this many training items, counted after its own outlier
# filter (fsrs-rs 6.6 src/training.rs): the optimiser's minimum, so we ask nothing of it below.
MINIMUM_ITEMS = 8
# fsrs-rs computes in f32: 0.8 comes back as 0.800000012, past py-fsrs's own upper bound of 0.8.
DECIMALS = 6

# (card id, rating, reviewed at, state before): one ReviewLog row, oldest first.
Review = tuple[int, int, datetime, int]
# One FSRS item: (rating, days since the review before) of each of a card's reviews up to one.
Item = list[tuple[int, int]]


@dataclass(frozen=True)
class TrainingSet:
    """The optimiser's input from one learner's reviews, and how many reviews it was made from."""

    items: list[Item]
    review_count: int


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of now's week in the site's time zone (the weekly job's, Asia/Seoul): the end of
    the reviews a fit made this week reads."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=local.tzinfo)


def training_set(reviews: Iterable[Review], zone: ZoneInfo) -> TrainingSet:
    """fsrs-rs's items from a learner's reviews, as its own examples build them: one item per review
    made on a later (local) day than the card's review before it, holding the card's history up to
    that review, with the days since the review before (0 within a day).

    A card whose history does not start with its first review (an SM-2 card carried over to FSRS
    with a memory state but no log) is left out: FSRS cannot learn a first review it never saw.
    """
    histories: dict[int, Item] = {}
    last_day: dict[int, date] = {}
    skipped: set[int] = set()
    items: list[Item] = []
    count = 0
    for card_id, rating, reviewed_at, state_before in reviews:
        if card_id in skipped:
            continue
        day = reviewed_at.astimezone(zone).date()
        history = histories.get(card_id)
        if history is None:
            if state_before != CardState.NEW:
                skipped.add(card_id)
                continue
            histories[card_id] = history = []
            delta_days = 0
        else:
            delta_days = (day - last_day[card_id]).days
        history.append((rating, delta_days))
        last_day[card_id] = day
        count += 1
        if delta_days > 0:
            items.append(history.copy())
    return TrainingSet(items, count)


def learner_reviews(user: User, until: datetime) -> Iterable[Review]:
    """The learner's reviews made before `until`, oldest first, streamed."""
    rows = ReviewLog.objects.filter(user=user, reviewed_at__lt=until).order_by("reviewed_at", "pk")
    return rows.values_list("item_id", "rating", "reviewed_at", "state_before").iterator(chunk_size=2000)


def fsrs_items(items: list[Item]) -> list[fsrs_rs_python.FSRSItem]:
    """The items as fsrs-rs's own objects."""
    # An FSRSItem copies its reviews into Rust, so one FSRSReview per distinct pair serves them all.
    reviews = {pair: fsrs_rs_python.FSRSReview(*pair) for pair in {pair for item in items for pair in item}}
    return [fsrs_rs_python.FSRSItem([reviews[pair] for pair in item]) for item in items]


def optimise(items: list[Item]) -> list[float] | None:
    """Parameters fitted to the items, or None where fsrs-rs finds too few to fit (the learner keeps
    the defaults)."""
    if len(items) < MINIMUM_ITEMS:
        return None
    optimiser = fsrs_rs_python.FSRS(fsrs_rs_python.DEFAULT_PARAMETERS)
    try:
        fitted = optimiser.compute_parameters(
            fsrs_items(items), enable_short_term=True, num_relearning_steps=len(scheduling.RELEARNING_STEPS)
        )
    except ValueError as error:
        # Its outlier filter can leave no first review to start from.
        if str(error) == "NotEnoughData":
            return None
        raise
    if fitted == fsrs_rs_python.DEFAULT_PARAMETERS:
        return None
    parameters = [round(value, DECIMALS) for value in fitted]
    fsrs.Scheduler(parameters=parameters)  # ValueError if py-fsrs, which schedules with them, would refuse them
    return parameters


def learners_to_fit(now: datetime) -> list[int]:
    """Ids of the learners who may have enough reviews before this week for a fit and have not
    been fitted this week.

    Counted in SQL: reviews less cards is an upper bound of the items (a card's first review makes
    none), so a learner below the optimiser's minimum by it is never read.
    """
    until = week_start(now)
    fitted = LearnerParameters.objects.filter(user=OuterRef("user"), fitted_at__gte=until)
    counts = (
        ReviewLog.objects.filter(reviewed_at__lt=until)
        .exclude(Exists(fitted))
        .values("user")
        .annotate(upper_bound=Count("pk") - Count("item", distinct=True))
        .filter(upper_bound__gte=MINIMUM_ITEMS)
        .order_by("user")
    )
    return list(counts.values_list("user", flat=True))


def fit_learner(user: User, now: datetime | None = None) -> LearnerParameters | None:
    """Fit the learner's FSRS parameters to their reviews made before this week and store them with
    the time and the number of reviews used; their next reviews are scheduled with them.

    Idempotent within a week: parameters fitted this week are kept as they are. Returns None, and
    removes parameters fitted before, where the optimiser finds too few reviews: the defaults apply.
    """
    now = now or timezone.now()
    until = week_start(now)
    done = LearnerParameters.objects.filter(user=user, fitted_at__gte=until).first()
    if done is not None:
        return done
    started = time.perf_counter()
    training = training_set(learner_reviews(user, until), ZoneInfo(user.time_zone))
    parameters = optimise(training.items)
    logger.info(
        "fitted learner %s: %d reviews, %d items, %s in %.2f s",
        user.pk,
        training.review_count,
        len(training.items),
        "own parameters" if parameters else "too few, defaults",
        time.perf_counter() - started,
    )
    if parameters is None:
        LearnerParameters.objects.filter(user=user).delete()
        return None
    stored, _created = LearnerParameters.objects.update_or_create(
        user=user,
        defaults={"parameters": parameters, "fitted_at": now, "review_count": training.review_count},
    )
    return stored
