"""The errors a person running senderwatch is shown, and the exit code each one gives.

Exit codes (every command; the README lists them, docs/operations.md explains 4):
    0  all checks pass (warnings allowed)
    1  a check failed or critical drift was found
    2  configuration or usage error
    3  checks could only error (nothing could be measured)
    4  the database cannot be used (unreachable, read-only, corrupt, newer than this version)
    5  `runs trigger` got no verdict: the API is unreachable, busy (429), or the run did not
       finish within --timeout

Exception tree:
    UserFacingError        one line for a person, and an exit code; never a traceback
      ├── UsageError       exit 2: the request itself is wrong (unknown domain, no match)
      └── DatabaseProblem  exit 4: see monitor.storage

The CLI's group catches `UserFacingError` once (monitor.cli), so commands and services raise
these and never print or exit themselves.
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode", "UsageError", "UserFacingError"]


class ExitCode(enum.IntEnum):
    """The process exit codes, defined once for the CLI, the API and the daemon."""

    OK = 0
    FAILED = 1
    CONFIG = 2
    ERROR_ONLY = 3
    DATABASE = 4
    NO_VERDICT = 5


class UserFacingError(Exception):
    """A problem to show as one line (`str(exc)`), exiting with `exit_code`."""

    exit_code: ExitCode = ExitCode.FAILED


class UsageError(UserFacingError):
    """The request cannot be carried out as asked: unknown domain, no baseline matches, ..."""

    exit_code = ExitCode.CONFIG
