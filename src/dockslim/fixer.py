"""Apply the passes' fixes: sort edits, skip overlaps, re-parse, loop to a fixed point.

The one place where text changes. A result that does not parse, or that does not settle within
``MAX_ITERATIONS`` rounds, is never returned: the fixer raises :class:`FixError` instead and the
caller leaves the user's file alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from . import suppress
from ._records import dataclass, replace
from .passes import Context, Edit, Finding, Fix, Options, Pass, Safety
from .passes.buildcontext import BuildContext
from .syntax import Dockerfile, ParseError, parse

MAX_ITERATIONS = 10


class FixError(Exception):
    """A pass produced something the fixer refuses to return (a bug in that pass)."""


@dataclass(frozen=True)
class Applied:
    """A finding whose fix was applied, in the round it was applied."""

    finding: Finding
    round: int
    line: int  # line of the file on disk (a later round's position mapped back through the edits)


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
        import bisect

        k = bisect.bisect_right(self.new_starts, pos) - 1
        if k < 0:
            return pos
        if pos < self.new_ends[k]:
            return self.old_starts[k]
        return self.old_ends[k] + (pos - self.new_ends[k])


def _select(findings: list[Finding], options: Options, order: dict[str, int],
            created: dict[str, str] | None = None) -> list[Finding]:
    """Non-overlapping applicable fixes; on overlap the pass earlier in the registry wins."""
    chosen: list[Finding] = []
    for f in sorted(findings, key=lambda f: (order.get(f.pass_id, len(order)), f.start)):
        if not applicable(f, options):
            continue
        assert f.fix is not None
        if not f.fix.edits and all(path in (created or {}) for path, _ in f.fix.creates):
            continue  # a file an earlier round already creates
        if any(f.fix.overlaps(c.fix) for c in chosen if c.fix is not None):
            continue  # the next round sees it again on the updated text
        chosen.append(f)
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
    on_disk = current  # the file as read: every Applied.line is a line of it
    maps: list[_EditMap] = []  # one per round applied, to map later rounds' positions back
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
            offset = f.start
            for back in reversed(maps):
                offset = back.back(offset)
            applied.append(Applied(f, round_no, on_disk.position(offset)[0]))
            for path, content in f.fix.creates:  # type: ignore[union-attr]
                created.setdefault(path, content)
        maps.append(_EditMap(e for f in kept for e in f.fix.edits))  # type: ignore[union-attr]
        source, current = new_source, new_tree
        ctx = replace(ctx, dockerfile=current)
    raise AssertionError("unreachable")  # pragma: no cover


def _apply_verified(source: str, chosen: list[Finding]) -> tuple[str, Dockerfile, list[Finding]] | None:
    """Apply all chosen fixes; if the result does not parse, keep only those that parse alone.
    None when not one of them does."""
    edits = [e for f in chosen for e in f.fix.edits]  # type: ignore[union-attr]
    candidate = apply_edits(source, edits)
    try:
        return candidate, parse(candidate), chosen
    except ParseError:
        pass
    kept: list[Finding] = []
    current = source
    tree = None
    for f in chosen:
        # Offsets refer to ``source``; apply each surviving fix together with those kept so far.
        trial_edits = [e for k in kept + [f] for e in k.fix.edits]  # type: ignore[union-attr]
        trial = apply_edits(source, trial_edits)
        try:
            tree = parse(trial)
        except ParseError:
            continue
        kept.append(f)
        current = trial
    return (current, tree, kept) if tree is not None else None


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
