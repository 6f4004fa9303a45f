"""The start-up fast path parses `fix`/`check` command lines exactly as typer does, or not at all.

For every generated command line the fast path accepts, typer (the full CLI definition in
``dockslim.cli``) must call the same command with the same arguments. Command lines it refuses go
to typer, which owns help and usage errors -- so refusing is always safe, accepting must be exact.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockslim import cli, commands, entry
from dockslim.output import FORMATS


def _via_typer(monkeypatch, argv):
    calls = []

    def capture(name):
        def stub(paths, **kwargs):
            calls.append((name, {"paths": paths, **kwargs}))
            return 0
        return stub

    monkeypatch.setattr(cli, "run_fix", capture("fix"))
    monkeypatch.setattr(cli, "run_check", capture("check"))
    code = cli.typer_main(list(argv))
    return code, calls


def _via_fast_path(monkeypatch, argv):
    calls = []
    monkeypatch.setattr(commands, "run_fix", lambda **kw: calls.append(("fix", kw)) or 0)
    monkeypatch.setattr(commands, "run_check", lambda **kw: calls.append(("check", kw)) or 0)
    code = entry.main(list(argv))
    return code, calls


VALUES = st.sampled_from(["merge-runs", "cache-cleanup,merge-runs", "", "cleanup", "mount", "json",
                          "sarif", "text", "xml", "a b", "-", "-x", "dir/.dockslim.toml"])
OPTION_NAMES = sorted(set(entry._OPTIONS["fix"]) | {"--bogus", "-qq", "--help", "-h", "--version",
                                                    "--sel", "--diff=yes"})
TOKENS = st.one_of(
    st.sampled_from(OPTION_NAMES),
    st.builds(lambda o, v: f"{o}={v}", st.sampled_from(OPTION_NAMES), VALUES),
    st.sampled_from(["Dockerfile", "-", "a b/Dockerfile", "x=y", "--", "fix", "check", ""]),
    VALUES,
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["fix", "check"]), st.lists(TOKENS, max_size=8))
def test_every_command_line_the_fast_path_takes_is_parsed_as_typer_parses_it(command, tokens):
    argv = [command, *tokens]
    parsed = entry.parse(argv)
    if parsed is None:
        return
    with pytest.MonkeyPatch.context() as mp:
        code, calls = _via_typer(mp, argv)
    assert code == 0 and calls == [parsed], (argv, calls, parsed)


@pytest.mark.parametrize("argv", [
    ["check", "Dockerfile"],
    ["fix", "--diff", "Dockerfile"],
    ["fix", "--write", "-q", "a/Dockerfile", "b/Dockerfile"],
    ["check", "--format", "sarif", "--select", "merge-runs", "--select=cache-cleanup", "."],
    ["fix", "--unsafe-fixes", "--cache-style", "mount", "--context", "ctx", "Dockerfile"],
    ["check", "--no-unsafe-fixes", "--isolated", "--allow-unmapped", "--ignore", "alpine-base", "-"],
    ["fix", "--config", "c.toml", "Dockerfile", "--quiet", "--", "--odd-name"],
])
def test_everyday_command_lines_take_the_fast_path_with_typers_arguments(monkeypatch, argv):
    fast_code, fast = _via_fast_path(monkeypatch, argv)
    typer_code, slow = _via_typer(monkeypatch, argv)
    assert fast and fast == slow and fast_code == typer_code == 0


@pytest.mark.parametrize("argv", [
    [], ["--version"], ["fix"], ["check", "--help"], ["fix", "-h"], ["rules"], ["explain", "merge-runs"],
    ["check", "--format", "xml", "Dockerfile"], ["check", "--select"], ["fix", "--bogus", "x"],
    ["check", "--isolated=yes", "x"], ["fix", "-qq", "x"],
])
def test_help_errors_and_other_commands_go_to_typer(argv):
    assert entry.parse(argv) is None


def test_the_fast_path_knows_every_format_and_option_of_the_cli():
    import typer.main

    assert entry.FORMATS == FORMATS
    group = typer.main.get_command(cli.app)
    for name in ("fix", "check"):
        declared = {opt for p in group.commands[name].params for opt in (*p.opts, *p.secondary_opts)
                    if opt.startswith("-")} - {"--help"} - entry.TYPER_ONLY[name]
        assert declared == set(entry._OPTIONS[name]), name


def test_a_one_file_check_does_not_import_typer(tmp_path):
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n")
    code = ("import sys; from dockslim.entry import main; rc = main(['check', sys.argv[1]]); "
            "print('typer' in sys.modules, 'click' in sys.modules, rc)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Dockerfile")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False 1"
