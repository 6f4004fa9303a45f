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
