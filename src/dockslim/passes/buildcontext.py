"""What a `COPY`/`ADD` from the build context copies: the context's files minus `.dockerignore`.

Read-only view of the build context for passes that must prove something about files. Patterns
follow moby/patternmatcher as BuildKit applies them: each line is cleaned like a path, `*` and `?`
stay within one path component, `**` spans any number of them, `!` re-includes, the last matching
line wins, and a pattern that matches a folder excludes everything below it.
"""

from __future__ import annotations

import os
import posixpath
import re
from functools import lru_cache
from pathlib import Path

from .._records import dataclass

IGNORE_FILE = ".dockerignore"


_WILDCARDS = frozenset("*?[\\")


@dataclass(frozen=True)
class IgnoreRule:
    negate: bool
    pattern: str
    regex: re.Pattern[str] | None  # None: a literal pattern, matched by equality (no regex to build)

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None if self.regex is not None else path == self.pattern


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return re.compile("".join(out))


def parse_ignore(text: str) -> tuple[IgnoreRule, ...]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        pattern = posixpath.normpath(line.lstrip("/")) if line.lstrip("/") else "."
        if pattern == ".":
            continue  # BuildKit drops a pattern that cleans to the context root
        literal = _WILDCARDS.isdisjoint(pattern)
        rules.append(IgnoreRule(negate, pattern, None if literal else _compile(pattern)))
    return tuple(rules)


def is_ignored(rel: str, rules: tuple[IgnoreRule, ...]) -> bool:
    """Whether the context path ``rel`` (posix, relative) is excluded by ``rules``."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.matches(p) for p in prefixes):
            ignored = not rule.negate
    return ignored


def ignore_file(context: Path, dockerfile_path: str | None = None) -> Path | None:
    """The ignore file BuildKit would use: `<Dockerfile>.dockerignore` first, then `.dockerignore`."""
    if dockerfile_path and dockerfile_path != "-":
        specific = Path(dockerfile_path + IGNORE_FILE)
        if specific.is_file():
            return specific
    candidate = context / IGNORE_FILE
    return candidate if candidate.is_file() else None


@dataclass(frozen=True)
class ContextView:
    """The files a broad `COPY . <dest>` copies: every context path not excluded."""

    root: Path
    rules: tuple[IgnoreRule, ...]
    has_ignore_file: bool
    known: bool = True  # False: the context is unknown and holds nothing we could prove

    @classmethod
    def unknown(cls) -> ContextView:
        return cls(Path("/nonexistent-build-context"), (), False, known=False)

    def copied(self, rel: str) -> bool:
        return self.known and not is_ignored(rel, self.rules)

    def is_file(self, rel: str) -> bool:
        """A regular file (not a symlink) at ``rel`` that the copy brings along."""
        path = self.root / rel
        return self.copied(rel) and path.is_file() and not path.is_symlink()

    def exists(self, rel: str) -> bool:
        return self.copied(rel) and os.path.lexists(self.root / rel)

    def read(self, rel: str) -> str | None:
        if not self.is_file(rel):
            return None
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def copied_under(self, rel_dir: str) -> list[str]:
        """Context paths inside ``rel_dir`` (or ``rel_dir`` itself) that the copy brings along."""
        if not self.known:
            return []
        base = self.root / rel_dir
        if not os.path.lexists(base):
            return []
        if not base.is_dir() or base.is_symlink():
            return [rel_dir] if self.copied(rel_dir) else []
        out = []
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(dirnames + filenames):
                rel = f"{here}/{name}" if here != "." else name
                if self.copied(rel):
                    out.append(rel)
            if len(out) > 50:
                break
        return out

    def files(self) -> list[str]:
        """Every copied path (files and folders), sorted; at most a few thousand."""
        out: list[str] = []
        if not self.known:
            return out
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath).relative_to(self.root).as_posix()
            keep = []
            for d in sorted(dirnames):
                rel = f"{here}/{d}" if here != "." else d
                if self.copied(rel) or any(r.negate for r in self.rules):
                    keep.append(d)
                if self.copied(rel):
                    out.append(rel)
            dirnames[:] = keep
            for f in sorted(filenames):
                rel = f"{here}/{f}" if here != "." else f
                if self.copied(rel):
                    out.append(rel)
            if len(out) > 5000:
                break
        return sorted(out)


@lru_cache(maxsize=64)
def _view(root: str, ignore_path: str | None, _mtime: float) -> ContextView:  # mtime: a cache key
    rules: tuple[IgnoreRule, ...] = ()
    if ignore_path is not None:
        try:
            rules = parse_ignore(Path(ignore_path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            rules = ()
    return ContextView(Path(root), rules, ignore_path is not None)


def context_view(context: Path | None, dockerfile_path: str | None = None) -> ContextView | None:
    """The view of ``context`` (None when unknown or not a folder)."""
    if context is None or not context.is_dir():
        return None
    found = ignore_file(context, dockerfile_path)
    mtime = found.stat().st_mtime if found is not None else 0.0
    return _view(str(context.resolve()), str(found) if found is not None else None, mtime)
