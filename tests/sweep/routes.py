"""Every route of the site and of Admin, read from the resolver, and a real URL for each from the world."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from quiz.models import Exam
from tests.sweep.world import World


@dataclass(frozen=True)
class Route:
    template: str  # as declared: "notifications/<int:pk>/read"
    name: str  # namespaced: "notifications:read" (the template for an unnamed pattern)
    view: Callable[..., Any]

    @property
    def named(self) -> bool:
        return self.name != self.template


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            template = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or template
            yield Route(template, name, pattern.callback)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def site_routes() -> list[Route]:
    """Every route but Admin's."""
    return [route for route in all_routes() if not route.template.startswith("admin/")]


def admin_routes() -> list[Route]:
    return list(walk(admin.site.get_urls(), "admin/", "admin"))


PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")
ADMIN_CATCH_ALL = "admin/(?P<url>.*)$"


def admin_model(template: str) -> type[Model] | None:
    for model in admin.site._registry:
        if template.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def parameters(route: Route, world: World) -> dict[str, object]:
    """Real values for the route's path parameters: the learner's own rows, or a row Admin shows."""
    model = admin_model(route.template)
    if model is not None:
        pk = world.admin_rows[model].pk
        return {"object_id": pk, "pk": pk, "id": pk}
    by_name: dict[str, dict[str, object]] = {
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(Exam).pk,
            "object_id": world.exam.pk,
        },
        "admin:app_list": {"app_label": "quiz"},
        ADMIN_CATCH_ALL: {"url": "no-such-page/"},
        "accounts:unsubscribe": {
            "token": urlsplit(account_services.unsubscribe_url(world.learner)).path.split("/")[-2]
        },
        "accounts:password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(world.learner.pk)),
            "token": default_token_generator.make_token(world.learner),
        },
        "jobs:status": {"task_id": world.job.task_id},
        "notifications:read": {"pk": world.notification.pk},
        "quiz:exam-detail": {"slug": world.exam.slug},
        "quiz:start": {"slug": world.exam.slug},
        "quiz:take": {"pk": world.open_attempt.pk},
        "quiz:answer": {"pk": world.open_attempt.pk},
        "quiz:flag": {"pk": world.open_attempt.pk},
        "quiz:result": {"pk": world.finished_attempt.pk},
        "quiz:retake": {"pk": world.finished_attempt.pk},
        "quiz:grade-review": {"pk": world.review.pk},
        "quiz:check-review": {"pk": world.review.pk},
    }
    return by_name.get(route.name, {})


def url_of(route: Route, world: World) -> str:
    """The route's URL with real values; fails on a parameter parameters() gives no value."""
    values = parameters(route, world)
    template = route.template.replace("^", "").replace("$", "")
    missing = {m["name"] or m["group"] for m in PARAMETER.finditer(template)} - set(values)
    assert not missing, f"{route.template}: give {missing} a real value in parameters()"
    url = "/" + PARAMETER.sub(lambda m: str(values[m["name"] or m["group"]]), template).replace("\\", "")
    # Admin builds new view functions on each get_urls(): compare the routes, not the functions.
    reached = resolve(url).route.replace("^", "")
    assert reached == route.template.replace("^", ""), f"{url} reaches {reached}, not {route.template}"
    return url
