"""The reference pages match the code: the CLI reference and the pass pages are generated
(scripts/gen_docs.py), the configuration reference names every key, the tutorial's first output is
what the CLI prints today, and the repository's action and hooks are well formed."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.config import KEYS
from dockslim.suppress import HADOLINT_RULES

ROOT = Path(__file__).resolve().parent.parent


def _gen():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_generated_pages_are_up_to_date():
    stale = _gen().stale()
    assert not stale, ("out of date (run `python scripts/gen_docs.py`): "
                       + ", ".join(str(p.relative_to(ROOT)) for p in stale))


def test_cli_reference_names_every_option():
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    for flag in ("--format", "--config", "--isolated", "--unsafe-fixes", "--dry-run", "--base", "--select"):
        assert f"`{flag}`" in page


def test_configuration_reference_documents_every_key_and_hadolint_rule():
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"| `{key}` |" in page, key
    for pass_id, rules in HADOLINT_RULES.items():
        assert f"| `{pass_id}` | {', '.join(rules)} |" in page


def test_tutorial_first_run_matches_the_cli(capsys, monkeypatch):
    page = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    monkeypatch.chdir(ROOT / "fixtures" / "seed")
    for command in ("check", "fix"):
        m = re.search(rf"\$ dockslim {command} --select merge-runs,add-to-copy Dockerfile\n(.*?)```", page, re.S)
        assert m, command
        main([command, "--select", "merge-runs,add-to-copy", "--isolated", "Dockerfile"])
        out, err = capsys.readouterr()
        shown = out + (err if command == "check" else "")
        assert shown == m.group(1), command


def test_action_and_pre_commit_hooks_are_well_formed():
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert any("dockslim github review" in s.get("run", "") for s in steps)
    assert all("shell" in s for s in steps if "run" in s)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"dockslim", "dockslim-fix", "dockslim-check"}
    pattern = re.compile(hooks[0]["files"])
    for name in ("Dockerfile", "a/Dockerfile.dev", "Containerfile", "x/app.dockerfile"):
        assert pattern.search(name), name
    for name in ("Dockerfile.py/x.txt", "README.md", "dockerfiles/readme"):
        assert not pattern.search(name), name
