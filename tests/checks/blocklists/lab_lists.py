"""The blocklists the tests ask: zones served by the test Knot (tests/zones/bl.test.zone,
dbl.test.zone), never a real list."""

from __future__ import annotations

from checks.blocklists.catalogue import SPAMHAUS_ERRORS, ListSpec, code_table

LAB_IP = ListSpec(
    "lab-ip",
    "bl.test",
    "ip",
    listed=code_table({"127.0.0.2": "lab listing", "127.0.0.4": "lab IPv6 listing"}),
    errors=code_table(SPAMHAUS_ERRORS),
    delist_url="https://bl.test/delist",
    ipv6=True,
    rate_limit=1000.0,
    burst=100,
)
LAB_DOMAIN = ListSpec(
    "lab-dbl",
    "dbl.test",
    "domain",
    listed=code_table({"127.0.1.2": "spam domain"}),
    errors=code_table({"127.0.1.255": "an IP address was asked"}),
    delist_url="https://dbl.test/delist",
    rate_limit=1000.0,
    burst=100,
)
DEAD_IP = ListSpec("dead-ip", "dead.example", "ip", rate_limit=1000.0, burst=100)
