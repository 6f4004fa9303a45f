"""One model per package-manager family, asked by every pass.

Which tool is this command, which of its words are options, subcommand and operands, which
packages does it install or remove, which cache does it fill, in which folders, what empties that
cache, and which hadolint rules are about it: each question has its answer here, as data with the
page it comes from (``tests/managers/test_managers.py`` checks every entry has one).

    >>> inv = recognize(cmd)            # python3 -m pip install --user x
    >>> inv.family is PIP, inv.subcommand, [w.value for w in inv.packages()]
    (True, 'install', ['x'])

A later ``build-deps`` pass (purge compilers and -dev packages in the RUN that installed them)
asks :func:`package_installs` (which packages a script installs, with which manager, under which
``apk --virtual`` name), :func:`package_removals` (what it purges already) and
:meth:`Family.is_build_package` (a compiler or headers package).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .._records import dataclass
from ..syntax.shell import Command, Script, Word
from .apk import APK
from .apt import APT, APTITUDE
from .model import Cache, Family, Invocation
from .node import NPM, PNPM, YARN
from .other import CARGO, COMPOSER, CONDA, GO
from .python import PIP, PIPENV, POETRY, UV
from .rpm import DNF
from .ruby import BUNDLER, GEM
from .zypper import ZYPPER

FAMILIES: tuple[Family, ...] = (APT, APTITUDE, APK, DNF, ZYPPER, PIP, UV, POETRY, PIPENV, NPM, YARN,
                                PNPM, GEM, BUNDLER, GO, CARGO, COMPOSER, CONDA)
SYSTEM: tuple[Family, ...] = (APT, APTITUDE, APK, DNF, ZYPPER)  # install into the operating system

_BY_COMMAND: dict[str, Family] = {name: f for f in FAMILIES for name in f.commands}
_PATTERNED = tuple(f for f in FAMILIES if f.name_pattern is not None or f.python_module is not None)


def recognize(cmd: Command, families: Iterable[Family] | None = None) -> Invocation | None:
    """``cmd`` read by the family whose tool it runs (among ``families``), or None."""
    if families is not None:
        for family in families:
            inv = family.recognize(cmd)
            if inv is not None:
                return inv
        return None
    named = _BY_COMMAND.get(cmd.basename or "")
    if named is not None:
        return named.recognize(cmd)
    for family in _PATTERNED:
        inv = family.recognize(cmd)
        if inv is not None:
            return inv
    return None


def invocations(script: Script, family: Family) -> Iterator[Invocation]:
    """The commands of ``script`` that run a tool of ``family``, in order."""
    if family.name_pattern is None and family.python_module is None:
        commands: Iterable[Command] = script.commands_named(*family.commands)
    else:
        commands = script.commands
    for cmd in commands:
        inv = family.recognize(cmd)
        if inv is not None:
            yield inv


def cleans(cmd: Command, cache: Cache) -> bool:
    """``cmd`` is one of the commands that empty ``cache`` (``dnf clean all``, ``npm cache clean``).

    A ``cleaned_by`` entry is ``tool word... -flag...``: the tool, the leading operands, and
    flags that must be given (``go clean -modcache``).
    """
    for spec in cache.cleaned_by:
        tool, *rest = spec.split()
        if cmd.basename != tool:
            continue
        family = _BY_COMMAND.get(tool)
        takes = family.takes_value if family is not None else frozenset()
        words = [w for w in rest if not w.startswith("-")]
        flags = [w for w in rest if w.startswith("-")]
        values = [w.value for w in cmd.positional(takes_value=takes)][: len(words)]
        if values == words and all(cmd.has_flag(f) for f in flags):
            return True
    return False


@dataclass(frozen=True)
class PackageInstall:
    """Packages one command installs into the system, for a build-deps cleanup.

    ``virtual`` is the name ``apk add --virtual NAME`` registers them under (``apk del NAME``
    removes them all); ``build`` are the packages :meth:`Family.is_build_package` calls compilers,
    build tools or headers.
    """

    invocation: Invocation
    packages: tuple[Word, ...]
    virtual: str | None
    build: tuple[str, ...]


def package_installs(script: Script, families: Iterable[Family] = SYSTEM) -> list[PackageInstall]:
    """Every system-package install of ``script``: which packages, with which manager."""
    out: list[PackageInstall] = []
    wanted = tuple(families)
    for cmd in script.commands:
        inv = recognize(cmd, wanted)
        if inv is None or not inv.installs:
            continue
        packages = inv.packages()
        virtual = None
        if inv.family is APK:
            named = [v for f in ("--virtual", "-t") for v in inv.flag_values(f)]
            virtual = named[0] if named else None
        build = tuple(w.value for w in packages if w.value is not None and inv.family.is_build_package(w.value))
        out.append(PackageInstall(inv, packages, virtual, build))
    return out


def package_removals(script: Script, families: Iterable[Family] = SYSTEM) -> list[Invocation]:
    """Every system-package removal of ``script`` (``apt-get purge``, ``apk del .build-deps``):
    ``inv.packages()`` are the names (an apk virtual name among them)."""
    wanted = tuple(families)
    out = []
    for cmd in script.commands:
        inv = recognize(cmd, wanted)
        if inv is not None and inv.subcommand in inv.family.remove:
            out.append(inv)
    return out


def family_named(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise KeyError(name)


__all__ = ["APK", "APT", "APTITUDE", "BUNDLER", "CARGO", "COMPOSER", "CONDA", "DNF", "FAMILIES", "GEM",
           "GO", "NPM", "PIP", "PIPENV", "PNPM", "POETRY", "SYSTEM", "UV", "YARN", "ZYPPER", "Cache",
           "Family", "Invocation", "PackageInstall", "cleans", "family_named", "invocations",
           "package_installs", "package_removals", "recognize"]
