from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from drillquiz.http import AuthenticatedRequest
from jobs import services
from jobs.models import TrackedJob

View = Callable[..., HttpResponse]


def json_login_required(view: View) -> View:
    """Like login_required, but an API answers 401 JSON instead of redirecting."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Log in to use this endpoint."}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


def json_methods(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but an API answers 405 in JSON, saying which methods it takes."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method not in methods:
                response = JsonResponse({"error": f"Use {' or '.join(methods)} here."}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def accepted(job: TrackedJob) -> JsonResponse:
    """The 202 answer for a started job: its id and where to poll its state."""
    status_url = reverse("jobs:status", args=[job.task_id])
    return JsonResponse({"task_id": str(job.task_id), "status_url": status_url}, status=202)


@json_methods("POST")
@json_login_required
def start_ping(request: AuthenticatedRequest[AbstractBaseUser]) -> HttpResponse:
    return accepted(services.start_job(request.user, "jobs.tasks.ping"))


@json_methods("GET")
@json_login_required
def status(request: AuthenticatedRequest[AbstractBaseUser], task_id: UUID) -> HttpResponse:
    job = TrackedJob.objects.filter(task_id=task_id, user_id=request.user.pk).first()
    if job is None:
        return JsonResponse({"error": "No such job."}, status=404)
    return JsonResponse(services.job_state(job))
