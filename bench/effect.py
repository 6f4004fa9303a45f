"""The effect benchmark: what dockslim saves on real projects, built for real (issue #13, point 3).

    python bench/effect.py --prepare PROJECTS_DIR [--mirror /work/.mirror]
    python -m tests.integration.lab python bench/effect.py PROJECTS_DIR [--network host]
                                    [--markdown out.md] [--json out.json] [--only a,b]
                                    [--resume out.json] [--peers-venv .venv-peers] [--cold]

``--prepare`` exports the public projects of ``PUBLIC`` below (each repository brought here first
with the tool library's ``fetch``, as for the corpus) at their pinned commits into PROJECTS_DIR with
``git archive``, copies our own projects of ``OURS`` (folders of this repository, e.g. the seed
article's Django app in ``fixtures/effect/seed-django``) and writes ``PROJECTS.tsv``; nothing fetched
is committed. Why each project is in the list, and the rule that chose them:
``bench/effect_projects.md``.

``PROJECTS_DIR`` holds one folder per project: its build context, with the Dockerfile at
``Dockerfile`` (or the path named in ``PROJECTS_DIR/PROJECTS.tsv``: ``name<TAB>dockerfile<TAB>source``,
where *source* says where it came from: ``owner/name@commit`` for a public repository brought here
like the corpus, not committed; ``ours: <folder>`` for a project of ``OURS``). Run it inside a lab
session (``python -m tests.integration.lab ...``)
on an engine that can pull nothing: the lab tags its locally made base images as ``debian:bookworm``,
``python:3.11``... and points apt and pip at the real registries.

For each project, one after the other (the runner is ``bench/effect_run.py``):

* **original**: `docker build --no-cache` (its cold build; the base image is there);
* **safe**: `dockslim fix` (safe fixes), built;
* **verified**: `dockslim fix --unsafe-fixes --verify` (the fixes that build and pass the smoke check);
* **peers**: `tally lint --fix` and `--fix --fix-unsafe` (PyPI ``tally-cli``), ``dockerfile-doctor --fix``
  and ``--fix --unsafe-fixes``, each run on a copy of the Dockerfile (named ``Dockerfile``) beside a
  copy of the context. Install them apart from dockslim's dependencies
  (``python3 -m venv .venv-peers && .venv-peers/bin/pip install -r bench/requirements-peers.txt``)
  and pass ``--peers-venv .venv-peers`` (default: the peers on PATH). A peer that is not installed,
  crashes, changes nothing or whose rewrite does not build is an entry saying so, not an error.

Every variant but the original is built on the engine's cache as the variants before it left it
(``--cold``: every one with ``--no-cache``, several times slower). A variant whose text is another's
is not built again (``= safe``). Reported per variant: image MB (10^6 bytes), layers, build s,
rebuild s after a source-only edit (a line appended to the first source file the Dockerfile copies
that is not a dependency manifest, in the variant's copy of the context; the rebuilt image removed at
once), smoke check (the verify check's outcome, same as the original's or not), files lost outside
cache folders; then a summary per tool (MB saved: median and total; builds broken; crashes). The
JSON (``--json``) is rewritten after each project; ``--resume out.json`` keeps its projects and runs
the others; ``--only a,b`` runs a subset. Images are removed after each project.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import effect_run  # the runner: variants, peers, table
from dockslim.measure import Docker

# (name, owner/repo, pinned commit, folder of the build context in the repository ("" = its root),
# Dockerfile path inside that folder). Chosen because their bases are ones the lab makes
# (python:3.11, python:3.11-slim, debian:bookworm...) and their dependencies come from PyPI/Debian.
PUBLIC = (
    ("vote", "dockersamples/example-voting-app", "63e9150ca17af4ed05880d4245e486481f73fcb4", "vote", "Dockerfile"),
    ("primos", "lilkimo/primos-signup-backend", "e62ac55ff80bfa1c3e6e234e48ab90d8d3a22612", "", "Dockerfile"),
    ("imageresizer", "totosan/ImageResizer", "82c549289cbe8c14921afaa0541719b971040cef", "", "Dockerfile"),
    ("aziko", "Chinilshik-kalkulatorov/Aziko", "80daf6b0685e33099556c6a85d5f9b8459c0c43f", "", "Dockerfile"),
    ("devops-starter", "zokan123/devops-project-starter", "4e11109c0c01b01e84fedd9bd5bc41054e3fdd09", "", "dockerfile"),
    ("k3s-pi5-lab", "Gael-Troadec/K3s-Pi5-Lab", "04e20ada3600e36c6a9612968f778b9c1c710cfd", "", "Dockerfile"),
    ("secure-retail-app", "yogita-ramesh-bugade/secure-retail-app", "ac78d67ce76a40bf17aaaacb2b42ea3d594a166a", "",
     "Dockerfile"),
    ("ytflex", "kirellkekw/YTFlex", "f59d613a38ed23ecfb1d3aca14cd53f6996cf957", "", "Dockerfile"),
    # Added for issue #13's >= 20 projects; how they were chosen (the rule, the queries, the rejects):
    # bench/effect_projects.md. Python web apps and data tools:
    ("devopstest", "yassel008/devopstest", "2cb7e5295591bc9b308ec2133b8e6ce9b85a4802", "", "Dockerfile"),
    ("sqs-consumer", "awakzdev/sqs-consumer", "894b2abbe74d33f63a645fe7617e3024c2574c21", "", "Dockerfile"),
    ("tp4-dados", "Matheuscara/TP4_PYTHON_DADOS_FACULDADE", "bf6d4ae8c0e6d8e5a4cf1853624d7d87ca8a6348", "",
     "dockerfile"),
    ("finops-analyzer", "Shivay00001/cloud-finops-cost-analyzer", "05b5995b450c952fa7124d18b5584b403a4c0cd1", "",
     "Dockerfile"),
    ("email-spam", "Sami606713/email_spam", "b88e6ffb822b75bed747c60dab716d4d7b92508c", "", "Dockerfile"),
    ("mlproject01", "meetagni/mlproject01", "41dcdd54e181c47449806cd0aab266f6a5e1a70e", "", "Dockerfile"),
    ("chat-cli", "KDercksen/chat-cli", "2a2a07062c38cbbf0f6a60e76034b72a5bfccd2c", "", "Dockerfile"),
    ("fastapi-ddd", "CodesForge/fastapi-ddd-template", "d58e52a3bc9242c4ab759791b1963c794e3a52a2", "",
     "dockerfile"),
    ("boston-housing", "sahil120105/Boston-Housing-Price-Predictor", "ec1c5e751a0dd56b485dad37b5c0f788291d54f6", "",
     "Dockerfile"),
    # C from Debian packages (make, cmake, gcc):
    ("qi", "ebell495/qi", "557e46e0fd158998f826b959dfce9ee2ce357b38", "", "Dockerfile"),
    ("goofy-coin", "LucaSforza/goofy_coin", "62e1748c36f88dc74a3b9be0f0175df57877f96d", "", "Dockerfile"),
    ("nanopi-r4s-boot", "takumin/nanopi-r4s-boot", "4f5c4dd7759c53d0718b7678408685b680db1a3d", "", "Dockerfile"),
    ("scratch-python", "fj0r/scratch", "d92224e75aabea0e928a0b2a5d88e52d9c29d225", "python", "debian.Dockerfile"),
    ("mayhem-example", "realfoambabel/mayhem-github-example", "3716f5a81823d411793e719ef0d32e16acd79862", "",
     "Dockerfile"),
    # Rust (a rust builder stage and a Debian slim runtime, or rust alone):
    ("btc-rpc-proxy", "dobtc/btc-rpc-proxy", "0f759801b4acff017d0203035df03435b7a95dbf", "", "Dockerfile"),
    ("todo-web-rust", "alekseinovikov/todo-web-rust", "7ff1903a26d1f377f01d3f796c772021f6f64765", "", "Dockerfile"),
    ("rustless", "jgunnink/rustless_webserver_demo", "3667b23746388ed240782324c3850e548697c8fe", "", "Dockerfile"),
    ("sutom-api", "paq1/sutom-api", "90de1c840fa21fef64c130b6ddadb93a642026ae", "", "Dockerfile"),
    ("bot-request-handler", "dipankardas011/bot-request-handler-rust", "35c6084b05ac20a7adf3ceb7981e9b00876882ad", "",
     "Dockerfile"),
)

# Our own projects: (name, folder in this repository, Dockerfile path inside it), copied by --prepare.
OURS = (
    ("seed-django", "fixtures/effect/seed-django", "Dockerfile"),  # the seed article's app on python:3.11-slim
)


def projects(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, Dockerfile, source) per project folder."""
    listed = folder / "PROJECTS.tsv"
    if listed.is_file():
        rows = [line.split("\t") for line in listed.read_text().splitlines()[1:] if line.strip()]
        return [(r[0], folder / r[0] / r[1], r[2] if len(r) > 2 else "") for r in rows]
    return [(p.name, p / "Dockerfile", "") for p in sorted(folder.iterdir()) if (p / "Dockerfile").is_file()]


def prepare(folder: Path, mirror: Path) -> int:
    """Export each project of PUBLIC at its commit into ``folder/<name>``, copy OURS; write PROJECTS.tsv."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, missing = ["name\tdockerfile\tsource"], 0
    for name, repo, commit, sub, dockerfile in PUBLIC:
        git_dir = mirror / repo.replace("/", "+") / "repo"
        target = folder / name
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", commit, *([sub] if sub else [])],
                                 capture_output=True)
        if archive.returncode != 0:
            print(f"effect: {repo}@{commit}: {archive.stderr.decode().strip()} (fetch it first)", file=sys.stderr)
            missing += 1
            continue
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        subprocess.run(["tar", "x", "-C", str(target)], input=archive.stdout, check=True)
        if sub:  # git archive keeps the folder: lift its content to the project's root
            inner = target / sub
            for child in inner.iterdir():
                child.rename(target / child.name)
            shutil.rmtree(target / sub.split("/")[0])
        rows.append(f"{name}\t{dockerfile}\t{repo}@{commit}" + (f":{sub}" if sub else ""))
    for name, source, dockerfile in OURS:
        shutil.rmtree(folder / name, ignore_errors=True)
        shutil.copytree(ROOT / source, folder / name)
        rows.append(f"{name}\t{dockerfile}\tours: {source}")
    (folder / "PROJECTS.tsv").write_text("\n".join(rows) + "\n")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("projects", type=Path)
    ap.add_argument("--prepare", action="store_true", help="export PUBLIC's projects into PROJECTS and stop")
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--network", default="host")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--json", type=Path, help="written after every project (an interrupted run keeps its work)")
    ap.add_argument("--only", type=lambda v: [n for n in v.split(",") if n], default=[],
                    help="NAME[,NAME]: these projects only")
    ap.add_argument("--resume", type=Path, help="an earlier --json: its projects are kept, not run again")
    ap.add_argument("--peers-venv", type=Path,
                    help="the venv of bench/requirements-peers.txt (default: the peers on PATH)")
    ap.add_argument("--cold", action="store_true", help="build every variant with --no-cache (slow)")
    ap.add_argument("--render", type=Path, nargs="+", metavar="JSON",
                    help="build nothing: merge these runs' --json (e.g. two halves run side by side) into "
                         "one table (--markdown) and one JSON (--json), in PROJECTS' order")
    ap.add_argument("--allow-mixed", action="store_true",
                    help="with --render: merge runs of dockslim commits whose src/ differs (a project re-run "
                         "after a fix); the table's note must say which projects ran at which commit")
    args = ap.parse_args(argv)
    if args.prepare:
        return prepare(args.projects, args.mirror)
    if args.render:
        return effect_run.render(args.render, projects(args.projects), json_out=args.json,
                                 markdown_out=args.markdown, allow_mixed=args.allow_mixed)
    Docker().check()
    return effect_run.run(projects(args.projects), network=args.network, peers_venv=args.peers_venv,
                          only=args.only, resume=args.resume, cold=args.cold, json_out=args.json,
                          markdown_out=args.markdown)


if __name__ == "__main__":
    sys.exit(main())
