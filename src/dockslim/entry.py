"""Where `dockslim` starts: a fast path for the everyday `fix` and `check` command lines, typer for
everything else.

Importing typer (and click) costs more than dockslim's whole run on one Dockerfile, so a command
line made only of the options `fix` and `check` declare in :mod:`dockslim.cli`, spelled the plain
way (``--opt value``, ``--opt=value``, ``-q``, ``--``), is parsed here and handed to the same
:func:`dockslim.commands.run_fix` / :func:`~dockslim.commands.run_check` with the same keyword
arguments typer would pass. Anything else -- help, ``--version``, another command, an unknown or
malformed option, a missing path, an invalid ``--format`` -- goes to typer, which owns every usage
message. ``tests/test_entry.py`` checks on generated command lines that both parsers call the command
with the same arguments.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

from .output import FORMATS  # a constant; the renderers load on demand


# option -> (parameter, kind); kind: "value", "multi" (repeatable value) or the flag's value.
_COMMON: dict[str, tuple[str, Any]] = {
    "--select": ("select", "multi"),
    "--ignore": ("ignore", "multi"),
    "--unsafe-fixes": ("unsafe_fixes", True),
    "--no-unsafe-fixes": ("unsafe_fixes", False),
    "--cache-style": ("cache_style", "value"),
    "--context": ("context", "value"),
    "--format": ("output_format", "value"),
    "--config": ("config", "value"),
    "--isolated": ("isolated", True),
    "--quiet": ("quiet", True),
    "-q": ("quiet", True),
    "--allow-unmapped": ("allow_unmapped", True),
}
_OPTIONS = {
    "check": _COMMON,
    "fix": {**_COMMON, "--diff": ("diff", True), "--write": ("diff", False)},
}
# Options the fast path leaves to typer: `fix --verify` builds images for minutes, start-up time is moot.
TYPER_ONLY = {"fix": frozenset({"--verify", "--verify-cmd", "--build-arg", "--network"}), "check": frozenset()}
_DEFAULTS: dict[str, Any] = {
    "select": None, "ignore": None, "unsafe_fixes": None, "cache_style": None, "context": None,
    "output_format": "text", "config": None, "isolated": False, "quiet": False, "allow_unmapped": False,
}


def parse(argv: list[str]) -> Optional[tuple[str, dict[str, Any]]]:
    """``(command, keyword arguments)`` for a plain `fix`/`check` command line, else None."""
    if not argv or argv[0] not in _OPTIONS:
        return None
    command, options = argv[0], _OPTIONS[argv[0]]
    kwargs: dict[str, Any] = dict(_DEFAULTS)
    if command == "fix":
        kwargs["diff"] = True
    paths: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            paths.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            paths.append(arg)
            continue
        name, eq, attached = arg.partition("=")
        if name not in options:
            return None  # unknown, abbreviated, combined short flags, --help: typer's to answer
        param, kind = options[name]
        if kind in ("value", "multi"):
            if eq:
                value = attached
            elif i < len(args) and not args[i].startswith("-"):
                value = args[i]
                i += 1
            else:
                return None  # missing value, or one that looks like an option
            if kind == "multi":
                kwargs[param] = [*(kwargs[param] or []), value]
            else:
                kwargs[param] = value
        elif eq:
            return None  # a flag given a value
        else:
            kwargs[param] = kind
    if not paths or kwargs["output_format"] not in FORMATS:
        return None
    return command, {"paths": paths, **kwargs}


def guarded(run: Callable[[], int]) -> int:
    """Run a command and turn how it ended into an exit code; nothing escapes as a traceback."""
    from .commands import CommandExit
    from .exitcodes import ExitCode
    from .term import echo

    try:
        return run()
    except CommandExit as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:  # a bug in dockslim: one clear line, no traceback, nothing written
        echo(f"dockslim: internal error: {type(exc).__name__}: {exc} "
             "(please report it with the input file)", err=True)
        return int(ExitCode.ERROR)


def _silence_stdout() -> None:
    # The reader went away (`dockslim check . | head`): no "Exception ignored" when Python flushes.
    try:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Optional[list[str]] = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parsed = parse(argv)
    if parsed is None:
        from .cli import typer_main

        return typer_main(argv)
    command, kwargs = parsed

    def run() -> int:
        from . import commands

        return (commands.run_fix if command == "fix" else commands.run_check)(**kwargs)

    return guarded(run)


def entrypoint() -> None:
    sys.exit(main())
