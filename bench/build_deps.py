#!/usr/bin/env python3
"""The effect of `build-deps` on real builds: image size before and after, and the image still runs.

    python bench/build_deps.py [--host-ca /etc/ssl/certs/ca-certificates.crt] [PROJECT...]

Each project is a fixture folder of ``fixtures/build-deps`` whose CMD smoke-tests the build (it
imports the compiled extension and prints its file). For each: the fixture is copied to a
temporary folder, rewritten with ``dockslim fix --unsafe-fixes --ignore alpine-base --write``
(alpine-base would switch to an Alpine image, which this engine cannot pull), both versions are
built with ``docker build --network host`` (labelled ``dockslim.builddeps=1``), sized with
``docker image inspect`` and run; the table row is printed in Markdown (``--base-image`` builds
both from another local image). ``--host-ca`` copies a CA
bundle into the image and points pip at it (for a network that intercepts TLS). Fixtures left
alone on purpose (the toolchain is needed) are reported with dockslim's note, without building.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "build-deps"
BUILT = ("apt-pip-sdist", "apt-pyyaml-libyaml", "apt-later-program")  # fixtures whose base image exists here
LEFT_ALONE = ("cmd-needs-compiler",)
LABEL = "dockslim.builddeps=1"


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, text=True, capture_output=True, check=False)


def _with_ca(text: str) -> str:
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    lines.insert(at + 1, "COPY host-ca.crt /usr/local/share/host-ca.crt\nENV PIP_CERT=/usr/local/share/host-ca.crt\n")
    return "".join(lines)


def _build(folder: Path, tag: str) -> tuple[int, str]:
    built = _run(["docker", "build", "--network", "host", "--label", LABEL, "-t", tag, "."], cwd=folder)
    if built.returncode != 0:
        sys.exit(f"{tag}: build failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
    size = int(_run(["docker", "image", "inspect", "-f", "{{.Size}}", tag]).stdout.strip())
    ran = _run(["docker", "run", "--rm", tag])
    return size, (ran.stdout + ran.stderr).strip() if ran.returncode == 0 else f"FAILED: {ran.stderr.strip()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host-ca", help="CA bundle to copy into the images for pip")
    parser.add_argument("--base-image", help="build FROM this image instead of the fixture's (e.g. an image id "
                        "when the lab's debian:bookworm tag is being rebuilt)")
    parser.add_argument("projects", nargs="*", default=list(BUILT + LEFT_ALONE))
    args = parser.parse_args(argv)
    dockslim = [sys.executable, "-m", "dockslim"]
    print("| project | before | after | smaller by | runs after (CMD output) |")
    print("|---|---|---|---|---|")
    for name in args.projects:
        with tempfile.TemporaryDirectory(prefix="bd-") as tmp:
            work = Path(tmp) / name
            shutil.copytree(FIXTURES / name, work)
            (work / "Dockerfile.expected").unlink(missing_ok=True)
            df = work / "Dockerfile"
            if name in LEFT_ALONE:
                check = _run(dockslim + ["check", "--select", "build-deps", "Dockerfile"], cwd=work)
                note = " ".join(line for line in check.stdout.splitlines() if "build-deps" in line)
                print(f"| {name} | - | - | left alone | {note} |")
                continue
            if args.host_ca:
                shutil.copy(args.host_ca, work / "host-ca.crt")
                df.write_text(_with_ca(df.read_text()))
            if args.base_image:
                df.write_text("".join(f"FROM {args.base_image}\n" if line.upper().startswith("FROM ") else line
                                      for line in df.read_text().splitlines(keepends=True)))
            before = _build(work, f"dockslim-builddeps/{name}:before")
            fixed = _run(dockslim + ["fix", "--unsafe-fixes", "--ignore", "alpine-base", "--write", "Dockerfile"],
                         cwd=work)
            if fixed.returncode not in (0, 1):
                sys.exit(f"{name}: dockslim fix failed: {fixed.stderr}")
            after = _build(work, f"dockslim-builddeps/{name}:after")
            smaller = 1 - after[0] / before[0]
            print(f"| {name} | {before[0] / 1e6:.1f} MB | {after[0] / 1e6:.1f} MB | {smaller:.1%} | "
                  f"`{' '.join(after[1].split())}` |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
