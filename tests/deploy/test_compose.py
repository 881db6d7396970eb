"""docker-compose.yml: a valid Compose file running the one DrillQuiz image, in order of health."""

import re
import subprocess
import sys
from pathlib import Path

from tests.deploy.manifests import THIRD_PARTY_SERVICES, compose, compose_app_services
from tests.processes import ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    result = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_drillquiz_service_runs_the_one_image_built_once() -> None:
    services = compose_app_services()

    images = {service["image"] for service in services.values()}
    built_by = [name for name, service in services.items() if "build" in service]

    assert len(images) == 1, images
    assert built_by == ["migrate"]
    assert set(services) == {"migrate", "web", "worker", "worker-backups", "beat", "flower", "metrics"}


def test_the_other_services_run_pinned_images() -> None:
    services = compose()["services"]

    for name in THIRD_PARTY_SERVICES:
        image = services[name]["image"]
        assert re.search(r":v?\d+\.\d+", image), f"{name}: pin {image} to a version"


def test_drillquiz_starts_after_the_database_and_redis_are_healthy_and_migrations_ran() -> None:
    services = compose_app_services()

    migrate = services.pop("migrate")
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    for name, service in services.items():
        conditions = {dependency: rule["condition"] for dependency, rule in service["depends_on"].items()}
        assert conditions["postgres"] == "service_healthy", name
        assert conditions["redis"] == "service_healthy", name
        assert conditions["migrate"] == "service_completed_successfully", name


def test_postgres_and_redis_keep_their_data_and_report_their_health() -> None:
    services = compose()["services"]

    for name in ("postgres", "redis"):
        assert services[name]["volumes"], name
        assert services[name]["healthcheck"]["test"], name
    redis_command = " ".join(services["redis"]["command"])
    assert "--requirepass" in redis_command
    assert "--appendonly yes" in redis_command


def test_the_backups_worker_takes_one_backup_at_a_time_into_the_backup_volume() -> None:
    worker = compose_app_services()["worker-backups"]

    command = worker["command"]
    assert command[command.index("--queues") + 1] == "backups"
    assert command[command.index("--concurrency") + 1] == "1"
    assert f"backups:{worker['environment']['BACKUP_DIR']}" in worker["volumes"]


def test_flower_has_no_default_login() -> None:
    flower = compose_app_services()["flower"]

    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")


def test_the_env_example_names_every_required_variable_with_placeholders_only() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if line and line[0] != "#"
    )

    assert required <= set(example), f"missing from .env.example: {required - set(example)}"
    for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "FLOWER_BASIC_AUTH", "SECRET_KEY"):
        assert "change-me" in example[name], f"{name} in .env.example must be a change-me placeholder"
