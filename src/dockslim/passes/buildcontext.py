"""What a `COPY`/`ADD` from the build context copies: the context's files minus `.dockerignore`.

The one read-only view of the build context passes get (``ctx.view()``): a pass never opens a
file itself, so it is a pure function of (tree, view) and a test can hand it a
:class:`MemoryContext`. :class:`BuildContext` is what a view answers; :class:`ContextView` reads a
folder on disk. Patterns follow moby/patternmatcher as BuildKit applies them: each line is cleaned
like a path, `*` and `?` stay within one path component, `**` spans any number of them, `!`
re-includes, the last matching line wins, and a pattern that matches a folder excludes everything
below it.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from .._records import dataclass, field

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


class BuildContext(Protocol):
    """What a pass may ask of the build context. Paths are context-relative posix paths; a path
    excluded by `.dockerignore` is not there."""

    @property
    def known(self) -> bool: ...  # False: nothing is known, nothing can be proven
    @property
    def has_ignore_file(self) -> bool: ...
    def copied(self, rel: str) -> bool: ...
    def exists(self, rel: str) -> bool: ...
    def is_file(self, rel: str) -> bool: ...  # a regular file (not a symlink)
    def is_dir(self, rel: str) -> bool: ...
    def read(self, rel: str) -> str | None: ...  # UTF-8 text of a regular file
    def head(self, rel: str, size: int) -> bytes | None: ...  # first bytes (a symlink is followed inside)
    def glob(self, pattern: str) -> list[str]: ...  # paths a COPY/ADD source pattern names
    def walk(self, rel: str, limit: int) -> list[str]: ...  # files at or under rel
    def copied_under(self, rel_dir: str) -> list[str]: ...
    def files(self) -> list[str]: ...
    def relative_path(self, path: str) -> str | None: ...  # a file on disk, relative to the context


_GLOB_MAGIC = re.compile(r"[*?\[]")


def source_path(source: str) -> str | None:
    """The context-relative path a COPY/ADD source names (``./a/../b`` -> ``b``; None outside)."""
    rel = posixpath.normpath(source.lstrip("/")) if source.lstrip("/") else "."
    return None if rel == ".." or rel.startswith("../") else rel


def has_magic(pattern: str) -> bool:
    return _GLOB_MAGIC.search(pattern) is not None


class _Queries:
    """glob and walk over a view's folder listing (Go's filepath.Match per component, as BuildKit:
    ``*`` matches names starting with a dot too)."""

    def _names(self, rel: str) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def _lexists(self, rel: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def copied(self, rel: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def is_dir(self, rel: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def glob(self, pattern: str) -> list[str]:
        rel = source_path(pattern)
        if rel is None:
            return []
        found = [""]
        for part in ([] if rel == "." else rel.split("/")):
            following = []
            for base in found:
                if not has_magic(part):
                    candidate = f"{base}/{part}" if base else part
                    if self._lexists(candidate):
                        following.append(candidate)
                    continue
                following += [f"{base}/{n}" if base else n for n in self._names(base)
                              if fnmatch.fnmatchcase(n, part)]
            found = following
        return sorted(f or "." for f in found if not f or self.copied(f))

    def walk(self, rel: str, limit: int) -> list[str]:
        if not self._lexists(rel) or not self.copied(rel):
            return []
        if not self.is_dir(rel):
            return [rel]
        out: list[str] = []
        pending = [rel]
        while pending and len(out) < limit:
            folder = pending.pop()
            for name in sorted(self._names(folder)):
                path = f"{folder}/{name}" if folder not in ("", ".") else name
                if not self.copied(path):
                    continue
                if self.is_dir(path):
                    pending.append(path)
                else:
                    out.append(path)
        return out[:limit]


@dataclass(frozen=True)
class ContextView(_Queries):
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

    def is_dir(self, rel: str) -> bool:
        return self.copied(rel) and self._inside(rel) and (self.root / rel).is_dir()

    def _inside(self, rel: str) -> bool:
        """``rel``, symlinks followed, stays in the context."""
        root = self.root.resolve()
        target = (root / rel).resolve()
        return target == root or root in target.parents

    def _lexists(self, rel: str) -> bool:
        return self.known and os.path.lexists(self.root / rel)

    def _names(self, rel: str) -> list[str]:
        folder = self.root / rel if rel else self.root
        if not self.known or not self._inside(rel or ".") or not folder.is_dir():
            return []
        try:
            return sorted(os.listdir(folder))
        except OSError:
            return []

    def head(self, rel: str, size: int) -> bytes | None:
        if not self.copied(rel) or not self._inside(rel):
            return None
        try:
            with (self.root / rel).open("rb") as fh:
                return fh.read(size)
        except OSError:
            return None

    def relative_path(self, path: str) -> str | None:
        if path in ("-", "") or not self.known:
            return None
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None

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


@dataclass(frozen=True)
class MemoryContext(_Queries):
    """A build context held in memory, for tests: ``{"requirements.txt": "flask\\n", "src/app.py": b""}``.

    Folders are implied by the file paths; a ``.dockerignore`` among the files is honoured as on disk.
    """

    contents: Mapping[str, str | bytes] = field(default_factory=dict)
    known: bool = True

    @property
    def rules(self) -> tuple[IgnoreRule, ...]:
        text = self.contents.get(IGNORE_FILE)
        if text is None:
            return ()
        return parse_ignore(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)

    @property
    def has_ignore_file(self) -> bool:
        return IGNORE_FILE in self.contents

    def _folders(self) -> set[str]:
        out: set[str] = set()
        for path in self.contents:
            parts = path.split("/")
            out.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return out

    def copied(self, rel: str) -> bool:
        return self.known and not is_ignored(rel, self.rules)

    def _lexists(self, rel: str) -> bool:
        return rel in (".", "") or rel in self.contents or rel in self._folders()

    def exists(self, rel: str) -> bool:
        return self.copied(rel) and self._lexists(rel)

    def is_file(self, rel: str) -> bool:
        return self.copied(rel) and rel in self.contents

    def is_dir(self, rel: str) -> bool:
        return self.copied(rel) and (rel in (".", "") or rel in self._folders())

    def _names(self, rel: str) -> list[str]:
        prefix = "" if rel in ("", ".") else rel + "/"
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self.contents if p.startswith(prefix)})

    def _bytes(self, rel: str) -> bytes | None:
        data = self.contents.get(rel) if self.copied(rel) else None
        return data.encode("utf-8") if isinstance(data, str) else data

    def read(self, rel: str) -> str | None:
        data = self._bytes(rel)
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def head(self, rel: str, size: int) -> bytes | None:
        data = self._bytes(rel)
        return data[:size] if data is not None else None

    def copied_under(self, rel_dir: str) -> list[str]:
        if not self._lexists(rel_dir):
            return []
        if not self.is_dir(rel_dir):
            return [rel_dir] if self.copied(rel_dir) else []
        inside = sorted(p for p in self.contents.keys() | self._folders() if p.startswith(rel_dir + "/"))
        return [p for p in inside if self.copied(p)][:51]

    def files(self) -> list[str]:
        if not self.known:
            return []
        return sorted(p for p in self.contents.keys() | self._folders() if self.copied(p))

    def relative_path(self, path: str) -> str | None:  # noqa: ARG002 - no file on disk is in memory
        return None
