"""`dockslim fix --verify`: build the original and the rewritten Dockerfile on the local engine,
keep only the fixes whose rewrite builds and behaves like the original, and say what they cost
and save.

For one Dockerfile:

1. build the original (it must build: otherwise there is nothing to compare, exit 2) and run a
   smoke check in it: its HEALTHCHECK; else the user's ``--verify-cmd`` (exit code and stdout);
   else its default CMD/ENTRYPOINT for a few seconds (still running, or exited with which code);
2. build the rewrite with every fix and run the same check. If it does not build or the check
   does not give the original's outcome, the safe-only rewrite is tried; if that passes, the
   unsafe fixes are searched for the one(s) responsible (a binary search over prefixes of the
   unsafe fixes in the order they were applied: they are independent edits), which are dropped
   with the reason (the failing build step's last lines, or the two outcomes);
3. compare the file trees of the original and the kept rewrite outside cache folders (as
   ``measure`` does) and name what is gone: Debian packages, Python distributions, executables
   on PATH;
4. size what each kept unsafe fix saves (the image without it, minus the image with it) and what
   the safe fixes save together.

The decision logic (:func:`verify`, :func:`find_culprits`) talks to the engine through
:class:`Engine`, so that tests drive it with a fake; :class:`DockerEngine` is the real one, built on
:class:`dockslim.measure.Docker` (the one place that builds images and runs containers).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from ._records import replace as _replace
from .fixer import Applied, FixKey, FixResult
from .measure import (
    Docker,
    Entry,
    FileDiff,
    MeasureError,
    _append_change,
    _copy_context,
    diff_files,
    needs_buildkit,
)
from .passes import Safety

SMOKE_SECONDS = 5.0        # how long the default command must keep its outcome
HEALTH_SECONDS = 60.0      # how long a HEALTHCHECK may take to pass
VERIFY_CMD_SECONDS = 120.0
MAX_RERUNS = 8             # fixer runs to settle which unsafe fixes a set of left-out fixes brings up
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


K = TypeVar("K")


class VerifyError(Exception):
    """Verifying cannot go on (no engine, no context, the original does not build). Exit code 2."""


# --- what the engine tells us ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a smoke check saw in one image."""

    summary: str          # compared between the images, e.g. "running", "exited 1", "healthy"
    detail: str = ""      # shown when the outcomes differ (stdout, the last log lines...)


@dataclass(frozen=True)
class Built:
    """One build: the image's tag, or why it failed."""

    ok: bool
    tag: str = ""
    size: int = 0
    error: str = ""
    seconds: float = 0.0


class Engine(Protocol):
    """What verifying needs from an engine (:class:`DockerEngine`; tests use a fake)."""

    def build(self, label: str, text: str, creates: Sequence[tuple[str, str]]) -> Built: ...

    def smoke(self, tag: str, check: SmokeCheck) -> Outcome: ...

    def files(self, tag: str) -> Mapping[str, Entry]: ...

    def path_dirs(self, tag: str) -> tuple[str, ...]: ...

    def smoke_check(self, tag: str, verify_cmd: str | None) -> SmokeCheck: ...

    def cleanup(self) -> None: ...


@dataclass(frozen=True)
class SmokeCheck:
    """Which check runs in both images: ``healthcheck``, ``verify-cmd`` or ``default-command``."""

    kind: str
    argv: tuple[str, ...] = ()   # the HEALTHCHECK's command, or the verify command for `sh -c`
    shown: str = ""              # for the report

    def describe(self) -> str:
        if self.kind == "healthcheck":
            return f"the image's HEALTHCHECK ({self.shown}), within {HEALTH_SECONDS:.0f}s"
        if self.kind == "verify-cmd":
            return f"--verify-cmd {self.shown!r}: exit code and stdout"
        return f"the default command ({self.shown or 'none'}) for {SMOKE_SECONDS:.0f}s: running, or exit code"


def choose_check(config: Mapping, verify_cmd: str | None) -> SmokeCheck:
    """The smoke check for an image with this ``Config`` (from `docker image inspect`)."""
    health = (config.get("Healthcheck") or {}).get("Test") or []
    if health and health[0] in ("CMD", "CMD-SHELL"):
        argv = tuple(health[1:]) if health[0] == "CMD" else ("/bin/sh", "-c", " ".join(health[1:]))
        return SmokeCheck("healthcheck", argv, " ".join(health[1:]))
    if verify_cmd is not None:
        return SmokeCheck("verify-cmd", (verify_cmd,), verify_cmd)
    command = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    return SmokeCheck("default-command", tuple(command), " ".join(command))


# --- what the rewrite removed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Removed:
    """What the rewritten image lacks that the original has, by name."""

    debian: tuple[str, ...] = ()       # dpkg packages (var/lib/dpkg/info/NAME.list gone)
    python: tuple[str, ...] = ()       # Python distributions (*.dist-info / *.egg-info gone)
    executables: tuple[str, ...] = ()  # commands on PATH that are gone


def removed_names(lost: Sequence[str], original: Mapping[str, Entry],
                  path_dirs: Sequence[str] = tuple(DEFAULT_PATH.split(":"))) -> Removed:
    """Name the packages and commands among ``lost`` paths (as in an exported image: no leading /)."""
    debian: set[str] = set()
    python: set[str] = set()
    executables: set[str] = set()
    dirs = {d.strip("/") + "/" for d in path_dirs if d.strip("/")}
    for path in lost:
        head, _, name = path.rpartition("/")
        if head == "var/lib/dpkg/info" and name.endswith(".list"):
            debian.add(name[: -len(".list")].split(":")[0])
        elif head.endswith(("site-packages", "dist-packages")) and name.endswith((".dist-info", ".egg-info")):
            python.add(name.rsplit(".", 1)[0].split("-")[0])
        elif head + "/" in dirs:
            entry = original.get(path)
            if entry is not None and (entry.kind in ("link", "hardlink") or entry.mode & 0o111):
                executables.add(name)
    return Removed(tuple(sorted(debian)), tuple(sorted(python, key=str.lower)), tuple(sorted(executables)))


# --- the search for the fixes responsible ---------------------------------------------------------


def find_culprits(candidates: Sequence[K], fails: Callable[[Sequence[K]], bool]) -> list[tuple[K, tuple[K, ...]]]:
    """The fixes to drop so that ``fails(kept)`` is False, given ``fails(())`` is False; each with
    the smallest failing set it was found in (the reason is that set's failure).

    ``fails(applied)`` says whether the rewrite with these of the candidate fixes (and every other
    fix) fails. Fixes are independent edits, and adding a fix never mends a failing rewrite, so the
    smallest failing prefix of ``candidates`` ends with a culprit: a binary search finds it in
    ~log2(n) trials; it is dropped and the rest tried again, until what remains passes.
    """
    remaining = list(candidates)
    dropped: list[tuple[K, tuple[K, ...]]] = []
    while remaining and fails(remaining):
        lo, hi = 0, len(remaining)  # fails(remaining[:lo]) is False, fails(remaining[:hi]) is True
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fails(remaining[:mid]):
                hi = mid
            else:
                lo = mid
        dropped.append((remaining[hi - 1], tuple(remaining[:hi])))
        del remaining[hi - 1]
    return dropped


# --- the verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dropped:
    fix: Applied
    reason: str


@dataclass(frozen=True)
class Saving:
    fix: Applied
    bytes: int   # image size without this fix minus with it (every other kept fix applied)


@dataclass
class Verdict:
    """What `fix --verify` found for one Dockerfile; ``result`` holds only the fixes that passed."""

    path: str
    result: FixResult
    check: SmokeCheck
    original_outcome: Outcome
    rewritten_outcome: Outcome | None = None
    dropped: list[Dropped] = field(default_factory=list)
    savings: list[Saving] = field(default_factory=list)
    safe_saving: int | None = None          # original minus the safe-only rewrite
    original_size: int = 0
    rewritten_size: int = 0
    files: FileDiff | None = None
    removed: Removed = Removed()
    builds: int = 0
    seconds: float = 0.0
    unverified: str = ""                    # why nothing could be kept (e.g. the safe rewrite fails)
    withdrawn: list[Applied] = field(default_factory=list)  # unsafe fixes that went with a dropped one


def _shown(fix: Applied) -> str:
    return f"{fix.finding.pass_id} (line {fix.line}{'' if fix.round == 0 else f', round {fix.round + 1}'})"


def verify(path: str, result: FixResult, rerun: Callable[[Collection[FixKey]], FixResult],
           engine: Engine, verify_cmd: str | None = None) -> Verdict:
    """Verify ``result`` (the fixer's output for ``path``); ``rerun(excluded)`` runs the fixer
    again without the named fixes. Raises VerifyError when the original does not build."""
    started = time.monotonic()
    original = engine.build("original", result.original, ())
    if not original.ok:
        raise VerifyError(f"{path}: the original does not build here, so there is nothing to verify "
                          f"against; your file is left as it is.\n    {original.error}")
    check = engine.smoke_check(original.tag, verify_cmd)
    before = engine.smoke(original.tag, check)
    verdict = Verdict(path, result, check, before, original_size=original.size)
    builds = 1
    trials: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Built, Outcome | None]] = {}

    unsafe = [a for a in result.applied if a.safety is Safety.UNSAFE]
    unsafe_keys = [a.key for a in unsafe]

    def without(excluded: Collection[FixKey]) -> FixResult:
        """The fixer's output without ``excluded`` and without any unsafe fix that leaving them out
        brings up anew (e.g. without pinned-base's `debian:latest` -> `debian:13`, alpine-base
        offers `debian:latest` -> alpine, another fix than the one verified): only unsafe fixes of
        ``result`` are ever tried, each one checked on the engine."""
        out = frozenset(excluded)
        for _ in range(MAX_RERUNS):
            variant = rerun(out)
            new = {a.key for a in variant.applied if a.safety is Safety.UNSAFE and a.key not in unsafe_keys}
            if not new:
                return variant
            out |= new
        raise VerifyError(f"{path}: leaving fixes out keeps bringing up new unsafe fixes "
                          f"({', '.join(sorted({k.pass_id for k in out}))}); nothing is verified")

    def trial(excluded: Collection[FixKey]) -> tuple[FixResult, Built, Outcome | None]:
        nonlocal builds
        variant = without(excluded) if excluded else result
        key = (variant.text, variant.creates)
        if key not in trials:
            if variant.text == result.original and not variant.creates:
                trials[key] = (original, before)
            else:
                builds += 1
                built = engine.build("rewritten", variant.text, variant.creates)
                trials[key] = (built, engine.smoke(built.tag, check) if built.ok else None)
        built, outcome = trials[key]
        return variant, built, outcome

    def failure(excluded: Collection[FixKey]) -> str:
        """Why the rewrite without ``excluded`` is not acceptable, or ''."""
        _, built, outcome = trial(excluded)
        if not built.ok:
            return "the rewrite does not build: " + built.error
        assert outcome is not None
        if outcome.summary != before.summary:
            return (f"the smoke check differs: original {before.summary}, rewritten {outcome.summary}"
                    + (f"\n    {outcome.detail}" if outcome.detail else ""))
        return ""

    by_key = {a.key: a for a in unsafe}
    dropped_keys: list[FixKey] = []
    if failure(()):
        why_safe = failure(unsafe_keys)
        if why_safe:
            verdict.unverified = ("even the safe fixes alone fail, so no fix is kept for this file "
                                  f"(please report it): {why_safe}")
            verdict.result = _replace(result, text=result.original, applied=(), creates=())
            verdict.builds, verdict.seconds = builds, time.monotonic() - started
            return verdict

        def others(applied: Sequence[FixKey]) -> set[FixKey]:
            return set(unsafe_keys) - set(applied)

        for key, failing in find_culprits(unsafe_keys, lambda applied: bool(failure(others(applied)))):
            verdict.dropped.append(Dropped(by_key[key], failure(others(failing))))
            dropped_keys.append(key)
    final, built, outcome = trial(dropped_keys)
    verdict.result = final
    verdict.rewritten_outcome = outcome
    verdict.rewritten_size = built.size
    # A fix that applied only on top of a dropped one (alpine-base switches a builder stage only
    # together with the stage that copies from it) is gone from the final rewrite: not "kept".
    in_final = {a.key for a in final.applied}
    kept_unsafe = [k for k in unsafe_keys if k not in dropped_keys and k in in_final]
    verdict.withdrawn = [by_key[k] for k in unsafe_keys if k not in dropped_keys and k not in in_final]
    for key in kept_unsafe:
        _, lacking, _ = trial([*dropped_keys, key])
        if lacking.ok:
            verdict.savings.append(Saving(by_key[key], lacking.size - built.size))
    if final.applied and any(a.safety is Safety.SAFE for a in final.applied):
        _, safe_only, _ = trial(unsafe_keys)
        if safe_only.ok:
            verdict.safe_saving = original.size - safe_only.size
    if final.text != result.original:
        before_files = engine.files(original.tag)
        after_files = engine.files(built.tag)
        verdict.files = diff_files(before_files, after_files)
        verdict.removed = removed_names(verdict.files.lost, before_files, engine.path_dirs(original.tag))
    verdict.builds, verdict.seconds = builds, time.monotonic() - started
    return verdict


# --- the report -----------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _names(label: str, names: Sequence[str], limit: int = 25) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{label} ({len(names)}): {', '.join(names[:limit])}{more}"


def render(v: Verdict, builder: str = "") -> list[str]:
    """The report, one line per fact (stderr, beside the diff)."""
    where = f" ({builder} builder)" if builder else ""
    lines = [f"{v.path}: verified on the local Docker engine{where}: {v.builds} build(s) in {v.seconds:.0f}s"]
    lines.append(f"  smoke check: {v.check.describe()}")
    if v.unverified:
        lines.append(f"  {v.unverified}")
        return lines
    after = v.rewritten_outcome.summary if v.rewritten_outcome else "-"
    lines.append(f"  outcome: original {v.original_outcome.summary}, rewritten {after}")
    for d in v.dropped:
        lines.append(f"  dropped {_shown(d.fix)}: {d.fix.finding.message}")
        lines.append("    because " + d.reason)
    for a in v.withdrawn:
        lines.append(f"  left out {_shown(a)}: it applies only together with a dropped fix: {a.finding.message}")
    for s in v.savings:
        lines.append(f"  kept {_shown(s.fix)}, unsafe: saves {_mb(s.bytes)}: {s.fix.finding.message}")
    if v.safe_saving is not None:
        safe = sorted({a.finding.pass_id for a in v.result.applied if a.safety is Safety.SAFE})
        lines.append(f"  safe fixes ({', '.join(safe)}): save {_mb(v.safe_saving)}")
    if v.result.text == v.result.original:
        lines.append("  nothing kept: the file stays as it is")
        return lines
    change = (v.rewritten_size - v.original_size) / v.original_size * 100 if v.original_size else 0.0
    lines.append(f"  image: {_mb(v.original_size)} -> {_mb(v.rewritten_size)} ({change:+.0f} %)")
    if v.files is not None:
        lines.append(f"  files lost outside cache folders: {len(v.files.lost)}")
        r = v.removed
        if r.debian:
            lines.append("  " + _names("Debian packages removed", r.debian))
        if r.python:
            lines.append("  " + _names("Python distributions removed", r.python))
        if r.executables:
            lines.append("  " + _names("commands on PATH removed", r.executables))
    return lines


# --- the real engine ------------------------------------------------------------------------------


class DockerEngine:
    """:class:`Engine` on the local Docker engine: each build in a copy of the build context, images
    and containers labelled ``dockslim.verify=<run id>`` and removed by :meth:`cleanup`."""

    LABEL = "dockslim.verify"

    def __init__(self, dockerfile: Path, context: Path, *, network: str | None = None,
                 build_args: Sequence[str] = (), progress: bool | None = None):
        if not context.is_dir():
            raise VerifyError(f"the build context {context} does not exist or is not a folder")
        self.run_id = uuid.uuid4().hex[:10]
        self.progress = _Progress() if (progress if progress is not None else sys.stderr.isatty()) else None
        self.docker = Docker(network, build_args=build_args, labels={self.LABEL: self.run_id},
                             progress=self.progress.line if self.progress else None)
        self.context = context.resolve()
        dockerfile = dockerfile.resolve()
        self.inside = dockerfile.is_relative_to(self.context)
        self.rel_dockerfile = dockerfile.relative_to(self.context) if self.inside else Path("Dockerfile")
        self.tags: list[str] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="dockslim-verify-")
        self._count = 0
        self._built: dict[str, tuple[Path, Path]] = {}   # tag -> (its copy of the context, Dockerfile)
        try:
            self.docker.check()
        except MeasureError as exc:
            self._tmp.cleanup()
            raise VerifyError(f"--verify needs a Docker engine: {exc}") from None

    @property
    def builder(self) -> str:
        return "BuildKit" if self.docker.buildkit else "classic"

    def build(self, label: str, text: str, creates: Sequence[tuple[str, str]], *,
              no_cache: bool = False) -> Built:
        self._count += 1
        if not self.docker.buildkit:
            why = needs_buildkit(text)
            if why:
                return Built(False, error=f"needs BuildKit ({why}) and this Docker CLI has no buildx")
        folder = Path(self._tmp.name) / f"{self._count}-{label}"
        _copy_context(self.context, folder)
        df = folder / self.rel_dockerfile if self.inside else Path(self._tmp.name) / f"{self._count}.Dockerfile"
        df.write_text(text, encoding="utf-8")
        for rel, content in creates:
            target = folder / rel
            if not target.exists():
                target.write_text(content, encoding="utf-8")
        tag = f"dockslim-verify-{self.run_id}:{self._count}-{label}"
        if self.progress:
            self.progress.start(f"building the {label} image (#{self._count})")
        try:
            seconds = self.docker.build(df, folder, tag, no_cache=no_cache)
        except MeasureError as exc:
            return Built(False, error=str(exc))
        finally:
            if self.progress:
                self.progress.done()
        self.tags.append(tag)
        self._built[tag] = (folder, df)
        return Built(True, tag, self.docker.facts(tag).size, seconds=seconds)

    def rebuild(self, tag: str, change: str) -> float:
        """Seconds to build the image ``tag`` again after a source-only change to ``change`` (a
        file of its copy of the context), as `measure` does: each change unlike any other, so that
        no rebuild finds another's layers in the cache (BuildKit keeps them when the image is
        removed); the rebuilt image is removed at once. Raises MeasureError."""
        folder, df = self._built[tag]
        _append_change(folder / change)
        again = f"{tag}-rebuild"
        try:
            return self.docker.build(df, folder, again, no_cache=False)
        finally:
            self.docker.remove([again])

    def smoke_check(self, tag: str, verify_cmd: str | None) -> SmokeCheck:
        return choose_check(self.docker.config(tag), verify_cmd)

    def path_dirs(self, tag: str) -> tuple[str, ...]:
        for item in self.docker.config(tag).get("Env") or []:
            if item.startswith("PATH="):
                return tuple(item[5:].split(":"))
        return tuple(DEFAULT_PATH.split(":"))

    def smoke(self, tag: str, check: SmokeCheck) -> Outcome:
        if check.kind == "verify-cmd":
            code, out, err = self.docker.run(tag, ["-c", check.argv[0]], entrypoint="/bin/sh",
                                             timeout=VERIFY_CMD_SECONDS)
            shown = out.strip()[-300:]
            return Outcome(f"exit {code}, stdout {shown!r}", err.strip()[-300:])
        cid = self.docker.start(tag)
        try:
            if check.kind == "healthcheck":
                deadline = time.monotonic() + HEALTH_SECONDS
                while True:
                    running, code = self.docker.state(cid)
                    if not running:
                        return Outcome(f"exited {code} before its HEALTHCHECK passed", self.docker.logs(cid))
                    if self.docker.exec(cid, check.argv) == 0:
                        return Outcome("healthy")
                    if time.monotonic() > deadline:
                        return Outcome(f"not healthy after {HEALTH_SECONDS:.0f}s", self.docker.logs(cid))
                    time.sleep(2)
            time.sleep(SMOKE_SECONDS)
            running, code = self.docker.state(cid)
            return Outcome("running" if running else f"exited {code}", self.docker.logs(cid))
        finally:
            self.docker.kill(cid)

    def files(self, tag: str) -> Mapping[str, Entry]:
        return self.docker.files(tag)

    def cleanup(self) -> None:
        self.docker.remove(self.tags)
        self.tags.clear()
        self._tmp.cleanup()


class _Progress:
    """One line on the terminal that follows a long build: the step it is at and the time spent."""

    def __init__(self) -> None:
        self.what = ""
        self.step = ""
        self.started = 0.0

    def start(self, what: str) -> None:
        self.what, self.step, self.started = what, "", time.monotonic()
        self._show()

    def line(self, text: str) -> None:
        text = text.strip()
        if text.startswith("Step ") or text.startswith("#") and " [" in text:
            self.step = text
        self._show()

    def _show(self) -> None:
        shown = f"verify: {self.what} {time.monotonic() - self.started:4.0f}s {self.step}"
        sys.stderr.write("\r\033[K" + shown[:110])
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


# --- the entry point for `fix --verify` -----------------------------------------------------------


@dataclass(frozen=True)
class VerifyRequest:
    """What the user passed with ``fix --verify``."""

    verify_cmd: str | None = None
    build_args: tuple[str, ...] = ()
    network: str | None = None


def preflight(paths: Sequence[str], context: str | None) -> None:
    """Refuse before any work what `--verify` cannot do: no engine, stdin, a missing context."""
    if "-" in paths:
        raise VerifyError("--verify builds images: it needs Dockerfiles on disk, not standard input")
    if context is not None and not Path(context).is_dir():
        raise VerifyError(f"--context {context}: no such folder, so there is nothing to build")
    try:
        Docker().check()
    except MeasureError as exc:
        raise VerifyError(f"--verify needs a Docker engine: {exc}") from None


def verified(path: str, result: FixResult, rerun: Callable[[Collection[FixKey]], FixResult],
             context: Path, request: VerifyRequest) -> tuple[FixResult, list[str]]:
    """Verify ``result`` on the local engine: the result to write or show (only fixes that passed)
    and the report's lines. Raises VerifyError (exit 2: the user's file stays untouched)."""
    if not result.changed:
        return result, [f"{path}: nothing to rewrite, so nothing was built"]
    engine = DockerEngine(Path(path), context, network=request.network, build_args=request.build_args)
    try:
        verdict = verify(path, result, rerun, engine, request.verify_cmd)
    except MeasureError as exc:
        raise VerifyError(f"{path}: {exc}") from None
    finally:
        engine.cleanup()
    return verdict.result, render(verdict, engine.builder)
