"""Sign up, log in, profile, language, password reset."""

import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from notifications.models import Level
from notifications.services import notify_users
from tests.factories import PASSWORD, make_user

SIGNUP = {
    "username": "minji",
    "email": "minji@example.com",
    "language": "ko",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def test_signing_up_logs_the_learner_in_in_their_language(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(username="minji")
    assert user.language == "ko"
    assert user.check_password(PASSWORD)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    assert client.get("/reviews/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password2": "something else"}, "The two password fields"),
        ({"language": "xx"}, "Select a valid choice."),
        ({"username": ""}, "This field is required."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons is not a known time zone."),
        ({"time_zone": "Europe/" + "x" * 100}, "Ensure this value has at most 64 characters"),
    ],
)
def test_a_bad_signup_shows_the_field_and_creates_nothing(
    client: Client, db: None, change: dict[str, str], field_error: str
) -> None:
    response = client.post("/accounts/signup/", {**SIGNUP, **change})

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not User.objects.exists()


def test_signing_up_keeps_the_browsers_time_zone_and_the_profile_shows_it(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {**SIGNUP, "time_zone": "America/New_York"})

    assert response.status_code == 302
    assert User.objects.get(username="minji").time_zone == "America/New_York"
    profile = client.get("/accounts/profile/").content.decode()
    assert '<option value="America/New_York" selected>' in profile


def test_a_signup_without_a_time_zone_gets_the_default_one(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    assert User.objects.get(username="minji").time_zone == User._meta.get_field("time_zone").get_default()


def test_the_signup_form_carries_a_hidden_field_for_the_browsers_time_zone(client: Client, db: None) -> None:
    page = client.get("/accounts/signup/").content.decode()

    assert re.search(r'<input type="hidden" name="time_zone"[^>]*data-browser-time-zone', page)


def test_pages_show_times_in_the_learners_own_time_zone(client: Client, db: None) -> None:
    learner = make_user("minji", language="en", time_zone="America/New_York")
    notify_users([learner.pk], Level.INFO, "Hello")
    note = learner.notifications.get()
    client.force_login(learner)

    page = client.get("/notifications/").content.decode()

    local = note.created.astimezone(ZoneInfo("America/New_York"))
    assert f'datetime="{local.isoformat()}"' in page
    assert "ago" in page or "now" in page


def test_an_email_can_have_only_one_account(client: Client, db: None) -> None:
    make_user("first", email="MINJI@example.com")

    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 400
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_logging_in_switches_to_the_profile_language(client: Client, db: None) -> None:
    make_user("minji", language="ko")

    response = client.post("/accounts/login/", {"username": "minji", "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"


def test_the_profile_saves_language_time_zone_and_reminders(client: Client, learner: User) -> None:
    client.force_login(learner)

    response = client.post(
        "/accounts/profile/",
        {"email": "new@example.com", "language": "en", "time_zone": "America/Los_Angeles", "reminder_hour": "7"},
    )

    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.email, learner.time_zone, learner.reminder_hour) == ("new@example.com", "America/Los_Angeles", 7)
    assert learner.reminders_enabled is False  # an unticked checkbox


@pytest.mark.parametrize(
    "change", [{"time_zone": "Mars/Olympus"}, {"reminder_hour": "24"}, {"reminder_hour": "-1"}, {"language": "de"}]
)
def test_a_bad_profile_is_refused_and_nothing_changes(client: Client, learner: User, change: dict[str, str]) -> None:
    client.force_login(learner)
    data = {"email": learner.email, "language": "en", "time_zone": "Asia/Seoul", "reminder_hour": "9"}

    response = client.post("/accounts/profile/", {**data, **change, "reminders_enabled": "on"})

    assert response.status_code == 400
    learner.refresh_from_db()
    assert (learner.time_zone, learner.reminder_hour, learner.language) == ("Asia/Seoul", 9, "ko")


def test_the_language_switcher_remembers_the_choice(client: Client, learner: User) -> None:
    client.force_login(learner)

    response = client.post("/accounts/language/", {"language": "en", "next": "/exams/"})

    assert response.status_code == 302
    assert response["Location"] == "/exams/"
    learner.refresh_from_db()
    assert learner.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_language_switcher_refuses_unknown_languages_and_foreign_redirects(client: Client, db: None) -> None:
    assert client.post("/accounts/language/", {"language": "klingon"}).status_code == 400

    response = client.post("/accounts/language/", {"language": "ko", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_a_password_reset_mails_a_link_that_works(client: Client, learner: User) -> None:
    client.post("/accounts/password-reset/", {"email": learner.email})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form_url = client.get(link.group(1))["Location"]
    response = client.post(
        form_url, {"new_password1": "a fresh long passphrase", "new_password2": "a fresh long passphrase"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("a fresh long passphrase")


def test_a_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client: Client, db: None) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.parametrize("username", ["", "two words", "x" * 151, "\udcff"])
def test_create_local_admin_refuses_a_user_name_that_cannot_be_one(db: None, username: str) -> None:
    with pytest.raises(CommandError, match="username"):
        call_command("create_local_admin", "--username", username, stdout=StringIO())

    assert not User.objects.exists()
