"""Keys the mail lab makes at start: a private CA with one server certificate, and DKIM keys.

Nothing is committed: each lab session generates fresh keys, so the repository holds no private
key and a test can never pass against a stale published key. The certificate covers every lab
host name and address, so clients can verify it against `ca.pem` (the TLS cases) or skip
verification (the plaintext-on-loopback cases).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.tls import TestCA

__all__ = ["DkimKey", "write_tls_files"]


class DkimKey:
    """An RSA DKIM key pair: the PEM for OpenDKIM and the TXT record for the zone."""

    def __init__(self, bits: int = 2048) -> None:
        # OpenDKIM refuses to sign with keys under 1024 bits; 2048 is today's norm.
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.bits = bits

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )

    def public_b64(self) -> str:
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def txt_rdata(self) -> str:
        """The record's RDATA as zone-file strings (each under 255 octets)."""
        value = f"v=DKIM1; k=rsa; p={self.public_b64()}"
        chunks = [value[i : i + 200] for i in range(0, len(value), 200)]
        return " ".join(f'"{chunk}"' for chunk in chunks)


def write_tls_files(directory: Path, dns_names: Sequence[str], ips: Sequence[str]) -> None:
    """Write ca.pem, server.pem (leaf + CA) and server.key into `directory`, the names the
    lab's Postfix and Dovecot configs read, from the same throwaway CA the unit tests use.

    The leaf is valid for 30 days, so a certificate-expiry check sees a healthy relay.
    """
    ca = TestCA(directory / "ca", name="senderwatch lab CA")
    leaf = ca.issue(
        "server",
        (*dns_names, *ips),
        not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
    )
    ca_pem = ca.ca_file.read_bytes()
    (directory / "ca.pem").write_bytes(ca_pem)
    (directory / "server.pem").write_bytes(leaf.cert.read_bytes() + ca_pem)
    key_path = directory / "server.key"
    key_path.write_bytes(leaf.key.read_bytes())
    key_path.chmod(0o600)
