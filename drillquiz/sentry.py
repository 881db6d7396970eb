"""Error reports to Sentry (sentry-sdk), loaded only when SENTRY_DSN is set.

Nothing personal and no secret leaves: no request bodies, cookies, user details or local variables,
and every string of an event passes the same redaction as our log lines (drillquiz.log.redact).
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint

from drillquiz.log import redacted


def scrub(event: Event, hint: Hint) -> Event:
    scrubbed: Event = redacted(event)  # the same keys, each value of the same shape
    return scrubbed


def init(dsn: str, environment: str, release: str, sample_rate: float, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        sample_rate=sample_rate,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # Beat tasks are reported as cron check-ins, so a schedule that stops running is seen too.
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        before_send=scrub,
        before_send_transaction=scrub,
        # A slow or unreachable Sentry must not hold a process that is shutting down.
        shutdown_timeout=2,
    )
