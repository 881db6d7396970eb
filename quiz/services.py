"""Reviewing questions, and what reviews and attempts share: one function per use case.

Taking an exam (attempts, answers, the time limit) is in quiz.attempts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Min, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import Level
from notifications.services import notify_users
from quiz import progress, scheduling
from quiz.models import (
    LEECH_LAPSES,
    CardState,
    Choice,
    Exam,
    Question,
    Rating,
    ReviewItem,
    ReviewLog,
)

# A learning card due within this is shown now rather than making the learner wait (Anki's default).
LEARN_AHEAD = timedelta(minutes=20)


def questions_with_choices(exam: Exam) -> QuerySet[Question]:
    """The exam's questions in order, each with its choices, in two queries."""
    return exam.questions.prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("order", "id")))


def is_answer_correct(question: Question, selected_ids: set[int]) -> bool:
    """Right only when exactly the correct choices were selected (for either kind of question)."""
    return selected_ids == {choice.pk for choice in question.choices.all() if choice.is_correct}


def add_to_review_queue(user: User, question_ids: list[int], now: datetime) -> None:
    """Put the questions in the user's review queue, due now: new cards, or a card already there
    brought forward (its memory state and history are kept)."""
    if not question_ids:
        return
    ReviewItem.objects.bulk_create(
        [ReviewItem(user=user, question_id=question_id, due=now) for question_id in question_ids],
        update_conflicts=True,
        unique_fields=["user", "question"],
        update_fields=["due"],
    )
    progress.changed(user.pk)


@dataclass(frozen=True)
class Queue:
    """What the review page needs: the next card (or None), the cards left today and done today."""

    item: ReviewItem | None
    left: int
    done: int
    next_learning_due: datetime | None


def local_day_bounds(user: User, now: datetime) -> tuple[datetime, datetime]:
    """The start and end of the learner's local day around `now`, as aware datetimes."""
    local = now.astimezone(ZoneInfo(user.time_zone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def review_queue(user: User, now: datetime | None = None) -> Queue:
    """The learner's queue for today, in Anki's order: learning cards that are due, then review cards
    (the most overdue first) and new cards up to the daily limits, then learning cards due within
    LEARN_AHEAD. Three queries, whatever the history."""
    now = now or timezone.now()
    start, end = local_day_bounds(user, now)
    today = ReviewLog.objects.filter(user=user, reviewed_at__gte=start, reviewed_at__lt=end).aggregate(
        done=Count("pk"),
        new=Count("pk", filter=Q(state_before=CardState.NEW)),
        reviews=Count("pk", filter=Q(state_before=CardState.REVIEW)),
    )
    new_left = max(0, user.new_cards_per_day - today["new"])
    reviews_left = max(0, user.reviews_per_day - today["reviews"])
    items = ReviewItem.objects.filter(user=user)
    stepped = Q(state__in=[CardState.LEARNING, CardState.RELEARNING])
    due = items.aggregate(
        learning=Count("pk", filter=stepped & Q(due__lt=end)),
        reviews=Count("pk", filter=Q(state=CardState.REVIEW, due__lt=end)),
        new=Count("pk", filter=Q(state=CardState.NEW, due__lt=end)),
        next_learning=Min("due", filter=stepped),
    )
    left = due["learning"] + min(due["reviews"], reviews_left) + min(due["new"], new_left)
    # One query picks the next card: each kind of card due has its rank, the kinds over their limit none.
    ranks = [When(stepped & Q(due__lte=now), then=0)]
    if reviews_left:
        ranks.append(When(Q(state=CardState.REVIEW, due__lt=end), then=1))
    if new_left:
        ranks.append(When(Q(state=CardState.NEW, due__lt=end), then=2))
    ranks.append(When(stepped & Q(due__lte=now + LEARN_AHEAD), then=3))
    item = (
        items.annotate(rank=Case(*ranks, default=None, output_field=IntegerField()))
        .filter(rank__isnull=False)
        .select_related("question__exam", "user")
        .order_by("rank", "due", "pk")
        .first()
    )
    return Queue(item, left, today["done"], due["next_learning"])


@transaction.atomic
def review(item: ReviewItem, rating: Rating, duration_ms: int | None = None, now: datetime | None = None) -> ReviewLog:
    """Record one review of the card and schedule it by FSRS; CorruptCard leaves everything as it was."""
    now = now or timezone.now()
    item = ReviewItem.objects.select_for_update().select_related("user").get(pk=item.pk)
    scheduler = scheduling.scheduler_for(item.user)
    card, _log = scheduler.review_card(scheduling.to_card(item), fsrs.Rating(rating), now, duration_ms)
    lapsed = rating == Rating.AGAIN and item.state == CardState.REVIEW
    log = ReviewLog(
        item=item,
        user=item.user,
        rating=rating,
        reviewed_at=now,
        duration_ms=duration_ms,
        state_before=item.state,
        due_before=item.due,
    )
    scheduling.store_card(item, card)
    item.lapses += lapsed
    item.save()
    log.state_after, log.due_after = item.state, item.due
    log.save()
    if lapsed and item.lapses == LEECH_LAPSES:
        notify_users([item.user_id], Level.WARNING, _("A question keeps slipping away"), body=item.question.text[:200])
    progress.note_streak(log)
    progress.changed(item.user_id)
    return log


def rating_previews(item: ReviewItem, now: datetime | None = None) -> list[tuple[Rating, str]]:
    """Each rating with the interval it would give this card now ("10 min", "3 d", ...)."""
    now = now or timezone.now()
    scheduler = scheduling.scheduler_for(item.user)
    return [
        (rating, scheduling.interval_label(scheduling.next_due(scheduler, item, rating, now) - now))
        for rating in Rating
    ]


@transaction.atomic
def reschedule_cards(user: User) -> int:
    """Move the learner's review cards to the due dates their desired retention gives; returns how many moved."""
    scheduler = scheduling.scheduler_for(user)
    moved = []
    # Locked, so that a review made meanwhile is not overwritten with a due date computed before it.
    cards = ReviewItem.objects.filter(user=user, state=CardState.REVIEW).select_for_update()
    for item in cards.iterator(chunk_size=2000):
        due = scheduling.rescheduled_due(scheduler, item)
        if due != item.due:
            item.due = due
            moved.append(item)
    ReviewItem.objects.bulk_update(moved, ["due"], batch_size=1000)
    progress.changed(user.pk)
    return len(moved)
