"""All safe passes together keep what the build does.

Each pass has its own behaviour proof; this one plays their *composition* (the fixer's rounds),
where one pass's edit meets another's: every fixture of every pass, the seed, and generated
Dockerfiles mixing merge hazards with package-manager calls, each with every recorded call made to
fail in turn. Cache flags and cleanup calls that cache-cleanup adds on purpose are normalised away,
as in its own behaviour test.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockslim.passes import REGISTRY
from dockslim.syntax import parse
from dockslim.testing import run_fix
from tests.harness import assert_same_behaviour
from tests.passes.test_cache_cleanup_behaviour import IGNORED as CACHE_IGNORED
from tests.passes.test_cache_cleanup_behaviour import NORMALIZE

pytestmark = pytest.mark.chroot  # plays Dockerfiles in the behaviour harness

# Cache folders themselves, which `go clean -modcache` and the like remove whole.
IGNORED = CACHE_IGNORED + ("/root/go/pkg/mod", "/go/pkg/mod", "/root/.cache/go-build")

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
SAFE_PASSES = [p for p in REGISTRY if not p.advisory]

# Fixtures whose Dockerfiles the harness cannot play as a whole (no stand-in for the tool, a
# Windows shell, images copied from a registry) are left to their pass's own tests.
SKIP = {"powershell", "uv", "python-tools", "pipenv", "poetry", "heredoc-and-json"}


def _fixture_dirs():
    for folder in ("seed", "merge-runs", "cache-cleanup", "reorder-for-cache"):
        base = ROOT / folder
        dirs = [base] if (base / "Dockerfile").exists() else sorted(p for p in base.iterdir() if p.is_dir())
        for d in dirs:
            if (d / "Dockerfile").exists() and d.name not in SKIP:
                yield pytest.param(d, id=f"{folder}/{d.name}" if d != base else folder)


@pytest.mark.parametrize("folder", list(_fixture_dirs()))
def test_fixture_behaves_the_same_under_all_passes(folder):
    before = (folder / "Dockerfile").read_text()
    after = run_fix(SAFE_PASSES, before, context=folder).text
    assert run_fix(SAFE_PASSES, after, context=folder).text == after  # fixed point
    stages = parse(before).stages()
    for target in [str(i) for i in range(len(stages))]:
        if len(parse(after).stages()) != len(stages):
            pytest.fail("a pass changed the number of stages")
        assert_same_behaviour(before, after, context_dir=folder, target=target,
                              ignore_paths=IGNORED, normalize_call=NORMALIZE)


BODIES = [
    "apt-get update", "apt-get install -y curl", "apt-get update && apt-get install -y git",
    "pip install flask", "pip install a; pip install b", "pip install c || true",
    "cd /w && touch here", "export A=1", "A=2", "set -e", "set -eux; pip install d; touch /d",
    "(set -e; pip install e; touch /e)", "{ set -e; apt-get install -y f; touch /f; }",
    "test -f /nope || exit 0", "umask 077", "touch /t; false",
    "if [ -d /w ]; then set -e; apt-get install -y g; touch /g; fi",
    "for p in h i; do pip install $p; done", "echo \"$A\" >> /seen", "pwd >> /seen",
    "npm install -g pm2", "apk add curl",
]


@st.composite
def dockerfiles(draw):
    lines = ["FROM debian:bookworm", "RUN mkdir -p /w"]
    for body in draw(st.lists(st.sampled_from(BODIES), min_size=2, max_size=5)):
        lines.append(f"RUN {body}")
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_generated_dockerfiles_behave_the_same_under_all_passes(text):
    result = run_fix(SAFE_PASSES, text)
    parse(result.text)
    assert run_fix(SAFE_PASSES, result.text).text == result.text
    assert_same_behaviour(text, result.text, ignore_paths=IGNORED, normalize_call=NORMALIZE)
