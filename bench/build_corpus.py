"""Build the benchmark corpus from git snapshots of public repositories (none of it is committed).

    python bench/build_corpus.py OUT_DIR [--mirror /work/.mirror] [--sources bench/corpus_sources.txt]

Each repository named in ``bench/corpus_sources.txt`` (``owner/name``, one per line) must have been
brought here first as a bare git directory ``MIRROR/owner+name/repo`` (the tool library's `fetch`
does that). From the newest commit of each, every file whose name is a Dockerfile — ``Dockerfile``,
``Dockerfile.*``, ``Dockerfile-*``, ``*.Dockerfile``, ``*.dockerfile``, ``Containerfile`` — is written to
``OUT_DIR/owner+name/<path with / as __>``; generator templates (``*.template``, Go/jq templates) are
skipped (by name or a ``templates`` folder), and byte-identical files are kept once (the first in source order). ``OUT_DIR/MANIFEST.tsv``
records, per file: corpus name, repository, commit, path in the repository, git blob id. The same
sources and snapshot commits give the same corpus, byte for byte.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCKERFILE_NAME = re.compile(r"(?i)^(?:(?:docker|container)file(?:[._-].*)?|.+\.(?:docker|container)file)$")
# Generators and their inputs, not Dockerfiles: templates (Jinja, Go/jq, ERB, m4 ...), and source
# files that merely have "dockerfile" in their name (docker-clojure's `dockerfile.clj`).
SKIP = re.compile(r"(?i)\.(?:tmpl|tpl|j2|jinja2?|erb|in|m4|orig|rej|md|sh|py|clj|go|rs|ts|js|ya?ml|json)$")
TEMPLATE_DIR = re.compile(r"(?i)(?:^|/)[^/]*templates?[^/]*/")


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--sources", type=Path, default=HERE / "corpus_sources.txt")
    args = ap.parse_args(argv)

    sources = [line.split("#")[0].strip() for line in args.sources.read_text().splitlines()]
    sources = [s for s in sources if s]
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    seen: set[str] = set()
    manifest = ["name\trepository\tcommit\tpath\tblob"]
    missing = []
    for repo in sources:
        git_dir = args.mirror / repo.replace("/", "+") / "repo"
        if (git_dir / ".git").is_dir():
            git_dir = git_dir / ".git"
        if not git_dir.is_dir():
            missing.append(repo)
            continue
        commit = git(git_dir, "rev-parse", "HEAD").decode().strip()
        count = 0
        for line in git(git_dir, "ls-tree", "-r", "-z", "HEAD").split(b"\0"):
            if not line:
                continue
            meta, path = line.decode("utf-8", "surrogateescape").split("\t", 1)
            mode, kind, blob = meta.split()
            name = path.rsplit("/", 1)[-1]
            if (kind != "blob" or mode == "120000" or not DOCKERFILE_NAME.match(name) or SKIP.search(name)
                    or "template" in name.lower() or TEMPLATE_DIR.search(path)):
                continue
            if blob in seen:
                continue
            seen.add(blob)
            data = git(git_dir, "cat-file", "blob", blob)
            target = repo.replace("/", "+") + "/" + path.replace("/", "__")
            (args.out / target).parent.mkdir(parents=True, exist_ok=True)
            (args.out / target).write_bytes(data)
            manifest.append(f"{target}\t{repo}\t{commit}\t{path}\t{blob}")
            count += 1
        print(f"{count:5d}  {repo}", file=sys.stderr)
    (args.out / "MANIFEST.tsv").write_text("\n".join(manifest) + "\n")
    print(f"{len(manifest) - 1} files from {len(sources) - len(missing)} repositories -> {args.out}",
          file=sys.stderr)
    if missing:
        print("not fetched (run the library's fetch for each): " + ", ".join(missing), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
