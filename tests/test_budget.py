"""The per-file time budget: a file over it is reported and skipped, the others go on (exit 2).

Budgets here are made tiny on purpose (a microsecond): any real work exceeds them. No timing is
asserted -- only which files were skipped and what was said."""

import os

import pytest

from dockslim import budget
from dockslim.cli import main
from dockslim.engine import check_file, fix_file, resolve_passes
from dockslim.github.flow import collect
from dockslim.github.review import ChangedFile
from dockslim.passes import Options

SEED = "FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y curl\n"
TINY = 0.000001


@pytest.fixture
def two_folders(tmp_path):
    """``slow/``: its configuration gives a tiny budget; ``fast/``: the default."""
    for name in ("slow", "fast"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(SEED)
        (tmp_path / name / ".dockerignore").write_text(".git\n")
    (tmp_path / "slow" / ".dockslim.toml").write_text(f"time-budget = {TINY}\n")
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    return tmp_path


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    return (code, *capsys.readouterr())


def test_a_file_over_budget_is_skipped_and_the_others_go_on(two_folders, capsys):
    slow, fast = two_folders / "slow" / "Dockerfile", two_folders / "fast" / "Dockerfile"
    code, _, err = _run(["fix", "--write", slow, fast], capsys)
    assert code == 2
    assert f"{slow}: skipped: over the time budget of {TINY:g} s per file" in err
    assert slow.read_text() == SEED  # left unchanged
    assert fast.read_text() != SEED  # fixed all the same


def test_check_reports_the_skipped_file_and_the_others_findings(two_folders, capsys):
    code, out, err = _run(["check", two_folders / "slow", two_folders / "fast"], capsys)
    assert code == 2
    assert "slow/Dockerfile: skipped: over the time budget" in err
    assert "fast/Dockerfile:2:1: merge-runs" in out and "slow/Dockerfile:" not in out


def test_the_flag_wins_over_the_configuration(two_folders, capsys):
    code, _, err = _run(["check", "--time-budget", "60", two_folders / "slow"], capsys)
    assert code == 1 and "time budget" not in err
    code, _, err = _run(["check", "--time-budget", str(TINY), two_folders / "fast"], capsys)
    assert code == 2 and "fast/Dockerfile: skipped" in err


def test_zero_means_no_limit(two_folders, capsys):
    (two_folders / "slow" / ".dockslim.toml").write_text("time-budget = 0\n")
    code, _, err = _run(["check", two_folders / "slow"], capsys)
    assert code == 1 and "time budget" not in err


@pytest.mark.parametrize("value", ["-1", "true", '"fast"'])
def test_a_bad_budget_in_the_configuration_is_an_error(two_folders, capsys, value):
    (two_folders / "slow" / ".dockslim.toml").write_text(f"time-budget = {value}\n")
    code, _, err = _run(["check", two_folders / "slow"], capsys)
    assert code == 2 and "'time-budget' must be a number of seconds" in err


def test_worker_processes_skip_over_budget_files_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DOCKSLIM_JOBS", "2")
    (tmp_path / ".git").mkdir()
    for k in range(50):  # enough files for the process pool (batch.PARALLEL_MIN_FILES)
        folder = tmp_path / f"d{k:02}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(SEED)
        (folder / ".dockerignore").write_text(".git\n")
        if k % 10 == 3:
            (folder / ".dockslim.toml").write_text(f"time-budget = {TINY}\n")
    code, out, err = _run(["fix", "--diff", "--quiet", tmp_path], capsys)
    skipped = sorted(line.split("/")[-2] for line in err.splitlines() if "over the time budget" in line)
    assert code == 2 and skipped == ["d03", "d13", "d23", "d33", "d43"]
    assert out.count("--- a/") == 45


def test_the_engine_reports_over_budget_for_both_commands(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(SEED)
    passes = resolve_passes()
    for run in (check_file, fix_file):
        report = run(str(path), passes, Options(time_budget=TINY), None)
        assert report.error is not None and "over the time budget" in str(report.error)
        report = run(str(path), passes, Options(time_budget=None), None)
        assert report.error is None


def test_the_pull_request_review_skips_a_file_over_budget(two_folders):
    changed = [ChangedFile("slow/Dockerfile", "modified", ()), ChangedFile("fast/Dockerfile", "modified", ())]
    passes = resolve_passes()

    def planner(path):
        return passes, Options(time_budget=TINY if "slow" in path else None)

    fixes, errors = collect(changed, two_folders, planner)
    assert [f.path for f in fixes] == ["fast/Dockerfile"]
    assert len(errors) == 1 and "slow/Dockerfile: skipped: over the time budget" in errors[0]


def test_the_timer_is_left_as_it_was():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    with budget.limit(60):
        assert signal.getsignal(signal.SIGALRM) is budget._expire
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before
    with pytest.raises(budget.OverBudget), budget.limit(TINY):
        while True:
            os.getpid()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
