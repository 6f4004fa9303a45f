"""Frozen, lossless nodes of a Dockerfile.

Every character of the source belongs to exactly one top-level item (a :class:`Trivia` line or an
:class:`Instruction`), so ``Dockerfile.render()`` gives the source back byte for byte. Nodes also
carry what BuildKit decodes from them (keyword, flags, arguments, JSON form, heredocs) so that passes
can reason about the instruction without re-parsing text, and spans so that edits land precisely.

Offsets are ``str`` indices into the whole source text (BOM included); lines are 1-based.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Iterator

from .._records import dataclass, field

# Instructions that BuildKit knows; anything else parses (BuildKit ignores it at parse time) but is
# reported by the CLI as "unknown instruction".
KNOWN_KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)


@dataclass(frozen=True)
class Segment:
    """A run of the logical line that comes verbatim from one place in the file."""

    logical_start: int
    file_start: int
    length: int


@dataclass(frozen=True)
class SourceMap:
    """Maps offsets in an instruction's logical line (continuations removed) to file offsets."""

    segments: tuple[Segment, ...]

    def to_file(self, logical: int) -> int:
        """File offset of logical offset ``logical`` (an end offset maps to just after its char)."""
        segs = self.segments
        if not segs:
            raise ValueError("empty source map")
        starts = self.__dict__.get("_starts")  # a RUN of 10,000 lines has 10,000 segments: list them once
        if starts is None:
            starts = self.__dict__["_starts"] = [s.logical_start for s in segs]
        i = max(bisect_right(starts, logical) - 1, 0)
        seg = segs[i]
        if logical > seg.logical_start + seg.length and i + 1 < len(segs):
            seg = segs[i + 1]
        return seg.file_start + (logical - seg.logical_start)

    def to_file_span(self, start: int, end: int) -> tuple[int, int]:
        """File span for the logical span ``[start, end)``; ``end`` maps past its last char."""
        if end <= start:
            pos = self.to_file(start)
            return pos, pos
        return self.to_file(start), self.to_file(end - 1) + 1

    def is_contiguous(self, start: int, end: int) -> bool:
        """True when the logical span ``[start, end)`` is one unbroken run of file text."""
        if end <= start:
            return True
        a, b = self.to_file_span(start, end)
        return b - a == end - start


@dataclass(frozen=True)
class Flag:
    """A builder flag such as ``--mount=type=cache,target=/root/.cache``."""

    raw: str  # the flag as BuildKit reports it (quotes and escapes removed)
    name: str  # "mount"
    value: str | None  # "type=cache,target=/root/.cache", or None for a bare ``--link``
    start: int  # file span of the flag's source text
    end: int


@dataclass(frozen=True)
class Heredoc:
    """A heredoc attached to RUN/COPY/ADD (``<<EOF`` ... ``EOF``)."""

    name: str
    file_descriptor: int
    expand: bool  # False when the delimiter was quoted (no variable expansion)
    chomp: bool  # ``<<-``: leading tabs stripped
    content: str  # body lines as written, line endings included, terminator excluded
    start: int  # file span of the body (first body line .. end of terminator line)
    end: int


@dataclass(frozen=True)
class Trivia:
    """A line outside any instruction: blank, comment, or parser directive."""

    kind: str  # "blank" | "comment" | "directive"
    text: str  # raw text including its line ending
    start: int
    line: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def comment(self) -> str | None:
        """The comment's text without ``#`` and surrounding blanks (None for blank lines)."""
        if self.kind == "blank":
            return None
        return self.text.strip().lstrip("#").strip()


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines and heredoc bodies."""

    text: str  # raw source text, from the first char of its line to the end of its last line
    start: int  # file offset of ``text``
    start_line: int
    end_line: int
    keyword: str  # as written (``run``); see ``.cmd`` for the normalised form
    keyword_start: int
    flags: tuple[Flag, ...]
    args: str  # the argument text of the logical line after flags (BuildKit's ``rest``)
    args_start: int  # logical offset of ``args`` in ``logical``
    logical: str  # the logical line: continuations joined, comment lines dropped (BuildKit's view)
    source_map: SourceMap
    value: tuple[str, ...]  # BuildKit's decoded arguments (node chain) for this instruction
    is_json: bool  # exec (JSON array) form
    heredocs: tuple[Heredoc, ...] = ()
    sub: Instruction | None = None  # ONBUILD's inner instruction (shares this one's source map)
    line_ending: str = "\n"  # the line ending of the instruction's first line ("" at EOF)

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def cmd(self) -> str:
        """Upper-cased keyword (``RUN``)."""
        return self.keyword.upper()

    @property
    def effective(self) -> Instruction:
        """The instruction that runs: ONBUILD's inner one, else itself."""
        return self.sub if self.sub is not None else self

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """ENV/LABEL key-value pairs (BuildKit's chain is key, value, separator)."""
        v = self.value
        return tuple((v[k], v[k + 1]) for k in range(0, len(v) - 1, 3))

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.name == name)

    def args_file_span(self) -> tuple[int, int]:
        """File span of the argument text (excluding heredoc bodies)."""
        return self.source_map.to_file_span(self.args_start, self.args_start + len(self.args))

    @property
    def header_end(self) -> int:
        """File offset where the instruction's own lines end (heredoc bodies start there)."""
        if self.heredocs:
            return self.heredocs[0].start
        return self.end


Item = Trivia | Instruction


@dataclass(frozen=True)
class Directive:
    name: str  # lower-cased: syntax | escape | check
    value: str
    line: int


@dataclass(frozen=True)
class Stage:
    """A build stage: its FROM and the instructions up to the next FROM."""

    index: int
    from_: Instruction
    instructions: tuple[Instruction, ...]  # FROM excluded

    @property
    def name(self) -> str | None:
        v = self.from_.value
        if len(v) >= 3 and v[-2].lower() == "as":
            return v[-1]
        return None

    @property
    def base(self) -> str:
        return self.from_.value[0] if self.from_.value else ""


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile; ``render()`` returns exactly the text it was parsed from."""

    source: str
    items: tuple[Item, ...]
    escape: str
    directives: tuple[Directive, ...]
    bom: str = ""
    _line_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def render(self) -> str:
        return self.bom + "".join(item.text for item in self.items)

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        cached = self.__dict__.get("_instructions")  # asked by every pass, many times: build once
        if cached is None:
            cached = tuple(i for i in self.items if isinstance(i, Instruction))
            self.__dict__["_instructions"] = cached
        return cached

    @property
    def newline(self) -> str:
        """The file's dominant line ending, used for text that passes insert."""
        cached = self.__dict__.get("_newline")  # asked once per edit: count the file once
        if cached is None:
            crlf = self.source.count("\r\n")
            cached = "\r\n" if crlf and crlf * 2 >= self.source.count("\n") else "\n"
            self.__dict__["_newline"] = cached
        return cached

    def directive(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    def global_args(self) -> tuple[Instruction, ...]:
        """ARG instructions before the first FROM."""
        out = []
        for ins in self.instructions:
            if ins.cmd == "FROM":
                break
            if ins.cmd == "ARG":
                out.append(ins)
        return tuple(out)

    def stages(self) -> tuple[Stage, ...]:
        cached = self.__dict__.get("_stages")  # asked by every pass (and per stage): build once
        if cached is None:
            cached = self.__dict__["_stages"] = self._build_stages()
        return cached

    def stage_parents(self) -> dict[int, int]:
        """Stage index -> the index of the earlier stage it is built ``FROM`` (by name, any case).

        BuildKit resolves ``FROM name`` to a stage named before it, else to an image; every pass
        that follows what a stage inherits asks here (built once per tree)."""
        cached: dict[int, int] | None = self.__dict__.get("_stage_parents")
        if cached is None:
            cached = {}
            by_name: dict[str, int] = {}
            for stage in self.stages():
                parent = by_name.get(stage.base.lower())
                if parent is not None:
                    cached[stage.index] = parent
                if stage.name:
                    by_name[stage.name.lower()] = stage.index
            self.__dict__["_stage_parents"] = cached
        return cached

    def stage_children(self) -> dict[int, list[int]]:
        """Stage index -> the stages built ``FROM`` it directly, in file order (a fresh dict)."""
        out: dict[int, list[int]] = {}
        for child, parent in self.stage_parents().items():
            out.setdefault(parent, []).append(child)
        return out

    def stage_items(self, stage: Stage) -> tuple[Item, ...]:
        """The stage's items after its FROM, trivia included, up to the next FROM."""
        by_from: dict[int, tuple[Item, ...]] | None = self.__dict__.get("_stage_items")
        if by_from is None:  # one walk over the file for every stage (a file has thousands)
            lists: dict[int, list[Item]] = {}
            current: list[Item] | None = None
            for item in self.items:
                if isinstance(item, Instruction) and item.cmd == "FROM":
                    current = lists[id(item)] = []
                elif current is not None:
                    current.append(item)
            by_from = self.__dict__["_stage_items"] = {k: tuple(v) for k, v in lists.items()}
        return by_from.get(id(stage.from_), ())

    def _build_stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        current: Instruction | None = None
        body: list[Instruction] = []
        for ins in self.instructions:
            if ins.cmd == "FROM":
                if current is not None:
                    stages.append(Stage(len(stages), current, tuple(body)))
                current, body = ins, []
            elif current is not None:
                body.append(ins)
        if current is not None:
            stages.append(Stage(len(stages), current, tuple(body)))
        return tuple(stages)

    def walk(self) -> Iterator[Item]:
        yield from self.items

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a file offset."""
        starts = self._line_starts or _line_starts(self.source)
        i = bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def line_start(self, line: int) -> int:
        starts = self._line_starts or _line_starts(self.source)
        return starts[line - 1]


def _line_starts(text: str) -> tuple[int, ...]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return tuple(starts)
