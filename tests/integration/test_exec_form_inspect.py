"""exec-form against a real engine: what `docker inspect` shows before and after the rewrite.

Images `FROM scratch` need no base image, so each build takes about a second. For each case the
original and the rewritten Dockerfile are built and their `Config.Cmd` / `Config.Entrypoint`
compared with what the pass reasons from: the shell form records `["/bin/sh", "-c", <line>]`, the
rewrite records the argv the shell would have run; and an ENTRYPOINT whose CMD the rewrite would
start passing (the display-only case) really does receive it, while a CMD inherited from another
stage is really cleared by ENTRYPOINT.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from dockslim.passes import Safety
from dockslim.passes.exec_form import ExecForm
from dockslim.testing import run_fix

from . import lab

pytestmark = pytest.mark.integration
TAG = f"dockslim-test-exec-form-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def engine():
    reason = lab.engine_reason()
    if reason:
        pytest.skip(reason)
    built: list[str] = []
    yield built
    if built:  # only the images this module made
        subprocess.run(["docker", "rmi", "-f", *built], capture_output=True, check=False, timeout=120)


def _inspect(engine: list[str], text: str, tmp_path, target: str | None = None) -> tuple[list | None, list | None]:
    ref = f"{TAG}:{len(engine)}"
    folder = tmp_path / f"ctx{len(engine)}"
    folder.mkdir()
    (folder / "Dockerfile").write_text(text)
    argv = ["docker", "build", "-q", "-t", ref, *(["--target", target] if target else []), str(folder)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "DOCKER_BUILDKIT": "0"})
    assert proc.returncode == 0, proc.stderr
    engine.append(ref)
    out = subprocess.run(["docker", "inspect", "-f", "{{json .Config.Cmd}}\t{{json .Config.Entrypoint}}", ref],
                         capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    cmd, entrypoint = out.split("\t")
    return json.loads(cmd), json.loads(entrypoint)


@pytest.mark.parametrize("line, argv", [
    ("CMD python app.py --port 80", ["python", "app.py", "--port", "80"]),
    ("CMD exec gunicorn -b 0.0.0.0:8000 'app:create_app()'", ["gunicorn", "-b", "0.0.0.0:8000", "app:create_app()"]),
    ('CMD app "a b" c\\ d \'e"f\' "g\\\\h"', ["app", "a b", "c d", 'e"f', "g\\h"]),
])
def test_cmd_before_and_after(engine, tmp_path, line, argv):
    before = f"FROM scratch\n{line}\n"
    after = run_fix(ExecForm, before, unsafe=True).text
    cmd, _ = _inspect(engine, before, tmp_path)
    assert cmd == ["/bin/sh", "-c", line[len("CMD "):]]
    cmd, _ = _inspect(engine, after, tmp_path)
    assert cmd == argv


def test_entrypoint_alone_is_rewritten(engine, tmp_path):
    before = "FROM scratch\nENTRYPOINT ./run.sh --serve\n"
    after = run_fix(ExecForm, before, unsafe=True).text
    assert _inspect(engine, before, tmp_path) == (None, ["/bin/sh", "-c", "./run.sh --serve"])
    assert _inspect(engine, after, tmp_path) == (None, ["./run.sh", "--serve"])


def test_entrypoint_with_a_cmd_is_display_only_because_the_cmd_would_reach_it(engine, tmp_path):
    before = 'FROM scratch\nENTRYPOINT ./run.sh\nCMD ["--help"]\n'
    result = run_fix(ExecForm, before, unsafe=True)
    assert result.text == before
    (finding,) = result.findings
    assert finding.fix.safety is Safety.DISPLAY
    # Shell form: `/bin/sh -c ./run.sh --help` -- `--help` is only $0 of the shell script.
    assert _inspect(engine, before, tmp_path) == (["--help"], ["/bin/sh", "-c", "./run.sh"])
    # The shown rewrite: the program itself would now be started as `./run.sh --help`.
    from dockslim.fixer import apply_edits

    shown = apply_edits(before, finding.fix.edits)
    assert _inspect(engine, shown, tmp_path) == (["--help"], ["./run.sh"])


def test_entrypoint_clears_a_cmd_inherited_from_a_stage(engine, tmp_path):
    before = 'FROM scratch AS base\nCMD ["serve"]\nFROM base\nENTRYPOINT ./run.sh\n'
    after = run_fix(ExecForm, before, unsafe=True).text
    assert after.endswith('ENTRYPOINT ["./run.sh"]\n')
    assert _inspect(engine, before, tmp_path) == (None, ["/bin/sh", "-c", "./run.sh"])
    assert _inspect(engine, after, tmp_path) == (None, ["./run.sh"])


def test_wrap_records_the_same_config(engine, tmp_path):
    from dockslim.fixer import fix_text
    from dockslim.passes import Options

    before = 'FROM scratch\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD app | tee log && echo "$X"\n'
    after = fix_text(before, [ExecForm()], options=Options(exec_form_wrap=True)).text
    assert after != before
    assert _inspect(engine, before, tmp_path) == _inspect(engine, after, tmp_path)
