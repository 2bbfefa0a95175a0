"""Blocklists (DNSBL / RHSBL, RFC 5782) and forward-confirmed reverse DNS of the sending paths.

    catalogue   the lists senderwatch knows and what their return codes mean
    query       RFC 5782 query names and the verdict of one answer
    budget      answers cached for their TTL, a rate limit per list (process-wide)
    lookup      one question to one list through the budget
    targets     which IPs and domains, from where; discovered private addresses skipped
    fcrdns      PTR → name → the same IP again
    check       the `reputation.blocklists` check (one result per environment)
    selftest    RFC 5782 test entries: does each configured list work from here?

The names below are imported on first use, so config validation (which reads the catalogue)
does not load the DNS stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.registry import lazy_attributes

if TYPE_CHECKING:
    from checks.blocklists.budget import QueryBudget
    from checks.blocklists.catalogue import CATALOGUE, DEFAULT_LISTS, ListSpec
    from checks.blocklists.check import BlocklistCheck, BlocklistConfig

__all__ = [
    "CATALOGUE",
    "DEFAULT_LISTS",
    "BlocklistCheck",
    "BlocklistConfig",
    "ListSpec",
    "QueryBudget",
]

__getattr__ = lazy_attributes(
    globals(),
    {
        "QueryBudget": "checks.blocklists.budget",
        "CATALOGUE": "checks.blocklists.catalogue",
        "DEFAULT_LISTS": "checks.blocklists.catalogue",
        "ListSpec": "checks.blocklists.catalogue",
        "BlocklistCheck": "checks.blocklists.check",
        "BlocklistConfig": "checks.blocklists.check",
    },
    "checks.blocklists",
)
