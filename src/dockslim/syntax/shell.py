"""The shell inside a RUN instruction, parsed once and queried.

``parse_shell(body)`` turns the body of a RUN (continuations already removed,
exactly the string BuildKit hands to ``/bin/sh -c``) into a frozen model:

* ``Script.statements`` -- the top-level list, split on *every* list operator
  (``&&``, ``||``, ``;``, ``&``, newline) with the operator that follows each
  item recorded in ``Statement.separator``.  ``a && b || c; d`` is four
  statements with separators ``&&``, ``||``, ``;``, ``None``.  (So an and-or
  list is a run of statements joined by ``&&``/``||``; ``Script.and_or_lists()``
  regroups them.)
* ``Script.commands`` -- every simple command, nested ones included (inside
  ``$(...)``, ``if``, loops, functions, ...), in source order, each with its
  ``argv``, prefix ``assignments``, ``redirects`` and a ``context`` saying where
  it sits.
* ``Script.opaque`` -- True when we cannot vouch for the model (syntax errors,
  shell heredocs, ``eval``, ``alias``, ...).  Passes may still *query* an opaque
  script, but must never rewrite its body.

All offsets are indices into the ``str`` given to ``parse_shell`` (tree-sitter
reports UTF-8 byte offsets; they are converted), so ``text[w.start:w.end] ==
w.text`` always holds.

Queries follow hadolint's ``Shell.hs``: ``commands_named("apt-get")``,
``cmd.has_flag("-y", "--yes")``, ``cmd.subcommand()`` -- never regexes over the
text.  See docs/decisions/shell-parser.md for why tree-sitter-bash and what is
opaque.
"""


from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from .._records import dataclass, field

__all__ = [
    "CONTEXTS",
    "Command",
    "Script",
    "Statement",
    "Word",
    "parse_shell",
]

CONTEXTS = frozenset(
    {
        "subshell",  # inside ( ... ): state changes do not leak out
        "group",  # inside { ...; }
        "pipeline",  # one stage of a | b (each stage runs in a subshell)
        "condition",  # the test of if / elif / while / until
        "branch",  # a then / elif / else body or a case item: may not run
        "loop",  # body (or condition) of for / while / until: may run 0..n times
        "function",  # body of a function definition: runs only when called
        "substitution",  # inside $(...), `...`, <(...), >(...)
        "background",  # part of an and-or list ended by &
        "negated",  # under ! (its failure is success)
        "heredoc",  # stdin is a heredoc, or inside a heredoc body
    }
)

# Contexts whose commands cannot change the state of the shell that runs the
# statements after them.
_ISOLATED = frozenset({"subshell", "pipeline", "substitution", "background", "function"})

_SHORT_CLUSTER = re.compile(r"-[A-Za-z0-9]+\Z")

_STATE_CHANGING: dict[str, str] = {
    "cd": "cd changes the working directory",
    "pushd": "pushd changes the working directory",
    "popd": "popd changes the working directory",
    "export": "export sets environment variables for later commands",
    "unset": "unset removes variables or functions",
    "set": "set changes shell options (-e, -u, -x, ...) or positional parameters",
    "shopt": "shopt changes shell options",
    "umask": "umask changes the file-creation mask",
    "ulimit": "ulimit changes resource limits",
    "trap": "trap installs handlers that run later",
    "alias": "alias changes how later commands are parsed",
    "unalias": "unalias changes how later commands are parsed",
    "exec": "exec replaces the shell or redirects its file descriptors",
    "source": "source runs a file in the current shell",
    ".": ". runs a file in the current shell",
    "exit": "exit ends the script",
    "return": "return ends the script",
    "read": "read assigns variables",
    "declare": "declare sets variables or their attributes",
    "typeset": "typeset sets variables or their attributes",
    "local": "local sets variables",
    "readonly": "readonly makes variables read-only",
    "eval": "eval runs code in the current shell",
    "hash": "hash changes the command lookup cache",
    "shift": "shift changes the positional parameters",
    "getopts": "getopts assigns variables",
    "enable": "enable turns builtins on or off",
}
# POSIX special builtins: prefix assignments before them persist (dash honours this).
_SPECIAL_BUILTINS = frozenset(
    {
        ":",
        ".",
        "break",
        "continue",
        "eval",
        "exec",
        "exit",
        "export",
        "readonly",
        "return",
        "set",
        "shift",
        "times",
        "trap",
        "unset",
    }
)
BACKGROUND_REASON = "& runs it in the background, concurrently with what follows"

# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Word:
    """One shell word, as written.

    ``value`` is the word after quote removal when it is a pure literal, and
    ``None`` when it contains a parameter, command or arithmetic expansion (or
    anything else whose value is not fixed by the text: ``~``, ``$'..'``,
    brace expansion).  Globs stay literal in ``value`` (``*.txt``); ``glob``
    says whether an *unquoted* ``*``, ``?`` or ``[`` occurs.
    """

    text: str
    value: str | None
    start: int
    end: int
    glob: bool = False


@dataclass(frozen=True)
class Command:
    """One simple command: ``[assignments] argv... [redirects]``.

    ``argv`` is empty for a pure assignment (``A=1``).  ``declare``/``export``/
    ``local``/``readonly``/``unset`` and ``[ ... ]``/``[[ ... ]]`` are modelled as
    commands too (``argv[0]`` is ``export``, ``[`` ...).  ``start``/``end`` cover
    the command and its own redirects.
    """

    argv: tuple[Word, ...]
    assignments: tuple[Word, ...]
    redirects: tuple[str, ...]
    start: int
    end: int
    context: frozenset[str]
    # Destinations of its output redirections (``> f``, ``>> f``, ``&> f``, ``<> f``): files the
    # shell opens for writing before the command runs.
    outputs: tuple[Word, ...] = ()

    @property
    def name(self) -> str | None:
        """The literal command name as written (``/usr/bin/apt-get``), or None."""
        return self.argv[0].value if self.argv else None

    @cached_property  # asked millions of times over a corpus; the node is immutable
    def basename(self) -> str | None:
        """The last path component of ``name`` (``apt-get``), or None."""
        name = self.name
        if name is None:
            return None
        return name.rstrip("/").rsplit("/", 1)[-1] or name

    def args(self) -> tuple[str | None, ...]:
        """Values of ``argv[1:]`` (None where a word is not literal)."""
        return tuple(w.value for w in self.argv[1:])

    def has_flag(self, *flags: str) -> bool:
        """True if any of ``flags`` is given (before a ``--``).

        ``-y`` matches ``-y`` and short clusters such as ``-qy``; ``--yes`` must be
        asked for separately.  ``--no-cache-dir`` matches ``--no-cache-dir`` and
        ``--no-cache-dir=...``.  A multi-letter single-dash flag (``-name``)
        matches only exactly.  Only literal words count.
        """
        return any(_flag_matches(arg, flag) for arg in self._option_words() for flag in flags)

    def flag_values(self, flag: str) -> tuple[str | None, ...]:
        """Values given to an option: ``--target=/x`` or ``--target /x`` -> ``('/x',)``.

        The caller says ``flag`` takes a value; we cannot know that in general.
        """
        out: list[str | None] = []
        words = self.argv[1:]
        for i, word in enumerate(words):
            value = word.value
            if value == "--":
                break
            if value == flag:
                if i + 1 < len(words):
                    out.append(words[i + 1].value)
            elif value is not None and flag.startswith("--") and value.startswith(flag + "="):
                out.append(value[len(flag) + 1 :])
        return tuple(out)

    def positional(self, *, takes_value: Iterable[str] = ()) -> tuple[Word, ...]:
        """Arguments that are not flags (best effort).

        A word starting with ``-`` is a flag (``-`` alone is not); everything after
        ``--`` is positional.  Flags named in ``takes_value`` swallow the next
        word (``apt-get -o Foo=1 install`` with ``takes_value=("-o",)``).
        """
        takes = frozenset(takes_value)
        out: list[Word] = []
        skip_next = False
        options_done = False
        for word in self.argv[1:]:
            if skip_next:
                skip_next = False
                continue
            marker = word.value if word.value is not None else word.text
            if options_done or not marker.startswith("-") or marker == "-":
                out.append(word)
            elif marker == "--":
                options_done = True
            elif marker in takes:
                skip_next = True
        return tuple(out)

    def subcommand(self, *, takes_value: Iterable[str] = ()) -> str | None:
        """The first positional argument's value (``install`` for ``apt-get -y install``)."""
        positional = self.positional(takes_value=takes_value)
        return positional[0].value if positional else None

    def _option_words(self) -> Iterable[str]:
        for word in self.argv[1:]:
            if word.value == "--":
                return
            if word.value is not None:
                yield word.value


def _flag_matches(arg: str, flag: str) -> bool:
    if arg == flag:
        return True
    if flag.startswith("--"):
        return arg.startswith(flag + "=")
    if len(flag) == 2 and flag[0] == "-" and flag[1] != "-":
        return bool(_SHORT_CLUSTER.match(arg)) and flag[1] in arg[1:]
    return False


@dataclass(frozen=True)
class Statement:
    """One item of the top-level list, with the operator that follows it.

    ``kind`` is one of ``command``, ``pipeline``, ``subshell``, ``group``,
    ``compound`` (if/for/while/until/case/function definition/``(( ))``) or
    ``assignment``.  An and-or list is never one statement: ``a && b`` is two,
    the first with ``separator == "&&"``.  ``separator`` is ``&&``, ``||``,
    ``;``, ``&``, ``"\\n"``, or None after the last statement (a trailing ``;``
    or ``&`` is still recorded; trailing whitespace is not).
    """

    start: int
    end: int
    text: str
    commands: tuple[Command, ...]
    kind: str
    separator: str | None
    # How `set -e` treats it (POSIX 2.14 `set -e`; read in _errexit_exits/_errexit_transparent):
    # ``errexit_exits`` -- run with -e in force, any non-zero status it ends with has already made
    # the shell exit (a simple command, a pipeline, a subshell; `a || b` when b is such; a compound
    # command when each of its possible last lists is). ``errexit_transparent`` -- it holds no
    # command that -e reaches *inside* it (only simple commands, pipelines of them, substitutions of
    # one), so putting it before `&&`, where -e is ignored, changes nothing in it.
    errexit_exits: bool = False
    errexit_transparent: bool = False


@dataclass(frozen=True)
class Script:
    """A parsed RUN body.  Build it with ``parse_shell``."""

    text: str
    opaque: bool
    opaque_reason: str | None
    statements: tuple[Statement, ...]
    commands: tuple[Command, ...]
    ends_with_comment: bool
    comments: tuple[tuple[int, int], ...]
    functions: frozenset[str] = frozenset()  # names of the shell functions it defines
    loop_variables: frozenset[str] = frozenset()  # names `for NAME in ...` assigns
    # (top-level-ish) state changes found while walking that are not a command
    # name: function definitions, ${X:=...}, (( )), prefix assignments on
    # special builtins.  Read through ``state_changes()``.
    _extra_changes: tuple[tuple[Command | Statement, str], ...] = field(
        default=(), repr=False, compare=False
    )

    def commands_named(self, *names: str) -> tuple[Command, ...]:
        """Commands whose basename is in ``names``: ``apt-get`` matches ``/usr/bin/apt-get``."""
        if len(names) == 1:
            return self._by_basename.get(names[0], ())
        wanted = frozenset(names)
        return tuple(c for c in self.commands if c.basename in wanted)

    @cached_property
    def _by_basename(self) -> dict[str | None, tuple[Command, ...]]:
        """Commands grouped by basename, in order: one pass over the body, then lookups."""
        groups: dict[str | None, list[Command]] = {}
        for c in self.commands:
            groups.setdefault(c.basename, []).append(c)
        return {k: tuple(v) for k, v in groups.items()}

    @property
    def is_and_chain(self) -> bool:
        """True when the body is ``s1 && s2 && ... && sn`` (a trailing ``;`` allowed).

        Then the body fails exactly when one of its statements fails, so joining
        two such bodies with ``&&`` keeps failure behaviour.  Anything else
        (``a; b`` fails only if ``b`` fails; ``a || b``; ``a &``) must be grouped
        before it is joined.  Opaque and empty bodies are never and-chains.
        """
        if self.opaque or not self.statements:
            return False
        *init, last = self.statements
        return all(s.separator == "&&" for s in init) and last.separator in (None, ";")

    def and_or_lists(self) -> tuple[tuple[Statement, ...], ...]:
        """Statements regrouped into POSIX and-or lists (split on ``;``, ``&``, newline)."""
        groups: list[tuple[Statement, ...]] = []
        current: list[Statement] = []
        for statement in self.statements:
            current.append(statement)
            if statement.separator not in ("&&", "||"):
                groups.append(tuple(current))
                current = []
        if current:
            groups.append(tuple(current))
        return tuple(groups)

    @property
    def failure_exits_under_errexit(self) -> bool:
        """With `set -e` in force when the main shell reaches its last and-or list, a non-zero
        exit status of the body means the shell has already exited.

        True when that list is one statement or ends ``|| s`` (the last element of an AND-OR list
        keeps -e; every other one loses it), and that statement's own failures reach -e
        (:attr:`Statement.errexit_exits`). Then ``body; next`` runs ``next`` only when the body
        alone would have succeeded. ``set -e && a && b`` is not such a body: a failing ``a`` ends
        the list with -e ignored, and the shell goes on.
        """
        if self.opaque or not self.statements:
            return False
        last_list = self.and_or_lists()[-1]
        if len(last_list) > 1 and last_list[-2].separator != "||":
            return False
        return last_list[-1].errexit_exits

    @property
    def end_is_errexit_transparent(self) -> bool:
        """Appending ``&& next`` to the body changes nothing `set -e` does inside it.

        POSIX shells ignore -e in every element of an AND-OR list but the last, and in everything
        such an element runs: a compound command, a subshell, a pipeline stage that is one, a
        function it calls, a file it sources. So the body's last statement must hold none of
        those (:attr:`Statement.errexit_transparent`) and call no function the body defines.
        """
        if self.opaque or not self.statements:
            return False
        last = self.statements[-1]
        if not last.errexit_transparent:
            return False
        return not any(
            _effective_name(c) in self.functions or _effective_name(c) in (".", "source")
            for c in last.commands
        )

    @property
    def leads_with_assignment(self) -> bool:
        """The body starts with a bare assignment in the main shell (``v=1.2 && curl .../$v``),
        however tree-sitter groups what follows (a redirect at the end nests the whole list)."""
        first = min(self.commands, key=lambda c: c.start, default=None)
        return first is not None and not first.argv and bool(first.assignments) and not first.context

    @property
    def has_background_job(self) -> bool:
        """Something runs in the background (`&`), concurrently with what follows -- at any
        depth: ``(mysqld_safe &)``, ``{ server & }``, ``f() { x & }``, ``$(x &)`` -- and may still
        run when the body ends (a subshell does not wait for its jobs)."""
        return any(s.separator == "&" for s in self.statements) or any(
            "background" in c.context for c in self.commands
        )

    def state_changes(self) -> tuple[tuple[Command | Statement, str], ...]:
        """What changes shell state for the commands that follow, with a reason.

        Commands that run in the main shell (not in a subshell, pipeline stage,
        substitution, background job or function body) named ``cd``, ``export``,
        ``set``, ... ; plain assignments ``A=1``; prefix assignments before
        special builtins; ``${X:=...}``; ``(( ))``; function definitions and
        statements run in the background (``&``).  In source order.
        """
        background = BACKGROUND_REASON
        changes: list[tuple[Command | Statement, str]] = list(self._extra_changes)
        top_level_jobs: list[tuple[int, int]] = []
        for and_or in self.and_or_lists():
            if and_or[-1].separator == "&":
                changes.append((and_or[-1], background))
                top_level_jobs.append((and_or[0].start, and_or[-1].end))
        for command in self.commands:
            if command.context & _ISOLATED:
                nested_job = (
                    "background" in command.context
                    and not command.context & (_ISOLATED - {"background"})
                    and not any(start <= command.start < end for start, end in top_level_jobs)
                )
                if nested_job:  # e.g. `if x; then server & fi`
                    changes.append((command, background))
                continue
            name = _effective_name(command)
            if not command.argv:
                names = ", ".join((w.value or w.text).split("=", 1)[0] for w in command.assignments)
                changes.append((command, f"assignment sets shell variable {names}"))
            elif name in _STATE_CHANGING:
                changes.append((command, _STATE_CHANGING[name]))
        changes.sort(key=lambda item: (item[0].start, -item[0].end))
        return tuple(_dedupe(changes))


def _dedupe(items: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    seen: set[tuple[int, str]] = set()
    out = []
    for obj, reason in items:
        key = (id(obj), reason)
        if key not in seen:
            seen.add(key)
            out.append((obj, reason))
    return out


def _effective_name(command: Command) -> str | None:
    """The command actually run, looking through ``command``/``builtin`` wrappers."""
    words = list(command.argv)
    while words and words[0].value in ("command", "builtin"):
        words = words[1:]
        while words and words[0].value is not None and words[0].value.startswith("-"):
            words = words[1:]
    if not words or words[0].value is None:
        return None
    return words[0].value



def parse_shell(text: str) -> Script:
    """Parse a RUN body (as ``/bin/sh -c`` sees it) into a ``Script``.  Never raises.

    The tree-sitter reading lives in :mod:`.shell_builder` (and the node helpers in
    :mod:`.shell_tree`); this module is the model every pass queries.
    """
    from .shell_builder import build

    return build(text)
