"""Small text helpers passes share when they write shell into a Dockerfile."""

from __future__ import annotations

from ..syntax import Dockerfile, Instruction


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
