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
from .options import RunOptions, split_ids
from .output import FORMATS  # a constant; the renderers load on demand

app = typer.Typer(
    name="dockslim",
    help="Rewrite Dockerfiles into smaller images with fewer layers that rebuild faster, "
    "without breaking the build.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
github_app = typer.Typer(name="github", help="GitHub integration: pull-request reviews.",
                         no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(github_app, name="github")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
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
    Flag("diff", bool, typer.Option(True, "--diff/--write",
                                    help="Show a unified diff (default) or rewrite files in place."), ("fix",)),
    Flag("select", list[str] | None, typer.Option(None, "--select", help="Only these pass ids (comma-separated)."),
         ALL, split_ids),
    Flag("ignore", list[str] | None, typer.Option(None, "--ignore", help="Skip these pass ids (comma-separated)."),
         ALL, split_ids),
    Flag("unsafe_fixes", bool | None, typer.Option(
        None, "--unsafe-fixes/--no-unsafe-fixes",
        help="Also apply fixes that may change the result (default: from configuration, else off)."), ALL),
    Flag("cache_style", str | None, typer.Option(
        None, "--cache-style", help="Keep package caches out of layers by deleting them (cleanup) or with "
        "BuildKit cache mounts (mount). Default: from configuration, else cleanup."), ALL),
    Flag("context", str | None, typer.Option(
        None, "--context", help="The build context folder (default: the Dockerfile's folder)."), FILES),
    Flag("output_format", str, typer.Option(
        "text", "--format", callback=_format,
        help="Output format: text, json, sarif, github (workflow annotations) or rdjson (reviewdog)."),
         ("fix", "check")),
    Flag("output_format", str, typer.Option("text", "--format", callback=_measure_format,
                                            help="Output format: text (a table) or json."), ("measure",)),
    Flag("config", str | None, typer.Option(
        None, "--config", help="Use this configuration file instead of searching for one."), ALL),
    Flag("isolated", bool, typer.Option(False, "--isolated", help="Ignore configuration files."), ALL),
    Flag("quiet", bool, typer.Option(False, "--quiet", "-q", help="Print only diffs, rewritten text or errors."),
         ("fix", "check")),
    Flag("allow_unmapped", bool, typer.Option(
        False, "--allow-unmapped", help="alpine-base: keep Debian package names that have no known Alpine name."),
         ALL),
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
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
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
def rules() -> None:
    """List the passes with their fix safety and a one-line summary."""
    from .passes import REGISTRY

    width = max(len(p.id) for p in REGISTRY)
    for p in REGISTRY:
        typer.echo(f"{p.id:<{width}}  {p.safety.value:<7}  {p.summary}")


@app.command()
def explain(pass_id: str = typer.Argument(..., help="A pass id, as `dockslim rules` lists.")) -> None:
    """Print a pass's documentation: what it does, why, an example, its fix safety."""
    from .passes import by_id
    from .term import error

    cls = by_id().get(pass_id)
    if cls is None:
        from .engine import resolve_passes

        try:
            resolve_passes([pass_id])  # the message, with a "did you mean"
        except ValueError as exc:
            error(str(exc))
        raise typer.Exit(int(ExitCode.ERROR))
    typer.echo(f"# {cls.id} ({cls.safety.value})\n\n{cls.documentation()}")


@command(app, "measure")
def measure(
    options: RunOptions,
    path: str = typer.Argument(..., help="The Dockerfile to build before and after `dockslim fix`."),
    network: str | None = typer.Option(None, "--network",
                                          help="Network for RUN instructions, as `docker build --network` "
                                          "(e.g. host). Default: the engine's."),
    change: str | None = typer.Option(None, "--change",
                                         help="The context file (relative path) to edit before the rebuild. "
                                         "Default: a source file that is not a dependency manifest."),
) -> int:
    """Build the Dockerfile and its rewrite on the local Docker engine; report image size, layers, build
    time, rebuild time after a source-only change, and the files the rewritten image lacks. Exit 0 when
    the rewrite built and lost nothing, 1 when it failed or lost files, 2 on errors (no engine...)."""
    from .measure import run_measure

    return run_measure(path, options, network=network, change=change)


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
    the body. Token: $GITHUB_TOKEN. Re-runs post nothing when nothing changed."""
    from .github.flow import run_review

    return run_review(options, repo=repo, pr=pr, base=base, dry_run=dry_run, api_url=api_url, root=root)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    typer runs in standalone mode: it prints usage errors itself and exits with 2 (our ERROR), and
    every command ends with ``typer.Exit(code)``; the ``SystemExit`` is turned back into the code."""
    args = list(sys.argv[1:] if argv is None else argv)

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
