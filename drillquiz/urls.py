from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # Translations were the quiz app's until they became an app of their own: the filtered lists
    # editors saved still open.
    path(
        "admin/quiz/translation/",
        RedirectView.as_view(url="/admin/translations/translation/", query_string=True, permanent=True),
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("jobs/", include("jobs.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("quiz.urls")),
]
