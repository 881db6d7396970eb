"""The welcome email after signup, in the learner's language, once; unsubscribing without logging in."""

import time

import pytest
from django.core import signing
from django.test import Client

from accounts import services
from accounts.models import User
from accounts.tasks import send_welcome_email
from drillquiz.payloads import UserId
from notifications import email
from tests.conftest import Inbox, MailServer
from tests.factories import PASSWORD, make_user
from tests.processes import wait_until


def test_signup_sends_the_welcome_email_in_the_learners_language(
    client: Client, inbox: Inbox, celery_worker: object
) -> None:
    client.post(
        "/accounts/signup/",
        {
            "username": "minji",
            "email": "minji@example.com",
            "language": "ko",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    wait_until(lambda: len(inbox.messages) == 1, 20, "the welcome email")
    message = inbox.messages[0]
    assert message["To"] == "minji@example.com"
    assert message["Subject"] == "DrillQuiz에 오신 것을 환영합니다"
    text, html = Inbox.body(message), Inbox.body(message, "html")
    assert "minji 님, 안녕하세요." in text
    assert "<p>minji 님, 안녕하세요.</p>" in html
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")  # long headers come folded
    token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
    assert services.user_from_unsubscribe_token(token).username == "minji"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text


def test_the_welcome_task_run_twice_sends_one_email(inbox: Inbox, learner: User) -> None:
    assert send_welcome_email(UserId(learner.pk)) == "sent"
    assert send_welcome_email(UserId(learner.pk)) == "already sent"

    assert len(inbox.messages) == 1


def test_a_welcome_email_that_could_not_be_sent_is_sent_by_the_retry(smtp_server: MailServer, learner: User) -> None:
    smtp_server.stop()

    with pytest.raises(email.MailServerUnavailable):
        services.send_welcome_email(learner.pk)
    smtp_server.start()
    assert services.send_welcome_email(learner.pk) is True

    assert len(smtp_server.inbox.messages) == 1


def test_the_welcome_task_refuses_bad_arguments_at_once(db: None) -> None:
    with pytest.raises(ValueError, match="UserId: value: expected an integer"):
        send_welcome_email.apply(args=("1; drop table",)).get()
    with pytest.raises(ValueError, match="no user 424242"):
        send_welcome_email.apply(args=(424242,)).get()


def test_the_unsubscribe_link_asks_first_then_turns_reminders_off(client: Client, learner: User) -> None:
    path = services.unsubscribe_url(learner).removeprefix("http://127.0.0.1:8000")

    page = client.get(path)
    learner.refresh_from_db()
    assert page.status_code == 200
    assert learner.reminders_enabled is True

    done = client.post(path)

    learner.refresh_from_db()
    assert done.status_code == 200
    assert "you will get no more review reminders" in done.content.decode()
    assert learner.reminders_enabled is False


def test_a_tampered_unsubscribe_link_changes_nothing(client: Client, learner: User) -> None:
    other = make_user("other")
    token = services.unsubscribe_url(learner).rstrip("/").rsplit("/", 1)[1]
    tampered = signing.dumps(other.pk, salt="another-salt")

    for bad in (token[:-2] + "xx", tampered, "garbage"):
        response = client.post(f"/accounts/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid. Nothing was changed." in response.content.decode()
    assert User.objects.filter(reminders_enabled=False).count() == 0


def test_an_expired_unsubscribe_link_says_so(client: Client, learner: User) -> None:
    class LongAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - services.UNSUBSCRIBE_MAX_AGE - 60)

    token = LongAgo(salt=services.UNSUBSCRIBE_SALT).sign_object(learner.pk)

    response = client.post(f"/accounts/unsubscribe/{token}/")

    assert response.status_code == 400
    assert "This unsubscribe link has expired." in response.content.decode()
    learner.refresh_from_db()
    assert learner.reminders_enabled is True
