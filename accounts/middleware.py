from collections.abc import Awaitable, Callable
from typing import cast
from zoneinfo import ZoneInfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone


class UserTimeZoneMiddleware:
    """Show dates and times in the logged-in learner's own time zone (settings.TIME_ZONE otherwise).

    Sync and async, so that the asynchronous notification stream keeps its worker-free path.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        activate_for(request.user.time_zone if request.user.is_authenticated else None)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        user = await request.auser()
        activate_for(user.time_zone if user.is_authenticated else None)
        return await cast(Awaitable[HttpResponseBase], self.get_response(request))


def activate_for(time_zone: str | None) -> None:
    if time_zone:
        timezone.activate(ZoneInfo(time_zone))
    else:
        timezone.deactivate()
