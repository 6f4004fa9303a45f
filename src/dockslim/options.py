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
    diff: bool = True  # fix: show a diff (True) or write the files (False)


def split_ids(values: Iterable[str] | None) -> tuple[str, ...]:
    """Pass ids from repeated, comma-separated values: ``["a,b", "c"]`` -> ``("a", "b", "c")``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)
