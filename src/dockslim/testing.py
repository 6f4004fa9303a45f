"""Helpers for testing passes with before/after strings (like LibCST's CodemodTest).

``assert_fix`` also checks what every fix must satisfy: the output parses, and a second run of the
same pass changes nothing (fixed point).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .fixer import FixResult, fix_text
from .passes import Options, Pass
from .passes.buildcontext import BuildContext
from .syntax import parse


def run_fix(
    passes: type[Pass] | Sequence[type[Pass]],
    before: str,
    *,
    context: str | Path | BuildContext | None = None,
    unsafe: bool = False,
    cache_style: str = "cleanup",
) -> FixResult:
    classes = [passes] if isinstance(passes, type) else list(passes)
    options = Options(unsafe_fixes=unsafe, cache_style=cache_style)
    ctx = Path(context) if isinstance(context, (str, Path)) else context
    return fix_text(before, [c() for c in classes], build_context=ctx, options=options)


def assert_fix(
    passes: type[Pass] | Sequence[type[Pass]],
    before: str,
    after: str,
    **kwargs,
) -> FixResult:
    result = run_fix(passes, before, **kwargs)
    assert result.text == after, f"fix produced:\n{result.text}\nexpected:\n{after}"
    parse(result.text)
    again = run_fix(passes, result.text, **kwargs)
    assert again.text == result.text, f"not idempotent; second run gave:\n{again.text}"
    return result


def assert_no_fix(passes: type[Pass] | Sequence[type[Pass]], before: str, **kwargs) -> FixResult:
    result = run_fix(passes, before, **kwargs)
    assert result.text == before, f"expected no change, got:\n{result.text}"
    return result
