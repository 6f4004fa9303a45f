"""Terminal output without click: ``echo`` and ``style`` as click has them, for the modules below
:mod:`dockslim.cli` (the only one that imports typer and click), so that they stay usable alone.

Like click, every call flushes, so stderr and stdout interleave in the order they were written.
ANSI styles are kept or stripped per :func:`use_colour`: ``--color always|never`` decides; with
``auto`` (the default) ``FORCE_COLOR`` (set and not empty) turns colour on, then ``NO_COLOR``
(https://no-color.org) or ``TERM=dumb`` turn it off, else a terminal gets colour and a pipe none.
"""

from __future__ import annotations

import os
import re
import sys

_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")
_FG = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36}


def style(text: str, fg: str | None = None, bold: bool = False) -> str:
    codes = ([f"\033[{_FG[fg]}m"] if fg else []) + (["\033[1m"] if bold else [])
    return "".join(codes) + text + "\033[0m" if codes else text


_mode = "auto"


def set_colour(mode: str) -> None:
    """``auto`` | ``always`` | ``never``, from ``--color``."""
    global _mode
    _mode = mode


def use_colour(stream) -> bool:
    if _mode != "auto":
        return _mode == "always"
    if os.environ.get("FORCE_COLOR", ""):
        return True
    if os.environ.get("NO_COLOR", "") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # pythonw, a closed stream
        return
    text = message + ("\n" if nl else "")
    if not use_colour(stream):
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
