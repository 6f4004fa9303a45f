"""Terminal output without click: ``echo`` and ``style`` as click has them, for the modules below
:mod:`dockslim.cli` (the only one that imports typer and click), so that they stay usable alone.

Like click: ANSI styles are stripped when the stream is not a terminal, and every call flushes, so
stderr and stdout interleave in the order they were written.
"""

from __future__ import annotations

import re
import sys

_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")
_FG = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    codes = ([f"\033[{_FG[fg]}m"] if fg else []) + (["\033[1m"] if bold else [])
    return "".join(codes) + text + "\033[0m" if codes else text


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # pythonw, a closed stream
        return
    text = message + ("\n" if nl else "")
    if not _isatty(stream):
        text = _ANSI.sub("", text)
    stream.write(text)
    stream.flush()


def error(message: str) -> None:
    """``error: message`` on stderr (the prefix red and bold on a terminal)."""
    echo(style("error: ", fg="red", bold=True) + message, err=True)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
