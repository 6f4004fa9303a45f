"""Evidence at scale: run `dockslim fix` in-process over a corpus of real Dockerfiles.

    python bench/corpus.py CORPUS_DIR [--select ...] [--unsafe-fixes] [--harness N]
                           [--json out.json] [--markdown out.md]

Reports: files read / rejected as BuildKit would; crashes (any exception that is not a clean
input error); round-trip failures; outputs that BuildKit's parser (PyPI `dockerfile`) rejects;
non-idempotent files (a second fix changes something); files changed per pass; RUN instructions
removed; merge refusals by reason; and, with --harness N, behaviour-harness differences on up to N
changed files it can play (the others are counted as unplayable, with reasons).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from dockslim.engine import resolve_passes, validate  # noqa: E402
from dockslim.fixer import FixError, fix_text  # noqa: E402
from dockslim.io import InputError  # noqa: E402
from dockslim.passes import Options  # noqa: E402
from dockslim.syntax import ParseError, parse  # noqa: E402

from speed import load_corpus  # noqa: E402  (bench/ is on sys.path when run as a script)


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


def run(files, select, ignore, unsafe, harness_limit):
    passes = resolve_passes(select, ignore)
    options = Options(unsafe_fixes=unsafe)
    stats = collections.Counter()
    per_pass = collections.Counter()
    refusals = collections.Counter()
    crashes, not_parsed, not_idempotent, roundtrip, harness_diffs = [], [], [], [], []
    unplayable = collections.Counter()
    changed_files = []
    t0 = time.perf_counter()
    for path, text in files:
        stats["files"] += 1
        try:
            tree = parse(text)
        except ParseError:
            stats["rejected (BuildKit would too)"] += 1
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
        except Exception:  # noqa: BLE001 - the point is to count them
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
        again = fix_text(result.text, passes, path=path, options=options)
        if again.changed:
            not_idempotent.append(path)
        changed_files.append((path, text, result.text))
    stats["seconds"] = round(time.perf_counter() - t0, 2)

    played = 0
    if harness_limit:
        from tests.harness import Unsupported, compare
        from tests.harness.rootfs import unavailable_reason

        why = unavailable_reason()
        if why:
            unplayable[f"harness unavailable: {why}"] += len(changed_files)
        else:
            for path, before, after in changed_files[:harness_limit]:
                try:
                    diffs = compare(before, after)
                except Unsupported as exc:
                    unplayable[str(exc).split(":")[0][:80]] += 1
                    continue
                except Exception as exc:  # noqa: BLE001
                    unplayable[f"harness error: {type(exc).__name__}"] += 1
                    continue
                played += 1
                if diffs:
                    harness_diffs.append((path, diffs[:3]))
    return {
        "stats": dict(stats), "per_pass": dict(per_pass), "merge_refusals": refusals.most_common(12),
        "crashes": crashes, "buildkit_rejects_output": not_parsed, "not_idempotent": not_idempotent,
        "roundtrip_failures": roundtrip, "harness_played": played,
        "harness_unplayable": dict(unplayable), "harness_differences": harness_diffs,
    }


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
        f"| harness: files played / differences | {r['harness_played']} / {len(r['harness_differences'])} |",
        f"| harness: not playable | {sum(r['harness_unplayable'].values())} |",
        "", "| pass | files changed |", "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in sorted(r["per_pass"].items())]
    lines += ["", "| merge-runs: why RUNs were left apart | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in r["merge_refusals"]]
    if r["harness_unplayable"]:
        lines += ["", "| harness: why not playable | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(r["harness_unplayable"].items(), key=lambda kv: -kv[1])[:10]]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--select", default="")
    ap.add_argument("--ignore", default="")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--harness", type=int, default=0, help="play up to N changed files")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    ids = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    r = run(load_corpus(a.corpus), ids(a.select), ids(a.ignore), a.unsafe_fixes, a.harness)
    md = markdown(r)
    print(md)
    for path, err in r["crashes"][:5]:
        print(f"CRASH {path}\n{err}")
    for path, diffs in r["harness_differences"][:10]:
        print(f"HARNESS DIFF {path}: {diffs}")
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
