"""`senderwatch check`: run the DNS checks now, store them, report, exit with a verdict.

A thin wrapper: the work is `monitor.engine.check_run.run_checks`; this module only turns options
into arguments and the outcome into output, a JUnit file and an exit code.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from checks.result import CheckResult
from monitor.cli._common import (
    ExitCode,
    alert_on,
    config_option,
    load_or_exit,
    no_alerts_option,
)
from monitor.engine.check_run import CheckRunOutcome, run_checks
from monitor.engine.plan import PlanError, build_plan, default_registry
from monitor.engine.runner import Progress
from monitor.render.checks import outcome_document, render_junit, render_text, to_json

__all__ = ["check", "exit_with"]

# Below this many checks a run takes a second or two; a bar would only flicker.
PROGRESS_MIN_CHECKS = 20


@click.command("check")
@click.option(
    "--domain", "domains", multiple=True, metavar="D", help="Only this domain (repeatable)."
)
@click.option("--env", metavar="E", help="Check environment E's domain, results tagged with E.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write JUnit XML here (one testcase per result) for deploy pipelines.",
)
@click.option("--release", metavar="LABEL", help="Release label stored on the run (deploys).")
@no_alerts_option
@click.option(
    "--canary", "with_canary", is_flag=True, help="With --env: also send E's canary (one run)."
)
@config_option
def check(
    *,
    domains: tuple[str, ...],
    env: str | None,
    fmt: str,
    junit: Path | None,
    release: str | None,
    no_alerts: bool,
    with_canary: bool,
    config_path: Path,
) -> None:
    """Run the DNS checks now and compare them with the baselines.

    Exit status: 0 all pass (warnings allowed), 1 a check failed or critical drift,
    2 configuration or usage error, 3 checks could not measure (DNS errors),
    4 the database cannot be used.
    """
    settings = load_or_exit(config_path)
    try:
        registry = default_registry()
        specs = build_plan(settings, domains=domains, env=env, registry=registry)
        if with_canary:  # post-release gate: these DNS checks and E's canary, one run
            from monitor.cli.canary import run_canary_gate

            outcome = run_canary_gate(settings, env, release=release)
        else:
            with _progress_bar(len(specs)) as progress:
                outcome = run_checks(
                    settings,
                    env=env,
                    release=release,
                    specs=specs,
                    registry=registry,
                    progress=progress,
                )
    except PlanError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.CONFIG)
    if not no_alerts:
        alert_on(settings, outcome)
    exit_with(outcome, fmt=fmt, junit=junit)


def exit_with(outcome: CheckRunOutcome, *, fmt: str, junit: Path | None) -> None:
    """Print the outcome in `fmt`, write the JUnit file if asked, exit with its code."""
    if fmt == "json":
        click.echo(to_json(outcome_document(outcome)))
    else:
        color = sys.stdout.isatty()
        click.echo(render_text(outcome, color=color), color=color)
    if junit is not None:
        junit.write_text(render_junit(outcome), encoding="utf-8")
    sys.exit(outcome.exit_code)


@contextlib.contextmanager
def _progress_bar(total: int) -> Iterator[Progress | None]:
    """A bar on stderr for long runs on a terminal; nothing otherwise (pipes, CI logs)."""
    if total < PROGRESS_MIN_CHECKS or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="checking", file=sys.stderr) as bar:

        def advance(_result: CheckResult) -> None:
            bar.update(1)

        yield advance
