"""The live stream's own way in under uvicorn (drillquiz/asgi.py sends GET /notifications/stream here).

Django's handler runs every request through the whole middleware chain; WhiteNoise there is sync-only,
so a request outside a ThreadSensitiveContext (as a stream must be, or it keeps a thread) holds the
process's one shared sync thread for the whole chain, its session and user lookups included, and the
request signals close that thread's database connection each time. Stream opens then queue one
behind the other, each on a fresh connection. This handler gives the same view the same request,
session and response headers, without the rest: no request signals, no other middleware (it has
nothing to do for a stream), and so one trip to the shared thread, on the connection it keeps.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from importlib import import_module
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

from notifications import views

# The middleware of settings.MIDDLEWARE whose work on a stream is its response headers (and HTTPS).
HEADER_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)

Handler = Callable[[HttpRequest], HttpResponseBase]

# The view's response, for the header middleware to wrap (one per request: each runs in its own task).
RESPONSE: ContextVar[HttpResponseBase] = ContextVar("stream_response")


def header_chain() -> Handler:
    """The header middleware, in settings order, around the view's response (sync, no database)."""
    handler: Handler = lambda request: RESPONSE.get()  # noqa: E731
    for path in reversed([path for path in settings.MIDDLEWARE if path in HEADER_MIDDLEWARE]):
        handler = cast(Handler, convert_exception_to_response(import_string(path)(handler)))
    return handler


class StreamHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.with_headers = header_chain()
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body = await self.read_body(receive)
        except RequestAborted:
            return
        request, error = self.create_request(scope, body)
        if request is None:
            await self.send_response(cast(HttpResponseBase, error), send)
            return
        request.session = self.session_store(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        view = cast(Callable[[HttpRequest], Awaitable[HttpResponseBase]], convert_exception_to_response(views.live))
        RESPONSE.set(await view(request))
        response = self.with_headers(request)
        # The stream ends when the client goes: listen_for_disconnect() raises then.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(self.send_response(response, send)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            body.close()
