"""Received headers: TLS, timestamp and connecting IP of the receiver's own hop."""

from __future__ import annotations

import datetime as dt

import pytest

from checks.canary.authresults import find_receiving_hop, parse_received

GMAIL = (
    "from mail.example.com (mail.example.com. [192.0.2.10])\r\n        by mx.google.com with "
    "ESMTPS id a1-20020a17090a\r\n        for <seed@example.net>\r\n        (version=TLS1_3 "
    "cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\r\n        Tue, 01 Oct 2024 10:00:00 -0700 (PDT)"
)
POSTFIX_TLS = (
    "from mail.example.com (mail.example.com [192.0.2.10]) (using TLSv1.3 with cipher "
    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519; server-signature ECDSA) "
    "by mx.example.net (Postfix) with ESMTPS id 4ABC for <seed@example.net>; "
    "Sat, 28 Nov 2026 01:00:01 +0000 (UTC)"
)
POSTFIX_PLAIN = (
    "from mail.example.com (mail.example.com [192.0.2.10]) by mx.example.net (Postfix) "
    "with ESMTP id 4ABC for <seed@example.net>; Sat, 28 Nov 2026 01:00:01 +0000 (UTC)"
)
AMAVIS_REINJECT = (
    "from localhost (localhost [127.0.0.1]) by mx.example.net (Postfix) with ESMTP id 4DEF; "
    "Sat, 28 Nov 2026 01:00:02 +0000 (UTC)"
)
MICROSOFT = (
    "from mail.example.com (192.0.2.10) by BN1PEPF00004680.mail.protection.outlook.com "
    "(10.167.243.182) with Microsoft SMTP Server (version=TLS1_2, "
    "cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7982.15 via Frontend Transport; "
    "Tue, 1 Oct 2024 17:00:01 +0000"
)
EXIM = (
    "from [2001:db8::25] (helo=mail.example.com) by mx.example.org with esmtps (TLS1.3) tls "
    "TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1qAbCd; Mon, 02 Oct 2024 10:00:00 +0200"
)
SENDER_SIDE = (
    "from [198.51.100.1] (unknown [198.51.100.1]) by mail.example.com (Postfix) with ESMTPSA "
    "id 4XYZ; Sat, 28 Nov 2026 01:00:00 +0000 (UTC)"
)


@pytest.mark.parametrize(
    ("value", "ip", "tls", "version"),
    [
        (GMAIL, "192.0.2.10", True, "TLSv1.3"),
        (POSTFIX_TLS, "192.0.2.10", True, "TLSv1.3"),
        (POSTFIX_PLAIN, "192.0.2.10", False, None),
        (MICROSOFT, "192.0.2.10", True, "TLSv1.2"),
        (EXIM, "2001:db8::25", True, "TLSv1.3"),
    ],
)
def test_tls_and_connecting_ip_are_read_from_each_mta_form(
    value: str, ip: str, tls: bool, version: str | None
) -> None:
    """`with ESMTPS`, `(version=TLS1_3 ...)`, `(using TLSv1.3 ...)` and Exim's `(TLS1.3)`."""
    hop = parse_received(value)
    assert (hop.ip, hop.tls, hop.tls_version) == (ip, tls, version)
    assert hop.problems == ()


def test_timestamp_is_aware_utc() -> None:
    """Latency needs comparable instants; the zone comment `(PDT)` is ignored."""
    hop = parse_received(GMAIL)
    assert hop.timestamp == dt.datetime(2024, 10, 1, 17, 0, tzinfo=dt.UTC)
    assert hop.by_host == "mx.google.com"


def test_receiving_hop_is_the_receivers_border_not_its_content_filter() -> None:
    """Amavis re-injects from localhost above the border hop; the border decides TLS."""
    found = find_receiving_hop([AMAVIS_REINJECT, POSTFIX_TLS, SENDER_SIDE], ["mx.example.net"])
    assert found is not None
    assert (found.index, found.matched_by, found.hop.tls) == (1, "receiver", True)


def test_internal_handoffs_without_from_do_not_end_the_receivers_run() -> None:
    """Gmail's topmost `Received: by 2002:...` has no from clause and no host name."""
    internal = (
        "by 2002:a05:6520:2c9:b0:2a1:1b2f:e0c with SMTP id j9csp123; Tue, 1 Oct 2024 10:00:01 -0700"
    )
    found = find_receiving_hop([internal, GMAIL], ["mx.google.com"])
    assert found is not None
    assert found.index == 1
    assert found.hop.ip == "192.0.2.10"


def test_unknown_receiver_falls_back_to_the_topmost_hop_and_says_so() -> None:
    """Position is evidence, not proof: the fallback is labelled."""
    found = find_receiving_hop([POSTFIX_PLAIN, SENDER_SIDE], ["inbox.example.org"])
    assert found is not None
    assert (found.index, found.matched_by) == (0, "fallback")


def test_unreadable_received_reports_problems() -> None:
    """Broken Received headers yield problems, not exceptions."""
    assert parse_received("from x (unterminated").problems
    assert parse_received("from x by y; not a date").problems == ("unreadable date 'not a date'",)
    assert find_receiving_hop([], ["mx.example.net"]) is None


def test_forged_received_below_the_border_does_not_move_it() -> None:
    """A sender's `Received: from x by mx.example.net` below the real border is not the border."""
    forged = POSTFIX_PLAIN.replace("192.0.2.10", "203.0.113.9").replace("mail.", "forged.")
    found = find_receiving_hop([POSTFIX_TLS, forged, SENDER_SIDE], ["mx.example.net"])
    assert found is not None
    assert (found.index, found.hop.ip) == (0, "192.0.2.10")


def test_internal_relay_from_a_private_address_is_not_the_border() -> None:
    """An internal hop (10.x) above the border is a hand-off, like a content filter's."""
    internal = (
        "from edge.corp.example (edge.corp.example [10.0.0.5]) by mx2.example.net with ESMTP; "
        "Sat, 28 Nov 2026 01:00:02 +0000"
    )
    found = find_receiving_hop([internal, POSTFIX_TLS, SENDER_SIDE], ["example.net"])
    assert found is not None
    assert found.index == 1


def test_run_of_local_hops_only_keeps_the_lowest_as_border() -> None:
    """An all-loopback path (the test lab) still finds its border: the lowest hop of the run."""
    lmtp = (
        "from mx.lab.test ([127.0.0.1]) by mx.lab.test with LMTP; Sat, 28 Nov 2026 01:00:02 +0000"
    )
    relay = (
        "from relay.sender.test (unknown [127.0.0.10]) by mx.lab.test with ESMTP; "
        "Sat, 28 Nov 2026 01:00:01 +0000"
    )
    found = find_receiving_hop([lmtp, relay], ["mx.lab.test"])
    assert found is not None
    assert (found.index, found.matched_by) == (1, "receiver")
