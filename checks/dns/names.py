"""Domain-name and nameserver text helpers, without dnspython.

Kept apart from `checks.dns.resolver` so code that only normalises names (config validation,
display) does not import the DNS stack: `senderwatch config validate` stays quick.
"""

from __future__ import annotations

import idna

__all__ = ["parse_nameserver", "to_alabel", "to_ulabel"]


def to_alabel(name: str) -> str:
    """IDNA 2008 / UTS #46 A-label form, lower-cased, without trailing dot.

    Every query goes out in A-labels: a U-label query silently degrades to "no policy"
    (e2a #931, mail-dmarc #78). Names that are not valid IDNs (underscored labels such as
    `_dmarc`) are converted label by label, leaving ASCII labels as they are.
    """
    name = name.strip().rstrip(".")
    if name.isascii():
        return name.lower()
    labels = []
    for label in name.split("."):
        if label.isascii():
            labels.append(label.lower())
        else:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
    return ".".join(labels)


def to_ulabel(name: str) -> str:
    """Display form: U-labels where a label is a valid A-label, else unchanged."""
    out = []
    for label in name.rstrip(".").split("."):
        if label.lower().startswith("xn--"):
            try:
                out.append(idna.decode(label))
                continue
            except idna.IDNAError:
                pass
        out.append(label)
    return ".".join(out)


def parse_nameserver(spec: str) -> tuple[str, int]:
    """`"10.0.0.53"`, `"127.0.0.1:5353"`, `"[::1]:5353"` or `"::1"` → (address, port).

    Raises:
        ValueError: the port is not a number.
    """
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        return host, int(port)
    return spec, 53
