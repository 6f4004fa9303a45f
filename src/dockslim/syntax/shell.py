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
from typing import TYPE_CHECKING, Any

from .._records import dataclass, field

if TYPE_CHECKING:  # pragma: no cover - typing only; tree_sitter is imported lazily
    from tree_sitter import Node, Parser

__all__ = [
    "CONTEXTS",
    "Command",
    "Script",
    "Statement",
    "Word",
    "parse_shell",
]

#: Every value that may appear in ``Command.context``.
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

_WORD_TYPES = frozenset(
    {
        "word",
        "string",
        "raw_string",
        "concatenation",
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        "number",
        "ansi_c_string",
        "translated_string",
        "brace_expression",
        "test_operator",
        "regex",
        "extglob_pattern",
        "variable_name",
        "variable_assignment",
    }
)
_EXPANSION_TYPES = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        # Not expansions, but their value depends on which shell /bin/sh is
        # (dash has neither $'...' nor $"..." nor brace expansion).
        "ansi_c_string",
        "translated_string",
        "brace_expression",
    }
)
_COMMAND_TYPES = frozenset({"command", "declaration_command", "unset_command", "test_command"})
_SUBSTITUTION_TYPES = frozenset({"command_substitution", "process_substitution"})
_COMPOUND_TYPES = frozenset(
    {
        "if_statement",
        "for_statement",
        "c_style_for_statement",
        "while_statement",
        "case_statement",
        "function_definition",
    }
)
# Contexts whose commands cannot change the state of the shell that runs the
# statements after them.
_ISOLATED = frozenset({"subshell", "pipeline", "substitution", "background", "function"})

_MAX_DEPTH = 120  # nesting deeper than this is opaque (and keeps us off the recursion limit)

# ``{a,b}`` / ``{1..3}``: bash expands it, dash does not -> no single literal value.
_BRACE_EXPANSION = re.compile(r"\{[^{}\s]*(,|\.\.)[^{}\s]*\}")
_GLOB_CHARS = frozenset("*?[")
_WORD_SPECIAL = re.compile(r"[\\`$~{*?\[]")  # what _unquoted_word has to look at
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
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
_OPAQUE_COMMANDS: dict[str, str] = {
    "eval": "eval runs code that only exists at run time",
    "alias": "alias changes how later commands are parsed",
    # tree-sitter-bash reads `! { a; b; }` as the commands `! { a`, `b`, `}`: a reserved word
    # taken for a command name means the tree is not the shell's.
    "{": "a `{ }` group tree-sitter-bash misreads (e.g. after `!`)",
    "}": "a `{ }` group tree-sitter-bash misreads (e.g. after `!`)",
}


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


# --------------------------------------------------------------------------- parsing

_NON_ASCII_UTF8 = re.compile(rb"[\xc0-\xff][\x80-\xbf]*")


def _ascii_shadow(source: bytes) -> bytes:
    """``source`` with every non-ASCII character replaced by as many ``x`` as its UTF-8 bytes.

    tree-sitter-bash 0.25's scanner crashes the process (a segfault, seen with astral-plane
    characters after ``{``) on some non-ASCII input. The shell never treats a non-ASCII byte
    as a metacharacter -- it is part of a word, as ``x`` is -- so the tree is the same and byte
    offsets are unchanged; every value is still read from the real text.
    """
    return _NON_ASCII_UTF8.sub(lambda m: b"x" * len(m.group(0)), source)


_PARSER: Parser | None = None


def _parser() -> Parser:
    """One tree-sitter Parser per process, built on first use (keeps import cheap).

    Not thread-safe: a Parser must not be used from two threads at once.
    """
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_bash

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _PARSER


def parse_shell(text: str) -> Script:
    """Parse a RUN body (as ``/bin/sh -c`` sees it) into a ``Script``.  Never raises."""
    return _Builder(text).build()


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.opaque_reason: str | None = None
        # (start, end, reason) of state changes that are not a command name; see build()
        self.pending_changes: list[tuple[int, int, str]] = []
        self.functions: set[str] = set()
        self.loop_variables: set[str] = set()
        try:
            self.source = text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate has no UTF-8 form.  U+FFFD takes the same three
            # bytes, so byte offsets still map onto characters one to one.
            self.source = _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")
            self._opaque("the text is not valid Unicode (lone surrogate)")
        # What tree-sitter reads: the same bytes, non-ASCII characters shadowed (_ascii_shadow).
        self.parser_input = self.source
        if len(self.source) == len(text):
            self.char_at: list[int] | None = None
        else:
            self.parser_input = _ascii_shadow(self.source)
            char_at: list[int] = []
            for index, char in enumerate(text):
                char_at.extend([index] * len(char.encode("utf-8", "surrogatepass")))
            char_at.append(len(text))
            self.char_at = char_at

    # -- helpers

    def _opaque(self, reason: str) -> None:
        if self.opaque_reason is None:
            self.opaque_reason = reason

    def _pos(self, byte_offset: int) -> int:
        if self.char_at is None:
            return byte_offset
        return self.char_at[min(byte_offset, len(self.char_at) - 1)]

    def _span(self, node: Node) -> tuple[int, int]:
        return self._pos(node.start_byte), self._pos(node.end_byte)

    def _word(self, node: Node) -> Word:
        start, end = self._span(node)
        value, glob = self._value(node)
        return Word(self.text[start:end], value, start, end, glob)

    def _value(self, node: Node) -> tuple[str | None, bool]:
        """(literal value after quote removal or None, has an unquoted glob char)."""
        kind = node.type
        raw = self._slice(node)
        if kind in _EXPANSION_TYPES:
            return None, False
        if kind == "word":
            return _unquoted_word(raw)
        if kind in ("number", "test_operator", "variable_name", "regex"):
            return raw, False
        if kind == "raw_string":
            return raw[1:-1], False
        if kind == "string":
            parts = []
            for child in node.children:
                if child.type == '"':
                    continue
                if child.type != "string_content":
                    return None, False
                parts.append(self._slice(child))
            return _unescape_double_quoted("".join(parts)), False
        if kind == "concatenation":
            if _BRACE_EXPANSION.search(raw):
                return None, False
            values, glob = [], False
            for child in node.children:
                if child.type == "$":
                    return None, False  # `$"..."`: a translated string in bash, `$` in dash
                value, child_glob = self._value(child)
                if value is None:
                    return None, False
                values.append(value)
                glob = glob or child_glob
            return "".join(values), glob
        if kind == "variable_assignment":
            name = node.child_by_field_name("name")
            value_node = node.child_by_field_name("value")
            if name is None:
                return None, False
            # name, '=' or '+=', value
            operator_end = value_node.start_byte if value_node is not None else node.end_byte
            head = self.text[self._pos(node.start_byte) : self._pos(operator_end)]
            if value_node is None:
                return head, False
            if value_node.type == "array":
                return None, False
            value, glob = self._value(value_node)
            if value is None or _tilde_sensitive(value_node, raw[len(head) :]):
                return None, False
            return head + value, glob
        if not node.children and not node.is_named:
            return raw, False  # an anonymous token such as '[', ']', '==', '!'
        return None, False

    # -- build

    def build(self) -> Script:
        tree = _parser().parse(self.parser_input)
        root = tree.root_node
        if "\r" in self.text:
            self._opaque(
                "carriage return in the body: /bin/sh keeps it in the word,"
                " tree-sitter treats it as a blank"
            )
        if root.has_error:
            self._opaque(self._error_reason(root))
        comments: list[tuple[int, int]] = []
        self._scan(root, comments)

        statements: list[Statement] = []
        all_commands: list[Command] = []
        items = self._top_level_items(root)
        for node, separator, background, extra in items:
            context = frozenset({"background"}) if background else frozenset()
            commands: list[Command] = []
            self._walk(node, context, commands, extra, 0)
            start = self._pos(node.start_byte)
            end = self._pos(max([node.end_byte, *(r.end_byte for r in extra)]))
            statement = Statement(
                start=start,
                end=end,
                text=self.text[start:end],
                commands=tuple(commands),
                kind=_statement_kind(node),
                separator=separator,
                errexit_exits=_errexit_exits(node, 0),
                errexit_transparent=_errexit_transparent(node),
            )
            statements.append(statement)
            all_commands.extend(commands)

        stripped_end = len(self.text.rstrip())
        ends_with_comment = bool(comments) and comments[-1][1] >= stripped_end
        return Script(
            text=self.text,
            opaque=self.opaque_reason is not None,
            opaque_reason=self.opaque_reason,
            statements=tuple(statements),
            commands=tuple(all_commands),
            ends_with_comment=ends_with_comment,
            comments=tuple(comments),
            functions=frozenset(self.functions),
            loop_variables=frozenset(self.loop_variables),
            _extra_changes=self._resolve_changes(statements, all_commands),
        )

    def _resolve_changes(
        self, statements: list[Statement], commands: list[Command]
    ) -> tuple[tuple[Command | Statement, str], ...]:
        """Attach each pending change to the innermost command holding it, else its statement."""
        resolved: list[tuple[Command | Statement, str]] = []
        for start, end, reason in self.pending_changes:
            holders: list[Command | Statement] = [
                c for c in commands if c.start <= start and end <= c.end
            ]
            if not holders:
                holders = [s for s in statements if s.start <= start and end <= s.end]
            if holders:
                resolved.append((min(holders, key=lambda h: h.end - h.start), reason))
        return tuple(resolved)

    def _scan(self, root: Node, comments: list[tuple[int, int]]) -> None:
        """One pass over every node: comments, heredocs, and ownership of every byte.

        Every character outside a leaf token must be a blank (or a line
        continuation); if tree-sitter silently skipped something, we do not
        understand the text and say so.
        """
        cursor = root.walk()
        last_end = 0
        blank = frozenset(b" \t\n")
        while True:
            node = cursor.node
            assert node is not None
            kind = node.type
            if kind == "comment":
                comments.append(self._span(node))
            elif kind in ("heredoc_redirect", "heredoc_body"):
                self._opaque("shell heredoc (<<) inside RUN: its body is data we do not model")
            descend = kind not in ("comment", "heredoc_body") and node.child_count > 0
            if not descend:
                start = node.start_byte
                if start > last_end and not _all_blank(self.source[last_end:start], blank):
                    where = self._pos(last_end)
                    self._opaque(f"text at offset {where} is not covered by the parse tree")
                last_end = max(last_end, node.end_byte)
            if descend and cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    tail = self.source[last_end:]
                    if tail and not _all_blank(tail, blank):
                        self._opaque(
                            f"text at offset {self._pos(last_end)} is not covered by the parse tree"
                        )
                    return

    def _error_reason(self, root: Node) -> str:
        stack = [root]
        while stack:
            node = stack.pop()
            if node.is_missing:
                return f"syntax error: missing {node.type!r} at offset {self._pos(node.start_byte)}"
            if node.is_error:
                start, end = self._span(node)
                snippet = self.text[start:end][:40]
                return f"syntax error at offset {start}: {snippet!r}"
            if node.has_error:
                stack.extend(reversed(node.children))
        return "syntax error"

    def _top_level_items(
        self, root: Node
    ) -> list[tuple[Node, str | None, bool, tuple[Node, ...]]]:
        """(node, separator, backgrounded, its redirections tree-sitter hung on a list) for each
        top-level statement."""
        items: list[tuple[Node, str | None, bool, tuple[Node, ...]]] = []
        children = [c for c in root.children if c.type != "comment"]
        for i, child in enumerate(children):
            if child.type in (";", "&", ";;"):
                continue
            following = children[i + 1] if i + 1 < len(children) else None
            if following is not None and following.type in (";", "&", ";;"):
                separator: str | None = ";" if following.type == ";;" else following.type
            elif following is not None:
                gap = self.source[child.end_byte : following.start_byte]
                separator = "\n" if b"\n" in gap else ";"  # ';' cannot happen without a token
            else:
                separator = None
            background = separator == "&"
            flat = _flatten_list(child)
            for j, (node, operator, extra) in enumerate(flat):
                items.append(
                    (node, operator if j < len(flat) - 1 else separator, background, extra)
                )
        return items

    # -- statements (where commands can start)

    def _walk(
        self,
        node: Node,
        context: frozenset[str],
        out: list[Command],
        redirects: tuple[Node, ...],
        depth: int,
    ) -> None:
        """Walk a node in statement position."""
        if depth > _MAX_DEPTH:
            self._opaque("nesting too deep")
            return
        depth += 1
        kind = node.type
        if kind == "redirected_statement":
            self._redirected(node, context, out, depth, redirects)
            return
        if kind in _COMMAND_TYPES or kind in ("variable_assignment", "variable_assignments"):
            self._command(node, context, out, redirects, depth)
            return
        if kind == "list":  # redirections given here belong to the list's last element
            flat = _flatten_list(node)
            for i, (item, _operator, extra) in enumerate(flat):
                last = i == len(flat) - 1
                self._walk(item, context, out, extra + (redirects if last else ()), depth)
            return
        if kind == "pipeline" and redirects:  # ... and here to the pipeline's last stage
            self._statements(node.children, context | {"pipeline"}, out, depth, redirects)
            return
        self._walk_compound(node, context, out, depth)
        for redirect in redirects:  # on a compound command: only substitutions hold commands
            self._nested(redirect, context, out, depth, include_self=True)

    def _walk_compound(
        self, node: Node, context: frozenset[str], out: list[Command], depth: int
    ) -> None:
        kind = node.type
        if kind in ("program", "do_group", "ERROR"):
            self._statements(node.children, context, out, depth)
        elif kind in _SUBSTITUTION_TYPES:
            self._statements(node.children, context | {"substitution"}, out, depth)
        elif kind == "subshell":
            self._statements(node.children, context | {"subshell"}, out, depth)
        elif kind == "pipeline":
            self._statements(node.children, context | {"pipeline"}, out, depth)
        elif kind == "negated_command":
            self._statements(node.children, context | {"negated"}, out, depth)
        elif kind == "compound_statement":
            if node.child_count and node.children[0].type == "((":
                self._change(node, context, "(( )) can assign variables")
                self._nested(node, context, out, depth)
            else:
                self._statements(node.children, context | {"group"}, out, depth)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            label = self._slice(name) if name is not None else "?"
            self.functions.add(label)
            self._change(node, context, f"defines shell function {label}")
            body = node.child_by_field_name("body")
            if body is not None:
                self._walk(body, context | {"function"}, out, (), depth)
        elif kind in ("if_statement", "elif_clause"):
            # The condition is everything between `if`/`elif` and `then` (tree-sitter
            # labels it with a field on if_statement but not on elif_clause).
            seen_then = False
            for child in node.children:
                if child.type == "then":
                    seen_then = True
                if not child.is_named or child.type == "comment":
                    continue
                if child.type in ("elif_clause", "else_clause"):
                    self._walk(child, context, out, (), depth)
                else:
                    sub = context | {"branch" if seen_then else "condition"}
                    self._statements([child, *_following(child)], sub, out, depth)
        elif kind == "else_clause":
            self._statements(node.children, context | {"branch"}, out, depth)
        elif kind == "while_statement":  # also until
            self._fields(
                node,
                context,
                out,
                depth,
                {"condition": context | {"condition", "loop"}},
                default=context | {"loop"},
            )
        elif kind in ("for_statement", "c_style_for_statement"):
            variable = node.child_by_field_name("variable")
            if variable is not None:
                self.loop_variables.add(self._slice(variable))
            self._fields(node, context, out, depth, {"body": context | {"loop"}}, default=None)
        elif kind == "case_statement":
            self._fields(node, context, out, depth, {"value": None}, default=context)
        elif kind == "case_item":
            self._fields(node, context, out, depth, {"value": None}, default=context | {"branch"})
        else:
            self._nested(node, context, out, depth)

    def _statements(
        self,
        children: list[Node],
        context: frozenset[str],
        out: list[Command],
        depth: int,
        last_redirects: tuple[Node, ...] = (),
    ) -> None:
        named = [i for i, c in enumerate(children) if c.is_named and c.type != "comment"]
        for i in named:
            child = children[i]
            following = children[i + 1] if i + 1 < len(children) else None
            child_context = context
            if following is not None and following.type == "&":
                child_context = context | {"background"}
            extra = last_redirects if i == named[-1] else ()
            self._walk(child, child_context, out, extra, depth)

    def _fields(
        self,
        node: Node,
        context: frozenset[str],
        out: list[Command],
        depth: int,
        by_field: dict[str, frozenset[str] | None],
        *,
        default: frozenset[str] | None,
    ) -> None:
        """Walk children of a compound; a context of None means expression position."""
        children = node.children
        for i, child in enumerate(children):
            if not child.is_named or child.type == "comment":
                continue
            field_name = node.field_name_for_child(i)
            if child.type in ("elif_clause", "else_clause"):
                child_context: frozenset[str] | None = context
            elif field_name in by_field:
                child_context = by_field[field_name]
            else:
                child_context = default
            if child_context is None:
                self._nested(child, context, out, depth, include_self=True)
                continue
            following = children[i + 1] if i + 1 < len(children) else None
            if following is not None and following.type == "&":
                child_context = child_context | {"background"}
            self._walk(child, child_context, out, (), depth)

    def _redirected(
        self,
        node: Node,
        context: frozenset[str],
        out: list[Command],
        depth: int,
        outer: tuple[Node, ...] = (),
    ) -> None:
        body = node.child_by_field_name("body")
        own = _own_redirects(node) + outer
        if any(r.type == "heredoc_redirect" for r in own):
            context = context | {"heredoc"}
        if body is not None and (
            body.type in _COMMAND_TYPES
            or body.type in ("variable_assignment", "variable_assignments", "list", "pipeline")
        ):
            # A list or pipeline cannot take a redirection: it belongs to its last command.
            self._walk(body, context, out, own, depth)
            return
        if body is not None:
            self._walk(body, context, out, (), depth)
        for redirect in own:
            if len(_destinations(redirect)) > 1:
                self._opaque("words after the redirect of a compound command")
            self._nested(redirect, context, out, depth, include_self=True)

    # -- expressions (words, redirects): only substitutions hold commands

    def _nested(
        self,
        node: Node,
        context: frozenset[str],
        out: list[Command],
        depth: int,
        *,
        include_self: bool = False,
    ) -> None:
        if depth > _MAX_DEPTH:
            self._opaque("nesting too deep")
            return
        depth += 1
        nodes = [node] if include_self else [c for c in node.children if c.is_named]
        for child in nodes:
            kind = child.type
            if kind in _SUBSTITUTION_TYPES:
                self._walk(child, context, out, (), depth)
                continue
            child_context = context
            if kind == "expansion" and any(c.type in (":=", "=") for c in child.children):
                self._change(child, context, "${X:=...} assigns a variable")
            elif kind == "heredoc_body":
                child_context = context | {"heredoc"}
            if child.child_count:
                self._nested(child, child_context, out, depth)

    def _change(self, node: Node, context: frozenset[str], reason: str) -> None:
        """Note a state change that is not a command name; resolved to its owner in build()."""
        if not context & _ISOLATED:
            start, end = self._span(node)
            self.pending_changes.append((start, end, reason))

    def _slice(self, node: Node) -> str:
        start, end = self._span(node)
        return self.text[start:end]

    def _command(
        self,
        node: Node,
        context: frozenset[str],
        out: list[Command],
        redirects: tuple[Node, ...],
        depth: int,
    ) -> None:
        kind = node.type
        argv: list[Word] = []
        assignments: list[Word] = []
        inner_redirects: list[Node] = []
        if kind == "command":
            for i, child in enumerate(node.children):
                field_name = node.field_name_for_child(i)
                if child.type == "variable_assignment" and not argv:
                    assignments.append(self._word(child))
                elif field_name == "name":
                    argv.append(self._word(child.children[0] if child.child_count == 1 else child))
                elif child.type.endswith("_redirect"):
                    inner_redirects.append(child)
                elif child.type != "comment":
                    argv.append(self._word(child))  # named words, and a bare `$` token
        elif kind in ("declaration_command", "unset_command"):
            for child in node.children:
                if child.type.endswith("_redirect"):
                    inner_redirects.append(child)
                elif child.type != "comment":
                    argv.append(self._word(child))
        elif kind == "test_command":
            argv.extend(self._word(n) for n in _test_tokens(node))
        else:  # variable_assignment(s) with no command
            targets = node.children if kind == "variable_assignments" else [node]
            assignments.extend(self._word(c) for c in targets if c.type == "variable_assignment")

        redirect_texts: list[str] = []
        outputs: list[Word] = []
        for redirect in [*inner_redirects, *redirects]:
            text_end = redirect.end_byte
            destinations = _destinations(redirect)
            if redirect.type == "file_redirect" and len(destinations) > 1:
                # tree-sitter-bash hangs the words after `>f` on the redirect; the
                # shell takes exactly one word as the target, the rest are arguments.
                text_end = destinations[0].end_byte
                argv.extend(self._word(extra) for extra in destinations[1:])
            start, end = self._pos(redirect.start_byte), self._pos(text_end)
            redirect_texts.append(self.text[start:end])
            target = _output_target(redirect, destinations)
            if target is not None:
                outputs.append(self._word(target))
            if redirect.type == "heredoc_redirect":
                context = context | {"heredoc"}
        argv.sort(key=lambda w: w.start)

        start_byte = min([node.start_byte, *(r.start_byte for r in redirects)])
        end_byte = max([node.end_byte, *(r.end_byte for r in redirects)])
        command = Command(
            argv=tuple(argv),
            assignments=tuple(assignments),
            redirects=tuple(redirect_texts),
            start=self._pos(start_byte),
            end=self._pos(end_byte),
            context=context,
            outputs=tuple(outputs),
        )
        out.append(command)

        if command.basename in _OPAQUE_COMMANDS:
            self._opaque(_OPAQUE_COMMANDS[command.basename])
        if (
            command.assignments
            and _effective_name(command) in _SPECIAL_BUILTINS
            and not context & _ISOLATED
        ):
            self.pending_changes.append(
                (
                    command.start,
                    command.end,
                    "assignments before a special builtin persist in POSIX sh",
                )
            )
        # Commands nested in words, assignment values and redirect targets.
        self._nested(node, context, out, depth)
        for redirect in redirects:
            self._nested(redirect, context, out, depth, include_self=True)


# --------------------------------------------------------------------------- helpers


def _following(node: Node) -> list[Node]:
    """The next sibling if it is a `&` (so that `_statements` sees background jobs)."""
    sibling = node.next_sibling
    return [sibling] if sibling is not None and sibling.type == "&" else []


def _all_blank(chunk: bytes, blank: frozenset[int]) -> bool:
    chunk = chunk.replace(b"\\\n", b"")
    return all(b in blank for b in chunk)


def _flatten_list(node: Node) -> list[tuple[Node, str | None, tuple[Node, ...]]]:
    """``a && b || c`` (nested ``list`` nodes) -> [(a, '&&', ()), (b, '||', ()), (c, None, ())].

    The third item holds redirections that belong to that element although tree-sitter-bash hangs
    them on the whole list: it reads ``a && b > f`` as ``(a && b) > f``, but a redirection applies
    to one command, so the shell reads ``a && (b > f)`` (POSIX 2.9.3: an AND-OR list is made of
    pipelines, each of commands with their own redirections). Iterative: a chain of thousands of
    ``&&`` nests that deep.
    """
    sequence: list[Node | tuple[Node, ...]] = []  # nodes, and redirections for the node before
    stack: list[Node | tuple[Node, ...]] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            sequence.append(current)
        elif current.type == "list":
            stack.extend(reversed(current.children))
        elif current.type == "redirected_statement" and _redirected_list(current) is not None:
            body = _redirected_list(current)
            assert body is not None
            stack.append(_own_redirects(current))  # popped after the body: attaches to its end
            stack.append(body)
        elif current.type != "comment":
            sequence.append(current)
    out: list[tuple[Node, str | None, tuple[Node, ...]]] = []
    for current in sequence:
        if isinstance(current, tuple):
            if out:
                item, operator, extra = out[-1]
                out[-1] = (item, operator, extra + current)
        elif current.type in ("&&", "||"):
            if out:
                out[-1] = (out[-1][0], current.type, out[-1][2])
        else:
            out.append((current, None, ()))
    return out


def _statement_nodes(children: Iterable[Node]) -> list[Node]:
    """The statements among ``children`` (named, not comments); a background one as ``&``."""
    out: list[Node] = []
    for child in children:
        if child.type == "&" and out:
            out[-1] = child  # stands for "the statement before ran in the background": status 0
        elif child.is_named and child.type != "comment":
            out.append(child)
    return out


def _last_exits(children: Iterable[Node], depth: int) -> bool:
    """The last statement of a compound list ends its failures through -e (see _errexit_exits)."""
    statements = _statement_nodes(children)
    return not statements or _errexit_exits(statements[-1], depth)


def _errexit_exits(node: Node, depth: int) -> bool:
    """Run with `set -e` in force (and not ignored), a non-zero status of ``node`` has made the
    shell exit. POSIX 2.14 `set -e`: a simple command, a pipeline (`!` aside) and a subshell
    exit on failure; a compound command does not when its status comes from a failure while -e
    was ignored, so it exits only when each list that may end it does; an AND-OR list's last
    element keeps -e, the others do not. Checked with dash and bash (`set -e; { false && true; };
    echo reached` goes on; `set -e; (false && true); echo reached` does not)."""
    if depth > _MAX_DEPTH:
        return False
    depth += 1
    kind = node.type
    if kind == "&":  # a background job: its status is 0
        return True
    if kind in _COMMAND_TYPES or kind in (
        "variable_assignment", "variable_assignments", "pipeline", "subshell", "function_definition"
    ):
        return True
    if kind == "redirected_statement":
        inner = node.child_by_field_name("body")
        return inner is None or _errexit_exits(inner, depth)
    if kind == "list":
        flat = _flatten_list(node)
        if len(flat) > 1 and flat[-2][1] != "||":
            return False
        return _errexit_exits(flat[-1][0], depth)
    if kind == "compound_statement":
        if node.child_count and node.children[0].type == "((":
            return False  # (( )) is bash's; dash reads it as nested subshells
        return _last_exits(node.children, depth)
    if kind == "do_group":
        return _last_exits(node.children, depth)
    if kind in ("if_statement", "elif_clause", "else_clause"):
        branch: list[Node] = []
        seen_then = kind == "else_clause"
        for child in node.children:
            if child.type in ("elif_clause", "else_clause"):
                if not _errexit_exits(child, depth):
                    return False
            elif child.type == "then":
                seen_then = True
            elif seen_then:
                branch.append(child)
        return _last_exits(branch, depth)
    if kind in ("while_statement", "for_statement", "c_style_for_statement"):
        loop_body = node.child_by_field_name("body")
        return loop_body is not None and _errexit_exits(loop_body, depth)
    if kind == "case_statement":
        return all(
            _errexit_exits(c, depth) for c in node.children if c.type == "case_item"
        )
    if kind == "case_item":
        if any(c.type in (";&", ";;&") for c in node.children):
            return False  # falls through into the next item
        items = [
            c for i, c in enumerate(node.children) if node.field_name_for_child(i) != "value"
        ]
        return _last_exits(items, depth)
    return False


def _errexit_transparent(node: Node) -> bool:
    """``node`` holds no command that `set -e` reaches inside it: simple commands, pipelines of
    them, `!` and redirections of those, and command substitutions of a single simple command
    (dash keeps -e inside $(...) wherever it stands; bash in POSIX mode drops it there left of
    `&&`, which matters only when something follows inside)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current.type
        if kind in _SUBSTITUTION_TYPES:
            inner = _statement_nodes(current.children)
            if len(inner) > 1 or (inner and inner[0].type not in _COMMAND_TYPES):
                return False
        elif kind in _COMPOUND_TYPES or kind in ("subshell", "compound_statement", "list"):
            return False
        stack.extend(current.children)
    return True


def _redirected_list(node: Node) -> Node | None:
    """The ``list`` body of a redirected statement (``a && b > f`` as tree-sitter reads it)."""
    body = node.child_by_field_name("body")
    return body if body is not None and body.type == "list" else None


def _own_redirects(node: Node) -> tuple[Node, ...]:
    return tuple(
        c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "redirect"
    )


def _statement_kind(node: Node) -> str:
    while node.type in ("redirected_statement", "negated_command"):
        inner = node.child_by_field_name("body") if node.type == "redirected_statement" else None
        if inner is None:
            inner = next(
                (c for c in node.children if c.is_named and not c.type.endswith("redirect")), None
            )
        if inner is None:
            break
        node = inner
    kind = node.type
    if kind in ("variable_assignment", "variable_assignments"):
        return "assignment"
    if kind == "command":
        has_name = node.child_by_field_name("name") is not None
        return "command" if has_name else "assignment"
    if kind in _COMMAND_TYPES:
        return "command"
    if kind == "pipeline":
        return "pipeline"
    if kind == "subshell":
        return "subshell"
    if kind == "compound_statement":
        return "compound" if node.child_count and node.children[0].type == "((" else "group"
    return "compound"


_OUTPUT_OPERATORS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})


def _output_target(redirect: Node, destinations: list[Node]) -> Node | None:
    """The file an output redirection opens for writing (``> f``, ``&> f``, ``>& f``), or None
    (input, a duplicated descriptor ``2>&1``, ``>&-``)."""
    if redirect.type != "file_redirect" or not destinations:
        return None
    operators = {c.type for c in redirect.children if not c.is_named}
    if operators & _OUTPUT_OPERATORS:
        return destinations[0]
    if ">&" in operators and destinations[0].type not in ("number",):
        text = destinations[0].text or b""
        return None if text == b"-" or text.isdigit() else destinations[0]
    return None


def _destinations(redirect: Node) -> list[Node]:
    return [
        child
        for i, child in enumerate(redirect.children)
        if redirect.field_name_for_child(i) == "destination"
    ]


def _test_tokens(node: Node) -> list[Node]:
    """The words of ``[ ... ]`` / ``[[ ... ]]`` in order, as argv."""
    tokens: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current is not node and (current.type in _WORD_TYPES or current.child_count == 0):
            if current.type != "comment":
                tokens.append(current)
            continue
        stack.extend(reversed(current.children))
    return tokens


def _unquoted_word(raw: str) -> tuple[str | None, bool]:
    """Quote removal for an unquoted word: ``a\\ b`` -> ``a b``; ``~`` and ``{a,b}`` -> None."""
    if not _WORD_SPECIAL.search(raw):  # most words: nothing to remove, no glob
        return raw, False
    if raw.startswith("~") or _BRACE_EXPANSION.search(raw):
        return None, False
    if "=~" in raw or ":~" in raw:
        return None, False  # tilde after = or : in assignment-like words
    out = []
    glob = False
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\":
            if i + 1 < len(raw):
                if raw[i + 1] != "\n":
                    out.append(raw[i + 1])
                i += 2
                continue
            i += 1
            continue
        if char == "`" or (char == "$" and i + 1 < len(raw)):
            return None, False  # an expansion tree-sitter left inside a word token
        if char in _GLOB_CHARS:
            glob = True
        out.append(char)
        i += 1
    return "".join(out), glob


def _unescape_double_quoted(content: str) -> str:
    out = []
    i = 0
    while i < len(content):
        char = content[i]
        if char == "\\" and i + 1 < len(content) and content[i + 1] in '$`"\\\n':
            if content[i + 1] != "\n":
                out.append(content[i + 1])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _tilde_sensitive(value_node: Node, raw_value: str) -> bool:
    """An assignment value such as ``~/x`` or ``a:~/b`` undergoes tilde expansion."""
    return value_node.type in ("word", "concatenation") and (
        raw_value.startswith("~") or ":~" in raw_value
    )
