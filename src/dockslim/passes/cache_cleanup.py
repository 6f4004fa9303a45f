from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from functools import partial
from typing import Any, Callable, Iterator, Sequence

from .._records import dataclass, field
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.shell import Command, Script, Word
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .shellquery import and_append_hazard, run_script, shell_errexit, unreadable_reason
from .textutil import continuation_indent, file_end, file_start

_SYNTAX_LINE = "# syntax=docker/dockerfile:1"
_TRUTHY_ANY = ("PIP_NO_CACHE_DIR",)  # pip disables its cache for any boolean value, even "false"
_TRUTHY = frozenset({"1", "true", "yes", "on", "y"})
_LISTED = 10  # a message names at most this many other RUNs ("and N more"): its size stays bounded


class CacheCleanup(Pass):
    """## What it does
    Makes each `RUN` that fills a package-manager cache leave none behind in its layer:

    | manager | fix |
    |---|---|
    | apt-get / apt | `&& rm -rf /var/lib/apt/lists/*` in the RUN that runs `apt-get update` |
    | apk | `--no-cache` on `apk add`; `apk update &&` before it is dropped |
    | pip, pip3, `python -m pip` | `--no-cache-dir` |
    | uv | `--no-cache` |
    | npm / yarn (v1) | `&& npm cache clean --force` / `&& yarn cache clean` |
    | yum / dnf / microdnf, zypper | `&& dnf clean all`, `&& zypper clean -a` |
    | composer, conda / mamba | `&& composer clear-cache`, `&& conda clean -afy` |
    | poetry, pipenv, bundler / gem | `&& rm -rf` of their download cache folders |
    | go (final stage only) | `&& go clean -cache -modcache` |
    | gem | `--no-document` (unsafe) |

    It is stage-aware for apt: when a later RUN of the stage (or of a stage built `FROM` it)
    installs with the lists an earlier RUN downloaded, that later RUN gets its own
    `apt-get update`, so both can clean up; a RUN that only runs `apt-get update` is removed
    once the RUNs after it update for themselves.

    Nothing is changed where the cache is already handled: `ENV PIP_NO_CACHE_DIR=1` (or any
    value pip accepts), an existing `rm -rf /var/lib/apt/lists/*` (any spelling), a cleanup
    command after the last use, or a `--mount=type=cache` / `type=tmpfs` on the cache folder
    (adding `--no-cache-dir` there would defeat the mount).

    With `--cache-style mount` (or `cache-style = "mount"` in the configuration) pip, uv, npm,
    yarn, pnpm, go and apt get BuildKit cache mounts instead (`RUN
    --mount=type=cache,target=/root/.cache/pip ...`), and `# syntax=docker/dockerfile:1` is added
    when the file has no syntax directive: small images *and* fast rebuilds.

    ## Why is this bad?
    Package indexes and download caches are the largest avoidable weight in real images: tens to
    hundreds of MB that nothing at run time reads. Layers are immutable, so a cache removed in a
    later `RUN` still ships; the cleanup must happen in the `RUN` that creates it (hadolint
    DL3009, DL3019, DL3042, DL3060, DL3032, DL3040, DL3036).

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    RUN pip install flask
    ```
    becomes
    ```dockerfile
    RUN apt-get update && apt-get install -y curl \\
        && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir flask
    ```

    ## Fix safety
    Safe: the build runs the same commands on the same files; only cache files differ.
    - The cleanup is appended as `&& cleanup` after the body's last statement -- never after a
      compound command (`if`, `for`, `{ }`, `( )`) while `set -e` is in force, since `&&` would
      switch errexit off inside it (a note says so). For an and-chain
      the RUN fails exactly when it did. For `a; b` or `a || b` the shell reads
      `a; (b && cleanup)` and `(a || b) && cleanup`: the status is still that of the original
      body, because the cleanup only runs when the body succeeded and cannot fail itself
      (`rm -f`, `clean`). A body that ends in a comment, runs something in the background, does
      not parse, is exec form or a heredoc is left alone (a note says why).
    - `apt-get update` given to a later RUN makes one more call; it reads the same sources
      (it is not inserted when something in between changes `/etc/apt`, nor after `||`).
      Moving a lone `RUN apt-get update` into the RUNs that need it changes only when the
      index is read.
    - Flags go right after the subcommand (`pip install --no-cache-dir`); they change only
      where downloads are kept.
    - yarn's cleanup is not applied when the context shows yarn 2+ (`.yarnrc.yml`), whose
      cache may be the project's own package store; go's only in the last stage, when no later
      RUN uses go and the image does not run go. Home-folder caches are only removed for root.
    - Nothing is cleaned in a stage another stage copies the cache folder out of.
    - Unsafe: `--no-install-recommends` (installs fewer packages), `-y` for apt-get (turns a
      build that stops at the prompt into one that goes on), `apt` -> `apt-get` (`apt` deletes
      downloaded packages itself and upgrades differently), `gem --no-document` (drops the
      gems' documentation), and the apt cache mounts of the mount style (they remove
      `docker-clean` from the image and keep `/var/lib/apt` out of it; without
      `--unsafe-fixes` apt gets the cleanup instead).
    """

    id = "cache-cleanup"
    summary = "The RUN that fills a package-manager cache leaves none behind in its layer"
    safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        return _Checker(ctx, self.id).run()


# --------------------------------------------------------------------------- managers


@dataclass(frozen=True)
class _Manager:
    key: str
    cache: str  # what the cache is, for messages
    weight: str  # a typical size
    paths: tuple[str, ...]  # cache folders ("~" = the home of the RUN's user)
    env_off: tuple[str, ...] = ()  # environment variables that turn the cache off
    mount: tuple[str, ...] = ()  # cache-mount targets for --cache-style mount


_APT = _Manager("apt", "package lists in /var/lib/apt/lists", "~20-50 MB",
                ("/var/lib/apt/lists",), mount=("/var/cache/apt", "/var/lib/apt"))
_APK = _Manager("apk", "package index in /var/cache/apk", "~1-3 MB per repository",
                ("/var/cache/apk",))
_PIP = _Manager("pip", "HTTP and wheel cache in ~/.cache/pip", "about the size of the downloads, often 10-200 MB",
                ("~/.cache/pip", "~/.cache"), ("PIP_NO_CACHE_DIR",), ("~/.cache/pip",))
_UV = _Manager("uv", "package cache in ~/.cache/uv", "about the size of the downloads, often 10-200 MB",
               ("~/.cache/uv", "~/.cache"), ("UV_NO_CACHE",), ("~/.cache/uv",))
_NPM = _Manager("npm", "package cache in ~/.npm", "about the size of node_modules, often 50-300 MB",
                ("~/.npm",), mount=("~/.npm",))
_YARN = _Manager("yarn", "yarn v1 cache in /usr/local/share/.cache/yarn", "about the size of node_modules, often 50-300 MB",
                 ("/usr/local/share/.cache/yarn", "~/.cache/yarn", "/usr/local/share/.cache"),
                 mount=("/usr/local/share/.cache/yarn",))
_PNPM = _Manager("pnpm", "content-addressed store", "about the size of node_modules",
                 ("~/.local/share/pnpm", "~/.pnpm-store"), mount=("~/.local/share/pnpm/store",))
_DNF = _Manager("dnf", "metadata and package cache in /var/cache/dnf or /var/cache/yum", "~50-200 MB",
                ("/var/cache/dnf", "/var/cache/yum"))
_ZYPPER = _Manager("zypper", "metadata and package cache in /var/cache/zypp", "~20-100 MB",
                   ("/var/cache/zypp",))
_COMPOSER = _Manager("composer", "download cache in ~/.composer/cache", "~10-100 MB",
                     ("~/.composer/cache", "~/.cache/composer", "/tmp/cache", "~/.composer"),
                     ("COMPOSER_NO_CACHE",))
_CONDA = _Manager("conda", "package tarballs and index cache in <prefix>/pkgs", "~100 MB-1 GB",
                  ("/opt/conda/pkgs",))
_POETRY = _Manager("poetry", "download cache in ~/.cache/pypoetry/{cache,artifacts}", "~10-200 MB",
                   ("~/.cache/pypoetry", "~/.cache"))
_PIPENV = _Manager("pipenv", "download cache in ~/.cache/pipenv", "~10-200 MB",
                   ("~/.cache/pipenv", "~/.cache"))
_BUNDLER = _Manager("bundler", "downloaded .gem files in $GEM_HOME/cache", "~10-50 MB",
                    ("/usr/local/bundle/cache", "/usr/local/bundle"))
_GEM = _Manager("gem", "ri/rdoc documentation", "~1-20 MB", ())
_GO = _Manager("go", "module and build caches (GOMODCACHE, ~/.cache/go-build)", "~100 MB-1 GB",
               ("/go/pkg/mod", "~/go/pkg/mod", "~/.cache/go-build", "~/.cache"),
               mount=("/go/pkg/mod", "~/.cache/go-build"))

_APT_NEEDS_LISTS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep",
                              "source", "download", "reinstall", "satisfy"})
_APT_TAKES_VALUE = ("-o", "-t", "-c", "--option", "--target-release", "--config-file", "--default-release")
_APT_SAFE_SUBS = frozenset({"update", "install", "remove", "purge", "autoremove", "clean", "autoclean"})
_YES_FLAGS = ("-y", "--yes", "--assume-yes", "--force-yes", "-qq", "-q=2", "--quiet=2")
_APK_TAKES_VALUE = ("--virtual", "-t", "--repository", "-X", "--root", "-p", "--arch",
                    "--repositories-file", "--keys-dir")
_DNF_TAKES_VALUE = ("--setopt", "--enablerepo", "--disablerepo", "--installroot", "-c", "--releasever",
                    "--repo", "--repoid", "--exclude", "-x")
_DNF_USES = frozenset({"install", "groupinstall", "update", "upgrade", "makecache", "reinstall",
                       "localinstall", "group", "distro-sync", "builddep", "module", "update-minimal",
                       "downgrade"})
_ZYPPER_TAKES_VALUE = ("--root", "-R", "--config", "-c", "--repo", "-r", "--releasever")
_ZYPPER_USES = frozenset({"in", "install", "ref", "refresh", "up", "update", "dup", "dist-upgrade",
                          "patch", "si", "source-install", "ar", "addrepo"})
_PIP_TAKES_VALUE = ("--cache-dir", "--log", "--proxy", "--python", "--trusted-host", "-i", "--index-url",
                    "--extra-index-url", "--cert", "--client-cert", "--timeout", "--retries", "--exists-action",
                    "--keyring-provider", "--use-feature", "--use-deprecated")
_PIP_NAME = re.compile(r"pip(\d+(\.\d+)?)?\Z")
_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?\Z")


@dataclass(frozen=True)
class _Use:
    """One command that fills a cache, and where a flag would go (logical offset, or None)."""

    manager: _Manager
    cmd: Command
    flag_at: int | None = None
    flag: str = ""
    tool: str = ""


def _positional_index(cmd: Command, start: int, takes_value: tuple[str, ...] = ()) -> int | None:
    """Index in argv of the first positional word at or after ``start``."""
    skip = False
    for i in range(start, len(cmd.argv)):
        word = cmd.argv[i]
        if skip:
            skip = False
            continue
        marker = word.value if word.value is not None else word.text
        if marker == "--":
            return i + 1 if i + 1 < len(cmd.argv) else None
        if not marker.startswith("-") or marker == "-":
            return i
        if marker in takes_value:
            skip = True
    return None


def _sub(cmd: Command, start: int = 1, takes_value: tuple[str, ...] = ()) -> tuple[int | None, str | None]:
    i = _positional_index(cmd, start, takes_value)
    return (i, cmd.argv[i].value) if i is not None else (None, None)


def _flags_after(cmd: Command, index: int) -> list[str]:
    """Literal option words of argv[index:] (before --)."""
    out = []
    for word in cmd.argv[index:]:
        if word.value == "--":
            break
        if word.value is not None and word.value.startswith("-"):
            out.append(word.value)
    return out


def _has(cmd: Command, index: int, *flags: str) -> bool:
    words = _flags_after(cmd, index)
    return any(w == f or (f.startswith("--") and w.startswith(f + "=")) or
               (len(f) == 2 and f[0] == "-" and re.fullmatch(r"-[A-Za-z0-9]+", w) is not None and f[1] in w[1:])
               for w in words for f in flags)


def _pip_uses(script: Script) -> list[_Use]:
    out = []
    for cmd in script.commands:
        name = cmd.basename or ""
        start = None
        if _PIP_NAME.match(name):
            start = 1
        elif _PYTHON_NAME.match(name) and len(cmd.argv) > 2 and cmd.argv[1].value == "-m" \
                and cmd.argv[2].value in ("pip", "pip3"):
            start = 3
        if start is None:
            continue
        i, sub = _sub(cmd, start, _PIP_TAKES_VALUE)
        if sub != "install" or i is None:
            continue
        if _has(cmd, start, "--no-cache-dir", "--no-cache") or _has(cmd, start, "--cache-dir"):
            continue
        out.append(_Use(_PIP, cmd, cmd.argv[i].end, " --no-cache-dir"))
    return out


def _uv_uses(script: Script) -> list[_Use]:
    out = []
    for cmd in script.commands_named("uv"):
        i, sub = _sub(cmd, 1, ("--cache-dir", "--python", "-p", "--directory", "--project"))
        if sub == "pip" and i is not None:
            i, sub = _sub(cmd, i + 1)
            if sub not in ("install", "sync", "compile"):
                continue
        elif sub == "tool" and i is not None:
            i, sub = _sub(cmd, i + 1)
            if sub != "install":
                continue
        elif sub not in ("sync", "add", "lock", "run", "export"):
            continue
        if i is None or _has(cmd, 1, "--no-cache", "-n", "--cache-dir"):
            continue
        out.append(_Use(_UV, cmd, cmd.argv[i].end, " --no-cache"))
    return out


def _apk_uses(script: Script) -> list[_Use]:
    out = []
    for cmd in script.commands_named("apk"):
        i, sub = _sub(cmd, 1, _APK_TAKES_VALUE)
        if sub in ("add", "upgrade") and i is not None and not _has(cmd, 1, "--no-cache"):
            out.append(_Use(_APK, cmd, cmd.argv[i].end, " --no-cache"))
    return out


def _gem_uses(script: Script) -> list[_Use]:
    out = []
    for cmd in script.commands_named("gem"):
        i, sub = _sub(cmd, 1)
        if sub == "install" and i is not None and not _has(cmd, 1, "--no-document", "-N", "--no-ri",
                                                              "--no-rdoc", "--document"):
            out.append(_Use(_GEM, cmd, cmd.argv[i].end, " --no-document"))
    return out


class _Below:
    """Questions about the RUNs of the stages built FROM a stage (directly or not), each stage's
    answer computed once from its children's (a chain of stages is not walked per stage)."""

    def __init__(self, children: dict[int, list[int]], runs_of: dict[int, list[Any]]):
        self.children, self.runs_of = children, runs_of
        self.subtree: dict[tuple[Any, int], bool] = {}

    def any(self, index: int, question: Callable[[Any], bool]) -> bool:
        """Whether ``question`` holds for a RUN of a stage built FROM stage ``index``."""
        return any(self._within(child, question) for child in self.children.get(index, ()))

    def _within(self, index: int, question: Callable[[Any], bool]) -> bool:
        key = (question, index)
        if key not in self.subtree:
            # Deepest first: each stage's answer is known before its parent asks (no recursion).
            order, todo = [], [index]
            while todo:
                k = todo.pop()
                order.append(k)
                todo.extend(c for c in self.children.get(k, ()) if (question, c) not in self.subtree)
            for k in reversed(order):
                self.subtree[(question, k)] = any(question(r) for r in self.runs_of[k]) or any(
                    self.subtree[(question, c)] for c in self.children.get(k, ()))
        return self.subtree[key]


class _Later:
    """The RUNs after one RUN: the rest of its stage, then those of the stages built FROM it.

    :meth:`any` answers a question about all of them from a table the stage's RUNs share
    (``memo``), built once from the end: asking it for every RUN costs one pass, not one each."""

    def __init__(self, runs: list, start: int, below: Callable[[Callable[[Any], bool]], bool],
                 memo: dict | None = None):
        self.runs, self.start, self.below = runs, start, below
        self.memo = {} if memo is None else memo

    def any(self, question: Callable[[Any], bool]) -> bool:
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


def _simple_uses(script: Script, names: tuple[str, ...], manager: _Manager, subs: frozenset[str],
                 takes_value: tuple[str, ...] = (), bare: bool = False) -> list[_Use]:
    out = []
    for cmd in script.commands_named(*names):
        _, sub = _sub(cmd, 1, takes_value)
        if sub in subs or (bare and sub is None):
            out.append(_Use(manager, cmd, tool=cmd.basename or names[0]))
    return out


def _is_cmd(cmd: Command, names: tuple[str, ...], *subs: str) -> bool:
    if cmd.basename not in names:
        return False
    values = [w.value for w in cmd.argv[1:] if w.value is not None and not w.value.startswith("-")]
    return values[: len(subs)] == list(subs)


# --------------------------------------------------------------------------- the RUN model


@dataclass
class _Run:
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


class _Checker:
    def __init__(self, ctx: Context, pass_id: str) -> None:
        self.ctx = ctx
        self.df: Dockerfile = ctx.dockerfile
        self.id = pass_id
        self.mount_style = ctx.options.cache_style == "mount"
        self.indent = continuation_indent(self.df)
        self.syntax_pending = self.mount_style and self.df.directive("syntax") is None
        self.berry: dict[int, bool] = {}  # stage index -> _yarn_berry
        self.runs_go: dict[int, bool] = {}  # stage index -> _stage_runs_go
        self.env_timelines: dict[tuple[int, str], tuple[list[int], list[dict[str, str]]]] = {}

    # ---------------------------------------------------------------- driver

    def run(self) -> Iterator[Finding]:
        stages = self.df.stages()
        names = {s.name.lower(): s.index for s in stages if s.name}
        parent: dict[int, int] = {}
        for s in stages:
            base = s.base.lower()
            if base in names and names[base] < s.index:
                parent[s.index] = names[base]
        runs_of: dict[int, list[_Run]] = {}
        env_end: dict[int, dict[str, str]] = {}
        root_end: dict[int, bool] = {}
        for s in stages:
            env = dict(env_end.get(parent.get(s.index, -1), {}))
            root = root_end.get(parent.get(s.index, -1), True)
            runs: list[_Run] = []
            errexit_shell = False
            for ins in s.instructions:
                if ins.cmd == "SHELL":
                    errexit_shell = shell_errexit(ins)
                if ins.cmd == "ENV":
                    env.update(ins.pairs())
                elif ins.cmd == "USER":
                    user = (ins.value[0] if ins.value else "").split(":", 1)[0]
                    root = user in ("root", "0")
                elif ins.cmd == "RUN":
                    runs.append(self._model(ins, dict(env), root, errexit_shell))
            runs_of[s.index], env_end[s.index], root_end[s.index] = runs, env, root
        copied = self._copied_out(stages, names)
        last = len(stages) - 1
        children: dict[int, list[int]] = {}
        for child in sorted(parent):
            children.setdefault(parent[child], []).append(child)
        below = _Below(children, runs_of)
        inherited: dict[int, _Run | None] = {}  # stage -> the last RUN of its ancestors to refresh apt's lists
        for s in stages:
            up = parent.get(s.index)
            inherited[s.index] = None if up is None else next(
                (r for r in reversed(runs_of[up]) if r.apt_updates or r.hidden_update), inherited[up])
        for s in stages:
            yield from self._apt(s, runs_of[s.index], inherited[s.index], below.any(s.index, self._blocked),
                                 copied.get(s.index, []))
            memo: dict = {}  # answers about the stage's later RUNs, shared by its RUNs
            for i, run in enumerate(runs_of[s.index]):
                later = _Later(runs_of[s.index], i + 1, partial(below.any, s.index), memo)
                yield from self._others(s, run, later, copied.get(s.index, []), s.index == last)

    def _blocked(self, run: _Run) -> bool:
        """The RUN installs with lists an earlier stage downloaded and cannot get its own."""
        return self._needs_outside_lists(run) and not self._can_insert(run, False)

    def _copied_out(self, stages: tuple[Stage, ...], names: dict[str, int]) -> dict[int, list[str]]:
        """Per stage, the source paths other stages COPY --from it."""
        out: dict[int, list[str]] = {}
        for s in stages:
            for ins in s.instructions:
                if ins.cmd not in ("COPY", "ADD"):
                    continue
                flag = ins.flag("from")
                if flag is None or flag.value is None:
                    continue
                ref = flag.value.lower()
                index = names.get(ref, int(ref) if ref.isdigit() else None)
                if index is None:
                    continue
                sources = list(ins.value[:-1])
                out.setdefault(index, []).extend(sources)
        return out

    def _model(self, ins: Instruction, env: dict[str, str], root: bool, errexit_shell: bool) -> _Run:
        mounts = []
        for flag in ins.flags_named("mount"):
            opts = dict(p.split("=", 1) if "=" in p else (p, "") for p in (flag.value or "").split(","))
            target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
            mounts.append((opts.get("type", "bind"), posixpath.normpath(target) if target else ""))
        script = run_script(ins)
        why = None
        if ins.sub is not None:
            why = "ONBUILD RUNs are left alone"
        else:
            why = unreadable_reason(script)
        if why is None and script is not None and script.ends_with_comment:
            why = "its body ends with a comment"
        run = _Run(ins, script, why, mounts, root, env)
        if script is not None and why is None:
            run.append_hazard = and_append_hazard(script, errexit_shell)
        if script is not None:
            for cmd in script.commands:
                name = cmd.basename
                if name in ("apt-get", "apt", "aptitude"):
                    _, sub = _sub(cmd, 1, _APT_TAKES_VALUE)
                    # `apt-get install --update` (apt >= 2.9) downloads the lists itself.
                    if sub == "update" or sub in _APT_NEEDS_LISTS and cmd.has_flag("--update"):
                        run.apt_updates.append(cmd)
                    elif sub in _APT_NEEDS_LISTS:
                        run.apt_needs.append(cmd)
                    elif sub in ("distclean", "dist-clean"):
                        run.apt_cleans.append(cmd)
                elif name == "apt-cache":
                    run.apt_needs.append(cmd)
                elif name in ("add-apt-repository", "apt-add-repository"):
                    run.hidden_update = True
                elif self._removes(cmd, run, "/var/lib/apt/lists"):
                    run.apt_cleans.append(cmd)
        return run

    # ---------------------------------------------------------------- cache questions

    def _home(self, run: _Run) -> str | None:
        return "/root" if run.user_root else None

    def _expand(self, path: str, run: _Run) -> str | None:
        if path.startswith("~"):
            home = self._home(run)
            return None if home is None else home + path[1:]
        return path

    def _word_path(self, word: Word, run: _Run) -> str | None:
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
            text = self._expand(text, run) or text
        return text

    def _removes(self, cmd: Command, run: _Run, path: str) -> bool:
        """``cmd`` deletes ``path`` or its contents (``rm -rf /var/lib/apt/lists/*``, ``find ... -delete``)."""
        if cmd.basename == "rm":
            words = [w for w in cmd.argv[1:] if not (w.value or w.text).startswith("-")]
        elif cmd.basename == "find" and any(w.value in ("-delete", "-exec") for w in cmd.argv):
            words = [w for w in cmd.argv[1:2]]
        else:
            return False
        for word in words:
            value = self._word_path(word, run)
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

    def _mounted(self, run: _Run, manager: _Manager, tool: str = "") -> bool:
        for kind, target in run.mounts:
            if kind not in ("cache", "tmpfs") or not target or target == "/":
                continue
            for path in manager.paths:
                full = self._expand(path.replace("{tool}", tool), run)
                if full and (full == target or full.startswith(target + "/") or target.startswith(full + "/")):
                    return True
        return False

    def _env_off(self, run: _Run, manager: _Manager, cmd: Command) -> bool:
        """The manager's cache is switched off by a variable in force at ``cmd``: from ENV, an
        `export` or a bare assignment before it, or ``cmd``'s own assignments."""
        starts, after = self._env_timeline(run, manager)
        values = dict(after[bisect_right(starts, cmd.start)])  # every command up to cmd, in order
        if not (cmd.basename == "export" or not cmd.argv):
            _assign(values, cmd, manager.env_off)
        for name in manager.env_off:
            value = values.get(name)
            if value is None or value == "":
                continue
            if name in _TRUTHY_ANY or value.lower() in _TRUTHY:
                return True
        return False

    def _env_timeline(self, run: _Run, manager: _Manager) -> tuple[list[int], list[dict[str, str]]]:
        """The starts of the RUN's commands (running maximum) and the manager's variables after
        each prefix of them (``after[k]``: once the first k commands ran); built once per RUN and
        manager, so that asking at every command of a long RUN stays linear."""
        key = (id(run), manager.key)
        known = self.env_timelines.get(key)
        if known is None:
            assert run.script is not None
            names = manager.env_off
            values = {k: v for k, v in run.env.items() if k in names}
            starts: list[int] = []  # running maximum: the first larger one is where a scan stops
            after = [values]
            for other in run.script.commands:
                starts.append(max(other.start, starts[-1]) if starts else other.start)
                if other.basename == "export" or not other.argv:
                    values = dict(values)
                    _assign(values, other, names)
                after.append(values)
            known = self.env_timelines[key] = (starts, after)
        return known

    def _cleaned_after(self, run: _Run, position: int, manager: _Manager,
                       is_cleanup: Callable[[Command], bool]) -> bool:
        assert run.script is not None
        for cmd in run.script.commands:
            if cmd.start < position:
                continue
            if is_cleanup(cmd):
                return True
            if any(self._removes(cmd, run, p) for p in
                   (self._expand(x, run) for x in manager.paths) if p):
                return True
        return False

    def _copied(self, paths: list[str], manager: _Manager, run: _Run) -> bool:
        for source in paths:
            src = posixpath.normpath("/" + source.lstrip("/")) if source.startswith("/") else None
            if src is None:
                continue
            for path in manager.paths:
                full = self._expand(path, run)
                if full and (src == "/" or full == src or full.startswith(src + "/") or src.startswith(full + "/")):
                    return True
        return False

    # ---------------------------------------------------------------- edits

    def _append(self, run: _Run, text: str) -> Edit:
        assert run.script is not None
        last = run.script.statements[-1]
        at = file_end(run.ins, last.end)
        return Edit(at, at, f" {self.df.escape}{self.df.newline}{self.indent}&& {text}")

    def _flag(self, run: _Run, logical_end: int, text: str) -> Edit:
        at = file_end(run.ins, logical_end)
        return Edit(at, at, text)

    def _mount_edits(self, run: _Run, targets: list[str], extra: str = "") -> list[Edit] | None:
        full = [self._expand(t, run) for t in targets]
        if any(t is None for t in full):
            return None
        at = run.ins.keyword_start + len(run.ins.keyword)
        flags = "".join(f" --mount=type=cache,target={t}{extra}" for t in full)
        edits = [Edit(at, at, flags)]
        if self.syntax_pending:  # on every mount fix: the first applied adds it, the rest re-run
            edits.insert(0, Edit(0, 0, _SYNTAX_LINE + self.df.newline))
        return edits

    def _finding(self, run: _Run, manager: _Manager, what: str, edits: list[Edit] | None,
                 safety: Safety = Safety.SAFE, note: bool = False, tool: str = "") -> Finding:
        cache = manager.cache.replace("{tool}", tool or manager.key)
        message = f"{tool or manager.key}: {what} ({cache}, typically {manager.weight})"
        ins = run.ins
        fix = Fix(tuple(sorted(edits)), safety) if edits else None
        return Finding(self.id, message, ins.keyword_start, ins.end, fix,
                       saving=None if note else manager.weight, note=note)

    # ---------------------------------------------------------------- apt (stage-aware)

    def _apt(self, stage: Stage, runs: list[_Run], inherited: _Run | None, descendant_blocked: bool,
             copied: list[str]) -> Iterator[Finding]:
        """``inherited``: the last RUN of the ancestor stages that refreshed apt's lists;
        ``descendant_blocked``: a RUN of a stage built FROM this one needs its lists and cannot
        be given its own `apt-get update`."""
        # Forward and backward passes over the stage's RUNs, keeping what each RUN needs to know
        # about the others (a long file has thousands of RUNs: no scan per RUN).
        update_source = inherited
        seen_update = update_source is not None
        plans: dict[int, str] = {}  # index -> "insert" | "blocked"
        source_of: dict[int, _Run | None] = {}  # index -> the RUN whose `apt-get update` it repeats
        apt_touched = False
        sources_changed = False  # apt's sources edited since the stage's last update
        for i, run in enumerate(runs):
            if self._needs_outside_lists(run) and (seen_update or apt_touched):
                plans[i] = "insert" if self._can_insert(run, sources_changed) else "blocked"
                source_of[i] = update_source
            if run.apt_updates or run.hidden_update:
                seen_update = True
                update_source = run
                sources_changed = False
            else:
                sources_changed = sources_changed or self._touches_apt_sources(run)
            apt_touched = apt_touched or bool(run.apt_updates)
        later_blocked = [descendant_blocked] * len(runs)
        later_inserts: list[tuple[int, list[int]]] = [(0, [])] * len(runs)  # (how many, the first few)
        needs_later = [False] * len(runs)  # a later RUN of the stage installs with outside lists
        inserts_after: tuple[int, list[int]] = (0, [])
        blocked_after, needs_after = descendant_blocked, False
        for i in range(len(runs) - 1, -1, -1):
            later_blocked[i], later_inserts[i], needs_later[i] = blocked_after, inserts_after, needs_after
            blocked_after = blocked_after or plans.get(i) == "blocked"
            if plans.get(i) == "insert":
                inserts_after = (inserts_after[0] + 1, [i, *inserts_after[1][:_LISTED - 1]])
            needs_after = needs_after or self._needs_outside_lists(runs[i])
        for i, run in enumerate(runs):
            if run.why_not is not None:
                if run.apt_updates or run.apt_needs:
                    yield self._finding(run, _APT, f"left alone: {run.why_not}", None, note=True, tool="apt-get")
                continue
            yield from self._apt_flags(run)
            inserted = plans.get(i) == "insert"
            updates = run.apt_updates
            if not updates and not inserted:
                continue
            last_update = max((c.start for c in updates), default=-1)
            if (any(c.start > last_update for c in run.apt_cleans) and (updates or inserted)) \
                    or self._mounted(run, _APT):
                if inserted and not later_blocked[i]:
                    yield from self._apt_insert(run, source_of[i], cleanup=False)
                continue
            if later_blocked[i]:
                yield self._finding(
                    run, _APT, "lists kept: a later RUN installs with them and cannot be given its own "
                    "`apt-get update`", None, note=True, tool="apt-get")
                continue
            if self._copied(copied, _APT, run):
                yield self._finding(run, _APT, "lists kept: another stage copies them out", None,
                                    note=True, tool="apt-get")
                continue
            if inserted:
                yield from self._apt_insert(run, source_of[i], cleanup=True)
                continue
            if self._update_only(run) and later_inserts[i][0]:
                yield Finding(
                    self.id, "apt-get: this RUN only downloads the package lists, which then ship in "
                    "its layer; the later RUNs that install now run their own `apt-get update` and "
                    f"clean up, so it is removed ({_APT.cache}, typically {_APT.weight})",
                    run.ins.keyword_start, run.ins.end,
                    Fix((Edit(run.ins.start, run.ins.end, ""),), Safety.SAFE), saving=_APT.weight)
                continue
            if self.mount_style and self.ctx.options.unsafe_fixes and not needs_later[i]:
                edits = self._mount_edits(run, list(_APT.mount), ",sharing=locked")
                if edits is not None:
                    start = file_start(run.ins, run.script.statements[0].start)  # type: ignore[union-attr]
                    edits.append(Edit(start, start, "rm -f /etc/apt/apt.conf.d/docker-clean && "))
                    yield self._finding(run, _APT, "keep the apt cache in BuildKit cache mounts "
                                        "(unsafe: removes docker-clean from the image and keeps "
                                        "/var/lib/apt out of it)", edits, Safety.UNSAFE, tool="apt-get")
                    continue
            count, later = later_inserts[i]
            why = "the lists downloaded by `apt-get update` ship in this layer; remove them in the same RUN"
            if later:
                more = count - len(later)
                why += ("; the later RUN on line " + ", ".join(str(runs[j].ins.start_line) for j in later)
                        + (f" and {more} more" if more else "") + " gets its own `apt-get update`")
            if run.append_hazard:
                yield self._finding(run, _APT, f"left alone: {run.append_hazard}", None, note=True,
                                    tool="apt-get")
                continue
            yield self._finding(run, _APT, why, [self._append(run, "rm -rf /var/lib/apt/lists/*")],
                                tool="apt-get")

    def _needs_outside_lists(self, run: _Run) -> bool:
        """The RUN installs with package lists it did not download itself."""
        if not run.apt_needs:
            return False
        first_need = min(c.start for c in run.apt_needs)
        return not any(c.start < first_need for c in run.apt_updates)

    def _first_need_statement(self, run: _Run):
        assert run.script is not None
        first = min(run.apt_needs, key=lambda c: c.start)
        for k, st in enumerate(run.script.statements):
            if st.start <= first.start < st.end:
                return k, st, first
        return None

    def _can_insert(self, run: _Run, sources_changed: bool) -> bool:
        """Whether ``run`` can be given its own `apt-get update`; ``sources_changed``: apt's
        sources were edited since the lists were downloaded (a fresh index could install other
        packages)."""
        if run.why_not is not None or run.script is None or self._mounted(run, _APT):
            return False
        found = self._first_need_statement(run)
        if found is None:
            return False
        k, st, cmd = found
        if k > 0 and run.script.statements[k - 1].separator not in ("&&", ";", "\n"):
            return False
        if "negated" in cmd.context or st.separator == "&":
            return False
        return not sources_changed

    def _touches_apt_sources(self, run: _Run) -> bool:
        if run.script is None:
            return True
        for cmd in run.script.commands:
            if cmd.basename in ("apt-key", "add-apt-repository", "apt-add-repository", "gpg"):
                return True
            words = [w.value or w.text for w in cmd.argv] + list(cmd.redirects)
            if any("/etc/apt" in w for w in words):
                return True
        return False

    def _apt_insert(self, run: _Run, source: _Run | None, cleanup: bool) -> Iterator[Finding]:
        """Give ``run`` its own `apt-get update`: the one ``source`` (the last earlier RUN that
        refreshed the lists) ran."""
        found = self._first_need_statement(run)
        assert found is not None and run.script is not None
        _, st, cmd = found
        at = file_start(run.ins, st.start)
        # The same update the lists came from (its options included), so the same index is read.
        update = "apt-get update" if cmd.basename != "apt" else "apt update"
        if source is not None and source.apt_updates and source.script is not None:
            last = source.apt_updates[-1]
            update = source.script.text[last.start:last.end]
        edits = [Edit(at, at, f"{update} && ")]
        what = ("installs with package lists an earlier RUN downloaded, so that RUN cannot remove them; "
                "it now runs its own `apt-get update`")
        if cleanup and not run.append_hazard:
            edits.append(self._append(run, "rm -rf /var/lib/apt/lists/*"))
            what += " and removes the lists"
        yield self._finding(run, _APT, what, edits, tool="apt-get")

    def _update_only(self, run: _Run) -> bool:
        assert run.script is not None
        return all(len(st.commands) == 1 and st.kind == "command" and st.commands[0] in run.apt_updates
                   for st in run.script.statements) and not run.ins.flags

    def _apt_flags(self, run: _Run) -> Iterator[Finding]:
        assert run.script is not None
        for cmd in run.script.commands_named("apt-get", "apt"):
            i, sub = _sub(cmd, 1, _APT_TAKES_VALUE)
            if i is None:
                continue
            if cmd.basename == "apt" and sub in _APT_SAFE_SUBS:
                word = cmd.argv[0]
                if word.value == word.text:
                    s, e = file_start(run.ins, word.start), file_end(run.ins, word.end)
                    yield self._finding(run, _APT, "use `apt-get` in scripts: `apt` has no stable "
                                        "interface (unsafe: `apt` deletes downloaded packages itself)",
                                        [Edit(s, e, word.text + "-get")], Safety.UNSAFE, tool="apt")
            if sub in ("install", "upgrade", "dist-upgrade", "remove", "purge", "autoremove") \
                    and not _has(cmd, 1, *_YES_FLAGS) and not any(
                        "Assume-Yes" in (w.value or "") for w in cmd.argv):
                yield self._finding(run, _APT, f"`{sub}` without `-y` stops at the prompt (unsafe: "
                                    "the build goes on where it stopped)",
                                    [self._flag(run, cmd.argv[i].end, " -y")], Safety.UNSAFE, tool=cmd.basename or "")
            if sub == "install" and not _has(cmd, 1, "--no-install-recommends") and not any(
                    "Install-Recommends" in (w.value or "") for w in cmd.argv):
                yield self._finding(run, _APT, "`--no-install-recommends` installs only what is needed "
                                    "(unsafe: recommended packages are no longer installed)",
                                    [self._flag(run, cmd.argv[i].end, " --no-install-recommends")],
                                    Safety.UNSAFE, tool=cmd.basename or "")

    # ---------------------------------------------------------------- the other managers

    def _others(self, stage: Stage, run: _Run, later: _Later, copied: list[str],
                final: bool) -> Iterator[Finding]:
        if run.script is None:
            return
        script = run.script
        if run.why_not is not None:  # say which caches stay, once per manager
            found = {u.manager.key: u.manager for uses in (_pip_uses(script), _uv_uses(script), _apk_uses(script))
                     for u in uses}
            for manager, uses, _, _ in self._cleanup_uses(stage, run, later, final):
                if uses:
                    found.setdefault(manager.key, manager)
            for manager in found.values():
                yield self._finding(run, manager, f"left alone: {run.why_not}", None, note=True)
            return
        # Managers fixed with a flag on each use.
        for uses in (_pip_uses(script), _uv_uses(script), _apk_uses(script)):
            uses = [u for u in uses if not self._env_off(run, u.manager, u.cmd)
                    and not self._mounted(run, u.manager)]
            if not uses:
                continue
            manager = uses[0].manager
            if manager is _APK and any(self._removes(c, run, "/var/cache/apk") and c.start > uses[-1].cmd.start
                                       for c in script.commands):
                continue  # already clean: the index is removed in this RUN
            if self._copied(copied, manager, run):
                yield self._finding(run, manager, "cache kept: another stage copies it out", None, note=True)
                continue
            if self.mount_style and manager.mount:
                edits = self._mount_edits(run, list(manager.mount))
                if edits is not None:
                    yield self._finding(run, manager, "keep the cache in a BuildKit cache mount", edits)
                    continue
            edits = [self._flag(run, u.flag_at, u.flag) for u in uses if u.flag_at is not None]
            what = f"add `{uses[0].flag.strip()}` so that the cache is not written into the layer"
            if manager is _APK:
                edits.extend(self._drop_apk_update(run, uses))
                if len(edits) > len(uses):
                    what += "; `apk update` is dropped (`--no-cache` fetches a fresh index)"
            yield self._finding(run, manager, what, edits)
        yield from self._apk_update_only(run, later)
        gems = _gem_uses(script)
        if gems:
            yield self._finding(run, _GEM, "add `--no-document` (unsafe: the gems' documentation is "
                                "no longer installed; official ruby images already default to it)",
                                [self._flag(run, u.flag_at, u.flag) for u in gems if u.flag_at is not None],
                                Safety.UNSAFE)
        # Managers fixed with a cleanup command at the end of the RUN.
        for manager, uses, cleanup, is_cleanup in self._cleanup_uses(stage, run, later, final):
            if not uses:
                continue
            tool = uses[0].tool or manager.key
            last = max(u.cmd.start for u in uses)
            if self._mounted(run, manager, tool) or any(self._env_off(run, manager, u.cmd) for u in uses) \
                    or self._cleaned_after(run, last, manager, is_cleanup):
                continue
            if self._copied(copied, manager, run):
                yield self._finding(run, manager, "cache kept: another stage copies it out", None,
                                    note=True, tool=tool)
                continue
            if isinstance(cleanup, str) and cleanup.startswith("note:"):
                yield self._finding(run, manager, cleanup[5:].strip(), None, note=True, tool=tool)
                continue
            if self.mount_style and manager.mount:
                edits = self._mount_edits(run, list(manager.mount))
                if edits is not None:
                    yield self._finding(run, manager, "keep the cache in a BuildKit cache mount", edits, tool=tool)
                    continue
            if cleanup is None:
                continue
            if run.append_hazard:
                yield self._finding(run, manager, f"left alone: {run.append_hazard}", None, note=True,
                                    tool=tool)
                continue
            yield self._finding(run, manager, f"add `{cleanup}` in the RUN that fills the cache",
                                [self._append(run, cleanup)], tool=tool)

    def _cleanup_uses(self, stage: Stage, run: _Run, later: _Later, final: bool):
        script = run.script
        assert script is not None
        home_ok = run.user_root

        npm = _simple_uses(script, ("npm",), _NPM, frozenset({"install", "i", "ci", "add", "update",
                                                              "isntall", "in"}),
                           ("--prefix", "--registry", "--cache", "-C", "--omit"))
        yield (_NPM, npm, "npm cache clean --force",
               lambda c: _is_cmd(c, ("npm",), "cache", "clean") or _is_cmd(c, ("npm",), "cache", "clear"))

        yarn = [u for u in _simple_uses(script, ("yarn",), _YARN, frozenset({"install", "add", "global"}),
                                        ("--cache-folder", "--modules-folder", "--network-timeout"), bare=True)
                if not _has(u.cmd, 1, "--cache-folder")]
        yarn_cleanup: str | None = "yarn cache clean"
        if yarn and self._yarn_berry(stage):
            yarn_cleanup = ("note: yarn 2+ (.yarnrc.yml, corepack or `yarn set version`) may keep the "
                            "project's packages in its cache; left alone")
        yield (_YARN, yarn, yarn_cleanup, lambda c: _is_cmd(c, ("yarn",), "cache", "clean"))

        pnpm = _simple_uses(script, ("pnpm",), _PNPM, frozenset({"install", "i", "add", "fetch"}), bare=True)
        yield (_PNPM, pnpm, "note: pnpm hard-links node_modules to its store, so deleting the store "
               "frees little; `--cache-style mount` keeps it out of the image",
               lambda c: _is_cmd(c, ("pnpm",), "store", "prune"))

        for tool in ("dnf", "yum", "microdnf", "tdnf"):
            uses = _simple_uses(script, (tool,), _DNF, _DNF_USES, _DNF_TAKES_VALUE)
            yield (_DNF, uses, f"{tool} clean all",
                   lambda c: c.basename in ("dnf", "yum", "microdnf", "tdnf") and _sub(c, 1, _DNF_TAKES_VALUE)[1] == "clean"
                   and "all" in c.args())

        zypper = _simple_uses(script, ("zypper",), _ZYPPER, _ZYPPER_USES, _ZYPPER_TAKES_VALUE)
        yield (_ZYPPER, zypper, "zypper clean -a",
               lambda c: c.basename == "zypper" and _sub(c, 1, _ZYPPER_TAKES_VALUE)[1] in ("clean", "cc"))

        composer = [u for u in _simple_uses(script, ("composer", "composer.phar"), _COMPOSER,
                                            frozenset({"install", "update", "require", "create-project",
                                                       "global", "upgrade", "i", "u"}),
                                            ("-d", "--working-dir"))
                    if not _has(u.cmd, 1, "--no-cache")]
        yield (_COMPOSER, composer, "composer clear-cache",
               lambda c: c.basename in ("composer", "composer.phar")
               and _sub(c, 1)[1] in ("clear-cache", "clearcache", "cc"))

        for tool in ("conda", "mamba", "micromamba"):
            uses = [u for u in _simple_uses(script, (tool,), _CONDA, frozenset({"install", "create", "update", "env"}),
                                            ("-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"))
                    if _sub(u.cmd, 1)[1] != "env" or _sub(u.cmd, 2)[1] in ("create", "update")]
            cleanup = "micromamba clean --all --yes" if tool == "micromamba" else f"{tool} clean -afy"
            yield (_CONDA, uses, cleanup,
                   lambda c: c.basename in ("conda", "mamba", "micromamba") and _sub(c, 1)[1] == "clean")

        poetry = _simple_uses(script, ("poetry",), _POETRY, frozenset({"install", "add", "update", "sync"}))
        poetry = [u for u in poetry if not _has(u.cmd, 1, "--no-cache")]
        cache_dir = run.env.get("POETRY_CACHE_DIR") or ("/root/.cache/pypoetry" if home_ok else None)
        poetry_cleanup = (f"rm -rf {cache_dir}/cache {cache_dir}/artifacts" if cache_dir and _plain_path(cache_dir)
                          else "note: poetry's cache folder is not known for this user; left alone")
        yield (_POETRY, poetry, poetry_cleanup,
               lambda c: _is_cmd(c, ("poetry",), "cache", "clear")
               or (cache_dir is not None and self._removes(c, run, cache_dir + "/cache")))

        pipenv = _simple_uses(script, ("pipenv",), _PIPENV, frozenset({"install", "sync"}))
        pipenv_dir = run.env.get("PIPENV_CACHE_DIR") or ("/root/.cache/pipenv" if home_ok else None)
        pipenv_cleanup = (f"rm -rf {pipenv_dir}" if pipenv_dir and _plain_path(pipenv_dir)
                          else "note: pipenv's cache folder is not known for this user; left alone")
        yield (_PIPENV, pipenv, pipenv_cleanup, lambda c: False)

        bundler = (_simple_uses(script, ("bundle", "bundler"), _BUNDLER, frozenset({"install"}), bare=True)
                   + _simple_uses(script, ("gem",), _BUNDLER, frozenset({"install"})))
        gem_home = run.env.get("GEM_HOME") or ("/usr/local/bundle" if _image_name(stage.base) == "ruby" else None)
        bundle_cleanup = (f"rm -rf {gem_home}/cache" if gem_home and _plain_path(gem_home)
                          else "note: the gem folder (GEM_HOME) is not known; left alone")
        yield (_BUNDLER, bundler, bundle_cleanup,
               lambda c: gem_home is not None and self._removes(c, run, gem_home + "/cache"))

        go = _simple_uses(script, ("go",), _GO, frozenset({"build", "install", "get", "mod", "test", "run"}))
        go = [u for u in go if _sub(u.cmd, 1)[1] != "mod" or _sub(u.cmd, 2)[1] == "download"]
        go_cleanup: str | None = "go clean -cache -modcache"
        if go and not self.mount_style:
            if not final or later.any(_may_run_go) or self._stage_runs_go(stage):
                go_cleanup = None  # the caches feed a later build step (or never reach the image)
        yield (_GO, go, go_cleanup,
               lambda c: c.basename == "go" and _sub(c, 1)[1] == "clean" and _has(c, 1, "-modcache"))

    def _stage_runs_go(self, stage: Stage) -> bool:
        """The stage's CMD or ENTRYPOINT runs go (asked for every RUN that runs go: read once)."""
        known = self.runs_go.get(stage.index)
        if known is None:
            known = self.runs_go[stage.index] = any(
                ins.cmd in ("CMD", "ENTRYPOINT") and any("go" in v.split() for v in ins.value)
                for ins in stage.instructions)
        return known

    def _yarn_berry(self, stage: Stage) -> bool:
        known = self.berry.get(stage.index)
        if known is None:  # asked for every RUN that runs yarn: read the stage once
            known = self.berry[stage.index] = self._reads_yarn_berry(stage)
        return known

    def _reads_yarn_berry(self, stage: Stage) -> bool:
        for ins in stage.instructions:
            script = run_script(ins) if ins.cmd == "RUN" else None
            if script is not None and (script.commands_named("corepack")
                                       or any(_is_cmd(c, ("yarn",), "set", "version") for c in script.commands)):
                return True
            if ins.cmd in ("COPY", "ADD") and any(".yarnrc.yml" in v or v.endswith(".yarn") for v in ins.value[:-1]):
                return True
        path = self.ctx.context_path(".yarnrc.yml")
        return path is not None and path.exists()

    def _drop_apk_update(self, run: _Run, uses: list[_Use]) -> list[Edit]:
        """Edits removing a top-level ``apk update &&`` that only fed the adds now given --no-cache."""
        script = run.script
        assert script is not None
        out = []
        statements = script.statements
        for k, st in enumerate(statements):
            if st.kind != "command" or len(st.commands) != 1 or st.separator != "&&":
                continue
            cmd = st.commands[0]
            if cmd.basename != "apk" or _sub(cmd, 1, _APK_TAKES_VALUE)[1] != "update" or cmd.assignments:
                continue
            if k > 0 and statements[k - 1].separator not in ("&&", ";", "\n"):
                continue
            later_apk = [c for c in script.commands_named("apk") if c.start > cmd.start]
            if not later_apk or any(_sub(c, 1, _APK_TAKES_VALUE)[1] not in ("add", "upgrade", "del") for c in later_apk):
                continue
            s = file_start(run.ins, st.start)
            e = file_start(run.ins, statements[k + 1].start)
            out.append(Edit(s, e, ""))
        return out

    def _apk_update_only(self, run: _Run, later: _Later) -> Iterator[Finding]:
        """A RUN that only runs ``apk update`` ships the index; later adds fetch their own."""
        script = run.script
        assert script is not None
        if run.ins.flags or not script.statements:
            return
        for st in script.statements:
            cmd = st.commands[0] if len(st.commands) == 1 and st.kind == "command" else None
            if cmd is None or cmd.basename != "apk" or _sub(cmd, 1, _APK_TAKES_VALUE)[1] != "update":
                return
        if later.any(_apk_needs_index):
            return
        yield Finding(self.id, "apk: this RUN only downloads the package index, which then ships in its "
                      "layer; `apk add` fetches the index itself (with `--no-cache`, keeping none), so it is "
                      f"removed ({_APK.cache}, typically {_APK.weight})",
                      run.ins.keyword_start, run.ins.end,
                      Fix((Edit(run.ins.start, run.ins.end, ""),), Safety.SAFE), saving=_APK.weight)


def _assign(values: dict[str, str], cmd: Command, names: Sequence[str]) -> None:
    """Record the `NAME=value` words of ``cmd`` (its arguments and prefix assignments) among
    ``names`` into ``values``."""
    for word in (cmd.argv[1:] if cmd.argv else ()) + cmd.assignments:
        if word.value and "=" in word.value:
            k, v = word.value.split("=", 1)
            if k in names:
                values[k] = v


def _may_run_go(r: _Run) -> bool:
    """A later RUN that may use go's caches."""
    return r.script is None or bool(r.script.commands_named("go"))


def _apk_needs_index(r: _Run) -> bool:
    """A later RUN whose apk call would read the index an `apk update` RUN left (not one that
    fetches its own: add, upgrade, del, update)."""
    if r.script is None or r.script.opaque:
        return r.script is None and r.ins.is_json and any("apk" in v for v in r.ins.value)
    return any(_sub(c, 1, _APK_TAKES_VALUE)[1] not in ("add", "upgrade", "del", "update")
               for c in r.script.commands_named("apk"))


def _plain_path(path: str) -> bool:
    return path.startswith("/") and all(c.isalnum() or c in "/._-" for c in path)


def _image_name(base: str) -> str:
    name = base.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for prefix in ("docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.lower()
