"""Judge a saved message: the canary's inspection on a message from any mailbox.

    policy(settings, env=..., trusted=..., ...)   whom to trust and what to expect
    inspect_file(path, policy, expect)            read the header block only, then judge

No database, no DNS: a message of any size costs one bounded read of its header block.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, cast

from checks.canary.headblock import HeaderBlockTooLarge, read_header_block
from checks.canary.inspect import Expectations, Inspection, TrustPolicy, inspect_message
from monitor.config import Settings
from monitor.errors import UsageError

__all__ = ["inspect_file", "policy"]

Receiver = Literal["generic", "microsoft365"]
Mode = Literal["r", "s"]


def policy(
    settings: Settings | None,
    *,
    env: str | None,
    trusted: tuple[str, ...],
    receiver: str | None,
    from_domain: str | None,
    selectors: tuple[str, ...],
    adkim: str,
    aspf: str,
) -> tuple[TrustPolicy, Expectations]:
    """The trust policy and expectations from the options, or from environment `env`.

    Raises:
        UsageError: both or neither of env and trusted ids, or env unknown or without inbox.
    """
    if env and trusted:
        raise UsageError("give either --env or --trusted, not both")
    ids, kind, domain, wanted = trusted, receiver, from_domain, selectors
    if env:
        assert settings is not None, "settings are needed with env"
        environment = settings.environments.get(env)
        if environment is None:
            known = ", ".join(sorted(settings.environments)) or "none"
            raise UsageError(f'no environment "{env}" in the config (known: {known})')
        if environment.inbox is None:
            raise UsageError(f'environment "{env}" has no inbox section to trust')
        ids = environment.inbox.trusted_authserv_ids
        kind = kind or environment.inbox.receiver
        domain = domain or environment.domain
        domain_settings = settings.domain(environment.domain)
        fallback = domain_settings.dkim_selectors if domain_settings else ()
        wanted = wanted or environment.dkim_selectors or fallback
    kind = kind or "generic"
    if not ids and kind != "microsoft365":
        raise UsageError(
            "name the receiver to trust: --env E or --trusted ID "
            "(or --receiver microsoft365, which writes no authserv-id)"
        )
    trust = TrustPolicy(tuple(ids), cast(Receiver, kind))
    expect = Expectations(domain, tuple(wanted), cast(Mode, adkim), cast(Mode, aspf))
    return trust, expect


def inspect_file(path: Path, trust: TrustPolicy, expect: Expectations) -> Inspection:
    """Inspect the message at `path` ("-": standard input), reading its header block only.

    Raises:
        UsageError: the file cannot be read, or its header block is over the limit.
    """
    return inspect_message(_read_header_block(path), trust, expect)


def _read_header_block(path: Path) -> bytes:
    """The message's header block; the body is never read (standard input is drained)."""
    try:
        if str(path) == "-":
            head = read_header_block(sys.stdin.buffer)
            while sys.stdin.buffer.read(1 << 16):  # let the writer finish, in bounded memory
                pass
            return head
        with path.open("rb") as handle:
            return read_header_block(handle)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except HeaderBlockTooLarge as exc:
        raise UsageError(f"{path}: {exc}") from None
