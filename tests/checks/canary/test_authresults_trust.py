"""Trust rules: whose Authentication-Results to believe, and how lower headers are kept down."""

from __future__ import annotations

from checks.canary.authresults import TrustPolicy, decide_trust

AR = "Authentication-Results"
MX = TrustPolicy(("mx.example.net",))
M365 = TrustPolicy((), "microsoft365")
MS_AR = (
    "spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.com; dkim=pass (signature was "
    "verified) header.d=example.com;dmarc=pass action=none header.from=example.com;"
    "compauth=pass reason=100"
)
MS_AAR = (
    "i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.com; dmarc=pass action=none "
    "header.from=example.com; dkim=pass header.d=example.com; arc=none"
)


def _spf(decision_fields: list[tuple[str, str]], policy: TrustPolicy = MX) -> str | None:
    first = decide_trust(decision_fields, policy).first("spf")
    return first.result.result if first else None


def test_only_trusted_authserv_ids_are_believed() -> None:
    """RFC 8601 §7.1: an explicit list; anyone else's header is evidence only."""
    decision = decide_trust(
        [(AR, "evil.example.org; spf=pass"), (AR, "MX.Example.NET; spf=fail")], MX
    )
    assert [t.header.parsed.authserv_id for t in decision.trusted] == ["MX.Example.NET"]
    assert [i.reason for i in decision.ignored] == ["untrusted authserv-id evil.example.org"]
    assert decision.first("spf").result.result == "fail"  # type: ignore[union-attr]


def test_empty_trusted_list_believes_nothing() -> None:
    """The default trusts no one (RFC 8601 §7.1)."""
    decision = decide_trust([(AR, "mx.example.net; spf=pass")], TrustPolicy())
    assert decision.trusted == ()
    assert decision.results == {}


def test_topmost_trusted_header_decides_and_lower_one_cannot_upgrade() -> None:
    """A sender-added header with the trusted id sits below the receiver's (§7.3)."""
    fields = [
        (AR, "mx.example.net; spf=fail smtp.mailfrom=example.com; dmarc=fail"),
        (AR, "mx.example.net; spf=pass smtp.mailfrom=example.com; dmarc=pass"),
    ]
    decision = decide_trust(fields, MX)
    assert _spf(fields) == "fail"
    assert decision.first("dmarc").result.result == "fail"  # type: ignore[union-attr]
    assert len(decision.shadowed) == 2
    assert "decides" in decision.shadowed[0][1]


def test_header_below_a_receiver_that_writes_above_its_received_is_ignored() -> None:
    """Postfix + milters write above their border Received; below it is the sender's part."""
    fields = [
        (AR, "mx.example.net; spf=fail smtp.mailfrom=example.com"),
        ("Received", "from a.example.com (a.example.com [192.0.2.1]) by mx.example.net; x"),
        (AR, "mx.example.net; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=e.com"),
    ]
    decision = decide_trust(fields, MX)
    assert len(decision.trusted) == 1
    assert "below the receiver's own Received header" in decision.ignored[0].reason
    assert "dkim" not in decision.results


def test_receiver_writing_below_its_received_is_still_believed() -> None:
    """Gmail puts its header just below its Received; that must not drop it."""
    fields = [
        ("Received", "from a.example.com (a.example.com [192.0.2.1]) by mx.google.com; x"),
        (AR, "mx.google.com; spf=pass smtp.mailfrom=example.com"),
    ]
    decision = decide_trust(fields, TrustPolicy(("mx.google.com",)))
    assert len(decision.trusted) == 1
    assert decision.receiving_hop is not None


def test_several_headers_of_one_receiver_are_merged_per_method() -> None:
    """OpenDKIM + OpenDMARC + policyd-spf (and Proton) write one header per method."""
    fields = [
        (AR, "mx.example.net; dmarc=pass header.from=example.com"),
        (AR, "mx.example.net; dkim=pass header.d=example.com header.s=s1"),
        (AR, "mx.example.net; spf=pass smtp.mailfrom=example.com"),
        (AR, "mx.example.net; dkim=pass header.d=example.com header.s=s1e"),
    ]
    decision = decide_trust(fields, MX)
    assert sorted(decision.results) == ["dkim", "dmarc", "spf"]
    assert [s.result.prop("header.s") for s in decision.results["dkim"]] == ["s1", "s1e"]
    assert decision.shadowed == ()


def test_lower_dkim_result_for_the_same_signature_is_shadowed() -> None:
    """Per signature, the topmost report wins; a lower pass cannot replace a fail."""
    fields = [
        (AR, "mx.example.net; dkim=fail header.d=example.com header.s=s1 header.b=AbCdEfGh"),
        (AR, "mx.example.net; dkim=pass header.d=example.com header.b=AbCd"),
    ]
    decision = decide_trust(fields, MX)
    assert [s.result.result for s in decision.results["dkim"]] == ["fail"]
    assert decision.shadowed[0][1] == "a higher trusted header reported this signature"


def test_generic_receiver_ignores_headers_without_authserv_id() -> None:
    """Without the Microsoft rule, an id-less header names no one to trust."""
    decision = decide_trust([(AR, MS_AR)], MX)
    assert decision.trusted == ()
    assert decision.ignored[0].reason == "no authserv-id (receiver is generic)"


def test_microsoft_header_is_believed_when_its_arc_copy_agrees() -> None:
    """Microsoft 365 writes no authserv-id; its signed AAR i=1 corroborates the AR."""
    decision = decide_trust([(AR, MS_AR), ("ARC-Authentication-Results", MS_AAR)], M365)
    assert len(decision.trusted) == 1
    assert "agrees with ARC-Authentication-Results" in decision.trusted[0].basis
    assert decision.first("dkim").result.prop("header.d") == "example.com"  # type: ignore[union-attr]


def test_microsoft_header_is_believed_when_the_exchange_copy_agrees() -> None:
    """X-MS-Exchange-Authentication-Results alone also corroborates."""
    xms = "spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.com; dmarc=pass"
    decision = decide_trust([(AR, MS_AR), ("X-MS-Exchange-Authentication-Results", xms)], M365)
    assert len(decision.trusted) == 1


def test_microsoft_header_is_not_believed_without_a_copy() -> None:
    """An id-less header anyone could have written needs Microsoft's own copy."""
    decision = decide_trust([(AR, MS_AR)], M365)
    assert decision.trusted == ()
    assert "to corroborate it" in decision.ignored[0].reason


def test_microsoft_header_is_not_believed_when_a_copy_disagrees() -> None:
    """A forged id-less pass disagrees with Microsoft's signed copy."""
    aar = MS_AAR.replace("dmarc=pass", "dmarc=fail")
    decision = decide_trust([(AR, MS_AR), ("ARC-Authentication-Results", aar)], M365)
    assert decision.trusted == ()
    assert "dmarc=pass disagrees" in decision.ignored[0].reason


def test_only_the_topmost_idless_header_can_be_microsofts() -> None:
    """Lower id-less headers arrived with the message."""
    forged = MS_AR.replace("spf=pass", "spf=fail")
    decision = decide_trust(
        [(AR, MS_AR), (AR, forged), ("ARC-Authentication-Results", MS_AAR)], M365
    )
    assert len(decision.trusted) == 1
    assert "below the topmost" in decision.ignored[0].reason


def test_microsoft_copy_is_the_highest_arc_instance_from_mx_microsoft_com() -> None:
    """A forwarder's forged `i=1; mx.microsoft.com` loses to Microsoft's own later instance."""
    forged_i1 = MS_AAR.replace("spf=pass", "spf=fail")
    own_i2 = MS_AAR.replace("i=1;", "i=2;")
    decision = decide_trust(
        [
            (AR, MS_AR),
            ("ARC-Authentication-Results", own_i2),
            ("ARC-Authentication-Results", forged_i1),
        ],
        M365,
    )
    assert len(decision.trusted) == 1
    assert decision.corroborators[0].parsed.instance == 2


def test_arc_headers_are_reported_but_never_trusted_as_results() -> None:
    """AAR copies a hop's results; it is evidence, not the receiver's verdict."""
    decision = decide_trust([("ARC-Authentication-Results", "i=1; mx.example.net; spf=pass")], MX)
    assert decision.trusted == ()
    assert len(decision.arc) == 1


BORDER = "from a.example.com (a.example.com [192.0.2.1]) by mx.example.net; x"
GMAIL_BORDER = "from a.example.com (a.example.com [192.0.2.1]) by mx.google.com; x"
GMAIL = TrustPolicy(("mx.google.com",))
OVERSIZE = "; ".join(f"dkim=fail header.d=example.com header.s=x{i:04d}" for i in range(1700))


def test_oversized_trusted_header_is_unreadable_and_nothing_else_decides() -> None:
    """Rule 5: the receiver's header over 64 KiB makes the decision unreadable, no fall-through."""
    fields = [
        (AR, f"mx.example.net; spf=fail; {OVERSIZE}"),
        ("Received", BORDER),
        (AR, "mx.example.net; spf=pass smtp.mailfrom=example.com"),
    ]
    decision = decide_trust(fields, MX)
    assert [u.header.position for u in decision.unreadable] == [0]
    assert decision.unreadable[0].header.parsed.authserv_id == "mx.example.net"
    assert decision.results == {}
    assert decision.trusted == ()


def test_oversized_untrusted_header_is_ignored_for_its_id_not_for_a_missing_one() -> None:
    """Every reason is true: an over-long header of someone else is untrusted, not id-less."""
    decision = decide_trust(
        [(AR, f"evil.example.org; {OVERSIZE}"), (AR, "mx.example.net; spf=fail")], MX
    )
    assert [i.reason for i in decision.ignored] == ["untrusted authserv-id evil.example.org"]
    assert decision.unreadable == ()
    assert _spf([(AR, "mx.example.net; spf=fail")]) == "fail"


def test_header_with_unreadable_authserv_id_above_the_border_is_unreadable() -> None:
    """Above the receiver's Received only the receiver writes: an unreadable header there is its."""
    fields = [
        (AR, "(unterminated; spf=pass"),
        (AR, "mx.example.net; spf=fail smtp.mailfrom=example.com"),
        ("Received", BORDER),
    ]
    decision = decide_trust(fields, MX)
    assert [u.header.position for u in decision.unreadable] == [0]
    assert decision.unreadable[0].header.parsed.id_unread


def test_damaged_header_below_the_border_is_ignored_not_an_error() -> None:
    """A sender cannot turn the receiver's fail into "could not be read" by adding garbage."""
    fields = [
        (AR, "mx.example.net; spf=fail smtp.mailfrom=example.com"),
        ("Received", BORDER),
        (AR, "mx.example.net; spf=pass (unterminated"),
        (AR, f"mx.example.net; {OVERSIZE}"),
    ]
    decision = decide_trust(fields, MX)
    assert decision.unreadable == ()
    assert _spf(fields) == "fail"
    assert all("could not be read" in i.reason for i in decision.ignored)


def test_damaged_lower_header_without_a_border_does_not_make_an_error() -> None:
    """No Received names the receiver: a lower unreadable header cannot be told from a forgery."""
    fields = [(AR, "mx.example.net; spf=fail smtp.mailfrom=example.com"), (AR, "mx.example.net; 0")]
    decision = decide_trust(fields, MX)
    assert decision.unreadable == ()
    assert decision.ignored[0].reason.startswith("below a readable header with the trusted")


def test_gmail_style_receiver_is_judged_by_the_one_header_beneath_its_received() -> None:
    """A lower header with Gmail's id cannot add a DKIM pass Gmail's own header did not report."""
    fields = [
        ("Received", GMAIL_BORDER),
        ("Received-SPF", "pass (google.com: ...) client-ip=192.0.2.1;"),
        (AR, "mx.google.com; spf=pass smtp.mailfrom=example.com; dmarc=pass"),
        (AR, "mx.google.com; dkim=pass header.i=@example.com header.s=s1"),
    ]
    decision = decide_trust(fields, GMAIL)
    assert [t.header.position for t in decision.trusted] == [2]
    assert "dkim" not in decision.results
    assert decision.ignored[0].reason.startswith("below the receiver's own header, which it writes")


def test_trusted_header_not_directly_beneath_a_below_writing_receiver_never_counts() -> None:
    """A receiver that wrote nothing leaves nothing to believe; the sender's header is not its."""
    fields = [
        ("Received", GMAIL_BORDER),
        ("DKIM-Signature", "v=1; d=example.com; s=s1; b=AbCd"),
        (AR, "mx.google.com; spf=pass; dkim=pass header.i=@example.com; dmarc=pass"),
    ]
    decision = decide_trust(fields, GMAIL)
    assert decision.trusted == ()
    assert "not directly beneath it" in decision.ignored[0].reason


def test_forged_received_below_the_border_cannot_move_it() -> None:
    """The sender can write `Received: ... by mx.example.net`; the border stays the topmost one."""
    fields = [
        ("Received", GMAIL_BORDER),
        (AR, "mx.google.com; spf=pass smtp.mailfrom=example.com; dmarc=pass"),
        (AR, "mx.google.com; dkim=pass header.i=@example.com header.s=s1"),
        ("Received", "from x.example.org (x.example.org [203.0.113.9]) by mx.google.com; x"),
    ]
    decision = decide_trust(fields, GMAIL)
    assert decision.receiving_hop is not None
    assert decision.receiving_hop.index == 0
    assert "dkim" not in decision.results


def test_microsoft_topmost_idless_header_unreadable_is_an_error() -> None:
    """Microsoft's id-less header is its by position; too long to read means no verdict."""
    decision = decide_trust(
        [(AR, f"spf=fail; {OVERSIZE}"), (AR, MS_AR), ("ARC-Authentication-Results", MS_AAR)], M365
    )
    assert [u.header.position for u in decision.unreadable] == [0]
    assert decision.results == {}
