"""FSRS scheduling of review cards with py-fsrs: each learner's desired retention and parameters.

A ReviewItem row holds one fsrs.Card (its id is the card id); NEW is our name for a learning card
not reviewed yet. Learning and relearning steps are minutes, so a missed card comes back in the
same sitting.
"""

import dataclasses
from datetime import datetime, timedelta

import fsrs
import fsrs_rs_python
from django.utils.translation import gettext as _

from accounts.models import User
from quiz.models import CardState, LearnerParameters, Rating, ReviewItem

LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)


class CorruptCard(ValueError):
    """A stored card state that FSRS cannot schedule from (edited by hand, or a bug)."""


def scheduler_for(user: User) -> fsrs.Scheduler:
    """The learner's scheduler: their fitted parameters if the weekly job found enough reviews."""
    fitted = LearnerParameters.objects.filter(user=user).values_list("parameters", flat=True).first()
    return fsrs.Scheduler(
        parameters=fitted or fsrs.scheduler.DEFAULT_PARAMETERS,
        desired_retention=user.desired_retention,
        learning_steps=LEARNING_STEPS,
        relearning_steps=RELEARNING_STEPS,
    )


def to_card(item: ReviewItem) -> fsrs.Card:
    """The item as an fsrs.Card; CorruptCard if its stored state is not one FSRS can go on from."""
    if item.state not in CardState.values:
        raise CorruptCard(f"card {item.pk}: unknown state {item.state}")
    if item.state == CardState.NEW:
        return fsrs.Card(card_id=item.pk, state=fsrs.State.Learning, step=0, due=item.due)
    stepped = item.state in (CardState.LEARNING, CardState.RELEARNING)
    if stepped != (item.step is not None):
        raise CorruptCard(f"card {item.pk}: step {item.step} does not fit state {item.state}")
    if item.stability is None or item.difficulty is None or item.last_review is None:
        raise CorruptCard(f"card {item.pk}: a reviewed card needs stability, difficulty and its last review")
    if not (item.stability > 0 and 1 <= item.difficulty <= 10):
        raise CorruptCard(
            f"card {item.pk}: stability {item.stability:.4g} or difficulty {item.difficulty:.4g} out of range"
        )
    return fsrs.Card(
        card_id=item.pk,
        state=fsrs.State(item.state),
        step=item.step,
        stability=item.stability,
        difficulty=item.difficulty,
        due=item.due,
        last_review=item.last_review,
    )


def store_card(item: ReviewItem, card: fsrs.Card) -> None:
    """Copy a reviewed card's state onto the item (not saved)."""
    item.state = card.state.value
    item.step = card.step
    item.stability = card.stability
    item.difficulty = card.difficulty
    item.due = card.due
    item.last_review = card.last_review


def next_due(scheduler: fsrs.Scheduler, item: ReviewItem, rating: Rating, now: datetime) -> datetime:
    """When the card would be due again after this rating, without the random fuzz a real review
    adds (as Anki's buttons show it), so the preview of each button is stable across reloads."""
    exact = dataclasses.replace(scheduler, enable_fuzzing=False)
    card, _log = exact.review_card(to_card(item), fsrs.Rating(rating), now)
    return card.due


def interval_label(interval: timedelta) -> str:
    """A short, rounded interval for a rating button: "1 min", "10 min", "3 h", "4 d", "2.5 mo", "1.2 y"."""
    minutes = interval.total_seconds() / 60
    if minutes < 60:
        return _("%(count)d min") % {"count": max(1, round(minutes))}
    if minutes < 24 * 60:
        return _("%(count)d h") % {"count": round(minutes / 60)}
    days = minutes / (24 * 60)
    if days < 30:
        return _("%(count)d d") % {"count": round(days)}
    if days < 365:
        return _("%(count).1f mo") % {"count": days / 30}
    return _("%(count).1f y") % {"count": days / 365}


def rescheduled_due(scheduler: fsrs.Scheduler, item: ReviewItem) -> datetime:
    """A review card's due date for the scheduler's desired retention, from its memory state (what
    Anki does when the desired retention changes); learning steps and new cards keep theirs."""
    if item.state != CardState.REVIEW or item.stability is None or item.last_review is None:
        return item.due
    days = fsrs_rs_python.FSRS(scheduler.parameters).next_interval(
        item.stability, scheduler.desired_retention, Rating.GOOD
    )
    return item.last_review + timedelta(days=min(max(1, round(days)), scheduler.maximum_interval))
