"""Settings come from the environment; production refuses to start half-configured."""

import secrets
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT, process_env

# A real provider, as production needs one (its key is never used by these commands).
TRANSLATION = {"TRANSLATION_PROVIDER": "deepl", "TRANSLATION_API_KEY": "deepl-key-for-the-checks"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(unset=("SECRET_KEY", "DEBUG"), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_stops_with_one_line() -> None:
    result = manage("check", DJANGO_ENV="production")

    assert result.returncode == 1
    assert result.stderr == "error: SECRET_KEY (or SECRET_KEY_FILE) must be set when DJANGO_ENV=production.\n"


def test_production_reads_the_secret_key_from_a_mounted_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(secrets.token_urlsafe(50))

    result = manage(
        "check",
        "--deploy",
        DJANGO_ENV="production",
        SECRET_KEY_FILE=str(secret_file),
        ALLOWED_HOSTS="drillquiz.example",
        **TRANSLATION,
    )

    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_name_stops_with_one_line() -> None:
    result = manage("check", DJANGO_ENV="staging")

    assert result.returncode == 1
    assert result.stderr == "error: DJANGO_ENV must be 'development' or 'production', not 'staging'.\n"


def test_production_settings_pass_the_deployment_checks_without_a_warning() -> None:
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="drillquiz.example",
        **TRANSLATION,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


def test_production_refuses_the_pseudo_translator_with_one_line() -> None:
    result = manage("check", DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode == 1
    assert result.stderr == (
        "error: TRANSLATION_PROVIDER must be libretranslate, deepl or openai when DJANGO_ENV=production "
        "(pseudo is labelled test text).\n"
    )


def test_production_refuses_a_translation_provider_without_its_key() -> None:
    result = manage(
        "check", DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(50), TRANSLATION_PROVIDER="deepl"
    )

    assert result.returncode == 1
    assert result.stderr == (
        "error: TRANSLATION_API_KEY (or TRANSLATION_API_KEY_FILE) must be set for deepl when DJANGO_ENV=production.\n"
    )


def test_no_password_hash_slots_stops_with_one_line() -> None:
    result = manage("check", PASSWORD_HASHES_AT_ONCE="0")

    assert result.returncode == 1
    assert result.stderr == "error: PASSWORD_HASHES_AT_ONCE must be 1 or more, not 0.\n"


def test_a_cache_timeout_of_zero_stops_with_one_line() -> None:
    result = manage("check", CACHE_URL="redis://127.0.0.1:6379/1", CACHE_SOCKET_TIMEOUT_SECONDS="0")

    assert result.returncode == 1
    assert result.stderr == "error: CACHE_SOCKET_TIMEOUT_SECONDS must be more than 0, not 0.\n"
