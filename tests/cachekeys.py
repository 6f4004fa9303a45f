"""A model of BuildKit's cache keys, to measure how many instructions a source edit re-runs.

BuildKit's rule: an instruction re-runs when its own definition or any earlier instruction's
input changes; a COPY/ADD's input is the content (and name) of what it copies from the build
context, after `.dockerignore`; a `COPY --from=<stage>` depends on that stage's last key. So each
instruction's key is a hash of the previous key, its own text and, for a context copy, the
digest of the copied files. Comparing the keys computed for the context as it is and with one
source file edited gives the instructions re-run after that edit.

    python -m tests.cachekeys fixtures/seed        # prints "instructions re-run" before/after
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import sys
from pathlib import Path
from typing import Mapping

from dockslim.passes.buildcontext import context_view
from dockslim.syntax import parse

# Names of manifest and build files: a "source edit" edits none of these.
MANIFEST_PATTERNS = (
    "Dockerfile*", ".dockerignore", "requirements*.txt", "requirements/*", "constraints*.txt",
    "requirement", "Pipfile", "Pipfile.lock", "pyproject.toml", "poetry.lock", "poetry.toml",
    "uv.lock", ".python-version", "package.json", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "pnpm-lock.yaml", ".npmrc", ".yarnrc", "Gemfile", "Gemfile.lock", "go.mod",
    "go.sum", "composer.json", "composer.lock", "pom.xml", "*/requirements.txt", ".env",
)


def source_file(context: Path) -> str:
    """The first copied file (sorted) that is not a manifest: the file a developer edits."""
    view = context_view(context)
    assert view is not None
    for rel in view.files():
        if (context / rel).is_file() and not any(fnmatch.fnmatchcase(rel, p) for p in MANIFEST_PATTERNS):
            return rel
    raise ValueError(f"{context}: no source file to edit")


def cache_keys(text: str, context: Path, edited: Mapping[str, bytes] = {}) -> list[str]:
    """One key per instruction of ``text`` (in file order), FROM included."""
    df = parse(text)
    view = context_view(context)
    assert view is not None
    copied = view.files()

    def content(rel: str) -> bytes:
        if rel in edited:
            return edited[rel]
        path = context / rel
        return path.read_bytes() if path.is_file() and not path.is_symlink() else b"<dir>"

    def digest_of(src: str) -> str:
        h = hashlib.sha256()
        rel = posixpath.normpath(src.lstrip("/"))
        for path in copied:
            if rel == "." or path == rel or path.startswith(rel + "/") or fnmatch.fnmatchcase(path, rel):
                h.update(path.encode() + b"\0" + content(path) + b"\0")
        return h.hexdigest()

    stage_key: dict[str, str] = {}
    keys: list[str] = []
    for stage in df.stages():
        base = stage.base.lower()
        key = hashlib.sha256(("FROM " + stage_key.get(base, base)).encode()).hexdigest()
        keys.append(key)
        for ins in stage.instructions:
            h = hashlib.sha256(key.encode() + ins.text.encode())
            if ins.cmd in ("COPY", "ADD"):
                origin = ins.flag("from")
                if origin is not None:
                    h.update(stage_key.get((origin.value or "").lower(), origin.value or "").encode())
                else:
                    for src in ins.value[:-1]:
                        h.update(digest_of(src).encode())
            key = h.hexdigest()
            keys.append(key)
        for name in (stage.name, str(stage.index)):
            if name is not None:
                stage_key[name.lower()] = key
    return keys


def rerun_after_edit(text: str, context: Path, rel: str | None = None) -> list[int]:
    """Lines of the instructions whose cache key changes when source file ``rel`` is edited."""
    rel = rel or source_file(context)
    original = (context / rel).read_bytes()
    before = cache_keys(text, context)
    after = cache_keys(text, context, {rel: original + b"\n# edited\n"})
    lines = [i.start_line for i in parse(text).instructions]
    return [line for line, a, b in zip(lines, before, after, strict=True) if a != b]


def installs_rerun(text: str, context: Path, rel: str | None = None) -> int:
    """How many re-run instructions are RUNs with a dependency install (pip, npm, go mod ...)."""
    from dockslim.passes.depinstall import is_dependency_install
    from dockslim.passes.shellquery import run_script

    lines = set(rerun_after_edit(text, context, rel))
    count = 0
    for ins in parse(text).instructions:
        script = run_script(ins) if ins.start_line in lines else None
        count += script is not None and is_dependency_install(script)
    return count


def main(argv: list[str]) -> int:
    from dockslim.engine import resolve_passes
    from dockslim.testing import run_fix

    all_passes = [type(p) for p in resolve_passes()]
    without = [p for p in all_passes if p.id != "reorder-for-cache"]
    print("instructions re-run after a source edit (installs among them)")
    print(f"{'fixture':<26} {'edited file':<22} {'original':>9}  {'fixed w/o reorder':>17}  {'fixed':>7}")
    for arg in argv:
        folder = Path(arg)
        text = (folder / "Dockerfile").read_text()
        rel = source_file(folder)
        texts = (text, run_fix(without, text, context=folder).text,
                 run_fix(all_passes, text, context=folder).text)
        cells = [f"{len(rerun_after_edit(t, folder, rel))} ({installs_rerun(t, folder, rel)})" for t in texts]
        print(f"{folder.name:<26} {rel:<22} {cells[0]:>9}  {cells[1]:>17}  {cells[2]:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
