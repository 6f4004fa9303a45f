"""The `dockslim` command line: flags -> options -> engine -> output. No rewriting logic here."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from . import __version__
from .engine import FileReport, check_file, fix_file, resolve_passes
from .exitcodes import ExitCode, decide
from .io import InputError, discover, write_atomic
from .output.diff import unified_diff
from .output.text import applied_line, finding_line
from .passes import REGISTRY, Options, Safety, by_id

app = typer.Typer(
    name="dockslim",
    help="Rewrite Dockerfiles into smaller images with fewer layers that rebuild faster, "
    "without breaking the build.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dockslim {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """dockslim: smaller, faster-building Dockerfiles that still build."""


def _ids(values: Optional[List[str]]) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _err(message: str) -> None:
    typer.echo(typer.style("error: ", fg="red", bold=True) + message, err=True)


def _setup(select, ignore):
    try:
        return resolve_passes(_ids(select), _ids(ignore))
    except ValueError as exc:
        _err(str(exc))
        raise typer.Exit(int(ExitCode.ERROR))


def _files(paths: list[str]) -> list[str]:
    files = discover(paths)
    if not files:
        _err("no Dockerfile found in " + ", ".join(paths))
        raise typer.Exit(int(ExitCode.ERROR))
    return files


def _report_error(report: FileReport) -> None:
    assert report.error is not None
    typer.echo(str(report.error), err=True)


PathsArg = typer.Argument(..., help="Dockerfiles or folders to search; `-` reads standard input.")
SelectOpt = typer.Option(None, "--select", help="Only these pass ids (comma-separated).")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these pass ids (comma-separated).")
UnsafeOpt = typer.Option(False, "--unsafe-fixes", help="Also apply fixes that may change the result.")
ContextOpt = typer.Option(None, "--context", help="The build context folder (default: the Dockerfile's folder).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="Print only diffs, rewritten text or errors.")


@app.command()
def fix(
    paths: List[str] = PathsArg,
    diff: bool = typer.Option(True, "--diff/--write", help="Show a unified diff (default) or rewrite files in place."),
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: bool = UnsafeOpt,
    context: Optional[str] = ContextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Rewrite Dockerfiles: a diff by default, in place with --write, stdout for `-`."""
    passes = _setup(select, ignore)
    options = Options(unsafe_fixes=unsafe_fixes)
    errors = found = 0
    unsafe_left = 0
    for path in _files(paths):
        report = fix_file(path, passes, options, context)
        if report.error is not None:
            errors += 1
            _report_error(report)
            continue
        result = report.result
        assert result is not None
        unsafe_left += sum(1 for f in result.findings
                           if f.fix is not None and f.fix.safety is Safety.UNSAFE and not unsafe_fixes)
        if path == "-":
            sys.stdout.write(result.text)
            sys.stdout.flush()
        elif result.changed:
            found += 1
            if diff:
                for line in unified_diff(path, result.original, result.text).splitlines(keepends=True):
                    typer.echo(_colour_diff(line), nl=False)
            else:
                try:
                    write_atomic(path, result.text)
                except InputError as exc:
                    errors += 1
                    typer.echo(str(exc), err=True)
                    continue
        if not quiet:
            for a in result.applied:
                typer.echo(applied_line("<stdin>" if path == "-" else path, a), err=True)
    if unsafe_left and not quiet:
        typer.echo(f"{unsafe_left} more fix(es) available with --unsafe-fixes "
                   "(see `dockslim check`).", err=True)
    writes = not diff or paths == ["-"]
    raise typer.Exit(int(decide(errors=errors, found=found, writes=writes)))


def _colour_diff(line: str) -> str:
    if line.startswith(("+++", "---")):
        return typer.style(line, bold=True)
    if line.startswith("+"):
        return typer.style(line, fg="green")
    if line.startswith("-"):
        return typer.style(line, fg="red")
    if line.startswith("@@"):
        return typer.style(line, fg="cyan")
    return line


@app.command()
def check(
    paths: List[str] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: bool = UnsafeOpt,
    context: Optional[str] = ContextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Report findings as `file:line:col: pass-id message`; exit 1 when there are any."""
    passes = _setup(select, ignore)
    options = Options(unsafe_fixes=unsafe_fixes)
    errors = found = 0
    for path in _files(paths):
        report = check_file(path, passes, options, context)
        if report.error is not None:
            errors += 1
            _report_error(report)
            continue
        shown = "<stdin>" if path == "-" else path
        for f in report.findings:
            if f.note and quiet:
                continue
            found += not f.note
            typer.echo(finding_line(shown, report.tree, f))
    if found and not quiet:
        typer.echo(f"{found} finding(s); [*] marks a safe fix that `dockslim fix` applies.", err=True)
    raise typer.Exit(int(decide(errors=errors, found=found)))


@app.command()
def rules() -> None:
    """List the passes with their fix safety and a one-line summary."""
    width = max(len(p.id) for p in REGISTRY)
    for p in REGISTRY:
        typer.echo(f"{p.id:<{width}}  {p.safety.value:<7}  {p.summary}")
    raise typer.Exit(int(ExitCode.OK))


@app.command()
def explain(pass_id: str = typer.Argument(..., help="A pass id, as `dockslim rules` lists.")) -> None:
    """Print a pass's documentation: what it does, why, an example, its fix safety."""
    try:
        resolve_passes([pass_id])
    except ValueError as exc:
        _err(str(exc))
        raise typer.Exit(int(ExitCode.ERROR))
    cls = by_id()[pass_id]
    typer.echo(f"# {cls.id} ({cls.safety.value})\n\n{cls.documentation()}")
    raise typer.Exit(int(ExitCode.OK))


def main(argv: Optional[list[str]] = None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv[1:]) and return the exit code.

    Typer's standalone mode reports usage errors itself (exit 2); every command ends with
    ``typer.Exit(code)`` from :func:`dockslim.exitcodes.decide`. Nothing escapes as a traceback.
    """
    try:
        app(args=argv, prog_name="dockslim", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return int(ExitCode.OK)
        if isinstance(code, int):
            return code
        typer.echo(str(code), err=True)
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:  # a bug in dockslim: one clear line, no traceback, nothing written
        typer.echo(f"dockslim: internal error: {type(exc).__name__}: {exc} "
                   "(please report it with the input file)", err=True)
        return int(ExitCode.ERROR)
    return int(ExitCode.OK)


def entrypoint() -> None:
    sys.exit(main())
