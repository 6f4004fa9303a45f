"""Speed figures: parse throughput over a folder, `check`/`fix` throughput, and cold start.

Not a test: prints a Markdown table (and JSON with --json). Usage:

    python bench/speed.py CORPUS_DIR [--repeat 3] [--json out.json]

- parse: files/s and MB/s of `dockslim.syntax.parse` in one process (files that BuildKit
  would reject are counted separately);
- check / fix: files/s of the in-process engine with all passes (fix = `fix --diff` work);
- cold start: wall time of `dockslim fix --diff fixtures/seed/Dockerfile` in a fresh interpreter
  (median of N runs), and of `python -c pass` for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dockslim.io import discover  # noqa: E402
from dockslim.syntax import ParseError, parse  # noqa: E402


def load_corpus(folder: str) -> list[tuple[str, str]]:
    """Every UTF-8 file below ``folder`` (a corpus folder holds only Dockerfiles, whatever their
    names), except bookkeeping files; a repository checkout is searched by Dockerfile names."""
    root = Path(folder)
    if (root / ".git").exists():
        paths = [Path(p) for p in discover([folder])]
    else:
        paths = [p for p in sorted(root.rglob("*"))
                 if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md")]
    out = []
    for p in paths:
        try:
            out.append((str(p), p.read_bytes().decode("utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def bench_parse(files, repeat):
    best = float("inf")
    rejected = 0
    for _ in range(repeat):
        rejected = 0
        t0 = time.perf_counter()
        for _, text in files:
            try:
                parse(text)
            except ParseError:
                rejected += 1
        best = min(best, time.perf_counter() - t0)
    size = sum(len(t.encode()) for _, t in files)
    return {"files": len(files), "rejected": rejected, "seconds": best,
            "files_per_s": len(files) / best, "mb_per_s": size / best / 1e6}


def bench_engine(files, repeat, mode):
    from dockslim.engine import validate
    from dockslim.fixer import check_text, fix_text
    from dockslim.io import InputError
    from dockslim.passes import REGISTRY, Options

    passes = [p() for p in REGISTRY]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for path, text in files:
            try:
                tree = parse(text)
                validate(path, tree)
                if mode == "check":
                    check_text(text, passes, path=path, build_context=Path(path).parent)
                else:
                    fix_text(text, passes, path=path, build_context=Path(path).parent,
                             options=Options(), tree=tree)
            except (ParseError, InputError):
                pass
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "files_per_s": len(files) / best}


def cold_start(runs):
    exe = [sys.executable, "-m", "dockslim", "fix", "--diff", str(ROOT / "fixtures/seed/Dockerfile")]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

    def timed(cmd):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    return {"dockslim_fix_diff_ms": timed(exe) * 1000,
            "python_noop_ms": timed([sys.executable, "-c", "pass"]) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold-runs", type=int, default=15)
    ap.add_argument("--json")
    args = ap.parse_args()
    files = load_corpus(args.corpus)
    results = {
        "parse": bench_parse(files, args.repeat),
        "check": bench_engine(files, args.repeat, "check"),
        "fix": bench_engine(files, args.repeat, "fix"),
        "cold_start": cold_start(args.cold_runs),
    }
    p, c, f, cs = results["parse"], results["check"], results["fix"], results["cold_start"]
    print(f"| measure | value |\n|---|---|")
    print(f"| files | {p['files']} ({p['rejected']} rejected by the parser, as BuildKit would) |")
    print(f"| parse | {p['files_per_s']:.0f} files/s, {p['mb_per_s']:.1f} MB/s |")
    print(f"| check (all passes, in-process) | {c['files_per_s']:.0f} files/s |")
    print(f"| fix (all passes, in-process) | {f['files_per_s']:.0f} files/s |")
    print(f"| cold start `dockslim fix --diff` seed | {cs['dockslim_fix_diff_ms']:.0f} ms "
          f"(python -c pass: {cs['python_noop_ms']:.0f} ms) |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
