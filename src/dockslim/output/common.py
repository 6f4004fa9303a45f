"""What every machine format shares: one view per file, positions, fixes as replacements."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from .. import __version__
from .._records import dataclass
from ..engine import FileReport
from ..fixer import applicable
from ..passes import Edit, Finding, Options, Safety, by_id
from ..syntax import Dockerfile

TOOL = "dockslim"
VERSION = __version__


@dataclass(frozen=True)
class FileView:
    """A file's report as a format sees it: the report, the options it ran with, and the mode."""

    report: FileReport
    options: Options = Options()
    mode: str = "check"  # "check" | "fix"
    name: str | None = None  # how the file is shown (relative to the current folder; --stdin-filename)
    notes: bool = True  # --format github: notes become ::notice annotations only when asked (--show-notes)

    @property
    def shown(self) -> str:
        if self.name is not None:
            return self.name
        return "<stdin>" if self.report.path == "-" else self.report.path

    @property
    def uri_path(self) -> str:
        """The path SARIF and rdjson locate the file by (``-`` when stdin has no name)."""
        if self.name is None or self.name == "<stdin>":
            return self.report.path
        return self.name

    def findings(self) -> Iterator[Finding]:
        yield from self.report.findings

    def fix_applies(self, f: Finding) -> bool:
        return applicable(f, self.options)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based, in characters (Unicode code points)
    offset: int

    def byte_column(self, tree: Dockerfile) -> int:
        """1-based column counted in UTF-8 bytes (reviewdog's unit)."""
        start = tree.line_start(self.line) + (len(tree.bom) if self.line == 1 else 0)
        return len(tree.source[start:self.offset].encode("utf-8")) + 1


def position(tree: Dockerfile, offset: int) -> Position:
    line, col = tree.position(offset)
    if line == 1 and tree.bom:  # the BOM is not a column
        col = max(1, col - len(tree.bom))
    return Position(line, col, offset)


def span(tree: Dockerfile, start: int, end: int) -> tuple[Position, Position]:
    return position(tree, start), position(tree, end)


def uri(path: str) -> str:
    """A SARIF/rdjson artifact location: relative paths stay relative (posix), absolute become file:."""
    if path == "-":
        return "stdin"
    if os.path.isabs(path):
        return Path(path).as_uri()
    from urllib.parse import quote  # structured formats only

    return quote(Path(path).as_posix())


def edits_of(f: Finding) -> tuple[Edit, ...]:
    return f.fix.edits if f.fix is not None else ()


def safety_of(f: Finding) -> str | None:
    return f.fix.safety.value if f.fix is not None else None


def summary_of(pass_id: str) -> str:
    cls = by_id().get(pass_id)
    return cls.summary if cls is not None else pass_id


def message_of(f: Finding) -> str:
    """The message with its saving, as every format shows it; the saving once (a message that
    already states it, as cache-cleanup's do, gets no second one)."""
    saving = f" (saves {f.saving})" if f.saving and f.saving not in f.message else ""
    return f"{f.message}{saving}"


def section(doc: str, heading: str) -> str:
    """The text of ``## heading`` in a pass docstring ('' when absent)."""
    out: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


__all__ = ["FileView", "Position", "position", "span", "uri", "edits_of", "safety_of", "message_of",
           "section", "summary_of", "TOOL", "VERSION", "Safety"]
