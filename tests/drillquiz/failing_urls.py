"""A URL configuration with one view that fails, for the error-report test only."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"boom while calling {settings.SLACK_WEBHOOK_URL}")


urlpatterns = [path("boom/", boom)]
