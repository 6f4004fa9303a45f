"""The pure parts of the effect benchmark (bench/effect_run.py): which file the rebuild edits, the
peers' command lines and runs, failed builds, and the table and summary from a run's JSON."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import effect_run  # noqa: E402
from dockslim.measure import copied_files, pick_source_file  # noqa: E402

SAMPLE = Path(__file__).parent / "data" / "effect-sample.json"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


# --- the file the rebuild edits --------------------------------------------------------------------


def test_the_edited_file_is_one_the_dockerfile_copies_not_a_manifest(tmp_path: Path):
    _tree(tmp_path, {"requirements.txt": "flask\n", "setup.py": "", "Cargo.toml": "", "README.md": "x",
                     "tools/build.py": "", "src/app/main.py": "", "src/app/data.json": "{}",
                     "Dockerfile": ""})
    text = "FROM python:3.11\nCOPY requirements.txt setup.py ./\nRUN pip install -r requirements.txt\nCOPY src/ /app/\n"
    copied = copied_files(text, tmp_path, str(tmp_path / "Dockerfile"))
    assert copied == {"requirements.txt", "setup.py", "src/app/main.py", "src/app/data.json"}
    # tools/build.py is shallower but not copied: editing it would rebuild nothing.
    assert pick_source_file(tmp_path, copied) == "src/app/main.py"
    assert pick_source_file(tmp_path) == "tools/build.py"


def test_only_manifests_copied_gives_no_file_to_edit(tmp_path: Path):
    _tree(tmp_path, {"requirements.txt": "", "pyproject.toml": "", "Pipfile.lock": "", "package-lock.json": "",
                     "go.sum": "", "Gemfile.lock": "", "requirements-dev.txt": "", "app.py": ""})
    text = "FROM python:3.11\nCOPY requirements*.txt pyproject.toml Pipfile.lock package-lock.json go.sum Gemfile.lock ./\n"
    copied = copied_files(text, tmp_path)
    assert copied is not None and "app.py" not in copied
    assert pick_source_file(tmp_path, copied) is None


def test_dockerignore_and_other_stages_are_honoured(tmp_path: Path):
    _tree(tmp_path, {".dockerignore": "legacy/\n", "legacy/old.py": "", "app.py": ""})
    text = "FROM python:3.11 AS build\nCOPY --from=build /x /x\nCOPY . /app\n"
    copied = copied_files(text, tmp_path)
    assert copied is not None and "legacy/old.py" not in copied and "app.py" in copied


def test_a_variable_source_means_any_file_may_be_copied(tmp_path: Path):
    _tree(tmp_path, {"app.py": ""})
    assert copied_files("FROM python:3.11\nARG SRC=.\nCOPY $SRC /app\n", tmp_path) is None
    assert pick_source_file(tmp_path, None) == "app.py"


# --- the peers -----------------------------------------------------------------------------------


def _peer(name: str) -> effect_run.Peer:
    return next(p for p in effect_run.PEERS if p.name == name)


def test_peer_command_lines(tmp_path: Path):
    df, ctx = tmp_path / "w" / "Dockerfile", tmp_path / "ctx"
    assert effect_run.peer_argv(_peer("tally"), "/v/bin/tally", df, ctx) == [
        "/v/bin/tally", "lint", "--fix", "--fail-level", "none", "--no-config", "--slow-checks", "off",
        "--context", str(ctx), str(df)]
    assert "--fix-unsafe" in effect_run.peer_argv(_peer("tally-unsafe"), "tally", df, ctx)
    assert effect_run.peer_argv(_peer("doctor"), "dd", df, ctx) == ["dd", "--fix", "--no-color", str(df)]
    assert effect_run.peer_argv(_peer("doctor-unsafe"), "dd", df, ctx) == [
        "dd", "--fix", "--unsafe-fixes", "--no-color", str(df)]
    assert [p.name for p in effect_run.PEERS] == ["tally", "tally-unsafe", "doctor", "doctor-unsafe"]


def test_find_executable_in_a_peers_venv(tmp_path: Path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tally").write_text("")
    assert effect_run.find_executable("tally", tmp_path) == str(tmp_path / "bin" / "tally")
    assert effect_run.find_executable("dockerfile-doctor", tmp_path) is None


@pytest.mark.parametrize("peer, code, rewritten, output, expected", [
    ("tally", None, "FROM a\n", "", {"status": "crashed", "error": "did not finish within 120s"}),
    ("tally", 2, "FROM a\n", "Error: dockerfile is not a Dockerfile\n",
     {"status": "crashed", "error": "exit 2: Error: dockerfile is not a Dockerfile"}),
    ("doctor", 0, "FROM a\n", "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n",
     {"status": "crashed", "error": "exit 0: KeyError: 'x'"}),
    ("doctor", 1, "FROM a\n", "  Found 3 issues\n", {"status": "unchanged", "same_as": "original"}),
    ("tally", 1, "FROM a\n", "", {"status": "crashed", "error": "exit 1: no output"}),
    ("doctor", 1, None, "", {"status": "crashed", "error": "the Dockerfile is gone"}),
    ("doctor", 1, "FROM a\nUSER nobody\n", "2 fixes applied", {"status": "rewritten", "text": "FROM a\nUSER nobody\n"}),
])
def test_reading_a_peers_run(peer, code, rewritten, output, expected):
    assert effect_run.read_peer_run(_peer(peer), "FROM a\n", code, rewritten, output) == expected


def test_a_peer_runs_on_a_copy_named_dockerfile(tmp_path: Path):
    project = _tree(tmp_path / "project", {"dockerfile": "FROM a\n", "app.py": ""})
    fake = tmp_path / "fake-peer"
    # Like the peers: rewrite the file named last in place; write a stray file beside it.
    fake.write_text('#!/bin/sh\nfor f; do :; done\ncase "$f" in */Dockerfile) ;; *) exit 2;; esac\n'
                    'echo "USER nobody" >> "$f"; touch "$(dirname "$f")/report.txt"; echo changed "$f"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    peer = effect_run.Peer("fake", "fake", "fake", ("--fix", "{dockerfile}"))
    entry = effect_run.run_peer(peer, str(fake), "FROM a\n", project)
    assert entry == {"status": "rewritten", "text": "FROM a\nUSER nobody\n", "also_wrote": ["report.txt"]}
    assert (project / "dockerfile").read_text() == "FROM a\n"
    assert sorted(p.name for p in project.iterdir()) == ["app.py", "dockerfile"]


def test_a_peer_that_cannot_start_is_a_crash(tmp_path: Path):
    peer = effect_run.Peer("fake", "fake", "fake", ("{dockerfile}",))
    entry = effect_run.run_peer(peer, str(tmp_path / "missing"), "FROM a\n", _tree(tmp_path / "p", {"a": ""}))
    assert entry["status"] == "crashed" and "No such file" in entry["error"]


def test_failed_builds_keep_the_last_line_and_tell_buildkit_apart():
    failed = effect_run._failed_build("`docker build` failed:\n    Step 3/5 : RUN apt-get install foo\n"
                                      "    E: Unable to locate package foo\n")
    assert failed["status"] == "build failed" and failed["error"] == "E: Unable to locate package foo"
    assert failed["log"][-1] == "E: Unable to locate package foo"
    engine = effect_run._failed_build("needs BuildKit (line 2: RUN --mount) and this Docker CLI has no buildx")
    assert engine == {"status": "needs newer builder",
                      "error": "needs BuildKit (line 2: RUN --mount) and this Docker CLI has no buildx"}


HEREDOC = "FROM debian:bookworm\nCOPY <<EOF /etc/x\n--retry-connrefused\nEOF\n"
REFUSED = ("`docker build` failed:\n    failed to solve with frontend dockerfile.v0: failed to create LLB "
           "definition: dockerfile parse error line 3: unknown instruction: --RETRY-CONNREFUSED")


def test_a_heredoc_the_engines_old_frontend_cannot_read_is_not_a_broken_rewrite():
    row = effect_run._failed_build(REFUSED, HEREDOC)
    assert row["status"] == "needs newer builder"
    assert row["error"].startswith("line 2: a heredoc: needs the Dockerfile 1.4 frontend")
    # the same refusal on a file without a heredoc is a broken build; so is any failure of a heredoc file
    # past the frontend
    assert effect_run._failed_build(REFUSED, "FROM debian:bookworm\nRUN true\n")["status"] == "build failed"
    assert effect_run._failed_build("E: Unable to locate package foo", HEREDOC)["status"] == "build failed"
    # a heredoc after an instruction BuildKit also needs (tally's rewrite of a public project)
    mounted = ("FROM debian:bookworm\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n"
               "RUN <<EOF\nset -e\nmake\nEOF\n")
    assert effect_run._failed_build(REFUSED, mounted)["error"].startswith("line 3: a heredoc")


def test_rows_of_an_earlier_run_are_reclassified_and_runs_merge(tmp_path: Path, capsys):
    failed = effect_run._failed_build(REFUSED)  # as a run before the heredoc rule wrote it
    assert failed["status"] == "build failed"
    projects, meta = _sample()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    projects[0]["variants"]["tally-unsafe"] = {**failed, "text": HEREDOC}
    first.write_text(json.dumps({"meta": meta, "projects": projects[:1]}))
    second.write_text(json.dumps({"meta": meta, "projects": projects[1:]}))
    listed = [(name, tmp_path / name / "Dockerfile", "") for name in ("gamma", "beta", "alpha")]
    out = tmp_path / "all.json"
    assert effect_run.render([first, second], listed, json_out=out) == 0
    merged = json.loads(out.read_text())
    assert [p["project"] for p in merged["projects"]] == ["gamma", "beta", "alpha"]
    assert merged["projects"][2]["variants"]["tally-unsafe"]["status"] == "needs newer builder"
    assert "| alpha | 300.0 |" in capsys.readouterr().out
    other = tmp_path / "c.json"
    other.write_text(json.dumps({"meta": {**meta, "versions": {"tally": "tally-cli 0.46.0"}}, "projects": []}))
    assert effect_run.render([first, other], listed) == 2


def test_runs_of_one_dockslim_share_a_table_whatever_the_benchmarks_commit(monkeypatch):
    seen = []

    def git(argv, **_):
        seen.append(argv[-4:])
        return subprocess.CompletedProcess(argv, 0 if argv[-3] == "bbb" else 1)
    monkeypatch.setattr(effect_run.subprocess, "run", git)
    tally = {"tally": "tally-cli 0.45.0"}
    assert effect_run._different_tools([{"versions": {**tally, "dockslim": "0.1.0 (aaa)"}},
                                        {"versions": {**tally, "dockslim": "0.1.0 (bbb)"}}]) is None
    assert seen == [["aaa", "bbb", "--", "src"]]
    assert effect_run._different_tools([{"versions": {**tally, "dockslim": "0.1.0 (aaa)"}},
                                        {"versions": {**tally, "dockslim": "0.1.0 (ccc)"}}]) \
        == "dockslim at aaa and ccc, whose src/ differ"
    assert effect_run._different_tools([{"versions": tally}, {"versions": {"tally": "tally-cli 0.46.0"}}])


def test_runs_of_another_dockslim_merge_only_when_allowed_and_say_which(tmp_path, monkeypatch):
    monkeypatch.setattr(effect_run.subprocess, "run", lambda argv, **_: subprocess.CompletedProcess(argv, 1))
    projects, meta = _sample()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"meta": {"versions": {**meta["versions"], "dockslim": "0.1.0 (aaa)"}},
                               "projects": projects}))
    new.write_text(json.dumps({"meta": {"versions": {**meta["versions"], "dockslim": "0.1.0 (bbb)"}},
                               "projects": projects[:1]}))
    listed = [(name, tmp_path / name / "Dockerfile", "") for name in ("alpha", "beta", "gamma")]
    assert effect_run.render([old, new], listed) == 2
    out = tmp_path / "all.json"
    assert effect_run.render([old, new], listed, json_out=out, allow_mixed=True) == 0
    ran = {p["project"]: p["dockslim"] for p in json.loads(out.read_text())["projects"]}
    assert ran == {"alpha": "0.1.0 (bbb)", "beta": "0.1.0 (aaa)", "gamma": "0.1.0 (aaa)"}


# --- the table and the summary --------------------------------------------------------------------


def _sample() -> tuple[list[dict], dict]:
    data = json.loads(SAMPLE.read_text())
    return data["projects"], data["meta"]


def test_summary_from_a_run():
    s = effect_run.summary(_sample()[0])
    assert (s["projects"], s["originals_built"]) == (3, 2)
    t = s["tools"]
    assert (t["safe"]["median_mb_saved"], t["safe"]["total_mb_saved"], t["safe"]["measured"]) == (25.0, 50.0, 2)
    assert (t["verified"]["median_mb_saved"], t["verified"]["total_mb_saved"]) == (55.0, 110.0)
    assert t["verified"]["files lost"] == 1
    assert (t["safe"]["layers_fewer"], t["safe"]["rebuild_s_median"], t["safe"]["original_rebuild_s_median"]) \
        == (1, 5.0, 20.0)
    assert t["tally-unsafe"]["rebuild_s_median"] is None
    # tally changed nothing on alpha (0 MB saved) and crashed on beta.
    assert (t["tally"]["median_mb_saved"], t["tally"]["measured"], t["tally"]["unchanged"], t["tally"]["crashed"]) \
        == (0.0, 1, 1, 1)
    assert (t["tally-unsafe"]["needs newer builder"], t["tally-unsafe"]["crashed"], t["tally-unsafe"]["measured"]) == (1, 1, 0)
    assert t["tally-unsafe"]["median_mb_saved"] is None
    assert (t["doctor"]["build failed"], t["doctor"]["total_mb_saved"]) == (1, 10.0)
    assert (t["doctor-unsafe"]["smoke differs"], t["doctor-unsafe"]["files lost"], t["doctor-unsafe"]["measured"]) == (1, 1, 1)


def test_markdown_from_a_run():
    projects, meta = _sample()
    table = effect_run.markdown(projects, meta)
    assert "| alpha | 300.0 | 250.0 | 250.0 (= safe) | = original | needs newer builder | 290.0 | 200.0 |" in table
    assert "| beta | 100.0 | 100.0 (= original) | 40.0 | crashed | crashed | **build fails** | - |" in table
    assert "| gamma | original fails: fatal error: Python.h: No such file or directory |" in table
    assert "| alpha (default-command; edit: app.py) | original | 300.0 | 9 | 60.0 | 20.0 | True | 0 |" in table
    assert "|  | tally | 300.0 | 9 | 60.0 | 20.0 | True | 0 | = original |" in table
    assert "|  | doctor-unsafe | 200.0 | 7 | 40.0 | 4.0 | False | 12 | smoke: exited 1 |" in table
    assert "|  | verified | 250.0 | 8 | 30.0 | 5.0 | True | 0 | = safe; dropped: alpine-base |" in table
    assert "|  | doctor | build failed | | | | | | E: Unable to locate package foo |" in table
    # alpha's safe variant has one layer fewer and rebuilds in 5.0 s against the original's 20.0
    assert "| safe | - | 25.0 | 50.0 | 2 | 1 | 5.0 (20.0) | 0 | 0 | 0 | 0 | 0 | 0 |" in table
    # tally changed nothing on alpha: the original's own figures
    assert "| tally | tally-cli 0.45.0 | 0.0 | 0.0 | 1 | 0 | 20.0 (20.0) | 0 | 0 | 1 | 1 | 0 | 0 |" in table
    assert "| doctor-unsafe | - | 100.0 | 100.0 | 1 | 2 | 4.0 (20.0) |" in table
    assert "the original with `--no-cache` (cold" in table


def test_resume_keeps_the_projects_done_and_runs_nothing(tmp_path: Path, monkeypatch, capsys):
    out = tmp_path / "out.json"
    out.write_text(SAMPLE.read_text())
    def one(name, *_args, **_kwargs):
        pytest.fail(f"{name}, done, was run again")
    monkeypatch.setattr(effect_run, "one", one)
    listed = [(name, tmp_path / name / "Dockerfile", "") for name in ("alpha", "beta", "gamma")]
    assert effect_run.run(listed, network=None, peers_venv=tmp_path / "no-venv", resume=out) == 0
    data = json.loads(out.read_text())
    assert [p["project"] for p in data["projects"]] == ["alpha", "beta", "gamma"]
    assert data["summary"]["tools"]["safe"]["total_mb_saved"] == 50.0
    assert "| alpha | 300.0 |" in capsys.readouterr().out


def test_only_names_a_project_that_is_not_listed(tmp_path: Path):
    listed = [("alpha", tmp_path / "alpha" / "Dockerfile", "")]
    assert effect_run.run(listed, network=None, peers_venv=tmp_path, only=["nope"]) == 2
