"""explain_ip against a real receiver: pyspf, the library behind postfix-policyd-spf-python.

The mail lab's receiver evaluates SPF with pyspf (Debian's python3-spf with py3dns, run by
the system Python). If explain_ip and the receiver disagreed, the canary issue's "why did
SPF fail" would explain a result the receiver never gave. Every explain_ip case is replayed
through pyspf against the same Knot server; the two known differences are pinned below and
explained in docs/spf.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from checks.dns.resolver import Resolver, to_alabel
from checks.dns.spf import explain_ip
from tests.checks.dns.test_spf_explain import CASES
from tests.conftest import EditableDns
from tests.support.dns_server import MissingComponentError

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin") or "/usr/bin/python3"

_PYSPF = r"""
import json, sys
import DNS, spf
DNS.defaults["server"] = ["127.0.0.1"]
DNS.defaults["port"] = int(sys.argv[1])
out = []
for domain, ip in json.load(sys.stdin):
    out.append(spf.query(i=ip, s="postmaster@" + domain, h=domain, timeout=5).check()[0])
print(json.dumps(out))
"""

# Where the receiver, not us, departs from RFC 7208 (docs/spf.md, "pyspf"):
KNOWN = {
    # py3dns hands back answer names as U-labels, so pyspf's cache misses the A-label key
    # it asked for and sees no record: an IDN sender domain gets 'none' from this receiver.
    ("xn--bcher-kva.spf-idn.test", "198.51.100.1"): ("pass", "none"),
    # REFUSED for an include target is treated as "no record" (permerror), while §4.4 says
    # an RCODE other than 0 or 3 is temperror.
    ("lame.spf-basic.test", "198.51.100.1"): ("temperror", "permerror"),
}


def pyspf_results(port: int, cases: list[tuple[str, str]]) -> list[str]:
    """check_host() results from pyspf in the system Python, asked of the test server."""
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import DNS, spf"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        raise MissingComponentError(
            "pyspf is missing from the system Python: run .ci/install-system-deps.sh "
            f"(Debian package postfix-policyd-spf-python): {probe.stderr.strip()}"
        )
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _PYSPF, str(port)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[str] = json.loads(done.stdout)
    return results


def test_explain_ip_agrees_with_the_lab_receiver(dns_server: EditableDns) -> None:
    """Every case gives the result pyspf gives, except the two pinned receiver quirks."""
    cases = [(to_alabel(domain), ip) for domain, ip, _, _ in CASES]
    theirs = pyspf_results(dns_server.server.port, cases)
    ours = [
        explain_ip(domain, ip, Resolver([dns_server.address], timeout=1, retries=0))["result"]
        for domain, ip in cases
    ]
    differences = {
        case: (mine, receiver)
        for case, mine, receiver in zip(cases, ours, theirs, strict=True)
        if mine != receiver
    }
    assert differences == KNOWN
