# Load the Celery app with Django, so shared_task binds to it and the outbox publishes through it in every process.
from drillquiz.celery import app as celery_app

__all__ = ("celery_app",)
