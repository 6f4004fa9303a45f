"""merge-runs against real shells: generated RUN sequences played by dash (and bash, once a body
makes /bin/sh bash) the way a build plays them -- a fresh `sh -c` per RUN, stop at the first
failure, every process of a RUN ended when its shell ends -- then the merged sequence, with each
recorded command made to fail in turn. The three holes of issue #15 are what the generator draws:
`set -e` bodies whose end is a list, a loop, a group, a pipeline into a group; bodies that replace
/bin/sh; background jobs inside subshells, groups and functions. On the merge-runs of 867ddb0
(before #15) this finds all three in a few examples each.

Independent of the behaviour harness (tests/harness, a chroot and stand-ins): here only the shell
semantics are played, with no root, in a few ms per RUN.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockslim.passes.merge_runs import MergeRuns
from dockslim.syntax import parse
from dockslim.testing import run_fix

DASH = shutil.which("dash")
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(DASH is None or BASH is None or not Path("/proc/self/stat").exists(),
                                reason="needs dash, bash and /proc")

# `c ID` records ID (with `-bash` when bash runs it) and fails when it is the call chosen to fail.
_RECORDER = """#!/bin/sh
n=$(( $(cat "$ORACLE/count") + 1 )); echo "$n" > "$ORACLE/count"
echo "$1" >> "$ORACLE/log"
[ "$n" != "$FAIL_AT" ]
"""


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"c {self.n}"


# How a `set -e` body may end: the shapes whose failures -e may or may not see.
_ENDINGS = ["and-redirect", "and", "for", "if", "group", "pipe-group", "subshell", "or", "negated"]


@st.composite
def _statement(draw, ids: _Ids, depth: int = 0, kinds: list[str] | None = None) -> str:
    if kinds is None:
        kinds = ["simple", "and", "or", "redirect", "and-redirect"]
        if depth < 2:
            kinds += ["group", "subshell", "for", "if", "pipe-group", "negated"]
    kind = draw(st.sampled_from(kinds))
    if kind == "simple":
        return ids()
    if kind == "and":
        return f"{ids()} && {ids()}"
    if kind == "or":
        return f"{ids()} || {ids()}"
    if kind == "redirect":
        return f"{ids()} > /dev/null"
    if kind == "and-redirect":
        return f"{ids()} && {ids()} > /dev/null"
    if kind == "negated":
        return f"! {ids()}"
    inner = draw(_statement(ids, depth + 1))
    second = draw(_statement(ids, depth + 1))
    sep = draw(st.sampled_from(["; ", " && ", " || "]))
    body = f"{inner}{sep}{second}"
    if kind == "group":
        return f"{{ {body}; }}"
    if kind == "subshell":
        return f"( {body} )"
    if kind == "for":
        return f"for x in 1; do {body}; done"
    if kind == "if":
        return f"if true; then {body}; fi"
    return f"echo k | {{ read -r x; {body}; }}"  # pipe-group


# What each body of a sequence may be, by the hole of issue #15 it probes.
ERREXIT, SHELL, BACKGROUND = "errexit", "shell", "background"


@st.composite
def _body(draw, ids: _Ids, holes: frozenset[str]) -> str:
    shapes = ["plain", "plain"]
    if ERREXIT in holes:
        shapes += ["errexit", "errexit", "errexit"]
    if SHELL in holes:
        shapes += ["replace-shell", "probe-shell"]
    if BACKGROUND in holes:
        shapes += ["background"]
    shape = draw(st.sampled_from(shapes))
    if shape == "plain":  # what may inherit `set` options: a plain chain of simple commands
        return " && ".join(ids() for _ in range(draw(st.integers(1, 2))))
    if shape == "replace-shell":
        return draw(st.sampled_from(["rm -f /bin/sh && ln -s bash /bin/sh", "ln -sf bash /bin/sh",
                                     "ln -sf dash /bin/sh"]))
    if shape == "probe-shell":  # which shell runs it: recorded as `N-bash` under bash
        return f"{ids()}${{BASH_VERSION:+-bash}}"
    if shape == "background":
        job = draw(st.sampled_from(["(sleep 5 &)", "{ sleep 5 & }", "f() { sleep 5 & }; f",
                                    "(nohup sleep 5 >/dev/null 2>&1 &)"]))
        return f"{job}; {ids()}"
    prefix = draw(st.sampled_from(["", "set -e; ", "set -e; ", "set -eux && ", "set -ex; "]))
    lead = draw(st.lists(_statement(ids), max_size=1))
    last = draw(_statement(ids, kinds=_ENDINGS))
    sep = draw(st.sampled_from(["; ", " && "]))
    return prefix + "".join(f"{s}{sep}" for s in lead) + last


@st.composite
def run_sequences(draw, holes: frozenset[str] = frozenset({ERREXIT, SHELL, BACKGROUND})) -> str:
    ids = _Ids()
    bodies = [draw(_body(ids, holes)) for _ in range(draw(st.integers(2, 4)))]
    return "FROM debian:bookworm\n" + "".join(f"RUN {b}\n" for b in bodies)


class _Sandbox:
    """Where the played RUNs live: `sh` (dash until a body points it at `bash`), the recorder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name, target in (("sh", DASH), ("bash", BASH), ("dash", DASH)):
            link = root / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        recorder = root / "bin" / "c"
        recorder.parent.mkdir(exist_ok=True)
        recorder.write_text(_RECORDER)
        recorder.chmod(0o755)
        (root / "count").write_text("0\n")
        (root / "log").write_text("")

    def run(self, body: str, fail_at: int) -> tuple[int, bool]:
        """Play one RUN: (exit status, whether a process of it outlived its shell)."""
        text = body.replace("/bin/sh", f"{self.root}/sh")
        env = {"PATH": f"{self.root}/bin:/usr/bin:/bin", "ORACLE": str(self.root),
               "FAIL_AT": str(fail_at), "HOME": str(self.root)}
        proc = subprocess.Popen([str(self.root / "sh"), "-c", text], env=env, cwd=self.root,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        status = proc.wait(timeout=20)
        # Only a `&` starts a process that outlives its shell here (no daemons in the grammar).
        survivors = _session_members(proc.pid) if "&" in body else []
        for pid in survivors:  # the build ends the RUN's container, and every process in it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return status, bool(survivors)


def _session_members(sid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # session id; zombies are gone already
            out.append(int(entry.name))
    return out


def _bodies(text: str) -> list[tuple[int, str]]:
    return [(ins.start_line, ins.args) for ins in parse(text).instructions if ins.cmd == "RUN"]


def _play(bodies: list[tuple[int, str]], fail_at: int) -> tuple[list[str], int | None, list[int]]:
    """(recorded ids, index of the failing RUN or None, lines of RUNs that left a process)."""
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmp:
        box = _Sandbox(Path(tmp))
        failed = None
        lingering = []
        for i, (line, body) in enumerate(bodies):
            status, survived = box.run(body, fail_at)
            if survived:
                lingering.append(line)
            if status != 0:
                failed = i
                break
        return (box.root / "log").read_text().split(), failed, lingering


_MERGED_LINES = re.compile(r"merge \d+ RUN instructions \(lines ([\d, ]+)\)")


def check_sequence(text: str) -> None:
    result = run_fix(MergeRuns, text)
    original, rewritten = _bodies(text), _bodies(result.text)
    log, _failed, lingering = _play(original, 0)
    # A RUN that left a process running must end its merge group: what follows it would run
    # next to that process in the merged RUN, and never did in the original build.
    for finding in result.findings:
        match = _MERGED_LINES.search(finding.message)
        if match:
            lines = [int(n) for n in match.group(1).split(", ")]
            assert not set(lingering) & set(lines[:-1]), (
                f"a RUN that leaves a process running was merged with the next:\n{text}")
    calls = len(log)
    for fail_at in range(calls + 1):
        before = _play(original, fail_at)
        after = _play(rewritten, fail_at)
        assert before[0] == after[0], (
            f"recorded commands differ when call {fail_at} fails:\n{text}\n--- merged ---\n"
            f"{result.text}\n{before[0]}\n{after[0]}")
        assert (before[1] is None) == (after[1] is None), (
            f"the build {'fails' if before[1] is not None else 'succeeds'} but the merged one "
            f"does not when call {fail_at} fails:\n{text}\n--- merged ---\n{result.text}")


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(_SETTINGS, max_examples=40)
@given(run_sequences(frozenset({ERREXIT})))
def test_generated_errexit_sequences_play_the_same_in_real_shells(text):
    check_sequence(text)


@_SETTINGS
@given(run_sequences(frozenset({SHELL})))
def test_generated_shell_replacing_sequences_play_the_same_in_real_shells(text):
    check_sequence(text)


@_SETTINGS
@given(run_sequences(frozenset({BACKGROUND})))
def test_generated_background_job_sequences_play_the_same_in_real_shells(text):
    check_sequence(text)


@pytest.mark.parametrize("text", [
    # issue #15, class 1: `set -e` and a list ending in a redirect, joined with `;`
    "FROM d\nRUN set -eux && c 1 && c 2 > /dev/null\nRUN c 3\n",
    "FROM d\nRUN set -e; for x in 1; do c 1 && c 2; done\nRUN c 3\n",
    "FROM d\nRUN set -e; echo k | { read -r x; c 1; c 2; }\nRUN c 3\n",
    # class 2: /bin/sh replaced, the next RUN probes which shell runs it
    "FROM d\nRUN c 1 && rm -f /bin/sh && ln -s bash /bin/sh\nRUN c \"2${BASH_VERSION:+-bash}\"\n",
    # class 3: a background job in a subshell outlives its RUN
    "FROM d\nRUN (sleep 5 &); c 1\nRUN c 2\n",
])
def test_issue_15_cases_play_the_same(text):
    check_sequence(text)


def test_the_oracle_sees_each_hole():
    """The player is not blind: hand-merged versions of the issue's cases are told apart."""
    def differs(original: str, merged: str) -> bool:
        o, m = _bodies(original), _bodies(merged)
        log, _, _ = _play(o, 0)
        return any(_play(o, k)[:2] != _play(m, k)[:2] for k in range(len(log) + 1))

    assert differs("FROM d\nRUN set -eux && c 1 && c 2 > /dev/null\nRUN c 3\n",
                   "FROM d\nRUN set -eux && c 1 && c 2 > /dev/null; c 3\n")
    assert differs("FROM d\nRUN rm -f /bin/sh && ln -s bash /bin/sh\nRUN c \"2${BASH_VERSION:+-bash}\"\n",
                   "FROM d\nRUN rm -f /bin/sh && ln -s bash /bin/sh && c \"2${BASH_VERSION:+-bash}\"\n")
    _, _, lingering = _play(_bodies("FROM d\nRUN (sleep 5 &); c 1\n"), 0)
    assert lingering == [2]
