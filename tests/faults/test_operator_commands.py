"""What an operator's commands print hides every secret (issue #15, point 6).

`celery report` and `manage.py diffsettings` print the whole configuration; run here as an operator
would, in their own processes, with every secret set the way production sets it.
"""

import secrets
import subprocess
import sys

import pytest
from django.db import connection

from tests.faults.test_security import make_secrets
from tests.processes import CELERY, ROOT, process_env

COMMANDS = {
    "celery report": [CELERY, "-A", "drillquiz", "report"],
    "diffsettings": [sys.executable, "manage.py", "diffsettings"],
    "diffsettings --all": [sys.executable, "manage.py", "diffsettings", "--all"],
    "diffsettings --output unified": [sys.executable, "manage.py", "diffsettings", "--output", "unified"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_an_operator_command_prints_no_secret(db: None, command: list[str]) -> None:
    found = make_secrets(("drillquiz", f"hunter2-{secrets.token_urlsafe(16)}"), "http://127.0.0.1:9/hook")
    webhook = f"http://127.0.0.1:9/services/T0DRILLQZ/B0SECURITY/{secrets.token_urlsafe(24)}"
    found.values["SLACK_WEBHOOK_URL"], found.env["SLACK_WEBHOOK_URL"] = webhook, webhook
    database_password = found.values["the database password"]
    db_settings = connection.settings_dict
    database_url = f"postgres://{db_settings['USER']}:{database_password}@{db_settings['HOST']}/{db_settings['NAME']}"

    shown = subprocess.run(
        command,
        cwd=ROOT,
        env={**process_env(), **found.env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout

    assert "CACHE" in shown or "cache" in shown  # the places the secrets would be are there
    assert found.leaks({"output": shown}) == {}
