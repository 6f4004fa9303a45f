"""What `dockslim fix` and `dockslim check` do once :mod:`dockslim.cli` has parsed the command line
into a :class:`~dockslim.options.RunOptions`. No typer here: the CLI parser is cli.py's alone.
"""

from __future__ import annotations

import os
import sys

from ._records import dataclass, field
from .batch import default_jobs, run_ordered
from .config import ConfigError, Resolver, merge
from .engine import FileReport, check_file, default_context, fix_file, resolve_passes
from .exitcodes import CommandExit, ExitCode, decide
from .io import InputError, create_new, discover, write_atomic
from .options import RunOptions
from .output import renderer
from .output.common import FileView
from .output.diff import new_file_diff, unified_diff
from .output.text import applied_line, finding_line
from .passes import REGISTRY, Options, Pass, Safety
from .term import echo, error, style


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
        try:
            eff = merge(self.resolver.for_dockerfile(path), self.options, path)
        except ConfigError as exc:
            error(str(exc))
            raise CommandExit(int(ExitCode.ERROR)) from None
        passes = _resolve(eff.select, eff.ignore)
        return passes, Options(unsafe_fixes=eff.unsafe_fixes, cache_style=eff.cache_style,
                               package_map=eff.package_map, allow_unmapped=self.options.allow_unmapped,
                               explicit=frozenset(eff.select), exec_form_wrap=eff.exec_form_wrap)


def _files(paths: list[str]) -> list[str]:
    files = discover(paths)
    if not files:
        error("no Dockerfile found in " + ", ".join(paths))
        raise CommandExit(int(ExitCode.ERROR))
    return files


@dataclass
class _FileDone:
    """What one file's check/fix produced, to print in file order (possibly from a worker)."""

    out: list[str] = field(default_factory=list)  # stdout chunks, printed as they are
    err: list[str] = field(default_factory=list)  # stderr lines, before the stdout chunks
    applied: list[str] = field(default_factory=list)  # fix: "fixed ..." lines (stderr, after)
    found: int = 0
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


def _started(report: FileReport, options: Options, structured: bool, mode: str) -> _FileDone:
    """A file's record with what every command does first: its view for structured formats, and
    its error (counted, and printed unless a structured format carries it)."""
    done = _FileDone()
    if structured:
        done.view = FileView(report, options, mode)
    if report.error is not None:
        done.errors += 1
        if not structured:
            done.err.append(str(report.error))
    return done


def _fix_one(job) -> _FileDone:
    path, passes, options, context, diff, structured, quiet = job
    report = fix_file(path, passes, options, context)
    done = _started(report, options, structured, "fix")
    if report.error is not None:
        return done
    result = report.result
    assert result is not None
    done.unsafe_left = sum(1 for f in result.findings
                           if f.fix is not None and f.fix.safety is Safety.UNSAFE and not options.unsafe_fixes)
    if path == "-" and not structured:
        done.out.append(result.text)
    elif path == "-":
        done.found += result.changed  # a structured format replaces the rewritten text on stdout
    elif result.changed:
        done.found += 1
        if structured and diff:
            pass  # the format carries the diff
        elif diff:
            done.out.extend(_colour_diff(line)
                            for line in unified_diff(path, result.original, result.text).splitlines(keepends=True))
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
        done.applied = [applied_line("<stdin>" if path == "-" else path, a) for a in result.applied]
    return done


def _new_files(path: str, context: str | None, creates, diff: bool, structured: bool,
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
        if diff:
            if not structured:
                shown = os.path.normpath(os.path.join(context or os.path.dirname(path), rel))
                for line in new_file_diff(shown, content).splitlines(keepends=True):
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
    path, passes, options, context, structured, quiet = job
    report = check_file(path, passes, options, context)
    done = _started(report, options, structured, "check")
    if report.error is not None:
        return done
    shown = "<stdin>" if path == "-" else path
    assert report.tree is not None  # a report without an error has its tree
    for f in report.findings:
        done.found += not f.note
        if structured or (f.note and quiet):
            continue
        done.out.append(finding_line(shown, report.tree, f) + "\n")
    return done


def run_fix(paths: list[str], options: RunOptions) -> int:
    """Rewrite Dockerfiles: a diff by default, in place with --write, stdout for `-`."""
    planner = Planner(options)
    diff, quiet, context = options.diff, options.quiet, options.context
    structured = options.output_format != "text"
    views: list[FileView] = []
    errors = found = 0
    unsafe_left = 0
    new_files: set[str] = set()  # files created (or shown) in this run: each once
    files = _files(paths)
    jobs = [(path, *planner.plan(path), context, diff, structured, quiet) for path in files]
    for path, done in zip(files, run_ordered(_fix_one, jobs, jobs=_jobs(files, structured)), strict=True):
        _emit(done)
        errors += done.errors
        found += done.found
        unsafe_left += done.unsafe_left
        if done.view is not None:
            views.append(done.view)
        if done.creates is not None:
            made, failed = _new_files(path, context, done.creates, diff, structured, new_files)
            found += made
            errors += failed
        if not quiet and not structured:
            for line in done.applied:
                echo(line, err=True)
    if structured:
        sys.stdout.write(renderer(options.output_format)(views))
        sys.stdout.flush()
    if unsafe_left and not quiet and not structured:
        echo(f"{unsafe_left} more fix(es) available with --unsafe-fixes "
             "(see `dockslim check`).", err=True)
    writes = not diff or (paths == ["-"] and not structured)
    return int(decide(errors=errors, found=found, writes=writes))


def run_check(paths: list[str], options: RunOptions) -> int:
    """Report findings as `file:line:col: pass-id message`; exit 1 when there are any."""
    planner = Planner(options)
    structured = options.output_format != "text"
    views: list[FileView] = []
    errors = found = 0
    files = _files(paths)
    jobs = [(path, *planner.plan(path), options.context, structured, options.quiet) for path in files]
    for done in run_ordered(_check_one, jobs, jobs=_jobs(files, structured)):
        _emit(done)
        errors += done.errors
        found += done.found
        if done.view is not None:
            views.append(done.view)
    if structured:
        sys.stdout.write(renderer(options.output_format)(views))
        sys.stdout.flush()
    elif found and not options.quiet:
        echo(f"{found} finding(s); [*] marks a safe fix that `dockslim fix` applies.", err=True)
    return int(decide(errors=errors, found=found))
