from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("language", "time_zone", "reminder_hour", "reminders_enabled")}),
    )
    list_display = ("username", "email", "language", "time_zone", "is_staff")
    list_filter = (*BaseUserAdmin.list_filter, "language")
