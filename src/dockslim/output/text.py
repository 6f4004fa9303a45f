"""Human-readable lines: ``path:line:col: pass-id message``."""

from __future__ import annotations

from ..fixer import Applied
from ..passes import Finding, Safety
from ..syntax import Dockerfile


def finding_line(path: str, tree: Dockerfile, f: Finding) -> str:
    line, col = tree.position(f.start)
    tag = ""
    if f.fix is not None:
        tag = " [*]" if f.fix.safety is Safety.SAFE else f" [{f.fix.safety.value} fix]"
    saving = f" (saves {f.saving})" if f.saving else ""
    kind = " note:" if f.note else ""
    return f"{path}:{line}:{col}: {f.pass_id}{kind} {f.message}{saving}{tag}"


def applied_line(path: str, a: Applied) -> str:
    f = a.finding
    saving = f" (saves {f.saving})" if f.saving else ""
    where = f"{path}:{a.line}" if a.round == 0 else f"{path} (round {a.round + 1})"
    return f"{where}: fixed {f.pass_id}: {f.message}{saving}"
