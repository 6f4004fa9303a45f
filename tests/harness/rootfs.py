"""A minimal, throw-away root filesystem to play Dockerfile stages in with ``chroot``.

The *base root* is built once per session from the host's own binaries (dash, bash, coreutils and a
few text tools, plus the shared libraries ``ldd`` names) and the recording stand-ins. As in Debian's
images, ``/bin/sh`` is a symlink to dash and bash is there too, so a RUN that points ``/bin/sh`` at
bash really changes the interpreter of every later RUN (``[[ ]]``, ``source``, arrays and
``set -o pipefail`` work under one and fail under the other). Each stage then
gets a *clone*: big binaries are hard-linked (cloning is a few ms), everything small is copied, so a
RUN that edits ``/etc/passwd`` edits its own copy. A RUN that rewrites a hard-linked binary in place
would corrupt the base; :func:`clone` records their inodes so the player can refuse such a play.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from . import standins

# Tools the fixtures may use for real. Anything a package manager, network or compiler would do is a
# stand-in instead (see standins.py), so that the harness never touches the network or the host.
HOST_TOOLS = (
    "sh", "dash", "bash", "env", "ls", "cat", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "ln",
    "chmod", "chown", "chgrp", "sed", "grep", "egrep", "find", "xargs", "tar", "gzip", "head", "tail", "wc",
    "sort", "uniq", "tr", "cut", "id", "basename", "dirname", "readlink", "realpath", "stat",
    "mktemp", "sleep", "date", "awk", "install", "sha256sum", "md5sum", "tee", "du", "printf",
    "echo", "test", "[", "true", "false", "pwd", "expr", "seq", "yes", "whoami", "ls", "nproc",
    "uname", "chmod", "diff", "cmp", "which", "dd", "sync", "timeout", "nice", "nohup", "paste",
    "comm", "join", "split", "base64", "od", "md5sum", "sha1sum", "truncate", "mkfifo", "file",
)

# Files smaller than this are copied into each clone; bigger ones (binaries, libraries) hard-linked.
_LINK_THRESHOLD = 32 * 1024


class RootUnavailable(RuntimeError):
    """The machine cannot run the harness (not root, no chroot, no mknod...)."""


@lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why the harness cannot run here, or None when it can."""
    if os.name != "posix" or not hasattr(os, "chroot"):
        return "needs a POSIX system with chroot"
    if os.geteuid() != 0:
        return "needs root for chroot and mknod (CI runs as root)"
    if shutil.which("ldd") is None:
        return "needs ldd (Debian package libc-bin) to find the shared libraries of the host tools"
    try:
        base_root()
    except RootUnavailable as exc:
        return str(exc)
    return None


def _candidate_parents() -> list[Path]:
    # tmpfs first: a play creates and removes a few hundred files, which costs several times more on
    # a journaling disk. DOCKSLIM_HARNESS_DIR overrides.
    chosen = os.environ.get("DOCKSLIM_HARNESS_DIR")
    if chosen:
        return [Path(chosen)]
    out = []
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 512 * 2**20:
        out.append(shm)
    out.append(Path(tempfile.gettempdir()))
    return out


_session: list[Path] = []  # the session directory in use, once chosen


@lru_cache(maxsize=1)
def base_root() -> Path:
    """Build (once per process) the read-only base root every stage clones.

    Tries each candidate parent directory (a tmpfs may forbid device files) and keeps the first
    where a shell in the chroot can write to /dev/null.
    """
    atexit.register(cleanup_session)
    errors = []
    for parent in _candidate_parents():
        _remove_stale_sessions(parent)
        session = parent / f"dockslim-harness-{os.getpid()}"
        remove(session)
        try:
            root = _build_base(session / "base")
            _probe(root)
        except (OSError, RootUnavailable) as exc:
            errors.append(f"{parent}: {exc}")
            remove(session)
            continue
        _session[:] = [session]
        return root
    raise RootUnavailable("cannot build a chroot for the harness: " + "; ".join(errors))


def _remove_stale_sessions(parent: Path) -> None:
    """Remove session directories left by test runs that were killed (their pid is gone)."""
    for old in parent.glob("dockslim-harness-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            remove(old)


def _probe(root: Path) -> None:
    probe = subprocess.run(
        ["/bin/sh", "-c", "echo ok >/dev/null && echo ok"],
        preexec_fn=lambda: os.chroot(root),
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    if probe.returncode != 0 or probe.stdout != "ok\n":
        raise RootUnavailable(f"a shell in the chroot does not work: {probe.stderr.strip()}")


def _build_base(root: Path) -> Path:
    root.mkdir(parents=True)
    for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "usr/local/bin", "usr/local/sbin",
              "usr/share", "etc", "var/lib", "var/cache", "var/log", "root", "tmp", "dev", "proc",
              "home", "opt", "srv", "run", "mnt"):
        (root / d).mkdir(parents=True, exist_ok=True)
    # Debian bookworm's merged /usr.
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                         ("lib64", "usr/lib64")):
        (root / link).symlink_to(target)
    os.chmod(root / "tmp", 0o1777)
    os.chmod(root / "root", 0o700)
    _make_devices(root)
    _write_etc(root)

    libraries: set[str] = set()
    for tool in dict.fromkeys(HOST_TOOLS):
        host = shutil.which(tool, path="/usr/bin:/bin:/usr/sbin:/sbin")
        if host is None:
            continue
        _copy_into(root, Path(host).resolve(), f"/usr/bin/{tool}")
        libraries.update(_shared_libraries(host))
    if not (root / "usr/bin/sh").exists():
        raise RootUnavailable("no /bin/sh on the host to copy into the harness root")
    if (root / "usr/bin/dash").exists():
        # Debian's layout (dpkg's diversion of /bin/sh): a symlink a RUN can repoint at bash.
        (root / "usr/bin/sh").unlink()
        (root / "usr/bin/sh").symlink_to("dash")
    for lib in sorted(libraries):
        _copy_into(root, Path(lib).resolve(), lib)
    standins.install(root)
    # A deterministic mktemp replaces the host's: random names would make equal builds differ.
    mktemp = root / "usr/bin/mktemp"
    if mktemp.exists() or mktemp.is_symlink():
        mktemp.unlink()
    shutil.copyfile(Path(__file__).with_name("mktemp.sh"), mktemp)
    os.chmod(mktemp, 0o755)
    return root


def shells_differ() -> str | None:
    """Why the base root cannot show a change of ``/bin/sh`` (None when dash and bash are both
    there and ``/bin/sh`` is dash)."""
    root = base_root()
    if not (root / "usr/bin/bash").exists():
        return "the host has no bash to copy into the harness root"
    if not (root / "usr/bin/sh").is_symlink() or os.readlink(root / "usr/bin/sh") != "dash":
        return "the host has no dash: /bin/sh in the harness root is not Debian's"
    return None


def _make_devices(root: Path) -> None:
    for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("random", 1, 8), ("urandom", 1, 9)):
        try:
            os.mknod(root / "dev" / name, 0o666 | 0o020000, os.makedev(major, minor))
        except OSError as exc:
            raise RootUnavailable(f"cannot create /dev/{name} in the harness root: {exc}") from exc
        os.chmod(root / "dev" / name, 0o666)


def _write_etc(root: Path) -> None:
    etc = root / "etc"
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (etc / "group").write_text("root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n")
    (etc / "os-release").write_text('ID=debian\nVERSION_ID="12"\nNAME="dockslim harness"\n')
    (etc / "hostname").write_text("harness\n")
    (etc / "apt/sources.list.d").mkdir(parents=True)
    (etc / "apt/sources.list.d/debian.sources").write_text("Types: deb\nURIs: http://deb.debian.org/debian\n")
    # Debian images ship the lists directory empty: `apt-get install` needs `apt-get update` first.
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True)
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("")


def _shared_libraries(binary: str) -> set[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = set()
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            i = parts.index("=>")
            if i + 1 < len(parts) and parts[i + 1].startswith("/"):
                libs.add(parts[i + 1])
        elif parts and parts[0].startswith("/"):
            libs.add(parts[0])  # the dynamic loader
    return libs


def _copy_into(root: Path, source: Path, inside: str) -> None:
    dest = resolve_inside(root, inside)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        shutil.copy2(source, dest)


def resolve_inside(root: Path, path: str, follow_last: bool = True) -> Path:
    """Host path of absolute ``path`` inside ``root``, following symlinks without leaving the root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, name)
        if (parts or follow_last) and candidate.is_symlink():
            hops += 1
            if hops > 40:
                raise OSError(f"too many symlinks resolving {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(name)
    return root.joinpath(*resolved)


def clone(base: Path, dest: Path) -> None:
    """Copy the tree ``base`` to ``dest``; the base root's big files are hard links, not copies."""
    shared = base_inodes()
    dest.mkdir(parents=True)
    shutil.copystat(base, dest)
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        target_dir = dest if rel == "." else dest / rel
        for d in dirnames:
            src = os.path.join(dirpath, d)
            dst = target_dir / d
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            else:
                dst.mkdir()
                st = os.lstat(src)
                os.chown(dst, st.st_uid, st.st_gid)
                os.chmod(dst, st.st_mode & 0o7777)
        for f in filenames:
            src = os.path.join(dirpath, f)
            dst = target_dir / f
            st = os.lstat(src)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
                os.lchown(dst, st.st_uid, st.st_gid)
            elif not os.path.isfile(src):
                os.mknod(dst, st.st_mode, st.st_rdev)
                os.chmod(dst, st.st_mode & 0o7777)
            elif (st.st_dev, st.st_ino) in shared:
                os.link(src, dst)
            else:
                shutil.copy2(src, dst, follow_symlinks=False)
                os.chown(dst, st.st_uid, st.st_gid)


@lru_cache(maxsize=1)
def base_inodes() -> dict[tuple[int, int], tuple[int, int, str]]:
    """The base root's big files, shared by hard links: (dev, inode) -> (size, mtime_ns, sha256).

    Only these are shared; a stage built FROM another stage copies that stage's own files, so no
    stage can modify another's. The player checks size and mtime after every RUN, so a RUN that
    rewrites a shared binary in place is reported instead of silently corrupting later plays.
    """
    table = {}
    for dirpath, _dirs, filenames in os.walk(base_root()):
        for f in filenames:
            path = os.path.join(dirpath, f)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and st.st_size >= _LINK_THRESHOLD:
                with open(path, "rb") as fh:
                    digest = hashlib.file_digest(fh, "sha256").hexdigest()
                table[(st.st_dev, st.st_ino)] = (st.st_size, st.st_mtime_ns, digest)
    return table


def forget_base() -> None:
    """Drop the cached base root (after a play damaged it); the next play rebuilds it."""
    remove(base_root())
    base_root.cache_clear()
    base_inodes.cache_clear()
    unavailable_reason.cache_clear()


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def cleanup_session() -> None:
    if _session:
        remove(_session[0])
