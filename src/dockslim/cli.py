"""The `dockslim` command line: flags -> options -> engine -> output. No rewriting logic here."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from . import __version__
from .commands import Planner, run_check, run_fix
from .entry import guarded
from .entry import main as entry_main
from .engine import FileReport, default_context, fix_file, resolve_passes
from .exitcodes import ExitCode
from .output import FORMATS
from .passes import REGISTRY, by_id

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


def _err(message: str) -> None:
    typer.echo(typer.style("error: ", fg="red", bold=True) + message, err=True)


def _format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
    return value


def _report_error(report: FileReport) -> None:
    assert report.error is not None
    typer.echo(str(report.error), err=True)


PathsArg = typer.Argument(..., help="Dockerfiles or folders to search; `-` reads standard input.")
SelectOpt = typer.Option(None, "--select", help="Only these pass ids (comma-separated).")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these pass ids (comma-separated).")
UnsafeOpt = typer.Option(None, "--unsafe-fixes/--no-unsafe-fixes",
                         help="Also apply fixes that may change the result (default: from configuration, else off).")
CacheStyleOpt = typer.Option(None, "--cache-style",
                             help="Keep package caches out of layers by deleting them (cleanup) or with "
                             "BuildKit cache mounts (mount). Default: from configuration, else cleanup.")
FormatOpt = typer.Option("text", "--format", callback=_format,
                         help="Output format: text, json, sarif, github (workflow annotations) or rdjson (reviewdog).")
ConfigOpt = typer.Option(None, "--config", help="Use this configuration file instead of searching for one.")
IsolatedOpt = typer.Option(False, "--isolated", help="Ignore configuration files.")
ContextOpt = typer.Option(None, "--context", help="The build context folder (default: the Dockerfile's folder).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="Print only diffs, rewritten text or errors.")
AllowUnmappedOpt = typer.Option(False, "--allow-unmapped",
                                help="alpine-base: keep Debian package names that have no known Alpine name.")


@app.command()
def fix(
    paths: List[str] = PathsArg,
    diff: bool = typer.Option(True, "--diff/--write", help="Show a unified diff (default) or rewrite files in place."),
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
    cache_style: Optional[str] = CacheStyleOpt,
    context: Optional[str] = ContextOpt,
    output_format: str = FormatOpt,
    config: Optional[str] = ConfigOpt,
    isolated: bool = IsolatedOpt,
    quiet: bool = QuietOpt,
    allow_unmapped: bool = AllowUnmappedOpt,
    verify: bool = typer.Option(False, "--verify",
                                help="Build the original and the rewrite on the local Docker engine, run a smoke "
                                "check in both, and keep only the fixes that build and behave alike (see "
                                "docs/how-to/verify.md)."),
    verify_cmd: Optional[str] = typer.Option(None, "--verify-cmd",
                                             help="With --verify: a shell command run in both images (when they "
                                             "have no HEALTHCHECK); exit code and stdout must match."),
    build_arg: Optional[List[str]] = typer.Option(None, "--build-arg", help="With --verify: passed to `docker build`."),
    network: Optional[str] = typer.Option(None, "--network", help="With --verify: `docker build --network` (e.g. host)."),
) -> None:
    """Rewrite Dockerfiles: a diff by default, in place with --write, stdout for `-`."""
    extra = {}  # only with --verify: the fast path (entry.py) takes every other fix command line
    if verify:
        from .verify import VerifyRequest

        extra["verify"] = VerifyRequest(verify_cmd, tuple(build_arg or ()), network)
    elif verify_cmd is not None or build_arg or network is not None:
        _err("--verify-cmd, --build-arg and --network go with --verify")
        raise typer.Exit(int(ExitCode.ERROR))
    raise typer.Exit(run_fix(paths, diff=diff, select=select, ignore=ignore, unsafe_fixes=unsafe_fixes,
                             cache_style=cache_style, context=context, output_format=output_format,
                             config=config, isolated=isolated, quiet=quiet, allow_unmapped=allow_unmapped,
                             **extra))


@app.command()
def check(
    paths: List[str] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
    cache_style: Optional[str] = CacheStyleOpt,
    context: Optional[str] = ContextOpt,
    output_format: str = FormatOpt,
    config: Optional[str] = ConfigOpt,
    isolated: bool = IsolatedOpt,
    quiet: bool = QuietOpt,
    allow_unmapped: bool = AllowUnmappedOpt,
) -> None:
    """Report findings as `file:line:col: pass-id message`; exit 1 when there are any."""
    raise typer.Exit(run_check(paths, select=select, ignore=ignore, unsafe_fixes=unsafe_fixes,
                               cache_style=cache_style, context=context, output_format=output_format,
                               config=config, isolated=isolated, quiet=quiet, allow_unmapped=allow_unmapped))


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


def _measure_format(value: str) -> str:
    if value not in ("text", "json"):
        raise typer.BadParameter(f"'{value}' is not one of text, json")
    return value


@app.command()
def measure(
    path: str = typer.Argument(..., help="The Dockerfile to build before and after `dockslim fix`."),
    context: Optional[str] = ContextOpt,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
    cache_style: Optional[str] = CacheStyleOpt,
    config: Optional[str] = ConfigOpt,
    isolated: bool = IsolatedOpt,
    output_format: str = typer.Option("text", "--format", callback=_measure_format,
                                      help="Output format: text (a table) or json."),
    network: Optional[str] = typer.Option(None, "--network",
                                          help="Network for RUN instructions, as `docker build --network` "
                                          "(e.g. host). Default: the engine's."),
    change: Optional[str] = typer.Option(None, "--change",
                                         help="The context file (relative path) to edit before the rebuild. "
                                         "Default: a source file that is not a dependency manifest."),
    build_arg: Optional[List[str]] = typer.Option(None, "--build-arg", help="Passed to `docker build`."),
) -> None:
    """Build the Dockerfile and its rewrite on the local Docker engine; report image size, layers, build
    time, rebuild time after a source-only change, and the files the rewritten image lacks. Exit 0 when
    the rewrite built and lost nothing, 1 when it failed or lost files, 2 on errors (no engine...)."""
    from .measure import Docker, MeasureError, render_text, to_json
    from .measure import measure as run_measure

    planner = Planner(select, ignore, unsafe_fixes, cache_style, config, isolated)
    passes, options = planner.plan(path)
    report = fix_file(path, passes, options, context)
    if report.error is not None:
        _report_error(report)
        raise typer.Exit(int(ExitCode.ERROR))
    result = report.result
    assert result is not None
    folder = default_context(path, context)
    if path == "-" or folder is None:
        _err("measure needs a Dockerfile on disk (its folder is the default build context)")
        raise typer.Exit(int(ExitCode.ERROR))
    docker = Docker(network, build_args=tuple(build_arg or ()))
    try:
        docker.check()
        outcome = run_measure(path, result.original, result.text,
                              list(dict.fromkeys(a.finding.pass_id for a in result.applied)),
                              result.creates, folder, docker, change)
    except MeasureError as exc:
        _err(str(exc))
        raise typer.Exit(int(ExitCode.ERROR))
    typer.echo(to_json([outcome]) if output_format == "json" else render_text(outcome), nl=False)
    raise typer.Exit(int(ExitCode.OK if outcome.succeeded else ExitCode.FOUND))


github_app = typer.Typer(name="github", help="GitHub integration: pull-request reviews.",
                         no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(github_app, name="github")


def _pr_from_event() -> Optional[int]:
    """The PR number from the Actions event payload (GITHUB_EVENT_PATH) or GITHUB_REF."""
    import json
    import os
    import re

    event = os.environ.get("GITHUB_EVENT_PATH")
    if event and os.path.isfile(event):
        try:
            with open(event, encoding="utf-8") as fh:
                data = json.load(fh)
            number = (data.get("pull_request") or {}).get("number") or data.get("number")
            if isinstance(number, int):
                return number
        except (OSError, ValueError):
            pass
    m = re.match(r"^refs/pull/(\d+)/", os.environ.get("GITHUB_REF", ""))
    return int(m.group(1)) if m else None


@github_app.command("review")
def github_review(
    repo: Optional[str] = typer.Option(None, "--repo", help="owner/name (default: $GITHUB_REPOSITORY)."),
    pr: Optional[int] = typer.Option(None, "--pr", help="Pull request number (default: from the Actions event)."),
    base: Optional[str] = typer.Option(None, "--base", help="Take the PR's diff from `git diff BASE...HEAD` "
                                       "instead of the API (works on a laptop)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the review as JSON instead of posting it."),
    api_url: Optional[str] = typer.Option(None, "--api-url", help="REST API root (default: $GITHUB_API_URL "
                                          "or https://api.github.com)."),
    root: str = typer.Option(".", "--root", help="The repository checkout (the PR's head)."),
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    unsafe_fixes: Optional[bool] = UnsafeOpt,
    cache_style: Optional[str] = CacheStyleOpt,
    config: Optional[str] = ConfigOpt,
    isolated: bool = IsolatedOpt,
) -> None:
    """Fix the pull request's Dockerfiles and post ONE review: suggestions on the diff, the rest in
    the body. Token: $GITHUB_TOKEN. Re-runs post nothing when nothing changed."""
    import json
    import os
    from pathlib import Path

    from .github.client import DEFAULT_API, GitHub, GitHubError
    from .github.flow import review_pull_request

    planner = Planner(select, ignore, unsafe_fixes, cache_style, config, isolated)
    repo = repo or os.environ.get("GITHUB_REPOSITORY") or None
    pr = pr if pr is not None else _pr_from_event()
    token = os.environ.get("GITHUB_TOKEN") or None
    needs_api = not dry_run or base is None
    if needs_api and not dry_run and not token:
        _err("GITHUB_TOKEN is not set: a token with `pull-requests: write` is needed to post a review "
             "(or use --dry-run)")
        raise typer.Exit(int(ExitCode.ERROR))
    if needs_api and (not repo or pr is None):
        _err("which pull request? give --repo owner/name and --pr N (in Actions they come from the event)")
        raise typer.Exit(int(ExitCode.ERROR))
    gh = GitHub(token, api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API) if needs_api else None
    try:
        outcome = review_pull_request(gh, repo, pr, root=Path(root), planner=planner.plan,
                                      base=base, dry_run=dry_run)
    except GitHubError as exc:
        _err(exc.message)
        raise typer.Exit(int(ExitCode.ERROR))
    for e in outcome.errors:
        typer.echo(e, err=True)
    if dry_run:
        typer.echo(json.dumps(outcome.payload, indent=2, ensure_ascii=False))
    typer.echo(f"dockslim: {outcome.message}", err=True)
    raise typer.Exit(int(ExitCode.ERROR if outcome.errors else ExitCode.OK))


def typer_main(argv: list[str]) -> int:
    """Run ``argv`` through typer and return the exit code (:func:`dockslim.entry.main` sends here
    every command line its fast path does not take).

    Typer's standalone mode reports usage errors itself (exit 2); every command ends with
    ``typer.Exit(code)`` from :func:`dockslim.exitcodes.decide`.
    """

    def run() -> int:
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
        return int(ExitCode.OK)

    return guarded(run)


def main(argv: Optional[list[str]] = None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv[1:]) and return the exit code: the fast path
    for plain `fix`/`check` command lines, typer for the rest (see :mod:`dockslim.entry`)."""
    return entry_main(argv)


def entrypoint() -> None:
    sys.exit(main())
