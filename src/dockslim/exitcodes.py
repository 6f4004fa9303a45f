"""The one exit-code table, and the one place where how a run ended becomes an exit code.
Documented in docs/reference/cli.md.

| code | meaning                                                                   |
|------|---------------------------------------------------------------------------|
| 0    | nothing to do (or `fix --write` / `fix -` succeeded)                       |
| 1    | `check` found something, or `fix --diff` has a diff to show               |
| 2    | an error: bad option, unknown pass id, unreadable or invalid input, ...   |
| 130  | interrupted (Ctrl-C)                                                      |
"""

from __future__ import annotations

import enum
import sys
from typing import Callable


class ExitCode(enum.IntEnum):
    OK = 0
    FOUND = 1
    ERROR = 2
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CommandExit(Exception):
    """A command ends early with this exit code (the message, if any, is already printed)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def decide(*, errors: int, found: int, writes: bool = False) -> ExitCode:
    """Exit code for a run: errors win; then findings/diffs (unless the run wrote its fixes)."""
    if errors:
        return ExitCode.ERROR
    if found and not writes:
        return ExitCode.FOUND
    return ExitCode.OK


def guarded(run: Callable[[], int]) -> int:
    """Run a command and turn how it ended into an exit code; nothing escapes as a traceback.

    ``run`` returns the command's code or raises: :class:`CommandExit` (an error already reported),
    ``KeyboardInterrupt``, ``BrokenPipeError`` (the reader went away: ``dockslim check . | head``),
    or any other exception -- a bug in dockslim, reported in one line.
    """
    try:
        return run()
    except CommandExit as exc:
        return exc.code
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:  # noqa: BLE001 - a bug: one clear line, no traceback, nothing written
        from .term import echo

        echo(f"dockslim: internal error: {type(exc).__name__}: {exc} "
             "(please report it with the input file)", err=True)
        return int(ExitCode.ERROR)


def _silence_stdout() -> None:
    # No "Exception ignored ... BrokenPipeError" when Python flushes stdout at exit.
    try:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
