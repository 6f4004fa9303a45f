"""The `dockslim` command line, the one definition of it: flags -> :class:`RunOptions` -> a command.

No rewriting logic here: each command hands its options to the module that does the work
(:mod:`dockslim.commands`, :mod:`dockslim.measure`, :mod:`dockslim.github.flow`), imported only
when that command runs. This is the only module that imports typer (and, through it, click).

The options several commands share are declared once, in :data:`FLAGS`; :func:`command` adds the
ones a command takes to its signature and gathers their values into one :class:`RunOptions`. Adding
an option: a field on :class:`RunOptions` and a line in :data:`FLAGS`.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, NamedTuple, Sequence

import typer

from . import __version__
from .exitcodes import ExitCode, guarded
from .options import RunOptions, split_globs, split_ids
from .output import FORMATS  # a constant; the renderers load on demand

CONTEXT = {"help_option_names": ["-h", "--help"]}  # -h as ruff and hadolint take it

app = typer.Typer(
    name="dockslim",
    context_settings=CONTEXT,
    help="Rewrite Dockerfiles into smaller images with fewer layers that rebuild faster, "
    "without breaking the build.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
github_app = typer.Typer(name="github", help="GitHub integration: pull-request reviews.",
                         no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                         context_settings=CONTEXT)
app.add_typer(github_app, name="github")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
    return value


def _choice(*choices: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(choices)}")
        return value

    return check


def _ids(value: list[str] | None) -> list[str] | None:
    try:
        split_ids(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _folder(value: str | None) -> str | None:
    import os

    if value is not None and not os.path.isdir(value):
        raise typer.BadParameter(f"'{value}' is not a folder" if os.path.exists(value)
                                 else f"'{value}': no such folder")
    return value


def _measure_format(value: str) -> str:
    if value not in ("text", "json"):
        raise typer.BadParameter(f"'{value}' is not one of text, json")
    return value


class Flag(NamedTuple):
    """A :class:`RunOptions` field as the command line spells it."""

    field: str  # the RunOptions field (and the command function's parameter)
    type: Any  # what typer parses
    option: Any  # typer.Option(...)
    commands: tuple[str, ...]  # the commands that take it
    convert: Callable[[Any], Any] = lambda value: value  # typer's value -> the field's


ALL = ("fix", "check", "measure", "github review")
FILES = ("fix", "check", "measure")  # commands that take Dockerfiles from the command line

FLAGS: tuple[Flag, ...] = (
    Flag("diff", bool | None, typer.Option(
        None, "--diff/--write", help="Show a unified diff (the default; for `-` too when given) or rewrite "
        "files in place. Both at once is an error."), ("fix",)),
    Flag("select", list[str] | None, typer.Option(
        None, "--select", callback=_ids, help="Only these passes (comma-separated pass ids, hadolint codes "
        "such as DL3059 for the passes that fix them, or ALL)."), ALL, split_ids),
    Flag("ignore", list[str] | None, typer.Option(
        None, "--ignore", callback=_ids, help="Skip these passes (pass ids or hadolint codes, comma-separated)."),
         ALL, split_ids),
    Flag("unsafe_fixes", bool | None, typer.Option(
        None, "--unsafe-fixes/--no-unsafe-fixes",
        help="Also apply fixes that may change the result (default: from configuration, else off)."), ALL),
    Flag("cache_style", str | None, typer.Option(
        None, "--cache-style", callback=_choice("cleanup", "mount"),
        help="Keep package caches out of layers by deleting them (cleanup) or with "
        "BuildKit cache mounts (mount). Default: from configuration, else cleanup."), ALL),
    Flag("context", str | None, typer.Option(
        None, "--context", callback=_folder,
        help="The build context folder (default: the Dockerfile's folder)."), FILES),
    Flag("output_format", str, typer.Option(
        "text", "--format", "--output-format", callback=_format,
        help="Output format: text, json, sarif, github (workflow annotations) or rdjson (reviewdog)."),
         ("fix", "check")),
    Flag("output_format", str, typer.Option("text", "--format", "--output-format", callback=_measure_format,
                                            help="Output format: text (a table) or json."), ("measure",)),
    Flag("config", str | None, typer.Option(
        None, "--config", help="Use this configuration file instead of searching for one."), ALL),
    Flag("isolated", bool, typer.Option(False, "--isolated", help="Ignore configuration files."), ALL),
    Flag("quiet", bool, typer.Option(False, "--quiet", "-q", help="Print only diffs, rewritten text or errors."),
         ("fix", "check")),
    Flag("allow_unmapped", bool, typer.Option(
        False, "--allow-unmapped", help="alpine-base: keep Debian package names that have no known Alpine name."),
         ALL),
    Flag("time_budget", float | None, typer.Option(
        None, "--time-budget", min=0, help="Seconds allowed per Dockerfile (default: from configuration, else "
        "60; 0: no limit). A file over it is reported and skipped (exit code 2)."), ("fix", "check", "github review")),
    Flag("exclude", list[str] | None, typer.Option(
        None, "--exclude", help="Folder search: skip these folders/files (globs, comma-separated), "
        "instead of the default list (.git, node_modules, .venv, ...)."), ("fix", "check"), split_globs),
    Flag("extend_exclude", list[str] | None, typer.Option(
        None, "--extend-exclude", help="Folder search: skip these too (globs, comma-separated)."),
         ("fix", "check"), lambda v: split_globs(v) or ()),
    Flag("stdin_filename", str | None, typer.Option(
        None, "--stdin-filename", help="The path standard input (`-`) stands for: in messages and formats, "
        "for the configuration search and the default build context."), ("fix", "check")),
    Flag("fail_on", str, typer.Option(
        "any", "--fail-on", callback=_choice("any", "fixable", "none"),
        help="Exit 1 on: any finding (any), only findings `dockslim fix` would change with these options "
        "(fixable: pre-commit after dockslim-fix), or never (none)."), ("check",)),
    Flag("exit_zero", bool, typer.Option(
        False, "--exit-zero", help="Exit 0 even when there are findings or a diff; errors still exit 2."),
         ("fix", "check")),
    Flag("statistics", bool, typer.Option(
        False, "--statistics", help="Print how many findings each pass has, not each finding."), ("check",)),
    Flag("show_notes", bool, typer.Option(
        False, "--show-notes", help="Also print notes: why something was left alone (off by default; json, sarif and "
        "rdjson always carry them, marked)."), ("fix", "check")),
    Flag("color", str, typer.Option(
        "auto", "--color", callback=_choice("auto", "always", "never"),
        help="Colour: auto (a terminal, unless NO_COLOR is set or TERM=dumb; FORCE_COLOR forces it), "
        "always or never."), ("fix", "check")),
    Flag("verify", bool, typer.Option(
        False, "--verify", help="Build the original and the rewrite on the local Docker engine, run a smoke check "
        "in both, and keep only the fixes that build and behave alike (docs/how-to/verify.md)."), ("fix",)),
    Flag("verify_cmd", str | None, typer.Option(
        None, "--verify-cmd", help="With --verify: a shell command run in both images (when they have no "
        "HEALTHCHECK); exit code and stdout must match."), ("fix",)),
    Flag("build_args", list[str] | None, typer.Option(
        None, "--build-arg", help="NAME=VALUE passed to `docker build` (repeatable; fix: with --verify)."),
         ("fix", "measure"), lambda values: tuple(values or ())),
    Flag("network", str | None, typer.Option(
        None, "--network", help="Network for RUN instructions, as `docker build --network` (e.g. host); "
        "fix: with --verify. Default: the engine's."), ("fix", "measure")),
)


def command(group: typer.Typer, name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Register ``run(options, **own)`` as command ``name``: its own parameters (those only it
    has), then the :data:`FLAGS` it takes, whose values arrive as one :class:`RunOptions`.
    ``run`` returns the exit code; whatever else ends it becomes one in
    :func:`dockslim.exitcodes.guarded`."""
    full = name if group is app else f"{group.info.name} {name}"

    def register(run: Callable[..., int]) -> Callable[..., int]:
        own = [p for p in inspect.signature(run, eval_str=True).parameters.values() if p.name != "options"]
        taken = [flag for flag in FLAGS if full in flag.commands]
        flags = {flag.field: flag for flag in taken}
        if len(flags) != len(taken) or flags.keys() & {p.name for p in own}:
            raise TypeError(f"dockslim {full}: one field, two flags (in FLAGS, or FLAGS and its parameters)")
        params = own + [inspect.Parameter(flag.field, inspect.Parameter.KEYWORD_ONLY, default=flag.option,
                                          annotation=flag.type) for flag in flags.values()]

        def invoke(**values: Any) -> None:
            given = {field: flag.convert(values.pop(field)) for field, flag in flags.items()}
            raise typer.Exit(guarded(lambda: run(RunOptions(**given), **values)))

        invoke.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # typer reads it
        invoke.__annotations__ = {p.name: p.annotation for p in params}
        invoke.__name__, invoke.__doc__ = run.__name__, run.__doc__
        group.command(name)(invoke)
        return run

    return register


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dockslim {__version__}")
        raise typer.Exit(int(ExitCode.OK))


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """dockslim: smaller, faster-building Dockerfiles that still build."""


PATHS = typer.Argument(..., help="Dockerfiles or folders to search; `-` reads standard input.")


@command(app, "fix")
def fix(options: RunOptions, paths: list[str] = PATHS) -> int:
    """Rewrite Dockerfiles: a diff by default, in place with --write, stdout for `-`."""
    from .commands import run_fix

    return run_fix(paths, options)


@command(app, "check")
def check(options: RunOptions, paths: list[str] = PATHS) -> int:
    """Report findings as `file:line:col: pass-id message`; exit 1 when there are any."""
    from .commands import run_check

    return run_check(paths, options)


@app.command()
def rules(
    output_format: str = typer.Option("text", "--format", "--output-format", callback=_measure_format,
                                      help="text (one line per pass) or json."),
) -> None:
    """List the passes with their fix safety, the hadolint rules they fix and a one-line summary."""
    from .passes import REGISTRY

    if output_format == "json":
        import json

        typer.echo(json.dumps([{"id": p.id, "safety": p.safety.value, "hadolint": list(p.hadolint),
                                "summary": p.summary} for p in REGISTRY], indent=2))
        return
    width = max(len(p.id) for p in REGISTRY)
    for p in REGISTRY:
        codes = f"  ({', '.join(p.hadolint)})" if p.hadolint else ""
        typer.echo(f"{p.id:<{width}}  {p.safety.value:<7}  {p.summary}{codes}")


@app.command()
def explain(pass_id: str = typer.Argument(..., help="A pass id, as `dockslim rules` lists, or a hadolint "
                                         "code (DL3059): the passes that fix it.")) -> None:
    """Print a pass's documentation: what it does, why, an example, its fix safety."""
    from .engine import expand_ids
    from .passes import by_id
    from .term import error

    try:
        ids = expand_ids([pass_id])
    except ValueError as exc:
        error(str(exc))  # with a "did you mean"
        raise typer.Exit(int(ExitCode.ERROR)) from None
    for k, pid in enumerate(ids):
        cls = by_id()[pid]
        typer.echo(("\n" if k else "") + f"# {cls.id} ({cls.safety.value})\n\n{cls.documentation()}")


@command(app, "measure")
def measure(
    options: RunOptions,
    path: str = typer.Argument(..., help="The Dockerfile to build before and after `dockslim fix`."),
    change: str | None = typer.Option(None, "--change",
                                         help="The context file (relative path) to edit before the rebuild. "
                                         "Default: a source file that is not a dependency manifest."),
) -> int:
    """Build the Dockerfile and its rewrite on the local Docker engine; report image size, layers, build
    time, rebuild time after a source-only change, and the files the rewritten image lacks. Exit 0 when
    the rewrite built and lost nothing, 1 when it failed or lost files, 2 on errors (no engine...)."""
    from .measure import run_measure

    return run_measure(path, options, change=change)


@command(github_app, "review")
def github_review(
    options: RunOptions,
    repo: str | None = typer.Option(None, "--repo", help="owner/name (default: $GITHUB_REPOSITORY)."),
    pr: int | None = typer.Option(None, "--pr", help="Pull request number (default: from the Actions event)."),
    base: str | None = typer.Option(None, "--base", help="Take the PR's diff from `git diff BASE...HEAD` "
                                       "instead of the API (works on a laptop)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the review as JSON instead of posting it."),
    api_url: str | None = typer.Option(None, "--api-url", help="REST API root (default: $GITHUB_API_URL "
                                          "or https://api.github.com)."),
    root: str = typer.Option(".", "--root", help="The repository checkout (the PR's head)."),
) -> int:
    """Fix the pull request's Dockerfiles and post ONE review: suggestions on the diff, the rest in
    the body. Token: $GITHUB_TOKEN (or $GH_TOKEN, as the gh CLI reads it). Re-runs post nothing when nothing changed."""
    from .github.flow import run_review

    return run_review(options, repo=repo, pr=pr, base=base, dry_run=dry_run, api_url=api_url, root=root)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    typer runs in standalone mode: it prints usage errors itself and exits with 2 (our ERROR), and
    every command ends with ``typer.Exit(code)``; the ``SystemExit`` is turned back into the code."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = args[:args.index("--")] if "--" in args else args
    if "--diff" in options and "--write" in options:  # click would let the last one win, silently
        typer.echo("Error: --diff and --write: choose one (--diff shows the changes, --write makes them)",
                   err=True)
        return int(ExitCode.ERROR)

    def parse_and_run() -> int:
        try:
            app(args=args, prog_name="dockslim", standalone_mode=True)
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                return int(exc.code or 0)
            typer.echo(str(exc.code), err=True)
            return int(ExitCode.ERROR)
        return int(ExitCode.OK)

    return guarded(parse_and_run)
