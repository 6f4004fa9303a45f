"""Small text helpers passes share when they write shell into a Dockerfile."""

from __future__ import annotations

import re
from functools import cache

from ..syntax import Dockerfile, Instruction

@cache
def _pragma_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled on first use: most runs meet no comment that needs them (case-insensitive patterns
    # cost ~1 ms each to compile at start-up).
    hadolint = re.compile(r"^hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s]+)$", re.IGNORECASE)
    # Other linters' pragmas that, like hadolint's, apply to the instruction right below them.
    others = re.compile(r"^(?:(?P<trivy>trivy)\s*:\s*ignore\s*:|(?P<checkov>checkov)\s*:\s*skip\s*="
                        r"|(?P<kics>kics-scan)\s+ignore-(?:line|block))", re.IGNORECASE)
    return hadolint, others


def hadolint_pragma(comment: str) -> re.Match[str] | None:
    """``# hadolint ignore=DL3008,SC2016`` or ``# hadolint global ignore=...`` (comment text without
    ``#``): group 1 is ``global``, group 2 the rules."""
    return _pragma_patterns()[0].match(comment.strip())


def instruction_pragma(comment: str) -> str | None:
    """The linter whose pragma this comment (text without ``#``) is, when that pragma applies to
    the next instruction only (``hadolint ignore=...``, ``trivy:ignore:...``, ``checkov:skip=...``,
    ``kics-scan ignore-line``); None for anything else, ``hadolint global ignore=`` included."""
    comment = comment.strip()
    if "hadolint" not in comment.lower() and ":" not in comment and "kics" not in comment.lower():
        return None
    m = hadolint_pragma(comment)
    if m:
        return None if m.group(1) else "hadolint"
    m = _pragma_patterns()[1].match(comment)
    return m.lastgroup if m else None


def continuation_indent(df: Dockerfile) -> str:
    """The indentation the file already uses for continuation lines (default four spaces)."""
    for ins in df.instructions:
        if ins.cmd != "RUN" or len(ins.source_map.segments) < 2:
            continue
        seg = ins.source_map.segments[1]
        piece = df.source[seg.file_start: seg.file_start + seg.length]
        lead = piece[: len(piece) - len(piece.lstrip(" \t"))]
        if lead and len(lead) <= 8:
            return lead
    return "    "


def file_end(ins: Instruction, logical_end: int) -> int:
    """File offset just after the character that ends at ``logical_end`` in ``ins.args``.

    Maps the last character rather than the end offset, so an insertion stays on the word's line
    and never lands after a line continuation.
    """
    return ins.source_map.to_file(ins.args_start + logical_end - 1) + 1


def file_start(ins: Instruction, logical_start: int) -> int:
    """File offset of the character at ``logical_start`` in ``ins.args``."""
    return ins.source_map.to_file(ins.args_start + logical_start)
