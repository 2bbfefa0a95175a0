"""Authentication-Results: parse (RFC 8601), decide whom to trust, evaluate for the canary.

Modules, bottom up:
    tokens            CFWS, comments, quoted strings, keywords (the lexical layer)
    parse             recursive-descent parser → model.AuthResults; never raises
    model             frozen values: AuthResults, ResInfo, Property
    provider_results  provider tokens → RFC results; unknown → "indeterminate"
    signatures        the message's DKIM-Signature identities; matching results to them
    alignment         relaxed / strict identifier alignment via the Public Suffix List
    trust             which headers to believe (authserv-id, Microsoft 365 rule, merging)
    evaluate          SPF, our DKIM signature, DMARC, ARC verdicts and alignment
    received          the receiver's Received hop: TLS, timestamp, connecting IP
    findings          verdicts → stable `canary.*` findings

`checks.canary.inspect.inspect_message` ties them together for one raw message.
"""

from checks.canary.authresults.evaluate import Evaluation, Expectations, MethodVerdict
from checks.canary.authresults.model import AuthResults, Property, ResInfo
from checks.canary.authresults.parse import (
    parse_arc_authentication_results,
    parse_authentication_results,
)
from checks.canary.authresults.provider_results import NormalisedResult, normalise
from checks.canary.authresults.received import ReceivedHop, find_receiving_hop, parse_received
from checks.canary.authresults.trust import TrustDecision, TrustPolicy, decide_trust

__all__ = [
    "AuthResults",
    "Evaluation",
    "Expectations",
    "MethodVerdict",
    "NormalisedResult",
    "Property",
    "ReceivedHop",
    "ResInfo",
    "TrustDecision",
    "TrustPolicy",
    "decide_trust",
    "find_receiving_hop",
    "normalise",
    "parse_arc_authentication_results",
    "parse_authentication_results",
    "parse_received",
]
