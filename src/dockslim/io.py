"""Reading Dockerfiles (encoding, BOM, line endings kept) and writing them back atomically.

With cli.py and output/, the only module that touches the file system for the user's files.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys

from ._records import dataclass

# Folders never searched for Dockerfiles: version control, and installed third-party code that is
# never the project's own (a folder named build/, dist/ or vendor/ is searched: `build/Dockerfile`
# is common; in a git repository, .gitignore decides what is generated). ``--exclude`` replaces
# this list, ``--extend-exclude`` adds to it (docs/reference/cli.md, "Which files").
SKIP_DIRS = (
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".terraform", "site-packages",
)
# The one definition of a Dockerfile's name, as a regular expression on a /-separated path: the
# pre-commit hooks (.pre-commit-hooks.yaml `files:`, checked equal by tests/test_discovery.py) and
# folder discovery use this very string. `Dockerfile`, `Containerfile`, `Dockerfile.dev`,
# `Dockerfile-dev`, `Dockerfile_prod`, `api.Dockerfile`, any case; not BuildKit's per-Dockerfile
# ignore file (`Dockerfile.dockerignore`) nor templates (`.j2`, `.jinja`, `.jinja2`, `.tmpl`,
# `.tpl`, `.template`) nor editor/merge leftovers (`.orig`, `.rej`, `.bak`, `.swp`, `~`).
DOCKERFILE_PATTERN = (
    r"(?i)(^|/)(?![^/]*(\.(dockerignore|j2|jinja2?|tmpl|tpl|template|orig|rej|bak|swp)|~)$)"
    r"((dockerfile|containerfile)([._-][^/]*)?|[^/]+\.(dockerfile|containerfile))$"
)
_DOCKERFILE = re.compile(DOCKERFILE_PATTERN)
# 70x the largest of 3,398 real-world Dockerfiles (29 KB); bigger input is not a Dockerfile someone
# maintains by hand, and the passes need ~9 s per MB on a pathological one (bench/corpus.py, docs/benchmarks.md).
MAX_BYTES = 2 * 1024 * 1024


class InputError(Exception):
    """Bad input, reported as ``path:line:col: message`` with exit code 2."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.column or 1}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    path: str  # as the user named it ("-" for stdin)
    text: str


def is_dockerfile_name(name: str) -> bool:
    """Whether a file name (or /-separated path) names a Dockerfile: :data:`DOCKERFILE_PATTERN`."""
    return _DOCKERFILE.search(name) is not None


def display_path(path: str) -> str:
    """How a path is shown in every output and diff header: relative to the current folder, as
    git and ruff show it (``svc/Dockerfile``, never ``./svc/Dockerfile``), /-separated; a file
    outside the current folder keeps a ``../`` path, or its absolute path when it was named so."""
    if path == "-":
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path
    if rel == ".." or rel.startswith(".." + os.sep):
        rel = os.path.normpath(path) if os.path.isabs(path) else rel
    return rel.replace(os.sep, "/")


def _excluded(rel_parts: tuple[str, ...], patterns: tuple[str, ...]) -> bool:
    """A pattern without ``/`` matches any one path component; with ``/``, the path (or a leading
    part of it) relative to the folder searched."""
    for pattern in patterns:
        pat = pattern.strip("/")
        if "/" not in pat:
            if any(fnmatch.fnmatchcase(part, pat) for part in rel_parts):
                return True
            continue
        for k in range(1, len(rel_parts) + 1):
            if fnmatch.fnmatchcase("/".join(rel_parts[:k]), pat):
                return True
    return False


def _git_files(folder: str) -> list[str] | None:
    """Files git would consider in ``folder`` (tracked, or untracked and not ignored by
    .gitignore/.git/info/exclude/the global excludes), relative to it; None outside a work tree
    or without git."""
    import subprocess  # only for folders

    try:
        proc = subprocess.run(["git", "-C", folder, "ls-files", "-z", "--cached", "--others",
                               "--exclude-standard", "--full-name", "--", "."],
                              capture_output=True, timeout=120, check=False)
        top = subprocess.run(["git", "-C", folder, "rev-parse", "--show-toplevel"],
                             capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or top.returncode != 0:
        return None
    root = os.fsdecode(top.stdout.strip())
    base = os.path.realpath(folder)
    out = []
    for raw in proc.stdout.split(b"\0"):
        if raw:
            full = os.path.join(root, os.fsdecode(raw))
            out.append(os.path.relpath(full, base))
    return out


def discover(paths: list[str], exclude: tuple[str, ...] | None = None,
             extend_exclude: tuple[str, ...] = (), use_git: bool = True) -> list[str]:
    """Files named on the command line (always taken, each once), plus Dockerfiles found in named
    folders (sorted): names that match :data:`DOCKERFILE_PATTERN`, outside the excluded folders
    (``exclude``, default :data:`SKIP_DIRS`, plus ``extend_exclude``) and, in a git work tree,
    not ignored by git (``git ls-files``: what ruff and black users expect)."""
    patterns = (SKIP_DIRS if exclude is None else exclude) + tuple(extend_exclude)
    out: list[str] = []
    seen: set[str] = set()

    def take(p: str) -> None:
        key = p if p == "-" else os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for p in paths:
        if p == "-" or not os.path.isdir(p):
            take(p)  # missing files are reported when read
            continue
        listed = _git_files(p) if use_git else None
        found: list[str] = []
        if listed:  # a folder git lists nothing in (all ignored, or not yet added) is walked: it was named
            for rel in listed:
                parts = tuple(rel.replace(os.sep, "/").split("/"))
                if is_dockerfile_name(parts[-1]) and not _excluded(parts, patterns) \
                        and os.path.isfile(os.path.join(p, rel)):
                    found.append(os.path.join(p, rel))
        else:
            for root, dirs, files in os.walk(p, onerror=None):
                rel_root = os.path.relpath(root, p)
                prefix = () if rel_root == "." else tuple(rel_root.replace(os.sep, "/").split("/"))
                dirs[:] = sorted(d for d in dirs if not _excluded(prefix + (d,), patterns))
                for name in files:
                    if is_dockerfile_name(name) and not _excluded(prefix + (name,), patterns):
                        found.append(os.path.join(root, name))
        for f in sorted(found):
            take(os.path.normpath(f))
    return out




def decode(path: str, data: bytes) -> str:
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise InputError(path, f"{name} encoded (byte order mark); save the file as UTF-8", 1, 1)
    nul = data.find(b"\x00")
    if nul != -1 and len(data) >= 4 and (data[1:200:2].count(0) * 2 >= len(data[:200]) - 1
                                         or data[0:200:2].count(0) * 2 >= len(data[:200]) - 1):
        raise InputError(path, "looks UTF-16 encoded (every other byte is NUL); save the file as UTF-8",
                         1, 1)
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise InputError(path, "binary file (NUL byte): not a Dockerfile", line, col)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8", line, col
        ) from None


def read_source(path: str) -> SourceFile:
    if path == "-":
        return SourceFile("-", decode("<stdin>", sys.stdin.buffer.read()))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "is a folder with no Dockerfile in it")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, "not a regular file")
    if st.st_size > MAX_BYTES:
        raise InputError(path, f"file too large ({st.st_size} bytes; limit {MAX_BYTES})")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    return SourceFile(path, decode(path, data))


def write_atomic(path: str, text: str) -> None:
    """Replace ``path``'s content by ``text``, keeping the file itself (its inode) where it matters.

    The new content always goes to a sibling temp file first (fsynced, same mode): a full disk or a
    quota fails there, before the user's file is touched. Then:

    - the file has one link and its owner and group can be given to the temp file (we own it, or
      we are root): ``os.replace`` -- atomic, a reader sees the old or the new file, never half;
    - it has hard links, or another owner we cannot give away (a CI container running as root on a
      checkout owned by uid 1001 *can*; a shared group-writable file cannot): the content is
      written in place, like black and ruff do, so links, owner, ACLs and the inode stay. Not
      atomic: if that write fails, the new content is left in the temp file, named in the error.

    A symlinked Dockerfile stays a symlink: its target is written.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    try:
        st = os.stat(target)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror}") from None
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o222:  # replacing it by rename would succeed, but the user marked it read-only
        raise InputError(path, "cannot write: the file is read-only (left unchanged)")
    tmp = _sibling_temp(path, folder, text, mode)
    if st.st_nlink > 1 or not _give_owner(tmp, st):
        try:
            with open(target, "r+b") as fh:
                fh.write(text.encode("utf-8"))
                fh.truncate()
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise InputError(path, f"cannot write in place: {exc.strerror}; the new content is in {tmp}") from None
        _unlink_quietly(tmp)
        return
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise InputError(path, f"cannot write: {exc.strerror}") from None
        raise


def _give_owner(tmp: str, st: os.stat_result) -> bool:
    """Give ``tmp`` the owner and group of ``st``; False when that is not allowed."""
    try:
        mine = os.stat(tmp)
        if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
            os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # chown may clear set-id bits
    except (OSError, AttributeError):  # AttributeError: no chown on Windows
        return False
    return True


def _sibling_temp(path: str, folder: str, text: str, mode: int) -> str:
    """A temp file in ``folder`` holding ``text`` (fsynced, with ``mode``); its name.

    Nothing is left behind when this fails; errors are reported against ``path``.
    """
    import tempfile  # here: only runs that write need it (~2 ms of start-up otherwise)

    try:
        fd, tmp = tempfile.mkstemp(prefix=".dockslim-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise InputError(path, f"cannot write: {exc.strerror}") from None
        raise
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def create_new(path: str, text: str) -> bool:
    """Create ``path`` with ``text`` atomically, never replacing a file. False when it exists.

    The content goes to a sibling temp file first and is hard-linked into place, so the name
    either does not exist or has the whole content.
    """
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.lexists(path):
        return False
    tmp = _sibling_temp(path, folder, text, 0o666 & ~_umask())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror}") from None
    finally:
        _unlink_quietly(tmp)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
