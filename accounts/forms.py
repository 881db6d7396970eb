from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from accounts.models import User, validate_time_zone
from drillquiz.languages import language_choices


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(label=_("Email"), help_text=_("For reminders and password resets."))
    # Filled with the browser's zone by static/js/site.js; left empty without JavaScript.
    time_zone = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""})
    )

    class Meta:
        model = User
        fields = ("username", "email", "language")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email

    def clean_time_zone(self) -> str:
        """The browser's IANA time zone, or the default one when the browser sent none."""
        time_zone: str = self.cleaned_data["time_zone"].strip()
        if not time_zone:
            return str(User._meta.get_field("time_zone").get_default())
        validate_time_zone(time_zone)
        return time_zone


class ProfileForm(forms.ModelForm[User]):
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
    language = forms.ChoiceField(choices=language_choices)
    next = forms.CharField(required=False)
