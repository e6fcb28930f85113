"""Where alerts go: email over SMTP, Slack and Microsoft Teams incoming webhooks.

A channel's ``send`` raises :class:`TransientError` for failures worth retrying (a connection refused, a
timeout, SMTP 4xx, HTTP 429 and 5xx) and :class:`PermanentError` for those that repeat (SMTP 5xx, a
refused login, an untrusted certificate, HTTP 4xx): the sender retries only the first kind.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from .._meta import PROJECT_NAME
from ._templates import Message
from .settings import NotificationsSettings

_TRANSIENT_SMTP = range(400, 500)  # 4xx: try again later; 5xx: permanent
_TOO_MANY_REQUESTS, _SERVER_ERROR = 429, 500


class DeliveryError(Exception):
    """An alert could not be delivered on one channel."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """Worth another attempt after a back-off."""


class PermanentError(DeliveryError):
    """Will fail again: a configuration or content problem."""


class Channel(Protocol):
    """One way of delivering alerts."""

    name: str

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""
        ...


class EmailChannel:
    """SMTP with STARTTLS, implicit TLS or (on a trusted relay) none; AUTH when a user name is set."""

    name = "email"

    def __init__(self, settings: NotificationsSettings) -> None:
        if settings.smtp_host is None:
            raise ValueError("email needs an SMTP host")
        self.settings = settings
        self.host = settings.smtp_host
        cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file is not None else None
        self.tls = ssl.create_default_context(cafile=cafile)

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.settings.mail_from
        email["To"] = ", ".join(self.settings.mail_to)
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.settings.mail_from.rpartition("@")[2] or None)
        email["X-Alert-Event"] = message.event
        email.set_content(message.body)
        return email

    def _connect(self) -> smtplib.SMTP:
        settings, timeout = self.settings, self.settings.smtp_timeout_seconds
        if settings.smtp_security == "tls":
            return smtplib.SMTP_SSL(self.host, settings.smtp_port, timeout=timeout, context=self.tls)
        smtp = smtplib.SMTP(self.host, settings.smtp_port, timeout=timeout)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=self.tls)
        return smtp

    def send(self, message: Message) -> None:
        try:
            with self._connect() as smtp:
                if self.settings.smtp_username is not None and self.settings.smtp_password is not None:
                    smtp.login(self.settings.smtp_username, self.settings.smtp_password.get_secret_value())
                smtp.send_message(self._email(message))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = TransientError if all(c in _TRANSIENT_SMTP for c in codes) else PermanentError
            raise error(f"recipients refused: {sorted(set(codes))}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"the SMTP server does not support it: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            error = TransientError if exc.smtp_code in _TRANSIENT_SMTP else PermanentError
            raise error(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"the SMTP server's certificate is not trusted: {exc.verify_message}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out, disconnected
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc


def slack_payload(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (notifications, fallback) and Block Kit blocks."""
    return {
        "text": f"{message.subject}\n{message.body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{message.body[:2900]}```"}},
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    """A Microsoft Teams webhook message (Workflows or incoming webhook): one Adaptive Card."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": message.body, "wrap": True, "fontType": "Monospace"},
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class WebhookChannel:
    """POSTs a JSON payload to an incoming webhook; 2xx is delivered."""

    def __init__(self, name: str, url: str, payload: Any, timeout_seconds: float) -> None:
        self.name = name
        self._url = url
        self._payload = payload
        self._timeout = timeout_seconds

    def send(self, message: Message) -> None:
        data = json.dumps(self._payload(message)).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (the URL is checked to be https, or http on loopback)
            self._url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"{PROJECT_NAME}-notifications"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            retry_after = _seconds(exc.headers.get("Retry-After"))
            if exc.code == _TOO_MANY_REQUESTS or exc.code >= _SERVER_ERROR:
                raise TransientError(f"HTTP {exc.code}", retry_after) from exc
            raise PermanentError(f"HTTP {exc.code}: the webhook refused the message (check its URL)") from exc
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out, DNS
            raise TransientError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the back-off applies


def channels(settings: NotificationsSettings) -> list[Channel]:
    """The channels the settings configure, in a fixed order."""
    found: list[Channel] = []
    if settings.smtp_host is not None:
        found.append(EmailChannel(settings))
    timeout = settings.webhook_timeout_seconds
    if settings.slack_webhook_url is not None:
        found.append(WebhookChannel("slack", settings.slack_webhook_url.get_secret_value(), slack_payload, timeout))
    if settings.teams_webhook_url is not None:
        found.append(WebhookChannel("teams", settings.teams_webhook_url.get_secret_value(), teams_payload, timeout))
    return found
