"""`fix --verify` without an engine: the search for the fixes responsible, the decisions of
:func:`dockslim.verify.verify` against a fake engine, the smoke check chosen, the names of what a
rewrite removed, and the errors that must stop before any file is touched."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.engine import resolve_passes
from dockslim.fixer import FixKey, FixResult, fix_text
from dockslim.measure import Entry
from dockslim.passes import Options
from dockslim.verify import (
    Built,
    Outcome,
    SmokeCheck,
    VerifyError,
    choose_check,
    find_culprits,
    removed_names,
    render,
    verify,
)

ROOT = Path(__file__).resolve().parents[1]
FLASK = ROOT / "fixtures" / "verify" / "flask-apt" / "Dockerfile"
SDIST = ROOT / "fixtures" / "verify" / "sdist-needs-compiler" / "Dockerfile"

# --- find_culprits ---------------------------------------------------------------------------------


def _counting(bad: set[str] | None = None, bad_pairs: Sequence[set[str]] = ()):
    calls: list[tuple[str, ...]] = []

    def fails(applied: Sequence[str]) -> bool:
        calls.append(tuple(applied))
        s = set(applied)
        return bool(s & (bad or set())) or any(pair <= s for pair in bad_pairs)
    return fails, calls


def test_one_culprit_among_many_is_found_in_log_n_trials():
    keys = [f"f{i}" for i in range(16)]
    fails, calls = _counting({"f11"})
    found = find_culprits(keys, fails)
    assert [k for k, _ in found] == ["f11"]
    # the smallest failing prefix ends with the culprit
    assert found[0][1] == tuple(keys[:12])
    assert len(calls) <= 1 + 4 + 1  # the whole set, log2(16) halvings, the final check


def test_several_culprits_are_all_dropped_and_the_rest_kept():
    keys = ["a", "b", "c", "d", "e"]
    fails, _ = _counting({"b", "e"})
    assert sorted(k for k, _ in find_culprits(keys, fails)) == ["b", "e"]


def test_two_fixes_that_fail_only_together_lose_the_later_one():
    keys = ["a", "b", "c"]
    fails, _ = _counting(bad_pairs=[{"a", "c"}])
    assert [k for k, _ in find_culprits(keys, fails)] == ["c"]


def test_nothing_is_dropped_when_all_pass():
    fails, calls = _counting(set())
    assert find_culprits(["a", "b"], fails) == []
    assert calls == [("a", "b")]


# --- choose_check ------------------------------------------------------------------------------------


def test_the_healthcheck_comes_first_then_the_users_command_then_the_default_command():
    health = {"Healthcheck": {"Test": ["CMD-SHELL", "curl -f localhost:8000"]}, "Cmd": ["python3", "app.py"]}
    assert choose_check(health, "true") == SmokeCheck("healthcheck", ("/bin/sh", "-c", "curl -f localhost:8000"),
                                                      "curl -f localhost:8000")
    assert choose_check({"Healthcheck": {"Test": ["CMD", "/bin/check", "-q"]}}, None).argv == ("/bin/check", "-q")
    assert choose_check({"Healthcheck": {"Test": ["NONE"]}, "Cmd": ["x"]}, "id -u").kind == "verify-cmd"
    default = choose_check({"Entrypoint": ["/entry.sh"], "Cmd": ["serve"]}, None)
    assert (default.kind, default.argv) == ("default-command", ("/entry.sh", "serve"))


# --- removed_names -----------------------------------------------------------------------------------


def test_removed_packages_and_commands_are_named_from_the_lost_paths():
    original = {
        "usr/bin/gcc-12": Entry("file", 0o755, 10, "x"),
        "usr/bin/gcc": Entry("link", 0o777, 0, "gcc-12"),
        "usr/bin/README": Entry("file", 0o644, 1, "y"),
        "opt/tool/bin/run": Entry("file", 0o755, 1, "z"),
    }
    lost = ["var/lib/dpkg/info/gcc-12.list", "var/lib/dpkg/info/libc6-dev:amd64.list",
            "var/lib/dpkg/info/gcc-12.md5sums", "usr/bin/gcc-12", "usr/bin/gcc", "usr/bin/README",
            "usr/lib/python3/dist-packages/wheel-0.38.4.dist-info",
            "usr/local/lib/python3.11/site-packages/Flask-3.0.0.dist-info/METADATA",
            "usr/local/lib/python3.11/site-packages/Flask-3.0.0.dist-info", "opt/tool/bin/run"]
    r = removed_names(lost, original, ("/usr/local/bin", "/usr/bin", "/opt/tool/bin"))
    assert r.debian == ("gcc-12", "libc6-dev")
    assert r.python == ("Flask", "wheel")
    assert r.executables == ("gcc", "gcc-12", "run")


# --- verify() with a fake engine -------------------------------------------------------------------


class FakeEngine:
    """Builds "succeed" unless the Dockerfile text contains one of ``breaks`` (the error names it);
    the size is a base plus a weight per word present; the smoke check says ``outcome(text)``."""

    def __init__(self, breaks=(), weights=None, outcome=None, original_breaks=False):
        self.breaks = breaks
        self.weights = weights or {}
        self.outcome = outcome or (lambda _text: "running")
        self.original_breaks = original_breaks
        self.built: list[str] = []
        self.texts: dict[str, str] = {}
        self.cleaned = False

    def build(self, label: str, text: str, _creates: Sequence[tuple[str, str]]) -> Built:
        self.built.append(label)
        broken = [b for b in self.breaks if b in text]
        if (label == "original" and self.original_breaks) or broken:
            return Built(False, error=f"`docker build` failed:\n    Step 2/7 : RUN ...\n    E: {broken or 'no'}")
        tag = f"fake:{len(self.built)}"
        self.texts[tag] = text
        size = 100_000_000 + sum(w for word, w in self.weights.items() if word in text)
        return Built(True, tag, size)

    def smoke_check(self, _tag: str, _verify_cmd: str | None) -> SmokeCheck:
        return SmokeCheck("default-command", ("python3", "app.py"), "python3 app.py")

    def smoke(self, tag: str, _check: SmokeCheck) -> Outcome:
        return Outcome(self.outcome(self.texts[tag]))

    def files(self, tag: str) -> Mapping[str, Entry]:
        text = self.texts[tag]
        files = {"usr/bin/python3": Entry("file", 0o755, 1, "p")}
        if "--no-install-recommends" not in text:
            files["usr/bin/gcc"] = Entry("file", 0o755, 1, "g")
            files["var/lib/dpkg/info/gcc.list"] = Entry("file", 0o644, 1, "l")
        return files

    def path_dirs(self, _tag: str) -> tuple[str, ...]:
        return ("/usr/bin",)

    def cleanup(self) -> None:
        self.cleaned = True


def _fixed(path: Path, unsafe: bool = True, ignore: Sequence[str] = ("alpine-base",)) -> tuple[FixResult, object]:
    passes = resolve_passes(ignore=list(ignore))
    options = Options(unsafe_fixes=unsafe)
    text = path.read_text()

    def rerun(excluded: Collection[FixKey]) -> FixResult:
        return fix_text(text, passes, path=str(path), options=options, exclude=excluded)
    return rerun(()), rerun


def test_a_harmless_unsafe_fix_is_kept_with_its_saving():
    result, rerun = _fixed(FLASK)
    engine = FakeEngine(weights={"install -y python3": 480_000_000, "apt-get update\nRUN": 53_000_000})
    v = verify(str(FLASK), result, rerun, engine)
    assert not v.dropped
    assert v.result.text == result.text and "--no-install-recommends" in v.result.text
    assert [s.fix.finding.pass_id for s in v.savings] == ["cache-cleanup"]
    assert v.savings[0].bytes == 480_000_000  # the image without it minus the image with it
    assert v.removed.debian == ("gcc",) and v.removed.executables == ("gcc",)
    assert v.original_outcome == v.rewritten_outcome == Outcome("running")
    lines = "\n".join(render(v))
    assert "saves 480.0 MB" in lines and "Debian packages removed (1): gcc" in lines


def test_an_unsafe_fix_that_breaks_the_build_is_dropped_with_the_failing_steps_lines():
    result, rerun = _fixed(SDIST)
    engine = FakeEngine(breaks=["--no-install-recommends"])
    v = verify(str(SDIST), result, rerun, engine)
    assert [d.fix.finding.pass_id for d in v.dropped] == ["cache-cleanup"]
    assert "does not build" in v.dropped[0].reason and "Step 2/7" in v.dropped[0].reason
    assert "--no-install-recommends" not in v.result.text
    # what is kept is the safe rewrite, built and checked: the same text the fixer gives without unsafe fixes
    assert v.result.text == _fixed(SDIST, unsafe=False)[0].text
    assert all(a.finding.fix.safety.value == "safe" for a in v.result.applied)
    # original, full rewrite, safe-only: each text built once
    assert engine.built == ["original", "rewritten", "rewritten"]


def test_an_unsafe_fix_that_changes_the_smoke_outcome_is_dropped():
    result, rerun = _fixed(FLASK)
    engine = FakeEngine(outcome=lambda text: "exited 1" if "--no-install-recommends" in text else "running")
    v = verify(str(FLASK), result, rerun, engine)
    assert len(v.dropped) == 1
    assert "original running, rewritten exited 1" in v.dropped[0].reason


def test_when_even_the_safe_rewrite_fails_nothing_is_kept():
    result, rerun = _fixed(FLASK)
    engine = FakeEngine(breaks=["rm -rf /var/lib/apt/lists"])
    v = verify(str(FLASK), result, rerun, engine)
    assert v.result.text == result.original
    assert "even the safe fixes alone fail" in v.unverified


def test_an_original_that_does_not_build_is_an_error_not_a_verdict():
    result, rerun = _fixed(FLASK)
    with pytest.raises(VerifyError, match="the original does not build"):
        verify(str(FLASK), result, rerun, FakeEngine(original_breaks=True))


# --- the command line: errors come before any work, files untouched ----------------------------------


def test_verify_without_an_engine_is_an_error(tmp_path, monkeypatch, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(FLASK.read_text())
    monkeypatch.setenv("PATH", str(tmp_path / "no-docker-here"))
    assert main(["fix", "--isolated", "--verify", "--write", str(df)]) == 2
    assert "--verify needs a Docker engine" in capsys.readouterr().err
    assert df.read_text() == FLASK.read_text()


def test_verify_with_a_context_that_does_not_exist_is_an_error(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(FLASK.read_text())
    code = main(["fix", "--isolated", "--verify", "--write", "--context", str(tmp_path / "nope"), str(df)])
    assert code == 2
    assert "no such folder" in capsys.readouterr().err
    assert df.read_text() == FLASK.read_text()


def test_verify_options_without_verify_are_an_error(capsys):
    assert main(["fix", "--isolated", "--verify-cmd", "true", str(FLASK)]) == 2
    assert "go with --verify" in capsys.readouterr().err


# --- the fixer's hook -------------------------------------------------------------------------------


def test_an_excluded_fix_stays_out_when_the_fixer_finds_it_again_in_a_later_round():
    result, rerun = _fixed(FLASK)
    unsafe = [a for a in result.applied if a.finding.fix.safety.value == "unsafe"]
    assert [a.finding.pass_id for a in unsafe] == ["cache-cleanup"]
    without = rerun({unsafe[0].key})
    assert "--no-install-recommends" not in without.text
    assert without.text == _fixed(FLASK, unsafe=False)[0].text
    # the other fixes are the same ones, and the key names nothing in a run that lacks it
    assert [a.key for a in without.applied] == [a.key for a in result.applied if a is not unsafe[0]]
    assert rerun({unsafe[0].key, FixKey("merge-runs", 7, 1, "no such fix")}).text == without.text


LATEST = "FROM debian:latest\nWORKDIR /app\nRUN apt-get update && apt-get install -y make gcc\nCOPY . .\nRUN make\n"


def test_leaving_a_fix_out_never_lets_an_unverified_unsafe_fix_in(tmp_path):
    """Found by bench/effect on a public project: without pinned-base (`debian:latest` ->
    `debian:13`), alpine-base offers `debian:latest` -> alpine, a fix with another message than the
    one verified; it was applied unchecked, so "the safe fixes alone" held an Alpine FROM and the whole
    file was reported unverifiable. Only fixes of the first run may be kept, each one built."""
    path = tmp_path / "Dockerfile"
    path.write_text(LATEST)
    result, rerun = _fixed(path, ignore=())
    ids = {a.finding.pass_id for a in result.applied}
    assert {"pinned-base", "alpine-base"} <= ids
    engine = FakeEngine(breaks=["alpine"])          # no Alpine image on this engine
    v = verify(str(path), result, rerun, engine)
    assert not v.unverified
    assert "alpine" not in v.result.text and "FROM debian:13" in v.result.text
    assert [d.fix.finding.pass_id for d in v.dropped] == ["alpine-base"]
    first = {a.key for a in result.applied}
    assert all(a.key in first for a in v.result.applied if a.safety.value == "unsafe")
    # the safe-only build holds no unsafe fix either: the same text as the fixer without --unsafe-fixes
    assert _fixed(path, unsafe=False, ignore=())[0].text in engine.texts.values()


TWO_STAGES = ("FROM debian:bookworm AS builder\nRUN apt-get update && apt-get install -y build-essential cmake\n"
              "COPY . /src\nRUN cd /src && make\n\nFROM debian:bookworm-slim\nCOPY --from=builder /src/app .\n")


def test_a_fix_that_went_with_a_dropped_one_is_not_reported_kept(tmp_path):
    """Found by bench/effect on a public project (a cmake builder stage and a slim runtime): when the
    runtime stage's switch to Alpine is dropped, the builder stage's switch (offered only together
    with it) is no longer in the rewrite; the report said "kept" with 0.0 MB saved."""
    path = tmp_path / "Dockerfile"
    path.write_text(TWO_STAGES)
    result, rerun = _fixed(path, ignore=())
    assert [a.finding.pass_id for a in result.applied].count("alpine-base") == 2
    engine = FakeEngine(breaks=["alpine"])
    v = verify(str(path), result, rerun, engine)
    assert "alpine" not in v.result.text and not v.unverified
    in_final = {a.key for a in v.result.applied}
    assert all(s.fix.key in in_final for s in v.savings)
    # the runtime stage's switch fails the build and is dropped; the builder's goes with it
    assert [(d.fix.finding.pass_id, d.fix.line) for d in v.dropped] == [("alpine-base", 6)]
    assert [(a.finding.pass_id, a.line) for a in v.withdrawn] == [("alpine-base", 1)]
    report = "\n".join(render(v))
    assert "kept alpine-base" not in report
    assert "left out alpine-base (line 1, round 2): it applies only together with a dropped fix" in report
