"""The monitoring files (alert rules, their promtool tests, the Grafana dashboard) and the metric names
their expressions use."""

import json
import re
import shutil
from typing import Any

import yaml

from tests.processes import ROOT

RULES = ROOT / "monitoring" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "monitoring" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "monitoring" / "grafana" / "drillquiz.json"
# Every series the rules and the dashboard read is ours, django-prometheus's or Flower's.
METRIC_NAME = re.compile(r"\b(?:drillquiz|django|flower)_[a-z0-9_]+")


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not on PATH; scripts/ensure-prometheus.sh installs Debian's prometheus (make test runs it)"
    return path


def alert_expressions() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard() -> dict[str, Any]:
    board: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return board


def dashboard_expressions() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def metric_names(expressions: list[str]) -> set[str]:
    return {name for expression in expressions for name in METRIC_NAME.findall(expression)}
