"""Golden tests for every output format of `check` and `fix`, plus the SARIF schema check.

Expected outputs live in tests/golden/<fixture>/<command>.<format>. They are compared, never
rewritten, unless DOCKSLIM_UPDATE_GOLDEN=1 is set:

    DOCKSLIM_UPDATE_GOLDEN=1 /tmp/venv/bin/pytest tests/output/test_formats.py

Passes are selected explicitly so that passes added later do not change these outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockslim import __version__
from dockslim.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SELECT = "add-to-copy,maintainer-to-label,merge-runs"
FIXTURES = {"seed": "fixtures/seed/Dockerfile", "multistage": "fixtures/formats/multistage/Dockerfile"}
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "github": "github", "rdjson": "rdjson"}
UPDATE = os.environ.get("DOCKSLIM_UPDATE_GOLDEN") == "1"


def run(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in outputs are relative to the repository
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def normalise(text: str, fmt: str = "") -> str:
    """Version and pass documentation vary with work elsewhere: golden files hold placeholders, and
    :func:`test_sarif_rules_come_from_pass_docs` checks the real text."""
    text = text.replace(f'"{__version__}"', '"<version>"')
    if fmt == "sarif":
        doc = json.loads(text)
        for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
            rule["fullDescription"] = {"text": "<from the pass docstring>"}
            rule["help"] = {"text": "<from the pass docstring>", "markdown": "<the pass docstring>"}
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return text


def compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run with DOCKSLIM_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file (DOCKSLIM_UPDATE_GOLDEN=1 updates it)"


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_golden(fixture, fmt, command, capsys, monkeypatch):
    code, out, err = run([command, FIXTURES[fixture], "--isolated", "--select", SELECT, "--format", fmt],
                         capsys, monkeypatch)
    assert code == 1  # both fixtures have findings / a diff
    if fmt == "text" and command == "fix":
        out = out + "--- stderr ---\n" + err
    compare(f"{fixture}/{command}.{FORMATS[fmt]}", normalise(out, fmt))
    if fmt in ("json", "sarif", "rdjson"):
        json.loads(out)


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_sarif_is_valid_against_the_2_1_0_schema(fixture, command, capsys, monkeypatch):
    jsonschema = pytest.importorskip("jsonschema")
    _, out, _ = run([command, FIXTURES[fixture], "--isolated", "--select", SELECT, "--format", "sarif"],
                    capsys, monkeypatch)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(json.loads(out)), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_sarif_rules_come_from_pass_docs(capsys, monkeypatch):
    from dockslim.output.common import section
    from dockslim.passes import by_id
    _, out, _ = run(["check", FIXTURES["seed"], "--isolated", "--format", "sarif"], capsys, monkeypatch)
    log = json.loads(out)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    # with every pass (new files offered as fixes included) the log is still valid SARIF 2.1.0
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(log))
    for rule in rules:
        cls = by_id()[rule["id"]]
        assert rule["shortDescription"]["text"] == cls.summary
        assert rule["fullDescription"]["text"] == section(cls.documentation(), "What it does")
        assert rule["help"]["markdown"] == cls.documentation()


def _apply(text: str, replacements: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, new in sorted(replacements):
        out.append(text[pos:start])
        out.append(new)
        pos = end
    return "".join(out) + text[pos:]


def _line_col_to_offset(text: str, line: int, col: int, utf8: bool = False) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    start = starts[line - 1]
    if not utf8:
        return start + col - 1
    raw = text[start:].encode("utf-8")[: col - 1]
    return start + len(raw.decode("utf-8"))


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_every_format_carries_the_same_edits(fixture, capsys, monkeypatch):
    """JSON offsets, SARIF line/column regions and rdjson UTF-8 columns all name the same edits, and
    applying them gives what the first fixer round produces."""
    path = ROOT / FIXTURES[fixture]
    text = path.read_text(encoding="utf-8")
    base = [FIXTURES[fixture], "--isolated", "--select", SELECT]
    data = json.loads(run(["check", *base, "--format", "json"], capsys, monkeypatch)[1])
    by_offsets = [(e["start"]["offset"], e["end"]["offset"], e["text"])
                  for f in data["files"][0]["findings"] if f["fix"] and f["fix"]["applicable"]
                  for e in f["fix"]["edits"]]
    sarif = json.loads(run(["check", *base, "--format", "sarif"], capsys, monkeypatch)[1])
    by_region = []
    for res in sarif["runs"][0]["results"]:
        for fix in res.get("fixes", []):
            for rep in fix["artifactChanges"][0]["replacements"]:
                r = rep["deletedRegion"]
                by_region.append((_line_col_to_offset(text, r["startLine"], r["startColumn"]),
                                  _line_col_to_offset(text, r["endLine"], r["endColumn"]),
                                  rep["insertedContent"]["text"]))
    rd = json.loads(run(["check", *base, "--format", "rdjson"], capsys, monkeypatch)[1])
    by_bytes = []
    for d in rd["diagnostics"]:
        for s in d.get("suggestions", []):
            r = s["range"]
            by_bytes.append((_line_col_to_offset(text, r["start"]["line"], r["start"]["column"], True),
                             _line_col_to_offset(text, r["end"]["line"], r["end"]["column"], True),
                             s["text"]))
    assert sorted(by_offsets) == sorted(by_region) == sorted(by_bytes)
    assert by_offsets
    # The fix-mode JSON carries the same diff as `fix` prints.
    fixed = json.loads(run(["fix", *base, "--format", "json"], capsys, monkeypatch)[1])
    _, diff_out, _ = run(["fix", *base], capsys, monkeypatch)
    assert fixed["files"][0]["result"]["diff"] == diff_out


def test_structured_fix_of_stdin_prints_the_format_not_the_text(capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"FROM a\nMAINTAINER me\n")))
    code, out, _ = run(["fix", "-", "--isolated", "--format", "json"], capsys, monkeypatch)
    doc = json.loads(out)
    assert doc["files"][0]["path"] == "<stdin>"
    assert doc["files"][0]["result"]["changed"] is True
    assert code == 1


def test_errors_are_reported_inside_the_format(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "Dockerfile"
    bad.write_text("RUN echo no from\n")
    code, out, err = run(["check", bad, "--isolated", "--format", "json"], capsys, monkeypatch)
    assert code == 2
    assert json.loads(out)["files"][0]["error"]["line"] == 1
    code, out, _ = run(["check", bad, "--isolated", "--format", "github"], capsys, monkeypatch)
    assert code == 2 and out.startswith("::error file=")
    code, out, _ = run(["check", bad, "--isolated", "--format", "sarif"], capsys, monkeypatch)
    run_ = json.loads(out)["runs"][0]
    assert run_["invocations"][0]["executionSuccessful"] is False


def test_github_annotations_escape_values():
    from dockslim.output.github import _command
    assert _command("warning", {"file": "a,b:c", "line": 1}, "50% done\nnext") == \
        "::warning file=a%2Cb%3Ac,line=1::50%25 done%0Anext"


def test_unknown_format_is_a_usage_error(capsys, monkeypatch):
    code, _, err = run(["check", FIXTURES["seed"], "--format", "xml"], capsys, monkeypatch)
    assert code == 2 and "xml" in err
