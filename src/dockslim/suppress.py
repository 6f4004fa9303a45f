"""Suppression comments, applied centrally so that every command and every output honours them.

Forms (a comment line of its own; case of the words does not matter):

- ``# dockslim: ignore`` in the comment block right above an instruction: no pass touches it.
- ``# dockslim: ignore[merge-runs,cache-cleanup]``: only those passes leave it alone.
- ``# dockslim: ignore-file`` / ``# dockslim: ignore-file[merge-runs]`` anywhere in the file (outside
  an instruction): the whole file.
- ``# hadolint ignore=DL3059,DL3009`` above an instruction, and ``# hadolint global ignore=DL3059``
  for the whole file: the passes that fix those hadolint rules (their ``hadolint`` attribute) leave it
  alone, so hadolint users keep their annotations.

A finding is dropped when any instruction it covers or edits carries a suppression for its pass.
That is deliberately coarse: a merge-runs finding covers the whole group of consecutive RUNs it would
merge, so ``# hadolint ignore=DL3059`` above the third of four RUNs leaves all four alone rather than
guessing how to regroup them.

A suppression is about an *effect*, not only a pass id: no pass may achieve what a suppressed pass
would have done. One effect is shared today: a fix that deletes a whole RUN (its commands folded
into another RUN, or found redundant, as cache-cleanup does with an ``apt-get update``-only RUN) has
merge-runs' effect -- the RUN stops being a layer of its own -- so ``ignore[merge-runs]`` (or
``hadolint ignore=DL3059``) above that RUN keeps it, whichever pass proposes the deletion.

:func:`audit` reports the suppressions that cannot work (an unknown pass id: a typo such as
``ignore[merge-run]``) or that suppressed nothing, as warnings beside the findings (ruff's RUF100).
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Sequence

from ._records import dataclass, field
from .passes import REGISTRY, Finding
from .passes.textutil import hadolint_pragma
from .syntax import Dockerfile
from .syntax.nodes import Instruction, Trivia

# Which hadolint rules a pass fixes: the ``hadolint`` attribute of each pass, in registry order.
HADOLINT_RULES: dict[str, tuple[str, ...]] = {p.id: p.hadolint for p in REGISTRY if p.hadolint}

ALL = "*"

_DOCKSLIM = re.compile(r"^dockslim\s*:\s*(ignore-file|ignore)\s*(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)


def passes_for_hadolint(rule: str) -> set[str]:
    rule = rule.strip().upper()
    return {pid for pid, rules in HADOLINT_RULES.items() if rule in rules}


@dataclass(frozen=True)
class Directive:
    """One suppression comment: the pass ids it names (``*`` for all) and whether it is file-wide."""

    ids: frozenset[str]
    file_wide: bool


def parse_comment(comment: str) -> Directive | None:
    """The suppression a comment's text (without ``#``) expresses, or None."""
    m = _DOCKSLIM.match(comment.strip())
    if m:
        file_wide = m.group(1).lower() == "ignore-file"
        if m.group(2) is None:
            return Directive(frozenset({ALL}), file_wide)
        ids = frozenset(x.strip().lower() for x in m.group(2).split(",") if x.strip())
        return Directive(ids, file_wide) if ids else None
    m = hadolint_pragma(comment)
    if m:
        answered: set[str] = set()  # the passes that answer the hadolint rules named
        for rule in m.group(2).split(","):
            answered |= passes_for_hadolint(rule)
        return Directive(frozenset(answered), bool(m.group(1)))
    return None


@dataclass
class Suppressions:
    file_ids: set[str] = field(default_factory=set)
    # instruction start offset -> pass ids suppressed on it
    by_instruction: dict[int, set[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.file_ids or self.by_instruction)


def collect(tree: Dockerfile) -> Suppressions:
    out = Suppressions()
    pending: set[str] = set()
    for item in tree.items:
        if isinstance(item, Trivia):
            if item.kind != "comment":
                pending = set()  # a blank line ends the block that belongs to the next instruction
                continue
            d = parse_comment(item.comment or "")
            if d is None:
                continue
            if d.file_wide:
                out.file_ids |= d.ids
            else:
                pending |= d.ids
        elif isinstance(item, Instruction):
            if pending:
                out.by_instruction[item.start] = pending
            pending = set()
    return out


def _spans(f: Finding) -> Iterable[tuple[int, int]]:
    yield f.start, max(f.end, f.start + 1)
    if f.fix is not None:
        for e in f.fix.edits:
            yield e.start, max(e.end, e.start + 1)


MERGE = "merge-runs"


def _deletes(f: Finding, ins: Instruction) -> bool:
    """The fix removes instruction ``ins`` as a whole (merge-runs' effect, for a RUN)."""
    if f.fix is None or ins.cmd != "RUN":
        return False
    return any(e.start <= ins.start and ins.end <= e.end and not e.text.strip() for e in f.fix.edits)


def _hits(f: Finding, tree: Dockerfile, sup: Suppressions) -> Iterator[Instruction | None]:
    """What suppresses ``f``: each instruction whose suppression it hits; None for a file-wide one."""
    pid = f.pass_id.lower()
    if ALL in sup.file_ids or pid in sup.file_ids:
        yield None
        return
    merge_file_wide = MERGE in sup.file_ids
    for ins in tree.instructions:
        ids = sup.by_instruction.get(ins.start)
        if merge_file_wide and _deletes(f, ins):
            yield None
            return
        if not ids:
            continue
        if ALL in ids or pid in ids:
            if any(a < ins.end and ins.start < b for a, b in _spans(f)):
                yield ins
                continue
        if MERGE in ids and _deletes(f, ins):
            yield ins


def is_suppressed(f: Finding, tree: Dockerfile, sup: Suppressions) -> bool:
    return any(True for _ in _hits(f, tree, sup))


def apply(tree: Dockerfile, findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` without the suppressed ones."""
    sup = collect(tree)
    if not sup:
        return list(findings)
    return [f for f in findings if not is_suppressed(f, tree, sup)]


def audit(tree: Dockerfile, known_ids: Sequence[str], raw: Sequence[Finding] | None = None,
          ran: Sequence[str] = ()) -> list[tuple[int, str]]:
    """Warnings about ``# dockslim: ignore...`` comments, as (offset of the comment, message):
    pass ids that do not exist, and -- given the findings before suppression (``raw``) of the
    passes that ran (``ran``) -- suppressions above an instruction that suppressed none of them.
    hadolint's own comments are hadolint's: never reported."""
    import difflib  # only to suggest a name after a typo

    out: list[tuple[int, str]] = []
    known = set(known_ids)
    pending: list[tuple[Trivia, Directive]] = []
    sup = collect(tree) if raw is not None else Suppressions()
    hit: set[int] = set()
    if sup:
        for f in raw or ():
            hit.update(ins.start for ins in _hits(f, tree, sup) if ins is not None)
    for item in tree.items:
        if isinstance(item, Trivia):
            if item.kind != "comment":
                pending = []
                continue
            text = item.comment or ""
            if not _DOCKSLIM.match(text.strip()):
                continue
            d = parse_comment(text)
            if d is None:
                continue
            for pid in sorted(d.ids - known - {ALL}):
                close = difflib.get_close_matches(pid, sorted(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                out.append((item.start + item.text.index("#"),
                            f"unknown pass id '{pid}' in a suppression comment{hint}: it suppresses nothing"))
            if not d.file_wide:
                pending.append((item, d))
        elif isinstance(item, Instruction):
            if raw is not None:
                for comment, d in pending:
                    relevant = d.ids & (set(ran) | {ALL})
                    if relevant and item.start not in hit:
                        out.append((comment.start + comment.text.index("#"),
                                    "unused suppression: no finding of "
                                    + ("any pass" if ALL in relevant else ", ".join(sorted(relevant)))
                                    + f" on the instruction at line {item.start_line}"))
            pending = []
    return out
