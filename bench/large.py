"""Large generated Dockerfiles: does time grow linearly with size?

Not a test: prints a Markdown table (and JSON with --json). Usage:

    python bench/large.py [--shapes runs,stages,...] [--scale 1.0] [--sizes 1,2,4] [--no-cli]
                          [--repeat 1] [--json out.json] [--profile SHAPE --size N]

Each *shape* is generated at a base size N and at 2N and 4N (``--sizes``). For each file:

- ``parse``: CPU seconds (``time.process_time``) of :func:`dockslim.syntax.parse` (with the
  cyclic GC paused, as the engine does);
- ``check``: CPU seconds of the engine's per-file work in this process (``engine.check_file``:
  read, parse, validate, every selected pass);
- ``fix``: the same for ``engine.fix_file`` (the fixer to its fixed point) and the diff
  (``fix --diff`` work);
- ``cli``: the console script ``dockslim fix --diff FILE`` in a fresh process (wall seconds, and the
  child's user+sys CPU seconds), run outside this repository so no configuration is looked up;
- ``fix_calls`` (``--calls``): the Python function calls ``fix`` makes (cProfile), a count the load
  of the machine does not move: its ratio shows the complexity when the timings are noisy.

and the table gives each time and the ratio to the previous size (2N/N, 4N/2N): linear time means
~2.0 (the target is <= 2.2). The best of ``--repeat`` runs is kept. The shapes:

- ``runs``: one stage, N consecutive RUNs of everyday commands (merge-runs' worst case);
- ``stages``: N stages ``FROM debian:bookworm AS sI`` with apt-get installs and ``COPY --from`` the
  previous stage, all passes; ``stages-alpine``: the same with ``--select alpine-base
  --unsafe-fixes``; ``stages-unsafe``: all passes with ``--unsafe-fixes``;
- ``managers``: one stage of N RUNs, one package manager each in turn (go, apk, yarn, apt with
  lists an earlier RUN downloaded, pip, npm): cache-cleanup's questions about *later* RUNs;
- ``stage-chain``: N stages, each ``FROM`` the one before;
- ``mixed``: realistic mixed content (comments, ARG/ENV/LABEL, apt/pip/npm installs, heredocs,
  continuation lines, COPY/ADD, several stages) up to a byte size (the 4N file is 2 MB);
- ``continuations``: RUNs of many continuation lines each (``\\`` at every line end);
- ``heredocs``: N ``RUN <<EOF`` heredoc bodies;
- ``and-chain``: ONE RUN whose body is N commands joined by ``&&``.

``--profile SHAPE --size N`` runs cProfile on one fix and prints the top functions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dockslim.engine import check_file, fix_file, gc_paused, resolve_passes
from dockslim.fixer import fix_text
from dockslim.output.diff import unified_diff
from dockslim.passes import Options
from dockslim.syntax import parse

_PACKAGES = ["curl", "ca-certificates", "git", "build-essential", "libssl-dev", "python3-dev",
             "unzip", "wget", "gnupg", "jq", "vim", "less", "make", "gcc", "libffi-dev", "zlib1g-dev"]
_PIP = ["requests", "flask", "gunicorn", "numpy", "pyyaml", "click", "jinja2", "boto3"]


def _pkgs(i: int, n: int = 3) -> str:
    return " ".join(_PACKAGES[(i + k) % len(_PACKAGES)] for k in range(n))


def gen_runs(n: int) -> str:
    """One stage of ``n`` RUNs; every fourth installs packages, the others are everyday commands."""
    out = ["FROM debian:bookworm\n"]
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(f"RUN apt-get update && apt-get install -y {_pkgs(i)}\n")
        elif kind == 1:
            out.append(f"RUN mkdir -p /opt/app{i}/data\n")
        elif kind == 2:
            out.append(f"RUN echo 'step {i}' >> /var/log/build.log\n")
        else:
            out.append(f"RUN useradd -m user{i} || true\n")
    return "".join(out)


def gen_stages(n: int) -> str:
    """``n`` stages, each installing packages and copying from the one before."""
    out = []
    for i in range(n):
        out.append(f"FROM debian:bookworm AS s{i}\n")
        out.append(f"RUN apt-get update && apt-get install -y {_pkgs(i)}\n")
        out.append(f"RUN mkdir -p /srv/s{i}\n")
        if i:
            out.append(f"COPY --from=s{i - 1} /srv/s{i - 1} /srv/s{i - 1}\n")
        out.append(f"ENV STAGE{i}=/srv/s{i}\n")
    out.append(f'CMD ["ls", "/srv/s{n - 1}"]\n')
    return "".join(out)


_MIXED_BLOCKS: list[Callable[[int], str]] = [
    lambda i: (f"# --- component {i}: build tools ---------------------------------\n"
               f"ARG VERSION_{i}=1.{i % 50}.{i % 7}\n"
               f"ENV PATH=/opt/c{i}/bin:$PATH \\\n    LANG=C.UTF-8 \\\n    C{i}_HOME=/opt/c{i}\n"),
    lambda i: (f"RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n"
               f"        {_pkgs(i, 5)} \\\n    && rm -rf /var/lib/apt/lists/*\n"),
    lambda i: f"RUN pip install {' '.join(_PIP[(i + k) % len(_PIP)] for k in range(3))}\n",
    lambda i: (f"COPY requirements-{i}.txt /app/\nRUN pip install -r /app/requirements-{i}.txt\n"),
    lambda i: (f"RUN <<EOF\nset -eux\nmkdir -p /etc/c{i}\necho 'key={i}' > /etc/c{i}/conf\n"
               f"chmod 600 /etc/c{i}/conf\nEOF\n"),
    lambda i: (f"COPY <<EOF /etc/c{i}/motd\nWelcome to component {i}\nversion ${{VERSION_{i}}}\nEOF\n"),
    lambda i: (f"LABEL org.opencontainers.image.title=\"c{i}\" \\\n"
               f"      org.opencontainers.image.version=\"1.{i}\"\n"),
    lambda i: (f"RUN curl -fsSL https://example.org/c{i}.tar.gz -o /tmp/c{i}.tgz \\\n"
               f"    && tar -xzf /tmp/c{i}.tgz -C /opt \\\n    && rm /tmp/c{i}.tgz\n"),
    lambda i: f"WORKDIR /opt/c{i}\nRUN ./configure --prefix=/usr/local && make -j4 && make install\n",
    lambda i: f"ADD files/c{i}.conf /etc/c{i}.conf\nRUN echo ok{i}\n",
    lambda i: f"RUN npm ci --prefix /srv/web{i} && npm cache clean --force\n",
    lambda i: f"FROM debian:bookworm-slim AS part{i}\nMAINTAINER someone{i} <a{i}@example.org>\n",
]


def gen_managers(n: int) -> str:
    """One stage of ``n`` RUNs, one package manager each, in turn: what cache-cleanup asks about
    the *later* RUNs (go, apk, yarn, apt lists downloaded by an earlier RUN)."""
    out = ["FROM debian:bookworm\nRUN apt-get update\n"]
    for i in range(n):
        kind = i % 6
        if kind == 0:
            out.append(f"RUN go build -o /bin/app{i} ./cmd/app{i}\n")
        elif kind == 1:
            out.append("RUN apk update\n")
        elif kind == 2:
            out.append(f"RUN yarn install --cwd /srv/web{i}\n")
        elif kind == 3:
            out.append(f"RUN apt-get install -y {_PACKAGES[i % len(_PACKAGES)]}\n")
        elif kind == 4:
            out.append(f"RUN pip install {_PIP[i % len(_PIP)]}=={i}.0\n")
        else:
            out.append(f"RUN npm install -g tool{i}\n")
    return "".join(out)


def gen_stage_chain(n: int) -> str:
    """``n`` stages, each built FROM the one before (every stage has all the others as
    ancestors or descendants)."""
    out = ["FROM debian:bookworm AS s0\nRUN apt-get update && apt-get install -y curl\n"]
    for i in range(1, n):
        out.append(f"FROM s{i - 1} AS s{i}\n")
        out.append(f"RUN apt-get install -y {_pkgs(i, 1)} && mkdir -p /srv/s{i}\n")
        out.append(f"RUN pip install {_PIP[i % len(_PIP)]}\n")
    return "".join(out)


def gen_mixed(size: int) -> str:
    """Realistic mixed content, block after block, until ``size`` bytes (never more)."""
    out = ["# syntax=docker/dockerfile:1\nARG BASE=debian:bookworm\nFROM ${BASE} AS base\n"]
    total = len(out[0])
    i = 0
    while True:
        block = _MIXED_BLOCKS[i % len(_MIXED_BLOCKS)](i) + ("\n" if i % 5 == 4 else "")
        if total + len(block) + 40 > size:
            break
        out.append(block)
        total += len(block)
        i += 1
    out.append('CMD ["/bin/sh"]\n')
    return "".join(out)


def gen_continuations(n: int) -> str:
    """RUNs of 200 continuation lines each, ``n`` lines in all."""
    out = ["FROM debian:bookworm\n"]
    per = 200
    for r in range(max(1, n // per)):
        lines = [f"RUN echo start{r}"]
        lines += [f"    && echo line{r}_{k} >> /tmp/f{r}" for k in range(per - 1)]
        out.append(" \\\n".join(lines) + "\n")
    return "".join(out)


def gen_long_continuation(n: int) -> str:
    """ONE RUN of ``n`` continuation lines."""
    lines = ["RUN apt-get update && apt-get install -y"]
    lines += [f"    pkg{k}" for k in range(n)]
    return "FROM debian:bookworm\n" + " \\\n".join(lines) + "\n"


def gen_heredocs(n: int) -> str:
    """``n`` heredoc RUNs (and a COPY heredoc every tenth)."""
    out = ["# syntax=docker/dockerfile:1\nFROM debian:bookworm\n"]
    for i in range(n):
        if i % 10 == 9:
            out.append(f"COPY <<EOF /etc/file{i}\nline one {i}\nline two\nEOF\n")
        else:
            out.append(f"RUN <<EOF\nset -e\necho {i} > /tmp/h{i}\nmkdir -p /d{i}\nEOF\n")
    return "".join(out)


def gen_and_chain(n: int) -> str:
    """ONE RUN: ``n`` commands joined by ``&&`` on one line."""
    cmds = []
    for i in range(n):
        cmds.append(f"apt-get install -y {_PACKAGES[i % len(_PACKAGES)]}" if i % 3 == 0 else f"echo {i} > /tmp/x{i}")
    return "FROM debian:bookworm\nRUN apt-get update && " + " && ".join(cmds) + "\n"


# shape -> (generator, base size, select, unsafe-fixes)
SHAPES: dict[str, tuple[Callable[[int], str], int, tuple[str, ...], bool]] = {
    "runs": (gen_runs, 2500, (), False),
    "stages": (gen_stages, 250, (), False),
    "stages-alpine": (gen_stages, 250, ("alpine-base",), True),
    "stages-unsafe": (gen_stages, 250, (), True),
    "managers": (gen_managers, 2500, (), False),
    "stage-chain": (gen_stage_chain, 250, (), False),
    "mixed": (gen_mixed, 500_000, (), False),
    "continuations": (gen_continuations, 2500, (), False),
    "long-continuation": (gen_long_continuation, 2500, (), False),
    "heredocs": (gen_heredocs, 1000, (), False),
    "and-chain": (gen_and_chain, 1000, (), False),
}


def _cold() -> None:
    """Forget what an earlier measurement left in memory (the shell-parse cache), so each one
    starts as a fresh process would."""
    from dockslim.passes import shellquery

    shellquery._parse.cache_clear()


def _cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        _cold()
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def measure_in_process(path: str, text: str, select: tuple[str, ...], unsafe: bool,
                       repeat: int) -> dict[str, float]:
    """CPU seconds of the engine's per-file work on ``path`` (holding ``text``), as the console
    script does it: read, parse, validate, passes (check); the same and the fixer plus the diff
    (fix). No time budget: the figures are what the budget is measured against."""
    passes = resolve_passes(list(select))
    options = Options(unsafe_fixes=unsafe, explicit=frozenset(select))

    def parse_only() -> None:
        with gc_paused():
            parse(text)

    def check() -> None:
        report = check_file(path, passes, options, None)
        assert report.error is None, report.error

    def fix() -> None:
        report = fix_file(path, passes, options, None)
        assert report.error is None and report.result is not None, report.error
        unified_diff(path, text, report.result.text)

    out = {"parse": _cpu(parse_only, repeat), "check": _cpu(check, repeat), "fix": _cpu(fix, repeat)}
    if COUNT_CALLS:
        out["fix_calls"] = _calls(fix)
    return out


COUNT_CALLS = False  # --calls


def _calls(fn: Callable[[], object]) -> float:
    """Python function calls made by ``fn`` (cProfile's count): a measure of work that the load of
    a shared machine does not move, so its ratio between sizes shows the complexity exactly."""
    import cProfile
    import pstats

    _cold()
    prof = cProfile.Profile()
    prof.runcall(fn)
    return float(pstats.Stats(prof).total_calls)  # type: ignore[attr-defined]


def _console_script() -> list[str]:
    exe = Path(sys.executable).with_name("dockslim")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dockslim"]


def measure_cli(path: str, select: tuple[str, ...], unsafe: bool, repeat: int) -> dict[str, float]:
    argv = _console_script() + ["fix", "--diff", "--quiet", path]
    for s in select:
        argv += ["--select", s]
    if unsafe:
        argv.append("--unsafe-fixes")
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=os.path.dirname(path), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        best_wall = min(best_wall, wall)
        best_cpu = min(best_cpu, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"cli_wall": best_wall, "cli_cpu": best_cpu}


def run(shapes: list[str], scale: float, sizes: list[int], cli: bool, repeat: int) -> list[dict]:
    rows = []
    tmp = tempfile.mkdtemp(prefix="dockslim-large-")
    try:
        for shape in shapes:
            gen, base, select, unsafe = SHAPES[shape]
            for k in sizes:
                n = int(base * scale * k)
                text = gen(n)
                row: dict = {"shape": shape, "n": n, "factor": k, "bytes": len(text.encode()),
                             "lines": text.count("\n")}
                path = os.path.join(tmp, f"{shape}-{k}", "Dockerfile")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                row.update(measure_in_process(path, text, select, unsafe, repeat))
                if cli:
                    row.update(measure_cli(path, select, unsafe, repeat))
                rows.append(row)
                print(f"  {shape} x{k}: " + ", ".join(f"{key}={row[key]:.3f}" for key in
                                                       ("parse", "check", "fix", "cli_wall", "cli_cpu",
                                                        "fix_calls")
                                                       if key in row), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def markdown(rows: list[dict]) -> str:
    cols = [c for c in ("parse", "check", "fix", "cli_wall", "cli_cpu", "fix_calls") if any(c in r for r in rows)]
    head = "| shape | size | bytes | " + " | ".join(
        f"{c} (x)" if c == "fix_calls" else f"{c} s (x)" for c in cols) + " |"
    out = [head, "|" + "---|" * (3 + len(cols))]
    prev: dict | None = None
    for r in rows:
        cells = []
        for c in cols:
            if c not in r:
                cells.append("-")
                continue
            ratio = ""
            if prev is not None and prev["shape"] == r["shape"] and prev.get(c):
                ratio = f" ({r[c] / prev[c]:.2f}x)"
            cells.append(f"{r[c]:,.0f}{ratio}" if c == "fix_calls" else f"{r[c]:.3f}{ratio}")
        out.append(f"| {r['shape']} | {r['factor']}N = {r['n']:,} | {r['bytes']:,} | " + " | ".join(cells) + " |")
        prev = r
    return "\n".join(out) + "\n"


def profile(shape: str, n: int) -> None:
    import cProfile
    import pstats

    gen, _, select, unsafe = SHAPES[shape]
    text = gen(n)
    passes = resolve_passes(list(select))
    options = Options(unsafe_fixes=unsafe, explicit=frozenset(select))
    _cold()
    prof = cProfile.Profile()
    prof.enable()
    result = fix_text(text, passes, options=options)
    unified_diff("Dockerfile", text, result.text)
    prof.disable()
    pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "35")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    ap.add_argument("--sizes", default="1,2,4", help="multiples of the base size (default 1,2,4)")
    ap.add_argument("--no-cli", action="store_true", help="skip the console-script runs")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--calls", action="store_true", help="also count fix's Python function calls (cProfile)")
    ap.add_argument("--json")
    ap.add_argument("--profile", metavar="SHAPE")
    ap.add_argument("--size", type=int, help="with --profile: the generator's size argument")
    args = ap.parse_args(argv)
    if args.profile:
        profile(args.profile, args.size or SHAPES[args.profile][1])
        return 0
    global COUNT_CALLS
    COUNT_CALLS = args.calls
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        ap.error(f"unknown shape(s): {', '.join(unknown)}")
    rows = run(shapes, args.scale, [int(x) for x in args.sizes.split(",")], not args.no_cli, args.repeat)
    print(markdown(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
