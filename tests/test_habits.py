"""Issue #18, "fit users' habits": what ruff, black and hadolint users expect of the command line.
Each test names the item of the issue it covers; docs/reference/behaviour.md states the decisions."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.fixer import fix_text
from dockslim.io import DOCKERFILE_PATTERN, discover, is_dockerfile_name
from dockslim.passes import Context, Edit, Finding, Fix, Pass, Safety

ROOT = Path(__file__).resolve().parent.parent
OLD = "FROM python:3-alpine\nMAINTAINER me\n"
NEW = 'FROM python:3-alpine\nLABEL maintainer="me"\n'
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with two services: web (a .dockerignore) and api (none: reorder-for-cache
    offers one when its COPY . comes before the install)."""
    if GIT is None:
        pytest.skip("git is not installed")
    write(tmp_path, {
        "svc/web/Dockerfile": OLD,
        "svc/web/.dockerignore": ".git\n",
        "svc/api/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\n",
        "svc/api/requirements.txt": "flask\n",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# 1. Diff paths: relative to the current folder, the same for every file, `git apply` takes them.

@needs_git
@pytest.mark.parametrize("where", [".", "svc"])
def test_fix_diff_applies_with_git_apply_from_root_and_subfolder(repo, where, capsys, monkeypatch):
    monkeypatch.chdir(repo / where)
    code, out, _ = run(["fix", "."], capsys)
    assert code == 1
    headers = [line for line in out.splitlines() if line.startswith(("--- ", "+++ "))]
    api = "svc/api/" if where == "." else "api/"
    assert f"+++ b/{api}.dockerignore" in headers  # the offered new file, same convention
    assert f"--- a/{api}Dockerfile" in headers and f"+++ b/{api}Dockerfile" in headers
    assert not any("/./" in h or h.endswith(("a/.", "b/.")) or "a/./" in h for h in headers), headers
    applied = subprocess.run(["git", "apply"], input=out, text=True, capture_output=True, cwd=repo / where)
    assert applied.returncode == 0, applied.stderr
    assert (repo / "svc/web/Dockerfile").read_text() == NEW
    assert (repo / "svc/api/.dockerignore").exists()
    assert run(["fix", "."], capsys)[0] == 0  # nothing left: the applied diff was the whole fix


@needs_git
def test_absolute_path_under_cwd_is_shown_relative_and_outside_keeps_dotdot(repo, capsys, monkeypatch):
    code, out, err = run(["check", repo / "svc" / "web" / "Dockerfile"], capsys)
    assert out.startswith("svc/web/Dockerfile:2:1: maintainer-to-label")
    code, out, _ = run(["check", "./svc"], capsys)
    assert not any(line.startswith("./") for line in out.splitlines()) and "svc/web/Dockerfile:2:1" in out
    monkeypatch.chdir(repo / "svc" / "api")
    code, out, _ = run(["fix", "../web/Dockerfile"], capsys)
    assert "--- a/../web/Dockerfile" in out  # git apply refuses it: documented


# 2. Discovery: one pattern (the pre-commit hooks' too), .gitignore honoured, templates skipped.

def test_the_pre_commit_hooks_use_the_one_dockerfile_pattern():
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"dockslim", "dockslim-fix", "dockslim-check"}
    assert all(h["files"] == DOCKERFILE_PATTERN for h in hooks)


@pytest.mark.parametrize("name,found", [
    ("Dockerfile", True), ("svc/Dockerfile", True), ("Dockerfile.dev", True), ("Dockerfile-dev", True),
    ("Dockerfile_prod", True), ("api.Dockerfile", True), ("api.dockerfile", True), ("Containerfile", True),
    ("x.containerfile", True), ("dockerfile", True),
    ("Dockerfile.dockerignore", False), ("svc/Dockerfile.dockerignore", False), ("Dockerfile.j2", False),
    ("Dockerfile.jinja2", False), ("Dockerfile.template", False), ("Dockerfile.orig", False),
    ("Dockerfile~", False), ("Dockerfile.py/x.txt", False), ("README.md", False), ("Dockerfiles/x", False),
    ("mydockerfile", False),
])
def test_dockerfile_names_as_pre_commit_matches_them(name, found):
    assert is_dockerfile_name(name) is found
    assert (re.search(DOCKERFILE_PATTERN, name) is not None) is found  # pre-commit's re.search


def test_discovery_searches_build_dist_vendor_and_skips_ignore_files_and_templates(tmp_path):
    write(tmp_path, {r: OLD for r in ["build/Dockerfile", "dist/Dockerfile", "vendor/x/Dockerfile",
                                      "Dockerfile.dockerignore", "Dockerfile.j2", "Dockerfile-dev",
                                      "node_modules/x/Dockerfile", "a/Dockerfile_prod"]})
    found = [os.path.relpath(p, tmp_path) for p in discover([str(tmp_path)], use_git=False)]
    assert sorted(found) == ["Dockerfile-dev", "a/Dockerfile_prod", "build/Dockerfile", "dist/Dockerfile",
                             "vendor/x/Dockerfile"]


@needs_git
def test_discovery_honours_gitignore_in_a_git_repository(repo):
    write(repo, {".gitignore": "generated/\n*.tmp.Dockerfile\n", "generated/Dockerfile": OLD,
                 "svc/x.tmp.Dockerfile": OLD, "svc/new/Dockerfile": OLD})  # new: untracked, not ignored
    found = discover(["."])
    assert found == ["svc/api/Dockerfile", "svc/new/Dockerfile", "svc/web/Dockerfile"]
    found_sub = discover(["svc"])
    assert found_sub == ["svc/api/Dockerfile", "svc/new/Dockerfile", "svc/web/Dockerfile"]
    assert discover(["generated/Dockerfile"]) == ["generated/Dockerfile"]  # named: always read
    assert discover(["generated"]) == ["generated/Dockerfile"]  # a named folder git ignores as a whole


def test_discovery_exclude_and_extend_exclude(tmp_path, capsys):
    write(tmp_path, {r: OLD for r in ["a/Dockerfile", "legacy/Dockerfile", "docs/examples/Dockerfile",
                                      "node_modules/Dockerfile"]})
    rel = lambda files: sorted(os.path.relpath(p, tmp_path) for p in files)  # noqa: E731
    assert rel(discover([str(tmp_path)], extend_exclude=("legacy*", "docs/examples"), use_git=False)) == \
        ["a/Dockerfile"]
    assert rel(discover([str(tmp_path)], exclude=("a",), use_git=False)) == \
        ["docs/examples/Dockerfile", "legacy/Dockerfile", "node_modules/Dockerfile"]
    code, out, _ = run(["check", "--extend-exclude", "legacy,docs", tmp_path], capsys)
    assert "legacy" not in out and "a/Dockerfile" in out


def test_the_same_file_twice_is_read_once(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text(OLD)
    code, out, _ = run(["fix", "Dockerfile", "Dockerfile", "./Dockerfile", tmp_path / "Dockerfile"], capsys)
    assert code == 1 and out.count("+++ b/Dockerfile") == 1


# 3. A suppressed pass's effect is not achieved by another pass.

UPDATE_THEN_INSTALL = "FROM debian:12\n{comment}RUN apt-get update\nRUN apt-get install -y curl\n"


@pytest.mark.parametrize("comment", ["# dockslim: ignore[merge-runs]\n", "# hadolint ignore=DL3059\n"])
def test_a_merge_runs_suppression_keeps_the_run_whichever_pass_would_delete_it(tmp_path, capsys, comment):
    path = tmp_path / "Dockerfile"
    path.write_text(UPDATE_THEN_INSTALL.format(comment=comment))
    assert run(["fix", "--write", "--isolated", path], capsys)[0] == 0
    text = path.read_text()
    assert text.count("RUN ") == 2, text  # still two RUNs: not folded by cache-cleanup
    assert comment + "RUN apt-get update" in text
    # without the suppression, cache-cleanup folds the update-only RUN (the effect now suppressed)
    path.write_text(UPDATE_THEN_INSTALL.format(comment=""))
    run(["fix", "--write", "--isolated", path], capsys)
    assert path.read_text().count("RUN ") == 1


def test_file_wide_merge_runs_suppression_keeps_every_run(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("# dockslim: ignore-file[merge-runs]\n" + UPDATE_THEN_INSTALL.format(comment=""))
    run(["fix", "--write", "--isolated", path], capsys)
    assert path.read_text().count("RUN ") == 2


# 4. Every message of a later fixer round points at the file on disk.

class _Grow(Pass):
    """Round 1: turns `RUN grow` into three lines."""

    id = "grow"
    summary = "test"

    def check(self, ctx: Context):
        i = ctx.dockerfile.source.find("RUN grow\n")
        if i != -1:
            yield Finding(self.id, "grow", i, i + 8, Fix((Edit(i, i + 8, "RUN a\nRUN b\nRUN c"),), Safety.SAFE))


class _Late(Pass):
    """Edits `RUN late` but claims the whole file, so it waits for round 2 when `grow` applies."""

    id = "late"
    summary = "test"

    def check(self, ctx: Context):
        text = ctx.dockerfile.source
        i = text.find("RUN late")
        if i != -1:
            yield Finding(self.id, "late", i, i + 8,
                          Fix((Edit(i, i + 8, "RUN done"),), Safety.SAFE, claims=((0, len(text)),)))


def test_later_rounds_report_lines_of_the_file_on_disk():
    result = fix_text("FROM x\nRUN grow\nRUN keep\nRUN late\n", [_Grow(), _Late()])
    assert result.text == "FROM x\nRUN a\nRUN b\nRUN c\nRUN keep\nRUN done\n"
    where = {a.finding.pass_id: (a.round, a.line) for a in result.applied}
    assert where == {"grow": (0, 2), "late": (1, 4)}  # line 6 of the intermediate text, 4 on disk


def test_a_later_round_inside_an_earlier_edit_maps_to_where_that_edit_starts():
    class _Touch(_Late):
        id = "touch"

        def check(self, ctx: Context):
            text = ctx.dockerfile.source
            i = text.find("RUN c")
            if i != -1:
                yield Finding(self.id, "touch", i, i + 5,
                              Fix((Edit(i, i + 5, "RUN C"),), Safety.SAFE, claims=((0, len(text)),)))

    result = fix_text("FROM x\nRUN keep\nRUN grow\n", [_Grow(), _Touch()])
    assert [(a.finding.pass_id, a.line) for a in result.applied] == [("grow", 3), ("touch", 3)]


def test_cli_applied_lines_have_no_round_and_json_lines_are_on_disk(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    code, _, err = run(["fix", "--isolated", "--select", "cache-cleanup", path], capsys)
    assert "(round" not in err and re.search(r"Dockerfile:3: fixed cache-cleanup", err), err
    code, out, _ = run(["fix", "--isolated", "--format", "json", path], capsys)
    applied = json.loads(out)["files"][0]["result"]["applied"]
    lines = path.read_text().count("\n")
    assert applied and all(1 <= a["line"] <= lines for a in applied)


# 5. Bad values are errors (exit 2), not silently something else.

@pytest.mark.parametrize("argv,message", [
    (["--cache-style", "foo"], "'foo' is not one of cleanup, mount"),
    (["--context", "/nonexistent-dockslim"], "no such folder"),
    (["--select", ""], "empty list of pass ids"),
    (["--select", " , "], "empty list of pass ids"),
    (["--color", "sometimes"], "'sometimes' is not one of auto, always, never"),
])
def test_bad_values_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "Dockerfile").write_text(OLD)
    code, _, err = run(["check", *argv, tmp_path / "Dockerfile"], capsys)
    assert code == 2 and message in err, err


def test_context_that_is_a_file_and_diff_with_write(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(OLD)
    code, _, err = run(["fix", "--context", tmp_path / "Dockerfile", tmp_path / "Dockerfile"], capsys)
    assert code == 2 and "is not a folder" in err
    code, _, err = run(["fix", "--diff", "--write", tmp_path / "Dockerfile"], capsys)
    assert code == 2 and "choose one" in err and (tmp_path / "Dockerfile").read_text() == OLD


def test_diff_of_stdin_is_a_diff_and_plain_stdin_is_the_text(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(OLD.encode())))
    code, out, _ = run(["fix", "--isolated", "--diff", "--stdin-filename", "svc/Dockerfile", "-"], capsys)
    assert code == 1 and out.startswith("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(OLD.encode())))
    code, out, _ = run(["fix", "--isolated", "-"], capsys)
    assert (code, out) == (0, NEW)


def test_unknown_and_unused_suppressions_warn(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\n# dockslim: ignore[merge-run]\nRUN a\n# dockslim: ignore[add-to-copy]\nRUN b\n"
                    "# hadolint ignore=DL3008\nRUN c\n")
    code, out, err = run(["check", "--isolated", path], capsys)
    assert "Dockerfile:2:1: warning: unknown pass id 'merge-run' in a suppression comment (did you mean " \
           "'merge-runs'?)" in err
    assert "Dockerfile:4:1: warning: unused suppression: no finding of add-to-copy" in err
    assert "hadolint" not in err  # hadolint's comments are hadolint's
    code, out, err = run(["fix", "--isolated", path], capsys)
    assert "unknown pass id 'merge-run'" in err


def test_non_utf8_config_and_config_folder_are_clear_errors(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(OLD)
    (tmp_path / ".dockslim.toml").write_bytes(b'# caf\xe9\nselect = ["merge-runs"]\n')
    code, _, err = run(["check", tmp_path / "Dockerfile"], capsys)
    assert code == 2 and "not valid UTF-8 (byte 0xe9)" in err and "internal error" not in err
    code, _, err = run(["check", "--config", tmp_path, tmp_path / "Dockerfile"], capsys)
    assert code == 2 and "is a folder" in err


# 6. --write keeps the file: hard links, owner.

def test_write_keeps_hard_links_and_inode(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text(OLD)
    link = tmp_path / "linked.Dockerfile"
    os.link(path, link)
    inode = os.stat(path).st_ino
    assert run(["fix", "--write", "--isolated", "--select", "maintainer-to-label", path], capsys)[0] == 0
    assert os.stat(path).st_ino == inode and link.read_text() == NEW
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dockslim-")] == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_write_keeps_the_owner_when_run_as_root(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text(OLD)
    os.chown(path, 1001, 1001)
    assert run(["fix", "--write", "--isolated", "--select", "maintainer-to-label", path], capsys)[0] == 0
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (1001, 1001) and path.read_text() == NEW


# 7. Colour.

@pytest.mark.parametrize("env,argv,coloured", [
    ({"FORCE_COLOR": "1"}, [], True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], True),
    ({}, [], False),  # not a terminal
    ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),
    ({}, ["--color", "always"], True),
])
def test_colour_follows_flag_then_environment(tmp_path, capsys, monkeypatch, env, argv, coloured):
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "Dockerfile").write_text(OLD)
    code, out, _ = run(["check", "--isolated", *argv, tmp_path / "Dockerfile"], capsys)
    assert ("\033[" in out) is coloured


def test_no_colour_on_a_terminal_with_no_color_or_dumb_term(monkeypatch):
    from dockslim import term

    class Tty(io.StringIO):
        def isatty(self):
            return True

    term.set_colour("auto")
    for name in ("FORCE_COLOR", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert term.use_colour(Tty())
    monkeypatch.setenv("TERM", "dumb")
    assert not term.use_colour(Tty())
    monkeypatch.delenv("TERM")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not term.use_colour(Tty())


# 8. pre-commit: dockslim-fix then dockslim-check goes green with an unsafe-only finding left.

def test_pre_commit_fix_then_check_goes_green_with_an_unsafe_only_finding(tmp_path, capsys, monkeypatch):
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dockerignore").write_text(".git\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")

    def hook(hook_id):
        entry = hooks[hook_id]["entry"].split()
        assert entry[0] == "dockslim"
        return run([*entry[1:], "Dockerfile"], capsys)

    code, out, _ = hook("dockslim")
    assert code == 1 and "--no-install-recommends" in out and "[unsafe fix]" in out  # DL3015, unsafe only
    assert hook("dockslim-fix")[0] == 0
    code, out, _ = hook("dockslim-check")
    assert code == 0 and "--no-install-recommends" in out  # still shown, not failing
    # a finding fix would change still fails it
    (tmp_path / "Dockerfile").write_text(OLD)
    assert hook("dockslim-check")[0] == 1


def test_exit_zero(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(OLD)
    assert run(["check", "--exit-zero", tmp_path / "Dockerfile"], capsys)[0] == 0
    assert run(["check", "--fail-on", "none", tmp_path / "Dockerfile"], capsys)[0] == 0
    code, out, _ = run(["fix", "--exit-zero", tmp_path / "Dockerfile"], capsys)
    assert code == 0 and "+++ b/" in out


# 9. What ruff and hadolint users reach for.

def test_statistics(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text("FROM a\nMAINTAINER me\nADD x /x\nADD y /y\n")
    (tmp_path / "x").write_text("")
    (tmp_path / "y").write_text("")
    code, out, _ = run(["check", "--isolated", "--statistics", tmp_path / "Dockerfile"], capsys)
    rows = [line.split() for line in out.splitlines()]
    assert code == 1 and rows[0][:3] == ["2", "add-to-copy", "[*]"] and rows[1][:3] == ["1", "maintainer-to-label", "[*]"]


def test_stdin_filename_names_the_sarif_uri(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(OLD.encode())))
    code, out, _ = run(["check", "--isolated", "--output-format", "sarif", "--stdin-filename", "svc/Dockerfile",
                        "-"], capsys)
    loc = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == "svc/Dockerfile"


def test_short_help_and_version(capsys):
    code, out, _ = run(["-V"], capsys)
    assert code == 0 and out.startswith("dockslim ")
    code, out, _ = run(["check", "-h"], capsys)
    assert code == 0 and "--fail-on" in out and "\\[" not in out


def test_hadolint_codes_and_all_in_select_and_explain(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text("FROM a\nMAINTAINER me\nRUN a\nRUN b\n")
    code, out, _ = run(["check", "--isolated", "--select", "DL3059", tmp_path / "Dockerfile"], capsys)
    assert "merge-runs" in out and "maintainer-to-label" not in out
    code, out, _ = run(["check", "--isolated", "--select", "ALL", "--ignore", "DL4000", tmp_path / "Dockerfile"],
                       capsys)
    assert "merge-runs" in out and "maintainer-to-label" not in out
    code, out, _ = run(["explain", "DL3059"], capsys)
    assert code == 0 and out.startswith("# merge-runs (safe)")
    code, _, err = run(["check", "--select", "DL9999", tmp_path / "Dockerfile"], capsys)
    assert code == 2 and "no pass fixes hadolint rule DL9999" in err


def test_rules_as_json(capsys):
    from dockslim.passes import REGISTRY

    code, out, _ = run(["rules", "--format", "json"], capsys)
    rules = json.loads(out)
    assert [r["id"] for r in rules] == [p.id for p in REGISTRY]
    assert {"id", "safety", "hadolint", "summary"} <= set(rules[0])


# GH_TOKEN: tests/github/test_review_flow.py::test_gh_token_is_used_when_github_token_is_not_set


# 10. Noise and wording.

def test_notes_only_when_asked(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN a\nRUN --mount=type=cache,target=/c b\n")
    code, out, err = run(["check", "--isolated", path], capsys)
    assert "note:" not in out and code == 0
    code, out, err = run(["check", "--isolated", "--show-notes", path], capsys)
    assert "merge-runs note:" in out and code == 0  # a note never fails
    code, out, _ = run(["check", "--isolated", "--format", "github", path], capsys)
    assert "::notice" not in out
    code, out, _ = run(["check", "--isolated", "--format", "github", "--show-notes", path], capsys)
    assert "::notice" in out


def test_a_saving_is_said_once(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3\nRUN pip install flask\n")
    code, out, _ = run(["check", "--isolated", "--select", "cache-cleanup", path], capsys)
    line = next(x for x in out.splitlines() if "--no-cache-dir" in x)
    assert line.count("10-200 MB") == 1, line


def test_review_body_grammar():
    from dockslim.github.review import _body

    assert "1 change that makes the image" in _body(0, 1, [])
    assert "2 changes that make the image" in _body(0, 2, [])


def test_no_progress_bar_for_one_file(monkeypatch):
    from dockslim import batch, commands

    shown = []
    monkeypatch.setattr(batch._Progress, "step", lambda _self: shown.append(1))
    assert commands._progress(["Dockerfile"]) is False
    list(batch.run_ordered(len, ["ab"], jobs=1, progress=commands._progress(["Dockerfile"])))
    assert shown == []


@pytest.mark.parametrize("data,what", [("FROM a\n".encode("utf-16"), "UTF-16"),
                                       ("FROM a\n".encode("utf-16-le"), "UTF-16"),
                                       ("FROM a\n".encode("utf-32"), "UTF-32")])
def test_utf16_is_reported_as_utf16(tmp_path, capsys, data, what):
    (tmp_path / "Dockerfile").write_bytes(data)
    code, _, err = run(["check", tmp_path / "Dockerfile"], capsys)
    assert code == 2 and what in err and "binary" not in err


# 11. Docs that agree with behaviour.

def test_unsafe_pass_pages_say_unsafe_fixes_is_needed():
    from dockslim.passes import REGISTRY

    for cls in REGISTRY:
        page = (ROOT / "docs" / "passes" / f"{cls.id}.md").read_text(encoding="utf-8")
        run_alone = next(line for line in page.splitlines() if "Run it alone" in line)
        assert ("--unsafe-fixes" in run_alone) is (cls.safety is Safety.UNSAFE), cls.id


def test_the_hooks_file_and_tutorial_link_the_pre_commit_how_to():
    assert "docs/how-to/pre-commit.md" in (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "how-to/pre-commit.md" in (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "how-to" / "pre-commit.md").exists()


def test_configuration_page_describes_the_third_of_four_runs(tmp_path, capsys):
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert "merges the first two and leaves\nthe third and the fourth" in page
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN echo 1\nRUN echo 2\n# hadolint ignore=DL3059\nRUN echo 3\nRUN echo 4\n")
    run(["fix", "--write", "--isolated", "--select", "merge-runs", path], capsys)
    assert path.read_text() == "FROM a\nRUN echo 1 \\\n    && echo 2\n# hadolint ignore=DL3059\nRUN echo 3\nRUN echo 4\n"


@needs_git
def test_github_review_outside_a_repository_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = run(["github", "review", "--base", "main", "--dry-run", "--root", tmp_path], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a git repository" in err, err


def test_stdin_with_context_does_not_claim_a_dockerignore(tmp_path, monkeypatch, capsys):
    (tmp_path / "requirements.txt").write_text("flask\n")
    text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, err = run(["fix", "--isolated", "--context", tmp_path, "-"], capsys)
    assert not (tmp_path / ".dockerignore").exists()
    assert "not created (the input is stdin): .dockerignore" in err
    assert not re.search(r"fixed reorder-for-cache: .*\.dockerignore", err), err
