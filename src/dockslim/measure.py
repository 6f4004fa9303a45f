"""`dockslim measure`: build the original and the rewritten Dockerfile on the local Docker engine and
compare what a user gets: image size, layer count, build time, rebuild time after a source-only
change in the build context, and the files the rewritten image lacks (outside cache folders).

The engine is driven through the ``docker`` CLI (see docs/decisions/measure-engine.md). The pure
parts - reading ``docker image inspect`` / ``docker history`` output, listing an exported image,
the file-list difference, choosing the file to change, the table - work without an engine and are
tested without one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Callable, Collection, Iterable, Mapping, Sequence

from .options import RunOptions

# Folders whose content is a cache: the rewrite may empty them (cache-cleanup does, by design), so
# their files are not "lost". Paths are as in an exported image: relative, no leading slash.
CACHE_FOLDERS = (
    "tmp/", "var/tmp/",
    "var/cache/",                 # apt's archives and pkgcache, apk, dnf/yum, debconf templates...
    "var/lib/apt/lists/",         # apt-get update's indexes
    "root/.cache/",               # pip, uv, go-build, poetry, yarn berry...
    "root/.npm/", "usr/local/share/.cache/",  # npm, yarn classic
    "root/.composer/cache/", "root/.bundle/cache/", "usr/local/bundle/cache/",
    "root/.gradle/caches/", "root/.m2/repository/",
)
# Files the engine itself writes into every container: never part of what a build made.
ENGINE_FILES = frozenset({".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf"})
ENGINE_FOLDERS = ("dev/", "proc/", "sys/")
# Files whose content records when they were made (bytecode stamps its source's mtime, logs their
# time): two builds of the same Dockerfile differ there, so only their presence is compared.
STAMPED_SUFFIXES = (".pyc",)
STAMPED_FOLDERS = ("var/log/",)
STAMPED_FILES = frozenset({"etc/ld.so.cache", "var/lib/dpkg/status-old", "var/lib/dpkg/diversions-old",
                           "var/lib/dpkg/statoverride-old", "etc/shadow-", "etc/gshadow-", "etc/passwd-",
                           "etc/group-", "etc/subuid-", "etc/subgid-"})

# Names that hold dependencies rather than sources: changing one is not a "source-only change".
MANIFEST_NAMES = frozenset({
    "requirements.txt", "constraints.txt", "pyproject.toml", "setup.py", "setup.cfg", "poetry.lock",
    "Pipfile", "Pipfile.lock", "uv.lock", "package.json", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "pnpm-lock.yaml", "go.mod", "go.sum", "Gemfile", "Gemfile.lock", "composer.json",
    "composer.lock", "pom.xml", "build.gradle", "settings.gradle", "Cargo.toml", "Cargo.lock",
    "Dockerfile", ".dockerignore", "Containerfile",
})
SOURCE_SUFFIXES = (".py", ".js", ".ts", ".go", ".rb", ".php", ".java", ".rs", ".c", ".sh", ".html",
                   ".css", ".txt", ".md")
# A Dockerfile the classic builder cannot read: these need BuildKit.
BUILDKIT_RUN_FLAGS = frozenset({"mount", "network", "security"})
CLASSIC_COPY_FLAGS = frozenset({"from", "chown"})


def _client_major(version: str) -> int:
    """The major number of ``docker version``'s client version (``20.10.24+dfsg1`` -> 20; 0 if unknown)."""
    match = re.match(r"\s*(\d+)\.", version)
    return int(match.group(1)) if match else 0


class MeasureError(Exception):
    """Measuring cannot go on (no engine, the original does not build, ...). Exit code 2."""


# --- pure: engine output --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    created_by: str
    size: int


@dataclass(frozen=True)
class ImageFacts:
    size: int          # bytes, as `docker image inspect` reports (all layers, base included)
    layers: int        # filesystem layers (RootFS.Layers), base included
    steps: tuple[Step, ...] = ()  # `docker history`, newest first


def parse_inspect(text: str) -> tuple[int, int]:
    """(size in bytes, layer count) from `docker image inspect IMAGE` output (a JSON list)."""
    data = json.loads(text)
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"expected one image in `docker image inspect` output, got {len(data)}")
        data = data[0]
    size = int(data.get("Size") or 0)
    layers = len((data.get("RootFS") or {}).get("Layers") or [])
    return size, layers


def parse_history(text: str) -> tuple[Step, ...]:
    """Steps from `docker history --no-trunc --human=false --format '{{json .}}' IMAGE`."""
    steps = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        steps.append(Step(created_by=row.get("CreatedBy", ""), size=_bytes(row.get("Size", "0"))))
    return tuple(steps)


_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}


def _bytes(value) -> int:
    """Bytes from a history size: a plain count (``--human=false``) or docker's ``1.5MB``/``0B``."""
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * _UNITS[unit])
    raise ValueError(f"not a size: {value!r}")


def stage_images(log: str) -> list[str]:
    """The image each earlier stage of a multi-stage build ended with, from a classic build's log
    (``Step 5/9 : FROM ...`` preceded by `` ---> <id>``): the classic builder leaves them untagged."""
    out: list[str] = []
    last: str | None = None
    for line in log.splitlines():
        stripped = line.strip()
        if stripped.startswith("---> ") and len(stripped.split()) == 2:
            last = stripped.split()[1]
        elif stripped.startswith("Step ") and " : FROM " in stripped.upper() and last is not None:
            out.append(last)
            last = None
    return out


def log_tail(lines: Sequence[str], n: int = 12) -> list[str]:
    """The last ``n`` lines of a failed build's log that say something: without blank lines, the
    context upload line and the classic builder's deprecation notice (its first line and the
    indented ones after it)."""
    out: list[str] = []
    notice = False
    for line in lines:
        if line.startswith("DEPRECATED: The legacy builder"):
            notice = True
            continue
        if notice and line.startswith((" ", "\t")):
            continue
        notice = False
        if line.strip() and not line.startswith("Sending build context to Docker daemon"):
            out.append(line.rstrip())
    return out[-n:]


# --- pure: file lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    kind: str          # "file", "dir", "link", "hardlink", "other"
    mode: int
    size: int = 0
    digest: str = ""   # sha256 of a regular file's content; a link's target


def list_tar(stream: IO[bytes]) -> dict[str, Entry]:
    """Path -> Entry for every member of a tar stream (`docker export` output), read once."""
    out: dict[str, Entry] = {}
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            path = member.name.lstrip("./").rstrip("/") if member.name not in (".", "./") else ""
            if not path:
                continue
            if member.isreg():
                fh = tar.extractfile(member)
                digest = hashlib.sha256()
                if fh is not None:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                out[path] = Entry("file", member.mode, member.size, digest.hexdigest())
            elif member.isdir():
                out[path] = Entry("dir", member.mode)
            elif member.issym():
                out[path] = Entry("link", member.mode, 0, member.linkname)
            elif member.islnk():
                out[path] = Entry("hardlink", member.mode, 0, member.linkname.lstrip("./"))
            else:
                out[path] = Entry("other", member.mode)
    return out


def in_cache_folder(path: str, folders: Sequence[str] = CACHE_FOLDERS) -> bool:
    return any(path + "/" == f or path.startswith(f) for f in folders)


def _ignored(path: str, folders: Sequence[str]) -> bool:
    return (path in ENGINE_FILES or any(path.startswith(f) or path + "/" == f for f in ENGINE_FOLDERS)
            or in_cache_folder(path, folders))


def _stamped(path: str) -> bool:
    return path.endswith(STAMPED_SUFFIXES) or path.startswith(STAMPED_FOLDERS) or path in STAMPED_FILES


@dataclass(frozen=True)
class FileDiff:
    lost: tuple[str, ...] = ()      # in the original image, not in the rewritten one
    added: tuple[str, ...] = ()     # in the rewritten image only
    changed: tuple[str, ...] = ()   # in both, with another kind, content, link target or mode

    @property
    def nothing_lost(self) -> bool:
        return not self.lost


def diff_files(original: Mapping[str, Entry], rewritten: Mapping[str, Entry],
               cache_folders: Sequence[str] = CACHE_FOLDERS) -> FileDiff:
    """What a user of the rewritten image would miss (``lost``), outside cache folders.

    A hard link and a regular file with the same content count as the same file: whether a layer
    stores a file as a link depends on how the build copied it, not on what the user gets.
    """
    def resolved(files: Mapping[str, Entry], path: str) -> Entry:
        entry = files[path]
        if entry.kind == "hardlink" and entry.digest in files:
            target = files[entry.digest]
            return Entry(target.kind, entry.mode, target.size, target.digest)
        return entry

    kept_a = {p for p in original if not _ignored(p, cache_folders)}
    kept_b = {p for p in rewritten if not _ignored(p, cache_folders)}
    changed = sorted(p for p in kept_a & kept_b
                     if not _stamped(p) and resolved(original, p) != resolved(rewritten, p))
    return FileDiff(tuple(sorted(kept_a - kept_b)), tuple(sorted(kept_b - kept_a)), tuple(changed))


# --- pure: the source change ----------------------------------------------------------------------


def copied_files(text: str, context: Path, dockerfile_path: str | None = None) -> frozenset[str] | None:
    """The files of ``context`` that the Dockerfile ``text`` copies into some stage (`COPY`/`ADD`
    from the build context, `.dockerignore` honoured), or None when a source cannot be resolved
    here (a variable in it): then any file may be copied."""
    from .passes.buildcontext import context_view
    from .syntax import parse

    view = context_view(context, dockerfile_path)
    if view is None:
        return None
    out: set[str] = set()
    for ins in parse(text).instructions:
        ins = ins.effective
        if ins.cmd not in ("COPY", "ADD") or ins.heredocs or ins.flag("from") is not None:
            continue
        for source in ins.value[:-1]:
            if "$" in source:
                return None
            if ins.cmd == "ADD" and "://" in source:
                continue  # a URL or a git repository: not from the context
            for match in view.glob(source):
                out.update(view.walk(match, limit=100_000))
    return frozenset(out)


def pick_source_file(context: Path, among: Collection[str] | None = None) -> str | None:
    """A file of the build context that is source, not a dependency manifest: the one a developer
    edits between two builds. Code before text and documentation, then shallowest first, then by
    name; only files ``among`` those given (e.g. :func:`copied_files`: a file the build does not
    copy would not bust the cache); None when the context has none."""
    candidates = []
    for dirpath, dirnames, filenames in os.walk(context):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and d not in ("node_modules", "vendor", "__pycache__"))
        rel_dir = Path(dirpath).relative_to(context)
        for name in filenames:
            if name in MANIFEST_NAMES or name.startswith((".", "Dockerfile")) or "requirements" in name:
                continue
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            rel = rel_dir / name
            if among is not None and rel.as_posix() not in among:
                continue
            candidates.append((not name.endswith(SOURCE_SUFFIXES[:-2]), len(rel.parts), str(rel)))
    return min(candidates)[2] if candidates else None


def needs_buildkit(text: str) -> str | None:
    """Why the classic builder cannot build this Dockerfile text, or None."""
    from .syntax import parse

    for ins in parse(text).instructions:
        if ins.heredocs:
            return f"line {ins.start_line}: a heredoc"
        for flag in ins.flags:
            if ins.cmd == "RUN" and flag.name in BUILDKIT_RUN_FLAGS:
                return f"line {ins.start_line}: RUN --{flag.name}"
            if ins.cmd in ("COPY", "ADD") and flag.name not in CLASSIC_COPY_FLAGS:
                return f"line {ins.start_line}: {ins.cmd} --{flag.name}"
    return None


# --- results and rendering ------------------------------------------------------------------------


@dataclass
class Build:
    ok: bool = False
    seconds: float = 0.0
    rebuild_seconds: float | None = None
    facts: ImageFacts | None = None
    error: str = ""


@dataclass
class Measurement:
    path: str
    applied: list[str] = field(default_factory=list)   # pass ids whose fixes the rewrite applied
    changed_file: str | None = None                      # the source file changed for the rebuild
    unchanged: bool = False                              # dockslim had nothing to rewrite
    original: Build = field(default_factory=Build)
    rewritten: Build = field(default_factory=Build)
    files: FileDiff | None = None
    builder: str = "classic"

    @property
    def succeeded(self) -> bool:
        """The rewrite built and lost nothing (or there was nothing to rewrite)."""
        if self.unchanged:
            return self.original.ok
        return self.rewritten.ok and self.files is not None and self.files.nothing_lost


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f}"


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def render_text(m: Measurement) -> str:
    rows: list[tuple[str, ...]] = [("", "size MB", "layers", "build s", "rebuild s")]

    def row(name: str, b: Build) -> tuple[str, ...]:
        if not b.ok:
            return (name, "failed", "", "", "")
        assert b.facts is not None
        return (name, _mb(b.facts.size), str(b.facts.layers), _s(b.seconds), _s(b.rebuild_seconds))

    rows.append(row("original", m.original))
    if not m.unchanged:
        rows.append(row("rewritten", m.rewritten))
        if m.original.ok and m.rewritten.ok:
            a, b = m.original, m.rewritten
            assert a.facts and b.facts
            rebuild = (None if a.rebuild_seconds is None or b.rebuild_seconds is None
                       else b.rebuild_seconds - a.rebuild_seconds)
            rows.append(("difference", f"{(b.facts.size - a.facts.size) / 1e6:+.1f}",
                         f"{b.facts.layers - a.facts.layers:+d}", f"{b.seconds - a.seconds:+.1f}",
                         "-" if rebuild is None else f"{rebuild:+.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [f"{m.path} ({m.builder} builder)"]
    if m.unchanged:
        lines.append("  dockslim changes nothing in this Dockerfile: only the original was built")
    else:
        lines.append("  fixes applied: " + (", ".join(m.applied) or "none"))
    lines.append("  source change for the rebuild: " + (m.changed_file or "none (no source file found)"))
    for r in rows:
        lines.append("  " + r[0].ljust(widths[0]) + "".join("  " + c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)))
    for name, b in (("original", m.original), ("rewritten", m.rewritten)):
        if b.error:
            lines.append(f"  {name} build failed: {b.error}")
    if m.files is not None:
        if m.files.lost:
            shown = ", ".join("/" + p for p in m.files.lost[:10])
            more = f" and {len(m.files.lost) - 10} more" if len(m.files.lost) > 10 else ""
            lines.append(f"  files lost in the rewritten image: {len(m.files.lost)}: {shown}{more}")
        else:
            lines.append("  files lost in the rewritten image: none (cache folders not counted)")
        lines.append(f"  files added: {len(m.files.added)}, changed (content, mode or kind): {len(m.files.changed)}")
    return "\n".join(lines) + "\n"


def to_json(measurements: Iterable[Measurement]) -> str:
    def one(m: Measurement) -> dict:
        d = asdict(m)
        d["succeeded"] = m.succeeded
        for key in ("original", "rewritten"):
            facts = d[key].get("facts")
            if facts is not None:
                facts["steps"] = [s for s in facts["steps"]]
        return d
    return json.dumps({"version": 1, "measurements": [one(m) for m in measurements],
                       "cache_folders": ["/" + f for f in CACHE_FOLDERS]}, indent=2) + "\n"


# --- the engine -----------------------------------------------------------------------------------


class Docker:
    """The `docker` CLI, as the user has it configured (DOCKER_HOST, contexts...). The one place
    that builds images and runs containers, for `measure` and `fix --verify`."""

    def __init__(self, network: str | None = None, timeout: float = 3600, *,
                 build_args: Sequence[str] = (), labels: Mapping[str, str] | None = None,
                 progress: Callable[[str], None] | None = None):
        self.network = network
        self.timeout = timeout
        self.build_args = tuple(build_args)   # `--build-arg` values, passed through
        self.labels = dict(labels or {})      # put on every image and container made here
        self.progress = progress              # called with each line of a build's log, if given
        self._buildkit: bool | None = None
        # Images the classic builder leaves behind untagged: the last image of each earlier stage
        # of a multi-stage build. Removed with the tags (see remove()).
        self.leftovers: list[str] = []

    def _run(self, argv: Sequence[str], timeout: float | None = None, **kw) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(["docker", *argv], capture_output=True, text=True,
                                  timeout=timeout or self.timeout, **kw)
        except FileNotFoundError:
            raise MeasureError("no Docker engine reachable: the `docker` command is not installed") from None
        except subprocess.TimeoutExpired:
            raise MeasureError(f"`docker {' '.join(argv[:2])}` did not finish within {timeout or self.timeout:.0f}s") from None

    def check(self) -> None:
        """Raise MeasureError unless an engine answers."""
        proc = self._run(["info", "--format", "{{json .ServerVersion}}"], timeout=60)
        if proc.returncode != 0 or proc.stdout.strip() in ("", '""', "null"):
            said = (proc.stderr or proc.stdout).strip().splitlines()
            raise MeasureError("no Docker engine reachable: `docker info` said: "
                               + (said[-1] if said else "nothing"))

    @property
    def buildkit(self) -> bool:
        """Whether builds go through BuildKit: with the buildx plugin, or with a CLI older than 23.0,
        which still drives the engine's own BuildKit when ``DOCKER_BUILDKIT=1`` (a newer CLI without
        buildx falls back to the classic builder)."""
        if self._buildkit is None:
            self._buildkit = (self._run(["buildx", "version"], timeout=60).returncode == 0
                              or _client_major(self._run(["version", "--format", "{{.Client.Version}}"],
                                                         timeout=60).stdout) in range(18, 23))
        return self._buildkit

    def build(self, dockerfile: Path, context: Path, tag: str, *, no_cache: bool) -> float:
        """Build; return the wall-clock seconds. Raises MeasureError with the log's tail on failure."""
        argv = ["build", "-f", str(dockerfile), "-t", tag]
        if no_cache:
            argv.append("--no-cache")
        if self.network:
            argv += ["--network", self.network]
        for value in self.build_args:
            argv += ["--build-arg", value]
        for key, value in self.labels.items():
            argv += ["--label", f"{key}={value}"]
        if self.buildkit:
            argv += ["--progress", "plain"]
        else:
            argv.append("--force-rm")  # no container left behind by a failing step
        env = {**os.environ, "DOCKER_BUILDKIT": "1" if self.buildkit else "0"}
        # Flush what earlier work left to write, so that a timed build does not pay for it.
        os.sync()
        started = time.monotonic()
        if self.progress is None:
            proc = self._run([*argv, str(context)], env=env)
        else:
            proc = self._run_streamed([*argv, str(context)], env)
        seconds = time.monotonic() - started
        if not self.buildkit:
            self.leftovers.extend(stage_images(proc.stdout))
        if proc.returncode != 0:
            log = log_tail((proc.stdout + proc.stderr).splitlines())
            raise MeasureError("\n    ".join(["`docker build` failed:", *log]))
        return seconds

    def _run_streamed(self, argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess:
        """Like ``_run``, handing each output line to ``self.progress`` as it comes."""
        assert self.progress is not None
        try:
            proc = subprocess.Popen(["docker", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, env=dict(env), errors="replace")
        except FileNotFoundError:
            raise MeasureError("no Docker engine reachable: the `docker` command is not installed") from None
        assert proc.stdout is not None
        deadline = time.monotonic() + self.timeout
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            self.progress(line.rstrip("\n"))
            if time.monotonic() > deadline:
                proc.kill()
                raise MeasureError(f"`docker build` did not finish within {self.timeout:.0f}s")
        code = proc.wait()
        return subprocess.CompletedProcess(["docker", *argv], code, "".join(lines), "")

    def config(self, tag: str) -> dict:
        """The image's ``Config`` (Cmd, Entrypoint, Env, Healthcheck...) from `docker image inspect`."""
        proc = self._run(["image", "inspect", "--format", "{{json .Config}}", tag])
        if proc.returncode != 0:
            raise MeasureError(f"`docker image inspect {tag}` failed: {proc.stderr.strip()}")
        return json.loads(proc.stdout or "null") or {}

    def run(self, tag: str, argv: Sequence[str] = (), *, entrypoint: str | None = None,
            timeout: float = 120) -> tuple[int, str, str]:
        """Run a container to its end, without network; (exit code, stdout, stderr)."""
        opts = ["run", "--rm", "--network", "none", *self._label_opts()]
        if entrypoint is not None:
            opts += ["--entrypoint", entrypoint]
        proc = self._run([*opts, tag, *argv], timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    def start(self, tag: str) -> str:
        """Start the image's default command in a detached container without network; its id."""
        proc = self._run(["run", "-d", "--network", "none", *self._label_opts(), tag], timeout=120)
        cid = proc.stdout.strip()
        if proc.returncode != 0 and not cid:
            raise MeasureError(f"`docker run {tag}` failed: {proc.stderr.strip()}")
        return cid

    def state(self, cid: str) -> tuple[bool, int]:
        """(still running, exit code) of a container."""
        proc = self._run(["inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", cid])
        running, _, code = proc.stdout.strip().partition(" ")
        return running == "true", int(code or 0)

    def exec(self, cid: str, argv: Sequence[str], timeout: float = 60) -> int:
        return self._run(["exec", cid, *argv], timeout=timeout).returncode

    def logs(self, cid: str) -> str:
        proc = self._run(["logs", "--tail", "5", cid])
        return (proc.stdout + proc.stderr).strip()

    def kill(self, cid: str) -> None:
        self._run(["rm", "-f", cid])

    def _label_opts(self) -> list[str]:
        return [w for key, value in self.labels.items() for w in ("--label", f"{key}={value}")]

    def facts(self, tag: str) -> ImageFacts:
        inspect = self._run(["image", "inspect", tag])
        if inspect.returncode != 0:
            raise MeasureError(f"`docker image inspect {tag}` failed: {inspect.stderr.strip()}")
        size, layers = parse_inspect(inspect.stdout)
        history = self._run(["history", "--no-trunc", "--human=false", "--format", "{{json .}}", tag])
        steps = parse_history(history.stdout) if history.returncode == 0 else ()
        return ImageFacts(size, layers, steps)

    def files(self, tag: str) -> dict[str, Entry]:
        """The image's file tree, read from `docker export` of a container created (never started)."""
        created = self._run(["create", *self._label_opts(), tag, "/dockslim-measure-never-runs"])
        if created.returncode != 0:
            raise MeasureError(f"`docker create {tag}` failed: {created.stderr.strip()}")
        cid = created.stdout.strip()
        try:
            proc = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            assert proc.stdout is not None
            try:
                files = list_tar(proc.stdout)
            finally:
                proc.stdout.close()
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                if proc.wait() != 0:
                    raise MeasureError(f"`docker export` failed: {err.strip()}")
            return files
        finally:
            self._run(["rm", "-f", cid])

    def remove(self, tags: Iterable[str]) -> None:
        """Remove the tags, then whatever the builds left untagged (an image still in use by
        someone else's image is refused by the engine and stays)."""
        tags = list(tags)
        if tags:
            self._run(["rmi", "-f", *tags])
        for image in dict.fromkeys(self.leftovers):
            # Only untagged ones: a stage that is just `FROM base` ends with the base image itself.
            tagged = self._run(["image", "inspect", "--format", "{{len .RepoTags}}", image])
            if tagged.returncode == 0 and tagged.stdout.strip() == "0":
                self._run(["rmi", image])
        self.leftovers.clear()


# --- the measurement ------------------------------------------------------------------------------


def _copy_context(context: Path, dest: Path) -> None:
    shutil.copytree(context, dest, symlinks=True)


_changes = itertools.count(1)


def _append_change(path: Path) -> None:
    """A source-only change: blank lines at the end of the file (content, not just mtime; valid in
    any source language), a different number each time in this process. BuildKit keeps its cache
    records when an image is removed, so a second copy of the context changed the same way (another
    variant's rebuild) would find the first one's layers and "rebuild" in no time."""
    with open(path, "ab") as fh:
        fh.write(b"\n" * next(_changes))


def measure(path: str, original_text: str, rewritten_text: str, applied: Sequence[str],
            creates: Sequence[tuple[str, str]], context: Path, docker: Docker,
            change: str | None = None) -> Measurement:
    """Build both Dockerfiles (in copies of the context), then rebuild both after a source change.

    Temporary images are removed before returning, whatever happened.
    """
    m = Measurement(path=path, applied=list(applied), unchanged=original_text == rewritten_text)
    m.builder = "BuildKit" if docker.buildkit else "classic"
    if not docker.buildkit:
        for label, text in (("original", original_text), ("rewritten", rewritten_text)):
            why = needs_buildkit(text)
            if why:
                raise MeasureError(f"the {label} Dockerfile needs BuildKit ({why}) and this Docker CLI "
                                   "has no buildx: install it (Debian: docker-buildx)")
    context = context.resolve()
    dockerfile = Path(path).resolve()
    inside = dockerfile.is_relative_to(context)
    rel_dockerfile = dockerfile.relative_to(context) if inside else Path("Dockerfile.dockslim")
    m.changed_file = change if change is not None else pick_source_file(
        context, copied_files(original_text, context, str(dockerfile)))
    if m.changed_file is not None and not (context / m.changed_file).is_file():
        raise MeasureError(f"--change {m.changed_file}: no such file in the build context {context}")
    run = uuid.uuid4().hex[:10]
    with tempfile.TemporaryDirectory(prefix="dockslim-measure-") as tmp:
        sides = [("original", original_text, m.original)]
        if not m.unchanged:
            sides.append(("rewritten", rewritten_text, m.rewritten))
        trees: dict[str, dict[str, Entry]] = {}
        # One side after the other, each side's images removed before the next side builds: the
        # classic builder takes *any* cached image with the same parent and instruction, so with
        # both sides' images present a rebuild could continue from the other side's chain and miss.
        for label, text, result in sides:
            folder = Path(tmp) / label
            _copy_context(context, folder)
            # A Dockerfile outside the context stays outside the copy.
            df = folder / rel_dockerfile if inside else Path(tmp) / f"{label}.Dockerfile"
            df.write_text(text, encoding="utf-8")
            if label == "rewritten":
                for rel, content in creates:
                    target = folder / rel
                    if not target.exists():
                        target.write_text(content, encoding="utf-8")
            tags = [f"dockslim-measure-{run}:{label}"]
            try:
                try:
                    result.seconds = docker.build(df, folder, tags[0], no_cache=True)
                except MeasureError as exc:
                    if label == "original":
                        raise MeasureError(f"{path}: the original does not build here, so there is "
                                           f"nothing to compare: {exc}") from None
                    result.error = str(exc)
                    continue
                result.ok = True
                result.facts = docker.facts(tags[0])
                if not m.unchanged:
                    trees[label] = docker.files(tags[0])
                if m.changed_file is not None:
                    _append_change(folder / m.changed_file)
                    tags.append(f"dockslim-measure-{run}:{label}-rebuild")
                    result.rebuild_seconds = docker.build(df, folder, tags[1], no_cache=False)
            finally:
                docker.remove(tags)
        if len(trees) == 2:
            m.files = diff_files(trees["original"], trees["rewritten"])
    return m


def run_measure(path: str, options: RunOptions, change: str | None = None) -> int:
    """``dockslim measure``: fix ``path`` as ``dockslim fix`` would, build both versions, print the
    comparison (``options.output_format``: text or json). Exit 0 when the rewrite built and lost
    nothing, 1 when it failed or lost files, 2 on errors (no engine, unreadable input...)."""
    from .commands import Planner
    from .engine import default_context, fix_file
    from .exitcodes import ExitCode
    from .term import echo, error

    passes, pass_options = Planner(options).plan(path)
    report = fix_file(path, passes, pass_options, options.context)
    if report.error is not None:
        echo(str(report.error), err=True)
        return int(ExitCode.ERROR)
    result = report.result
    assert result is not None
    folder = default_context(path, options.context)
    if path == "-" or folder is None:
        error("measure needs a Dockerfile on disk (its folder is the default build context)")
        return int(ExitCode.ERROR)
    docker = Docker(options.network, build_args=options.build_args)
    try:
        docker.check()
        outcome = measure(path, result.original, result.text,
                          list(dict.fromkeys(a.finding.pass_id for a in result.applied)),
                          result.creates, folder, docker, change)
    except MeasureError as exc:
        error(str(exc))
        return int(ExitCode.ERROR)
    echo(to_json([outcome]) if options.output_format == "json" else render_text(outcome), nl=False)
    return int(ExitCode.OK if outcome.succeeded else ExitCode.FOUND)
