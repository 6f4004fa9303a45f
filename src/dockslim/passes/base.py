"""What every pass shares: findings, fixes as data, and the context a pass reads.

A pass is pure: ``check(ctx)`` reads the parsed Dockerfile (and, where it must prove something, the
build context) and yields :class:`Finding` objects. A finding may carry a :class:`Fix`: text edits
against the file as parsed plus a safety. Nothing here writes anything.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import ClassVar, Iterator

from .._records import dataclass, field
from ..syntax import Dockerfile
from .buildcontext import BuildContext, context_view


class Safety(str, enum.Enum):
    SAFE = "safe"  # keeps what the build does; applied by default
    UNSAFE = "unsafe"  # may change the result; only with --unsafe-fixes
    DISPLAY = "display-only"  # shown, never applied


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``source[start:end]`` with ``text`` (an insertion when start == end)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    safety: Safety = Safety.SAFE
    # New files next to the build: (path relative to the build context, content). Never an
    # overwrite: the CLI creates a file only where none exists.
    creates: tuple[tuple[str, str], ...] = ()
    # Spans this fix needs unchanged by others in the same round, beyond its own edits (e.g. a
    # whole stage whose commands it translates): an overlapping fix of an earlier pass goes first
    # and this one is recomputed on the result next round.
    claims: tuple[tuple[int, int], ...] = ()

    def spans(self) -> list[tuple[int, int]]:
        """What this fix touches: its edits' spans and its claims."""
        return [(e.start, e.end) for e in self.edits] + list(self.claims)

    def overlaps(self, other: Fix) -> bool:
        theirs = other.spans()
        return any(spans_conflict(a0, a1, b0, b1) for a0, a1 in self.spans() for b0, b1 in theirs)


def spans_conflict(a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether two fixes touching ``[a0, a1)`` and ``[b0, b1)`` may not apply in one round."""
    if a0 < b1 and b0 < a1:
        return True
    if a0 == a1 == b0 == b1:  # two insertions at one point
        return True
    # An insertion at either end of another edit's span would be glued to text that
    # its pass did not see (e.g. `&& cleanup` after a body another pass just wrapped).
    return a0 == a1 and b0 <= a0 <= b1 or b0 == b1 and a0 <= b0 <= a1


@dataclass(frozen=True)
class Finding:
    pass_id: str
    message: str
    start: int  # file offsets of what the finding is about
    end: int
    fix: Fix | None = None
    saving: str | None = None  # e.g. "1 layer", "~30 MB"
    note: bool = False  # informational (e.g. why something was left alone): shown, never fails a check


@dataclass(frozen=True)
class Options:
    """Settings a pass may read; filled from flags (and later from configuration)."""

    unsafe_fixes: bool = False
    cache_style: str = "cleanup"
    allow_unmapped: bool = False  # alpine-base: keep Debian package names it has no Alpine name for
    # extra Debian/Ubuntu -> Alpine package names from configuration (``package-map``)
    package_map: tuple[tuple[str, tuple[str, ...]], ...] = ()
    explicit: frozenset[str] = frozenset()  # pass ids the user selected by name (flag or config)
    # exec-form: a CMD/ENTRYPOINT that needs a shell becomes ["/bin/sh", "-c", "..."] (exec-form-wrap)
    exec_form_wrap: bool = False
    time_budget: float | None = None  # seconds per file (engine, not passes); None: no limit


@dataclass(frozen=True)
class Context:
    dockerfile: Dockerfile
    path: str = "-"
    # What COPY/ADD read from: a folder, or a view of one (a MemoryContext in tests); None: unknown.
    build_context: Path | BuildContext | None = None
    options: Options = field(default_factory=Options)

    def view(self) -> BuildContext | None:
        """The build context as `COPY . <dest>` sees it (`.dockerignore` honoured), None when unknown.

        The only way a pass reads the build context: passes stay pure functions of (tree, view).
        """
        if self.build_context is None:
            return None
        if isinstance(self.build_context, Path):
            return context_view(self.build_context, self.path)
        return self.build_context


class Pass:
    """Base of every pass. Subclasses set ``id``/``summary``/``safety``/``hadolint`` and implement ``check``.

    The class docstring is the user documentation and has four sections: ``## What it does``,
    ``## Why is this bad?``, ``## Example``, ``## Fix safety``.
    """

    id: ClassVar[str]
    summary: ClassVar[str]
    safety: ClassVar[Safety] = Safety.SAFE
    # An advisory pass proposes changes a user may well not want (e.g. another base image): its
    # findings are notes -- shown, never failing `check` -- unless it is selected by name or
    # unsafe fixes are allowed.
    advisory: ClassVar[bool] = False
    # The hadolint rules whose findings this pass fixes: `# hadolint ignore=DL3059` above an
    # instruction keeps the passes that answer DL3059 away from it (suppress.py).
    hadolint: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Context) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")


def same_case(template: str, word: str) -> str:
    """``word`` in the letter case of ``template`` (``add`` -> ``copy``, ``ADD`` -> ``COPY``)."""
    if template.islower():
        return word.lower()
    if template.isupper():
        return word.upper()
    return word.capitalize()
