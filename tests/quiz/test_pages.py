"""Browsing: the exam list searches, filters by tag and pages; drafts stay hidden."""

import pytest
from django.test import Client

from quiz.models import Tag
from tests.factories import make_exam


@pytest.fixture
def catalogue(db: None) -> None:
    python, k8s = Tag.objects.create(name="Python", slug="python"), Tag.objects.create(name="K8s", slug="k8s")
    make_exam("generators", title="Python generators", description="yield and iterators").tags.add(python)
    make_exam("pods", title="Kubernetes pods", description="containers together").tags.add(k8s)
    make_exam("secret-draft", title="Python draft", published=False).tags.add(python)


def titles(client: Client, query: str) -> list[str]:
    response = client.get(f"/exams/{query}")
    assert response.status_code == 200
    return [exam.title for exam in response.context["page"]]


def test_the_list_shows_published_exams_only(client: Client, catalogue: None) -> None:
    assert titles(client, "") == ["Kubernetes pods", "Python generators"]


def test_search_matches_title_and_description(client: Client, catalogue: None) -> None:
    assert titles(client, "?q=python") == ["Python generators"]
    assert titles(client, "?q=containers") == ["Kubernetes pods"]
    assert titles(client, "?q=nothing-like-this") == []


def test_a_tag_filters_the_list(client: Client, catalogue: None) -> None:
    assert titles(client, "?tag=k8s") == ["Kubernetes pods"]
    assert titles(client, "?tag=unknown") == []


def test_the_list_pages_by_ten(client: Client, db: None) -> None:
    for number in range(12):
        make_exam(f"exam-{number:02d}", questions=1, title=f"Exam {number:02d}")

    assert len(titles(client, "")) == 10
    assert titles(client, "?page=2") == ["Exam 10", "Exam 11"]
    assert titles(client, "?page=99") == ["Exam 10", "Exam 11"]
    assert len(titles(client, "?page=abc")) == 10


def test_the_home_page_and_a_detail_page_answer(client: Client, catalogue: None) -> None:
    assert "Python generators" in client.get("/").content.decode()
    page = client.get("/exams/generators/").content.decode()
    assert "yield and iterators" in page
    assert "Log in to take this exam." in page


def test_korean_ui_text_comes_from_the_catalogue(client: Client, catalogue: None) -> None:
    page = client.get("/exams/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "시험" in page
    assert 'lang="ko"' in page


def test_a_search_with_nul_searches_without_it(client: Client, catalogue: None) -> None:
    assert titles(client, "?q=gener%00ators&tag=%00") == ["Python generators"]
