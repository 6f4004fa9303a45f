"""The tree-sitter-bash reading of a RUN body into the model of :mod:`.shell` (``build``).

See :mod:`.shell` for the model and docs/decisions/shell-parser.md for why tree-sitter-bash and
what is opaque. Offsets are indices into the ``str`` given (tree-sitter reports UTF-8 byte
offsets; they are converted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .shell import (
    _ISOLATED,
    _SPECIAL_BUILTINS,
    Command,
    Script,
    Statement,
    Word,
    _effective_name,
)
from .shell_tree import (
    _BRACE_EXPANSION,
    _COMMAND_TYPES,
    _EXPANSION_TYPES,
    _LONE_SURROGATE,
    _MAX_DEPTH,
    _SUBSTITUTION_TYPES,
    _all_blank,
    _destinations,
    _errexit_exits,
    _errexit_transparent,
    _flatten_list,
    _following,
    _output_target,
    _own_redirects,
    _statement_kind,
    _test_tokens,
    _tilde_sensitive,
    _unescape_double_quoted,
    _unquoted_word,
)

if TYPE_CHECKING:  # pragma: no cover - typing only; tree_sitter is imported lazily
    from tree_sitter import Node, Parser

_OPAQUE_COMMANDS: dict[str, str] = {
    "eval": "eval runs code that only exists at run time",
    "alias": "alias changes how later commands are parsed",
    # tree-sitter-bash reads `! { a; b; }` as the commands `! { a`, `b`, `}`: a reserved word
    # taken for a command name means the tree is not the shell's.
    "{": "a `{ }` group tree-sitter-bash misreads (e.g. after `!`)",
    "}": "a `{ }` group tree-sitter-bash misreads (e.g. after `!`)",
}


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


def build(text: str) -> Script:
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

