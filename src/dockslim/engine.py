"""Per-file work shared by every command: read, parse, validate, run passes, fix."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import budget
from ._records import dataclass
from . import suppress
from .fixer import FixError, FixResult, fix_text, run_passes
from .io import InputError, read_source
from .passes import REGISTRY, Context, Finding, Options, Pass
from .syntax import Dockerfile, ParseError, parse
from .syntax.nodes import KNOWN_KEYWORDS


@dataclass(frozen=True)
class FileReport:
    path: str
    original: str = ""
    tree: Dockerfile | None = None
    findings: tuple[Finding, ...] = ()
    result: FixResult | None = None
    error: InputError | None = None
    # about the suppression comments (unknown pass ids; unused, in check): (line, column, message)
    warnings: tuple[tuple[int, int, str], ...] = ()


def expand_ids(names: Sequence[str]) -> tuple[str, ...]:
    """Pass ids for what a user may name: a pass id, ``ALL`` (every pass), or a hadolint code such
    as ``DL3059`` (the passes that fix that rule, their ``hadolint`` attribute). Registry order,
    each once. Raises ValueError for a name that is none of these (with a "did you mean")."""
    known = [p.id for p in REGISTRY]
    wanted: set[str] = set()
    for name in names:
        if name.upper() == "ALL":
            wanted.update(known)
        elif name in known:
            wanted.add(name)
        elif name.upper().startswith("DL") and name[2:].isdigit():
            fixing = {p.id for p in REGISTRY if name.upper() in p.hadolint}
            if not fixing:
                raise ValueError(f"no pass fixes hadolint rule {name.upper()}; "
                                 "`dockslim rules` lists the rules each pass fixes")
            wanted |= fixing
        else:
            import difflib  # only to suggest a name after a typo

            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"unknown pass id '{name}'{hint}; see `dockslim rules`")
    return tuple(pid for pid in known if pid in wanted)


def resolve_passes(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Pass]:
    """Instances of the selected passes, in registry order. Raises ValueError for unknown ids."""
    chosen, skipped = expand_ids(select), set(expand_ids(ignore))
    return [p() for p in REGISTRY if (not select or p.id in chosen) and p.id not in skipped]


def validate(path: str, tree: Dockerfile) -> None:
    """What BuildKit rejects after parsing: unknown instructions, instructions before FROM."""
    seen_from = False
    for ins in tree.instructions:
        line, col = tree.position(ins.keyword_start)
        if ins.cmd not in KNOWN_KEYWORDS:
            raise InputError(path, f"unknown instruction: {ins.keyword}", line, col)
        if ins.sub is not None and ins.sub.cmd not in KNOWN_KEYWORDS:
            sl, sc = tree.position(ins.sub.keyword_start)
            raise InputError(path, f"unknown instruction: {ins.sub.keyword}", sl, sc)
        if ins.cmd == "FROM":
            seen_from = True
        elif not seen_from and ins.cmd != "ARG":
            raise InputError(path, f"{ins.cmd} before the first FROM (no build stage)", line, col)
    if not seen_from:
        raise InputError(path, "no FROM instruction", 1, 1)


def load(path: str) -> tuple[str, Dockerfile]:
    src = read_source(path)
    shown = "<stdin>" if path == "-" else path
    try:
        tree = parse(src.text)
    except ParseError as exc:
        raise InputError(shown, exc.message, exc.line, exc.column) from None
    validate(shown, tree)
    return src.text, tree


def default_context(path: str, context: str | None) -> Path | None:
    if context is not None:
        return Path(context)
    if path == "-":
        return None
    return Path(os.path.dirname(os.path.abspath(path)))


def check_file(path: str, passes: Sequence[Pass], options: Options, context: str | None) -> FileReport:
    try:
        with budget.limit(options.time_budget), gc_paused():
            try:
                text, tree = load(path)
            except InputError as exc:
                return FileReport(path, error=exc)
            ctx = Context(tree, path, default_context(path, context), options)
            raw: list[Finding] = []
            findings = tuple(run_passes(ctx, passes, raw))
            audit = suppress.audit(tree, KNOWN_IDS, raw, [p.id for p in passes])
            return FileReport(path, text, tree, findings, warnings=_warnings(tree, audit))
    except budget.OverBudget:
        return FileReport(path, error=over_budget(path, options))


def fix_file(path: str, passes: Sequence[Pass], options: Options, context: str | None) -> FileReport:
    try:
        with budget.limit(options.time_budget), gc_paused():
            try:
                text, tree = load(path)
            except InputError as exc:
                return FileReport(path, error=exc)
            try:
                result = fix_text(text, passes, path=path, build_context=default_context(path, context),
                                  options=options, tree=tree)
            except FixError as exc:
                return FileReport(path, text, tree,
                                  error=InputError(path, f"internal: {exc}; file left unchanged"))
            return FileReport(path, text, tree, result.findings, result,
                              warnings=_warnings(tree, suppress.audit(tree, KNOWN_IDS)))
    except budget.OverBudget:
        return FileReport(path, error=over_budget(path, options))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during one file's work.

    A file's tree, shell models and findings are many long-lived objects that reference counting
    frees anyway; each full collection during the work would walk all of them again, which makes
    time grow faster than the file (2.5x for twice the size at 2 MB). Collection resumes after
    the file (as it was: a caller that turned it off keeps it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def over_budget(path: str, options: Options) -> InputError:
    return InputError("<stdin>" if path == "-" else path,
                      f"skipped: over the time budget of {options.time_budget:g} s per file (file left "
                      "unchanged; raise it with --time-budget or `time-budget` in the configuration)")


KNOWN_IDS = tuple(p.id for p in REGISTRY)


def _warnings(tree: Dockerfile, found: list[tuple[int, str]]) -> tuple[tuple[int, int, str], ...]:
    return tuple((*tree.position(offset), message) for offset, message in found)
