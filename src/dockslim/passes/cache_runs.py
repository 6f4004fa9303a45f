"""cache-cleanup's model of one RUN, and the questions it asks about cache folders.

Where is a cache (``~`` is the home of the RUN's user), does a command delete it, is it mounted,
turned off by the environment, cleaned after its last use, copied out by another stage.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from .._records import dataclass, field
from ..managers import Cache
from ..managers.python import ENV_OFF_ANY_VALUE
from ..syntax import Instruction
from ..syntax.shell import Command, Script, Word

_TRUTHY = frozenset({"1", "true", "yes", "on", "y"})


@dataclass
class Run:
    ins: Instruction
    script: Script | None
    why_not: str | None  # why its body cannot be rewritten
    mounts: list[tuple[str, str]]  # (type, target)
    user_root: bool
    env: dict[str, str]
    apt_updates: list[Command] = field(default_factory=list)
    apt_needs: list[Command] = field(default_factory=list)
    apt_cleans: list[Command] = field(default_factory=list)
    hidden_update: bool = False  # add-apt-repository & co. refresh the lists themselves
    append_hazard: str | None = None  # why `&& cleanup` may not be appended to its body


@dataclass(frozen=True)
class Use:
    """One command that fills a cache, and where a flag would go (logical offset, or None)."""

    cache: Cache
    cmd: Command
    flag_at: int | None = None
    flag: str = ""
    tool: str = ""


class Later:
    """The RUNs after one RUN (the rest of its stage, then its descendants'), iterable any number
    of times, without copying them for every RUN (a long file has thousands of RUNs)."""

    def __init__(self, runs: list[Run], start: int, descendants: list[Run]):
        self.runs, self.start, self.descendants = runs, start, descendants

    def __iter__(self) -> Iterator[Run]:
        for i in range(self.start, len(self.runs)):
            yield self.runs[i]
        yield from self.descendants


def home(run: Run) -> str | None:
    return "/root" if run.user_root else None


def expand(path: str, run: Run) -> str | None:
    if path.startswith("~"):
        folder = home(run)
        return None if folder is None else folder + path[1:]
    return path


def _word_path(word: Word, run: Run) -> str | None:
    text = word.value
    if text is None:
        raw = word.text.strip("'\"")
        for prefix in ("~", "$HOME", "${HOME}"):
            if raw.startswith(prefix):
                text = "~" + raw[len(prefix):]
                break
        else:
            return None
    if text.startswith("~"):
        text = expand(text, run) or text
    return text


def removes(cmd: Command, run: Run, path: str) -> bool:
    """``cmd`` deletes ``path`` or its contents (``rm -rf /var/lib/apt/lists/*``, ``find ... -delete``)."""
    if cmd.basename == "rm":
        words = [w for w in cmd.argv[1:] if not (w.value or w.text).startswith("-")]
    elif cmd.basename == "find" and any(w.value in ("-delete", "-exec") for w in cmd.argv):
        words = list(cmd.argv[1:2])
    else:
        return False
    for word in words:
        value = _word_path(word, run)
        if value is None:
            continue
        value = value.rstrip("/")
        while value.endswith("/*") or value.endswith("/.*"):
            value = value.rsplit("/", 1)[0]
        if not value or value == "/":
            continue
        if value == path or path.startswith(value + "/"):
            return True
        if value.startswith(path + "/") and any(c in value[len(path):] for c in "*?["):
            return True
    return False


def mounted(run: Run, cache: Cache) -> bool:
    """A cache or tmpfs mount covers one of the cache's folders."""
    for kind, target in run.mounts:
        if kind not in ("cache", "tmpfs") or not target or target == "/":
            continue
        for path in cache.folders:
            full = expand(path, run)
            if full and (full == target or full.startswith(target + "/") or target.startswith(full + "/")):
                return True
    return False


def env_off(run: Run, cache: Cache, cmd: Command) -> bool:
    """The environment of ``cmd`` (ENV, exports before it, its own assignments) turns the cache off."""
    values = dict(run.env)
    assert run.script is not None
    for other in run.script.commands:
        if other.start > cmd.start:
            break
        if other.basename == "export" or other is cmd or not other.argv:
            for word in (other.argv[1:] if other.argv else ()) + other.assignments:
                if word.value and "=" in word.value:
                    k, v = word.value.split("=", 1)
                    values[k] = v
    for name in cache.env_off:
        value = values.get(name)
        if value is None or value == "":
            continue
        if name in ENV_OFF_ANY_VALUE or value.lower() in _TRUTHY:
            return True
    return False


def cleaned_after(run: Run, position: int, cache: Cache, is_cleanup: Callable[[Command], bool]) -> bool:
    """A command at or after ``position`` empties the cache (its cleanup, or ``rm`` of a folder)."""
    assert run.script is not None
    folders = [p for p in (expand(x, run) for x in cache.folders) if p]
    for cmd in run.script.commands:
        if cmd.start < position:
            continue
        if is_cleanup(cmd):
            return True
        if any(removes(cmd, run, p) for p in folders):
            return True
    return False


def copied(paths: list[str], cache: Cache, run: Run) -> bool:
    """Another stage copies one of the cache's folders (or a folder holding it) out of this stage."""
    for source in paths:
        src = posixpath.normpath("/" + source.lstrip("/")) if source.startswith("/") else None
        if src is None:
            continue
        for path in cache.folders:
            full = expand(path, run)
            if full and (src == "/" or full == src or full.startswith(src + "/") or src.startswith(full + "/")):
                return True
    return False


def plain_path(path: str) -> bool:
    return path.startswith("/") and all(c.isalnum() or c in "/._-" for c in path)


def image_name(base: str) -> str:
    name = base.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for prefix in ("docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name.lower()
