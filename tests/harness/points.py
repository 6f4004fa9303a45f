"""Where a RUN can fail besides a stand-in call: its commands, builtins and redirections.

The player already fails recorded stand-in calls one at a time (``fail_at_call``). This module finds
the other places a build can fail -- a ``cd`` into a missing folder, a ``set``/``export`` line, a
real tool (``mkdir``, ``tar``, ``ln``), a redirect whose target cannot be written or read -- as
:class:`ShellPoint`\\ s with their offsets in the RUN body, and says how to make each one fail:

* a command or regular builtin is replaced by ``/.harness/fail`` (exits 1, does nothing), which is
  what a failing ``cd`` or ``mkdir`` does to the shell: status non-zero, state unchanged;
* a POSIX *special* builtin (``set``, ``export``, ``unset``, ``readonly``, ``.``, ``source``,
  ``eval``, ``exec``, ``trap``) is replaced by ``exit 2`` under ``sh`` (dash and bash-as-sh exit
  the (sub)shell when one fails, POSIX 2.8.1) and by ``/.harness/fail`` under ``bash``, which
  returns;
* a redirect's target becomes ``/.harness/fail/x``: the shell itself then fails to open it, with
  its own semantics (a special builtin's redirect exits the shell, a command's skips the command).

Not points: conditions and queries (``test``/``[``/``[[``, ``true``, ``false``, ``:``, ``command``,
``type``, ``which``), control words (``exit``, ``return``, ``break``, ``continue``, ``shift``),
``echo``/``printf``/``sleep`` (their redirects are points), stand-in calls (failed at run time,
where each call of a loop fails on its own), dups (``2>&1``) and ``/dev/*`` targets, heredoc RUNs
and exec-form RUNs.

The harness does not reuse dockslim's shell model (``dockslim.syntax.shell``) on purpose: it is the
adversary of the passes built on that model, and a blind spot shared with it would hide itself. It
reads the body with tree-sitter-bash directly, as the model does (no regular expressions).

Points are matched between two builds by their text (blanks folded), aligned in file order
(:func:`pair_points`), so both builds fail at the same command; only points of RUNs the rewrite
changed are failed by default.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from dockslim.syntax import parse

from .standins import FAIL, STANDIN_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from tree_sitter import Node, Parser

# POSIX 2.14 special built-ins a build uses to change the shell (the others are control words).
SPECIAL_BUILTINS = frozenset({".", "source", "eval", "exec", "export", "readonly", "set", "trap", "unset"})
# Commands whose status answers a question, control words, and output that cannot fail by itself.
NOT_POINTS = frozenset({
    "test", "[", "[[", "true", "false", ":", "command", "type", "which", "hash",
    "exit", "return", "break", "continue", "shift", "times", "wait",
    "echo", "printf", "sleep", "let", "getopts",
})
_OPENING = frozenset({">", ">>", "<", "&>", "&>>", ">|", "<>"})  # redirect operators that open a file
_STANDINS = frozenset(STANDIN_NAMES)


@dataclass(frozen=True)
class ShellPoint:
    """One place where a RUN body can fail. ``start``/``end`` index ``Instruction.args``."""

    instruction: int  # index into parse(text).instructions
    line: int  # first line of the RUN, for messages
    start: int
    end: int
    kind: str  # "command" | "special" (builtin) | "redirect" (its target)
    text: str  # as written: the command with its arguments, or the redirect's target
    operator: str = ""  # a redirect's operator (`>`, `>>`, `<` ...)

    @property
    def key(self) -> tuple[str, str]:
        """What matches this point in the other build: its kind and its text, blanks folded."""
        return self.kind, self.operator + " ".join(self.text.split())

    def describe(self) -> str:
        what = {"command": "command", "special": "special builtin", "redirect": "redirect"}[self.kind]
        return f"{what} `{self.key[1]}` (line {self.line})"

    def replacement(self, shell: Sequence[str]) -> str:
        """The text that makes this point fail in a RUN run by ``shell`` (e.g. ``["/bin/sh", "-c"]``)."""
        if self.kind == "redirect":
            return FAIL + "/x"
        if self.kind == "special" and (not shell or shell[0].rsplit("/", 1)[-1] != "bash"):
            return "exit 2"
        return FAIL


def shell_points(text: str) -> list[ShellPoint]:
    """Every failure point of every shell-form RUN of ``text``, in file and source order."""
    points: list[ShellPoint] = []
    for index, ins in enumerate(parse(text).instructions):
        if ins.cmd != "RUN" or ins.is_json or ins.heredocs:
            continue
        points.extend(_body_points(ins.args, index, ins.start_line))
    return points


def _body_points(body: str, index: int, line: int) -> list[ShellPoint]:
    source = body.encode("utf-8", "surrogatepass")
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        return []  # not a body we can vouch for; the shell may read it otherwise
    if len(source) == len(body):
        def pos(offset: int) -> int:
            return offset
    else:
        char_at: list[int] = []
        for i, char in enumerate(body):
            char_at.extend([i] * len(char.encode("utf-8", "surrogatepass")))
        char_at.append(len(body))

        def pos(offset: int) -> int:
            return char_at[offset]

    out: list[ShellPoint] = []

    def add(kind: str, start_byte: int, end_byte: int, operator: str = "") -> None:
        start, end = pos(start_byte), pos(end_byte)
        out.append(ShellPoint(index, line, start, end, kind, body[start:end], operator))

    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("heredoc_body", "heredoc_redirect", "herestring_redirect"):
            continue
        if kind == "command":
            name = node.child_by_field_name("name")
            if name is not None:
                word = _literal(name)
                if word is None or (word not in NOT_POINTS and word.rsplit("/", 1)[-1] not in _STANDINS):
                    last = max((c.end_byte for c in node.children if not c.type.endswith("redirect")),
                               default=node.end_byte)
                    add("special" if word in SPECIAL_BUILTINS else "command", name.start_byte, last)
        elif kind in ("declaration_command", "unset_command") and node.child_count:
            keyword = node.children[0].type
            add("special" if keyword in SPECIAL_BUILTINS else "command", node.start_byte, node.end_byte)
        elif kind == "file_redirect":
            operator = next((c.type for c in node.children if not c.is_named), None)
            target = node.child_by_field_name("destination")
            if (operator in _OPENING and target is not None and target.type != "process_substitution"
                    and not (_literal(target) or "").startswith("/dev/")):
                add("redirect", target.start_byte, target.end_byte, operator or "")
        stack.extend(reversed(node.children))
    out.sort(key=lambda p: p.start)
    return out


def _literal(node: Node) -> str | None:
    """The word's value when it is plain text (quotes removed), else None."""
    raw = node.text.decode("utf-8", "surrogateescape") if node.text is not None else ""
    if any(c in raw for c in "$`\\"):
        return None
    return raw.replace("'", "").replace('"', "")


@lru_cache(maxsize=1)
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def pair_points(original: str, rewritten: str, *, changed_only: bool = True
                ) -> tuple[list[tuple[ShellPoint, ShellPoint]], int]:
    """Points of ``original`` matched with the same points of ``rewritten``, in the original's order,
    and how many points of either side found no match (commands a rewrite added or removed are not
    failed: failing them in one build only would not be a fair comparison).

    The two files' points are aligned in order by their keys (:class:`difflib.SequenceMatcher`), so
    of two identical RUNs the one a rewrite merged pairs with its merged copy. With ``changed_only``
    only pairs whose RUN bodies differ are kept: a RUN both builds run as it is fails the same way
    in both, and its stand-in calls are failed anyway.
    """
    points_o, points_r = shell_points(original), shell_points(rewritten)
    matcher = difflib.SequenceMatcher(None, [p.key for p in points_o], [p.key for p in points_r],
                                      autojunk=False)
    pairs = [(points_o[block.a + k], points_r[block.b + k])
             for block in matcher.get_matching_blocks() for k in range(block.size)]
    unmatched = len(points_o) + len(points_r) - 2 * len(pairs)
    if changed_only:
        bodies_o, bodies_r = _bodies(original), _bodies(rewritten)
        pairs = [(a, b) for a, b in pairs if bodies_o[a.instruction] != bodies_r[b.instruction]]
    return pairs, unmatched


def _bodies(text: str) -> dict[int, str]:
    return {i: " ".join(ins.args.split()) for i, ins in enumerate(parse(text).instructions) if ins.cmd == "RUN"}
