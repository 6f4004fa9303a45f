"""exec-form runs the program the shell would have run, with the same arguments.

exec-form never changes the build; it changes the image config. What `docker inspect` shows as
`Config.Cmd` / `Config.Entrypoint` is what BuildKit's parser reads from the instruction: for the
shell form `["/bin/sh", "-c", <command line>]`, for the JSON form the array itself. So for every
command line the pass rewrites, we run the shell form for real -- `dash -c <command line>` with a
recording stand-in for the program -- and check that the program received exactly the arguments
of the JSON array, as BuildKit's own parser (PyPI `dockerfile`) reads it from the rewritten file.
Command lines are written by hand (the tricky quoting) and generated (random words over the
characters the shell treats specially); a line the shell would treat differently must get no fix.
"""

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from dockslim.passes import Safety
from dockslim.passes.exec_form import ExecForm
from dockslim.syntax import parse
from dockslim.testing import run_fix

DASH = shutil.which("dash")
pytestmark = pytest.mark.skipif(DASH is None, reason="dash (Debian's /bin/sh) is not installed")

STUB = '#!/bin/sh\nprintf "%s\\0" "$0" "$@" > "$RECORD"\n'


def _config(text: str) -> dict[str, list[str]]:
    """`Config.Cmd` / `Config.Entrypoint` of the last stage, as BuildKit's parser reads them."""
    try:
        import dockerfile
    except ImportError:  # no wheel for this platform: dockslim's parser, conformance-tested against it
        commands = [(i.cmd, i.is_json, i.value) for i in parse(text).instructions]
    else:
        commands = [(c.cmd.upper(), c.json, c.value) for c in dockerfile.parse_string(text)]
    config: dict[str, list[str]] = {}
    for cmd, is_json, value in commands:
        if cmd in ("CMD", "ENTRYPOINT"):
            config[cmd] = list(value) if is_json else ["/bin/sh", "-c", " ".join(value)]
    return config


def _run(argv: list[str], tmp_path: Path) -> list[str] | None:
    """Run an image command as the container would (execve of argv[0], PATH searched, the
    WORKDIR as cwd), every program a recording stand-in: the argv the program got, or None."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for folder in (bin_dir, tmp_path):
        for name in ("app", "run.sh", "python", "gunicorn"):
            (folder / name).write_text(STUB)
            (folder / name).chmod(0o755)
    record = tmp_path / "record"
    record.unlink(missing_ok=True)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD": str(record), "HOME": str(tmp_path / "home")}
    if argv[:2] == ["/bin/sh", "-c"]:
        argv = [DASH or "dash", *argv[1:]]  # /bin/sh of the Debian-based images is dash
    program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=env["PATH"])
    if program is None:
        return None
    proc = subprocess.run([program, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, timeout=10, check=False)
    if proc.returncode != 0 or not record.exists():
        return None
    recorded = record.read_bytes().decode().split("\0")[:-1]
    return [os.path.basename(recorded[0]), *recorded[1:]]


HAND_WRITTEN = [
    "python app.py",
    "exec python app.py --port 80",
    "gunicorn -b 0.0.0.0:8000 'app:create_app()'",
    'app "a b"  c\\ d \'e"f\' "g\\"h" "i\\\\j" k\\\\l',
    "app --opt=x=y -- -z",
    "./run.sh serve",
    'app "" \'\'',
    "app été 日本",
]


@pytest.mark.parametrize("line", HAND_WRITTEN)
def test_program_gets_the_same_arguments(line, tmp_path):
    before = f"FROM debian:bookworm\nCMD {line}\n"
    result = run_fix(ExecForm, before, unsafe=True)
    assert result.text != before, result.findings
    shell_argv = _run(_config(before)["CMD"], tmp_path)
    exec_argv = _config(result.text)["CMD"]
    assert shell_argv is not None
    assert shell_argv == [os.path.basename(exec_argv[0]), *exec_argv[1:]]
    assert _run(exec_argv, tmp_path) == shell_argv


_PIECES = ["a", "b", "x y", "'", '"', "\\", "$", "$X", "*", "?", "[", "]", "{", "}", ",", "~", "#",
           ";", "&", "|", "<", ">", "(", ")", "=", "-", "--", "é", "\t", "!", "`", "%", ":", "\\\\"]


def _random_line(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(1, 4)):
        words.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 4))))
    return " ".join(["app", *words])


def test_generated_command_lines(tmp_path):
    rng = random.Random(17)
    converted = refused = 0
    for _ in range(800):
        line = _random_line(rng)
        if "\t" in line.strip() and line.strip() != line:
            continue
        before = f"FROM debian:bookworm\nCMD {line}\n"
        result = run_fix(ExecForm, before, unsafe=True)
        if result.text == before:
            refused += 1
            continue
        converted += 1
        (finding,) = result.findings
        assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
        shell_argv = _run(_config(before)["CMD"], tmp_path)
        exec_argv = _config(result.text)["CMD"]
        assert shell_argv == exec_argv, (line, result.text)
    assert converted >= 50 and refused >= 50, (converted, refused)  # both sides are exercised


@pytest.mark.parametrize("line", ["echo hello world", "echo 'a  b' c", "true", "false"])
def test_builtins_converted_print_and_exit_as_the_programs_do(line):
    """`echo`, `true`, `false` are converted only where the shell's builtin and the program agree:
    same output, same exit status (dash's builtin vs coreutils' /bin/echo, /bin/true, /bin/false)."""
    before = f"FROM debian:bookworm\nCMD {line}\n"
    exec_argv = _config(run_fix(ExecForm, before, unsafe=True).text)["CMD"]
    assert exec_argv[0] in ("echo", "true", "false")
    env = {"PATH": "/usr/bin:/bin"}
    shell = subprocess.run([DASH or "dash", "-c", line], capture_output=True, env=env, check=False)
    program = subprocess.run([shutil.which(exec_argv[0], path=env["PATH"]) or exec_argv[0], *exec_argv[1:]],
                             capture_output=True, env=env, check=False)
    assert (shell.stdout, shell.returncode) == (program.stdout, program.returncode)


@pytest.mark.corpus
def test_corpus_conversions_run_the_same_program(tmp_path):
    """Every rewrite over a real-world corpus: the shell form played by dash with a stand-in for the
    program gives the program exactly the JSON array BuildKit reads from the rewritten file."""
    from dockslim.syntax import ParseError
    from tests.helpers import CORPUS_ENV, corpus_files, corpus_folders, read_dockerfile

    folders = corpus_folders()
    if not folders:
        pytest.skip(f"set {CORPUS_ENV} to a folder of real-world Dockerfiles")
    played, failures = 0, []
    for path in (p for folder in folders for p in corpus_files(folder)):
        text = read_dockerfile(path)
        try:
            result = run_fix(ExecForm, text, unsafe=True) if text is not None else None
        except ParseError:
            continue
        if result is None or result.text == text:
            continue
        for line, argv in _conversions(text, result.text):
            name = os.path.basename(argv[0])
            if argv[0].startswith("/"):
                continue  # an absolute program path cannot be stood in for outside a chroot
            stub_dir = tmp_path / str(played)
            stub_dir.mkdir()
            for where in ((stub_dir / "bin"), stub_dir):
                where.mkdir(exist_ok=True)
                (where / name).write_text(STUB)
                (where / name).chmod(0o755)
            record = stub_dir / "record"
            env = {"PATH": f"{stub_dir / 'bin'}:/usr/bin:/bin", "RECORD": str(record), "HOME": "/nonexistent"}
            subprocess.run([DASH or "dash", "-c", line], cwd=stub_dir, env=env, capture_output=True,
                           timeout=10, check=False)
            got = record.read_bytes().decode().split("\0")[:-1] if record.exists() else None
            played += 1
            if got is None or [os.path.basename(got[0]), *got[1:]] != [name, *argv[1:]]:
                failures.append(f"{path}: dash gave {got} for {line!r}, the JSON form says {argv}")
    print(f"played {played} exec-form rewrites; failures {len(failures)}")
    assert not failures, failures[:10]


def _conversions(before: str, after: str) -> list[tuple[str, list[str]]]:
    """(shell-form command line, JSON argv) for each CMD/ENTRYPOINT the rewrite turned to JSON."""
    old = [i for i in parse(before).instructions if i.effective.cmd in ("CMD", "ENTRYPOINT")]
    new = [i for i in parse(after).instructions if i.effective.cmd in ("CMD", "ENTRYPOINT")]
    return [(" ".join(o.effective.value), list(n.effective.value)) for o, n in zip(old, new, strict=True)
            if not o.effective.is_json and n.effective.is_json]
