from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from drillquiz.http import AuthenticatedRequest
from notifications import services, stream
from notifications.models import Notification

MAX_ID_DIGITS = 19  # a bigint; a longer "id" is no notification's


def last_event_id(request: HttpRequest) -> int:
    """Where a stream starts: the browser's Last-Event-ID on a reconnect, else the page's ?since=."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since") or "0"
    # Only a plain id counts: "²" passes str.isdigit() and fails int(), as do 5000 digits.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS else 0


@require_GET
async def live(request: HttpRequest) -> HttpResponseBase:
    """Server-Sent Events of the logged-in user's new notifications (served by notifications/asgi.py
    under uvicorn, by Django's handler elsewhere)."""
    events = await stream.open_stream(request, last_event_id(request))
    if events is None:
        return JsonResponse({"error": "Log in to receive notifications."}, status=401)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass events through as they come
    return response


@login_required
def notification_list(request: AuthenticatedRequest[AbstractBaseUser]) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user_id=request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
@login_required
def mark_read(request: AuthenticatedRequest[AbstractBaseUser], pk: int) -> HttpResponse:
    if not Notification.objects.filter(pk=pk, user_id=request.user.pk).exists():
        return JsonResponse({"error": "No such notification."}, status=404)
    services.mark_read(request.user.pk, pk)
    return respond_marked(request)


@require_POST
@login_required
def mark_all_read(request: AuthenticatedRequest[AbstractBaseUser]) -> HttpResponse:
    services.mark_read(request.user.pk)
    return respond_marked(request)


def respond_marked(request: AuthenticatedRequest[AbstractBaseUser]) -> HttpResponse:
    """JSON for the page's script, a redirect back to the list for a plain form."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"unread": services.unread(request.user.pk).count()})
    return redirect("notifications:list")
