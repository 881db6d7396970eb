from django.urls import path

from quiz import attempt_views, views

app_name = "quiz"
urlpatterns = [
    path("", views.home, name="home"),
    path("exams/", views.exam_list, name="exam-list"),
    path("exams/<slug:slug>/", attempt_views.exam_detail, name="exam-detail"),
    path("exams/<slug:slug>/start/", attempt_views.start_exam, name="start"),
    path("attempts/", views.attempt_history, name="history"),
    path("progress/", views.progress_page, name="progress"),
    path("attempts/<int:pk>/", attempt_views.take_attempt, name="take"),
    path("attempts/<int:pk>/answer/", attempt_views.answer_question, name="answer"),
    path("attempts/<int:pk>/flag/", attempt_views.flag_question, name="flag"),
    path("attempts/<int:pk>/result/", attempt_views.attempt_result, name="result"),
    path("attempts/<int:pk>/retake/", attempt_views.retake_missed, name="retake"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/settings/", views.study_settings, name="study-settings"),
    path("reviews/<int:pk>/check/", views.check_review, name="check-review"),
    path("reviews/<int:pk>/", views.grade_review, name="grade-review"),
]
