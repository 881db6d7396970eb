"""The site's ASGI application with one more page, /bench/trivial/, for bench/pages.py: a view that reads
request.user and answers a line of text through the same middleware, the ceiling any page of the site
can reach on the same stack."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from drillquiz.asgi import application
from drillquiz.urls import urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"user {request.user.pk}", content_type="text/plain")


urlpatterns.append(path("bench/trivial/", trivial))

__all__ = ["application"]
