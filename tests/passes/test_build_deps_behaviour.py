"""build-deps over its fixtures, and the part of it the behaviour harness can play.

The purge itself removes packages on purpose (it is unsafe) and runs `apt-mark`, `dpkg-query` and
`ldd`, which the harness's root file system does not have; what the harness can play is the first
step when the install and the build are in separate RUNs: joining them, which must keep what the
build does (same calls, same order, same cwd, same failures).
"""

from pathlib import Path

import pytest

from dockslim.fixer import apply_edits
from dockslim.passes import Context, Options
from dockslim.passes.build_deps import BuildDeps
from dockslim.syntax import parse
from dockslim.testing import run_fix
from tests.harness import assert_same_behaviour

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "build-deps"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "Dockerfile").exists())
# Left alone on purpose, each with the note that says why.
LEFT_ALONE: dict[str, str | None] = {
    "already-purged": None,  # done right already: nothing to say
    "cmd-needs-compiler": "the image runs `make` at start",
    "copy-between": "`COPY` on line 3 stands between",
    "child-stage-compiles": "stage `app` is built from this one and runs `gcc`",
}


def _findings(text: str, case: str | None = None):
    ctx = Context(parse(text), build_context=FIXTURES / case if case else None,
                  options=Options(unsafe_fixes=True))
    return list(BuildDeps().check(ctx))


@pytest.mark.parametrize("case", CASES)
def test_fixture_output_is_the_expected_one(case):
    before = (FIXTURES / case / "Dockerfile").read_text()
    expected = (FIXTURES / case / "Dockerfile.expected").read_text()
    result = run_fix(BuildDeps, before, context=FIXTURES / case, unsafe=True)
    assert result.text == expected
    assert run_fix(BuildDeps, result.text, context=FIXTURES / case, unsafe=True).text == result.text
    if case in LEFT_ALONE:
        assert expected == before
        why = LEFT_ALONE[case]
        found = _findings(before, case)
        assert any(f.note and why in f.message for f in found) if why else not found
    else:
        assert expected != before
        assert any(f.fix is not None for f in _findings(before, case))


def test_go_fixture_notes_the_multi_stage_rewrite():
    before = (FIXTURES / "go-binary" / "Dockerfile").read_text()
    assert any(f.note and "multi-stage build" in f.message for f in _findings(before, "go-binary"))


JOINS = [
    (FIXTURES / "split-runs" / "Dockerfile").read_text(),
    "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc\nRUN cd /usr/src && make && make install\n",
    ("FROM debian:bookworm\nRUN apt-get update; apt-get install -y gcc make\nRUN make -C /src || true\n"
    "RUN pip install x\n"),
]


@pytest.mark.parametrize("before", JOINS)
def test_joining_install_and_build_keeps_what_the_build_does(before):
    first = [f for f in _findings(before) if f.fix is not None]
    assert len(first) == 1 and "join the RUNs" in first[0].message
    joined = apply_edits(before, first[0].fix.edits)
    assert len(parse(joined).stages()[0].instructions) < len(parse(before).stages()[0].instructions)
    assert_same_behaviour(before, joined)
