"""The runner of the effect benchmark (``bench/effect.py``): each project built as the original,
dockslim's rewrites and the peers' rewrites, measured alike, then the table and its summary.

Per variant: image MB (10^6 bytes, `docker image inspect` Size), layers, build s, rebuild s after a
source-only edit, the smoke check (`fix --verify`'s: same outcome as the original's or not) and the
files lost outside cache folders (as `measure` counts them). The pure parts (the peers' command
lines, reading a peer's run, the table and the summary) are tested without an engine in
tests/bench/.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from dockslim.engine import fix_file, resolve_passes
from dockslim.fixer import fix_text
from dockslim.measure import MeasureError, copied_files, diff_files, pick_source_file
from dockslim.passes import Options
from dockslim.syntax import ParseError, parse
from dockslim.verify import DockerEngine, VerifyError, verify

PEER_SECONDS = 120


@dataclass(frozen=True)
class Peer:
    """A peer's fixing mode: how to make it rewrite a Dockerfile in place."""

    name: str                  # the variant's name in the table
    executable: str
    distribution: str          # its PyPI name (its version is recorded)
    args: tuple[str, ...]      # {dockerfile} and {context} are filled in
    exit_codes: frozenset[int] = frozenset({0})   # codes of a normal run (others: it crashed)


# tally writes the fixes into the file (--fix); --fail-level none: exit 0 when findings remain;
# --no-config: no config file found around the copy; --slow-checks off: no registry look-ups. It
# only accepts a file named like a Dockerfile (`dockerfile` is refused), so the copy is named
# `Dockerfile`. dockerfile-doctor writes in place with --fix, exits 1 when issues remain.
PEERS = (
    Peer("tally", "tally", "tally-cli",
         ("lint", "--fix", "--fail-level", "none", "--no-config", "--slow-checks", "off",
          "--context", "{context}", "{dockerfile}")),
    Peer("tally-unsafe", "tally", "tally-cli",
         ("lint", "--fix", "--fix-unsafe", "--fail-level", "none", "--no-config", "--slow-checks", "off",
          "--context", "{context}", "{dockerfile}")),
    Peer("doctor", "dockerfile-doctor", "dockerfile-doctor",
         ("--fix", "--no-color", "{dockerfile}"), frozenset({0, 1})),
    Peer("doctor-unsafe", "dockerfile-doctor", "dockerfile-doctor",
         ("--fix", "--unsafe-fixes", "--no-color", "{dockerfile}"), frozenset({0, 1})),
)
DOCKSLIM = ("safe", "verified")
VARIANTS = ("original", *DOCKSLIM, *(p.name for p in PEERS))
# A variant that did not give an image, and is not the original's image either.
BROKEN = ("build failed",)
NO_IMAGE = ("build failed", "needs newer builder", "crashed", "not installed", "error")


def find_executable(name: str, peers_venv: Path | None) -> str | None:
    if peers_venv is not None:
        candidate = peers_venv.resolve() / "bin" / name
        return str(candidate) if candidate.is_file() else None
    return shutil.which(name)


def peer_argv(peer: Peer, executable: str, dockerfile: Path, context: Path) -> list[str]:
    return [executable, *(a.replace("{dockerfile}", str(dockerfile)).replace("{context}", str(context))
                          for a in peer.args)]


def peer_version(peer: Peer, executable: str) -> str:
    """The distribution's version, read by the Python beside the executable (a venv's bin)."""
    python = Path(executable).parent / "python"
    proc = subprocess.run([str(python) if python.exists() else sys.executable, "-c",
                           f"import importlib.metadata as m; print(m.version({peer.distribution!r}))"],
                          capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def read_peer_run(peer: Peer, original: str, code: int | None, rewritten: str | None, output: str) -> dict:
    """The row entry for a peer's run, before any build: ``{"status": "crashed" | "unchanged" |
    "rewritten", ...}``. ``code`` None: it did not finish in time."""
    if code is None:
        return {"status": "crashed", "error": f"did not finish within {PEER_SECONDS}s"}
    if code not in peer.exit_codes or "Traceback (most recent call last)" in output:
        return {"status": "crashed", "error": f"exit {code}: {last_line(output) or 'no output'}"}
    if rewritten is None:
        return {"status": "crashed", "error": "the Dockerfile is gone"}
    if rewritten == original:
        return {"status": "unchanged", "same_as": "original"}
    return {"status": "rewritten", "text": rewritten}


def run_peer(peer: Peer, executable: str, original: str, context: Path) -> dict:
    """Run ``peer`` on a copy of the Dockerfile (named ``Dockerfile``) beside a copy of the
    context; never on the project's own files."""
    with tempfile.TemporaryDirectory(prefix="effect-peer-") as tmp:
        work, ctx = Path(tmp) / "peer", Path(tmp) / "context"
        work.mkdir()
        shutil.copytree(context, ctx, symlinks=True)
        dockerfile = work / "Dockerfile"
        dockerfile.write_text(original, encoding="utf-8")
        try:
            proc = subprocess.run(peer_argv(peer, executable, dockerfile, ctx), cwd=work, capture_output=True,
                                  text=True, timeout=PEER_SECONDS, stdin=subprocess.DEVNULL)
            code, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired:
            code, output = None, ""
        except OSError as exc:
            code, output = -1, str(exc)
        rewritten = dockerfile.read_text(encoding="utf-8") if dockerfile.is_file() else None
        entry = read_peer_run(peer, original, code, rewritten, output)
        others = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file() and p != dockerfile)
        if others:
            entry["also_wrote"] = others  # not part of the build: said in the JSON
        return entry


# --- one project ----------------------------------------------------------------------------------


def _image_row(engine: DockerEngine, built, cold: bool) -> dict:
    facts = engine.docker.facts(built.tag)
    return {"status": "built", "tag": built.tag, "mb": round(facts.size / 1e6, 1), "layers": facts.layers,
            "build_s": round(built.seconds, 1), "cold": cold}


# What BuildKit's Dockerfile frontend says when it cannot read the file at all.
FRONTEND_REFUSALS = ("dockerfile parse error", "failed to create LLB definition")


def _failed_build(error: str, text: str | None = None) -> dict:
    """A build that failed; "needs newer builder" when this engine's builder cannot read the file at all
    (a limit of the engine here, not a broken rewrite): the classic builder and BuildKit, or a
    heredoc (Dockerfile syntax 1.4, 2022) that the frontend built into this engine's BuildKit (Docker
    20.10) predates and cannot parse, while the Docker of a current user builds it."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    if error.startswith("needs BuildKit"):
        return {"status": "needs newer builder", "error": lines[0][:200]}
    if text is not None and any(refusal in error for refusal in FRONTEND_REFUSALS):
        heredoc = _first_heredoc(text)
        if heredoc is not None:
            return {"status": "needs newer builder",
                    "error": f"line {heredoc}: a heredoc: needs the Dockerfile 1.4 frontend; this engine's "
                             "built-in one says: " + (lines[-1][:160] if lines else "?")}
    return {"status": "build failed", "error": lines[-1][:200] if lines else "build failed", "log": lines[-12:]}


def _first_heredoc(text: str) -> int | None:
    """The line of the first instruction with a heredoc, or None (also for text that does not parse)."""
    try:
        tree = parse(text)
    except ParseError:
        return None
    return next((ins.start_line for ins in tree.instructions if ins.heredocs), None)


def reclassify(projects: Sequence[dict]) -> list[dict]:
    """Apply :func:`_failed_build`'s rules to rows of an earlier JSON (a run made before a rule)."""
    for project in projects:
        for row in project.get("variants", {}).values():
            if row.get("status") == "build failed" and row.get("text"):
                again = _failed_build("\n".join(row.get("log") or [row.get("error", "")]), row["text"])
                if again["status"] != "build failed":
                    row.update(status=again["status"], error=again["error"])
    return list(projects)


def one(name: str, dockerfile: Path, network: str | None, peers: Mapping[str, str | None],
        cold: bool = False, say: Callable[[str], None] = lambda _: None) -> dict:
    """Every variant of one project, built in turn on one engine (its cache shared)."""
    context = dockerfile.parent
    passes = resolve_passes()
    report = fix_file(str(dockerfile), passes, Options(), None)
    if report.result is None:
        return {"project": name, "error": str(report.error)}
    safe = report.result
    original = safe.original
    copied = copied_files(original, context, str(dockerfile))
    change = pick_source_file(context, copied)
    out: dict = {"project": name, "change": change, "variants": {}}
    rows: dict[str, dict] = out["variants"]
    texts: dict[tuple[str, tuple], str] = {}   # (text, creates) -> the first variant built from it
    try:
        engine = DockerEngine(dockerfile, context, network=network)
    except VerifyError as exc:
        return {**out, "error": str(exc)}
    try:
        say(f"{name}: original (--no-cache)")
        built = engine.build("original", original, (), no_cache=True)
        if not built.ok:
            rows["original"] = _failed_build(built.error)
            return out
        rows["original"] = _image_row(engine, built, cold=True)
        check = engine.smoke_check(built.tag, None)
        before = engine.smoke(built.tag, check)
        out["check"] = check.kind
        out["original_outcome"] = before.summary
        original_files = engine.files(built.tag)
        texts[(original, ())] = "original"

        def measure(label: str, text: str, creates: tuple) -> dict:
            same = texts.get((text, creates))
            if same is not None:
                return {**{k: v for k, v in rows[same].items() if k not in ("same_as", "tag")}, "same_as": same}
            texts[(text, creates)] = label
            say(f"{name}: {label}")
            b = engine.build(label, text, creates, no_cache=cold)
            if not b.ok:
                return _failed_build(b.error, text)
            row = _image_row(engine, b, cold)
            outcome = engine.smoke(b.tag, check)
            row["smoke_same"] = outcome.summary == before.summary
            if not row["smoke_same"]:
                row["smoke"] = outcome.summary
            row["lost"] = len(diff_files(original_files, engine.files(b.tag)).lost)
            _rebuild(engine, b.tag, change, row)
            return row

        rows["original"]["smoke_same"], rows["original"]["lost"] = True, 0
        _rebuild(engine, built.tag, change, rows["original"])
        rows["safe"] = measure("safe", safe.text, tuple(safe.creates))

        say(f"{name}: verified (fix --unsafe-fixes --verify)")
        unsafe_options = Options(unsafe_fixes=True)
        full = fix_file(str(dockerfile), passes, unsafe_options, None).result
        assert full is not None

        def rerun(excluded):
            return fix_text(full.original, passes, path=str(dockerfile), build_context=context,
                            options=unsafe_options, exclude=excluded)
        v = verify(str(dockerfile), full, rerun, engine)
        if v.unverified:
            rows["verified"] = {"status": "unverified", "same_as": "original", "error": v.unverified[:300]}
        else:
            rows["verified"] = measure("verified", v.result.text, tuple(v.result.creates))
        rows["verified"]["dropped"] = [d.fix.finding.pass_id for d in v.dropped]
        rows["verified"]["verify_builds"] = v.builds

        for peer in PEERS:
            executable = peers.get(peer.executable)
            if executable is None:
                rows[peer.name] = {"status": "not installed"}
                continue
            say(f"{name}: running {peer.name} on a copy")
            entry = run_peer(peer, executable, original, context)
            if entry["status"] == "rewritten":
                text = entry.pop("text")
                entry = {**entry, **measure(peer.name, text, ())}
                entry["text"] = text
            rows[peer.name] = entry
    except (MeasureError, VerifyError) as exc:
        out["error"] = str(exc)
    finally:
        engine.cleanup()
    for row in rows.values():
        row.pop("tag", None)
    return out


def _rebuild(engine: DockerEngine, tag: str, change: str | None, row: dict) -> None:
    if change is None:
        row["rebuild_s"] = None
        return
    try:
        row["rebuild_s"] = round(engine.rebuild(tag, change), 1)
    except MeasureError as exc:
        row["rebuild_s"] = None
        row["rebuild_error"] = last_line(str(exc))


# --- the table ------------------------------------------------------------------------------------


def _cell_mb(row: Mapping | None) -> str:
    if not row:
        return "-"
    status = row.get("status", "")
    if status in NO_IMAGE:
        return {"build failed": "**build fails**", "not installed": "-"}.get(status, status)
    same = row.get("same_as")
    mb = row.get("mb")
    if same == "original" and status in ("unchanged", "unverified"):
        return "= original" if status == "unchanged" else "= original (unverified)"
    shown = "-" if mb is None else f"{mb:.1f}"
    return f"{shown} (= {same})" if same else shown


def _saved(original: Mapping, row: Mapping) -> float | None:
    """MB this variant saves on the original, or None when it gave no image."""
    status = row.get("status")
    if status in ("unchanged", "unverified"):
        return 0.0
    if status in NO_IMAGE or row.get("mb") is None:
        return None
    return round(original["mb"] - row["mb"], 1)


def summary(projects: Sequence[Mapping], tools: Sequence[str] = VARIANTS[1:]) -> dict:
    """Per tool, over the projects whose original builds: MB saved (median, total, over those where
    the variant gave an image), and counts of broken builds, crashes, smoke differences, file losses."""
    built = [p for p in projects if p.get("variants", {}).get("original", {}).get("status") == "built"]
    out: dict = {"projects": len(projects), "originals_built": len(built), "tools": {}}
    for tool in tools:
        saved: list[float] = []
        counts = {"build failed": 0, "needs newer builder": 0, "crashed": 0, "unchanged": 0, "smoke differs": 0,
                  "files lost": 0}
        installed = False
        rebuilds: list[tuple[float, float]] = []   # (original's, variant's) rebuild s, per project
        fewer_layers = 0
        for p in built:
            row = p["variants"].get(tool) or {}
            status = row.get("status")
            if status in (None, "not installed"):
                continue
            installed = True
            if status in counts:
                counts[status] += 1
            if row.get("smoke_same") is False:
                counts["smoke differs"] += 1
            if row.get("lost"):
                counts["files lost"] += 1
            s = _saved(p["variants"]["original"], row)
            if s is not None:
                saved.append(s)
            original = p["variants"]["original"]
            src = original if status in ("unchanged", "unverified") else row
            if src.get("rebuild_s") is not None and original.get("rebuild_s") is not None:
                rebuilds.append((original["rebuild_s"], src["rebuild_s"]))
            if src.get("layers") is not None and original.get("layers") is not None:
                fewer_layers += original["layers"] - src["layers"]
        out["tools"][tool] = {
            "installed": installed, "measured": len(saved),
            "median_mb_saved": round(statistics.median(saved), 1) if saved else None,
            "total_mb_saved": round(sum(saved), 1) if saved else None,
            "layers_fewer": fewer_layers,
            "rebuild_s_median": round(statistics.median(r[1] for r in rebuilds), 1) if rebuilds else None,
            "original_rebuild_s_median": round(statistics.median(r[0] for r in rebuilds), 1) if rebuilds else None,
            **counts}
    return out


def _num(x) -> str:
    return "-" if x is None else f"{x:.1f}" if isinstance(x, float) else str(x)


def markdown(projects: Sequence[Mapping], meta: Mapping | None = None) -> str:
    meta = meta or {}
    tools = VARIANTS[1:]
    lines = ["Image MB per variant (10^6 bytes; `= X`: same Dockerfile text as X, not rebuilt):", "",
             "| project | original | " + " | ".join(tools) + " |",
             "|---|---:|" + "---:|" * len(tools)]
    for p in projects:
        v = p.get("variants", {})
        o = v.get("original") or {}
        if o.get("status") != "built":
            why = o.get("error") or p.get("error") or "not built"
            lines.append(f"| {p['project']} | original fails: {why} |" + " |" * len(tools))
            continue
        lines.append(f"| {p['project']} | {o['mb']:.1f} | " + " | ".join(_cell_mb(v.get(t)) for t in tools) + " |")
    build_s = ("build s: the original with `--no-cache` (cold; base image present); every other variant "
               "without it, on the engine's cache as the variants before it left it (compare sizes, not these times)"
               if not meta.get("cold") else "build s: every variant with `--no-cache` (cold; base image present)")
    lines += ["", "Per variant (" + build_s + "; rebuild s: after appending a line to the source file named, "
              "the rebuilt image removed at once; smoke: the `fix --verify` check, same outcome as the original; "
              "lost: files of the original missing outside cache folders):", "",
              "| project | variant | MB | layers | build s | rebuild s | smoke same | lost | note |",
              "|---|---|---:|---:|---:|---:|---|---:|---|"]
    for p in projects:
        v = p.get("variants", {})
        if (v.get("original") or {}).get("status") != "built":
            continue
        first = True
        for tool in VARIANTS:
            row = v.get(tool)
            if not row:
                continue
            label = f"{p['project']} ({p.get('check', '-')}; edit: {p.get('change') or 'none'})" if first else ""
            first = False
            note = row.get("error", "")
            if row.get("same_as"):
                note = f"= {row['same_as']}" + (f"; {note}" if note else "")
            if row.get("dropped"):
                note += ("; " if note else "") + "dropped: " + ", ".join(row["dropped"])
            if row.get("smoke_same") is False:
                note += ("; " if note else "") + f"smoke: {row.get('smoke')}"
            if row.get("status") in NO_IMAGE:
                lines.append(f"| {label} | {tool} | {row['status']} | | | | | | {note.replace('|', '/')} |")
                continue
            src = v["original"] if row.get("status") in ("unchanged", "unverified") else row
            lines.append(f"| {label} | {tool} | {_num(src.get('mb'))} | {_num(src.get('layers'))} | "
                         f"{_num(src.get('build_s'))} | {_num(src.get('rebuild_s'))} | "
                         f"{src.get('smoke_same', '-')} | {_num(src.get('lost'))} | {note.replace('|', '/')} |")
    s = summary(projects)
    lines += ["", f"Summary over the {s['originals_built']} of {s['projects']} projects whose original builds "
              "(MB saved: over the projects where the variant gave an image; a tool that changes nothing "
              "saves 0):", "",
              "| tool | version | MB saved, median | total | measured | layers fewer | rebuild s, median (original's) | "
              "builds broken | needs newer builder | crashed | changed nothing | smoke differs | files lost |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    versions = meta.get("versions", {})
    for tool, t in s["tools"].items():
        if not t["installed"]:
            lines.append(f"| {tool} | not installed | | | | | | | | | | | |")
            continue
        version = versions.get(tool) or (f"dockslim {versions['dockslim']}" if tool in DOCKSLIM and "dockslim" in versions
                                         else "-")
        lines.append(f"| {tool} | {version} | {_num(t['median_mb_saved'])} | {_num(t['total_mb_saved'])} | "
                     f"{t['measured']} | {t['layers_fewer']} | {_num(t['rebuild_s_median'])} "
                     f"({_num(t['original_rebuild_s_median'])}) | {t['build failed']} | {t['needs newer builder']} | {t['crashed']} | {t['unchanged']} | "
                     f"{t['smoke differs']} | {t['files lost']} |")
    return "\n".join(lines) + "\n"


# --- the run --------------------------------------------------------------------------------------


def load(path: Path) -> list[dict]:
    """The projects of an earlier run's JSON (``{"projects": [...]}``, or a bare list)."""
    data = json.loads(path.read_text())
    return reclassify(list(data["projects"] if isinstance(data, dict) else data))


def run(listed: Sequence[tuple[str, Path, str]], *, network: str | None, peers_venv: Path | None,
        only: Sequence[str] = (), resume: Path | None = None, cold: bool = False,
        json_out: Path | None = None, markdown_out: Path | None = None) -> int:
    import dockslim

    def say(text: str) -> None:
        print(f"effect: {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    executables = {p.executable: find_executable(p.executable, peers_venv) for p in PEERS}
    versions = {"dockslim": getattr(dockslim, "__version__", "?") + _commit()}
    for p in PEERS:
        exe = executables[p.executable]
        versions[p.name] = f"{p.distribution} {peer_version(p, exe)}" if exe else "not installed"
    meta = {"versions": versions, "cold": cold, "network": network}
    done = load(resume) if resume is not None and resume.is_file() else []
    skip = {p["project"] for p in done if "variants" in p or "error" in p}
    wanted = [x for x in listed if (not only or x[0] in only)]
    unknown = set(only) - {x[0] for x in listed}
    if unknown:
        say(f"--only: no such project: {', '.join(sorted(unknown))}")
        return 2
    results = [p for p in done if not only or p["project"] in only]
    target = json_out or resume
    for name, dockerfile, source in wanted:
        if name in skip:
            say(f"{name}: done in {resume}, skipped")
            continue
        started = time.monotonic()
        row = one(name, dockerfile, network, executables, cold, say)
        row["source"] = source
        row["seconds"] = round(time.monotonic() - started)
        results.append(row)
        say(f"{name}: done in {row['seconds']} s")
        if target is not None:  # after every project: an interrupted run keeps what it did
            target.write_text(json.dumps({"meta": meta, "projects": results, "summary": summary(results)},
                                         indent=2) + "\n")
    order = {x[0]: i for i, x in enumerate(listed)}
    results.sort(key=lambda p: order.get(p["project"], len(order)))
    table = markdown(results, meta)
    print(table)
    if markdown_out is not None:
        markdown_out.write_text(table)
    if target is not None:
        target.write_text(json.dumps({"meta": meta, "projects": results, "summary": summary(results)}, indent=2) + "\n")
    return 0


def render(runs: Sequence[Path], listed: Sequence[tuple[str, Path, str]], *, json_out: Path | None = None,
           markdown_out: Path | None = None, allow_mixed: bool = False) -> int:
    """One table and one JSON from several runs' JSON (each project once: a later file wins). Runs
    of dockslim commits whose ``src/`` differs are merged only with ``allow_mixed``; the merged JSON
    then says per project which commit it ran at (``dockslim``)."""
    metas = [json.loads(path.read_text()).get("meta", {}) for path in runs]
    why = _different_tools(metas)
    if why and allow_mixed and why.startswith("dockslim at "):
        why = None
    if why:
        print(f"effect: --render: the runs used different tools: {why}", file=sys.stderr)
        return 2
    merged = {p["project"]: {**p, "dockslim": meta.get("versions", {}).get("dockslim", "?")}
              for path, meta in zip(runs, metas, strict=True) for p in load(path)}
    order = {x[0]: i for i, x in enumerate(listed)}
    results = sorted(merged.values(), key=lambda p: order.get(p["project"], len(order)))
    table = markdown(results, metas[0])
    print(table)
    if markdown_out is not None:
        markdown_out.write_text(table)
    if json_out is not None:
        json_out.write_text(json.dumps({"meta": metas[0], "projects": results, "summary": summary(results)},
                                       indent=2) + "\n")
    return 0


def _different_tools(metas: Sequence[Mapping]) -> str | None:
    """Why runs cannot share one table: a peer's version differs, or dockslim's commits differ in
    ``src/`` (commits that differ only in the benchmark or docs measure the same dockslim)."""
    versions = [dict(m.get("versions", {})) for m in metas]
    commits = {v.pop("dockslim", "").rpartition("(")[2].rstrip(")") for v in versions}
    if any(v != versions[0] for v in versions):
        return "; ".join(str(v) for v in versions)
    if len(commits) > 1:
        first, *rest = sorted(commits)
        for other in rest:
            same = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", first, other, "--", "src"],
                                  capture_output=True)
            if same.returncode != 0:
                return f"dockslim at {first} and {other}, whose src/ differ"
    return None


def _commit() -> str:
    proc = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    return f" ({proc.stdout.strip()})" if proc.returncode == 0 else ""
