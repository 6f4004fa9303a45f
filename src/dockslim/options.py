"""What the command line asked for: one record, from :mod:`dockslim.cli` to every command.

``dockslim fix``, ``check``, ``measure`` and ``github review`` receive their options as one
:class:`RunOptions` (plus the few arguments only that command has, such as ``measure --network``).
:mod:`dockslim.cli` declares each field's flag once, in its ``FLAGS`` table, and builds this record;
nothing else re-lists the options. Adding an option: a field here, a line in ``cli.FLAGS``, and
the code that reads it (``tests/test_cli.py`` checks that every field has a flag).

No typer here: the commands and the engine import this module, the CLI parser is cli.py's alone.
"""

from __future__ import annotations

from typing import Iterable

from ._records import dataclass


@dataclass(frozen=True)
class RunOptions:
    """One run's options as given on the command line; ``None`` (or empty) means "not given", so a
    configuration file can decide (:func:`dockslim.config.merge`: flags win)."""

    select: tuple[str, ...] = ()  # pass ids, split at commas
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    cache_style: str | None = None  # cleanup | mount
    allow_unmapped: bool = False  # alpine-base: keep Debian package names with no Alpine name
    config: str | None = None  # this configuration file instead of searching for one
    isolated: bool = False  # no configuration file at all
    context: str | None = None  # the build context folder (default: the Dockerfile's folder)
    output_format: str = "text"
    quiet: bool = False
    # fix: show a diff (True) or write the files (False); None: a diff, or the rewritten text for `-`
    diff: bool | None = None
    exclude: tuple[str, ...] | None = None  # folder-search excludes replacing the default list
    extend_exclude: tuple[str, ...] = ()  # excludes added to it
    stdin_filename: str | None = None  # the name standard input stands for (outputs, config, context)
    fail_on: str = "any"  # check: any | fixable | none (exit 1 on which findings)
    exit_zero: bool = False  # exit 0 even when there are findings or a diff (errors still exit 2)
    statistics: bool = False  # check: counts per pass instead of one line per finding
    show_notes: bool = False  # check: also print notes (why something was left alone)
    color: str = "auto"  # auto | always | never
    time_budget: float | None = None  # seconds per Dockerfile (0: no limit; None: configuration, else 60)
    # Real builds (`fix --verify`, `measure`): passed to `docker build`.
    build_args: tuple[str, ...] = ()  # NAME=VALUE
    network: str | None = None
    verify: bool = False  # fix: keep only the fixes whose rewrite builds and behaves (dockslim.verify)
    verify_cmd: str | None = None  # fix --verify: the smoke check for images without HEALTHCHECK


def split_ids(values: Iterable[str] | None) -> tuple[str, ...]:
    """Pass ids from repeated, comma-separated values: ``["a,b", "c"]`` -> ``("a", "b", "c")``.
    An empty value (``--select ""``) is an error, not "everything": ValueError."""
    out: list[str] = []
    for value in values or ():
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts:
            raise ValueError("an empty list of pass ids (to run every pass, leave the option out or say ALL)")
        out.extend(parts)
    return tuple(out)


def split_globs(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """Glob patterns from repeated, comma-separated values; None when the option was not given."""
    if values is None or not list(values):
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
