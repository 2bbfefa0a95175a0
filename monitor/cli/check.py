"""`senderwatch check`: run the DNS checks now, store them, report, exit with a verdict.

A thin wrapper over `monitor.services.checks`: options become arguments, the outcome becomes
text or JSON, a JUnit file and an exit code.

With no config file, `senderwatch check example.org [--selector s1]` checks the named domains
with default expectations, as a first try needs: nothing to write before seeing a result. Such
ad-hoc runs keep their history in their own database (`ad-hoc.db` in the state folder), never
in the one a config file uses.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from checks.result import CheckResult
from monitor.app import App
from monitor.cli._common import alert_on, config_option, load_or_exit, no_alerts_option, open_app
from monitor.config import Settings, parse_settings
from monitor.config.database_location import state_directory
from monitor.engine.check_run import CheckRunOutcome
from monitor.engine.plan import PlanError
from monitor.engine.runner import Progress
from monitor.render.checks import outcome_document, render_text, to_json
from monitor.render.junit import render_junit
from monitor.services import canary as canary_service
from monitor.services import checks as check_service

__all__ = ["check", "exit_with", "nameservers_label"]

# Below this many checks a run takes a second or two; a bar would only flicker.
PROGRESS_MIN_CHECKS = 20


@click.command("check")
@click.argument("names", nargs=-1, metavar="[DOMAIN]...")
@click.option(
    "--domain", "domains", multiple=True, metavar="D", help="Only this domain (repeatable)."
)
@click.option(
    "--selector",
    "selectors",
    multiple=True,
    metavar="S",
    help="DKIM selector to check on the named domains (repeatable).",
)
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    metavar="IP[:PORT]",
    help="Ask this DNS server instead of the configured ones (repeatable).",
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
@click.pass_context
def check(
    ctx: click.Context,
    *,
    names: tuple[str, ...],
    domains: tuple[str, ...],
    selectors: tuple[str, ...],
    nameservers: tuple[str, ...],
    env: str | None,
    fmt: str,
    junit: Path | None,
    release: str | None,
    no_alerts: bool,
    with_canary: bool,
    config_path: Path,
) -> None:
    """Run the DNS checks now and compare them with the baselines.

    DOMAIN...: only these domains; with no config file, check them with default expectations.

    Exit status: 0 all pass (warnings allowed), 1 a check failed or critical drift,
    2 configuration or usage error, 3 checks could not measure (DNS errors), 4 database.
    """
    wanted = (*names, *domains)
    default_config = ctx.get_parameter_source("config_path") is click.core.ParameterSource.DEFAULT
    settings = _settings(config_path, wanted, selectors, nameservers, ad_hoc=default_config)
    with open_app(settings=settings) as app:
        specs = check_service.plan(app, domains=wanted, env=env)
        if with_canary:  # post-release gate: these DNS checks and E's canary, one run
            outcome = _canary_gate(app, env, release)
        else:
            with _progress_bar(len(specs)) as progress:
                outcome = check_service.run(
                    app,
                    domains=wanted,
                    env=env,
                    release=release,
                    progress=progress,
                    keep_evidence=fmt == "json",
                )
        if not no_alerts:
            alert_on(app, outcome)
    exit_with(outcome, fmt=fmt, junit=junit, nameservers=nameservers_label(settings))


def _canary_gate(app: App, env: str | None, release: str | None) -> CheckRunOutcome:
    """`check --env E --canary`: E's DNS checks and canary in one stored run."""
    if env is None:
        raise PlanError("--canary needs --env: the environment whose canary to send")
    result = canary_service.run(app, env, release=release, with_dns=True, trigger="cli")
    if result.ack_error:
        click.echo(f"warning: {result.ack_error}", err=True)
    return result.outcome


def _settings(
    config_path: Path,
    wanted: Sequence[str],
    selectors: Sequence[str],
    nameservers: Sequence[str],
    *,
    ad_hoc: bool,
) -> Settings:
    """The config file's settings, with the command line's selectors and nameservers; with
    no file at the default place and domains named, ad-hoc settings for just those."""
    if ad_hoc and wanted and not config_path.exists():
        data: dict[str, object] = {
            "domains": [{"name": name, "dkim_selectors": list(selectors)} for name in wanted]
        }
        if nameservers:
            data["dns"] = {"nameservers": list(nameservers)}
        # Its own database: a quick look at someone's domain must not land in (or fire
        # alerts from) the database the user's own config uses.
        data["database"] = {"url": f"sqlite:///{state_directory() / 'ad-hoc.db'}"}
        return parse_settings(data, "command line")
    settings = load_or_exit(config_path)
    if selectors:
        chosen = {name.lower().rstrip(".") for name in wanted}
        replaced = tuple(
            d.model_copy(update={"dkim_selectors": tuple(selectors)})
            if not chosen or d.name.lower() in chosen
            else d
            for d in settings.domains
        )
        settings = settings.model_copy(update={"domains": replaced})
    if nameservers:
        checked = parse_settings({"dns": {"nameservers": list(nameservers)}}, "--nameserver")
        dns = settings.dns.model_copy(update={"nameservers": checked.dns.nameservers})
        settings = settings.model_copy(update={"dns": dns})
    return settings


def nameservers_label(settings: Settings) -> str:
    """How to name the DNS servers asked, in the line that says none answered."""
    servers = settings.dns.nameservers
    return ", ".join(servers) if servers else "the system resolver (/etc/resolv.conf)"


def exit_with(
    outcome: CheckRunOutcome, *, fmt: str, junit: Path | None, nameservers: str = "the resolver"
) -> None:
    """Print the outcome in `fmt`, write the JUnit file if asked, exit with its code."""
    if fmt == "json":
        click.echo(to_json(outcome_document(outcome)))
    else:
        color = sys.stdout.isatty()
        text = render_text(outcome, color=color, nameservers=nameservers)
        click.echo(text, color=color)
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
