"""`senderwatch runs trigger`: the client a deploy pipeline calls after a release.

It asks the daemon's API (docs/api.md) for a post-release run and, with `--wait`, holds until
the verdict and exits as `senderwatch check` would: 0 pass/warn, 1 fail, 3 nothing measured.
2 is a usage problem (bad token, unknown environment or check); 5 means no verdict came back
(the API is unreachable or busy, or the run outlasted --timeout), so a pipeline can tell "the
mail is broken" from "the monitor could not answer".
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import click
import requests

from monitor.errors import ExitCode
from monitor.wiring.secrets import read_secret

__all__ = ["runs"]

_POLL_S = 60.0  # one long-poll per minute at most; the server bounds it too
_CONNECT_S = 10.0


class _NoVerdict(Exception):
    """The API could not give an answer (unreachable, busy, 5xx)."""


@click.group("runs")
def runs() -> None:
    """Post-release runs on a running `senderwatch run` daemon."""


@runs.command("trigger")
@click.option("--env", "environment", required=True, metavar="E", help="Environment to prove.")
@click.option("--release", required=True, metavar="LABEL", help="Release label stored on the run.")
@click.option("--url", required=True, metavar="URL", help="The daemon's base URL.")
@click.option(
    "--check",
    "checks",
    multiple=True,
    type=click.Choice(["dns", "smtp", "canary"]),
    help="Part to run (repeatable). Default: every part the environment has.",
)
@click.option("--wait", is_flag=True, help="Wait for the verdict and exit with its code.")
@click.option(
    "--timeout", default=900.0, show_default=True, metavar="S", help="Longest --wait, seconds."
)
@click.option(
    "--token-env",
    default="SENDERWATCH_API_TOKEN",
    show_default=True,
    metavar="NAME",
    help="Environment variable holding the API's bearer token.",
)
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Same key, same run: safe to retry. Default: a fresh one per invocation.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="With --wait: also write the verdict as JUnit XML, as `check --junit` does.",
)
def trigger(
    *,
    environment: str,
    release: str,
    url: str,
    checks: tuple[str, ...],
    wait: bool,
    timeout: float,
    token_env: str,
    idempotency_key: str | None,
    fmt: str,
    junit: Path | None,
) -> None:
    """Queue a post-release run; with --wait, print its verdict and exit with its code."""
    if junit is not None and not wait:
        raise click.UsageError("--junit needs --wait: the XML is the verdict")
    token = read_secret(token_env, key="--token-env", environ=os.environ)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = url.rstrip("/")
    body: dict[str, Any] = {"environment": environment, "release": release}
    if checks:
        body["checks"] = list(checks)
    key = idempotency_key or str(uuid.uuid4())
    try:
        queued = _call(
            session, "POST", f"{base}/api/v1/runs", json=body, headers={"Idempotency-Key": key}
        )
        if not wait:
            _show(queued, fmt)
            return
        answer = _await(session, f"{base}{queued['url']}", timeout)
    except _NoVerdict as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.NO_VERDICT)
    _show(answer, fmt)
    if answer["state"] != "done":
        click.echo(f"error: run {answer['id']} not done within {timeout:g}s", err=True)
        sys.exit(ExitCode.NO_VERDICT)
    if junit is not None and answer.get("result") is not None:
        try:
            _write_junit(session, f"{base}{queued['url']}/junit", junit)
        except _NoVerdict as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.NO_VERDICT)
    sys.exit(int(answer["exit_code"]))


def _write_junit(session: requests.Session, url: str, path: Path) -> None:
    """Fetch the run's JUnit XML and write it; an unwritable file is the user's to fix."""
    try:
        answer = session.get(url, timeout=(_CONNECT_S, 30.0))
    except requests.RequestException as exc:
        raise _NoVerdict(f"the API at {url} did not answer: {exc}") from None
    if answer.status_code != 200:
        raise _NoVerdict(f"the API at {url} answered {answer.status_code}: {answer.text[:200]}")
    try:
        path.write_bytes(answer.content)
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc.strerror}", err=True)
        sys.exit(ExitCode.CONFIG)


def _await(session: requests.Session, url: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        hold = max(0.0, min(_POLL_S, left))
        answer = _call(session, "GET", url, params={"wait": f"{hold:g}"}, read_s=hold)
        if answer["state"] == "done" or left <= 0:
            return answer


def _call(
    session: requests.Session, method: str, url: str, *, read_s: float = 0.0, **kwargs: Any
) -> dict[str, Any]:
    """One request; API errors a person must fix exit 2, no answer raises `_NoVerdict`."""
    try:
        answer = session.request(method, url, timeout=(_CONNECT_S, read_s + 30.0), **kwargs)
    except requests.RequestException as exc:
        raise _NoVerdict(f"the API at {url} did not answer: {exc}") from None
    try:
        data: dict[str, Any] = answer.json()
    except ValueError:
        raise _NoVerdict(f"the API at {url} answered {answer.status_code}, not JSON") from None
    if answer.status_code == 429 or answer.status_code >= 500:
        raise _NoVerdict(f"{data.get('code', answer.status_code)}: {data.get('message', '')}")
    if answer.status_code >= 400:
        where = f" ({data['field']})" if data.get("field") else ""
        click.echo(f"error: {data.get('code')}{where}: {data.get('message')}", err=True)
        sys.exit(ExitCode.CONFIG)
    return data


def _show(answer: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(answer, indent=2, ensure_ascii=False))
        return
    line = f"run {answer['id']}: {answer['state']}"
    if answer.get("status"):
        line += f", {answer['status']} (exit {answer['exit_code']})"
    if answer.get("release"):
        line += f", {answer.get('environment')} release {answer['release']}"
    click.echo(line)
    if answer.get("error"):
        click.echo(f"  {answer['error']}")
    for result in (answer.get("result") or {}).get("results", []):
        click.echo(f"  {result['status']:<5} {result['check']:<8} {result['subject']}")
