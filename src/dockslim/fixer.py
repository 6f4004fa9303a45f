"""Apply the passes' fixes: sort edits, skip overlaps, re-parse, loop to a fixed point.

The one place where text changes. A result that does not parse, or that does not settle within
``MAX_ITERATIONS`` rounds, is never returned: the fixer raises :class:`FixError` instead and the
caller leaves the user's file alone.
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import Callable, Collection, Iterable, Sequence

from . import suppress
from ._records import dataclass, replace
from .passes import Context, Edit, Finding, Fix, Options, Pass, Safety
from .passes.base import spans_conflict
from .passes.buildcontext import BuildContext
from .passes.shellquery import carry_over
from .syntax import Dockerfile, ParseError, parse

MAX_ITERATIONS = 10


class FixError(Exception):
    """A pass produced something the fixer refuses to return (a bug in that pass)."""


@dataclass(frozen=True, order=True)
class FixKey:
    """Names one fix across runs of the fixer over the same file, so that a caller can run it again
    without that fix (``fix_text(..., exclude=...)``): the pass, the round the fix was chosen in,
    the line of the file on disk it is about (as ``Applied.line``), and its message. Leaving a fix
    out does not change the rounds before it, nor the other fixes of its round."""

    pass_id: str
    round: int
    line: int
    message: str


@dataclass(frozen=True)
class Applied:
    """A finding whose fix was applied, in the round it was applied."""

    finding: Finding
    round: int
    line: int  # line of the file on disk (a later round's position mapped back through the edits)

    @property
    def key(self) -> FixKey:
        return FixKey(self.finding.pass_id, self.round, self.line, self.finding.message)

    @property
    def safety(self) -> Safety:
        assert self.finding.fix is not None
        return self.finding.fix.safety


@dataclass(frozen=True)
class FixResult:
    original: str
    text: str
    findings: tuple[Finding, ...]  # on the original file, fixable or not
    applied: tuple[Applied, ...]
    rounds: int
    creates: tuple[tuple[str, str], ...] = ()  # new files (context-relative path, content), first wins

    @property
    def changed(self) -> bool:
        return self.text != self.original


def run_passes(ctx: Context, passes: Sequence[Pass], raw: list[Finding] | None = None) -> list[Finding]:
    """The passes' findings, suppressions applied; ``raw`` (when given) receives them before."""
    findings: list[Finding] = []
    options = ctx.options
    for p in passes:
        found = p.check(ctx)
        if p.advisory and not (options.unsafe_fixes or p.id in options.explicit):
            found = (replace(f, note=True) for f in found)
        findings.extend(found)
    if raw is not None:
        raw.extend(findings)
    findings = suppress.apply(ctx.dockerfile, findings)  # before any fix is chosen: every output agrees
    findings.sort(key=lambda f: (f.start, f.end, f.pass_id))
    return findings


def applicable(finding: Finding, options: Options) -> bool:
    fix = finding.fix
    if fix is None or not (fix.edits or fix.creates):
        return False
    if fix.safety is Safety.SAFE:
        return True
    return fix.safety is Safety.UNSAFE and options.unsafe_fixes


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    out = []
    pos = 0
    for e in sorted(edits):
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


class _Taken:
    """The spans of the fixes chosen so far in a round, to ask whether a new fix overlaps one.

    Each chosen fix's spans are joined into blocks (spans that meet or overlap); blocks of
    different chosen fixes at most touch (else they would overlap), so sorted by start their ends
    ascend too, and the blocks a span meets sit just before the first block starting after it: a
    few comparisons per span, not one per chosen fix (thousands of RUNs make thousands of fixes).
    """

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.blocks: list[tuple[int, int, list[tuple[int, int]]]] = []  # (start, end, spans)

    def conflicts(self, fix: Fix) -> bool:
        for a0, a1 in fix.spans():
            i = bisect_right(self.starts, a1) - 1
            while i >= 0 and self.blocks[i][1] >= a0:
                if any(spans_conflict(a0, a1, b0, b1) for b0, b1 in self.blocks[i][2]):
                    return True
                i -= 1
        return False

    def add(self, fix: Fix) -> None:
        blocks: list[tuple[int, int, list[tuple[int, int]]]] = []
        for a0, a1 in sorted(fix.spans()):
            if blocks and a0 <= blocks[-1][1]:
                start, end, spans = blocks[-1]
                spans.append((a0, a1))
                blocks[-1] = (start, max(end, a1), spans)
            else:
                blocks.append((a0, a1, [(a0, a1)]))
        for block in blocks:
            i = bisect_right(self.starts, block[0])
            self.starts.insert(i, block[0])
            self.blocks.insert(i, block)


class _EditMap:
    """Positions in the text after one round's edits -> positions in the text before them.

    A position inside a replacement maps to where that replacement starts; one after it moves by the
    length change of the edits before it. A bisect per lookup: no scan over the edits."""

    def __init__(self, edits: Iterable[Edit]) -> None:
        self.new_starts: list[int] = []
        self.new_ends: list[int] = []
        self.old_starts: list[int] = []
        self.old_ends: list[int] = []
        delta = 0
        for e in sorted(edits):
            self.new_starts.append(e.start + delta)
            self.new_ends.append(e.start + delta + len(e.text))
            self.old_starts.append(e.start)
            self.old_ends.append(e.end)
            delta += len(e.text) - (e.end - e.start)

    def back(self, pos: int) -> int:
        k = bisect_right(self.new_starts, pos) - 1
        if k < 0:
            return pos
        if pos < self.new_ends[k]:
            return self.old_starts[k]
        return self.old_ends[k] + (pos - self.new_ends[k])


def _select(findings: list[Finding], options: Options, order: dict[str, int],
            created: dict[str, str] | None = None, excluded: Callable[[Finding], bool] | None = None,
            ) -> list[Finding]:
    """Non-overlapping applicable fixes; on overlap the pass earlier in the registry wins."""
    chosen: list[Finding] = []
    taken = _Taken()
    for f in sorted(findings, key=lambda f: (order.get(f.pass_id, len(order)), f.start)):
        if not applicable(f, options) or (excluded is not None and excluded(f)):
            continue
        assert f.fix is not None
        if not f.fix.edits and all(path in (created or {}) for path, _ in f.fix.creates):
            continue  # a file an earlier round already creates
        if taken.conflicts(f.fix):
            continue  # the next round sees it again on the updated text
        chosen.append(f)
        taken.add(f.fix)
    return chosen


def fix_text(
    text: str,
    passes: Sequence[Pass],
    *,
    path: str = "-",
    build_context: Path | BuildContext | None = None,
    options: Options = Options(),
    tree: Dockerfile | None = None,
    exclude: Collection[FixKey] = frozenset(),
) -> FixResult:
    """Run ``passes`` over ``text`` until nothing more applies. Raises ParseError for bad input.

    ``exclude`` names fixes (``Applied.key`` of an earlier run) to leave out: `fix --verify` runs
    the fixer again without the fixes whose rewrite did not build or behave.
    """
    current = tree if tree is not None else parse(text)
    ctx = Context(current, path, build_context, options)
    order = {p.id: i for i, p in enumerate(passes)}
    first_findings: list[Finding] | None = None
    applied: list[Applied] = []
    created: dict[str, str] = {}
    # Excluded fixes found again in later rounds: (pass id, message, offset in the current text).
    held: list[tuple[str, str, int]] = []
    source = text
    on_disk = current  # the file as read: every Applied.line is a line of it
    maps: list[_EditMap] = []  # one per round applied, to map later rounds' positions back

    def disk_line(offset: int) -> int:
        """The line of the file on disk that an offset of this round's text comes from."""
        for back in reversed(maps):
            offset = back.back(offset)
        return on_disk.position(offset)[0]

    for round_no in range(MAX_ITERATIONS + 1):
        findings = run_passes(ctx, passes)
        if first_findings is None:
            first_findings = findings
        excluded = _excluder(exclude, round_no, disk_line, held) if exclude else None
        chosen = _select(findings, options, order, created, excluded)
        if not chosen:
            return FixResult(text, source, tuple(first_findings), tuple(applied), round_no,
                             tuple(created.items()))
        if round_no == MAX_ITERATIONS:
            ids = ", ".join(sorted({f.pass_id for f in chosen}))
            raise FixError(f"fixes did not settle after {MAX_ITERATIONS} rounds ({ids})")
        verified = _apply_verified(source, chosen)
        if verified is None:
            ids = ", ".join(sorted({f.pass_id for f in chosen}))
            raise FixError(f"every fix of this round produced an unparsable file ({ids})")
        new_source, new_tree, kept = verified
        for f in sorted(kept, key=lambda f: f.start):
            applied.append(Applied(f, round_no, disk_line(f.start)))
            for path, content in f.fix.creates:  # type: ignore[union-attr]
                created.setdefault(path, content)
        carry_over(current, new_tree)
        maps.append(_EditMap(e for f in kept for e in f.fix.edits))  # type: ignore[union-attr]
        round_edits = sorted(e for f in kept for e in f.fix.edits)  # type: ignore[union-attr]
        held = [(pass_id, message, _moved(at, round_edits)) for pass_id, message, at in held]
        source, current = new_source, new_tree
        ctx = replace(ctx, dockerfile=current)
    raise AssertionError("unreachable")  # pragma: no cover


def _excluder(exclude: Collection[FixKey], round_no: int, disk_line: Callable[[int], int],
              held: list[tuple[str, str, int]]) -> Callable[[Finding], bool]:
    """Whether a finding of this round is an excluded fix: named by ``exclude``, or found again
    where an excluded one was (the fixer loops, so a fix left out comes back in the next round)."""
    def excluded(f: Finding) -> bool:
        if FixKey(f.pass_id, round_no, disk_line(f.start), f.message) in exclude:
            held.append((f.pass_id, f.message, f.start))
            return True
        return any(pass_id == f.pass_id and message == f.message and f.start <= at <= f.end
                   for pass_id, message, at in held)
    return excluded


def _moved(offset: int, edits: Sequence[Edit]) -> int:
    """Where ``offset`` is after ``edits`` (sorted, non-overlapping); inside a replaced span: its start."""
    shift = 0
    for e in edits:
        if e.end <= offset and not (e.start == e.end == offset):
            shift += len(e.text) - (e.end - e.start)
        elif e.start < offset:
            return e.start + shift
        else:
            break
    return offset + shift


def _apply_verified(source: str, chosen: list[Finding]) -> tuple[str, Dockerfile, list[Finding]] | None:
    """Apply all chosen fixes; if the result does not parse, keep the fixes that parse together.
    None when not one of them does.

    The culprits are found by halving: a group of fixes that parses with those kept so far is
    kept whole, one that does not is split in two and each half tried in turn. A round with one
    bad fix among k costs about 2 log2(k) parses of the file, not k."""
    trial_text, tree = _parse_with(source, chosen)
    if tree is not None:
        return trial_text, tree, chosen
    kept: list[Finding] = []
    best: tuple[str, Dockerfile] | None = None
    todo = [chosen[len(chosen) // 2:], chosen[:len(chosen) // 2]]  # a stack: first half on top
    while todo:
        group = todo.pop()
        if not group:
            continue
        trial_text, tree = _parse_with(source, kept + group)
        if tree is not None:
            kept.extend(group)
            best = (trial_text, tree)
        elif len(group) > 1:
            todo.extend((group[len(group) // 2:], group[:len(group) // 2]))
    return (best[0], best[1], kept) if best is not None else None


def _parse_with(source: str, fixes: list[Finding]) -> tuple[str, Dockerfile | None]:
    """``source`` with the edits of ``fixes`` (offsets refer to ``source``), and its tree (None
    when it does not parse)."""
    text = apply_edits(source, [e for f in fixes for e in f.fix.edits])  # type: ignore[union-attr]
    try:
        return text, parse(text)
    except ParseError:
        return text, None


def check_text(
    text: str,
    passes: Sequence[Pass],
    *,
    path: str = "-",
    build_context: Path | BuildContext | None = None,
    options: Options = Options(),
) -> tuple[Dockerfile, list[Finding]]:
    tree = parse(text)
    return tree, run_passes(Context(tree, path, build_context, options), passes)


__all__ = ["FixError", "FixResult", "Applied", "FixKey", "fix_text", "check_text", "apply_edits", "Fix"]
