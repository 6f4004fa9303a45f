"""Dockerfile text -> lossless :class:`~dockslim.syntax.nodes.Dockerfile`.

The line handling mirrors BuildKit's ``frontend/dockerfile/parser/parser.go`` step by step (parser
directives, escape token, continuation regex, comment and empty lines inside continuations,
heredocs, flag extraction, per-instruction argument decoding), so that the instruction-level view
agrees with Docker's own parser; ``tests/syntax/test_conformance.py`` checks that against BuildKit
itself. Unlike BuildKit, we keep every character: each source line belongs to one item.
"""

from __future__ import annotations

import json
import re

from .._records import dataclass
from .nodes import (
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Item,
    Segment,
    SourceMap,
    Trivia,
    _line_starts,
)

BOM = "\ufeff"

# Go's unicode.IsSpace for the characters that matter (Latin-1 range plus the Z category).
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                      "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_RE_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_RE_DIRECTIVE = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$", re.S)
_RE_HEREDOC = re.compile(r"^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$", re.S)
_VALID_DIRECTIVES = ("syntax", "escape", "check")
_HEREDOC_KEYWORDS = frozenset({"ADD", "COPY", "RUN"})


class ParseError(Exception):
    """Input that BuildKit would reject, with a 1-based location."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


_GO_SPACE_CHARS = "".join(sorted(_GO_SPACE))


def _lstrip_go(s: str) -> str:
    return s.lstrip(_GO_SPACE_CHARS)


def _strip_go(s: str) -> str:
    return s.strip(_GO_SPACE_CHARS)


def _is_comment(line: str) -> bool:
    s = _lstrip_go(line)
    return s.startswith("#")


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _continuation_cut(content: str, escape: str) -> int | None:
    """Where BuildKit's continuation regex cuts ``content``, or None if it does not continue.

    Regex: ``([^E])E[ \\t]*$|^E[ \\t]*$`` with E the escape token.
    """
    j = len(content)
    while j > 0 and content[j - 1] in " \t":
        j -= 1
    if j == 0 or content[j - 1] != escape:
        return None
    k = j - 1  # position of the escape token
    if k == 0:
        return 0
    if content[k - 1] == escape:
        return None
    return k


class _DirectiveParser:
    def __init__(self) -> None:
        self.done = False
        self.seen: set[str] = set()

    def parse_line(self, line: str, lineno: int) -> Directive | None:
        if self.done:
            return None
        if not line.startswith("#"):
            self.done = True
            return None
        m = _RE_DIRECTIVE.match(_lstrip_go(line[1:]))
        if not m:
            self.done = True
            return None
        key = m.group(1).lower()
        if key not in _VALID_DIRECTIVES:
            self.done = True
            return None
        if key in self.seen:
            raise ParseError(f"only one {key} parser directive can be used", lineno)
        self.seen.add(key)
        return Directive(key, m.group(2), lineno)


@dataclass
class _Fields:
    keyword: str
    keyword_pos: int  # logical
    flags: list[tuple[str, int, int]]  # (raw, logical start, logical end)
    args: str
    args_pos: int


def _split_command(logical: str, base: int) -> _Fields:
    """BuildKit's splitCommand + extractBuilderFlags, with logical positions."""
    # `logical[base:]` starts at a non-space char (callers strip); TrimSpace the end.
    line = logical[base:]
    stripped = _strip_go(line)
    lead = len(line) - len(_lstrip_go(line))
    pos0 = base + lead
    m = _RE_WHITESPACE.search(stripped)
    if not m:
        return _Fields(stripped, pos0, [], "", pos0 + len(stripped))
    keyword = stripped[: m.start()]
    rest_pos = pos0 + m.end()
    rest = stripped[m.end():]
    words: list[tuple[str, int, int]] = []
    n = len(rest)
    pos = 0
    phase = 0  # 0 spaces, 1 word, 2 quote
    quote = ""
    blank_ok = False
    buf: list[str] = []
    word_start = 0
    args_rel: int | None = None
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == 0:
            if pos == n:
                break
            if ch in _GO_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or rest[pos + 1] != "-":
                args_rel = pos
                break
            phase = 1
            word_start = pos
        if phase in (1, 2) and pos == n:
            word = "".join(buf)
            if word != "--" and (blank_ok or word):
                words.append((word, rest_pos + word_start, rest_pos + pos))
            break
        if phase == 1:
            if ch in _GO_SPACE:
                word = "".join(buf)
                phase = 0
                if word == "--":
                    args_rel = pos
                    break
                if blank_ok or word:
                    words.append((word, rest_pos + word_start, rest_pos + pos))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = 2
                pos += 1
                continue
            if ch == "\\":  # BuildKit's extractBuilderFlags: always a backslash
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        if phase == 2:
            if ch == quote:
                phase = 1
                pos += 1
                continue
            if ch == "\\":  # BuildKit's extractBuilderFlags: always a backslash
                if pos + 1 == n:
                    phase = 1
                    pos += 1
                    continue
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
    if args_rel is None:
        return _Fields(keyword, pos0, words, "", rest_pos + n)
    args_raw = rest[args_rel:]
    args = _strip_go(args_raw)
    args_pos = rest_pos + args_rel + (len(args_raw) - len(_lstrip_go(args_raw)))
    return _Fields(keyword, pos0, words, args, args_pos)


def parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords (ARG, and the key=value forms of ENV/LABEL): quotes kept."""
    words: list[str] = []
    phase = 0
    quote = ""
    blank_ok = False
    buf: list[str] = []
    n = len(rest)
    pos = 0
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == 0:
            if pos == n:
                break
            if ch in _GO_SPACE:
                pos += 1
                continue
            phase = 1
        if phase in (1, 2) and pos == n:
            if blank_ok or buf:
                words.append("".join(buf))
            break
        if phase == 1:
            if ch in _GO_SPACE:
                phase = 0
                if blank_ok or buf:
                    words.append("".join(buf))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = 2
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        if phase == 2:
            if ch == quote:
                phase = 1
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    phase = 1
                    pos += 1
                    continue
                pos += 1
                buf.append(ch)
                ch = rest[pos]
            buf.append(ch)
            pos += 1
    return words


class _NotStringArray(Exception):
    pass


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def _parse_json(rest: str) -> tuple[str, ...] | None:
    rest = _lstrip_go(rest)
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(rest, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(x, str) for x in data):
        raise _NotStringArray()
    return tuple(data)


def _maybe_json(rest: str) -> tuple[tuple[str, ...], bool]:
    if rest == "":
        return (), False
    parsed = _parse_json(rest)
    if parsed is not None:
        return parsed, True
    return (rest,), False


def _whitespace_list(rest: str) -> tuple[str, ...]:
    if rest == "":
        return ()
    return tuple(_RE_WHITESPACE.split(rest))


def _name_val(rest: str, key: str, escape: str) -> tuple[str, ...]:
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = _RE_WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ValueError(f"{key} must have two arguments")
        return (parts[0], parts[1], "")
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ValueError(
                f"Syntax error - can't find = in {json.dumps(word)}. Must be of the form: name=value"
            )
        k, v = word.split("=", 1)
        out += [k, v, "="]
    return tuple(out)


def decode_value(cmd: str, args: str, escape: str) -> tuple[tuple[str, ...], bool]:
    """BuildKit's per-instruction argument decoding: (value chain, is_json).

    Raises ValueError with BuildKit's message for arguments it rejects.
    """
    try:
        if cmd in ("ADD", "COPY", "VOLUME"):
            parsed = _parse_json(args)
            if parsed is not None:
                return parsed, True
            return _whitespace_list(args), False
        if cmd in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
            return _maybe_json(args)
        if cmd == "ARG":
            return tuple(parse_words(args, escape)), False
        if cmd in ("ENV", "LABEL"):
            return _name_val(args, cmd, escape), False
        if cmd in ("EXPOSE", "FROM"):
            return _whitespace_list(args), False
        if cmd in ("MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"):
            return ((args,) if args else ()), False
        if cmd == "HEALTHCHECK":
            sep = 0
            while sep < len(args) and args[sep] not in _GO_SPACE:
                sep += 1
            nxt = sep
            while nxt < len(args) and args[nxt] in _GO_SPACE:
                nxt += 1
            if sep == 0:
                return (), False
            rest, is_json = _maybe_json(args[nxt:])
            return (args[:sep],) + rest, is_json
    except _NotStringArray:
        raise ValueError(
            "when using JSON array syntax, arrays must be comprised of strings only"
        ) from None
    if cmd == "ONBUILD":
        # The caller decodes the inner instruction; BuildKit's chain is one empty node holding it
        # (seen in ``ONBUILD ONBUILD x``, which only the next stage of BuildKit rejects).
        return (("",) if args else ()), False
    # An instruction BuildKit does not know: parseIgnore keeps one empty node as its arguments.
    return ("",), False


# --- heredoc words (BuildKit's shell lexer with RawQuotes/RawEscapes, escape '\\') -------------


def _raw_words(line: str) -> list[str]:
    words: list[str] = []
    buf: list[str] = []
    in_word = False
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch in " \t\r\n":
            if in_word:
                words.append("".join(buf))
                buf, in_word = [], False
            i += 1
            continue
        in_word = True
        if ch == "\\" and i + 1 < n:
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch in ("'", '"'):
            j = i + 1
            while j < n and line[j] != ch:
                if ch == '"' and line[j] == "\\" and j + 1 < n:
                    j += 1
                j += 1
            buf.append(line[i : j + 1])
            i = j + 1
            continue
        buf.append(ch)
        i += 1
    if in_word:
        words.append("".join(buf))
    return words


def _unquote_words(text: str) -> list[str]:
    words: list[str] = []
    buf: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            if in_word:
                words.append("".join(buf))
                buf, in_word = [], False
            i += 1
            continue
        if ch == "\\" and i + 1 >= n:
            # BuildKit's lexer drops an escape with nothing after it (`<<\` names no heredoc).
            i += 1
            continue
        in_word = True
        if ch == "\\":
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "'":
            j = text.find("'", i + 1)
            j = n if j == -1 else j
            buf.append(text[i + 1 : j])
            i = j + 1
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    j += 1
                buf.append(text[j])
                j += 1
            i = j + 1
            continue
        buf.append(ch)
        i += 1
    if in_word:
        words.append("".join(buf))
    return words


def heredocs_in_line(line: str) -> list[tuple[str, int, bool, bool]]:
    """(name, fd, expand, chomp) for each heredoc BuildKit sees in a logical line."""
    out = []
    for word in _raw_words(line):
        m = _RE_HEREDOC.match(word)
        if not m:
            continue
        rest = m.group(3)
        if not rest:
            continue
        names = _unquote_words(rest)
        if len(names) != 1:
            continue
        name = names[0]
        if not name:
            continue
        expand = (name.count("'") + name.count('"')) == (rest.count("'") + rest.count('"'))
        fd = int(m.group(1)) if m.group(1) else 0
        out.append((name, fd, expand, m.group(2) == "-"))
    return out


# --- the parser ----------------------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def parse(source: str) -> Dockerfile:
    """Parse Dockerfile text. Raises :class:`ParseError` where BuildKit would fail."""
    bom = BOM if source.startswith(BOM) else ""
    body = source[len(bom):]
    lines = _split_lines(body)
    offsets = []
    off = len(bom)
    for raw in lines:
        offsets.append(off)
        off += len(raw)

    escape = "\\"
    dparser = _DirectiveParser()
    directives: list[Directive] = []
    items: list[Item] = []
    i, n = 0, len(lines)
    while i < n:
        raw = lines[i]
        lineno = i + 1
        content = _lstrip_go(_trim_newline(raw))
        directive = dparser.parse_line(content, lineno)
        if directive is not None:
            if directive.name == "escape":
                if directive.value not in ("\\", "`"):
                    raise ParseError(
                        f"invalid escape token '{directive.value}' does not match ` or \\", lineno
                    )
                escape = directive.value
            directives.append(directive)
            items.append(Trivia("directive", raw, offsets[i], lineno))
            i += 1
            continue
        if _is_comment(raw):
            items.append(Trivia("comment", raw, offsets[i], lineno))
            i += 1
            continue
        cut = _continuation_cut(content, escape)
        if cut is None and content == "":
            items.append(Trivia("blank", raw, offsets[i], lineno))
            i += 1
            continue
        ins, i = _parse_instruction(lines, offsets, i, escape)
        items.append(ins)

    if not any(isinstance(it, Instruction) for it in items):
        raise ParseError("file with no instructions", max(len(lines), 1))
    return Dockerfile(
        source=source,
        items=tuple(items),
        escape=escape,
        directives=tuple(directives),
        bom=bom,
        _line_starts=_line_starts(source),
    )


def _parse_instruction(
    lines: list[str], offsets: list[int], first: int, escape: str
) -> tuple[Instruction, int]:
    raw = lines[first]
    content_full = _trim_newline(raw)
    content = _lstrip_go(content_full)
    lead = len(content_full) - len(content)
    pieces: list[str] = []
    segments: list[Segment] = []
    logical_len = 0

    def add_piece(text: str, file_start: int) -> None:
        nonlocal logical_len
        if text:
            pieces.append(text)
            segments.append(Segment(logical_len, file_start, len(text)))
            logical_len += len(text)

    cut = _continuation_cut(content, escape)
    add_piece(content if cut is None else content[:cut], offsets[first] + lead)
    i = first + 1
    eol = cut is None
    while not eol and i < len(lines):
        raw_i = lines[i]
        i += 1
        if _is_comment(raw_i):
            continue
        c = _trim_newline(raw_i)
        if _lstrip_go(c) == "":
            continue
        cut = _continuation_cut(c, escape)
        eol = cut is None
        add_piece(c if eol else c[:cut], offsets[i - 1])
    logical = "".join(pieces)
    if not segments:  # a lone continuation at EOF: keep a map for offset queries
        segments.append(Segment(0, offsets[first] + lead, 0))
    smap = SourceMap(tuple(segments))
    start_line = first + 1

    try:
        fields = _split_command(logical, 0)
        cmd = fields.keyword.upper()
        value, is_json = decode_value(cmd, fields.args, escape)
        sub_fields = None
        sub_value: tuple[str, ...] = ()
        sub_json = False
        if cmd == "ONBUILD" and fields.args:
            sub_fields = _split_command(logical, fields.args_pos)
            sub_value, sub_json = decode_value(sub_fields.keyword.upper(), sub_fields.args, escape)
            # BuildKit decodes ``ONBUILD ONBUILD ...`` all the way down, so errors surface there.
            nested = sub_fields
            while nested.keyword.upper() == "ONBUILD" and nested.args:
                nested = _split_command(logical, nested.args_pos)
                decode_value(nested.keyword.upper(), nested.args, escape)
    except ValueError as exc:
        raise ParseError(str(exc), start_line) from None

    # Heredocs.
    heredocs: list[Heredoc] = []
    host_cmd = sub_fields.keyword.upper() if sub_fields is not None else cmd
    host_json = sub_json if sub_fields is not None else is_json
    if host_cmd in _HEREDOC_KEYWORDS and not host_json and "<<" in logical:
        for name, fd, expand, chomp in heredocs_in_line(logical):
            body_start = offsets[i] if i < len(lines) else offsets[-1] + len(lines[-1])
            chunks = []
            terminated = False
            while i < len(lines):
                line = lines[i]
                i += 1
                candidate = _trim_newline(line)
                if chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == name:
                    terminated = True
                    break
                chunks.append(line)
            if not terminated:
                raise ParseError("unterminated heredoc", start_line)
            body_end = offsets[i - 1] + len(lines[i - 1])
            heredocs.append(Heredoc(name, fd, expand, chomp, "".join(chunks), body_start, body_end))

    start = offsets[first]
    text = "".join(lines[first:i])
    ending = raw[len(content_full):]

    def make_flags(f: _Fields) -> tuple[Flag, ...]:
        out = []
        for raw_flag, a, b in f.flags:
            body = raw_flag[2:] if raw_flag.startswith("--") else raw_flag
            name, eq, val = body.partition("=")
            fs, fe = smap.to_file_span(a, b)
            out.append(Flag(raw_flag, name, val if eq else None, fs, fe))
        return tuple(out)

    sub = None
    if sub_fields is not None:
        sub = Instruction(
            text=text,
            start=start,
            start_line=start_line,
            end_line=i,
            keyword=sub_fields.keyword,
            keyword_start=smap.to_file(sub_fields.keyword_pos),
            flags=make_flags(sub_fields),
            args=sub_fields.args,
            args_start=sub_fields.args_pos,
            logical=logical,
            source_map=smap,
            value=sub_value,
            is_json=sub_json,
            heredocs=tuple(heredocs),
            line_ending=ending,
        )
    ins = Instruction(
        text=text,
        start=start,
        start_line=start_line,
        end_line=i,
        keyword=fields.keyword,
        keyword_start=smap.to_file(fields.keyword_pos),
        flags=make_flags(fields),
        args=fields.args,
        args_start=fields.args_pos,
        logical=logical,
        source_map=smap,
        value=sub_value if sub is not None else value,
        is_json=sub_json if sub is not None else is_json,
        heredocs=tuple(heredocs),
        sub=sub,
        line_ending=ending,
    )
    return ins, i
