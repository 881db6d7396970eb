import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from backup import services
from backup.models import Backup
from drillquiz import humanize
from drillquiz.admin_site import RecordAdmin
from jobs.services import enqueue


@admin.register(Backup)
class BackupAdmin(RecordAdmin[Backup]):
    """Backups are made by the task and pruned by retention: Admin lists, shows and downloads them."""

    list_display = (
        "started_shown",
        "trigger",
        "status",
        "file_name",
        "size_shown",
        "duration_shown",
        "verified",
        "drill_shown",
    )
    list_filter = ("status", "trigger", "engine")
    search_fields = ("file_name", "task_id", "error")
    change_list_template = "admin/backup/backup/change_list.html"
    # Every time, size and duration through drillquiz.humanize, as in the list; the rest as stored.
    fields = (
        "trigger",
        "status",
        "task_id",
        "attempts",
        "started_shown",
        "finished_shown",
        "duration_shown",
        "engine",
        "server_version",
        "download",
        "size_shown",
        "sha256",
        "verified",
        "verification",
        "row_counts",
        "error",
        "drilled_shown",
        "drill_ok",
        "drill_report",
        "updated_shown",
    )
    readonly_fields = (
        "started_shown",
        "finished_shown",
        "duration_shown",
        "download",
        "size_shown",
        "drilled_shown",
        "updated_shown",
    )

    def get_urls(self) -> list[URLPattern]:
        return [
            path("now/", self.admin_site.admin_view(require_POST(self.back_up_now)), name="backup_backup_now"),
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view), name="backup_backup_download"),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # file and record go together, through retention (prune_backups)

    def can_back_up(self, request: HttpRequest) -> bool:
        return request.user.has_perm("backup.add_backup")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        extra = {**(extra_context or {}), "can_back_up": self.can_back_up(request)}
        return super().changelist_view(request, extra)  # type: ignore[return-value]

    def back_up_now(self, request: HttpRequest) -> HttpResponse:
        """Enqueue a backup and answer at once with its task id (the result arrives in Slack and the app)."""
        if not self.can_back_up(request):
            return HttpResponse(status=403)
        task_id = str(uuid.uuid4())
        enqueue("backup.tasks.backup_database", Backup.Trigger.ADMIN, task_id=task_id)
        self.message_user(request, _("Backup started: task %(id)s.") % {"id": task_id}, messages.SUCCESS)
        return redirect("admin:backup_backup_changelist")

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        backup = get_object_or_404(Backup, pk=pk, status=Backup.Status.SUCCEEDED)
        if not self.has_view_permission(request, backup):
            return HttpResponse(status=403)
        path = services.path_of(backup)
        if not path.is_file():
            raise Http404("The backup file is missing.")
        return FileResponse(path.open("rb"), as_attachment=True, filename=backup.file_name)

    @admin.display(description=_("started"), ordering="started")
    def started_shown(self, backup: Backup) -> str:
        return humanize.moment(backup.started)

    @admin.display(description=_("finished"))
    def finished_shown(self, backup: Backup) -> str:
        return humanize.moment(backup.finished)

    @admin.display(description=_("duration"))
    def duration_shown(self, backup: Backup) -> str:
        return humanize.duration(backup.duration)

    @admin.display(description=_("size"), ordering="size")
    def size_shown(self, backup: Backup) -> str:
        return humanize.size(backup.size)

    @admin.display(description=_("last restore drill"))
    def drilled_shown(self, backup: Backup) -> str:
        return humanize.moment(backup.drilled)

    @admin.display(boolean=True, description=_("drill"), ordering="drill_ok")
    def drill_shown(self, backup: Backup) -> bool | None:
        """Whether the last restore drill of this file matched its row counts (a short header: lists fit)."""
        return backup.drill_ok

    @admin.display(description=_("updated"))
    def updated_shown(self, backup: Backup) -> str:
        return humanize.moment(backup.updated)

    @admin.display(description=_("file"))
    def download(self, backup: Backup) -> str:
        if backup.status != Backup.Status.SUCCEEDED:
            return "-"
        url = reverse("admin:backup_backup_download", args=[backup.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download %(name)s") % {"name": backup.file_name})
