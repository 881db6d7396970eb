from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import limits, services
from accounts.forms import LanguageForm, ProfileForm, SignupForm
from accounts.models import User
from drillquiz.http import AuthenticatedRequest


def with_language(response: HttpResponse, language: str) -> HttpResponse:
    """Remember the display language in the cookie LocaleMiddleware reads."""
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        user = services.register_user(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        # Named, as more than one backend is configured; the new account's password was just set.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to DrillQuiz!"))
        return with_language(redirect("quiz:exam-list"), user.language)
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.is_bound else 200)


class LoginView(auth_views.LoginView):
    """Log in, and switch the site to the language the learner chose in their profile."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        return with_language(super().form_valid(form), form.get_user().language)


def locked_out(request: HttpRequest, original_response: object = None, credentials: object = None) -> HttpResponse:
    """The page axes answers a locked-out login with (the site's and Admin's), 429 Too Many Requests.

    Axes' middleware passes different arguments on its sync and async paths, so neither is relied on.
    Every attempt during a lockout restarts the cool-off, so the whole cool-off is what is left.
    """
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    wait = ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    return render(request, "accounts/locked_out.html", {"wait": wait}, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, refused with 429 and sending nothing when asked too often."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if limits.password_reset_limited(self.request, form.cleaned_data["email"]):
            form.add_error(None, _("Too many password reset requests. Please try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@login_required
def profile(request: AuthenticatedRequest[User]) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Profile saved."))
        return with_language(redirect("accounts:profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.is_bound else 200)


@csrf_exempt  # the signed token is the credential; mail clients POST here for one-click unsubscribe
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST turns reminders off."""
    try:
        user = services.user_from_unsubscribe_token(token)
    except signing.SignatureExpired:
        return render(request, "accounts/unsubscribe.html", {"problem": "expired"}, status=400)
    except signing.BadSignature:
        return render(request, "accounts/unsubscribe.html", {"problem": "invalid"}, status=400)
    if request.method == "POST":
        services.turn_off_reminders(user)
        return render(request, "accounts/unsubscribe.html", {"done": True})
    return render(request, "accounts/unsubscribe.html", {"subscriber": user})


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown language."))
    language = form.cleaned_data["language"]
    next_url = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return with_language(HttpResponseRedirect(next_url), language)
