"""Templated email in the recipient's language, sent many to one SMTP connection."""

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


class Recipient(NamedTuple):
    email: str
    language: str
    unsubscribe_url: str


class MailServerUnavailable(Exception):
    """The SMTP server could not be reached or dropped the connection; what was sent is in `report`."""

    def __init__(self, reason: str, report: "SendReport") -> None:
        super().__init__(reason)
        self.report = report


@dataclass
class SendReport:
    """Indexes of the messages the server accepted and of those it refused for their address."""

    sent: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def build(recipient: Recipient, template: str, context: dict[str, Any], message_id: str = "") -> EmailMultiAlternatives:
    """Render templates/emails/<template>.{subject.txt,txt,html} in the recipient's language.

    Every email carries its unsubscribe link, in the body and as a one-click List-Unsubscribe
    header (RFC 8058). A message_id makes a resent message recognisable as the same one.
    """
    context = {**context, "unsubscribe_url": recipient.unsubscribe_url, "site_url": settings.SITE_URL}
    with translation.override(recipient.language):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    headers = {
        "List-Unsubscribe": f"<{recipient.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(subject, text, to=[recipient.email], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def send_all(messages: Sequence[EmailMultiAlternatives]) -> SendReport:
    """Send the messages over ONE connection, one by one, so one bad address does not stop the rest.

    Raises MailServerUnavailable when the server cannot be reached or fails mid-way.
    """
    report = SendReport()
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        for index, message in enumerate(messages):
            try:
                connection.send_messages([message])
            except smtplib.SMTPRecipientsRefused:
                logger.warning("mail server refused recipient of message %d; skipped", index)
                report.refused.append(index)
            else:
                report.sent.append(index)
    except (OSError, smtplib.SMTPException) as error:
        raise MailServerUnavailable(f"{type(error).__name__}: {error}", report) from error
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.info("mail server connection did not close cleanly")
    return report
