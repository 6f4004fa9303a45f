"""Play a Dockerfile the way ``docker build`` would, inside a throw-away chroot, and record it.

Each stage the target needs is played in its own root (a clone of the session's base root, or of
the stage it is built FROM). RUN gets a fresh shell per instruction, the WORKDIR as cwd, ENV + ARG
as environment and umask 022; USER is recorded but not switched. Package managers, network tools and
compilers are recording stand-ins (see ``standins.sh``), so a play is hermetic and takes a few ms
per instruction. What the build *did* comes back as a :class:`BuildResult`.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import resource
import posixpath
import shutil
import stat
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockslim.syntax import Instruction, parse

from . import rootfs, standins
from .standins import HARNESS_DIR, Call
from dockslim.syntax.expand import ExpandError, expand

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUN_TIMEOUT = 30  # seconds; fixtures run stand-ins, so anything near this is a hung fixture
EXCLUDED_TOP = frozenset({HARNESS_DIR, "proc", "dev"})  # never part of the compared image


_MAX_FILE_BYTES = 256 * 1024 * 1024  # per file a RUN writes (RLIMIT_FSIZE)


class Unsupported(Exception):
    """The Dockerfile uses something the harness cannot play faithfully; callers skip."""


class HarnessError(Exception):
    """The harness itself went wrong (not the build); never to be read as a build failure."""


@dataclass(frozen=True)
class FileInfo:
    """One entry of a file snapshot. ``digest`` is the sha256 of a file, a symlink's target, or ''."""

    kind: str  # "file" | "dir" | "symlink" | "other"
    digest: str
    mode: int  # permission bits (incl. setuid/sticky)
    uid: int
    gid: int


Snapshot = Mapping[str, FileInfo]


@dataclass(frozen=True)
class Layer:
    """The target image's files after one instruction (FROM of the base root included)."""

    stage: int
    line: int
    instruction: str  # first line of the instruction's source, for messages
    files: Snapshot


@dataclass
class BuildResult:
    """What playing a Dockerfile did, in terms a rewrite must keep."""

    files: Snapshot  # the target stage's files after the last instruction that ran
    calls: list[Call]  # every stand-in call (and ADD <url>) in order, all played stages
    failed_at: int | None  # index into parse(text).instructions of the failing instruction
    layers: list[Layer]  # the target image's layers, oldest first
    config: dict  # image metadata: env, workdir, user, cmd, entrypoint, labels, ...
    failed_line: int | None = None
    failure: str | None = None  # why the build failed (exit status and output tail)
    log: list[str] = field(default_factory=list)  # output of each RUN, for messages

    @property
    def failed(self) -> bool:
        return self.failed_at is not None


class _BuildFailed(Exception):
    def __init__(self, ins: Instruction, message: str) -> None:
        super().__init__(message)
        self.instruction = ins


@dataclass
class _StageState:
    root: Path
    env: dict[str, str]  # ENV, in order
    args: dict[str, str | None]  # ARG declared in this stage: value, None if it has none
    workdir: str
    user: str
    shell: list[str]
    config: dict
    layers: list[Layer]


def play(
    text: str,
    *,
    context_dir: str | os.PathLike | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    fail_at_call: int | None = None,
) -> BuildResult:
    """Play ``text`` and return what it did. ``fail_at_call`` (1-based) makes that call exit 1.

    Raises :class:`Unsupported` for features the harness cannot play and
    :class:`rootfs.RootUnavailable` when the machine cannot chroot.
    """
    reason = rootfs.unavailable_reason()
    if reason:
        raise rootfs.RootUnavailable(reason)
    workspace = Path(tempfile.mkdtemp(prefix="play-", dir=rootfs.base_root().parent))
    try:
        return _Player(text, context_dir, build_args or {}, target, fail_at_call, workspace).play()
    finally:
        rootfs.remove(workspace)


class _Player:
    def __init__(self, text, context_dir, build_args, target, fail_at_call, workspace: Path):
        self.dockerfile = parse(text)
        self.escape = self.dockerfile.escape
        self.context = Path(context_dir) if context_dir is not None else workspace / "empty-context"
        self.context.mkdir(exist_ok=True)
        self.build_args = dict(build_args)
        self.target = target
        self.fail_at_call = fail_at_call
        self.workspace = workspace
        self.calls: list[Call] = []
        self.log: list[str] = []
        self.index_of = {id(ins): i for i, ins in enumerate(self.dockerfile.instructions)}
        self.cache_mounts = workspace / "cache-mounts"
        try:
            self.global_args = self._global_args()
        except _BuildFailed as exc:  # BuildKit stops there too: nothing of the build to compare
            raise Unsupported(f"{exc} (a global ARG that does not expand is not played)") from exc

    # --- stages -------------------------------------------------------------------------------

    def _global_args(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for ins in self.dockerfile.global_args():
            for name, default in self._arg_decls(ins, values):
                values[name] = self.build_args.get(name, default)
        return values

    def _arg_decls(self, ins: Instruction, env: Mapping[str, str | None]):
        scope = {k: v for k, v in env.items() if v is not None}
        for item in ins.value:
            name, eq, default = item.partition("=")
            yield name, (self._expand(ins, default, scope) if eq else None)

    def _stage_ref(self, stages, ref: str):
        for s in stages:
            if s.name is not None and s.name.lower() == ref.lower():
                return s
        if ref.isdigit() and int(ref) < len(stages):
            return stages[int(ref)]
        return None

    def _base_ref(self, stage) -> str:
        scope = {k: v for k, v in self.global_args.items() if v is not None}
        return self._expand(stage.from_, stage.base, scope)

    def _needed(self, stages, target_stage) -> list[int]:
        needed: set[int] = set()

        def visit(s):
            if s.index in needed:
                return
            needed.add(s.index)
            base = self._stage_ref(stages[: s.index], self._base_ref(s))
            if base is not None:
                visit(base)
            for ins in s.instructions:
                for f in ins.flags_named("from"):
                    ref = self._stage_ref(stages[: s.index], f.value or "")
                    if ref is not None:
                        visit(ref)
                for f in ins.flags_named("mount"):
                    if "from=" in (f.value or ""):
                        raise Unsupported(f"line {ins.start_line}: RUN --mount with from= is not played")

        visit(target_stage)
        return sorted(needed)

    def play(self) -> BuildResult:
        stages = self.dockerfile.stages()
        if not stages:
            raise Unsupported("no FROM: nothing to play")
        if self.target is None:
            target_stage = stages[-1]
        else:
            target_stage = self._stage_ref(stages, self.target)
            if target_stage is None:
                raise Unsupported(f"target stage {self.target!r} not found")
        played: dict[int, _StageState] = {}
        failed: _BuildFailed | None = None
        state: _StageState | None = None
        try:
            needed = self._needed(stages, target_stage)
        except _BuildFailed as exc:  # e.g. `FROM ${BASE:?}` without the build argument
            raise Unsupported(f"{exc} (a FROM that needs a build argument is not played)") from exc
        for index in needed:
            try:
                state = self._play_stage(stages, stages[index], played)
            except _BuildFailed as exc:
                failed = exc
                state = played.get(index)
                break
            played[index] = state
        final = played.get(target_stage.index) or state
        layers = final.layers if final is not None else []
        return BuildResult(
            files=layers[-1].files if layers else {},
            calls=self.calls,
            failed_at=self.index_of[id(failed.instruction)] if failed else None,
            failed_line=failed.instruction.start_line if failed else None,
            failure=str(failed) if failed else None,
            layers=list(layers),
            config=final.config if final is not None and not failed else {},
            log=self.log,
        )

    def _play_stage(self, stages, stage, played: dict[int, _StageState]) -> _StageState:
        root = self.workspace / f"stage-{stage.index}"
        base_ref = self._base_ref(stage)
        parent = self._stage_ref(stages[: stage.index], base_ref)
        if parent is not None:
            p = played[parent.index]
            rootfs.clone(p.root, root)
            state = _StageState(root, dict(p.env), {}, p.workdir, p.user, list(p.shell),
                                _copy_config(p.config), list(p.layers))
        else:
            if base_ref == "scratch":
                root.mkdir()
                (root / HARNESS_DIR / "calls").mkdir(parents=True)
            else:
                rootfs.clone(rootfs.base_root(), root)
            state = _StageState(root, {"PATH": DEFAULT_PATH}, {}, "/", "", ["/bin/sh", "-c"],
                                {"base": base_ref}, [])
        state.config["stage"] = stage.name
        # Seen by the rest of the failing stage's caller even if a later instruction fails.
        played[stage.index] = state
        self._layer(state, stage.index, stage.from_)
        for ins in stage.instructions:
            self._dispatch(state, stage.index, ins, played, stages)
        return state

    # --- instructions ------------------------------------------------------------------------

    def _scope(self, state: _StageState) -> dict[str, str]:
        """Variables visible to the stage: ARGs with a value, overridden by ENV."""
        scope = {k: v for k, v in state.args.items() if v is not None}
        scope.update(state.env)
        return scope

    def _expand(self, ins: Instruction, word: str, scope: Mapping[str, str]) -> str:
        try:
            return expand(word, scope, self.escape)
        except ExpandError as exc:
            raise _BuildFailed(ins, f"line {ins.start_line}: {exc}") from exc

    def _dispatch(self, state, stage_index, ins: Instruction, played, stages) -> None:
        cmd = ins.cmd
        scope = self._scope(state)
        changes_files = False
        if cmd == "ARG":
            for name, default in self._arg_decls(ins, scope):
                if name in self.build_args:
                    state.args[name] = self.build_args[name]
                elif default is not None:
                    state.args[name] = default
                else:
                    state.args[name] = self.global_args.get(name)
        elif cmd == "ENV":
            # All values of one ENV see the environment from before it (BuildKit expands first).
            for key, raw in [(k, self._expand(ins, v, scope)) for k, v in ins.pairs()]:
                state.env[key] = raw
            state.config["env"] = dict(state.env)
        elif cmd == "WORKDIR":
            path = self._expand(ins, ins.value[0] if ins.value else "", scope)
            state.workdir = posixpath.normpath(posixpath.join(state.workdir, path))
            self._ensure_dir(state.root, state.workdir)
            state.config["workdir"] = state.workdir
            changes_files = True
        elif cmd == "USER":
            state.user = self._expand(ins, ins.value[0] if ins.value else "", scope)
            state.config["user"] = state.user
        elif cmd == "SHELL":
            if not ins.is_json:
                raise _BuildFailed(ins, f"line {ins.start_line}: SHELL requires the JSON form")
            state.shell = list(ins.value)
            state.config["shell"] = list(ins.value)
        elif cmd == "RUN":
            self._run(state, ins)
            changes_files = True
        elif cmd in ("COPY", "ADD"):
            self._copy(state, ins, played, stages)
            changes_files = True
        elif cmd in ("CMD", "ENTRYPOINT"):
            form = list(ins.value) if ins.is_json else [*state.shell, ins.args]
            state.config[cmd.lower()] = form
            if cmd == "ENTRYPOINT":
                state.config.pop("cmd", None)  # an ENTRYPOINT resets an inherited CMD
        elif cmd == "LABEL":
            labels = state.config.setdefault("labels", {})
            for key, raw in ins.pairs():
                labels[self._expand(ins, key, scope)] = self._expand(ins, raw, scope)
        elif cmd in ("EXPOSE", "VOLUME"):
            key = "expose" if cmd == "EXPOSE" else "volumes"
            items = state.config.setdefault(key, [])
            items.extend(self._expand(ins, v, scope) for v in ins.value)
        elif cmd in ("STOPSIGNAL", "HEALTHCHECK", "MAINTAINER"):
            state.config[cmd.lower()] = ins.args
        elif cmd == "ONBUILD":
            state.config.setdefault("onbuild", []).append(ins.args)
        else:
            raise _BuildFailed(ins, f"line {ins.start_line}: unknown instruction {ins.keyword}")
        if changes_files:
            self._layer(state, stage_index, ins)

    def _layer(self, state: _StageState, stage_index: int, ins: Instruction) -> None:
        first_line = ins.text.splitlines()[0] if ins.text else ins.keyword
        state.layers.append(Layer(stage_index, ins.start_line, first_line, snapshot(state.root)))

    def _ensure_dir(self, root: Path, path: str) -> Path:
        host = rootfs.resolve_inside(root, path)
        if not host.is_dir():
            host.mkdir(mode=0o755, parents=True)
        return host

    # --- RUN ---------------------------------------------------------------------------------

    def _run_argv(self, state: _StageState, ins: Instruction) -> list[str]:
        if ins.is_json:
            return list(ins.value)
        if ins.heredocs:
            first = ins.heredocs[0]
            header = ins.args.strip()
            if len(ins.heredocs) == 1 and header.lstrip("<-").strip("'\"") == first.name:
                # `RUN <<EOF`: the body is the script (BuildKit runs it with the shell, or by its
                # shebang when it has one).
                if first.content.startswith("#!"):
                    script = f"/{HARNESS_DIR}/heredoc-{ins.start_line}"
                    host = state.root / script.lstrip("/")
                    host.write_text(first.content)
                    os.chmod(host, 0o755)
                    return [script]
                return [*state.shell, first.content]
            body = ins.args + "\n" + "".join(h.content + h.name + "\n" for h in ins.heredocs)
            return [*state.shell, body]
        return [*state.shell, ins.args]

    def _run(self, state: _StageState, ins: Instruction) -> None:
        env = self._scope(state)
        env.setdefault("PATH", DEFAULT_PATH)
        env.setdefault("HOME", "/root")
        argv = self._run_argv(state, ins)
        mounts = self._mount(state, ins)
        self._ensure_dir(state.root, state.workdir)
        standins.prepare(state.root, len(self.calls), self.fail_at_call)
        root, cwd = str(state.root), state.workdir

        def enter() -> None:
            os.chroot(root)
            os.chdir(cwd)
            os.umask(0o022)
            # Real-world RUNs may write without bound (the root may live in RAM, /dev/shm): cap
            # every file a RUN writes, so a runaway play fails instead of exhausting the machine.
            resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_FILE_BYTES, _MAX_FILE_BYTES))

        with tempfile.TemporaryFile(dir=self.workspace) as out:
            try:
                proc = subprocess.Popen(argv, env=env, preexec_fn=enter, stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=subprocess.STDOUT)
            except FileNotFoundError:
                status = 127
                out.write(f"exec: {argv[0]}: not found\n".encode())
            else:
                # A blocking wait with a watchdog: Popen.wait(timeout) polls with sleeps, which
                # would cost more than the RUN itself.
                timed_out = threading.Event()
                watchdog = threading.Timer(RUN_TIMEOUT, lambda: (timed_out.set(), proc.kill()))
                watchdog.start()
                try:
                    status = proc.wait()
                finally:
                    watchdog.cancel()
                if timed_out.is_set():
                    raise HarnessError(f"line {ins.start_line}: RUN did not finish in {RUN_TIMEOUT}s")
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
        self._unmount(mounts)
        self.calls.extend(standins.collect(state.root, ins.start_line))
        self.log.append(f"line {ins.start_line}: {ins.text.splitlines()[0]}\n{output}")
        if status != 0:
            tail = "\n".join(output.splitlines()[-5:])
            raise _BuildFailed(ins, f"line {ins.start_line}: exit status {status}\n{tail}")

    def _mount(self, state: _StageState, ins: Instruction) -> list[tuple[Path, Path | None, Path]]:
        """Set up ``--mount=type=cache|tmpfs``: their targets' content stays out of the layer."""
        mounts = []
        for flag in ins.flags_named("mount"):
            opts = dict(
                (part.split("=", 1) + [""])[:2] for part in (flag.value or "").split(",") if part
            )
            kind = opts.get("type", "bind")
            if kind not in ("cache", "tmpfs"):
                raise Unsupported(f"line {ins.start_line}: RUN --mount=type={kind} is not played")
            target = opts.get("target") or opts.get("dst") or opts.get("destination")
            if not target:
                raise _BuildFailed(ins, f"line {ins.start_line}: mount without a target")
            target = posixpath.normpath(posixpath.join(state.workdir, target))
            host = rootfs.resolve_inside(state.root, target)
            stash = None
            if host.exists() or host.is_symlink():
                stash = self.workspace / f"stash-{len(mounts)}"
                host.rename(stash)
            store = self.cache_mounts / (opts.get("id") or target).strip("/").replace("/", "_")
            if kind == "cache" and store.exists():
                host.parent.mkdir(parents=True, exist_ok=True)
                store.rename(host)
            else:
                host.mkdir(parents=True)
            mounts.append((host, stash, store if kind == "cache" else None))
        return mounts

    def _unmount(self, mounts) -> None:
        for host, stash, store in reversed(mounts):
            if store is not None and host.is_dir():
                store.parent.mkdir(parents=True, exist_ok=True)
                host.rename(store)
            else:
                shutil.rmtree(host, ignore_errors=True)
            if stash is not None:
                stash.rename(host)

    # --- COPY / ADD --------------------------------------------------------------------------

    def _copy(self, state: _StageState, ins: Instruction, played, stages) -> None:
        for unsupported in ("parents", "exclude", "keep-git-dir", "checksum"):
            if ins.flag(unsupported):
                raise Unsupported(f"line {ins.start_line}: {ins.cmd} --{unsupported} is not played")
        scope = self._scope(state)
        words = [self._expand(ins, w, scope) for w in ins.value]
        if len(words) < 2:
            raise _BuildFailed(ins, f"line {ins.start_line}: {ins.cmd} requires at least two arguments")
        *sources, dest = words
        source_root = self.context
        from_flag = ins.flag("from")
        if from_flag is not None:
            ref = self._expand(ins, from_flag.value or "", scope)
            src_stage = self._stage_ref(stages, ref)
            if src_stage is None:
                raise Unsupported(f"line {ins.start_line}: COPY --from={ref} names an image, not a stage")
            source_root = played[src_stage.index].root
        dest = posixpath.normpath(posixpath.join(state.workdir, dest)) + ("/" if dest.endswith("/") else "")
        uid, gid = self._owner(state, ins, scope)
        chmod = ins.flag("chmod")
        mode = int(chmod.value, 8) if chmod is not None and chmod.value else None
        heredocs = {h.name: h for h in ins.heredocs}

        entries: list[tuple[str, Path | bytes]] = []  # (name at destination, source path | content)
        for src in sources:
            if src.startswith("<<") and src.lstrip("<-") in heredocs:
                h = heredocs[src.lstrip("<-")]
                content = self._expand(ins, h.content, scope) if h.expand else h.content
                entries.append((h.name, content.encode()))
            elif ins.cmd == "ADD" and "://" in src:
                entries.append((posixpath.basename(src.rstrip("/")) or "index.html", self._add_url(state, ins, src)))
            else:
                matches = self._sources(source_root, src, from_flag is not None)
                if not matches:
                    raise _BuildFailed(ins, f"line {ins.start_line}: {ins.cmd} failed: {src!r} not found")
                entries.extend((m.name, m) for m in matches)

        to_dir = dest.endswith("/") or len(entries) > 1 or any(isinstance(p, Path) and p.is_dir() for _, p in entries)
        host_dest = rootfs.resolve_inside(state.root, dest)
        if not to_dir and host_dest.is_dir():
            to_dir = True
        if to_dir:
            self._make_dirs(state.root, dest, uid, gid)
        else:
            self._make_dirs(state.root, posixpath.dirname(dest), 0, 0)
        for name, source in entries:
            if isinstance(source, bytes):
                target = host_dest / name if to_dir else host_dest
                _replace(target)
                target.write_bytes(source)
                _set(target, uid, gid, mode if mode is not None else 0o644)
            elif source.is_dir():
                self._copy_tree(source, host_dest, uid, gid, mode)
            elif ins.cmd == "ADD" and from_flag is None and _is_archive(source):
                with tarfile.open(source) as archive:
                    archive.extractall(host_dest if to_dir else host_dest.parent, filter="tar")
            else:
                target = host_dest / name if to_dir else host_dest
                self._copy_one(source, target, uid, gid, mode)

    def _sources(self, source_root: Path, src: str, from_stage: bool) -> list[Path]:
        rel = posixpath.normpath("/" + src).lstrip("/")
        if from_stage:
            found = [rootfs.resolve_inside(source_root, "/" + rel)] if not glob.has_magic(rel) else [
                Path(p) for p in sorted(glob.glob(str(source_root / rel)))]
        else:
            found = [Path(p) for p in sorted(glob.glob(str(source_root / rel), include_hidden=True))] \
                if glob.has_magic(rel) else [source_root / rel] if rel else [source_root]
        found = [p for p in found if p.exists() or p.is_symlink()]
        if not from_stage:
            ignored = _dockerignore(self.context)
            found = [p for p in found if not _is_ignored(p.relative_to(self.context).as_posix(), ignored)]
        return found

    def _copy_tree(self, source: Path, dest: Path, uid: int, gid: int, mode: int | None) -> None:
        ignored = _dockerignore(self.context) if source.is_relative_to(self.context) else []
        for dirpath, dirnames, filenames in os.walk(source):
            here = Path(dirpath)
            rel_here = here.relative_to(source)
            for d in list(dirnames):
                sub = here / d
                if ignored and _is_ignored(sub.relative_to(self.context).as_posix(), ignored):
                    dirnames.remove(d)
                    continue
                target = dest / rel_here / d
                if sub.is_symlink():
                    dirnames.remove(d)
                    _replace(target)
                    os.symlink(os.readlink(sub), target)
                    os.lchown(target, uid, gid)
                elif not target.is_dir():
                    target.mkdir(parents=True)
                    _set(target, uid, gid, mode if mode is not None else sub.stat().st_mode & 0o7777)
            for f in filenames:
                src = here / f
                if ignored and _is_ignored(src.relative_to(self.context).as_posix(), ignored):
                    continue
                self._copy_one(src, dest / rel_here / f, uid, gid, mode)

    def _copy_one(self, source: Path, target: Path, uid: int, gid: int, mode: int | None) -> None:
        if not source.is_symlink() and not source.is_file():
            # Device nodes, fifos, sockets: an image carries no such content (Docker makes /dev at
            # run time), and reading /dev/zero would never end.
            return
        _replace(target)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
            os.lchown(target, uid, gid)
            return
        shutil.copyfile(source, target)
        _set(target, uid, gid, mode if mode is not None else source.stat().st_mode & 0o7777)

    def _make_dirs(self, root: Path, path: str, uid: int, gid: int) -> None:
        host = rootfs.resolve_inside(root, path)
        missing = []
        while not host.exists() and host != root:
            missing.append(host)
            host = host.parent
        for d in reversed(missing):
            d.mkdir(mode=0o755)
            _set(d, uid, gid, 0o755)

    def _owner(self, state: _StageState, ins: Instruction, scope) -> tuple[int, int]:
        flag = ins.flag("chown")
        if flag is None or not flag.value:
            return 0, 0
        spec = self._expand(ins, flag.value, scope)
        user, _, group = spec.partition(":")
        uid = _lookup(state.root / "etc/passwd", user, 2)
        if uid is None:
            raise _BuildFailed(ins, f"line {ins.start_line}: unable to find user {user}")
        if group:
            gid = _lookup(state.root / "etc/group", group, 2)
            if gid is None:
                raise _BuildFailed(ins, f"line {ins.start_line}: unable to find group {group}")
        else:
            gid = _lookup(state.root / "etc/passwd", user, 3) if not user.isdigit() else uid
        return uid, gid if gid is not None else uid

    def _add_url(self, state: _StageState, ins: Instruction, url: str) -> bytes:
        # Recorded like a stand-in call, so failure injection covers remote ADDs too.
        self.calls.append(Call(("ADD", url), state.workdir, (), "0022", ins.start_line))
        if self.fail_at_call == len(self.calls):
            raise _BuildFailed(ins, f"line {ins.start_line}: injected failure downloading {url}")
        return f"# harness stand-in download of {url}\n".encode()


def _copy_config(config: dict) -> dict:
    return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
            for k, v in config.items()}


def _replace(target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)


def _set(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _lookup(table: Path, name: str, column: int) -> int | None:
    if name.isdigit():
        return int(name)
    try:
        lines = table.read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        parts = line.split(":")
        if len(parts) > column and parts[0] == name:
            return int(parts[column])
    return None


def _is_archive(path: Path) -> bool:
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except OSError:
        return False


def _dockerignore(context: Path) -> list[tuple[bool, str]]:
    try:
        lines = (context / ".dockerignore").read_text().splitlines()
    except FileNotFoundError:
        return []
    rules = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = posixpath.normpath(line.lstrip("!").strip().lstrip("/"))
        rules.append((negate, pattern))
    return rules


def _is_ignored(rel: str, rules: Sequence[tuple[bool, str]]) -> bool:
    ignored = False
    for negate, pattern in rules:
        pat = pattern.replace("**/", "*")
        if fnmatch.fnmatchcase(rel, pat) or any(
            fnmatch.fnmatchcase("/".join(rel.split("/")[:i]), pat) for i in range(1, rel.count("/") + 1)
        ):
            ignored = not negate
    return ignored


def snapshot(root: Path) -> dict[str, FileInfo]:
    """Every path under ``root`` (harness files excluded) with content digest, mode and owner."""
    shared = rootfs.base_inodes()
    files: dict[str, FileInfo] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = "/" + os.path.relpath(dirpath, root) if dirpath != str(root) else ""
        if not rel_dir:
            dirnames[:] = [d for d in dirnames if d not in EXCLUDED_TOP]
            filenames = [f for f in filenames if f not in EXCLUDED_TOP]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                kind, digest = "symlink", os.readlink(path)
            elif stat.S_ISDIR(mode):
                kind, digest = "dir", ""
            elif stat.S_ISREG(mode):
                kind = "file"
                known = shared.get((st.st_dev, st.st_ino))
                if known is not None:
                    if (st.st_size, st.st_mtime_ns) != known[:2]:
                        rootfs.forget_base()
                        raise HarnessError(f"a RUN modified the shared base file {rel_dir}/{name} in place")
                    digest = known[2]
                else:
                    with open(path, "rb") as fh:
                        digest = hashlib.file_digest(fh, "sha256").hexdigest()
            else:
                kind, digest = "other", ""
            files[f"{rel_dir}/{name}"] = FileInfo(kind, digest, stat.S_IMODE(mode), st.st_uid, st.st_gid)
    return files
