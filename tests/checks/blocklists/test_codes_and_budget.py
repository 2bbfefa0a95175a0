"""Pure logic: what each list's return codes mean, RFC 5782 query names, the token bucket and
the TTL cache (a fake clock, no DNS)."""

from __future__ import annotations

import pytest

from checks.blocklists.budget import AnswerCache, TokenBucket
from checks.blocklists.catalogue import CATALOGUE
from checks.blocklists.query import classify, query_name
from tests.checks.blocklists.lab_lists import LAB_IP

ZEN, DBL, SURBL = CATALOGUE["spamhaus-zen"], CATALOGUE["spamhaus-dbl"], CATALOGUE["surbl"]


@pytest.mark.parametrize("code", ["127.255.255.252", "127.255.255.254", "127.255.255.255"])
def test_spamhaus_refusal_codes_are_errors_never_listings(code: str) -> None:
    """Spamhaus answers 127.255.255.x when it refuses: an error with the fix, not a listing."""
    verdict = classify(ZEN, (code,))
    assert verdict.status == "error"
    assert "resolver" in verdict.meanings[0] or "typing error" in verdict.meanings[0]


def test_dbl_answer_for_an_ip_query_is_an_error() -> None:
    """127.0.1.255 on DBL: an IP address was asked as a domain."""
    assert classify(DBL, ("127.0.1.255",)).status == "error"


def test_error_code_among_listing_codes_makes_the_whole_answer_an_error() -> None:
    """One refusal means the list did not look: no listing in the same answer counts."""
    assert classify(ZEN, ("127.0.0.2", "127.255.255.254")).status == "error"


def test_zen_codes_say_which_sublist() -> None:
    """Each code names its sub-list (SBL, XBL, PBL)."""
    verdict = classify(ZEN, ("127.0.0.4", "127.0.0.10"))
    assert verdict.status == "listed"
    assert verdict.meanings[0].startswith("XBL") and verdict.meanings[1].startswith("PBL")


def test_surbl_bitmask_codes_combine_meanings_and_127_0_0_1_is_a_refusal() -> None:
    """SURBL multi ORs its lists into the last octet; 127.0.0.1 means "query refused"."""
    assert classify(SURBL, ("127.0.0.24",)).meanings == ("PH: phishing, MW: malware",)
    assert classify(SURBL, ("127.0.0.1",)).status == "error"


def test_127_0_0_1_is_never_a_listing_on_any_list() -> None:
    """RFC 5782 §5: a list answering 127.0.0.1 is refusing (URIBL does), whatever the list."""
    verdict = classify(LAB_IP, ("127.0.0.1",))
    assert verdict.status == "error"
    assert "RFC 5782" in verdict.meanings[0]


def test_answer_outside_127_is_unexpected_and_unknown_127_code_is_still_listed() -> None:
    """NXDOMAIN rewriting is not a listing; a new code of a list still is one."""
    assert classify(ZEN, ("198.51.100.1",)).status == "unexpected"
    verdict = classify(ZEN, ("127.0.0.99",))
    assert verdict.status == "listed"
    assert "not in this list's catalogue entry" in verdict.meanings[0]


def test_query_names_follow_rfc_5782() -> None:
    """§2.1 reversed octets, §2.4 reversed nibbles (IPv4-mapped too), §3 domain prefix."""
    assert query_name("192.0.2.10", ZEN) == "10.2.0.192.zen.spamhaus.org"
    assert query_name("::ffff:7f00:2", ZEN).startswith("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0")
    assert query_name("Example.COM.", DBL) == "example.com.dbl.spamhaus.org"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_lets_a_burst_through_then_waits_for_the_rate() -> None:
    """Two queries per second after a burst of three: the fourth waits half a second."""
    time = FakeTime()
    bucket = TokenBucket(2.0, 3, clock=time.clock, sleep=time.sleep)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    assert time.slept == [pytest.approx(0.5)]


def test_answer_cache_keeps_values_for_their_ttl_only() -> None:
    """An answer is reused until its TTL runs out, then asked again."""
    time = FakeTime()
    cache = AnswerCache(clock=time.clock)
    cache.put("k", "listed", ttl=60)
    cache.put("zero", "x", ttl=0)
    time.now += 59
    assert cache.get("k") == "listed"
    assert cache.get("zero") is None
    time.now += 2
    assert cache.get("k") is None
