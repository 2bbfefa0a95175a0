"""Every check senderwatch can run, by id: explicit, one line each (no scans, no plugins).

The table maps an id to the class's import path and is resolved on first use, so code that
only needs the ids (config validation, `--help`) never imports dnspython or checkdmarc.
`monitor.wiring` builds each check's `Config` through the class (`configure` for domain
checks), and `monitor.policy.drift` reads each class's `drift_rules`; `checks` stays a leaf
package that imports nothing from `monitor`.

Adding a check: one module under `checks/` and one line below (docs/architecture.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["CHECKS", "DOMAIN_CHECKS", "LazyRegistry", "get_check", "lazy_attributes"]


class LazyRegistry(Mapping[str, type]):
    """An explicit `id → "module:Class"` table that imports a class the first time it is read."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._paths = dict(entries)
        self._loaded: dict[str, type] = {}

    def __getitem__(self, key: str) -> type:
        if key not in self._loaded:
            module, _, name = self._paths[key].partition(":")
            self._loaded[key] = getattr(importlib.import_module(module), name)
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def path(self, key: str) -> str:
        """Where the entry lives ("module:Class"), without importing it."""
        return self._paths[key]


def lazy_attributes(
    namespace: MutableMapping[str, Any], exports: Mapping[str, str], package: str
) -> Callable[[str], Any]:
    """A module `__getattr__` that imports each name of `exports` (name → module) on first
    use and keeps it in `namespace`, so a package can list its public names without loading
    the modules behind them (the IMAP or HTTP stack) until someone asks for one."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__


CHECKS = LazyRegistry(
    {
        "dns.spf": "checks.dns.spf:SpfCheck",
        "dns.dmarc": "checks.dns.dmarc:DmarcCheck",
        "dns.dkim": "checks.dns.dkim:DkimCheck",
        "dns.mx": "checks.dns.mx:MxCheck",
        "dns.mta_sts": "checks.dns.mta_sts:MtaStsCheck",
        "dns.tlsrpt": "checks.dns.tlsrpt:TlsRptCheck",
        # per environment: the relay's EHLO, STARTTLS, certificate, AUTH
        "smtp.smtp": "checks.smtp.check:SmtpCheck",
        # per environment: sending IPs and domains on blocklists, reverse DNS of the IPs
        "reputation.blocklists": "checks.blocklists.check:BlocklistCheck",
    }
)

DOMAIN_CHECKS: tuple[str, ...] = tuple(
    i.removeprefix("dns.") for i in CHECKS if i.startswith("dns.")
)
"""The names a domain's `checks = [...]` may list (ids without the `dns.` prefix)."""


def get_check(check_id: str) -> Any:
    """A new instance of the check registered as `check_id` ("dns.dmarc").

    Raises:
        KeyError: no check has that id; the message lists the ids that exist.
    """
    if check_id not in CHECKS:
        known = ", ".join(sorted(CHECKS))
        raise KeyError(f"unknown check {check_id!r}; known checks: {known}")
    return CHECKS[check_id]()
