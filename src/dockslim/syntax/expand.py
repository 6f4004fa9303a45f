"""Variable substitution as BuildKit does it for instruction arguments (``shell/lex.go``).

Used to resolve things like ``FROM ${BASE}`` or ``WORKDIR $APP_HOME``. Supports ``$VAR``,
``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``, ``${VAR:+word}``, ``${VAR+word}``,
``${VAR:?msg}``, ``${VAR?msg}``, ``${VAR#pat}``, ``${VAR##pat}``, ``${VAR%pat}``,
``${VAR%%pat}``, ``${VAR/pat/repl}``, ``${VAR//pat/repl}``; single quotes (literal), double quotes,
and the file's escape character. Unset variables expand to the empty string.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExpandError(ValueError):
    pass


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand ``word`` with ``env``; quotes are removed like BuildKit's ProcessWord."""
    out, _ = _Lexer(word, env, escape).process(stop=None)
    return out


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str):
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def process(self, stop: str | None) -> tuple[str, bool]:
        """Read until ``stop`` (unquoted) or the end; returns (text, stopped)."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if stop is not None and ch in stop:
                return "".join(out), True
            if ch == self.escape:
                self.pos += 1
                if self.pos < len(self.text):
                    out.append(self.next())
                continue
            if ch == "'":
                self.pos += 1
                end = self.text.find("'", self.pos)
                if end == -1:
                    raise ExpandError("unexpected end of statement while looking for matching single-quote")
                out.append(self.text[self.pos:end])
                self.pos = end + 1
                continue
            if ch == '"':
                self.pos += 1
                out.append(self.double_quoted())
                continue
            if ch == "$":
                out.append(self.dollar())
                continue
            out.append(self.next())
        return "".join(out), False

    def double_quoted(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise ExpandError("unexpected end of statement while looking for matching double-quote")
            ch = self.peek()
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == self.escape:
                nxt = self.text[self.pos + 1: self.pos + 2]
                if nxt in ('"', "$", self.escape):
                    out.append(nxt)
                    self.pos += 2
                    continue
                out.append(ch)
                self.pos += 1
                continue
            if ch == "$":
                out.append(self.dollar())
                continue
            out.append(self.next())

    def dollar(self) -> str:
        self.pos += 1  # '$'
        ch = self.peek()
        if ch == "{":
            self.pos += 1
            return self.braced()
        m = _NAME.match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return self.env.get(m.group(0), "")
        if ch and (ch.isdigit() or ch in "@*#?$!-"):  # special parameters: empty in a Dockerfile
            self.pos += 1
            return ""
        return "$"

    def braced(self) -> str:
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise ExpandError(f"bad substitution in {self.text!r}")
        name = m.group(0)
        self.pos = m.end()
        value = self.env.get(name)
        ch = self.next()
        if ch == "}":
            return value or ""
        if ch == ":":
            op = self.next()
            word, _ = self.process("}")
            self.pos += 1
            if op == "-":
                return value if value else word
            if op == "+":
                return word if value else ""
            if op == "?":
                if not value:
                    raise ExpandError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            raise ExpandError(f"unsupported modifier (:{op}) in substitution")
        if ch in "-+?":
            word, _ = self.process("}")
            self.pos += 1
            if ch == "-":
                return value if value is not None else word
            if ch == "+":
                return word if value is not None else ""
            if value is None:
                raise ExpandError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        if ch in "#%":
            longest = self.peek() == ch
            if longest:
                self.pos += 1
            pattern, _ = self.process("}")
            self.pos += 1
            return _trim(value or "", pattern, prefix=ch == "#", longest=longest)
        if ch == "/":
            all_ = self.peek() == "/"
            if all_:
                self.pos += 1
            pattern, stopped = self.process("/}")
            repl = ""
            if stopped and self.peek() == "/":
                self.pos += 1
                repl, _ = self.process("}")
            self.pos += 1
            return _replace(value or "", pattern, repl, all_)
        raise ExpandError(f"bad substitution in {self.text!r}")


def _trim(value: str, pattern: str, prefix: bool, longest: bool) -> str:
    n = len(value)
    cuts = range(n, -1, -1) if longest else range(0, n + 1)
    for k in cuts:
        part = value[:k] if prefix else value[n - k:]
        if fnmatch.fnmatchcase(part, pattern):
            return value[k:] if prefix else value[: n - k]
    return value


def _replace(value: str, pattern: str, repl: str, all_: bool) -> str:
    if not pattern:
        return value
    out: list[str] = []
    i = 0
    while i <= len(value):
        for j in range(len(value), i, -1):  # longest match at i
            if fnmatch.fnmatchcase(value[i:j], pattern):
                out.append(repl)
                i = j
                if not all_:
                    return "".join(out) + value[i:]
                break
        else:
            if i < len(value):
                out.append(value[i])
            i += 1
    return "".join(out)
