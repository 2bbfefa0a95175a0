"""The check registry: explicit ids, a uniform contract, a clear error for unknown ids."""

from __future__ import annotations

import dataclasses

import pytest

from checks.base import CheckContext
from checks.dns.resolver import Resolver
from checks.registry import CHECKS, get_check
from checks.result import Status

DNS_IDS = ["dns.spf", "dns.dmarc", "dns.dkim", "dns.mx", "dns.mta_sts", "dns.tlsrpt"]
EXPECTED_IDS = [*DNS_IDS, "smtp.smtp", "reputation.blocklists"]


def test_registry_lists_every_check_once_in_order() -> None:
    """Config, runner and reports enumerate checks through this table only."""
    assert list(CHECKS) == EXPECTED_IDS


@pytest.mark.parametrize("check_id", EXPECTED_IDS)
def test_each_check_honours_the_contract(check_id: str) -> None:
    """monitor builds a Config per check and keys results by kind.name: both must line up."""
    cls = CHECKS[check_id]
    assert f"{cls.kind}.{cls.name}" == check_id
    assert dataclasses.is_dataclass(cls.Config)
    assert cls.Config.__dataclass_params__.frozen
    if check_id in DNS_IDS:
        cls.Config()  # every DNS check's field has a default (a domain alone is enough)
    assert callable(cls.run)


def test_get_check_returns_a_fresh_instance() -> None:
    """Callers get an object ready to run, not the class."""
    check = get_check("dns.dmarc")
    assert isinstance(check, CHECKS["dns.dmarc"])
    assert get_check("dns.dmarc") is not check


def test_unknown_id_raises_key_error_listing_known_ids() -> None:
    """A typo in a config must tell the user what exists."""
    with pytest.raises(KeyError, match=r"dns\.dmarcc.*dns\.dkim, dns\.dmarc"):
        get_check("dns.dmarcc")


def test_every_registered_check_passes_on_the_healthy_domain(resolver: Resolver) -> None:
    """healthy.test is the reference domain: every check must find it healthy."""
    ctx = CheckContext(resolver=resolver)
    for check_id in DNS_IDS:
        cls = CHECKS[check_id]
        config = cls.Config(selectors=("s1",)) if check_id == "dns.dkim" else cls.Config()
        result = get_check(check_id).run("healthy.test", config, ctx)
        assert result.status is Status.PASS, (check_id, result.findings)
        assert result.check_id == check_id
