"""What error pages and worker reports may show: settings, variables and values with their secrets hidden.

Django's SafeExceptionReporterFilter hides a setting by its name only (KEY, SECRET, PASS, TOKEN...), so
the DEBUG error page showed the Redis password inside CELERY_BROKER_URL, CACHES and EVENTS_REDIS_URL,
and the Slack webhook, whose URL is the secret. Celery's `inspect conf` (Flower's worker page) hides
the broker URL under its Celery name `broker_url` only, so with our Django-namespaced settings it
showed CELERY_BROKER_URL, CACHES and SLACK_WEBHOOK_URL in full to anyone who can reach Flower.

Here a value is hidden entirely under a secret-sounding name, and every text has the configured
secrets and any URL password replaced (drillquiz.log.redact). Workers import this module (through
CELERY_IMPORTS), which replaces the `conf` inspect command with a censored one; the app's own
bugreport() (drillquiz/celery.py) censors `celery report` and the `report` inspect command.
"""

import pprint
import re
from collections.abc import ItemsView, Mapping
from types import FrameType
from typing import Any

from celery.utils.serialization import jsonify, strtobool
from celery.worker.control import inspect_command
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter
from kombu.utils.encoding import safe_repr

from drillquiz.log import redact

# Django's own list, plus the names our URL-shaped secrets go by.
SECRET_NAMES = re.compile("API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|WEBHOOK|DSN|CREDENTIAL", re.I)
MASK = "********************"


def censor(key: object, value: Any) -> Any:
    """value with its secrets hidden: all of it under a secret-sounding key, the secrets in any text."""
    if isinstance(key, str) and SECRET_NAMES.search(key):
        return MASK
    if isinstance(value, Mapping):
        return {k: censor(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(censor("", item) for item in value)
    if isinstance(value, str):
        return redact(value)
    return value


class Shown:
    """A frame variable as the error page prints it (pprint), with secrets redacted from the text.

    Formatting waits for the page's own pprint, which turns a repr that raises into a message.
    """

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return redact(pprint.pformat(self.value))


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """DEFAULT_EXCEPTION_REPORTER_FILTER: hides secrets inside values too, with DEBUG on or off."""

    hidden_settings = SECRET_NAMES

    def cleanse_setting(self, key: int | str, value: Any) -> Any:
        # The parent hides by name and recurses into containers through this method.
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: FrameType) -> ItemsView[str, Any]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return {name: Shown(self.cleanse_setting(name, value)) for name, value in variables}.items()


@inspect_command(
    name="conf",
    alias="dump_conf",
    signature="[include_defaults=False]",
    args=[("with_defaults", strtobool)],
)
def censored_conf(state: Any, with_defaults: bool = False, **kwargs: Any) -> Any:
    """List configuration, with every secret hidden."""
    table = jsonify(
        state.app.conf.table(with_defaults=with_defaults),
        keyfilter=lambda key: isinstance(key, str) and not key.startswith("__"),
        unknown_type_filter=safe_repr,
    )
    return censor("", table)
