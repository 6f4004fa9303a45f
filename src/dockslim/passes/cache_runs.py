"""cache-cleanup's model of one RUN, and the questions it asks about cache folders.

Where is a cache (``~`` is the home of the RUN's user), does a command delete it, is it mounted,
turned off by the environment, cleaned after its last use, copied out by another stage.
"""

from __future__ import annotations

import posixpath
from bisect import bisect_right
from collections.abc import Callable, Sequence

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
    # cache key -> (starts of its commands, running maximum; the cache's variables after each
    # prefix of them): built once, so that env_off at every command of a long RUN stays linear
    env_timelines: dict[str, tuple[list[int], list[dict[str, str]]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Use:
    """One command that fills a cache, and where a flag would go (logical offset, or None)."""

    cache: Cache
    cmd: Command
    flag_at: int | None = None
    flag: str = ""
    tool: str = ""


class Below:
    """Questions about the RUNs of the stages built FROM a stage (directly or not), each stage's
    answer computed once from its children's (a chain of stages is not walked per stage)."""

    def __init__(self, children: dict[int, list[int]], runs_of: dict[int, list[Run]]):
        self.children, self.runs_of = children, runs_of
        self.subtree: dict[tuple[Callable[[Run], bool], int], bool] = {}

    def any(self, index: int, question: Callable[[Run], bool]) -> bool:
        """Whether ``question`` holds for a RUN of a stage built FROM stage ``index``."""
        return any(self._within(child, question) for child in self.children.get(index, ()))

    def _within(self, index: int, question: Callable[[Run], bool]) -> bool:
        if (question, index) not in self.subtree:
            # Deepest first: each stage's answer is known before its parent asks (no recursion).
            order, todo = [], [index]
            while todo:
                k = todo.pop()
                order.append(k)
                todo.extend(c for c in self.children.get(k, ()) if (question, c) not in self.subtree)
            for k in reversed(order):
                self.subtree[(question, k)] = any(question(r) for r in self.runs_of[k]) or any(
                    self.subtree[(question, c)] for c in self.children.get(k, ()))
        return self.subtree[(question, index)]


class Later:
    """The RUNs after one RUN: the rest of its stage, then those of the stages built FROM it.

    :meth:`any` answers a question about all of them from a table the stage's RUNs share
    (``memo``), built once from the end: asking it for every RUN costs one pass, not one each."""

    def __init__(self, runs: list[Run], start: int, below: Callable[[Callable[[Run], bool]], bool],
                 memo: dict[Callable[[Run], bool], list[bool]] | None = None):
        self.runs, self.start, self.below = runs, start, below
        self.memo = {} if memo is None else memo

    def any(self, question: Callable[[Run], bool]) -> bool:
        """``any(question(r) for r in the later RUNs)``; ``question`` must be the same object each
        time it is asked (a module-level function or a bound method)."""
        table = self.memo.get(question)
        if table is None:
            table = [False] * (len(self.runs) + 1)
            table[-1] = self.below(question)
            for i in range(len(self.runs) - 1, -1, -1):
                table[i] = table[i + 1] or question(self.runs[i])
            self.memo[question] = table
        return table[self.start]


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
    starts, after = _env_timeline(run, cache)
    values = dict(after[bisect_right(starts, cmd.start)])  # every command up to cmd, in order
    if not (cmd.basename == "export" or not cmd.argv):
        _assign(values, cmd, cache.env_off)
    for name in cache.env_off:
        value = values.get(name)
        if value is None or value == "":
            continue
        if name in ENV_OFF_ANY_VALUE or value.lower() in _TRUTHY:
            return True
    return False


def _env_timeline(run: Run, cache: Cache) -> tuple[list[int], list[dict[str, str]]]:
    """The starts of the RUN's commands (running maximum: the first larger one is where a scan
    in order stops) and the cache's variables after each prefix of them (``after[k]``: once the
    first k commands ran)."""
    key = repr(cache.env_off)
    known = run.env_timelines.get(key)
    if known is None:
        assert run.script is not None
        names = cache.env_off
        values = {k: v for k, v in run.env.items() if k in names}
        starts: list[int] = []
        after = [values]
        for other in run.script.commands:
            starts.append(max(other.start, starts[-1]) if starts else other.start)
            if other.basename == "export" or not other.argv:
                values = dict(values)
                _assign(values, other, names)
            after.append(values)
        known = run.env_timelines[key] = (starts, after)
    return known


def _assign(values: dict[str, str], cmd: Command, names: Sequence[str]) -> None:
    """Record the `NAME=value` words of ``cmd`` (its arguments and prefix assignments) among
    ``names`` into ``values``."""
    for word in (cmd.argv[1:] if cmd.argv else ()) + cmd.assignments:
        if word.value and "=" in word.value:
            k, v = word.value.split("=", 1)
            if k in names:
                values[k] = v


def may_run_go(r: Run) -> bool:
    """A later RUN that may use go's caches."""
    return r.script is None or bool(r.script.commands_named("go"))


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
