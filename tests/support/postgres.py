"""A throwaway PostgreSQL server on a loopback port, for tests that must prove portability.

Started from Debian's binaries (`initdb`, `pg_ctl`) in a temporary directory, with its unix
socket there too, so nothing of the machine's own PostgreSQL is touched. PostgreSQL refuses
to run as root; as root we run it as the `postgres` user through `runuser`, in a directory
that user owns. Durability is switched off (fsync, synchronous_commit): the data lives for
one test session.

Usage:
    with PostgresServer() as server:
        url = server.create_schema("t1")   # SQLAlchemy URL of a fresh, empty schema
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.dns_server import MissingComponentError, free_port

__all__ = ["PostgresServer", "find_postgres_bin"]


def find_postgres_bin() -> Path:
    """The directory holding initdb and pg_ctl (newest installed major version).

    Raises:
        MissingComponentError: PostgreSQL is not installed.
    """
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    raise MissingComponentError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run "
        ".ci/install-system-deps.sh (Debian package 'postgresql'); the storage tests "
        "run on PostgreSQL as well as SQLite and do not skip it"
    )


class PostgresServer:
    """A private PostgreSQL cluster listening on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.bin = find_postgres_bin()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.workdir = Path(tempfile.mkdtemp(prefix="senderwatch-pg-"))
        self._as_root = os.geteuid() == 0
        self._started = False

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{self.log_text()}"
            )
        return result

    def start(self) -> PostgresServer:
        if self._as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data_dir),
            "-U", "postgres",
            "-A", "trust",
            "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses={self.host} -p {self.port} -k {self.workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D", str(self.data_dir),
            "-l", str(self.workdir / "postgres.log"),
            "-o", options,
            "-w", "-t", "60",
            "start",
        )  # fmt: skip
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the test, not input
        return self.url(name)

    def create_schema(self, name: str) -> str:
        """Create an empty schema and return a URL whose connections use only it.

        Much quicker than a database per test (no checkpoint), and as isolated for our
        purposes: every table, index and the alembic_version row live in the schema.
        """
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')  # name comes from the test, not input
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def log_text(self) -> str:
        path = self.workdir / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop")
            self._started = False
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
