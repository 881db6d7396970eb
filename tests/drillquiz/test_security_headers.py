"""Every page answers with a strict Content-Security-Policy and the other browser security headers, and
holds no inline script, style or event handler that the policy would block (the browser tests in
tests/browser/test_content_security_policy.py check the same pages for violations in Chromium).

The pages are found by walking the resolver with the sweeps' world (tests/sweep: one real row of every
model Admin shows), so a new page or Admin model is covered without editing this file.
"""

from html.parser import HTMLParser

import pytest
from asgiref.sync import async_to_sync
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client

from accounts.models import User
from tests.sweep.routes import admin_routes, all_routes, url_of
from tests.sweep.world import World

# The stream never ends: it is opened and closed unread, below.
STREAM = "notifications:stream"


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' blocks: <script> without src (data blocks such as
    json_script's application/json are not run and are fine), <style>, style="" and on*="" attributes,
    and javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("type") not in {"application/json"}:
            self.found.append(f"<script> without src: {self.getpos()}")
        if tag == "style":
            self.found.append(f"<style>: {self.getpos()}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            script_url = name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:")
            if script_url:
                self.found.append(f'<{tag} {name}="{value}">')


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def header_problems(response: HttpResponseBase) -> list[str]:
    problems = []
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    if directives.get("script-src") != ["'self'"] or directives.get("style-src") != ["'self'"]:
        problems.append(f"Content-Security-Policy {policy!r}")
    if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy or "Content-Security-Policy-Report-Only" in response:
        problems.append(f"Content-Security-Policy {policy!r}")
    expected = {"Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}
    for name, value in expected.items():
        if response.headers.get(name) != value:
            problems.append(f"{name} {response.headers.get(name)!r}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy {response.headers.get('Permissions-Policy')!r}")
    return problems


def is_html(response: HttpResponseBase) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/html")


def page_problems(client: Client, url: str) -> list[str]:
    response = client.get(url)
    problems = header_problems(response)
    if is_html(response):
        problems += inline_code(response.content.decode())
    return [f"GET {url} ({response.status_code}): {problem}" for problem in problems]


def test_the_policy_is_strict() -> None:
    policy = Client().get("/accounts/login/").headers["Content-Security-Policy"]

    assert sorted(part.strip() for part in policy.split(";")) == [
        "base-uri 'self'",
        "connect-src 'self'",
        "default-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' https:",  # images by https URL in questions (quiz/rich_text.py)
        "object-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ]


def test_every_page_seen_by_a_stranger_carries_the_headers_and_no_inline_code(client: Client, world: World) -> None:
    routes = [route for route in all_routes() if route.name != STREAM]

    problems = [problem for route in routes for problem in page_problems(client, url_of(route, world))]
    problems += page_problems(client, "/no-such-page/")

    assert problems == [], "\n".join(problems)


def test_every_page_seen_by_its_learner_and_admin_page_by_a_superuser_carries_the_headers_and_no_inline_code(
    client: Client, world: World
) -> None:
    assert world.staff is not None
    problems, html_pages = [], 0
    for route in all_routes():
        if route.name == STREAM:
            continue
        # Logged in again each time: a logout page on the way must not leave the rest anonymous.
        client.force_login(world.staff if route.template.startswith("admin/") else world.learner)
        url = url_of(route, world)
        problems += page_problems(client, url)
        html_pages += is_html(client.get(url))

    assert problems == [], "\n".join(problems)
    assert html_pages > 80  # the pages of ours and every Admin list, form, history and delete page


def test_admin_add_pages_and_the_question_form_with_its_inline_carry_no_inline_code(
    client: Client, world: World
) -> None:
    assert world.staff is not None
    client.force_login(world.staff)
    question = world.exam.questions.first()
    assert question is not None
    pages = ["/admin/quiz/exam/add/", f"/admin/quiz/exam/{world.exam.pk}/change/", "/admin/quiz/exam/import/"]
    pages.append(f"/admin/quiz/question/{question.pk}/change/")
    pages += [url_of(route, world) for route in admin_routes() if route.name.endswith("_add")]

    problems = [problem for url in pages for problem in page_problems(client, url)]

    assert problems == [], "\n".join(problems)
    question_form = client.get(f"/admin/quiz/question/{question.pk}/change/").content.decode()
    assert 'id="choices-group"' in question_form  # the inline is on the page that was checked


async def open_stream(user: User) -> HttpResponseBase:
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/notifications/stream")
    if isinstance(response, StreamingHttpResponse):
        await response.streaming_content.aclose()
    return response


@pytest.mark.django_db(transaction=True)
def test_the_live_stream_carries_the_headers(world: World) -> None:
    response = async_to_sync(open_stream)(world.learner)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert header_problems(response) == []
