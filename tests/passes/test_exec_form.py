"""exec-form: before/after, notes for command lines that need a shell, per-occurrence safety
(ENTRYPOINT with a CMD in effect is display-only), the `exec-form-wrap` setting, fixtures."""

from pathlib import Path

import pytest

from dockslim.fixer import fix_text
from dockslim.passes import REGISTRY, Options, Safety
from dockslim.passes.exec_form import ExecForm
from dockslim.syntax import parse
from dockslim.testing import assert_fix, assert_no_fix, run_fix

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "exec-form"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "Dockerfile").exists())


def _findings(text: str, **options):
    return list(ExecForm().check(_ctx(text, **options)))


def _ctx(text: str, **options):
    from dockslim.passes import Context

    return Context(parse(text), options=Options(**options))


def _wrap(before: str, after: str) -> None:
    passes = [ExecForm()]
    result = fix_text(before, passes, options=Options(unsafe_fixes=True, exec_form_wrap=True))
    assert result.text == after, result.text
    again = fix_text(result.text, passes, options=Options(unsafe_fixes=True, exec_form_wrap=True))
    assert again.text == after


# --------------------------------------------------------------------------- rewrites


@pytest.mark.parametrize("before, after", [
    ("CMD python app.py", 'CMD ["python", "app.py"]'),
    ("ENTRYPOINT ./run.sh", 'ENTRYPOINT ["./run.sh"]'),
    ("CMD exec python app.py", 'CMD ["python", "app.py"]'),
    ("cmd  gunicorn app:app -b 0.0.0.0:8000  ", 'cmd  ["gunicorn", "app:app", "-b", "0.0.0.0:8000"]  '),
    # quotes and backslashes: the shell's words, JSON-escaped
    ("CMD python -c 'print(\"hi\")'", 'CMD ["python", "-c", "print(\\"hi\\")"]'),
    ('CMD app "a b" a\\ b \'c\\d\'', 'CMD ["app", "a b", "a b", "c\\\\d"]'),
    ("CMD app --name=été", 'CMD ["app", "--name=été"]'),
    ("CMD /usr/bin/echo -e hi", 'CMD ["/usr/bin/echo", "-e", "hi"]'),  # a path is a program, not the builtin
    ("CMD echo hello world", 'CMD ["echo", "hello", "world"]'),  # the builtin and /bin/echo agree here
    ("CMD true", 'CMD ["true"]'),
])
def test_plain_command_lines_become_json(before, after):
    assert_fix(ExecForm, f"FROM python:3.12\n{before}\n", f"FROM python:3.12\n{after}\n", unsafe=True)


def test_continuation_lines_become_one_line():
    assert_fix(ExecForm, "FROM python:3.12\nCMD python app.py \\\n    --port 80\nEXPOSE 80\n",
               'FROM python:3.12\nCMD ["python", "app.py", "--port", "80"]\nEXPOSE 80\n', unsafe=True)


def test_comment_line_inside_the_instruction_is_kept():
    result = assert_no_fix(ExecForm, "FROM python:3.12\nCMD python app.py \\\n# the port\n    --port 80\n",
                           unsafe=True)
    assert any(f.note and "comment lines" in f.message for f in result.findings)


def test_escape_directive_backtick():
    # With `# escape=`` the backslash is an ordinary character for the Dockerfile; the shell still
    # unescapes `\\` to `\`, and JSON spells that `"\\"`.
    assert_fix(ExecForm, "# escape=`\nFROM python:3.12\nCMD python C:\\\\app\\\\run.py `\n  --x\n",
               '# escape=`\nFROM python:3.12\nCMD ["python", "C:\\\\app\\\\run.py", "--x"]\n', unsafe=True)
    ins = parse('# escape=`\nFROM python:3.12\nCMD ["python", "C:\\\\app\\\\run.py", "--x"]\n').instructions[-1]
    assert ins.value == ("python", "C:\\app\\run.py", "--x")


def test_onbuild_cmd_is_rewritten_inside_onbuild():
    assert_fix(ExecForm, "FROM python:3.12\nONBUILD CMD python app.py\n",
               'FROM python:3.12\nONBUILD CMD ["python", "app.py"]\n', unsafe=True)


def test_posix_shell_instruction_with_safe_options():
    before = 'FROM python:3.12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD app x\n'
    assert_fix(ExecForm, before, before.replace("CMD app x", 'CMD ["app", "x"]'), unsafe=True)


def test_without_unsafe_fixes_nothing_changes():
    result = assert_no_fix(ExecForm, "FROM python:3.12\nCMD python app.py\n")
    assert [f.fix.safety for f in result.findings if f.fix] == [Safety.UNSAFE]


# --------------------------------------------------------------------------- left alone, with a note


@pytest.mark.parametrize("line, why", [
    ("CMD python $APP", "expanded"),
    ("CMD python ${APP:-app.py}", "expanded"),
    ('CMD python "$HOME/app.py"', "expanded"),
    ("CMD python ~/app.py", "expanded"),
    ("CMD python $(cat name)", "expanded"),
    ("CMD python app.{py,pyc}", "expanded"),
    ("CMD python *.py", "glob"),
    ("CMD python app.py && echo done", "operators"),
    ("CMD python app.py; echo done", "operators"),
    ("CMD python app.py | tee log", "shell syntax"),
    ("CMD python app.py &", "shell syntax"),
    ("CMD python app.py;", "shell syntax"),
    ("CMD python app.py > /log", "redirects"),
    ("CMD python app.py 2>&1", "redirects"),
    ("CMD PORT=80 python app.py", "variables"),
    ("CMD python app.py # start it", "comment"),
    ("CMD echo -n hello", "builtin"),
    ("CMD echo 'a\\nb'", "builtin"),  # dash's echo prints a newline there, /bin/echo a backslash
    ("CMD cd /app", "builtin"),
    ("CMD exec -a name python app.py", "exec"),
    ("CMD if true; then app; fi", "shell syntax"),
    ("CMD (app)", "shell syntax"),
    ("CMD app 'unterminated", "analysed"),
    ("CMD ['python', 'app.py']", "not valid JSON"),
    ('CMD ["python" "app.py"]', "not valid JSON"),
])
def test_command_lines_that_need_a_shell_get_a_note(line, why):
    result = assert_no_fix(ExecForm, f"FROM python:3.12\n{line}\n", unsafe=True)
    notes = [f for f in result.findings if f.note]
    assert len(notes) == 1 and why in notes[0].message and notes[0].fix is None, result.findings


@pytest.mark.parametrize("text, why", [
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD app.exe\n", "Windows"),
    ("FROM python:3.12-windowsservercore\nCMD python app.py\n", "Windows"),
    ('FROM python:3.12\nSHELL ["powershell", "-Command"]\nCMD app\n', "not a POSIX shell"),
    ('FROM python:3.12\nSHELL ["/bin/bash", "-lc"]\nCMD app\n', "may change"),
    ('FROM python:3.12\nSHELL ["/bin/sh", "-xc"]\nCMD app\n', "may change"),
])
def test_shells_the_model_does_not_cover_get_a_note(text, why):
    result = assert_no_fix(ExecForm, text, unsafe=True)
    assert [f for f in result.findings if f.note and why in f.message]


def test_shell_inherited_from_a_stage():
    text = 'FROM python:3.12 AS base\nSHELL ["pwsh", "-c"]\nFROM base\nCMD app\n'
    result = assert_no_fix(ExecForm, text, unsafe=True)
    assert result.findings and all(f.note for f in result.findings)


def test_shell_set_after_the_cmd_does_not_apply_to_it():
    text = 'FROM python:3.12\nCMD app\nSHELL ["pwsh", "-c"]\n'
    assert_fix(ExecForm, text, text.replace("CMD app", 'CMD ["app"]'), unsafe=True)


@pytest.mark.parametrize("text", [
    'FROM python:3.12\nCMD ["python", "app.py"]\n',
    'FROM python:3.12\nENTRYPOINT ["./run.sh"]\n',
    "FROM python:3.12\nRUN python app.py\n",
    "FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/\n",
    "# check=skip=JSONArgsRecommended\nFROM python:3.12\nCMD python app.py\n",
    "# check=skip=all;error=true\nFROM python:3.12\nCMD python app.py\n",
    "FROM python:3.12\n# hadolint ignore=DL3025\nCMD python app.py\n",
    "FROM python:3.12\n# dockslim: ignore[exec-form]\nCMD python app.py\n",
])
def test_nothing_to_do(text):
    result = assert_no_fix(ExecForm, text, unsafe=True)
    assert not [f for f in result.findings if f.fix], result.findings


# --------------------------------------------------------------------------- ENTRYPOINT and CMD


@pytest.mark.parametrize("text, where", [
    ('FROM python:3.12\nENTRYPOINT ./run.sh\nCMD ["--help"]\n', "this stage"),
    ('FROM python:3.12\nCMD ["--help"]\nENTRYPOINT ./run.sh\n', "this stage"),
    ('FROM python:3.12 AS base\nENTRYPOINT ./run.sh\nFROM base\nCMD ["serve"]\n', "line 3"),
    ('FROM python:3.12 AS base\nENTRYPOINT ./run.sh\nFROM base AS mid\nFROM mid\nCMD ["serve"]\n', "line 4"),
])
def test_entrypoint_with_a_cmd_in_effect_is_display_only(text, where):
    result = assert_no_fix(ExecForm, text, unsafe=True)
    entry = [f for f in result.findings if f.message.startswith("ENTRYPOINT")]
    assert len(entry) == 1 and entry[0].fix.safety is Safety.DISPLAY and where in entry[0].message


def test_child_stage_with_its_own_entrypoint_does_not_count():
    text = 'FROM python:3.12 AS base\nENTRYPOINT ./run.sh\nFROM base\nENTRYPOINT ["x"]\nCMD ["y"]\n'
    assert_fix(ExecForm, text, text.replace("ENTRYPOINT ./run.sh", 'ENTRYPOINT ["./run.sh"]'), unsafe=True)


def test_inherited_cmd_is_reset_by_entrypoint():
    # BuildKit clears a CMD inherited from the base when a stage sets ENTRYPOINT without a CMD.
    text = 'FROM python:3.12 AS base\nCMD ["serve"]\nFROM base\nENTRYPOINT ./run.sh\n'
    assert_fix(ExecForm, text, text.replace("ENTRYPOINT ./run.sh", 'ENTRYPOINT ["./run.sh"]'), unsafe=True)


def test_onbuild_entrypoint_is_display_only():
    result = assert_no_fix(ExecForm, "FROM python:3.12\nONBUILD ENTRYPOINT ./run.sh\n", unsafe=True)
    assert [f.fix.safety for f in result.findings] == [Safety.DISPLAY]


def test_cmd_under_an_exec_form_entrypoint_says_what_it_receives():
    text = 'FROM python:3.12\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD python app.py\n'
    result = assert_fix(ExecForm, text, text.replace("CMD python app.py", 'CMD ["python", "app.py"]'),
                        unsafe=True)
    (finding,) = result.findings
    assert "line 2 receives" in finding.message and '"/bin/sh", "-c"' in finding.message


# --------------------------------------------------------------------------- exec-form-wrap


def test_wrap_is_off_by_default():
    assert_no_fix(ExecForm, "FROM python:3.12\nCMD python app.py && echo done\n", unsafe=True)


def test_wrap_uses_the_default_shell_unsafely():
    _wrap("FROM python:3.12\nCMD app $PORT\n", 'FROM python:3.12\nCMD ["/bin/sh", "-c", "app $PORT"]\n')
    (finding,) = _findings("FROM python:3.12\nCMD app $PORT\n", exec_form_wrap=True)
    assert finding.fix.safety is Safety.UNSAFE and "sets no SHELL" in finding.message


def test_wrap_with_a_known_shell_is_safe_and_equals_what_docker_records():
    before = 'FROM python:3.12\nSHELL ["/bin/bash", "-lc"]\nENTRYPOINT a && b "$X"\n'
    after = 'FROM python:3.12\nSHELL ["/bin/bash", "-lc"]\nENTRYPOINT ["/bin/bash", "-lc", "a && b \\"$X\\""]\n'
    _wrap(before, after)
    (finding,) = _findings(before, exec_form_wrap=True)
    assert finding.fix.safety is Safety.SAFE
    # The image config: shell form records SHELL + [command line]; the wrap writes that list.
    shell_form, exec_form = parse(before).instructions[-1], parse(after).instructions[-1]
    assert ("/bin/bash", "-lc", *shell_form.value) == exec_form.value
    _wrap("FROM scratch\nCMD a; b\n", 'FROM scratch\nCMD ["/bin/sh", "-c", "a; b"]\n')
    assert _findings("FROM scratch\nCMD a; b\n", exec_form_wrap=True)[0].fix.safety is Safety.SAFE


def test_wrap_leaves_windows_and_onbuild_alone():
    assert not [f for f in _findings("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD a && b\n",
                                     exec_form_wrap=True) if f.fix]
    assert not [f for f in _findings("FROM python:3.12\nONBUILD CMD a && b\n", exec_form_wrap=True) if f.fix]


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("case", CASES)
def test_fixture(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    expected = (folder / "Dockerfile.expected").read_text()
    result = run_fix(ExecForm, before, context=folder, unsafe=True)
    assert result.text == expected
    assert run_fix(ExecForm, expected, context=folder, unsafe=True).text == expected
    assert result.findings, "every fixture shows what the pass says"
    if expected == before:
        assert all(f.note or f.fix.safety is Safety.DISPLAY for f in result.findings)


def test_fixtures_with_buildkits_parser():
    dockerfile = pytest.importorskip("dockerfile")
    for case in CASES:
        dockerfile.parse_string((FIXTURES / case / "Dockerfile.expected").read_text())


def test_registered_and_documented():
    assert ExecForm in REGISTRY and ExecForm.hadolint == ("DL3025",)
    from dockslim.suppress import passes_for_hadolint

    assert passes_for_hadolint("DL3025") == {"exec-form"}


def test_wrap_is_a_configuration_setting(tmp_path, capsys):
    from dockslim.cli import main

    (tmp_path / ".dockslim.toml").write_text("exec-form-wrap = true\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCMD a && b\n")
    assert main(["fix", "--write", "--select", "exec-form", str(dockerfile)]) == 0
    assert dockerfile.read_text() == 'FROM scratch\nCMD ["/bin/sh", "-c", "a && b"]\n'
    (tmp_path / ".dockslim.toml").write_text("exec-form-wrap = 1\n")
    assert main(["fix", str(dockerfile)]) == 2
    assert "'exec-form-wrap' must be true or false" in capsys.readouterr().err


def test_crlf_and_bom_are_kept():
    assert_fix(ExecForm, "\ufeffFROM python:3.12\r\nCMD python app.py \\\r\n  --x\r\nEXPOSE 80\r\n",
               '\ufeffFROM python:3.12\r\nCMD ["python", "app.py", "--x"]\r\nEXPOSE 80\r\n', unsafe=True)
