"""The image: a pinned slim Python, the backup tools, built static files and catalogues, a non-root user."""

import re

from tests.deploy.manifests import dockerfile_instruction, image_env, image_user
from tests.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_base_image_is_a_pinned_slim_python_311_on_bookworm() -> None:
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm$", DOCKERFILE, re.MULTILINE)
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]


def test_the_image_has_pg_dump_of_the_servers_major_version_zstd_and_setpriv() -> None:
    pg_bin = image_env()["BACKUP_PG_BIN_DIR"]

    assert re.search(r"apt-get install .*postgresql-client-15 .*zstd", DOCKERFILE)
    assert pg_bin == "/usr/lib/postgresql/15/bin"
    assert f"{pg_bin}/pg_dump --version | grep -q ' 15\\.'" in DOCKERFILE
    assert "setpriv --version" in DOCKERFILE


def test_static_files_and_catalogues_are_built_with_production_settings() -> None:
    build_step = re.search(r"DJANGO_ENV=production (?:.*\n){1,2}.*manage\.py collectstatic --noinput", DOCKERFILE)
    assert build_step is not None
    assert "TRANSLATION_PROVIDER=libretranslate" in build_step.group()  # production refuses the pseudo one
    assert "pybabel compile --domain django --directory locale" in DOCKERFILE
    assert image_env()["STATIC_ROOT"] in DOCKERFILE.split("STATIC_ROOT=", 1)[1]


def test_the_image_runs_as_a_user_that_is_not_root_and_checks_the_web_process() -> None:
    assert image_user() not in {"0", "root"}
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert dockerfile_instruction("ENTRYPOINT") == ["/usr/bin/tini", "--"]


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().splitlines())

    assert {".env", ".git", ".venv", "var"} <= ignored
