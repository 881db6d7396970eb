"""The site's URLs plus one view that fails with a secret in hand, for the error-page test."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def fails_holding_the_broker_url(request: HttpRequest) -> HttpResponse:
    broker_url = settings.CELERY_BROKER_URL  # a local variable of the failing frame, as a real one would be
    raise ConnectionRefusedError(f"the broker did not answer ({len(broker_url)} characters of URL)")


urlpatterns = [path("fails/", fails_holding_the_broker_url), path("", include("drillquiz.urls"))]
