"""Human-readable lines: ``path:line:col: pass-id message``.

Coloured as ruff colours its lines (the path bold, the pass id red, a note's tag cyan); the styles
are stripped where colour is off (:func:`dockslim.term.use_colour`).
"""

from __future__ import annotations

from ..fixer import Applied
from ..passes import Finding, Safety
from ..syntax import Dockerfile
from ..term import style
from .common import message_of


def finding_line(path: str, tree: Dockerfile, f: Finding) -> str:
    line, col = tree.position(f.start)
    tag = ""
    if f.fix is not None:
        tag = " [*]" if f.fix.safety is Safety.SAFE else f" [{f.fix.safety.value} fix]"
    kind = " " + style("note:", fg="cyan") if f.note else ""
    pid = style(f.pass_id, fg="cyan" if f.note else "red", bold=not f.note)
    return f"{style(path, bold=True)}:{line}:{col}: {pid}{kind} {message_of(f)}{tag}"


def applied_line(path: str, a: Applied) -> str:
    """``path:line: fixed pass-id: message``; the line is in the file on disk, whichever round of
    the fixer applied the fix (:attr:`Applied.line`)."""
    f = a.finding
    return f"{path}:{a.line}: fixed {f.pass_id}: {message_of(f)}"
