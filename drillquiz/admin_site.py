"""The admin site, with one rule for every admin page: query parameters a filter or search can use.

A list's filters and search go straight into SQL: a NUL made PostgreSQL raise DataError (a 500),
and a search of 60 KB splits into thousands of LIKE terms. A page given either answers 400.
Also the base for admins of records (task results, outbox rows, backups): shown, never typed in.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBadRequest, QueryDict
from django.http.response import HttpResponseBase

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
RecordT = TypeVar("RecordT", bound=Model)

# Far above any filter value or search an admin types, far below what makes a slow query.
QUERY_VALUE_MAX_LENGTH = 1000


def query_problem(query: QueryDict) -> str:
    """Why no admin page can use these query parameters, or "" when they are fine."""
    for key, values in query.lists():
        for text in (key, *values):
            if "\x00" in text:
                return "Query parameters may not contain NUL characters."
            if len(text) > QUERY_VALUE_MAX_LENGTH:
                return f"A query parameter may be at most {QUERY_VALUE_MAX_LENGTH} characters long."
    return ""


class AdminSite(admin.AdminSite):
    # Django's app list beside every page took 300 px of a 1280 px window and cut off the lists' columns;
    # the home page and the breadcrumbs lead everywhere it did.
    enable_nav_sidebar = False

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if problem := query_problem(request.GET):
                return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
            return view(request, *args, **kwargs)

        return super().admin_view(cast(View, checked), cacheable)


class AdminConfig(BaseAdminConfig):
    """Stands for django.contrib.admin in INSTALLED_APPS, so admin.site is the AdminSite above."""

    default_site = "drillquiz.admin_site.AdminSite"


class RecordAdmin(admin.ModelAdmin[RecordT]):
    """A record that the system writes (a task result, an outbox row): shown, never added or edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RecordT | None = None) -> bool:
        return False
