from django.urls import path

from quiz import views

app_name = "quiz"
urlpatterns = [
    path("", views.home, name="home"),
    path("exams/", views.exam_list, name="exam-list"),
    path("exams/<slug:slug>/", views.exam_detail, name="exam-detail"),
    path("exams/<slug:slug>/start/", views.start_exam, name="start"),
    path("attempts/", views.attempt_history, name="history"),
    path("attempts/<int:pk>/", views.take_attempt, name="take"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="result"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/settings/", views.study_settings, name="study-settings"),
    path("reviews/<int:pk>/check/", views.check_review, name="check-review"),
    path("reviews/<int:pk>/", views.grade_review, name="grade-review"),
]
