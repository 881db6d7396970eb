"""Per-learner FSRS parameters: fitted weekly to each learner's own reviews, used by their next ones."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
import fsrs_rs_python
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from accounts.models import User
from drillquiz.payloads import InvalidTaskArguments, UserId
from jobs.services import enqueue
from quiz import fitting, scheduling, services
from quiz.models import CardState, Exam, LearnerParameters, Rating, ReviewItem, ReviewLog
from quiz.tasks import fit_all_learner_parameters, fit_learner_parameters
from tests.factories import make_exam, make_user
from tests.processes import wait_until

SEOUL = ZoneInfo("Asia/Seoul")
DEFAULTS = list(fsrs.scheduler.DEFAULT_PARAMETERS)


def before_this_week() -> datetime:
    """An hour before this week's fit reads no more reviews."""
    return fitting.week_start(timezone.now()) - timedelta(hours=1)


def study(user: User, exam: Exam, recall: float, days: int, until: datetime | None = None, seed: int = 1) -> int:
    """The learner reviews every question of the exam for `days` days up to `until`, each card when it
    falls due, through the site's own review service: a first review is Good, a later one Good with
    probability `recall` and Again otherwise. Returns how many reviews were made."""
    until = until or before_this_week()
    # 09:00 in Seoul, so a card's learning steps (minutes) never cross the learner's midnight.
    local = (until - timedelta(days=days)).astimezone(SEOUL).replace(hour=9, minute=0, second=0, microsecond=0)
    start = local.astimezone(UTC)  # py-fsrs takes UTC only
    rng = random.Random(seed)  # noqa: S311 - made-up ratings, not security
    services.add_to_review_queue(user, list(exam.questions.values_list("pk", flat=True)), start)
    made = 0
    for item in ReviewItem.objects.filter(user=user, question__exam=exam).order_by("pk"):
        when = start
        while when < until:
            rating = Rating.GOOD if item.state == CardState.NEW or rng.random() < recall else Rating.AGAIN
            log = services.review(item, rating, now=when)
            item.refresh_from_db()
            when, made = log.due_after, made + 1
    return made


@pytest.fixture
def exam(db: None) -> Exam:
    return make_exam("python", questions=30)


@pytest.fixture
def studious(learner: User, exam: Exam) -> User:
    """A learner with four months of reviews of 30 questions, nine in ten remembered."""
    study(learner, exam, recall=0.9, days=120)
    return learner


def test_a_learner_with_enough_reviews_gets_parameters_fitted_to_them(studious: User) -> None:
    reviews = ReviewLog.objects.filter(user=studious).count()

    assert fit_learner_parameters(UserId(studious.pk)) is True

    stored = LearnerParameters.objects.get(user=studious)
    assert stored.review_count == reviews
    assert timezone.now() - stored.fitted_at < timedelta(minutes=1)
    assert len(stored.parameters) == len(DEFAULTS)
    assert stored.parameters != pytest.approx(DEFAULTS, abs=1e-3)
    fsrs.Scheduler(parameters=stored.parameters)  # py-fsrs, which schedules with them, takes them


def test_a_learner_who_forgets_more_gets_shorter_first_stabilities(exam: Exam) -> None:
    remembers, forgets = make_user("remembers"), make_user("forgets")
    study(remembers, exam, recall=0.95, days=45)
    study(forgets, exam, recall=0.6, days=45)

    for learner in (remembers, forgets):
        fitting.fit_learner(learner)

    good = {
        user.username: LearnerParameters.objects.get(user=user).parameters[Rating.GOOD - 1]
        for user in (remembers, forgets)
    }
    assert good["forgets"] < good["remembers"]


def test_a_learner_below_the_optimisers_minimum_keeps_the_defaults(learner: User) -> None:
    study(learner, make_exam("short", questions=2), recall=1.0, days=10)
    assert ReviewLog.objects.filter(user=learner).exists()

    assert fit_learner_parameters(UserId(learner.pk)) is False

    assert not LearnerParameters.objects.filter(user=learner).exists()
    assert list(scheduling.scheduler_for(learner).parameters) == DEFAULTS
    assert learner.pk not in fitting.learners_to_fit(timezone.now())


def test_the_optimiser_is_not_asked_below_its_minimum_and_gives_its_defaults_just_above() -> None:
    few = [[(3, 0), (3, 2)]] * (fitting.MINIMUM_ITEMS - 1)
    assert fitting.optimise(few) is None
    # What fsrs-rs itself answers to so few: its defaults, which would be no parameters of the learner's.
    optimiser = fsrs_rs_python.FSRS(fsrs_rs_python.DEFAULT_PARAMETERS)
    items = [fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(*pair) for pair in item]) for item in few]
    assert optimiser.compute_parameters(items) == fsrs_rs_python.DEFAULT_PARAMETERS
    # Just at the minimum, its outlier filter drops a lone group of 8 alike items: defaults again, so None.
    assert fitting.optimise([*few, [(3, 0), (3, 2)]]) is None


def test_a_learner_whose_reviews_are_gone_goes_back_to_the_defaults(studious: User) -> None:
    fitting.fit_learner(studious, now=timezone.now() - timedelta(days=7))
    assert LearnerParameters.objects.filter(user=studious).exists()
    kept = ReviewItem.objects.filter(user=studious).first()
    assert kept is not None
    ReviewItem.objects.filter(user=studious).exclude(pk=kept.pk).delete()

    assert fitting.fit_learner(studious) is None

    assert not LearnerParameters.objects.filter(user=studious).exists()


def test_the_items_hold_each_cards_history_up_to_each_review_on_a_later_day() -> None:
    day0 = datetime(2026, 3, 2, 9, tzinfo=SEOUL)
    reviews = [
        (1, Rating.GOOD, day0, CardState.NEW),
        (1, Rating.GOOD, day0 + timedelta(minutes=10), CardState.LEARNING),
        (2, Rating.GOOD, day0 + timedelta(days=1), CardState.REVIEW),  # carried over from SM-2: no first review
        (1, Rating.GOOD, day0 + timedelta(days=2), CardState.REVIEW),
        (1, Rating.AGAIN, day0 + timedelta(days=7), CardState.REVIEW),
        (1, Rating.GOOD, day0 + timedelta(days=7, minutes=10), CardState.RELEARNING),
        (2, Rating.HARD, day0 + timedelta(days=8), CardState.REVIEW),
    ]

    training = fitting.training_set(reviews, SEOUL)

    assert training.items == [[(3, 0), (3, 0), (3, 2)], [(3, 0), (3, 0), (3, 2), (1, 5)]]
    assert training.review_count == 5


def test_the_day_of_a_review_is_the_learners_local_day() -> None:
    # 23:30 and 00:30 the next night in Seoul: one hour apart, yet a day apart for the learner.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=SEOUL)
    reviews = [(1, Rating.GOOD, late, CardState.NEW), (1, Rating.GOOD, late + timedelta(hours=1), CardState.REVIEW)]

    assert len(fitting.training_set(reviews, SEOUL).items) == 1
    assert fitting.training_set(reviews, ZoneInfo("UTC")).items == []


def test_fitting_twice_in_one_week_keeps_one_row_and_the_same_parameters(studious: User, exam: Exam) -> None:
    fit_learner_parameters(UserId(studious.pk))
    first = LearnerParameters.objects.get(user=studious)
    # Reviews of this week (dated after its start, even if that is later than now) must not change
    # a second fit this week.
    this_week = fitting.week_start(timezone.now()) + timedelta(days=2)
    study(studious, make_exam("more", questions=10), recall=0.3, days=1, until=this_week)

    fit_learner_parameters(UserId(studious.pk))
    assert list(LearnerParameters.objects.filter(user=studious).values_list("pk", "parameters", "fitted_at")) == [
        (first.pk, first.parameters, first.fitted_at)
    ]
    LearnerParameters.objects.all().delete()
    fit_learner_parameters(UserId(studious.pk))

    again = LearnerParameters.objects.get(user=studious)
    assert (again.parameters, again.review_count) == (first.parameters, first.review_count)


def test_a_fit_from_an_earlier_week_is_fitted_again(studious: User) -> None:
    last_week = timezone.now() - timedelta(days=7)
    fitting.fit_learner(studious, now=last_week)

    assert studious.pk in fitting.learners_to_fit(timezone.now())
    fitting.fit_learner(studious)

    assert LearnerParameters.objects.get(user=studious).fitted_at > fitting.week_start(timezone.now())
    assert studious.pk not in fitting.learners_to_fit(timezone.now())


def test_a_learners_next_review_uses_their_parameters(studious: User, other_learner: User) -> None:
    fit_learner_parameters(UserId(studious.pk))
    fitted = LearnerParameters.objects.get(user=studious).parameters
    new_exam = make_exam("new", questions=1)
    question = new_exam.questions.get()
    services.add_to_review_queue(studious, [question.pk], timezone.now())
    services.add_to_review_queue(other_learner, [question.pk], timezone.now())

    for user in (studious, other_learner):
        services.review(ReviewItem.objects.get(user=user, question=question), Rating.GOOD)

    # A new card's first Good review gives it the initial stability for Good: w2.
    assert ReviewItem.objects.get(user=studious, question=question).stability == pytest.approx(fitted[2])
    assert ReviewItem.objects.get(user=other_learner, question=question).stability == pytest.approx(DEFAULTS[2])
    assert fitted[2] != pytest.approx(DEFAULTS[2])


@pytest.mark.parametrize("user_id", ["1", None, True, 1.5, [1], {"id": 1}, 0, -3, 2**70])
def test_a_fit_task_given_anything_but_a_learners_id_fails_at_once(db: None, user_id: object) -> None:
    result = fit_learner_parameters.apply(args=(user_id,))

    assert result.state == "FAILURE"
    assert isinstance(result.result, InvalidTaskArguments)
    assert not LearnerParameters.objects.exists()


def test_the_weekly_job_fired_twice_fits_each_learner_with_enough_reviews_once(
    celery_worker: object, exam: Exam
) -> None:
    studious, idle = make_user("studious"), make_user("idle")
    study(studious, exam, recall=0.9, days=120)
    study(idle, make_exam("short", questions=2), recall=1.0, days=3)

    enqueue(fit_all_learner_parameters.name)
    enqueue(fit_all_learner_parameters.name)

    fan_outs = TaskResult.objects.filter(task_name="quiz.tasks.fit_all_learner_parameters", status="SUCCESS")
    fits = TaskResult.objects.filter(task_name="quiz.tasks.fit_learner_parameters", status="SUCCESS")
    wait_until(lambda: fan_outs.count() == 2, 30, "both weekly runs")
    enqueued = sum(int(result) for result in fan_outs.values_list("result", flat=True))
    wait_until(lambda: fits.count() == enqueued, 60, "the fits they enqueued")
    assert enqueued >= 1
    assert list(LearnerParameters.objects.values_list("user__username", flat=True)) == ["studious"]


def test_setup_installs_the_weekly_fit_on_monday_night_in_seoul(db: None) -> None:
    call_command("setup_periodic_tasks")

    crontab = PeriodicTask.objects.get(task="quiz.tasks.fit_all_learner_parameters").crontab

    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == ("0", "2", "1", "Asia/Seoul")


def test_admin_shows_a_learners_parameters_beside_the_defaults(client: Client, studious: User) -> None:
    fit_learner_parameters(UserId(studious.pk))
    stored = LearnerParameters.objects.get(user=studious)
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    listing = client.get("/admin/quiz/learnerparameters/").content.decode()
    page = client.get(f"/admin/quiz/learnerparameters/{stored.pk}/change/").content.decode()

    stabilities = ", ".join(f"{value:.2f}" for value in stored.parameters[:4])
    assert f'<a href="/admin/quiz/learnerparameters/{stored.pk}/change/">learner</a>' in listing
    assert f'<td class="field-initial_stability">{stabilities}</td>' in listing
    assert f'<div class="readonly">{stored.review_count}</div>' in page
    assert f"<th scope='row'>w2</th><td>{stored.parameters[2]:.4f}</td><td>{DEFAULTS[2]:.4f}</td>" in page
