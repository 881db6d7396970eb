from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "Quiz"

    def ready(self) -> None:
        from quiz import signals  # noqa: F401 - connects the receivers, once the models are loaded
