"""What `dockslim fix` and `dockslim check` do once :mod:`dockslim.cli` has parsed the command line
into a :class:`~dockslim.options.RunOptions`. No typer here: the CLI parser is cli.py's alone.
"""

from __future__ import annotations

import os
import sys

from ._records import dataclass, field
from .batch import default_jobs, run_ordered
from .config import ConfigError, Resolver, merge
from .engine import FileReport, check_file, default_context, expand_ids, fix_file, resolve_passes
from .exitcodes import CommandExit, ExitCode, decide
from .fixer import applicable, fix_text
from .io import InputError, create_new, discover, display_path, write_atomic
from .options import RunOptions
from .output import renderer
from .output.common import FileView
from .output.diff import new_file_diff, unified_diff
from .output.text import applied_line, finding_line
from .passes import REGISTRY, Options, Pass, Safety
from .term import echo, error, set_colour, style


def _resolve(select: tuple[str, ...], ignore: tuple[str, ...]) -> list[Pass]:
    try:
        return resolve_passes(select, ignore)
    except ValueError as exc:
        error(str(exc))
        raise CommandExit(int(ExitCode.ERROR)) from None


class Planner:
    """Per Dockerfile: its configuration merged with the flags -> (passes, options). Flags win."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        _resolve(options.select, options.ignore)  # unknown ids fail before any work
        self.resolver = Resolver([p.id for p in REGISTRY], explicit=options.config, isolated=options.isolated)

    def plan(self, path: str) -> tuple[list[Pass], Options]:
        if path == "-" and self.options.stdin_filename:
            path = self.options.stdin_filename  # its configuration, its per-path-ignores
        try:
            eff = merge(self.resolver.for_dockerfile(path), self.options, path)
        except ConfigError as exc:
            error(str(exc))
            raise CommandExit(int(ExitCode.ERROR)) from None
        passes = _resolve(eff.select, eff.ignore)
        # Named passes (by id or hadolint code) are "explicit"; ALL names none in particular.
        explicit = expand_ids([n for n in eff.select if n.upper() != "ALL"])
        return passes, Options(unsafe_fixes=eff.unsafe_fixes, cache_style=eff.cache_style,
                               package_map=eff.package_map, allow_unmapped=self.options.allow_unmapped,
                               explicit=frozenset(explicit), exec_form_wrap=eff.exec_form_wrap,
                               time_budget=eff.time_budget)


def _files(paths: list[str], options: RunOptions) -> list[str]:
    files = discover(paths, options.exclude, options.extend_exclude)
    if not files:
        error("no Dockerfile found in " + ", ".join(paths))
        raise CommandExit(int(ExitCode.ERROR))
    return files


def _shown(path: str, options: RunOptions) -> str:
    """The name of a file in every message, diff header and format: relative to the current folder
    (:func:`dockslim.io.display_path`); standard input is ``--stdin-filename``, else ``<stdin>``."""
    if path == "-":
        return display_path(options.stdin_filename) if options.stdin_filename else "<stdin>"
    return display_path(path)


def _context(path: str, options: RunOptions) -> str | None:
    if options.context is None and path == "-" and options.stdin_filename:
        return os.path.dirname(os.path.abspath(options.stdin_filename))
    return options.context


@dataclass
class _FileDone:
    """What one file's check/fix produced, to print in file order (possibly from a worker)."""

    out: list[str] = field(default_factory=list)  # stdout chunks, printed as they are
    err: list[str] = field(default_factory=list)  # stderr lines, before the stdout chunks
    applied: list[str] = field(default_factory=list)  # fix: "fixed ..." lines (stderr, after)
    found: int = 0  # findings (check) or changed files (fix)
    failing: int = 0  # check: the findings --fail-on counts
    notes_hidden: int = 0
    stats: dict[str, list[int]] = field(default_factory=dict)  # check --statistics: id -> [count, fixable]
    errors: int = 0
    unsafe_left: int = 0
    view: FileView | None = None  # structured formats only (never from a worker)
    creates: tuple | None = None  # fix: new files the fix offers, handled in this process


def _jobs(files: list[str], structured: bool) -> int:
    # Structured formats need every report in this process, and stdin cannot go to a worker.
    return 1 if structured or "-" in files else default_jobs()


def _emit(done: _FileDone) -> None:
    for line in done.err:
        echo(line, err=True)
    for chunk in done.out:
        echo(chunk, nl=False)


def _started(report: FileReport, options: Options, structured: bool, mode: str, shown: str,
             notes: bool) -> _FileDone:
    """A file's record with what every command does first: its view for structured formats, and
    its error (counted, and printed unless a structured format carries it)."""
    done = _FileDone()
    if structured:
        done.view = FileView(report, options, mode, name=shown, notes=notes)
    if report.error is not None:
        done.errors += 1
        if not structured:
            err = report.error
            if err.path in (report.path, "<stdin>"):
                err.path = shown
            done.err.append(str(err))
    elif not structured:
        done.err.extend(f"{shown}:{line}:{col}: warning: {message}" for line, col, message in report.warnings)
    return done


def _fix_one(job) -> _FileDone:
    path, passes, options, context, diff, structured, quiet, shown, notes, verify = job
    report = fix_file(path, passes, options, context)
    done = _started(report, options, structured, "fix", shown, notes)
    if report.error is not None:
        return done
    result = report.result
    assert result is not None
    if verify is not None:  # `fix --verify`: keep only the fixes whose rewrite builds and behaves
        from .verify import VerifyError, verified

        def rerun(excluded):
            return fix_text(result.original, passes, path=path, build_context=default_context(path, context),
                            options=options, exclude=excluded)
        folder = default_context(path, context)
        assert folder is not None  # --verify refuses stdin before any work
        try:
            result, lines = verified(path, result, rerun, folder, verify)
        except VerifyError as exc:
            done.errors += 1
            done.err.append(f"error: {exc}")
            return done
        done.err.extend(lines)
    done.unsafe_left = sum(1 for f in result.findings
                           if f.fix is not None and f.fix.safety is Safety.UNSAFE and not options.unsafe_fixes)
    if path == "-" and not structured and diff is not True:
        done.out.append(result.text)  # `fix -` and `fix --write -`: the rewritten text, as black does
    elif path == "-" and structured:
        done.found += result.changed  # a structured format replaces the rewritten text on stdout
    elif result.changed:
        done.found += 1
        if structured and diff is not False:
            pass  # the format carries the diff
        elif diff is not False:
            done.out.extend(_colour_diff(line)
                            for line in unified_diff(shown, result.original, result.text).splitlines(keepends=True))
        else:
            try:
                write_atomic(path, result.text)
            except InputError as exc:
                done.errors += 1
                done.err.append(str(exc))
                return done
    if path != "-":
        done.creates = result.creates
    if not quiet and not structured:
        for a in result.applied:
            if path == "-" and a.finding.fix is not None and not a.finding.fix.edits:
                # New files are never made from stdin: no claim that one was.
                for rel, _ in a.finding.fix.creates:
                    done.applied.append(f"{shown}: not created (the input is stdin): {rel}, offered by "
                                        f"{a.finding.pass_id}; run `dockslim fix` on the file to get it")
                continue
            done.applied.append(applied_line(shown, a))
    return done


def _new_files(path: str, context: str | None, creates, diff: bool | None, structured: bool,
               seen: set[str]) -> tuple[int, int]:
    """Show (``--diff``) or create (``--write``) the new files a fix offers; never overwrite one."""
    made = failed = 0
    folder = default_context(path, context)
    if folder is None:
        return 0, 0
    for rel, content in creates:
        target = os.path.normpath(os.path.join(str(folder), rel))
        if target in seen or os.path.lexists(target):
            continue
        seen.add(target)
        if diff is not False:
            if not structured:
                # The same path convention as the Dockerfiles' diffs: `git apply` takes both.
                for line in new_file_diff(display_path(target), content).splitlines(keepends=True):
                    echo(_colour_diff(line), nl=False)
            made += 1
            continue
        try:
            made += create_new(target, content)
        except InputError as exc:
            failed += 1
            echo(str(exc), err=True)
    return made, failed


def _colour_diff(line: str) -> str:
    if line.startswith(("+++", "---")):
        return style(line, bold=True)
    if line.startswith("+"):
        return style(line, fg="green")
    if line.startswith("-"):
        return style(line, fg="red")
    if line.startswith("@@"):
        return style(line, fg="cyan")
    return line


def _check_one(job) -> _FileDone:
    path, passes, options, context, structured, run = job
    shown = _shown(path, run)
    report = check_file(path, passes, options, context)
    done = _started(report, options, structured, "check", shown, run.show_notes)
    if report.error is not None:
        return done
    assert report.tree is not None  # a report without an error has its tree
    for f in report.findings:
        if f.note:
            if not run.show_notes:
                done.notes_hidden += 1
                continue
        else:
            done.found += 1
            done.failing += run.fail_on == "any" or (run.fail_on == "fixable" and applicable(f, options))
            if run.statistics:
                count = done.stats.setdefault(f.pass_id, [0, 0])
                count[0] += 1
                count[1] += applicable(f, options)
        if structured or (f.note and run.quiet) or run.statistics:
            continue
        done.out.append(finding_line(shown, report.tree, f) + "\n")
    return done


def _progress(files: list[str]) -> bool | None:
    return None if len(files) > 1 else False  # no progress bar for one file


def run_fix(paths: list[str], options: RunOptions) -> int:
    """Rewrite Dockerfiles: a diff by default, in place with --write, stdout for `-`. With
    ``options.verify``, each rewrite is built and checked first (:mod:`dockslim.verify`)."""
    set_colour(options.color)
    verify = None
    if options.verify:
        from .verify import VerifyError, VerifyRequest, preflight

        try:
            preflight(paths, options.context)
        except VerifyError as exc:
            error(str(exc))
            return int(ExitCode.ERROR)
        verify = VerifyRequest(options.verify_cmd, options.build_args, options.network)
    elif options.verify_cmd is not None or options.build_args or options.network is not None:
        error("--verify-cmd, --build-arg and --network go with --verify")
        return int(ExitCode.ERROR)
    planner = Planner(options)
    diff, quiet = options.diff, options.quiet
    structured = options.output_format != "text"
    views: list[FileView] = []
    errors = found = 0
    unsafe_left = 0
    new_files: set[str] = set()  # files created (or shown) in this run: each once
    files = _files(paths, options)
    jobs = [(path, *planner.plan(path), _context(path, options), diff, structured, quiet, _shown(path, options),
             options.show_notes, verify) for path in files]
    workers = 1 if verify is not None else _jobs(files, structured)  # builds run one at a time
    for path, done in zip(files, run_ordered(_fix_one, jobs, jobs=workers,
                                             progress=_progress(files)), strict=True):
        _emit(done)
        errors += done.errors
        found += done.found
        unsafe_left += done.unsafe_left
        if done.view is not None:
            views.append(done.view)
        if done.creates is not None:
            made, failed = _new_files(path, options.context, done.creates, diff, structured, new_files)
            found += made
            errors += failed
        if not quiet and not structured:
            for line in done.applied:
                echo(line, err=True)
    if structured:
        sys.stdout.write(renderer(options.output_format)(views))
        sys.stdout.flush()
    if unsafe_left and not quiet and not structured:
        echo(f"{unsafe_left} more {'fix' if unsafe_left == 1 else 'fixes'} available with --unsafe-fixes "
             "(see `dockslim check`).", err=True)
    writes = diff is False or (paths == ["-"] and not structured and diff is not True)
    return int(decide(errors=errors, found=0 if options.exit_zero else found, writes=writes))


def run_check(paths: list[str], options: RunOptions) -> int:
    """Report findings as `file:line:col: pass-id message`; exit 1 when there are any."""
    set_colour(options.color)
    planner = Planner(options)
    structured = options.output_format != "text"
    views: list[FileView] = []
    errors = found = failing = notes_hidden = 0
    stats: dict[str, list[int]] = {}
    files = _files(paths, options)
    jobs = [(path, *planner.plan(path), _context(path, options), structured, options) for path in files]
    for done in run_ordered(_check_one, jobs, jobs=_jobs(files, structured), progress=_progress(files)):
        _emit(done)
        errors += done.errors
        found += done.found
        failing += done.failing
        notes_hidden += done.notes_hidden
        for pid, (count, fixable) in done.stats.items():
            total = stats.setdefault(pid, [0, 0])
            total[0] += count
            total[1] += fixable
        if done.view is not None:
            views.append(done.view)
    if structured:
        sys.stdout.write(renderer(options.output_format)(views))
        sys.stdout.flush()
    else:
        if options.statistics:
            _statistics(stats)
        if found and not options.quiet:
            hidden = (f"; {notes_hidden} {'note' if notes_hidden == 1 else 'notes'} not shown (--show-notes)"
                      if notes_hidden else "")
            echo(f"{found} {'finding' if found == 1 else 'findings'}{hidden}; [*] marks a safe fix that "
                 "`dockslim fix` applies.", err=True)
    return int(decide(errors=errors, found=0 if options.exit_zero else failing))


def _statistics(stats: dict[str, list[int]]) -> None:
    """``count  pass-id  [*]  summary`` per pass, most findings first (ruff's --statistics)."""
    from .passes import by_id

    rows = sorted(stats.items(), key=lambda kv: (-kv[1][0], kv[0]))
    width = max((len(pid) for pid in stats), default=0)
    for pid, (count, fixable) in rows:
        mark = "[*]" if fixable == count else "[-]" if fixable else "   "
        cls = by_id().get(pid)
        echo(f"{count:>5}  {pid:<{width}}  {mark}  {cls.summary if cls else ''}".rstrip())
