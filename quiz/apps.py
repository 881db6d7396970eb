from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "Quiz"

    def ready(self) -> None:
        # Both import the models, so only once they are loaded.
        from quiz import (
            signals,  # noqa: F401 - connects the receivers
            translatable,
        )

        translatable.register()  # what of an exam translations may write
