"""Paths and commands that differ between a Debian stage and its Alpine translation.

Data: ``src/dockslim/data/alpine_paths.toml`` (each entry with where its paths come from). Nothing here
edits by guess: a known path is rewritten (``/usr/bin/tini`` -> ``/sbin/tini``), a command Alpine does
not have under that name refuses the stage with the reason, the rest become warnings.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Any, cast

from .._records import dataclass
from ..syntax import Dockerfile, Instruction, Stage
from .base import Edit

# Locales musl knows without a locale database: the C locale and its UTF-8 form.
_C_LOCALES = frozenset({"C", "C.UTF-8", "C.utf8", "POSIX", ""})
_LOCALE_VARS = ("LANG", "LC_ALL", "LANGUAGE")


@dataclass(frozen=True)
class PathRule:
    debian: str
    alpine: str
    package: str  # the Debian package that installs `debian`
    extra: str  # an Alpine package needed besides the mapped one ("" if none)
    source: str


@dataclass(frozen=True)
class CommandRule:
    name: str  # a command name or an fnmatch pattern
    reason: str
    source: str


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[PathRule, ...], tuple[CommandRule, ...]]:
    from .alpine_tables import TABLES

    raw = cast(dict[str, Any], TABLES["alpine_paths.toml"])
    paths = tuple(PathRule(p["debian"], p["alpine"], p["package"], p.get("extra", ""), p["source"])
                  for p in raw["path"])
    commands = tuple(CommandRule(c["name"], c["reason"], c["source"]) for c in raw["command"])
    return paths, commands


def path_rules() -> tuple[PathRule, ...]:
    return _tables()[0]


def command_rules() -> tuple[CommandRule, ...]:
    return _tables()[1]


def missing_command(word: str) -> str | None:
    """Why the Alpine package has no command ``word`` (a name or a path), or None."""
    name = word.rsplit("/", 1)[-1]
    for rule in command_rules():
        if fnmatch.fnmatchcase(name, rule.name):
            return f"`{name}`: {rule.reason}"
    return None


def path_edits(df: Dockerfile, stage: Stage, installed: set[str]) -> tuple[list[Edit], list[str], list[str]]:
    """Edits for the paths of packages this stage installs with apt; (edits, extra packages, warnings)."""
    edits: list[Edit] = []
    extras: list[str] = []
    warnings: list[str] = []
    for rule in path_rules():
        if rule.package not in installed:
            continue
        token = re.compile(r"(?<![\w/.-])" + re.escape(rule.debian) + r"(?![\w/.-])")
        hits = 0
        for ins in stage.instructions:
            if ins.cmd not in ("ENTRYPOINT", "CMD", "RUN") or ins.heredocs:
                continue
            for m in token.finditer(ins.args):
                s, e = ins.source_map.to_file_span(ins.args_start + m.start(), ins.args_start + m.end())
                if df.source[s:e] != rule.debian:  # split by a line continuation: leave it
                    continue
                edits.append(Edit(s, e, rule.alpine))
                hits += 1
        if hits:
            warnings.append(f"{rule.debian} is {rule.alpine} on Alpine: rewritten ({rule.source.split(';')[-1].strip()})")
            if rule.extra and rule.extra not in extras:
                extras.append(rule.extra)
    return edits, extras, warnings


def locale_warnings(stage: Stage) -> list[str]:
    out: list[str] = []
    for ins in stage.instructions:
        if ins.cmd != "ENV":
            continue
        for key, value in _env_pairs(ins):
            if key in _LOCALE_VARS and value not in _C_LOCALES:
                out.append(f"ENV {key}={value} on line {ins.start_line}: musl has no locale database, so only "
                           "the character set (UTF-8) takes effect; messages, collation and formats stay C's "
                           "(musl-locales adds translated messages)")
    return out


def _env_pairs(ins: Instruction) -> tuple[tuple[str, str], ...]:
    try:
        return ins.pairs()
    except (ValueError, AttributeError):
        return ()
