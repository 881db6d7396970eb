"""What every benchmark needs: its own PostgreSQL database and Redis databases, and Django set up on them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/drillquiz_bench",
    # Redis databases of their own, so a benchmark never touches the suite's or a developer's queues.
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/5",
    "CACHE_URL": "redis://127.0.0.1:6379/6",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "drillquiz.settings",
}


def setup_django(database: str = "drillquiz_bench") -> None:
    """Point this process at a benchmark database (created and migrated afresh) and set Django up.

    A benchmark that may run beside another (they share the machine, not their data) names its own.
    """
    BENCH_ENV["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(ROOT))
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
