"""The alert rules, checked and unit-tested by promtool: each alert fires on its series and stays quiet
on healthy ones (monitoring/prometheus/alerts_test.yml)."""

import subprocess
from pathlib import Path

from tests.monitoring.files import RULE_TESTS, RULES, alert_expressions, tool

ALERTS = {
    "QueueGrowing",
    "OutboxStuck",
    "BackupMissing",
    "RestoreDrillFailed",
    "BeatSilent",
    "NoWorkerOnline",
    "WebErrorsHigh",
    "WebLatencyHigh",
    "DeadLetters",
    "MetricsSourceDown",
    "MetricsExporterDown",
}


def test_promtool_finds_the_rules_well_formed() -> None:
    result = subprocess.run([tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_every_alert_fires_and_stays_quiet_in_promtools_unit_tests() -> None:
    result = subprocess.run(
        [tool("promtool"), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, cwd=RULES.parent
    )
    tested = set(RULE_TESTS.read_text().split("alertname: ")[1:])

    assert result.returncode == 0, result.stdout + result.stderr
    assert set(alert_expressions()) == ALERTS
    assert {line.split()[0] for line in tested} == ALERTS


def test_a_broken_expectation_fails_promtool(tmp_path: Path) -> None:
    broken = tmp_path / "alerts_test.yml"
    broken.write_text(RULE_TESTS.read_text().replace("rule_files:\n  - alerts.yml", f"rule_files:\n  - {RULES}"))
    broken.write_text(broken.read_text().replace('summary: "No Celery worker is online"', 'summary: "all fine"', 1))

    result = subprocess.run([tool("promtool"), "test", "rules", str(broken)], capture_output=True, text=True)

    assert result.returncode != 0
    assert "NoWorkerOnline" in result.stdout + result.stderr
