"""Questions about tree-sitter-bash nodes that the shell builder (:mod:`.shell_builder`) asks:
how a list flattens, how `set -e` treats a node, what a redirection writes, a word's literal value.
Pure functions of the tree; the model they feed is :mod:`.shell`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only; tree_sitter is imported lazily
    from tree_sitter import Node

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
_MAX_DEPTH = 120  # nesting deeper than this is opaque (and keeps us off the recursion limit)

# ``{a,b}`` / ``{1..3}``: bash expands it, dash does not -> no single literal value.
_BRACE_EXPANSION = re.compile(r"\{[^{}\s]*(,|\.\.)[^{}\s]*\}")
_GLOB_CHARS = frozenset("*?[")
_WORD_SPECIAL = re.compile(r"[\\`$~{*?\[]")  # what _unquoted_word has to look at
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
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
