"""Recording stand-ins for the tools a Dockerfile build must not run for real.

One POSIX shell script (``standins.sh``, installed as ``/.harness/standin``) is symlinked under every
name in :data:`STANDIN_NAMES`. It records each call and imitates what the real tool leaves on disk
(package files, caches, downloads), so the harness can compare two builds without a network.
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

    @property
    def name(self) -> str:
        return self.argv[0]

    def env_dict(self) -> dict[str, str]:
        return dict(self.env)

    def describe(self) -> str:
        return f"{' '.join(self.argv)}  (cwd {self.cwd}, line {self.line})"


def install(root: Path) -> None:
    """Put the dispatcher and its names into ``root`` (the session's base root)."""
    hdir = root / HARNESS_DIR
    (hdir / "calls").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCRIPT, hdir / "standin")
    os.chmod(hdir / "standin", 0o755)
    (hdir / "state").write_text("0 0\n")
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
    (root / HARNESS_DIR / "state").write_text(f"{offset} {fail_at or 0}\n")


def collect(root: Path, line: int) -> list[Call]:
    """The calls recorded in ``root`` since :func:`prepare`, in order."""
    calls_dir = root / HARNESS_DIR / "calls"
    out = []
    for entry in sorted(calls_dir.iterdir(), key=lambda p: int(p.name)):
        argv = (entry / "argv").read_bytes().decode("utf-8", "replace").split("\0")[:-1]
        env_items = (entry / "env").read_bytes().decode("utf-8", "replace").split("\0")[:-1]
        env = sorted(
            tuple(item.split("=", 1)) for item in env_items
            if "=" in item and item.split("=", 1)[0] not in NOISE_ENV
        )
        out.append(
            Call(
                argv=tuple(argv),
                cwd=(entry / "cwd").read_text().strip(),
                env=tuple(env),
                umask=(entry / "umask").read_text().strip(),
                line=line,
            )
        )
    return out
