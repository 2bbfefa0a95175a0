"""TLS client contexts and certificate facts shared by the SMTP and IMAP transports.

Why one module: the relay probe, the SMTP sender and the IMAP reader must agree on what
"verified" means (system trust store or a configured CA file, hostname checked, TLS 1.2+), and
on how a handshake failure is named (`tls_handshake` vs `certificate_verification`), so a
diagnosis reads the same whichever transport hit it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = [
    "CertificateFacts",
    "TlsSetupError",
    "certificate_facts",
    "client_context",
    "describe_tls_error",
    "tls_failure_step",
]


class TlsSetupError(Exception):
    """The local TLS material (CA file, client certificate or key) cannot be loaded."""


def client_context(
    *,
    verify: bool = True,
    ca_file: str | None = None,
    client_cert_file: str | None = None,
    client_key_file: str | None = None,
) -> ssl.SSLContext:
    """A client context: verification on by default, TLS 1.2 at least.

    Args:
        verify: check the chain and the host name; off only where the config says so.
        ca_file: PEM bundle trusted instead of the system store (private relays, tests).
        client_cert_file / client_key_file: a client certificate for relays that ask one.

    Raises:
        TlsSetupError: a configured file is missing or unreadable; named in the message.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify:
        try:
            if ca_file:
                ctx.load_verify_locations(cafile=ca_file)
            else:
                ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(f"cannot load ca_file {ca_file}: {exc}") from None
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert_file:
        try:
            ctx.load_cert_chain(client_cert_file, client_key_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(
                f"cannot load client certificate {client_cert_file}: {exc}"
            ) from None
    return ctx


def tls_failure_step(exc: BaseException) -> str:
    """`certificate_verification` for a rejected certificate, else `tls_handshake`."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate_verification"
    return "tls_handshake"


def describe_tls_error(exc: BaseException) -> str:
    """A one-line reason, e.g. `certificate verify failed: self-signed certificate`."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"TLS handshake failed: {exc.reason}"
    return f"TLS handshake failed: {exc}"


@dataclasses.dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a monitor records about a peer certificate (leaf only)."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: tuple[str, ...]

    def days_left(self, now: dt.datetime) -> int:
        """Whole days until expiry; negative once expired."""
        return (self.not_after - now).days


def certificate_facts(der: bytes) -> CertificateFacts:
    """Parse a DER certificate (as `SSLSocket.getpeercert(binary_form=True)` gives it)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateFacts(
        subject=_common_name(cert.subject) or cert.subject.rfc4514_string(),
        issuer=_common_name(cert.issuer) or cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=names,
    )


def _common_name(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None
