"""The records every package-manager family is described with, and how a command is read by one.

A :class:`Family` is data: the command names it answers to, the options that take a value, its
subcommands and install/remove verbs, the caches it fills (one :class:`Cache` per cache folder,
with the command that empties it) and the hadolint rules about it, each with the page it comes from.
:meth:`Family.recognize` turns a parsed shell :class:`~dockslim.syntax.shell.Command` into an
:class:`Invocation`: the same command as the tool itself reads its arguments (``python3 -m pip
install x`` is ``pip`` with ``install x``), so that every pass asks the same questions the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .._records import dataclass, replace
from ..syntax.shell import Command, Word


@dataclass(frozen=True)
class Cache:
    """One cache folder set and what empties it.

    ``folders`` start with ``~`` when they live in the home of the user the command runs as.
    ``cleanup`` is the command that empties it (None: only ``rm -rf`` of its folders; ``{dir}`` is
    the cache folder where it depends on a variable); ``cleaned_by`` lists the commands that count
    as that cleanup when already there, as ``tool operand... -flag...`` (see :func:`cleans`).
    """

    key: str  # what the cache is called in messages (the tool, usually)
    what: str  # what the cache is, for messages
    weight: str  # a typical size, for messages
    folders: tuple[str, ...]
    source: str  # where the folders and the cleanup come from
    cleanup: str | None = None
    cleaned_by: tuple[str, ...] = ()
    env_off: tuple[str, ...] = ()  # environment variables that turn the cache off
    mount: tuple[str, ...] = ()  # BuildKit cache-mount targets (``--cache-style mount``)


@dataclass(frozen=True)
class Family:
    """One package-manager family: its tools and what their words mean."""

    name: str
    commands: frozenset[str]  # command basenames (``apt-get``, ``apt``)
    source: str  # the manual the names, options and verbs come from
    takes_value: frozenset[str] = frozenset()  # options that swallow the next word
    subcommands: frozenset[str] = frozenset()  # verbs we know (for refusing the others)
    install: frozenset[str] = frozenset()  # verbs that install packages named as operands
    remove: frozenset[str] = frozenset()  # verbs that remove packages named as operands
    fills_cache: frozenset[str] = frozenset()  # verbs that write the family's cache
    caches: tuple[Cache, ...] = ()  # per tool or per folder; see :meth:`cache_of`
    hadolint: tuple[str, ...] = ()  # hadolint rules about this family (https://github.com/hadolint/hadolint#rules)
    hadolint_source: str = "https://github.com/hadolint/hadolint#rules"
    name_pattern: re.Pattern[str] | None = None  # basenames beyond ``commands`` (``pip3.11``)
    python_module: str | None = None  # ``python -m <module>`` runs the tool
    root_options: tuple[str, ...] = ()  # options that install into another root folder
    build_packages: frozenset[str] = frozenset()  # compilers and build tools, by package name
    dev_suffixes: tuple[str, ...] = ()  # package-name endings of headers/-dev packages

    def answers_to(self, basename: str | None) -> bool:
        if basename is None:
            return False
        return basename in self.commands or (self.name_pattern is not None
                                             and self.name_pattern.match(basename) is not None)

    def recognize(self, cmd: Command) -> Invocation | None:
        """``cmd`` as this family's tool reads it, or None when it is not one of its tools."""
        name = cmd.basename
        if self.answers_to(name):
            assert name is not None
            return Invocation(self, cmd, name, 1)
        if self.python_module is not None and name is not None and _PYTHON.match(name) \
                and len(cmd.argv) > 2 and cmd.argv[1].value == "-m" and cmd.argv[2].value == self.python_module:
            return Invocation(self, cmd, self.python_module, 3)
        return None

    def cache_of(self, tool: str) -> Cache | None:
        """The cache ``tool`` fills: the one keyed by the tool, else the family's only one."""
        for cache in self.caches:
            if cache.key == tool:
                return cache
        return self.caches[0] if len(self.caches) == 1 else None

    def is_build_package(self, package: str) -> bool:
        """A compiler, build tool or headers package: what a build-deps cleanup may purge."""
        return package in self.build_packages or package.endswith(self.dev_suffixes)


_PYTHON = re.compile(r"python(\d(\.\d+)?)?\Z")


@dataclass(frozen=True)
class Invocation:
    """One command of a family, read the way its tool reads it.

    ``start`` is the index in ``cmd.argv`` of the tool's first argument (1, or 3 after
    ``python -m pip``). Flags and positional words are those of ``cmd.argv[start:]``, with the
    semantics of :meth:`Command.has_flag` and :meth:`Command.positional`.
    """

    family: Family
    cmd: Command
    tool: str  # the name the tool answers to (``pip3``, ``microdnf``; ``pip`` for ``python -m pip``)
    start: int

    @property
    def _own(self) -> Command:
        """The command with the words before the tool's arguments cut off (``python -m``)."""
        if self.start == 1:
            return self.cmd
        return replace(self.cmd, argv=self.cmd.argv[self.start - 1:])

    def positional(self, extra_takes_value: frozenset[str] = frozenset()) -> tuple[Word, ...]:
        """The tool's operands: subcommand first, option values skipped."""
        return self._own.positional(takes_value=self.family.takes_value | extra_takes_value)

    @property
    def subcommand_word(self) -> Word | None:
        words = self.positional()
        return words[0] if words else None

    @property
    def subcommand(self) -> str | None:
        word = self.subcommand_word
        return word.value if word is not None else None

    def has_flag(self, *flags: str) -> bool:
        return self._own.has_flag(*flags)

    def flag_values(self, flag: str) -> tuple[str | None, ...]:
        return self._own.flag_values(flag)

    def words(self) -> tuple[Word, ...]:
        """The tool's arguments as written (``cmd.argv[start:]``)."""
        return self.cmd.argv[self.start:]

    def args(self) -> list[str | None]:
        return [w.value for w in self.words()]

    @property
    def installs(self) -> bool:
        return self.subcommand in self.family.install

    @property
    def fills_cache(self) -> bool:
        return self.subcommand in self.family.fills_cache

    def packages(self) -> tuple[Word, ...]:
        """The operands after an install or remove verb (package names, files or URLs)."""
        sub = self.subcommand
        if sub not in self.family.install and sub not in self.family.remove:
            return ()
        return self.positional()[1:]

    def cache(self) -> Cache | None:
        return self.family.cache_of(self.tool)

    def is_cmd(self, *subs: str) -> bool:
        """The first literal non-option words are ``subs`` (``npm cache clean``)."""
        values = [w.value for w in self.words() if w.value is not None and not w.value.startswith("-")]
        return values[: len(subs)] == list(subs)


Recognizer = Callable[[Command], "Invocation | None"]
