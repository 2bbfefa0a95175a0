"""Every DNS check against servers that time out, SERVFAIL or REFUSE: ERROR, never FAIL.

"Could not ask" reported as "record missing" is the false-alarm class of checkdmarc #90 and
websegura #248; these tests use real misbehaving servers on loopback (tests/support/bad_dns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from checks.base import CheckContext
from checks.dns.resolver import Resolver
from checks.registry import CHECKS
from checks.result import Status
from tests.support.bad_dns import BlackholeDns, ServfailDns

SERVERS: dict[str, Callable[[], BlackholeDns | ServfailDns]] = {
    "timeout": BlackholeDns,
    "servfail": ServfailDns,
    "refused": lambda: ServfailDns(rcode="refused"),
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def bad_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(expected cause, address) of a running misbehaving server."""
    with SERVERS[request.param]() as server:
        yield request.param, server.address


def _config(check_id: str) -> object:
    cls = CHECKS[check_id]
    return cls.Config(selectors=("s1", "s2")) if check_id == "dns.dkim" else cls.Config()


@pytest.mark.parametrize("check_id", [c for c in CHECKS if c.startswith("dns.")])
def test_unanswerable_dns_is_an_error_never_a_failure(
    bad_server: tuple[str, str], check_id: str
) -> None:
    """A resolver outage must make the result ERROR with dns.<cause>, after retrying."""
    cause, address = bad_server
    resolver = Resolver([address], timeout=0.2, retries=1, backoff=0.01)
    result = CHECKS[check_id]().run(
        "healthy.test", _config(check_id), CheckContext(resolver=resolver)
    )
    assert result.status is Status.ERROR
    assert f"dns.{cause}" in result.codes()
    assert all(f.code.startswith("dns.") for f in result.findings if f.severity == "critical")
    assert not any(code.endswith(".missing") for code in result.codes())
    assert resolver.queries_sent > 1


@pytest.mark.parametrize("check_id", [c for c in CHECKS if c.startswith("dns.")])
def test_every_check_names_the_unanswered_question_with_the_same_keys(
    bad_server: tuple[str, str], check_id: str
) -> None:
    """One detail vocabulary (`rdtype`, never `type`): alert rules and JSON readers rely on it."""
    _, address = bad_server
    resolver = Resolver([address], timeout=0.2, retries=0, backoff=0.01)
    result = CHECKS[check_id]().run(
        "healthy.test", _config(check_id), CheckContext(resolver=resolver)
    )
    unmeasurable = [f for f in result.findings if f.unmeasurable]
    assert unmeasurable
    for finding in unmeasurable:
        assert {"name", "rdtype", "cause", "detail"} <= set(finding.details), finding
        assert "type" not in finding.details
        assert finding.message.startswith("Could not measure:"), finding.message


def test_unavailable_finding_names_what_was_asked() -> None:
    """The operator sees which name and type could not be resolved."""
    with ServfailDns() as server:
        resolver = Resolver([server.address], timeout=0.2, retries=1, backoff=0.01)
        result = CHECKS["dns.dmarc"]().run(
            "bücher.test", CHECKS["dns.dmarc"].Config(), CheckContext(resolver=resolver)
        )
    (finding,) = result.findings
    assert finding.unmeasurable
    assert finding.details["name"] == "_dmarc.xn--bcher-kva.test"
    assert finding.details["rdtype"] == "TXT"
    assert "_dmarc.bücher.test" in finding.message
    assert result.observations == {}


def test_each_unanswerable_selector_is_reported() -> None:
    """Every DKIM selector that could not be asked gets its own finding, and no facts."""
    with BlackholeDns() as hole:
        resolver = Resolver([hole.address], timeout=0.2, retries=1, backoff=0.01)
        result = CHECKS["dns.dkim"]().run(
            "healthy.test",
            CHECKS["dns.dkim"].Config(selectors=("s1", "s2")),
            CheckContext(resolver=resolver),
        )
    assert [f.details["name"] for f in result.findings] == [
        "s1._domainkey.healthy.test",
        "s2._domainkey.healthy.test",
    ]
    assert result.observations == {}
