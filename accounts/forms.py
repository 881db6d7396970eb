from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from accounts.models import User


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class SignupForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), help_text=_("For reminders and password resets."))

    class Meta:
        model = User
        fields = ("username", "email", "language")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    reminder_hour = forms.TypedChoiceField(
        label=_("Reminder hour"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=_("Local time at which the daily review reminder is sent."),
    )

    class Meta:
        model = User
        fields = ("email", "language", "time_zone", "reminder_hour", "reminders_enabled")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=lambda: settings.LANGUAGES)
    next = forms.CharField(required=False)
