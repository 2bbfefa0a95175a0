"""The ESP templates shipped in config.example.toml: each renders to the ESP's JSON shape.

The templates are read from the example config's comments (between `# --- ESP template: NAME
---` and `# --- end ---`), loaded through the real config loader, resolved by the monitor and
sent to a real HTTP server on loopback, so what users copy is exactly what is tested.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from checks.canary.message import new_canary
from checks.canary.senders import make_sender
from monitor.config import parse_settings
from monitor.wiring.canary import sender_config
from tests.support.http_receiver import HttpReceiver, Reply

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"
_BLOCK = re.compile(r"^# --- ESP template: (\S+) ---\n(.*?)^# --- end ---$", re.M | re.S)
ENVIRON = {
    "SENDGRID_AUTHORIZATION": "Bearer SG.test-key",
    "POSTMARK_SERVER_TOKEN": "pm-test-token",
    "BREVO_API_KEY": "xkeysib-test",
}


def shipped_templates() -> dict[str, str]:
    """ESP name → its uncommented TOML block."""
    text = EXAMPLE.read_text(encoding="utf-8")
    blocks = {}
    for name, body in _BLOCK.findall(text):
        lines = [re.sub(r"^# ?", "", line) for line in body.splitlines()]
        blocks[name] = "\n".join(lines) + "\n"
    return blocks


def load_http_table(block: str, url: str) -> tuple[str, dict[str, Any]]:
    """Load the block through the real config loader with the URL pointed at loopback."""
    original = tomllib.loads(block)["environments"]["production"]["http"]["url"]
    environment = """
[environments.production]
domain = "example.test"
from = "canary@example.test"
to = "seed@inbox.example.test"
[environments.production.inbox]
kind = "maildir"
path = "/var/mail/seed/Maildir"
trusted_authserv_ids = ["mx.inbox.example.test"]
"""
    text = environment + block.replace(f'url = "{original}"', f'url = "{url}"')
    settings = parse_settings(tomllib.loads(text), "config.example.toml")
    return original, {"env": settings.environments["production"]}


def test_three_esp_templates_are_shipped() -> None:
    """Users get SendGrid, Postmark and Brevo ready to copy."""
    assert sorted(shipped_templates()) == ["brevo", "postmark", "sendgrid"]


EXPECTED_URL = {
    "sendgrid": "https://api.sendgrid.com/v3/mail/send",
    "postmark": "https://api.postmarkapp.com/email",
    "brevo": "https://api.brevo.com/v3/smtp/email",
}


def _check_sendgrid(body: dict[str, Any], headers: dict[str, str], token: str) -> None:
    assert body["personalizations"] == [{"to": [{"email": "seed@inbox.example.test"}]}]
    assert body["from"] == {"email": "canary@example.test"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["headers"]["X-Senderwatch-Canary"] == token
    assert headers["authorization"] == "Bearer SG.test-key"


def _check_postmark(body: dict[str, Any], headers: dict[str, str], token: str) -> None:
    assert (body["From"], body["To"]) == ("canary@example.test", "seed@inbox.example.test")
    assert token in body["Subject"]
    assert {"Name": "X-Senderwatch-Canary", "Value": token} in body["Headers"]
    assert all(set(h) == {"Name", "Value"} for h in body["Headers"])
    assert headers["x-postmark-server-token"] == "pm-test-token"


def _check_brevo(body: dict[str, Any], headers: dict[str, str], token: str) -> None:
    assert body["sender"] == {"email": "canary@example.test"}
    assert body["to"] == [{"email": "seed@inbox.example.test"}]
    assert body["headers"]["X-Senderwatch-Canary"] == token
    assert "textContent" in body
    assert "htmlContent" in body
    assert headers["api-key"] == "xkeysib-test"


SHAPES = {"sendgrid": _check_sendgrid, "postmark": _check_postmark, "brevo": _check_brevo}


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("release", [None, 'v2 "quoted" \\ release'])
def test_shipped_template_sends_the_esp_shape(name: str, release: str | None) -> None:
    """Each template loads, renders valid JSON (even with quotes in values) in the ESP's shape."""
    block = shipped_templates()[name]
    with HttpReceiver() as rx:
        rx.script(default=Reply(201 if name == "brevo" else 202 if name == "sendgrid" else 200))
        original, loaded = load_http_table(block, rx.url("/send"))
        config = sender_config("production", loaded["env"], ENVIRON)
        msg = new_canary(
            "production",
            "canary@example.test",
            "seed@inbox.example.test",
            release=release,
            list_unsubscribe="https://example.test/u/{token}",
        )
        make_sender(config).send(msg)
        [request] = rx.requests
    assert original == EXPECTED_URL[name]
    SHAPES[name](request.json(), dict(request.headers), msg.token)
