"""The settings: the production overlay's pass Django's deployment checks, and which processes pool connections."""

import secrets
import subprocess
import sys

from tests.deploy.manifests import config_map_data
from tests.processes import ROOT, process_env


def test_the_production_configuration_passes_the_deployment_checks_without_a_warning() -> None:
    # The Secret's values: a random key, and the translator's key.
    env = process_env(
        unset=("SECRET_KEY", "DEBUG"),
        **config_map_data("prod"),
        SECRET_KEY=secrets.token_urlsafe(50),
        TRANSLATION_API_KEY="a-key-no-check-sends",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


POOL_OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('pool'))"


def pool_options_after(entry_point: str) -> str:
    env = process_env(unset=("DATABASE_POOL",))
    command = f"import django, {entry_point}; django.setup(); {POOL_OPTIONS}"
    result = subprocess.run(
        [sys.executable, "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_web_process_pools_its_database_connections_and_a_worker_does_not() -> None:
    assert pool_options_after("drillquiz.asgi") == "{'min_size': 2, 'max_size': 10, 'timeout': 3.0}"
    assert pool_options_after("drillquiz.celery") == "None"
