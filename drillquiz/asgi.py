"""ASGI entry point: the web process runs under uvicorn, so streams need no thread each."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drillquiz.settings")

application = get_asgi_application()
