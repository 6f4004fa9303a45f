"""apt-get/apt command lines read for the `alpine-base` pass: the options it can translate, the package
list of an install or purge, how installs and purges pair up into apk virtual packages, and the apk text."""

from __future__ import annotations

import re

from .._records import dataclass, field
from ..managers import APT
from ..syntax import Dockerfile, Instruction
from ..syntax.shell import Command, Script, Word
from .alpine_data import Refusal

_APT = APT.commands
_APT_RELEASE_OPTIONS = ("-t", "--target-release", "--default-release")
_INSTALL_SHORT = frozenset("yqfm")
_INSTALL_LONG = frozenset({
    "--yes", "--assume-yes", "--quiet", "--no-install-recommends", "--no-install-suggests",
    "--force-yes", "--allow-unauthenticated", "--fix-missing", "--fix-broken", "--allow-downgrades",
    "--allow-change-held-packages", "--allow-remove-essential", "--reinstall", "--update",
    "--no-upgrade", "--option",
})
_PURGE_LONG = frozenset({"--yes", "--assume-yes", "--quiet", "--purge", "--auto-remove", "--autoremove",
                         "--option", "--allow-remove-essential", "--allow-change-held-packages"})
_APT_PATHS = ("/var/lib/apt", "/var/cache/apt", "/var/log/apt", "/var/cache/debconf", "/var/log/dpkg.log",
              "/var/log/alternatives.log", "/var/cache/ldconfig")
_DEBIAN_PATHS = ("/etc/apt", "/var/lib/dpkg", "-linux-gnu", "/etc/dpkg", "/usr/share/debconf")
_LOCALE_FILES = ("/etc/locale.gen", "/etc/default/locale")


@dataclass
class _Install:
    run: int  # index of the RUN in the stage plan
    cmd: Command
    packages: list[str]
    order: tuple[int, int]
    by_purge: dict[int, list[str]] = field(default_factory=dict)  # purge id -> packages it removes


@dataclass
class _Purge:
    run: int
    cmd: Command
    packages: list[str]
    order: tuple[int, int]
    line: int
    virtuals: list[str] = field(default_factory=list)


def _check_flags(c: Command, line: int, long_ok: frozenset[str], short_ok: str | frozenset[str]) -> None:
    words = c.argv[1:]
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        v = w.value
        if v is None:
            if w.text.startswith("-"):
                raise Refusal(f"line {line}: `{w.text}` is not a literal option")
            continue
        if v in APT.takes_value:  # apt's options with a value: only configuration is dropped
            if v in _APT_RELEASE_OPTIONS:
                raise Refusal(f"line {line}: `{v}` selects a Debian release")
            if v not in ("-o", "-c", "--option"):
                raise Refusal(f"line {line}: apt option `{v}` is not translated")
            skip = True
            continue
        if v.startswith("-o") and len(v) > 2:
            continue
        if v.startswith("--"):
            if v.split("=", 1)[0] not in long_ok:
                raise Refusal(f"line {line}: apt option `{v}` is not translated")
        elif v.startswith("-") and len(v) > 1 and any(ch not in short_ok for ch in v[1:]):
            raise Refusal(f"line {line}: apt option `{v}` is not translated")


def _packages(c: Command, line: int, long_ok: frozenset[str], short_ok: str | frozenset[str]) -> list[str]:
    _check_flags(c, line, long_ok, short_ok)
    out: list[str] = []
    seen: set[str] = set()  # a package list can be thousands of names long
    for w in c.positional(takes_value=APT.takes_value)[1:]:
        v = w.value
        if v is None and w.text in ("$PHPIZE_DEPS", "${PHPIZE_DEPS}", '"$PHPIZE_DEPS"'):
            v = "$PHPIZE_DEPS"  # the php images define it in both variants (Alpine names on Alpine)
        elif v is None:
            raise Refusal(f"line {line}: the package list uses `{w.text}`, whose value is only known at build time")
        if v == "$PHPIZE_DEPS":
            out.append(v)
            continue
        if w.glob or "=" in v or ":" in v or "/" in v or v.endswith(("-", ".deb")):
            raise Refusal(f"line {line}: `{v}` is version-pinned, architecture-qualified or a file; "
                          "apk cannot install it under that name")
        if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]*", v):
            raise Refusal(f"line {line}: `{v}` is not a Debian package name")
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _assign_purges(installs: list[_Install], purges: list[_Purge]) -> None:
    taken: set[tuple[int, str]] = set()
    installed_by: dict[str, list[int]] = {}  # package -> the installs naming it, in order
    for k, inst in enumerate(installs):
        for name in inst.packages:
            installed_by.setdefault(name, []).append(k)
    for pid, purge in enumerate(purges):
        for name in purge.packages:
            source = None
            for k in reversed(installed_by.get(name, ())):
                if installs[k].order < purge.order and (k, name) not in taken:
                    source = k
                    break
            if source is None:
                raise Refusal(f"line {purge.line}: `{name}` is purged but was not installed "
                              "by this stage (apk cannot remove what the base image brings)")
            taken.add((source, name))
            installs[source].by_purge.setdefault(pid, []).append(name)


def _alpine_names(names: list[str], pk: dict) -> list[str]:
    out: list[str] = []
    for n in names:
        entry = pk.get(n)
        for a in (entry.alpine if entry is not None else (n,)):
            if a not in out:
                out.append(a)
    return out


def _virtual_name(installs: list[_Install], inst: _Install, purge_id: int) -> str:
    pairs = [(i, p) for i, x in enumerate(installs) for p in x.by_purge]
    me = (installs.index(inst), purge_id)
    if len(pairs) == 1:
        return ".build-deps"
    return f".build-deps-{pairs.index(me) + 1}"


def _apk_add(names: list[str], virtual: str | None, cmd: Command, ins: Instruction, df: Dockerfile) -> str:
    head = "apk add --no-cache" + (f" --virtual {virtual}" if virtual else "")
    span_s, span_e = ins.source_map.to_file_span(ins.args_start + cmd.start, ins.args_start + cmd.end)
    original = df.source[span_s:span_e]
    if "\n" not in original or len(names) < 2:
        return head + " " + " ".join(names)
    # Keep the original's one-package-per-line shape, with its indentation.
    lines = original.splitlines()
    indent = "    "
    for ln in lines[1:]:
        stripped = ln.lstrip(" \t")
        if stripped and not stripped.startswith("#"):
            indent = ln[: len(ln) - len(stripped)]
            break
    sep = f" {df.escape}{df.newline}{indent}"
    return head + sep + sep.join(names)


def _top_indexes(script: Script) -> dict[int, int]:
    """Command start -> index of the top-level statement made of that command alone.

    Built once per script: a merged RUN has thousands of statements, asked about each command."""
    out: dict[int, int] = {}
    for i, st in enumerate(script.statements):
        if st.kind == "command" and len(st.commands) == 1:
            out.setdefault(st.commands[0].start, i)
    return out


def _top_index(tops: dict[int, int], c: Command) -> int | None:
    """The top-level statement that is `c` alone (``tops`` from `_top_indexes`), if any."""
    return None if c.context else tops.get(c.start)


def _first_statement_is(script: Script, c: Command) -> bool:
    for st in script.statements:
        first = st.commands[0] if st.commands else None
        if st.kind == "command" and first is not None and (
                first.basename == "set" or first.basename in _APT and first.subcommand(
                    takes_value=APT.takes_value) == "update"):
            continue
        return len(st.commands) == 1 and st.commands[0].start == c.start and not c.context
    return False


def _apt_env(w: Word) -> bool:
    name = (w.value or w.text).split("=", 1)[0]
    return name in ("DEBIAN_FRONTEND", "DEBCONF_NOWARNINGS", "APT_LISTCHANGES_FRONTEND", "DEBCONF_NONINTERACTIVE_SEEN")
