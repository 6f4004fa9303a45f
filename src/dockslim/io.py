"""Reading Dockerfiles (encoding, BOM, line endings kept) and writing them back atomically.

With cli.py and output/, the only module that touches the file system for the user's files.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from ._records import dataclass

# Folders never searched for Dockerfiles.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".idea", ".vscode", "dist", "build",
    ".terraform", "vendor", "site-packages",
})
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
    lower = name.lower()
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith("dockerfile.")
        or lower.startswith("containerfile.")
        or lower.endswith(".dockerfile")
        or lower.endswith(".containerfile")
    )


def discover(paths: list[str]) -> list[str]:
    """Files named on the command line, plus Dockerfiles found in named folders (sorted)."""
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            found = []
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                for name in files:
                    if is_dockerfile_name(name):
                        found.append(os.path.join(root, name))
            out.extend(sorted(found))
        else:
            out.append(p)  # missing files are reported when read
    return out


def decode(path: str, data: bytes) -> str:
    nul = data.find(b"\x00")
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
    """Replace ``path``'s content by ``text``: sibling temp file, same mode, fsync, rename.

    A symlinked Dockerfile stays a symlink: its target is replaced.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror}") from None
    if not mode & 0o222:  # replacing it by rename would succeed, but the user marked it read-only
        raise InputError(path, "cannot write: the file is read-only (left unchanged)")
    tmp = _sibling_temp(path, folder, text, mode)
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise InputError(path, f"cannot write: {exc.strerror}") from None
        raise


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
