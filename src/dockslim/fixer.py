"""Apply the passes' fixes: sort edits, skip overlaps, re-parse, loop to a fixed point.

The one place where text changes. A result that does not parse, or that does not settle within
``MAX_ITERATIONS`` rounds, is never returned: the fixer raises :class:`FixError` instead and the
caller leaves the user's file alone.
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import Iterable, Sequence

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


@dataclass(frozen=True)
class Applied:
    """A finding whose fix was applied, in the round it was applied."""

    finding: Finding
    round: int
    line: int  # line in the text of that round (round 0 = the file on disk)


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


def run_passes(ctx: Context, passes: Sequence[Pass]) -> list[Finding]:
    findings: list[Finding] = []
    options = ctx.options
    for p in passes:
        found = p.check(ctx)
        if p.advisory and not (options.unsafe_fixes or p.id in options.explicit):
            found = (replace(f, note=True) for f in found)
        findings.extend(found)
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


def _select(findings: list[Finding], options: Options, order: dict[str, int],
            created: dict[str, str] | None = None) -> list[Finding]:
    """Non-overlapping applicable fixes; on overlap the pass earlier in the registry wins."""
    chosen: list[Finding] = []
    taken = _Taken()
    for f in sorted(findings, key=lambda f: (order.get(f.pass_id, len(order)), f.start)):
        if not applicable(f, options):
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
) -> FixResult:
    """Run ``passes`` over ``text`` until nothing more applies. Raises ParseError for bad input."""
    current = tree if tree is not None else parse(text)
    ctx = Context(current, path, build_context, options)
    order = {p.id: i for i, p in enumerate(passes)}
    first_findings: list[Finding] | None = None
    applied: list[Applied] = []
    created: dict[str, str] = {}
    source = text
    for round_no in range(MAX_ITERATIONS + 1):
        findings = run_passes(ctx, passes)
        if first_findings is None:
            first_findings = findings
        chosen = _select(findings, options, order, created)
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
            applied.append(Applied(f, round_no, current.position(f.start)[0]))
            for path, content in f.fix.creates:  # type: ignore[union-attr]
                created.setdefault(path, content)
        carry_over(current, new_tree)
        source, current = new_source, new_tree
        ctx = replace(ctx, dockerfile=current)
    raise AssertionError("unreachable")  # pragma: no cover


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


__all__ = ["FixError", "FixResult", "Applied", "fix_text", "check_text", "apply_edits", "Fix"]
