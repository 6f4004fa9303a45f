"""Recording stand-ins for the tools a Dockerfile build must not run for real.

One POSIX shell script (``standins.sh``, installed as ``/.harness/standin``) is symlinked under every
name in :data:`STANDIN_NAMES`. It records each call and imitates what the real tool leaves on disk
(package files, caches, downloads), so the harness can compare two builds without a network.
Daemons (:data:`DAEMON_NAMES`) stay alive as real processes until the RUN ends, and every call
records which daemons were running when it was made.

Also installed under ``/.harness``: ``fail`` (what an injected failure runs; being a file, it also
makes ``/.harness/fail/x`` a path that can be neither written nor read), ``bin/sleep`` (the real
one), and a ``sleep`` that waits at most :data:`SLEEP_CAP` seconds (builds sleep to let a daemon
start; a stand-in daemon is up in milliseconds, and a play must stay fast).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

HARNESS_DIR = ".harness"  # inside the root; excluded from every file snapshot
SCRIPT = Path(__file__).with_name("standins.sh")

STANDIN_NAMES = (
    # package managers
    "apt-get", "apt", "apk", "dnf", "yum", "microdnf", "pip", "pip3", "python", "python3", "npm",
    "yarn", "gem", "bundle", "bundler", "composer", "go", "cargo",
    # network
    "curl", "wget", "git",
    # compilers and build tools
    "gcc", "cc", "g++", "c++", "clang", "rustc", "make", "cmake", "mvn", "gradle", "javac",
    # system administration that needs a real distribution
    "useradd", "adduser", "groupadd", "addgroup", "update-ca-certificates", "ldconfig", "locale-gen",
    "dpkg-reconfigure", "systemctl", "node", "ruby", "php", "java",
)
# Daemons, their controllers and clients (modelled in standins.sh, "daemons and their clients").
DAEMON_NAMES = (
    "mysqld_safe", "mariadbd-safe", "mysqld", "mariadbd", "postgres", "redis-server", "mongod",
    "Xvfb", "dockerd", "pg_ctl", "pg_ctlcluster", "service",
)
CLIENT_NAMES = (
    "mysqladmin", "mysql", "mariadb", "mariadb-admin", "psql", "pg_isready", "createdb",
    "createuser", "redis-cli", "mongo", "mongosh",
)
STANDIN_NAMES = STANDIN_NAMES + DAEMON_NAMES + CLIENT_NAMES

FAIL = f"/{HARNESS_DIR}/fail"  # exits 1; FAIL + "/x" cannot be opened (its parent is a file)
SLEEP_CAP = "0.2"  # seconds: the longest a `sleep` in a RUN really waits
_FAIL_SCRIPT = """#!/bin/sh
echo "harness: injected failure${1:+ of $1}" >&2
exit 1
"""
_SLEEP_SCRIPT = f"""#!/bin/sh
# harness: sleep at most {SLEEP_CAP}s (a bad argument still fails as the real sleep does)
/{HARNESS_DIR}/bin/timeout {SLEEP_CAP} /{HARNESS_DIR}/bin/sleep "$@"
status=$?
[ "$status" = 124 ] && exit 0
exit "$status"
"""

# Environment entries every shell sets on its own; they say nothing about the build.
NOISE_ENV = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})


@dataclass(frozen=True)
class Call:
    """One recorded stand-in call. Equality covers what the tool saw, not where it came from."""

    argv: tuple[str, ...]
    cwd: str
    env: tuple[tuple[str, str], ...]  # sorted, noise removed
    umask: str
    # Where the call came from (1-based line of its RUN); kept for messages, not compared.
    line: int = field(default=0, compare=False)
    daemons: tuple[str, ...] = ()  # stand-in daemons running when the call was made, sorted

    @property
    def name(self) -> str:
        return self.argv[0]

    def env_dict(self) -> dict[str, str]:
        return dict(self.env)

    def describe(self) -> str:
        running = f", while {', '.join(self.daemons)} ran" if self.daemons else ""
        return f"{' '.join(self.argv)}  (cwd {self.cwd}, line {self.line}{running})"


def install(root: Path) -> None:
    """Put the dispatcher and its names into ``root`` (the session's base root)."""
    hdir = root / HARNESS_DIR
    (hdir / "calls").mkdir(parents=True, exist_ok=True)
    (hdir / "daemons").mkdir(exist_ok=True)
    shutil.copyfile(SCRIPT, hdir / "standin")
    os.chmod(hdir / "standin", 0o755)
    (hdir / "state").write_text("0 0\n")
    (hdir / "fail").write_text(_FAIL_SCRIPT)
    os.chmod(hdir / "fail", 0o755)
    (hdir / "bin").mkdir(exist_ok=True)
    for tool in ("sleep", "timeout"):
        host = shutil.which(tool, path="/usr/bin:/bin")
        if host is None:
            raise FileNotFoundError(f"the host has no {tool}")
        shutil.copy2(Path(host).resolve(), hdir / "bin" / tool)
    sleep = root / "usr/bin/sleep"
    if sleep.exists() or sleep.is_symlink():
        sleep.unlink()
    sleep.write_text(_SLEEP_SCRIPT)
    os.chmod(sleep, 0o755)
    for name in STANDIN_NAMES:
        link = root / "usr/bin" / name
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(f"/{HARNESS_DIR}/standin")


def prepare(root: Path, offset: int, fail_at: int | None) -> None:
    """Reset the call records before a RUN; call ``offset + n`` is the run's n-th call."""
    calls = root / HARNESS_DIR / "calls"
    shutil.rmtree(calls, ignore_errors=True)
    calls.mkdir(parents=True)
    clear_daemons(root)
    (root / HARNESS_DIR / "state").write_text(f"{offset} {fail_at or 0}\n")


def daemons(root: Path) -> dict[int, str]:
    """The stand-in daemons registered in ``root``: pid -> the name it was started as."""
    out = {}
    for entry in (root / HARNESS_DIR / "daemons").glob("*.*"):
        pid = entry.name.rsplit(".", 1)[1]
        if pid.isdigit():
            out[int(pid)] = entry.read_text().strip()
    return out


def clear_daemons(root: Path) -> None:
    registry = root / HARNESS_DIR / "daemons"
    shutil.rmtree(registry, ignore_errors=True)
    registry.mkdir(parents=True)


def collect(root: Path, line: int) -> list[Call]:
    """The calls recorded in ``root`` since :func:`prepare`, in order."""
    calls_dir = root / HARNESS_DIR / "calls"
    out = []
    for entry in sorted(calls_dir.iterdir(), key=lambda p: int(p.name)):
        # A record is written field by field; one killed half-way (a background call still running
        # when its RUN ended) keeps what it had written.
        argv = _read(entry / "argv").split("\0")[:-1]
        env_items = _read(entry / "env").split("\0")[:-1]
        env = sorted(
            tuple(item.split("=", 1)) for item in env_items
            if "=" in item and item.split("=", 1)[0] not in NOISE_ENV
        )
        out.append(
            Call(
                argv=tuple(argv),
                cwd=_read(entry / "cwd").strip(),
                env=tuple(env),
                umask=_read(entry / "umask").strip(),
                line=line,
                daemons=tuple(sorted(_read(entry / "daemons").split("\n")[:-1])),
            )
        )
    return out


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
