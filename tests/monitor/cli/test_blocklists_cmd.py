"""`senderwatch blocklists test`: each configured list's RFC 5782 test entries, against lists
served by the test Knot (tests/zones/bl.test, dbl.test, refuse.test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EditableDns
from tests.monitor.cli.conftest import Invoke
from tests.monitor.test_blocklists_service import LISTS, write_settings


@pytest.mark.parametrize(
    ("use", "code", "words"),
    [
        ('["lab-ip", "lab-dbl"]', 0, "lab-ip   WORKS"),
        ('["lab-ip", "refusing"]', 3, "use your own recursive resolver or the list's key"),
    ],
)
def test_blocklists_test_command_says_per_list_whether_it_works(
    tmp_path: Path, dns_server: EditableDns, invoke: Invoke, use: str, code: int, words: str
) -> None:
    """`senderwatch blocklists test`: RFC 5782 test entries; exit 0 all work, 3 refused."""
    config = tmp_path / "sw.toml"
    config.write_text(
        f'[dns]\nnameservers = ["{dns_server.address}"]\nretries = 0\n'
        f"[blocklists]\nuse = {use}\n{LISTS}"
        '[blocklists.lists.refusing]\nzone = "refuse.test"\nkind = "ip"\n',
        encoding="utf-8",
    )
    result = invoke("blocklists", "test", "--config", config)
    assert result.exit_code == code, result.output
    assert words in result.stdout


def test_blocklists_test_of_an_unknown_list_is_a_usage_error(
    tmp_path: Path, dns_server: EditableDns, invoke: Invoke
) -> None:
    """A typo in --list names the lists that exist and exits 2."""
    config = write_settings(tmp_path, dns_server.address)
    result = invoke("blocklists", "test", "--list", "lab-ipp", "--config", config)
    assert result.exit_code == 2
    assert "unknown list lab-ipp (configured: lab-dbl, lab-ip)" in result.stderr
