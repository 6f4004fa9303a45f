"""Small text helpers passes share when they write shell into a Dockerfile."""

from __future__ import annotations

import re

from ..syntax import Dockerfile, Instruction

# `# hadolint ignore=DL3008,SC2016` (or `global ignore=`): hadolint's inline pragma.
HADOLINT_PRAGMA = re.compile(r"^hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s]+)$", re.IGNORECASE)
# Other linters' pragmas that, like hadolint's, apply to the instruction right below them.
_NEXT_INSTRUCTION_PRAGMA = re.compile(
    r"^(?:(?P<trivy>trivy)\s*:\s*ignore\s*:|(?P<checkov>checkov)\s*:\s*skip\s*="
    r"|(?P<kics>kics-scan)\s+ignore-(?:line|block))", re.IGNORECASE)


def instruction_pragma(comment: str) -> str | None:
    """The linter whose pragma this comment (text without ``#``) is, when that pragma applies to
    the next instruction only (``hadolint ignore=...``, ``trivy:ignore:...``, ``checkov:skip=...``,
    ``kics-scan ignore-line``); None for anything else, ``hadolint global ignore=`` included."""
    comment = comment.strip()
    m = HADOLINT_PRAGMA.match(comment)
    if m:
        return None if m.group(1) else "hadolint"
    m = _NEXT_INSTRUCTION_PRAGMA.match(comment)
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
