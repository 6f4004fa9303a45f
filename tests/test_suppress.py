"""Suppression comments: each form, through the fixer (so `check`, `fix` and every format agree)."""

from __future__ import annotations

import pytest

from dockslim.engine import resolve_passes
from dockslim.fixer import check_text, fix_text
from dockslim.suppress import HADOLINT_RULES, parse_comment, Directive

PASSES = resolve_passes(["add-to-copy", "maintainer-to-label", "merge-runs"])


def ids(text: str) -> list[tuple[str, int]]:
    tree, findings = check_text(text, PASSES)
    return [(f.pass_id, tree.position(f.start)[0]) for f in findings if not f.note]


def fixed(text: str) -> str:
    return fix_text(text, PASSES).text


def test_plain_ignore_covers_every_pass_on_the_next_instruction():
    text = "FROM a\n# dockslim: ignore\nMAINTAINER me\nMAINTAINER you\n"
    assert ids(text) == [("maintainer-to-label", 4)]
    assert fixed(text) == 'FROM a\n# dockslim: ignore\nMAINTAINER me\nLABEL maintainer="you"\n'


def test_ignore_with_ids_only_those_passes():
    text = "FROM a\n# dockslim: ignore[maintainer-to-label]\nMAINTAINER me\nRUN a\nRUN b\n"
    assert ids(text) == [("merge-runs", 4)]
    text = "FROM a\n# dockslim: ignore[merge-runs, add-to-copy]\nMAINTAINER me\n"
    assert ids(text) == [("maintainer-to-label", 3)]


def test_ignore_in_a_comment_block_above_but_not_across_a_blank_line():
    text = "FROM a\n# dockslim: ignore\n# why: upstream image expects it\nMAINTAINER me\n"
    assert ids(text) == []
    text = "FROM a\n# dockslim: ignore\n\nMAINTAINER me\n"
    assert ids(text) == [("maintainer-to-label", 4)]


def test_file_level_forms():
    assert ids("# dockslim: ignore-file\nFROM a\nMAINTAINER me\nRUN a\nRUN b\n") == []
    text = "FROM a\nMAINTAINER me\nRUN a\nRUN b\n# dockslim: ignore-file[merge-runs]\n"
    assert ids(text) == [("maintainer-to-label", 2)]


def test_hadolint_next_line_and_global_forms():
    text = "FROM a\n# hadolint ignore=DL3059\nRUN a\nRUN b\nMAINTAINER me\n"
    assert ids(text) == [("maintainer-to-label", 5)]
    text = "FROM a\n# hadolint ignore=DL4000,DL3003\nMAINTAINER me\nRUN a\nRUN b\n"
    assert ids(text) == [("merge-runs", 4)]
    text = "# hadolint global ignore=DL3020\nFROM a\nADD x /x\nADD y /y\nMAINTAINER me\n"
    assert [p for p, _ in ids(text)] == ["maintainer-to-label"]


def test_hadolint_rules_that_no_pass_fixes_suppress_nothing():
    text = "FROM a\n# hadolint ignore=DL3008\nMAINTAINER me\n"
    assert ids(text) == [("maintainer-to-label", 3)]


def test_a_merge_touching_a_suppressed_run_is_left_alone_whole():
    text = "FROM a\nRUN a\n# hadolint ignore=DL3059\nRUN b\nRUN c\n"
    assert fixed(text) == text


@pytest.mark.parametrize("comment, expected", [
    ("dockslim: ignore", Directive(frozenset({"*"}), False)),
    ("DOCKSLIM:IGNORE[Merge-Runs]", Directive(frozenset({"merge-runs"}), False)),
    ("dockslim: ignore-file", Directive(frozenset({"*"}), True)),
    ("hadolint ignore=DL3009", Directive(frozenset({"cache-cleanup"}), False)),
    ("hadolint global ignore=DL3059, DL3020", Directive(frozenset({"merge-runs", "add-to-copy"}), True)),
    ("dockslim is great", None),
    ("dockslim: ignore[]", None),
])
def test_parse_comment(comment, expected):
    assert parse_comment(comment) == expected


def test_hadolint_table_names_each_rule_once():
    seen = [r for rules in HADOLINT_RULES.values() for r in rules]
    assert len(seen) == len(set(seen))


def test_every_output_honours_suppressions(tmp_path, capsys):
    from dockslim.cli import main
    (tmp_path / "Dockerfile").write_text("FROM a\n# dockslim: ignore\nMAINTAINER me\n")
    for argv in (["check"], ["fix"], ["check", "--format", "sarif"], ["fix", "--format", "json"]):
        assert main([*argv, str(tmp_path / "Dockerfile"), "--isolated"]) == 0
        out, _ = capsys.readouterr()
        assert "maintainer-to-label" not in out
