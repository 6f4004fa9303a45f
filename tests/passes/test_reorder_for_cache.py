"""reorder-for-cache: before/after strings, every trap, fixtures with contexts, the behaviour harness,
the cache-reuse measure and the `.dockerignore` offer through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.engine import resolve_passes
from dockslim.fixer import check_text
from dockslim.passes import Safety
from dockslim.passes.buildcontext import MemoryContext
from dockslim.passes.reorder_for_cache import ReorderForCache
from dockslim.testing import assert_fix, assert_no_fix, run_fix
from tests.cachekeys import installs_rerun, rerun_after_edit, source_file
from tests.harness import assert_same_behaviour, compare, play, unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "reorder-for-cache"
CASES = sorted(p.name for p in FIXTURES.iterdir())
POSITIVE = [c for c in CASES if (FIXTURES / c / "Dockerfile.expected").exists()]
TRAPS = [c for c in CASES if c not in POSITIVE]
SEED = ROOT / "fixtures" / "seed"


def findings(text: str, context: Path | None, path: str = "-"):
    return check_text(text, [ReorderForCache()], build_context=context, path=path)[1]


def notes(text: str, context: Path | None) -> list[str]:
    return [f.message for f in findings(text, context) if f.note]


@pytest.fixture
def py(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    return tmp_path


# --- before/after ------------------------------------------------------------------------------

def test_seed_shape_add_with_workdir_between(py):
    (py / "requirement").write_text("Django==2.1.7\n")
    before = ("FROM python:3\nRUN mkdir /code\nADD . /code/\nWORKDIR /code\n"
              "RUN pip install -U pip\nRUN pip install -r requirement\n")
    after = ("FROM python:3\nRUN mkdir /code\nCOPY requirement /code/\nWORKDIR /code\n"
             "RUN pip install -U pip\nRUN pip install -r requirement\nADD . /code/\n")
    assert_fix(ReorderForCache, before, after, context=py)


def test_copy_dot_dot_relative_to_workdir(py):
    assert_fix(ReorderForCache,
               "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n",
               "FROM python:3\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\n",
               context=py)


def test_destination_without_slash_gets_one_and_flags_are_kept(py):
    assert_fix(ReorderForCache,
               "FROM python:3\ncopy --chown=app:app --chmod=644 --link . /srv/app\nworkdir /srv/app\n"
               "run pip install -r requirements.txt\n",
               "FROM python:3\ncopy --chown=app:app --chmod=644 --link requirements.txt /srv/app/\n"
               "workdir /srv/app\nrun pip install -r requirements.txt\n"
               "copy --chown=app:app --chmod=644 --link . /srv/app\n",
               context=py)


def test_last_line_without_newline_and_crlf(py):
    assert_fix(ReorderForCache,
               "FROM python:3\r\nWORKDIR /app\r\nCOPY . .\r\nRUN pip install -r requirements.txt",
               "FROM python:3\r\nWORKDIR /app\r\nCOPY requirements.txt ./\r\nRUN pip install -r requirements.txt\r\nCOPY . .",
               context=py)


def test_comments_and_continuations_move_verbatim(py):
    before = ("FROM python:3\nWORKDIR /app\n# the sources\nCOPY . \\\n  /app/\n# deps\n"
              "RUN pip install \\\n    -r requirements.txt\nCMD [\"python\", \"app.py\"]\n")
    after = ("FROM python:3\nWORKDIR /app\n# the sources\nCOPY requirements.txt /app/\n# deps\n"
             "RUN pip install \\\n    -r requirements.txt\nCOPY . \\\n  /app/\nCMD [\"python\", \"app.py\"]\n")
    assert_fix(ReorderForCache, before, after, context=py)


def test_stage_built_from_an_earlier_stage_inherits_its_workdir(py):
    before = ("FROM python:3 AS base\nWORKDIR /app\n\nFROM base\nCOPY . .\n"
              "RUN pip install -r requirements.txt\n")
    after = ("FROM python:3 AS base\nWORKDIR /app\n\nFROM base\nCOPY requirements.txt ./\n"
             "RUN pip install -r requirements.txt\nCOPY . .\n")
    assert_fix(ReorderForCache, before, after, context=py)


def test_manifest_in_a_sub_folder_is_safe_only_when_a_workdir_made_it(py):
    (py / "api").mkdir()
    (py / "api" / "requirements.txt").write_text("flask\n")
    made = ("FROM python:3\nWORKDIR /srv/web/api\nCOPY . /srv/web\nRUN pip install -r requirements.txt\n")
    assert_fix(ReorderForCache, made, "FROM python:3\nWORKDIR /srv/web/api\nCOPY api/requirements.txt /srv/web/api/\n"
               "RUN pip install -r requirements.txt\nCOPY . /srv/web\n", context=py)
    fresh = ("FROM python:3\nCOPY . /srv/web\nWORKDIR /srv/web/api\nRUN pip install -r requirements.txt\n")
    assert_no_fix(ReorderForCache, fresh, context=py)
    [f] = [f for f in findings(fresh, py) if f.fix]
    assert f.fix.safety is Safety.UNSAFE and "mode 0755" in f.message


def test_only_system_packages_hoisted_without_a_manifest_copy(py):
    assert_fix(ReorderForCache,
               "FROM debian\nCOPY . /app\nRUN apt-get update && apt-get install -y curl\n"
               "RUN /app/build.sh\n",
               "FROM debian\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n"
               "RUN /app/build.sh\n", context=py)


def test_npm_install_with_a_lock_is_an_unsafe_fix(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"express": "4"}}))
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / ".dockerignore").write_text("node_modules\n")
    before = "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm install\n"
    assert_no_fix(ReorderForCache, before, context=tmp_path)
    [f] = [f for f in findings(before, tmp_path) if f.fix]
    assert f.fix.safety is Safety.UNSAFE and "npm ci" in f.message
    assert_fix(ReorderForCache, before,
               "FROM node\nWORKDIR /app\nCOPY package-lock.json package.json ./\nRUN npm install\nCOPY . .\n",
               context=tmp_path, unsafe=True)


# --- traps: no fix, a note that says why ----------------------------------------------------------

@pytest.mark.parametrize("requirements,why", [
    ("flask\n-e .\n", "-e ."),
    ("flask\n.\n", "local path"),
    ("./libs/x\n", "local path"),
    ("file:///wheels/x.whl\n", "local path"),
    ("-r ../outside.txt\n", "not a file of the copied folder"),
    ("--find-links ./wheels\nflask\n", "local archives"),
    ("-r missing.txt\n", "not a regular file"),
    ("flask @ file:///tmp/flask\n", "local path"),
    ("${PKG}\n", "environment variable"),
])
def test_requirements_that_read_more_than_the_manifest(py, requirements, why):
    (py / "requirements.txt").write_text(requirements)
    text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    assert_no_fix(ReorderForCache, text, context=py, unsafe=True)
    assert any(why in n for n in notes(text, py)), notes(text, py)


@pytest.mark.parametrize("run,why", [
    ("pip install .", "local path"),
    ("pip install -e .", "from its sources"),
    ("pip install -r requirements.txt && python setup.py build", "`python` may read"),
    ("cd /app && pip install -r requirements.txt", "cd"),
    ("pip install -r $REQS", "only known when the build runs"),
    ("pip install -r requirements.txt > /app/log.txt", "redirects"),
    ("pip install app", "has a file or folder of that name"),
    ("poetry install", "--no-root"),
    ("uv sync", "--no-install-project"),
    ("gradle build", "gradle"),
    ("env GOPATH=/go make -C /app install", "`env` may read"),
    ("sh -c 'pip install -r requirements.txt'", "`sh` may read"),
])
def test_runs_that_may_read_the_sources(py, run, why):
    (py / "app").mkdir()
    text = f"FROM python:3\nWORKDIR /app\nCOPY . .\nRUN {run}\nRUN pip install -r requirements.txt\n"
    assert_no_fix(ReorderForCache, text, context=py, unsafe=True)
    assert any(why in n for n in notes(text, py)), notes(text, py)


@pytest.mark.parametrize("text,why", [
    ("FROM python:3\nCOPY . .\nRUN pip install -r requirements.txt\n", "WORKDIR is not known"),
    ("FROM python:3\nCOPY . /\nRUN pip install -r requirements.txt\n", "root folder /"),
    ("FROM python:3\nCOPY --exclude=*.md . /app\nWORKDIR /app\nRUN pip install -r requirements.txt\n", "--exclude"),
    ("FROM python:3\nCOPY . $APP\nRUN pip install -r requirements.txt\n", "variable"),
    ("FROM python:3\nENV PYTHONPATH=/app\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n", "PYTHONPATH"),
    ("FROM python:3\nWORKDIR /app\nCOPY . .\nRUN --mount=type=bind,target=/x pip install -r requirements.txt\n", "bind"),
    ("FROM python:3\nWORKDIR /app\nCOPY . .\nSHELL [\"/bin/bash\", \"-c\"]\nRUN pip install -r requirements.txt\n", "SHELL"),
    ("FROM python:3\nWORKDIR /app\nCOPY . .\nCOPY conf /etc/conf\nRUN pip install -r requirements.txt\n", "is not moved across"),
    ("FROM python:3\nWORKDIR /srv/app\nCOPY . .\nWORKDIR /srv/app/api\nRUN pip install -r requirements.txt\n", "WORKDIR would change"),
    ("FROM python:3\nWORKDIR /app\nCOPY . .\nRUN [\"pip\", \"install\"]\nRUN pip install -r requirements.txt\n", "exec form"),
])
def test_copies_and_stages_we_do_not_reorder(py, text, why):
    assert_no_fix(ReorderForCache, text, context=py, unsafe=True)
    assert any(why in n for n in notes(text, py)), notes(text, py)


def test_without_a_build_context_only_a_note():
    text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    assert_no_fix(ReorderForCache, text, unsafe=True)
    assert any("--context" in n for n in notes(text, None))


def test_install_outputs_in_the_context_block_the_fix(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"a": "1"}}))
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / "node_modules" / "a").mkdir(parents=True)
    text = "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
    assert_no_fix(ReorderForCache, text, context=tmp_path)
    assert any("node_modules" in n for n in notes(text, tmp_path))
    (tmp_path / ".dockerignore").write_text("node_modules\n")  # now the copy cannot overwrite it
    assert run_fix(ReorderForCache, text, context=tmp_path).changed


def test_no_install_no_finding(py):
    text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN python manage.py check\nCMD [\"x\"]\n"
    assert findings(text, py) == []


# --- fixtures ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", POSITIVE)
def test_fixture_rewrites_as_expected(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    after = (folder / "Dockerfile.expected").read_text()
    unsafe = case.endswith("-unsafe")
    assert_fix(ReorderForCache, before, after, context=folder, unsafe=unsafe)
    if unsafe:
        assert_no_fix(ReorderForCache, before, context=folder)


@pytest.mark.parametrize("case", TRAPS)
def test_trap_fixture_is_left_alone_with_a_note(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    assert_no_fix(ReorderForCache, before, context=folder, unsafe=True)
    assert notes(before, folder), "a trap must say why it was left alone"


@pytest.mark.parametrize("case", POSITIVE + TRAPS)
def test_fixture_with_every_pass_reaches_a_fixed_point(case):
    folder = FIXTURES / case
    passes = [type(p) for p in resolve_passes()]
    first = run_fix(passes, (folder / "Dockerfile").read_text(), context=folder, unsafe=True)
    assert run_fix(passes, first.text, context=folder, unsafe=True).text == first.text


# --- the behaviour harness ------------------------------------------------------------------------

def _harness_or_skip():
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"behaviour harness unavailable: {reason}")


SAFE = [c for c in POSITIVE if not c.endswith("-unsafe")]


@pytest.mark.chroot
@pytest.mark.parametrize("case", SAFE)
def test_fixture_builds_the_same(case):
    _harness_or_skip()
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    target = "build" if " AS build" in before else None  # the stage that installs and builds
    original = play(before, context_dir=folder, target=target)
    if original.failed:
        pytest.skip(f"the harness has no stand-in for this ecosystem: {original.failure}")
    assert original.calls, "the fixture must make recorded calls"
    assert_same_behaviour(before, (folder / "Dockerfile.expected").read_text(), context_dir=folder,
                          target=target)


@pytest.mark.chroot
def test_seed_builds_the_same_after_the_reorder_and_after_every_pass():
    _harness_or_skip()
    before = (SEED / "Dockerfile").read_text()
    reordered = run_fix(ReorderForCache, before, context=SEED).text
    assert "COPY requirement /code/\n" in reordered and reordered.endswith("ADD . /code/\n")
    assert_same_behaviour(before, reordered, context_dir=SEED)


@pytest.mark.chroot
def test_the_harness_catches_a_reorder_that_forgets_the_manifest():
    """The stand-ins fail when a manifest they need is missing: a wrong reorder does not pass."""
    _harness_or_skip()
    for case, manifest_copy in (("pip-requirements", "COPY constraints.txt requirements-base.txt requirements.txt ./\n"),
                                ("npm-ci", "COPY .npmrc package-lock.json package.json ./\n"),
                                ("bundler", "COPY Gemfile Gemfile.lock /myapp/\n")):
        folder = FIXTURES / case
        before = (folder / "Dockerfile").read_text()
        forgot = (folder / "Dockerfile.expected").read_text().replace(manifest_copy, "")
        assert compare(before, forgot, context_dir=folder, inject_failures=False), case


# --- the cache-reuse measure ----------------------------------------------------------------------

def test_seed_instructions_rerun_after_a_source_edit():
    before = (SEED / "Dockerfile").read_text()
    passes = [type(p) for p in resolve_passes()]
    after = run_fix(passes, before, context=SEED).text
    assert source_file(SEED) == "manage.py"
    # ADD, WORKDIR, RUN pip -U, RUN pip -r  ->  only the late COPY
    assert len(rerun_after_edit(before, SEED)) == 4 and installs_rerun(before, SEED) == 2
    assert len(rerun_after_edit(after, SEED)) == 1 and installs_rerun(after, SEED) == 0


@pytest.mark.parametrize("case", POSITIVE)
def test_fixture_no_install_reruns_after_a_source_edit(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    after = (folder / "Dockerfile.expected").read_text()
    assert installs_rerun(before, folder) >= 1
    assert installs_rerun(after, folder) == 0
    assert len(rerun_after_edit(after, folder)) < len(rerun_after_edit(before, folder))
    # a manifest edit still re-runs the install: the cache is not stale
    manifest = next(m for m in ("requirements.txt", "api/requirements.txt", "package.json", "Gemfile",
                                "go.mod", "composer.json", "pom.xml", "Pipfile", "pyproject.toml")
                    if (folder / m).exists())
    assert installs_rerun(after, folder, manifest) >= 1


# --- the .dockerignore offer through the CLI -------------------------------------------------------

def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n")
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"a": "1"}}))
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / "server.js").write_text("1\n")
    return tmp_path


def test_diff_shows_the_new_dockerignore(project, capsys):
    code, out, err = run(["fix", "--select", "reorder-for-cache", project / "Dockerfile"], capsys)
    assert code == 1
    assert "--- /dev/null\n+++ b/" in out and out.count(".dockerignore\n@@ -0,0 +1,") == 1
    assert "+node_modules\n" in out and "+# Dockerfile\n" in out and "+.dockerignore\n" in out
    assert not (project / ".dockerignore").exists()  # --diff writes nothing
    # with it, node_modules could not be overwritten, so the reorder applies in the same run
    assert "+COPY package-lock.json package.json ./\n" in out


def test_write_creates_it_once_and_a_second_run_changes_nothing(project, capsys):
    code, _, _ = run(["fix", "--write", project / "Dockerfile"], capsys)
    assert code == 0
    ignore = (project / ".dockerignore").read_text()
    assert "node_modules" in ignore.splitlines() and "# Dockerfile" in ignore.splitlines()
    assert (project / "Dockerfile").read_text().startswith("FROM node:20\nWORKDIR /app\nCOPY package-lock.json")
    assert run(["fix", project / "Dockerfile"], capsys)[:2] == (0, "")
    assert [p.name for p in project.iterdir() if p.name.startswith(".dockslim-")] == []


def test_an_existing_dockerignore_is_left_alone(project, capsys):
    (project / ".dockerignore").write_text("secret\n")
    code, out, _ = run(["fix", "--write", project / "Dockerfile"], capsys)
    assert (project / ".dockerignore").read_text() == "secret\n"
    assert "has no .dockerignore" not in run(["check", project / "Dockerfile"], capsys)[1]


def test_check_reports_the_offer(project, capsys):
    code, out, _ = run(["check", "--select", "reorder-for-cache", project / "Dockerfile"], capsys)
    assert code == 1 and "has no .dockerignore" in out and "[*]" in out


def test_two_dockerfiles_sharing_a_context_offer_one_file(project, capsys):
    (project / "Dockerfile.dev").write_text("FROM node:20\nCOPY . /src\n")
    code, out, _ = run(["fix", project], capsys)
    assert out.count("+++ b/") - out.count("+++ b/" + str(project / "Dockerfile").lstrip("/")) >= 1
    assert out.count("--- /dev/null") == 1


def test_offer_keeps_todays_copy_unchanged(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3\nWORKDIR /a\nCOPY . .\n")
    (tmp_path / "requirements.txt").write_text("x\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.txt").write_text("prebuilt\n")
    [offer] = [f for f in findings((tmp_path / "Dockerfile").read_text(), tmp_path,
                                   str(tmp_path / "Dockerfile")) if f.fix and f.fix.creates]
    content = offer.fix.creates[0][1]
    assert "# build" in content.splitlines() and "build" not in content.splitlines()
    assert "**/__pycache__" in content.splitlines() and ".dockerignore" in content.splitlines()


# --- which folders installs really write (issue #15) -----------------------------------------

@pytest.mark.parametrize("folder", ["/srv", "/opt", "/opt/app", "/srv/www/app", "/data", "/usr/src/app",
                                    "/usr/local/app", "/go/src/app"])
def test_a_copy_to_a_folder_no_pip_install_writes_is_reordered(py, folder):
    text = f"FROM python:3\nCOPY . {folder}\nWORKDIR {folder}\nRUN pip install -r requirements.txt\n"
    assert_fix(ReorderForCache, text,
               f"FROM python:3\nCOPY requirements.txt {folder}/\nWORKDIR {folder}\n"
               f"RUN pip install -r requirements.txt\nCOPY . {folder}\n", context=py)


@pytest.mark.parametrize(("folder", "written"), [
    ("/usr/local", "/usr/local/lib"),  # above pip's site-packages
    ("/usr/local/lib/python3.12/site-packages/app", "/usr/local/lib"),  # inside them
    ("/root", "/root"),  # ~/.config/pip/pip.conf, ~/.cache/pip
    ("/etc", "/etc"),  # /etc/pip.conf
    ("/tmp/build", "/tmp"),
    ("/usr", "/usr/local/lib"),
])
def test_a_copy_where_pip_writes_or_reads_its_configuration_is_refused(py, folder, written):
    text = f"FROM python:3\nCOPY . {folder}\nWORKDIR {folder}\nRUN pip install -r requirements.txt\n"
    assert_no_fix(ReorderForCache, text, context=py, unsafe=True)
    assert any(f"in {written}" in n for n in notes(text, py)), notes(text, py)


@pytest.mark.parametrize("folder", ["/opt", "/srv/app", "/var/www"])
def test_a_copy_where_system_packages_may_install_is_refused_when_they_move(py, folder):
    text = (f"FROM python:3\nCOPY . {folder}\nWORKDIR {folder}\nRUN apt-get update && apt-get install -y gcc\n"
            "RUN pip install -r requirements.txt\n")
    assert_no_fix(ReorderForCache, text, context=py, unsafe=True)
    assert any("system package installs" in n for n in notes(text, py)), notes(text, py)


def test_a_go_copy_into_gopath_is_refused_for_go_installs(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (tmp_path / "go.sum").write_text("")
    (tmp_path / "main.go").write_text("package main\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    text = "FROM golang:1.22\nCOPY . /go/src/app\nWORKDIR /go/src/app\nRUN go mod download\n"
    assert_no_fix(ReorderForCache, text, context=tmp_path, unsafe=True)
    assert any("go installs" in n and "/go" in n for n in notes(text, tmp_path)), notes(text, tmp_path)


# --- an in-memory build context: the pass reads the context only through its view -----------

def test_in_memory_context_seed_shape():
    context = MemoryContext({"requirement": "Django==2.1.7\n", "app.py": "print(1)\n", ".dockerignore": ".git\n"})
    before = ("FROM python:3\nRUN mkdir /code\nADD . /code/\nWORKDIR /code\n"
              "RUN pip install -U pip\nRUN pip install -r requirement\n")
    after = ("FROM python:3\nRUN mkdir /code\nCOPY requirement /code/\nWORKDIR /code\n"
             "RUN pip install -U pip\nRUN pip install -r requirement\nADD . /code/\n")
    assert_fix(ReorderForCache, before, after, context=context)


def test_in_memory_context_follows_requirement_includes_and_refuses_local_paths():
    text = "FROM python:3\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    nested = MemoryContext({"requirements.txt": "-r base.txt\n", "base.txt": "flask\n", ".dockerignore": ".git\n"})
    assert_fix(ReorderForCache, text, "FROM python:3\nWORKDIR /app\nCOPY base.txt requirements.txt ./\n"
               "RUN pip install -r requirements.txt\nCOPY . .\n", context=nested)
    local = MemoryContext({"requirements.txt": "./libs/x\n", ".dockerignore": ".git\n"})
    assert_no_fix(ReorderForCache, text, context=local)
    assert any("local path" in n for n in notes(text, local))  # type: ignore[arg-type]


def test_in_memory_context_outputs_block_until_ignored():
    files = {"package.json": json.dumps({"dependencies": {"a": "1"}}), "package-lock.json": "{}",
             "node_modules/a/index.js": ""}
    text = "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
    assert_no_fix(ReorderForCache, text, context=MemoryContext(files))
    assert any("node_modules" in n for n in notes(text, MemoryContext(files)))  # type: ignore[arg-type]
    files[".dockerignore"] = "node_modules\n"
    assert run_fix(ReorderForCache, text, context=MemoryContext(files)).changed
