"""Unit tests of the pure DKIM key-record parser (no DNS); keys generated in the test."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from checks.dns._dkim_key import DkimKeyError, parse_dkim_key


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()


def _spki(key: rsa.RSAPublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_rsa_key_size_is_read_from_the_der(rsa_1024: rsa.RSAPublicKey) -> None:
    """The size comes from the key, not from the length of the base64 text."""
    key = parse_dkim_key(f"v=DKIM1; k=rsa; p={_spki(rsa_1024)}")
    assert (key.key_type, key.key_bits, key.revoked) == ("rsa", 1024, False)


def test_key_type_defaults_to_rsa_and_whitespace_inside_p_is_ignored(
    rsa_1024: rsa.RSAPublicKey,
) -> None:
    """k= is optional (RFC 6376 §3.6.1) and p= may be folded with spaces."""
    p = _spki(rsa_1024)
    key = parse_dkim_key(f"p={p[:50]} {p[50:]}")
    assert (key.key_type, key.key_bits) == ("rsa", 1024)


def test_pkcs1_rsa_public_key_is_accepted(rsa_1024: rsa.RSAPublicKey) -> None:
    """Some signers publish a bare RSAPublicKey; verifiers read it, so do we."""
    der = rsa_1024.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    key = parse_dkim_key(f"k=rsa; p={base64.b64encode(der).decode()}")
    assert key.key_bits == 1024


def test_ed25519_key_is_32_raw_bytes_hashed_for_drift() -> None:
    """RFC 8463 keys are raw bytes, and the hash of those bytes identifies the key."""
    raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode()}")
    assert (key.key_type, key.key_bits) == ("ed25519", 256)
    assert key.key_sha256 == hashlib.sha256(raw).hexdigest()


def test_ed25519_key_wrapped_in_spki_is_invalid() -> None:
    """An SPKI-wrapped Ed25519 key is 44 bytes; RFC 8463 verifiers cannot use it."""
    der = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(DkimKeyError) as caught:
        parse_dkim_key(f"k=ed25519; p={base64.b64encode(der).decode()}")
    assert (caught.value.tag, caught.value.reason) == ("p", "key_undecodable")


def test_empty_p_means_revoked() -> None:
    """An empty p= is how a key is withdrawn (RFC 6376 §3.6.1)."""
    key = parse_dkim_key("v=DKIM1; k=rsa; p=")
    assert key.revoked
    assert (key.key_bits, key.key_sha256) == (None, None)


def test_flags_hashes_and_services_are_read(rsa_1024: rsa.RSAPublicKey) -> None:
    """t=, h= and s= are colon lists; their meaning is judged by the check."""
    key = parse_dkim_key(f"v=DKIM1; t=y:s; h=sha1:sha256; s=email; n=note; p={_spki(rsa_1024)}")
    assert (key.testing, key.strict) == (True, True)
    assert key.hashes == ("sha1", "sha256")
    assert key.services == ("email",)


def test_unknown_key_type_is_kept_without_a_size() -> None:
    """An unknown k= is reported by type; its key cannot be measured."""
    key = parse_dkim_key("k=dsa; p=AAAA")
    assert (key.key_type, key.key_bits, key.key_sha256) == ("dsa", None, None)


@pytest.mark.parametrize(
    ("text", "tag", "reason"),
    [
        ("v=DKIM1; k=rsa", "p", "missing_tag"),
        ("k=rsa; v=DKIM1; p=", "v", "invalid_version"),
        ("v=DKIM2; p=", "v", "invalid_version"),
        ("v=DKIM1; p=abc!", "p", "bad_base64"),
        ("v=DKIM1; p=AAAA", "p", "key_undecodable"),
        ("v=DKIM1; p=; p=", "p", "duplicate_tag"),
        ("v=DKIM1; just text", "just text", "not_a_tag"),
        ("", "p", "missing_tag"),
    ],
)
def test_malformed_records_name_tag_and_reason(text: str, tag: str, reason: str) -> None:
    """Each way a key record breaks is reported with the tag at fault."""
    with pytest.raises(DkimKeyError) as caught:
        parse_dkim_key(text)
    assert (caught.value.tag, caught.value.reason) == (tag, reason)


def test_ed25519_key_declared_as_rsa_is_a_type_mismatch() -> None:
    """A key that decodes as another algorithm than k= says is unusable."""
    der = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(DkimKeyError) as caught:
        parse_dkim_key(f"k=rsa; p={base64.b64encode(der).decode()}")
    assert caught.value.reason == "key_type_mismatch"
