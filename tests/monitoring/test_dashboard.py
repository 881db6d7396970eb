"""The Grafana dashboard: it parses, every query is valid PromQL (promtool parses it), and every metric
it names is one we, django-prometheus or Flower export."""

import subprocess
from pathlib import Path

import django_prometheus.db.metrics  # noqa: F401 - registers the query metrics, as the web process does
import pytest
import yaml
from django.utils import timezone
from django_prometheus.middleware import Metrics
from flower.events import get_prometheus_metrics
from prometheus_client import REGISTRY, CollectorRegistry

import drillquiz.metrics  # noqa: F401 - registers the cache timings
from backup.models import Backup
from monitoring.collector import DrillQuizCollector
from tests.monitoring.files import alert_expressions, dashboard, dashboard_expressions, metric_names, tool

SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}


def exported_names(registry: CollectorRegistry) -> set[str]:
    """The series names of every metric family, those without a sample yet included."""
    names = set()
    for family in registry.collect():
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
    return names


@pytest.mark.django_db(transaction=True)
def test_every_metric_the_dashboard_and_the_alerts_name_is_exported() -> None:
    # The drill's outcome is exported once there has been a drill.
    Backup.objects.create(
        trigger="schedule", engine="postgresql", started=timezone.now(), drilled=timezone.now(), drill_ok=True
    )
    Metrics.get_instance()  # django-prometheus's request metrics
    get_prometheus_metrics()  # Flower's
    ours = CollectorRegistry()
    ours.register(DrillQuizCollector(timeout=5))
    exported = exported_names(REGISTRY) | exported_names(ours)

    named = metric_names(dashboard_expressions()) | metric_names(list(alert_expressions().values()))

    assert named - exported == set()
    assert len(named) > 15


def test_the_dashboard_is_grafana_json_with_a_query_in_every_panel() -> None:
    board = dashboard()

    assert board["uid"] == "drillquiz"
    assert [item["type"] for item in board["templating"]["list"]] == ["datasource"]
    for panel in board["panels"]:
        assert panel["targets"], panel["title"]
        assert all(target["datasource"]["uid"] == "${datasource}" for target in panel["targets"]), panel["title"]
    assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])


def test_every_dashboard_query_parses_as_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions: the queries as recording rules of a throwaway file.
    rules = [{"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(dashboard_expressions())]
    file = tmp_path / "dashboard-queries.yml"
    file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    result = subprocess.run([tool("promtool"), "check", "rules", str(file)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
