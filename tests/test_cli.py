"""The CLI contract, through ``main(argv)``: outputs, exit codes, bad inputs, files untouched."""

import os
import stat

import pytest

from dockslim import __version__
from dockslim.cli import main

# python:3-alpine: on a Debian-based python:3, alpine-base offers an (unsafe) switch to Alpine
SEED = "FROM python:3-alpine\nMAINTAINER me\nADD . /code/\n"
CLEAN = "FROM python:3-alpine\nCOPY . /code/\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_text(SEED)
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".dockerignore").write_text(".git\n")  # else reorder-for-cache offers one
    return tmp_path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_fix_diff_is_default_and_exits_1(project, capsys):
    code, out, err = run(["fix", project / "Dockerfile"], capsys)
    assert code == 1
    assert out.startswith("--- a/") and "+COPY . /code/" in out and '+LABEL maintainer="me"' in out
    assert "fixed add-to-copy" in err and "fixed maintainer-to-label" in err
    assert (project / "Dockerfile").read_text() == SEED  # --diff never writes


def test_fix_diff_exit_0_when_nothing_changes(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(CLEAN)
    (tmp_path / ".dockerignore").write_text(".git\n")
    code, out, _ = run(["fix", "--diff", tmp_path / "Dockerfile"], capsys)
    assert (code, out) == (0, "")


def test_fix_write_rewrites_atomically_keeping_mode(project, capsys):
    path = project / "Dockerfile"
    os.chmod(path, 0o640)
    code, out, _ = run(["fix", "--write", path], capsys)
    assert code == 0 and out == ""
    assert path.read_text() == 'FROM python:3-alpine\nLABEL maintainer="me"\nCOPY . /code/\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert [p.name for p in project.iterdir() if p.name.startswith(".dockslim-")] == []
    # idempotent: a second fix changes nothing
    assert run(["fix", path], capsys)[0] == 0


def test_write_keeps_crlf_bom_and_symlink(tmp_path, capsys):
    real = tmp_path / "real.Dockerfile"
    real.write_bytes("\ufeffFROM a\r\nADD app /x\r\n".encode())
    (tmp_path / "app").mkdir()
    link = tmp_path / "Dockerfile"
    link.symlink_to(real)
    assert run(["fix", "--write", link], capsys)[0] == 0
    assert link.is_symlink()
    assert real.read_bytes() == "\ufeffFROM a\r\nCOPY app /x\r\n".encode()


def test_folder_discovery_skips_vendored_dirs(tmp_path, capsys):
    for rel in ["Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile.dev", "svc/Containerfile",
                "node_modules/x/Dockerfile", ".git/Dockerfile", "notes.txt"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("FROM a\nMAINTAINER x\n")
    code, out, _ = run(["check", tmp_path], capsys)
    assert code == 1
    reported = sorted({line.split(":")[0] for line in out.splitlines()})
    assert reported == sorted(str(tmp_path / r) for r in
                              ["Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile.dev", "svc/Containerfile"])


def test_stdin_to_stdout(monkeypatch, capsys):
    import io
    import sys

    class FakeStdin(io.TextIOWrapper):
        pass

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM a\nMAINTAINER me\n")))
    code, out, _ = run(["fix", "-"], capsys)
    assert code == 0 and out == 'FROM a\nLABEL maintainer="me"\n'


def test_check_lists_findings_and_exit_codes(project, tmp_path, capsys):
    code, out, _ = run(["check", project / "Dockerfile"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("Dockerfile:2:1: maintainer-to-label MAINTAINER is deprecated: use LABEL maintainer=... [*]")
    assert ":3:1: add-to-copy" in lines[1]
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "Dockerfile").write_text(CLEAN)
    (clean / ".dockerignore").write_text(".git\n")
    assert run(["check", clean / "Dockerfile"], capsys)[:2] == (0, "")


def test_select_and_ignore(project, capsys):
    code, out, _ = run(["check", "--select", "add-to-copy", project / "Dockerfile"], capsys)
    assert "maintainer-to-label" not in out and "add-to-copy" in out
    code, out, _ = run(["check", "--ignore", "add-to-copy,maintainer-to-label", project / "Dockerfile"], capsys)
    assert (code, out) == (0, "")


def test_unsafe_fixes_flag(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text("FROM a\nADD missing /x\n")
    code, out, err = run(["fix", tmp_path / "Dockerfile"], capsys)
    assert (code, out) == (0, "") and "--unsafe-fixes" in err
    code, out, _ = run(["fix", "--unsafe-fixes", tmp_path / "Dockerfile"], capsys)
    assert code == 1 and "+COPY missing /x" in out


def test_rules_and_explain(capsys):
    code, out, _ = run(["rules"], capsys)
    assert code == 0 and "add-to-copy" in out and "maintainer-to-label" in out and "safe" in out
    code, out, _ = run(["explain", "add-to-copy"], capsys)
    assert code == 0 and "## What it does" in out and "## Fix safety" in out


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"dockslim {__version__}"


@pytest.mark.parametrize("argv, needle", [
    (["check", "--select", "merge-runz", "x"], "unknown pass id 'merge-runz'"),
    (["explain", "nope"], "unknown pass id 'nope'"),
    (["fix", "--no-such-flag", "x"], "No such option"),
])
def test_bad_options_exit_2(argv, needle, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and needle in err


BAD_INPUTS = [
    ("missing", None, "no such file"),
    ("binary", b"\x7fELF\x00\x00\x01", "binary file"),
    ("latin1", "FROM a\nLABEL x=caf\xe9\n".encode("latin-1"), "2:12: not valid UTF-8"),
    ("empty", b"", "file with no instructions"),
    ("comments", b"# just a comment\n", "file with no instructions"),
    ("unknown", b"FROM a\nFOO bar\n", "2:1: unknown instruction: FOO"),
    ("notdocker", b"hello world\n", "1:1: unknown instruction: hello"),
    ("nofrom", b"RUN echo\n", "1:1: RUN before the first FROM"),
    ("heredoc", b"FROM a\nRUN <<EOF\necho\n", "2:1: unterminated heredoc"),
    ("badjson", b'FROM a\nCMD ["a", 1]\n', "2:1: when using JSON array syntax"),
    ("escape", b"# escape=x\nFROM a\n", "1:1: invalid escape token"),
    ("envnoval", b"FROM a\nENV A\n", "2:1: ENV must have two arguments"),
    ("nul-inside", b"FROM a\nRUN echo hi\x00there\n", "2:12: binary file (NUL byte)"),
    ("invalid-utf8", b"FROM a\nRUN echo \xff\xfe\n", "2:10: not valid UTF-8 (byte 0xff)"),
    ("huge", b"FROM a\n" + b"RUN true\n" * 300_000, "file too large"),
    ("heredoc-in-copy", b"FROM a\nCOPY <<EOF /x\nhello\n", "unterminated heredoc"),
]


@pytest.mark.parametrize("data, needle", [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
@pytest.mark.parametrize("command", [["check"], ["fix"], ["fix", "--write"]])
def test_bad_input_is_a_clear_error_and_file_untouched(tmp_path, capsys, data, needle, command):
    path = tmp_path / "Dockerfile"
    if data is not None:
        path.write_bytes(data)
    code, out, err = run(command + [path], capsys)
    assert code == 2
    assert f"{path}:" in err and needle in err
    assert "Traceback" not in err and out == ""
    if data is not None:
        assert path.read_bytes() == data


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "Dockerfile").write_bytes(b"\x00")
    (tmp_path / "b" / "Dockerfile").write_text("FROM a\nMAINTAINER me\n")
    code, out, err = run(["fix", "--write", tmp_path], capsys)
    assert code == 2 and "binary file" in err
    assert (tmp_path / "b" / "Dockerfile").read_text() == 'FROM a\nLABEL maintainer="me"\n'


def test_unreadable_file(tmp_path, capsys, monkeypatch):
    # Tests run as root (CI too), where chmod 0 does not stop reading: simulate the refusal.
    import dockslim.io

    path = tmp_path / "Dockerfile"
    path.write_text(SEED)

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dockslim.io, "open", refuse, raising=False)
    code, _, err = run(["check", path], capsys)
    assert code == 2 and "cannot read" in err


def test_read_only_folder_under_write_leaves_file_intact(tmp_path, capsys, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(SEED)
    import tempfile

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    code, _, err = run(["fix", "--write", path], capsys)
    assert code == 2 and "cannot write: Permission denied" in err
    assert path.read_text() == SEED


def test_no_dockerfile_in_folder(tmp_path, capsys):
    code, _, err = run(["check", tmp_path], capsys)
    assert code == 2 and "no Dockerfile found" in err


# --- inputs that are not errors: handled, quickly, and the file is the user's -----------------------


def test_unterminated_json_is_shell_form_as_buildkit_reads_it(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    data = b'FROM python:3-alpine\nCMD ["python", "app.py"\n'
    path.write_bytes(data)
    code, _, err = run(["fix", "--write", path], capsys)
    assert code == 0 and "Traceback" not in err
    assert path.read_bytes() == data


def test_ten_thousand_continuation_lines(tmp_path, capsys):
    import time

    body = "".join(f"    && echo {i} \\\n" for i in range(10_000))
    path = tmp_path / "Dockerfile"
    path.write_text(f"FROM python:3-alpine\nRUN true \\\n{body}    && true\nRUN echo done\n")
    t0 = time.perf_counter()
    code, out, err = run(["fix", "--diff", path], capsys)
    assert code == 1 and "Traceback" not in err and "+    && echo done" in out
    assert time.perf_counter() - t0 < 30  # linear: about a second on a loaded 2-core machine


def test_read_only_file_under_write_is_an_error_and_intact(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text(SEED)
    path.chmod(0o444)
    code, _, err = run(["fix", "--write", path], capsys)
    assert code == 2 and "read-only" in err
    assert path.read_text() == SEED and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_folder_with_an_unreadable_file_reports_it_and_does_the_rest(tmp_path, capsys, monkeypatch):
    import builtins

    import dockslim.io

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM python:3-alpine\nMAINTAINER me\n")
    locked = str(tmp_path / "a" / "Dockerfile")

    def guarded_open(file, *a, **k):  # root reads through chmod 0: simulate the refusal
        if str(file) == locked:
            raise PermissionError(13, "Permission denied")
        return builtins.open(file, *a, **k)

    monkeypatch.setattr(dockslim.io, "open", guarded_open, raising=False)
    monkeypatch.setenv("DOCKSLIM_JOBS", "1")
    code, _, err = run(["fix", "--write", tmp_path], capsys)
    assert code == 2 and f"{locked}: cannot read: Permission denied" in err
    assert (tmp_path / "b" / "Dockerfile").read_text() == 'FROM python:3-alpine\nLABEL maintainer="me"\n'


def test_symlinked_dockerfile_in_a_folder_is_fixed_through_its_target(tmp_path, capsys):
    real = tmp_path / "real.Dockerfile"
    real.write_text("FROM python:3-alpine\nMAINTAINER me\n")
    (tmp_path / "Dockerfile").symlink_to(real.name)
    code, _, err = run(["fix", "--write", tmp_path / "Dockerfile"], capsys)
    assert code == 0 and (tmp_path / "Dockerfile").is_symlink()
    assert real.read_text() == 'FROM python:3-alpine\nLABEL maintainer="me"\n'


def test_many_files_go_to_workers_and_print_in_file_order(tmp_path, capsys, monkeypatch):
    from dockslim import batch

    monkeypatch.setattr(batch, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setenv("DOCKSLIM_JOBS", "2")
    for i in range(12):
        (tmp_path / f"{i:02d}.Dockerfile").write_text(f"FROM python:3-alpine\nMAINTAINER m{i}\n")
    code, out, _ = run(["check", tmp_path], capsys)
    assert code == 1
    order = [line.split(":", 1)[0] for line in out.splitlines() if "maintainer-to-label" in line]
    assert order == sorted(order) and len(order) == 12


def test_every_run_option_has_a_flag_and_every_flag_a_field():
    from dockslim import cli
    from dockslim.options import RunOptions

    assert {f.field for f in cli.FLAGS} == set(RunOptions.__record_fields__)
    for command in cli.ALL:  # one flag per field and command (measure has its own --format)
        fields = [f.field for f in cli.FLAGS if command in f.commands]
        assert len(fields) == len(set(fields)), command


def test_options_reach_the_command_as_one_record(project, monkeypatch):
    import dockslim.commands

    seen = []
    monkeypatch.setattr(dockslim.commands, "run_check", lambda paths, options: seen.append((paths, options)) or 0)
    code = main(["check", "--select", "add-to-copy,merge-runs", "--select", "maintainer-to-label", "-q",
                 "--no-unsafe-fixes", "--format", "json", str(project / "Dockerfile")])
    from dockslim.options import RunOptions

    assert code == 0
    assert seen == [([str(project / "Dockerfile")],
                     RunOptions(select=("add-to-copy", "merge-runs", "maintainer-to-label"), unsafe_fixes=False,
                                output_format="json", quiet=True))]


@pytest.mark.parametrize("raised, code, needle", [
    (KeyboardInterrupt(), 130, ""),
    (RuntimeError("boom"), 2, "dockslim: internal error: RuntimeError: boom"),
])
def test_how_a_command_ends_becomes_an_exit_code(project, capsys, monkeypatch, raised, code, needle):
    import dockslim.commands

    def fail(_paths, _options):
        raise raised

    monkeypatch.setattr(dockslim.commands, "run_fix", fail)
    got, out, err = run(["fix", project / "Dockerfile"], capsys)
    assert got == code and needle in err and "Traceback" not in err


def test_help_shows_defaults_and_argument_help_without_markup(capsys):
    # typer <0.22 printed `\[default: ...]` when rich was installed; typer 0.25 with click 8.5
    # dropped the arguments' help (docs/decisions/dependencies.md).
    code, out, _ = run(["fix", "--help"], capsys)
    assert code == 0
    assert "[default: auto]" in out and "\\[" not in out
    assert "Dockerfiles or folders to search" in out


def test_only_the_cli_imports_typer():
    import subprocess
    import sys

    probe = ("import sys, dockslim.commands, dockslim.measure, dockslim.github.flow, dockslim.engine\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
