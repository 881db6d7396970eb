"""Daily review reminders at each learner's own hour, in their own time zone, at most one a day."""

import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import recipient
from drillquiz.chunks import chunked
from notifications import email
from notifications.models import Level, Notification
from notifications.services import notify
from quiz.models import ReviewItem, ReviewReminder

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200  # users per chunk task: one SMTP connection and a constant number of queries each
LISTED_QUESTIONS = 10
# A claim older than this belongs to a run that died (a chunk's hard time limit is far shorter),
# so another run may take the reminder over.
STALE_CLAIM = timedelta(minutes=15)

Pair = tuple[int, date]


@dataclass
class ChunkReport:
    sent: int = 0
    refused: int = 0
    nothing_due: int = 0
    already_done: int = 0
    held_elsewhere: int = 0


def reminder_candidates() -> QuerySet[User]:
    return User.objects.filter(reminders_enabled=True, is_active=True).exclude(email="")


def due_for_reminder(now: datetime) -> list[Pair]:
    """(user id, local date) of every user whose reminder hour it is now where they live,
    with reviews due (overdue ones count) and no reminder yet for that local day."""
    pairs: list[Pair] = []
    for zone in reminder_candidates().values_list("time_zone", flat=True).distinct().order_by():
        try:
            local = now.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("skipping users with unknown time zone %r", zone)
            continue
        today = local.date()
        due = ReviewItem.objects.filter(user=OuterRef("pk"), due__lt=end_of_local_day(today, zone))
        reminded = ReviewReminder.objects.filter(user=OuterRef("pk"), local_date=today)
        users = reminder_candidates().filter(time_zone=zone, reminder_hour=local.hour)
        user_ids = users.filter(Exists(due)).exclude(Exists(reminded)).values_list("pk", flat=True)
        pairs += [(user_id, today) for user_id in user_ids]
    return pairs


def chunks(pairs: list[Pair]) -> list[list[list[int | str]]]:
    """The pairs as JSON task arguments, CHUNK_SIZE at a time."""
    encoded: list[list[int | str]] = [[user_id, day.isoformat()] for user_id, day in pairs]
    return list(chunked(encoded, CHUNK_SIZE))


def claim(pairs: list[Pair], now: datetime) -> tuple[uuid.UUID, list[Pair], int]:
    """Claim the reminders for this run: (run token, pairs claimed, how many another live run holds)."""
    token = uuid.uuid4()
    ReviewReminder.objects.bulk_create(
        [ReviewReminder(user_id=u, local_date=d, claim=token, claimed_at=now) for u, d in pairs],
        ignore_conflicts=True,
    )
    these = reduce(or_, (Q(user_id=u, local_date=d) for u, d in pairs))
    sending = ReviewReminder.objects.filter(these, status=ReviewReminder.Status.SENDING)
    sending.filter(claimed_at__lt=now - STALE_CLAIM).update(claim=token, claimed_at=now)
    mine = list(ReviewReminder.objects.filter(claim=token).values_list("user_id", "local_date"))
    held_elsewhere = sending.exclude(claim=token).count()
    return token, mine, held_elsewhere


def end_of_local_day(day: date, zone: str) -> datetime:
    """The first instant after `day` in that time zone: a card due before it is due that day. The
    last date there is (a task argument may name it) ends with time itself."""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(zone))


def due_questions(pairs: list[Pair]) -> tuple[dict[int, int], dict[int, list[str]]]:
    """Per user: how many FSRS cards fall due by the end of their local date, and the first few,
    most overdue first."""
    zones = dict(User.objects.filter(pk__in=[u for u, _ in pairs]).values_list("pk", "time_zone"))
    cutoff = {u: end_of_local_day(d, zones[u]) for u, d in pairs if u in zones}
    if not cutoff:
        return {}, {}
    due = ReviewItem.objects.filter(reduce(or_, (Q(user_id=u, due__lt=end) for u, end in cutoff.items())))
    counts = dict(due.values("user_id").annotate(n=Count("pk")).values_list("user_id", "n").order_by())
    rank = Window(RowNumber(), partition_by=[F("user_id")], order_by=[F("due").asc(), F("pk").asc()])
    first = due.annotate(rank=rank).filter(rank__lte=LISTED_QUESTIONS).values_list("user_id", "question__text")
    listed: dict[int, list[str]] = defaultdict(list)
    for user_id, text in first.order_by("user_id", "rank"):
        listed[user_id].append(text)
    return counts, listed


def message_id(user_id: int, day: date) -> str:
    """The same Message-ID every time, so a resent reminder is recognisable as the same email."""
    domain = urlsplit(settings.SITE_URL).hostname or "drillquiz.local"
    return f"<review-reminder.{user_id}.{day.isoformat()}@{domain}>"


def send_chunk(pairs: list[Pair], now: datetime | None = None) -> ChunkReport:
    """Send the reminders of one chunk over one SMTP connection, each at most once.

    Raises email.MailServerUnavailable when the server fails: what was sent stays recorded, the
    rest is released for the retry.
    """
    now = now or timezone.now()
    # A user deleted since the fan-out has nothing due, and a claim for them would point nowhere.
    existing = set(User.objects.filter(pk__in=[user_id for user_id, _ in pairs]).values_list("pk", flat=True))
    gone = sum(1 for user_id, _ in pairs if user_id not in existing)
    pairs = [(user_id, day) for user_id, day in pairs if user_id in existing]
    if not pairs:
        return ChunkReport(nothing_due=gone)
    token, mine, held_elsewhere = claim(pairs, now)
    report = ChunkReport(
        held_elsewhere=held_elsewhere, already_done=len(pairs) - len(mine) - held_elsewhere, nothing_due=gone
    )
    claimed = ReviewReminder.objects.filter(claim=token, status=ReviewReminder.Status.SENDING)
    if not mine:
        return report
    counts, listed = due_questions(mine)
    users = User.objects.in_bulk([user_id for user_id, _ in mine])
    to_send = [(u, d) for u, d in mine if counts.get(u) and u in users and users[u].reminders_enabled]
    report.nothing_due += len(mine) - len(to_send)
    messages = [
        email.build(
            recipient(users[u]),
            "review_reminder",
            {"username": users[u].username, "due_count": counts[u], "questions": listed[u]},
            message_id=message_id(u, d),
        )
        for u, d in to_send
    ]
    try:
        result = email.send_all(messages)
    except email.MailServerUnavailable as error:
        record(claimed, to_send, error.report, now)
        claimed.delete()
        raise
    record(claimed, to_send, result, now)
    claimed.delete()  # users with nothing due any more: no reminder, nothing held
    notify_in_app([users[to_send[index][0]] for index in result.sent], counts)
    report.sent, report.refused = len(result.sent), len(result.refused)
    logger.info("review reminders: %s", asdict(report))
    return report


def notify_in_app(users: list[User], counts: dict[int, int]) -> None:
    """The same reminder in the app, in each user's language (one query for all)."""
    notes = []
    for user in users:
        with translation.override(user.language):
            title = ngettext("You have %(count)d review today", "You have %(count)d reviews today", counts[user.pk])
            notes.append(
                Notification(user=user, level=Level.INFO, title=title % {"count": counts[user.pk]}, link="/reviews/")
            )
    notify(notes)


def record(claimed: QuerySet[ReviewReminder], to_send: list[Pair], result: email.SendReport, now: datetime) -> None:
    """Mark what the server accepted as sent and what it refused as refused (two queries)."""
    sent_users = [to_send[index][0] for index in result.sent]
    refused_users = [to_send[index][0] for index in result.refused]
    claimed.filter(user_id__in=sent_users).update(status=ReviewReminder.Status.SENT, sent_at=now)
    claimed.filter(user_id__in=refused_users).update(status=ReviewReminder.Status.REFUSED)
