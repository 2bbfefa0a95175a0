"""Pure parser for one DKIM key record (RFC 6376 §3.6.1, RFC 8301, RFC 8463).

Tags: `v` (optional, first, "DKIM1"), `k` (key type, default rsa), `p` (base64 key; empty means
revoked), `h` (acceptable hashes), `s` (service types), `t` (flags: y testing, s strict), `n`
(notes, ignored). The key itself is decoded with `cryptography`: RSA keys as the DER
SubjectPublicKeyInfo every signer publishes (or a bare PKCS#1 RSAPublicKey, which some
verifiers also accept), Ed25519 keys as the 32 raw bytes RFC 8463 §4.2 prescribes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from checks.dns._taglist import TagListError, split_tags

__all__ = ["KNOWN_KEY_TYPES", "DkimKey", "DkimKeyError", "parse_dkim_key"]

KNOWN_KEY_TYPES = frozenset({"rsa", "ed25519"})
_WHITESPACE = re.compile(r"\s+")


class DkimKeyError(TagListError):
    """The key record cannot be used; `.tag`, `.value` and `.reason` say where and why."""


@dataclasses.dataclass(frozen=True, slots=True)
class DkimKey:
    """A readable DKIM key record.

    `key_bits` and `key_sha256` are None when there is no key to measure (revoked, or a key
    type we cannot decode). `key_sha256` hashes the decoded key bytes, so a rotated key shows
    as a changed value even when its size and type stay the same.
    """

    key_type: str
    key_bits: int | None
    revoked: bool
    testing: bool
    strict: bool
    hashes: tuple[str, ...] | None
    services: tuple[str, ...]
    key_sha256: str | None


def _error(tag: str, value: str, reason: str, why: str) -> DkimKeyError:
    return DkimKeyError(tag, value, reason, f"{tag}={value[:40]}: {why}")


def _colon_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(":") if part.strip())


def _rsa_bits(der: bytes, p: str) -> int:
    """Size of an RSA key given as SubjectPublicKeyInfo, or as PKCS#1 RSAPublicKey."""
    try:
        key = serialization.load_der_public_key(der)
    except ValueError:
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der)
        pem += b"-----END RSA PUBLIC KEY-----\n"
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            raise _error("p", p, "key_undecodable", "not a DER RSA public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise _error("p", p, "key_type_mismatch", "the key is not an RSA key")
    return key.key_size


def _ed25519_bits(raw: bytes, p: str) -> int:
    if len(raw) != 32:
        raise _error("p", p, "key_undecodable", f"an Ed25519 key is 32 raw bytes, not {len(raw)}")
    ed25519.Ed25519PublicKey.from_public_bytes(raw)
    return 256


def _decode_p(p: str) -> bytes:
    try:
        return base64.b64decode(p, validate=True)
    except (binascii.Error, ValueError):
        raise _error("p", p, "bad_base64", "not valid base64") from None


def parse_dkim_key(text: str) -> DkimKey:
    """Parse a DKIM key record and measure its key.

    Raises:
        DkimKeyError: unreadable tag list, `v` not first or not DKIM1, no `p` tag, bad base64,
            or a key that does not decode as its declared type.
    """
    try:
        tags = split_tags(text)
    except TagListError as exc:
        raise DkimKeyError(exc.tag, exc.value, exc.reason, str(exc)) from None
    values = {tag.name: tag.value for tag in tags}
    if "v" in values and (tags[0].name != "v" or values["v"] != "DKIM1"):
        raise _error("v", values["v"], "invalid_version", "v=DKIM1 must come first if present")
    if "p" not in values:
        raise _error("p", "", "missing_tag", "the record has no p tag")
    key_type = values.get("k", "rsa").strip().lower()
    p = _WHITESPACE.sub("", values["p"])
    flags = _colon_list(values.get("t", ""))
    hashes = _colon_list(values["h"]) if "h" in values else None
    services = _colon_list(values.get("s", "*"))
    bits: int | None = None
    digest: str | None = None
    if p:
        raw = _decode_p(p)
        if key_type == "rsa":
            bits = _rsa_bits(raw, p)
        elif key_type == "ed25519":
            bits = _ed25519_bits(raw, p)
        if bits is not None:
            digest = hashlib.sha256(raw).hexdigest()
    return DkimKey(
        key_type=key_type,
        key_bits=bits,
        revoked=not p,
        testing="y" in flags,
        strict="s" in flags,
        hashes=hashes,
        services=services,
        key_sha256=digest,
    )
