from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import services
from accounts.models import Lockout, User
from drillquiz.admin_site import RecordAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("language", "time_zone", "reminder_hour", "reminders_enabled")}),
    )
    list_display = ("username", "email", "language", "time_zone", "is_staff")
    list_filter = (*BaseUserAdmin.list_filter, "language")


class ActiveLockoutFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: "admin.ModelAdmin[Lockout]") -> list[tuple[str, str]]:
        return [("active", "locked out now"), ("ended", "ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> QuerySet[Lockout]:
        if self.value() == "active":
            return queryset.filter(locked_until__gt=timezone.now())
        if self.value() == "ended":
            return queryset.filter(locked_until__lte=timezone.now())
        return queryset


@admin.register(Lockout)
class LockoutAdmin(RecordAdmin[Lockout]):
    """Usernames and addresses locked out after repeated failed logins; clearing one lets it log in again.

    Axes records a lockout when it starts one, never by hand.
    """

    list_display = ("username", "ip_address", "path", "locked_at", "locked_until", "active")
    list_filter = (ActiveLockoutFilter, "path")
    search_fields = ("username", "ip_address")
    actions = ["clear"]

    @admin.display(boolean=True, description="locked out now")
    def active(self, lockout: Lockout) -> bool:
        return lockout.is_active

    @admin.action(description="Clear the selected lockouts (they may log in again at once)", permissions=["delete"])
    def clear(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> None:
        count = services.clear_lockouts(queryset)
        self.message_user(request, f"{count} lockout(s) cleared.", messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Lockout) -> None:
        # Deleting the record alone would leave the cache entry that refuses the login.
        services.clear_lockouts([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> None:
        services.clear_lockouts(queryset)
