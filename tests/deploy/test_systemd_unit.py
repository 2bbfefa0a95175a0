"""deploy/senderwatch.service: what systemd itself says about it, and the facts the daemon needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from monitor.config.settings import Settings

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "senderwatch.service"
INSTALLED_EXEC = "/opt/senderwatch/bin/senderwatch"
ANALYZE = shutil.which("systemd-analyze")


def analyze() -> str:
    """systemd-analyze, which .ci/install-system-deps.sh installs (Debian package systemd):
    missing is a failure, never a skip."""
    assert ANALYZE is not None, "systemd-analyze is missing: install the Debian package systemd"
    return ANALYZE


def directives(text: str) -> dict[str, list[str]]:
    """Every `Key=value` of the unit, values in order (a key may repeat, like SystemCallFilter)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def unit_with_existing_exec(folder: Path) -> Path:
    """A copy of the unit whose ExecStart names this checkout's `senderwatch` script.

    `systemd-analyze verify` refuses a unit whose ExecStart binary does not exist, and the
    unit names the installed path /opt/senderwatch/bin/senderwatch that a test machine does
    not have; everything else is verified as shipped.
    """
    script = Path(sys.executable).parent / "senderwatch"
    assert script.exists(), "the package's console script is not installed in this venv"
    text = UNIT.read_text(encoding="utf-8")
    assert INSTALLED_EXEC in text
    copy = folder / "senderwatch.service"
    copy.write_text(text.replace(INSTALLED_EXEC, str(script)), encoding="utf-8")
    return copy


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own parser accepts every directive and value, with nothing to warn about."""
    result = subprocess.run(
        [analyze(), "verify", str(unit_with_existing_exec(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_unit_exposure_stays_low(tmp_path: Path) -> None:
    """The hardening keeps systemd's exposure score at 2.0 or below (it is 1.1 when written)."""
    result = subprocess.run(
        [analyze(), "security", "--offline=yes", "--threshold=20", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    print(f"systemd-analyze security exposure: {score.group(1)}")
    assert float(score.group(1)) <= 2.0
    assert result.returncode == 0, result.stdout[-2000:]


def test_unit_is_notify_with_a_watchdog_and_reload() -> None:
    """Type=notify with WatchdogSec is what monitor/daemon/systemd.py speaks to."""
    unit = directives(UNIT.read_text(encoding="utf-8"))
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    assert unit["WatchdogSec"] == ["60s"]
    assert unit["ExecStart"] == [f"{INSTALLED_EXEC} run --config /etc/senderwatch/senderwatch.toml"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["Restart"] == ["on-failure"]


def test_default_database_lands_in_the_state_directory() -> None:
    """XDG_STATE_HOME=%S (/var/lib) + StateDirectory=senderwatch = where the SQLite file goes."""
    from monitor.config.database_location import default_database_path

    unit = directives(UNIT.read_text(encoding="utf-8"))
    assert unit["DynamicUser"] == ["yes"]
    assert unit["StateDirectory"] == ["senderwatch"]
    assert "XDG_STATE_HOME=%S" in unit["Environment"]
    path = default_database_path(
        Path("/etc/senderwatch/senderwatch.toml"), {"XDG_STATE_HOME": "/var/lib"}
    )
    assert path == Path("/var/lib/senderwatch/senderwatch.db")


def test_secrets_come_from_an_optional_env_file_not_the_unit() -> None:
    """Tokens and passwords live in /etc/senderwatch/env (0600), never in the unit."""
    text = UNIT.read_text(encoding="utf-8")
    unit = directives(text)
    assert unit["EnvironmentFile"] == ["-/etc/senderwatch/env"]
    for value in unit["Environment"]:
        assert not re.search(r"(TOKEN|PASSWORD|SECRET|KEY)", value.split("=", 1)[0])


def test_hardening_options_are_all_on() -> None:
    """The sandbox the service was reviewed with; dropping one should be a visible decision."""
    unit = directives(UNIT.read_text(encoding="utf-8"))
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictRealtime": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key
    assert "@system-service" in unit["SystemCallFilter"]


def test_stop_timeout_leaves_room_for_a_clean_shutdown() -> None:
    """systemd's SIGKILL must come after the daemon's own shutdown bound, or runs are lost."""
    unit = directives(UNIT.read_text(encoding="utf-8"))
    [stop] = unit["TimeoutStopSec"]
    assert stop.endswith("s")
    defaults = Settings()
    # The daemon's bound on SIGTERM: running jobs get shutdown_timeout, then the outbox is
    # flushed within alerts.delivery.wait; systemd must wait longer than both together.
    bound = defaults.daemon.shutdown_timeout + defaults.alerts.delivery.wait
    assert int(stop[:-1]) > bound.total_seconds()
