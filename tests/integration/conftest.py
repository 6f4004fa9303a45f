"""The lab's session: skip with a reason where it cannot or should not run, else set it up once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import lab

RESULTS: list[dict] = []  # one row per measured fixture and mode, for the summary table
REGISTRIES: list[str] = []  # which registries the session's builds used, for the summary


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: real `docker build`s in the lab (tests/integration)")


def pytest_collection_modifyitems(items):
    """Every test in this folder uses a Docker engine: marked `docker`, left out of the quick suite."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.docker)


def _opt_out_reason() -> str | None:
    wanted = os.environ.get("DOCKSLIM_LAB", "").strip().lower()
    if wanted in ("0", "no", "false", "skip"):
        return "DOCKSLIM_LAB says skip"
    if wanted in ("1", "yes", "true", "full") or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return None
    return "the lab runs in CI (CI=true) or with DOCKSLIM_LAB=1: it builds real images for minutes"


def _bases() -> str | None:
    """The extra base families to make: $DOCKSLIM_LAB_BASES, else all of them for the long lab
    (DOCKSLIM_LAB=1, which test_bases.py checks), else none (CI's quick lab stays cheap)."""
    if os.environ.get("DOCKSLIM_LAB_BASES", "").strip():
        return None  # the session reads it
    wanted = os.environ.get("DOCKSLIM_LAB", "").strip().lower()
    return "all" if wanted in ("1", "yes", "true", "full") else ""


@pytest.fixture(scope="session")
def lab_session():
    reason = _opt_out_reason() or lab.engine_reason()
    if reason:
        pytest.skip(reason)
    try:
        with lab.session(bases=_bases()) as session:
            REGISTRIES.append(session.registries.describe())
            yield session
    except lab.LabUnavailable as exc:
        pytest.skip(f"the lab cannot run here: {exc}")


@pytest.fixture
def full_lab(lab_session):
    """The lab for the long tests (`fix --verify`: several builds of a ~700 MB image each). CI keeps
    the quick lab (the measure tests); these run with DOCKSLIM_LAB=1 or DOCKSLIM_LAB=full."""
    wanted = os.environ.get("DOCKSLIM_LAB", "").strip().lower()
    if wanted not in ("1", "yes", "true", "full"):
        pytest.skip("a long lab test (~10 min of builds): it runs with DOCKSLIM_LAB=1 or DOCKSLIM_LAB=full")
    return lab_session


def pytest_terminal_summary(terminalreporter):
    if not RESULTS and not REGISTRIES:
        return
    tr = terminalreporter
    tr.section("dockslim lab: original vs rewritten (size MB, layers, build s, rebuild s)")
    for line in REGISTRIES:
        tr.write_line(f"builds used the {line}")
    if not RESULTS:
        return
    header = f"{'fixture':<18} {'mode':<7} {'size MB':>15} {'layers':>8} {'build s':>13} {'rebuild s':>13}  lost"
    tr.write_line(header)

    def pair(values, fmt="{:.1f}"):
        return ">".join("-" if v is None else fmt.format(v) for v in values)

    for r in RESULTS:
        tr.write_line(
            f"{r['fixture']:<18} {r['mode']:<7} {pair(r['size']):>15} {pair(r['layers'], '{}'):>8} "
            f"{pair(r['build']):>13} {pair(r['rebuild']):>13}  {r['lost']}")
