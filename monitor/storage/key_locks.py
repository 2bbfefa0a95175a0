"""Serialise writers of the same keys across replicas: transaction-level advisory locks.

Two replicas that evaluate the same subject at once (the DNS cycle and an environment's
relay job both measure example.com; two post-release runs) would each read "no baseline
yet" or "alert pending", and each write its decision. A row lock cannot help when the row
does not exist yet (a first baseline, a new alert), so the transaction first takes an
advisory lock per key on PostgreSQL: `pg_advisory_xact_lock(namespace, hash(key))`, in
ascending order so two transactions never wait on each other crosswise (no deadlock), held
until commit. The second writer then reads what the first committed. Unique indexes
(0008_replicas) stay the backstop: a path that forgot the lock fails loudly, never
duplicates.

Locks of different keys whose hashes collide only serialise a little more; they never
block correctness. SQLite needs none: every transaction there starts `BEGIN IMMEDIATE`,
which serialises writers already (monitor.storage.engine).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["ALERT_SCOPES", "BASELINE_SUBJECTS", "key_hash", "lock_keys"]

# The first key of the two-integer advisory lock: what kind of key the second one hashes.
# (The schema migration's lock uses the one-bigint form, a separate key space.)
BASELINE_SUBJECTS = 0x5E4D_0101
ALERT_SCOPES = 0x5E4D_0102


def key_hash(key: str) -> int:
    """A stable signed 32-bit hash of `key` (the same in every replica and Python run)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(session: Session, namespace: int, keys: Iterable[str]) -> int:
    """Hold an advisory lock on each key until the transaction ends (PostgreSQL only);
    how many distinct locks were taken (0 on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    hashes = sorted({key_hash(key) for key in keys})
    if not hashes:
        return 0
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(:namespace, k)) "
            "FROM unnest(CAST(:keys AS integer[])) WITH ORDINALITY AS t(k, n)"
        ),
        {"namespace": namespace, "keys": hashes},
    )
    return len(hashes)
