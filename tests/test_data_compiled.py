"""The compiled alpine-base tables are exactly what the TOML sources say."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import compile_data  # noqa: E402


def test_compiled_tables_match_the_toml_sources():
    current = compile_data.TARGET.read_text(encoding="utf-8")
    if current != compile_data.render():
        pytest.fail("src/dockslim/passes/alpine_tables.py is stale: run python scripts/compile_data.py")


def test_the_pass_reads_the_compiled_tables():
    from dockslim.passes import alpine_data, alpine_tables

    data = alpine_data.data()
    hand = {e["debian"] for e in alpine_tables.TABLES["alpine_packages.toml"]["package"]}
    derived = {e["debian"] for e in alpine_tables.TABLES["alpine_packages_derived.toml"]["package"]}
    assert len(data.packages) == len(hand | derived) > len(hand) > 500
    assert data.packages["build-essential"].alpine == ("build-base",)
    assert not data.packages["build-essential"].derived
