"""The one exit-code table. Documented in docs/reference/cli.md.

| code | meaning                                                                   |
|------|---------------------------------------------------------------------------|
| 0    | nothing to do (or `fix --write` / `fix -` succeeded)                       |
| 1    | `check` found something, or `fix --diff` has a diff to show               |
| 2    | an error: bad option, unknown pass id, unreadable or invalid input, ...   |
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FOUND = 1
    ERROR = 2


def decide(*, errors: int, found: int, writes: bool = False) -> ExitCode:
    """Exit code for a run: errors win; then findings/diffs (unless the run wrote its fixes)."""
    if errors:
        return ExitCode.ERROR
    if found and not writes:
        return ExitCode.FOUND
    return ExitCode.OK
