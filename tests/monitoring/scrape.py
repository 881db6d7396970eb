"""Reading a /metrics page (Prometheus text format) into {(name, labels): value}."""

import urllib.request

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Series:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def of_registry(registry: CollectorRegistry) -> Series:
    return parse(generate_latest(registry).decode())


def of_url(url: str, timeout: float = 10) -> Series:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own local process
        return parse(response.read().decode())


def value(series: Series, name: str, **labels: str) -> float | None:
    return series.get((name, tuple(sorted(labels.items()))))
