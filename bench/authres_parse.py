"""Benchmark: our Authentication-Results parser against the `authres` package, same run.

    .venv/bin/python bench/authres_parse.py [--rounds N] [--repeat R]

Both parsers read every Authentication-Results, ARC-Authentication-Results and
X-MS-Exchange-Authentication-Results field of the corpus (tests/corpus/authresults: provider
forms, malformed and hostile headers, full messages), N times. Printed per parser and per
part of the corpus (realistic provider forms; malformed + hostile): headers per second, the
ratio, how many values each parsed (results = method+result pairs, properties, reasons) and
how many headers each rejected (authres: raised; ours: reported a problem), then the forms
authres rejects. ARC headers are given to authres without their `i=N;` prefix, which it does
not know; ours strips it itself. Timing is the best of R repeats of N rounds, the two
parsers interleaved so that load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import authres

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.canary.authresults import (
    parse_arc_authentication_results,
    parse_authentication_results,
)
from checks.canary.inspect import header_fields

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "authresults"
_AR = {"authentication-results", "x-ms-exchange-authentication-results"}
_AAR = "arc-authentication-results"
_ARC_PREFIX = re.compile(r"\s*i\s*=\s*\d+\s*;")
_HOSTILE = ("malformed", "hostile-")


@dataclasses.dataclass(frozen=True)
class Field:
    source: str
    arc: bool
    value: str

    @property
    def hostile(self) -> bool:
        return self.source.startswith(_HOSTILE)


@dataclasses.dataclass
class Tally:
    headers: int = 0
    rejected: int = 0
    results: int = 0
    properties: int = 0
    reasons: int = 0
    rejected_examples: list[str] = dataclasses.field(default_factory=list)

    @property
    def values(self) -> int:
        return 2 * self.results + self.properties + self.reasons


def load_fields() -> list[Field]:
    fields = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file():
            continue
        for name, value in header_fields(path.read_bytes()):
            lname = name.lower()
            if lname in _AR or lname == _AAR:
                fields.append(Field(path.stem, lname == _AAR, value))
    return fields


def ours(field: Field) -> object:
    if field.arc:
        return parse_arc_authentication_results(field.value)
    return parse_authentication_results(field.value)


def theirs(field: Field) -> object:
    value = _ARC_PREFIX.sub("", field.value, count=1) if field.arc else field.value
    return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)


def tally_ours(fields: list[Field]) -> Tally:
    tally = Tally()
    for field in fields:
        parsed = ours(field)
        tally.headers += 1
        tally.results += len(parsed.results)  # type: ignore[attr-defined]
        tally.properties += sum(len(r.properties) for r in parsed.results)  # type: ignore[attr-defined]
        tally.reasons += sum(1 for r in parsed.results if r.reason)  # type: ignore[attr-defined]
        if parsed.problems:  # type: ignore[attr-defined]
            tally.rejected += 1
    return tally


def tally_theirs(fields: list[Field]) -> Tally:
    tally = Tally()
    for field in fields:
        tally.headers += 1
        try:
            parsed = theirs(field)
        except Exception as exc:  # authres raises its own SyntaxError and others
            tally.rejected += 1
            example = " ".join(field.value.split())[:70]
            tally.rejected_examples.append(f"{field.source}: {type(exc).__name__}: {example}")
            continue
        results = [r for r in parsed.results if hasattr(r, "method")]  # type: ignore[attr-defined]
        tally.results += len(results)
        tally.properties += sum(len(r.properties) for r in results)
        tally.reasons += sum(1 for r in results if getattr(r, "reason", None))
    return tally


def elapsed(parse: Callable[[Field], object], fields: list[Field], rounds: int) -> float:
    """Seconds for `rounds` passes of `parse` over `fields`."""
    start = time.perf_counter()
    for _ in range(rounds):
        for field in fields:
            try:
                parse(field)
            except Exception:  # rejected headers cost time too; they are counted
                continue
    return time.perf_counter() - start


def rates(fields: list[Field], rounds: int, repeat: int) -> tuple[float, float]:
    """Headers/s for ours and authres: best of `repeat` interleaved runs (fair under load)."""
    best_ours = best_theirs = float("inf")
    for _ in range(repeat):
        best_ours = min(best_ours, elapsed(ours, fields, rounds))
        best_theirs = min(best_theirs, elapsed(theirs, fields, rounds))
    total = len(fields) * rounds
    return total / best_ours, total / best_theirs


def report(label: str, fields: list[Field], rounds: int, repeat: int) -> float:
    mine, other = tally_ours(fields), tally_theirs(fields)
    ours_rate, theirs_rate = rates(fields, rounds, repeat)
    ratio = ours_rate / theirs_rate
    print(f"\n== {label}: {len(fields)} headers x {rounds} rounds (best of {repeat})")
    print(
        f"{'parser':<9} {'headers/s':>11} {'results':>8} {'props':>6} {'reasons':>8} "
        f"{'values':>7} {'rejected':>9}"
    )
    for name, tally, speed in (("ours", mine, ours_rate), ("authres", other, theirs_rate)):
        print(
            f"{name:<9} {speed:>11,.0f} {tally.results:>8} {tally.properties:>6} "
            f"{tally.reasons:>8} {tally.values:>7} {tally.rejected:>9}"
        )
    print(f"ratio ours/authres: {ratio:.1f}x")
    if other.rejected_examples:
        print("authres rejects:")
        for example in other.rejected_examples[:25]:
            print(f"  {example}")
        if len(other.rejected_examples) > 25:
            print(f"  ... and {len(other.rejected_examples) - 25} more")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fields = load_fields()
    realistic = [f for f in fields if not f.hostile]
    hostile = [f for f in fields if f.hostile]
    print(f"authres {getattr(authres, '__version__', '?')}, Python {sys.version.split()[0]}")
    ratio = report("realistic provider forms", realistic, args.rounds, args.repeat)
    report("malformed and hostile", hostile, max(1, args.rounds // 4), args.repeat)
    report("whole corpus", fields, max(1, args.rounds // 4), args.repeat)
    target = 5.0
    verdict = "meets" if ratio >= target else "MISSES"
    print(f"\nrealistic forms: {ratio:.1f}x authres, {verdict} the {target:.0f}x target")
    return 0 if ratio >= target else 1


if __name__ == "__main__":
    sys.exit(main())
