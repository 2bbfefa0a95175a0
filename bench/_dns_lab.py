"""Benchmark DNS lab: N generated domains served by Knot behind a dnsdist front adding latency.

Realistic shape: every customer domain includes one or two of a few shared ESP SPF chains
(nested two or three levels, like real ESPs), publishes DMARC with rua, an MX pair, a 2048-bit
DKIM key, MTA-STS and TLS-RPT. The dnsdist front delays every answer by `delay_ms`, as a
resolver on the internet would (the kernel here has no netem).
"""

from __future__ import annotations

import base64
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.dns_server import KnotServer, free_port

ZONE = "bench.test"
ESPS = 6


def _soa(origin: str) -> str:
    return (
        f"$ORIGIN {origin}.\n$TTL 3600\n"
        f"@ IN SOA ns1.{origin}. hostmaster.{origin}. ( 1 ; serial\n 3600 600 86400 300 )\n"
        f"@ IN NS ns1.{origin}.\nns1 IN A 127.0.0.1\n"
    )


def _dkim_txt() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b64 = base64.b64encode(der).decode()
    chunks = " ".join(f'"{b64[i : i + 200]}"' for i in range(0, len(b64), 200))
    return f'"v=DKIM1; k=rsa; p=" {chunks}'


def write_zones(zone_dir: Path, n: int, seed: int = 7) -> list[str]:
    """Write the ESP zones and one customer zone with `n` domains; return the domain names."""
    rng = random.Random(seed)
    zone_dir.mkdir(parents=True, exist_ok=True)
    for e in range(ESPS):
        origin = f"esp{e}.test"
        text = _soa(origin)
        text += f'_spf IN TXT "v=spf1 include:_nb1.{origin} include:_nb2.{origin} ~all"\n'
        text += f'_nb1 IN TXT "v=spf1 ip4:198.51.{e}.0/24 ip4:203.0.{e}.0/25 ~all"\n'
        text += f'_nb2 IN TXT "v=spf1 ip6:2001:db8:{e}::/48 include:_nb3.{origin} ~all"\n'
        text += f'_nb3 IN TXT "v=spf1 ip4:192.0.2.{e * 16}/28 ~all"\n'
        text += f"mx1 IN A 192.0.2.{e + 1}\nmx2 IN A 192.0.2.{e + 101}\n"
        (zone_dir / f"{origin}.zone").write_text(text)
    dkim = _dkim_txt()
    lines = [_soa(ZONE)]
    names = []
    for i in range(n):
        label = f"d{i:05d}"
        names.append(f"{label}.{ZONE}")
        esps = rng.sample(range(ESPS), k=rng.choice((1, 2, 2, 2, 3)))
        includes = " ".join(f"include:_spf.esp{e}.test" for e in esps)
        mx = esps[0]
        lines.append(
            f'{label} IN TXT "v=spf1 ip4:192.0.2.{i % 250}/32 {includes} -all"\n'
            f'_dmarc.{label} IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{label}.{ZONE}"\n'
            f"{label} IN MX 10 mx1.esp{mx}.test.\n{label} IN MX 20 mx2.esp{mx}.test.\n"
            f"s1._domainkey.{label} IN TXT {dkim}\n"
            f'_mta-sts.{label} IN TXT "v=STSv1; id=2026{i:05d}"\n'
            f'_smtp._tls.{label} IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{label}.{ZONE}"\n'
        )
    (zone_dir / f"{ZONE}.zone").write_text("".join(lines))
    return names


class DelayFront:
    """dnsdist on loopback forwarding to Knot, delaying every answer by `delay_ms`."""

    def __init__(self, backend: str, delay_ms: int, workdir: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.conf = workdir / "dnsdist.conf"
        self.conf.write_text(
            f'setLocal("{self.address}")\n'
            f'newServer({{address="{backend}", name="knot"}})\n'
            f"addAction(AllRule(), DelayAction({delay_ms}))\n"
        )
        self.log = workdir / "dnsdist.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DelayFront:
        exe = shutil.which("dnsdist") or "/usr/bin/dnsdist"
        if not Path(exe).exists():
            raise SystemExit("dnsdist not found: run .ci/install-system-deps.sh")
        with self.log.open("wb") as log:
            self._proc = subprocess.Popen(
                [exe, "--supervised", "--disable-syslog", "-C", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_answer(self.address)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc:
            self._proc.terminate()
            self._proc.wait(timeout=10)


def _wait_answer(address: str, timeout: float = 15.0) -> None:
    import dns.message
    import dns.query

    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            q = dns.message.make_query("esp0.test", "SOA")
            if dns.query.udp(q, host, port=int(port), timeout=1).answer:
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"DNS front at {address} never answered")


class Lab:
    """Zones + Knot + dnsdist front, as a context manager."""

    def __init__(self, n: int, delay_ms: int) -> None:
        self.n = n
        self.delay_ms = delay_ms
        self.tmp = Path(tempfile.mkdtemp(prefix="senderwatch-bench-"))
        self.domains: list[str] = []

    def __enter__(self) -> Lab:
        self.domains = write_zones(self.tmp / "zones", self.n)
        (self.tmp / "knot").mkdir()
        self.knot = KnotServer(self.tmp / "zones", workdir=self.tmp / "knot").start()
        self.front = DelayFront(self.knot.address, self.delay_ms, self.tmp).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.front.__exit__()
        self.knot.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
