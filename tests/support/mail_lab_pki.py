"""Keys the mail lab makes at start: a private CA with one server certificate, and DKIM keys.

Nothing is committed: each lab session generates fresh keys, so the repository holds no private
key and a test can never pass against a stale published key. The certificate covers every lab
host name and address, so clients can verify it against `ca.pem` (the TLS cases) or skip
verification (the plaintext-on-loopback cases).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_tls_files(directory: Path, dns_names: Sequence[str], ips: Sequence[str]) -> None:
    """Write ca.pem, server.pem (leaf + CA) and server.key into `directory`.

    The leaf is valid for 30 days, so a certificate-expiry check sees a healthy relay.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("senderwatch lab CA"))
        .issuer_name(_name("senderwatch lab CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.pem").write_bytes(leaf.public_bytes(pem) + ca_cert.public_bytes(pem))
    key_path = directory / "server.key"
    key_path.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
