"""Every plugin registry entry is complete: code, config, wiring and docs agree.

Walks `checks.registry.CHECKS`, `alerts.channels.CHANNELS`, `checks.canary.inbox.READERS`
and `checks.canary.senders.SENDERS`. An entry added with its module and registry line but
without its config model, its builder, its drift rules or its docs section fails here, by
name; docs/architecture.md ("Adding a check / a channel / an inbox kind / a sender") lists
what each needs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from alerts.channels import CHANNELS
from checks.base import DomainTarget
from checks.canary.inbox import READERS
from checks.canary.senders import SENDERS
from checks.drift_rules import Rule
from checks.registry import CHECKS, DOMAIN_CHECKS
from monitor.config.channels import CHANNEL_SETTINGS
from monitor.config.environments import EnvironmentSettings
from monitor.config.inbox import INBOX_SETTINGS
from monitor.config.sending import SENDING_PATHS
from monitor.wiring.alerts import CHANNEL_KINDS
from monitor.wiring.canary import INBOX_KINDS, SENDER_KINDS
from monitor.wiring.checks import ENVIRONMENT_CHECKS

DOCS = Path(__file__).resolve().parents[2] / "docs"

# an environment-scoped check needs its Config builder before it can ship
ENVIRONMENT_CHECK_CONFIGS = ENVIRONMENT_CHECKS


def headings(*names: str) -> list[str]:
    """Every Markdown heading line of these docs/ files."""
    lines: list[str] = []
    for name in names:
        text = (DOCS / name).read_text(encoding="utf-8")
        lines += [line for line in text.splitlines() if re.match(r"^#{1,4} ", line)]
    return lines


def assert_documented(needle: str, *docs: str) -> None:
    found = [h for h in headings(*docs) if needle in h]
    assert found, f"no heading naming {needle} in docs/{', docs/'.join(docs)}"


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_every_check_has_config_drift_rules_and_docs(check_id: str) -> None:
    """A check ships with its Config, the drift rules of what it observes, and a docs section."""
    cls = CHECKS[check_id]
    assert dataclasses.is_dataclass(cls.Config), f"{check_id}: Config is not a dataclass"
    rules = cls.drift_rules
    assert rules and all(isinstance(rule, Rule) for rule in rules), f"{check_id}: drift_rules"
    assert cls.scope in {"domain", "environment"}, f"{check_id}: unknown scope {cls.scope!r}"
    if cls.scope == "domain":
        config = cls.configure(DomainTarget(name="example.test", dkim_selectors=("s1",)))
        assert isinstance(config, cls.Config), f"{check_id}: configure() must return Config"
        assert check_id.removeprefix("dns.") in DOMAIN_CHECKS
    else:
        assert check_id in ENVIRONMENT_CHECK_CONFIGS, f"{check_id}: no wiring builds its Config"
    assert_documented(
        f"`{check_id}`", "dns-checks.md", "spf.md", "canary-transport.md", "blocklists.md"
    )


def test_environment_checks_are_exactly_those_with_wiring() -> None:
    """The environment-scoped wiring table has no stale entries either."""
    scoped = {i for i in CHECKS if CHECKS[i].scope == "environment"}
    assert scoped == set(ENVIRONMENT_CHECK_CONFIGS)


@pytest.mark.parametrize("kind", list(CHANNELS))
def test_every_channel_kind_has_config_model_builder_and_docs(kind: str) -> None:
    """kind → class (with Config) → settings model in the config union → builder → docs."""
    cls = CHANNELS[kind]
    assert cls.kind == kind
    assert dataclasses.is_dataclass(cls.Config)
    assert CHANNEL_KINDS[kind].settings is CHANNEL_SETTINGS[kind]
    assert CHANNEL_SETTINGS[kind].model_fields["kind"].annotation.__args__ == (kind,)
    assert_documented(f'`kind = "{kind}"', "alerts.md")


@pytest.mark.parametrize("kind", list(READERS))
def test_every_inbox_kind_has_config_model_builder_and_docs(kind: str) -> None:
    """kind → reader (with Config) → settings model in the config union → builder → docs."""
    cls = READERS[kind]
    assert cls.kind == kind
    assert dataclasses.is_dataclass(cls.Config)
    assert INBOX_KINDS[kind].settings is INBOX_SETTINGS[kind]
    assert INBOX_SETTINGS[kind].model_fields["kind"].annotation.__args__ == (kind,)
    assert_documented(f'`kind = "{kind}"', "canary-transport.md")


@pytest.mark.parametrize("kind", list(SENDERS))
def test_every_sender_kind_has_its_table_builder_and_docs(kind: str) -> None:
    """kind → sender (with Config) → `[environments.NAME.<kind>]` table → builder → docs."""
    cls = SENDERS[kind]
    assert cls.kind == kind
    assert dataclasses.is_dataclass(cls.Config)
    assert SENDER_KINDS[kind].settings is SENDING_PATHS[kind]
    field = EnvironmentSettings.model_fields[kind]
    assert SENDING_PATHS[kind] in field.annotation.__args__
    assert_documented(f"`[environments.NAME.{kind}]`", "canary-transport.md")


@pytest.mark.parametrize(
    ("registry", "tables"),
    [
        (CHANNELS, (CHANNEL_SETTINGS, CHANNEL_KINDS)),
        (READERS, (INBOX_SETTINGS, INBOX_KINDS)),
        (SENDERS, (SENDING_PATHS, SENDER_KINDS)),
    ],
    ids=["channels", "inbox readers", "senders"],
)
def test_config_and_wiring_tables_have_exactly_the_registry_kinds(
    registry: object, tables: tuple[dict[str, object], ...]
) -> None:
    """No table knows a kind the registry lacks, nor lacks one it has (and in its order)."""
    for table in tables:
        assert list(table) == list(registry)  # type: ignore[call-overload]


def test_architecture_doc_lists_the_files_each_plugin_kind_needs() -> None:
    """The "Adding a ..." section exists and names the files this test holds together."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Adding a check / a channel / an inbox kind / a sender", 1)[1]
    for path in (
        "checks/registry.py",
        "alerts/channels/__init__.py",
        "checks/canary/inbox/__init__.py",
        "checks/canary/senders/__init__.py",
        "monitor/config/channels.py",
        "monitor/config/inbox.py",
        "monitor/config/sending.py",
        "monitor/wiring/alerts.py",
        "monitor/wiring/canary.py",
        "tests/monitor/test_plugin_kinds.py",
    ):
        assert path in section, f"docs/architecture.md: the section does not name {path}"
