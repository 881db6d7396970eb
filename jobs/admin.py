from django.contrib import admin

from jobs.models import TrackedJob


@admin.register(TrackedJob)
class TrackedJobAdmin(admin.ModelAdmin):
    list_display = ("task_id", "task_name", "user", "created")
    list_filter = ("task_name",)
    search_fields = ("task_id", "user__username")
    readonly_fields = ("task_id", "task_name", "user", "created")
