from __future__ import annotations

from typing import Iterator

from ..syntax import Instruction
from .base import Context, Edit, Finding, Fix, Pass, Safety, same_case
from .buildcontext import BuildContext, has_magic, source_path

# Local archives that ADD unpacks are recognised by content, as Docker does (tar, gzip, bzip2, xz,
# zstd); a name with one of these endings is treated as an intended extraction when we cannot look.
_ARCHIVE_SUFFIXES = (
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
    ".gz", ".bz2", ".xz", ".zst", ".tzst",
)
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
_COPY_FLAGS = frozenset({"chown", "chmod", "link", "exclude", "parents"})


def _is_remote(src: str) -> bool:
    lower = src.lower()
    return "://" in lower or lower.startswith("git@") or lower.endswith(".git")


def _is_archive_file(view: BuildContext, rel: str) -> bool:
    head = view.head(rel, 512)
    if head is None:
        return True  # unreadable: cannot prove it is not an archive
    if any(head.startswith(m) for m in _MAGIC):
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


class AddToCopy(Pass):
    """## What it does
    Rewrites `ADD` of local files and folders to `COPY`.

    ## Why is this bad?
    `ADD` also downloads URLs, clones git repositories and unpacks local tar archives. Using it for a
    plain copy hides which of these the author meant, and a file that later becomes an archive is
    silently unpacked. `COPY` says exactly what happens (hadolint DL3020).

    ## Example
    ```dockerfile
    ADD . /code/
    ```
    becomes
    ```dockerfile
    COPY . /code/
    ```

    ## Fix safety
    Safe when every source is proven not to be unpacked by `ADD`: a folder, or a file in the build
    context whose content is not a tar, gzip, bzip2, xz or zstd archive. URLs, git sources, archives
    and flags that only `ADD` has (`--checksum`, `--keep-git-dir`, `--unpack`) are left alone.
    A source that cannot be found in the build context gets an unsafe fix only, with the reason.
    """

    id = "add-to-copy"
    hadolint = ("DL3020",)
    summary = "ADD of local files and folders becomes COPY"
    safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.dockerfile.instructions:
            target = ins.effective
            if target.cmd != "ADD":
                continue
            verdict = self._verdict(ctx, target)
            if verdict is None:
                continue
            safety, reason = verdict
            start = target.keyword_start
            edit = Edit(start, start + len(target.keyword), same_case(target.keyword, "COPY"))
            message = "ADD of local sources: use COPY"
            if reason:
                message += f" ({reason})"
            yield Finding(self.id, message, start, start + len(target.keyword),
                          Fix((edit,), safety))

    def _verdict(self, ctx: Context, ins: Instruction) -> tuple[Safety, str] | None:
        """(safety, reason) for rewriting this ADD, or None to leave it alone without a finding."""
        if any(f.name not in _COPY_FLAGS for f in ins.flags):
            return None
        if ins.heredocs:
            return Safety.SAFE, ""
        sources = list(ins.value[:-1])
        if not sources:
            return None
        unproven: list[str] = []
        view = ctx.view()
        for src in sources:
            if _is_remote(src):
                return None
            if "$" in src:
                unproven.append(f"{src} uses a variable")
                continue
            if src.lower().endswith(_ARCHIVE_SUFFIXES):
                return None  # extraction is most likely intended
            rel = source_path(src)
            if view is None or rel is None:
                unproven.append(f"{src} is outside a known build context")
                continue
            if has_magic(rel):
                matches = view.glob(rel)
            else:
                matches = [rel] if view.exists(rel) else []
            if not matches:
                unproven.append(f"{src} not found in the build context")
                continue
            for match in matches:
                if view.is_dir(match):
                    continue
                if _is_archive_file(view, match):
                    return None
        if unproven:
            return Safety.UNSAFE, "cannot prove no archive is unpacked: " + "; ".join(unproven)
        return Safety.SAFE, ""
