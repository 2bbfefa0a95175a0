"""What is stored about one sent canary, apart from the round trip that produced it.

Its own module so that storage, metrics and the late-canary sweep can name a canary without
importing the round trip (its inbox readers, senders and inspection: a few MB a DNS-only
daemon never needs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

__all__ = ["CanaryRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class CanaryRecord:
    """What the hub stores about one sent canary (table `canary_messages`).

    `delivered` is the run's verdict (found within its timeout). A canary found later by the
    late-canary sweep keeps `delivered=False` and gains `received_at` and `detected_at`.
    """

    token: str
    environment: str
    message_id: str
    sent_at: dt.datetime
    release: str | None
    delivered: bool
    received_at: dt.datetime | None = None  # the receiver's Received timestamp
    detected_at: dt.datetime | None = None  # when senderwatch found it in the inbox
