"""Every registered pass says who it is: four docstring headings, a kebab id, a summary, hadolint ids."""

from __future__ import annotations

import re

import pytest

from dockslim.passes import REGISTRY, Pass, Safety, by_id
from dockslim.suppress import HADOLINT_RULES, passes_for_hadolint

HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Fix safety")
KEBAB = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
HADOLINT_ID = re.compile(r"(DL|SC)\d{4}\Z")


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.id)
def test_pass_describes_itself(cls: type[Pass]):
    doc = cls.documentation()
    positions = [doc.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions), f"{cls.__name__} lacks {[h for h, p in zip(HEADINGS, positions, strict=True) if p < 0]}"
    assert positions == sorted(positions), f"{cls.__name__}: headings out of order"
    assert KEBAB.match(cls.id), cls.id
    assert cls.summary and cls.summary.strip() == cls.summary and "\n" not in cls.summary
    assert isinstance(cls.safety, Safety)
    assert isinstance(cls.hadolint, tuple)
    assert all(HADOLINT_ID.match(rule) for rule in cls.hadolint), cls.hadolint
    assert len(set(cls.hadolint)) == len(cls.hadolint)


def test_ids_are_unique_and_the_hadolint_table_is_read_from_the_passes():
    assert len(by_id()) == len(REGISTRY)
    assert HADOLINT_RULES == {p.id: p.hadolint for p in REGISTRY if p.hadolint}
    assert passes_for_hadolint("dl3059") == {"merge-runs"}
    assert passes_for_hadolint("DL3040") == {"cache-cleanup"}
    assert passes_for_hadolint("DL9999") == set()


def test_cache_cleanup_answers_only_rules_the_package_model_knows():
    from dockslim.managers import FAMILIES
    from dockslim.passes.cache_cleanup import CacheCleanup

    known = {rule for family in FAMILIES for rule in family.hadolint}
    assert set(CacheCleanup.hadolint) <= known
