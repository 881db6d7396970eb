"""The production overlay's settings pass Django's deployment checks."""

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
