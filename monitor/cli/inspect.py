"""`senderwatch inspect MESSAGE.eml`: what a received message proves about its authentication.

A thin wrapper around `checks.canary.inspect.inspect_message`: options become a TrustPolicy
and Expectations, the Inspection becomes text or JSON (docs/authentication-results.md) and
an exit code. The config is read only with `--env`; `--trusted` needs no config at all, so
the command works on a message saved from any mailbox. Only the message's header block is
read (at most `headblock.READ_BYTES` of the file), so a message of any size costs the same.

Exit status: 0 SPF, DKIM and DMARC pass and align; 1 they do not; 2 usage, config or input
error (an unreadable file, a header block over 1 MiB); 3 nothing could be judged (no
trusted receiver's header, or the receiver's header could not be read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, cast

import click

from checks.canary.authresults.evaluate import MethodVerdict
from checks.canary.headblock import HeaderBlockTooLarge, read_header_block
from checks.canary.inspect import Expectations, Inspection, TrustPolicy, inspect_message
from monitor.cli._common import ExitCode, config_option, load_or_exit

__all__ = ["inspect_command", "render_text"]

Receiver = Literal["generic", "microsoft365"]
Mode = Literal["r", "s"]


@click.command("inspect")
@click.argument("message", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--env", metavar="E", help="Trust and expect what environment E's inbox names.")
@click.option("--trusted", multiple=True, metavar="ID", help="A trusted authserv-id (repeatable).")
@click.option(
    "--receiver",
    type=click.Choice(["generic", "microsoft365"]),
    help="Receiver kind (default: the environment's, else generic).",
)
@click.option("--from-domain", metavar="D", help="Expected From domain (default: the env's).")
@click.option("--selector", "selectors", multiple=True, metavar="S", help="Expected selector.")
@click.option("--adkim", type=click.Choice(["r", "s"]), default="r", show_default=True)
@click.option("--aspf", type=click.Choice(["r", "s"]), default="r", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def inspect_command(
    *,
    message: Path,
    env: str | None,
    trusted: tuple[str, ...],
    receiver: str | None,
    from_domain: str | None,
    selectors: tuple[str, ...],
    adkim: str,
    aspf: str,
    fmt: str,
    config_path: Path,
) -> None:
    """Check a received message's Authentication-Results against a trusted receiver.

    Name the receiver with --env (reads the config) or --trusted ID (no config needed).
    Exit status: 0 SPF, DKIM and DMARC pass and align, 1 they do not, 2 usage/config/input
    error, 3 nothing could be judged (no trusted header, or it could not be read).
    """
    if env and trusted:
        raise click.UsageError("give either --env or --trusted, not both")
    policy, expect = _policy_from_options(
        env=env,
        trusted=trusted,
        receiver=receiver,
        from_domain=from_domain,
        selectors=selectors,
        adkim=adkim,
        aspf=aspf,
        config_path=config_path,
    )
    head = _read_header_block(message)
    inspection = inspect_message(head, policy, expect)
    if fmt == "json":
        click.echo(json.dumps(inspection.to_dict(), indent=2, sort_keys=False))
    else:
        click.echo(render_text(inspection, str(message)))
    sys.exit(_EXIT[inspection.verdict])


_EXIT = {"pass": ExitCode.OK, "fail": ExitCode.FAILED, "error": ExitCode.ERROR_ONLY}


def _policy_from_options(
    *,
    env: str | None,
    trusted: tuple[str, ...],
    receiver: str | None,
    from_domain: str | None,
    selectors: tuple[str, ...],
    adkim: str,
    aspf: str,
    config_path: Path,
) -> tuple[TrustPolicy, Expectations]:
    ids, kind, domain, wanted = trusted, receiver, from_domain, selectors
    if env:
        settings = load_or_exit(config_path)
        environment = settings.environments.get(env)
        if environment is None:
            known = ", ".join(sorted(settings.environments)) or "none"
            raise click.UsageError(f'no environment "{env}" in {config_path} (known: {known})')
        if environment.inbox is None:
            raise click.UsageError(f'environment "{env}" has no inbox section to trust')
        ids = environment.inbox.trusted_authserv_ids
        kind = kind or environment.inbox.receiver
        domain = domain or environment.domain
        domain_settings = settings.domain(environment.domain)
        fallback = domain_settings.dkim_selectors if domain_settings else ()
        wanted = wanted or environment.dkim_selectors or fallback
    kind = kind or "generic"
    if not ids and kind != "microsoft365":
        raise click.UsageError(
            "name the receiver to trust: --env E or --trusted ID "
            "(or --receiver microsoft365, which writes no authserv-id)"
        )
    policy = TrustPolicy(tuple(ids), cast(Receiver, kind))
    expect = Expectations(domain, tuple(wanted), cast(Mode, adkim), cast(Mode, aspf))
    return policy, expect


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
        click.echo(f"error: cannot read {path}: {exc.strerror or exc}", err=True)
    except HeaderBlockTooLarge as exc:
        click.echo(f"error: {path}: {exc}", err=True)
    sys.exit(ExitCode.CONFIG)


def render_text(inspection: Inspection, label: str) -> str:
    """The human view: verdict line, per-method table, hop, findings, ignored headers."""
    ev = inspection.evaluation
    lines = [_verdict_line(inspection, label), ""]
    if inspection.verdict == "error":
        lines.append("methods: not judged (see findings)")
    else:
        lines.append(f"{'method':<7} {'result':<14} {'domain':<28} {'aligned':<8} detail")
        lines += [_method_row(v) for v in (ev.spf, ev.dkim, ev.dmarc, ev.arc)]
    lines.append(f"from: {', '.join(ev.author.addresses) or '(none)'}")
    if ev.author.problem:
        lines.append(f"from problem: {ev.author.problem}")
    lines += ["", _hop_line(inspection)]
    lines += [
        f"trusted: {t.header.parsed.authserv_id or '(no id)'}: {t.basis}"
        for t in inspection.trust.trusted
    ] or ["trusted: none"]
    lines += [
        f"unreadable: {u.header.parsed.authserv_id or '(id unknown)'} (field {u.header.position}"
        f"): {u.header.parsed.unreadable}"
        for u in inspection.trust.unreadable
    ]
    if inspection.findings:
        lines.append("findings:")
        lines += [f"  {f.severity.value:<8} {f.code:<30} {f.message}" for f in inspection.findings]
    lines += _ignored_lines(inspection)
    if ev.carried:
        lines.append(
            "other methods (reported, never deciding): "
            + ", ".join(f"{r.method}={r.result}" for r in ev.carried)
        )
    return "\n".join(lines)


def _verdict_line(inspection: Inspection, label: str) -> str:
    if inspection.verdict == "pass":
        return f"PASS  {label}: SPF, DKIM and DMARC pass and align"
    if inspection.verdict == "fail":
        return f"FAIL  {label}: SPF, DKIM and DMARC do not all pass and align"
    why = next(f.message for f in inspection.findings if f.unmeasurable)
    return f"ERROR {label}: could not be judged: {why}"


def _ignored_lines(inspection: Inspection) -> list[str]:
    """Ignored and shadowed headers, one entry per header with every reason."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for item in inspection.evidence.get("ignored", []):
        reasons.setdefault((item["name"], item["value"]), []).append(item["reason"])
    if not reasons:
        return []
    lines = ["ignored headers:"]
    for (name, value), why in reasons.items():
        lines.append(f"  {name}: {_short(value)}")
        lines += [f"    why: {reason}" for reason in why]
    return lines


def _method_row(verdict: MethodVerdict) -> str:
    result = verdict.result + (f" ({verdict.raw})" if verdict.mapped else "")
    if verdict.result == "indeterminate":
        result = f"indeterminate ({verdict.raw})"
    aligned = "-" if verdict.aligned is None else ("yes" if verdict.aligned else "no")
    detail: list[str] = []
    if verdict.selector:
        detail.append(f"s={verdict.selector}")
    if verdict.body_hash_mismatch:
        detail.append("body hash did not verify")
    if verdict.source is not None:
        detail += [f"({c})" for c in verdict.source.result.comments[:2]]
    return f"{verdict.method:<7} {result:<14} {verdict.domain or '-':<28} {aligned:<8} " + " ".join(
        detail
    )


def _hop_line(inspection: Inspection) -> str:
    found = inspection.receiving_hop
    if found is None:
        return "receiving hop: not found (TLS unknown)"
    hop = found.hop
    tls = (
        f"TLS yes ({hop.tls_version})"
        if hop.tls and hop.tls_version
        else ("TLS yes" if hop.tls else f"TLS no (with {hop.protocol or '?'})")
    )
    when = hop.timestamp.isoformat() if hop.timestamp else "unknown time"
    guess = " [guessed: no Received by the receiver]" if found.matched_by == "fallback" else ""
    return f"receiving hop: {hop.by_host or '?'} from {hop.ip or '?'}, {tls}, at {when}{guess}"


def _short(value: str, limit: int = 120) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
