"""Slack incoming webhooks: one Block Kit message per notification.

A firing message shows severity, environment, domain, what changed (before → after) and an
evidence excerpt; a resolved message is visibly different (a check mark, no evidence) so a
glance at the channel tells which problems are over.

Slack's quirks on top of the shared HTTP rule: 404/410 and bodies such as `invalid_token`,
`no_service` or `channel_not_found` mean the webhook was revoked or its channel removed;
a retry cannot fix that, and the error says what to do instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import requests

from alerts.channels.base import (
    Redactor,
    attempt_timeout,
    classify_response,
    describe_config,
    dumps,
    post_json,
    redact_url,
    render,
    secret,
    secret_values,
)
from alerts.channels.base import (
    slack_escape as _esc,
)
from alerts.event import DeliveryError, Notification, NotifyReason
from alerts.text import check_name, evidence_text, show_value

__all__ = ["SlackChannel", "SlackConfig"]

_REVOKED = ("invalid_token", "no_service", "channel_not_found", "channel_is_archived")
_HEADER_MAX = 150  # Slack's limit for a header block
_SECTION_MAX = 2900  # Slack allows 3000 characters per section text
_BLOCKS_MAX = 50  # Slack's limit of blocks per message


@dataclasses.dataclass(frozen=True, slots=True)
class SlackConfig:
    webhook_url: str = secret()
    timeout: float = 10.0


class SlackChannel:
    """Posts Block Kit messages to a Slack incoming webhook."""

    kind = "slack"
    Config = SlackConfig

    def __init__(
        self, name: str, config: SlackConfig, session: requests.Session | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._session = session or requests.Session()
        self.redact = Redactor(secret_values(config))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **describe_config(self.config)}

    def payload(self, notification: Notification) -> dict[str, Any]:
        """The Block Kit message (public so tests and docs can snapshot it)."""
        return build_message(notification)

    def deliver(self, notification: Notification, *, timeout: float | None = None) -> None:
        url = self.config.webhook_url
        response = post_json(
            self._session,
            url,
            dumps(self.payload(notification)),
            headers={},
            timeout=attempt_timeout(self.config.timeout, timeout),
            redact=self.redact,
        )
        self.classify_response(response)

    def classify_response(self, response: requests.Response) -> None:
        """Slack's rule: revoked webhooks are permanent with advice; the rest is the shared rule."""
        where = f"Slack webhook {redact_url(self.config.webhook_url)}"
        body = (response.text or "").strip()
        if response.status_code in (403, 404, 410) or body in _REVOKED:
            raise DeliveryError(
                f"{where} answered HTTP {response.status_code} {body[:60]!r}: the webhook was "
                "revoked or its channel removed; create a new incoming webhook",
                retryable=False,
            )
        classify_response(response, self.redact, where)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_report_message(notification: Notification) -> dict[str, Any]:
    """The weekly report's summary: its subject as the header, its Markdown (Slack's
    dialect, rendered when it was queued) in sections of at most Slack's size."""
    subject = str(notification.alert["subject"])
    text = str(notification.alert["markdown"]).strip()
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(subject, _HEADER_MAX)}}
    ]
    chunk = ""
    for paragraph in text.split("\n\n"):
        if chunk and len(chunk) + len(paragraph) + 2 > _SECTION_MAX:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            chunk = ""
        chunk = f"{chunk}\n\n{paragraph}" if chunk else _clip(paragraph, _SECTION_MAX)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return {"text": _clip(subject, 300), "blocks": blocks[:_BLOCKS_MAX]}


def build_message(notification: Notification) -> dict[str, Any]:
    """Block Kit blocks for one notification."""
    if notification.reason is NotifyReason.REPORT:
        return build_report_message(notification)
    alert: Mapping[str, Any] = notification.alert
    subject = render("slack/alert.subject.j2", notification)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(subject, _HEADER_MAX)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": render("slack/alert.txt.j2", notification)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Severity*\n{_esc(alert['severity'])}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Environment*\n{_esc(alert.get('environment') or '-')}",
                },
                {"type": "mrkdwn", "text": f"*Domain*\n{_esc(alert.get('domain') or '-')}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Check*\n{_esc(check_name(alert['check']))} · "
                    f"`{_esc(alert['code'])}`",
                },
            ],
        },
    ]
    changes = alert.get("changes") or []
    if changes:
        lines = [
            f"`{_esc(c['key'])}`: `{_esc(show_value(c['before']))}` → "
            f"`{_esc(show_value(c['after']))}`"
            f" ({_esc(c['direction'])})"
            for c in changes
        ]
        text = _clip("*What changed*\n" + "\n".join(lines), _SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    evidence = evidence_text(alert.get("evidence"))
    if evidence and not notification.resolved:
        text = "*Evidence*\n```" + _clip(_esc(evidence), _SECTION_MAX - 20) + "```"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"`{_esc(alert['key'])}` · since "
                    f"{_esc(alert.get('started_at') or '-')}",
                }
            ],
        }
    )
    return {"text": _clip(subject, 300), "blocks": blocks}
