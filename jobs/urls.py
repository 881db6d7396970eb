from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("ping/", views.start_ping, name="start-ping"),
    path("<uuid:task_id>/", views.status, name="status"),
]
