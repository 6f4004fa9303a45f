"""`dockslim fix --unsafe-fixes --verify --write` on real builds against the Debian archive and PyPI.

* ``fixtures/verify/flask-apt``: python3 + python3-pip from apt, `pip install flask requests`, a
  one-line app. Recommended packages (a compiler, headers...) are dead weight: `--no-install-recommends`
  is kept, the image is at most 40 % of the original, the app still runs.
* ``fixtures/verify/sdist-needs-compiler``: the same, but `pip install --no-binary psutil` compiles
  a C extension with the compiler and headers python3-pip only *recommends*: the rewrite with
  `--no-install-recommends` does not build, so that fix is dropped with the failing step's lines, and
  the written file builds.

alpine-base is left in: its rewrite cannot build here (no registry serves Alpine images), so the
search drops it too, with the engine's reason. These builds take minutes: they run where the lab
runs and the real registries answer, and skip with the reason otherwise.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.measure import Docker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "verify"


@pytest.fixture
def real_lab(full_lab):
    lab_session = full_lab
    if not lab_session.real_registries:
        pytest.skip(f"needs the real Debian archive and PyPI; this lab uses the "
                    f"{lab_session.registries.describe()}")
    return lab_session


def _verify_write(case: str, tmp_path: Path, capsys) -> tuple[int, Path, str]:
    folder = tmp_path / case
    shutil.copytree(FIXTURES / case, folder)
    capsys.readouterr()
    code = main(["fix", "--isolated", "--unsafe-fixes", "--verify", "--write", "--network", "host",
                 str(folder / "Dockerfile")])
    report = capsys.readouterr().err
    with capsys.disabled():  # the report is the figure this test is run for: show it with -s
        print(report)
    return code, folder / "Dockerfile", report


def _sizes(report: str) -> tuple[float, float]:
    m = re.search(r"image: ([\d.]+) MB -> ([\d.]+) MB", report)
    assert m, report
    return float(m.group(1)), float(m.group(2))


@pytest.mark.usefixtures("real_lab")
def test_dead_weight_recommends_are_dropped_and_the_app_still_runs(tmp_path, capsys):
    code, written, report = _verify_write("flask-apt", tmp_path, capsys)
    assert code == 0, report
    text = written.read_text()
    assert "--no-install-recommends" in text
    assert "alpine" not in text  # no Alpine image here: dropped, with the engine's reason
    assert re.search(r"dropped alpine-base .*\n    because the rewrite does not build", report), report
    assert "kept cache-cleanup" in report
    assert "outcome: original running, rewritten running" in report
    before, after = _sizes(report)
    assert after <= 0.40 * before, report
    assert re.search(r"Debian packages removed \(\d+\): .*\bgcc\b", report), report


@pytest.mark.usefixtures("real_lab")
def test_a_recommended_package_needed_during_the_build_keeps_its_fix_out(tmp_path, capsys):
    code, written, report = _verify_write("sdist-needs-compiler", tmp_path, capsys)
    assert code == 0, report
    text = written.read_text()
    assert "--no-install-recommends" not in text
    assert text != (FIXTURES / "sdist-needs-compiler" / "Dockerfile").read_text()  # the safe fixes stay
    dropped = re.search(r"dropped cache-cleanup .*--no-install-recommends.*\n    because (.*(\n    .*)*)", report)
    assert dropped, report
    assert "the rewrite does not build" in dropped.group(1)
    # The written file builds (verify built exactly this text; build it once more, from the disk).
    docker = Docker("host", labels={"dockslim.verify": "integration-test"})
    tag = "dockslim-verify-integration:sdist"
    try:
        docker.build(written, written.parent, tag, no_cache=False)
        assert docker.run(tag, ["-c", "import psutil; print(psutil.cpu_count() > 0)"],
                          entrypoint="python3")[:2] == (0, "True\n")
    finally:
        docker.remove([tag])
