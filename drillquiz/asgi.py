"""ASGI entry point: the web process runs under uvicorn, so an open event stream is a coroutine,
not a thread."""

import os
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from drillquiz.metrics import serve_web_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drillquiz.settings")
# The web process pools its database connections (settings.DATABASES says why). Workers keep one connection
# each instead (WORKER_DATABASE_CONN_MAX_AGE): a pool's threads do not survive the prefork pool's fork.
os.environ.setdefault("DATABASE_POOL", "on")

# Responses that stay open for hours.
LONG_LIVED_PATHS = frozenset({"/notifications/stream"})


class StreamFriendlyASGIHandler(ASGIHandler):
    """Django's ASGI handler, except that a long-lived stream keeps no thread of its own.

    Django runs each request in a ThreadSensitiveContext: the request's sync parts (middleware,
    the session and user lookups) run in a thread made for it and kept until the response ends,
    which for an event stream is one idle thread (and its database connection) per open page.
    Outside that context the same sync parts run briefly on the process's one shared sync thread;
    notifications/asgi.py's handler keeps them to one trip there (it says why).

    Every other request runs the whole middleware chain and its view in one thread hop: in async mode
    WhiteNoise (sync only) makes Django hop between the event loop and a thread at each middleware.
    """

    def __init__(self) -> None:
        from notifications.asgi import StreamHandler  # after django.setup()

        super().__init__()
        self.streams = StreamHandler()
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.sync_handler.get_response)(request)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in LONG_LIVED_PATHS:
            await self.streams.handle(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


django.setup(set_prefix=False)
serve_web_metrics()
application = StreamFriendlyASGIHandler()
