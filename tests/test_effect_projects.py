"""bench/effect.py's project lists (issue #13, point 3): the shape --prepare relies on, and OURS copied."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _effect():
    spec = importlib.util.spec_from_file_location("bench_effect", ROOT / "bench" / "effect.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_effect", module)
    spec.loader.exec_module(module)
    return module


def test_public_entries_are_pinned_and_named_once():
    effect = _effect()
    names = [row[0] for row in effect.PUBLIC] + [row[0] for row in effect.OURS]
    assert len(names) == len(set(names)) and len(names) >= 20
    for name, repo, commit, sub, dockerfile in effect.PUBLIC:
        assert re.fullmatch(r"[0-9a-f]{40}", commit), name
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo), name
        assert not sub.startswith("/") and dockerfile, name


def test_prepare_copies_our_projects_and_lists_them(tmp_path, monkeypatch):
    effect = _effect()
    monkeypatch.setattr(effect, "PUBLIC", ())
    assert effect.prepare(tmp_path / "projects", tmp_path / "no-mirror") == 0
    rows = (tmp_path / "projects" / "PROJECTS.tsv").read_text().splitlines()
    assert rows[0] == "name\tdockerfile\tsource"
    assert "seed-django\tDockerfile\tours: fixtures/effect/seed-django" in rows[1:]
    assert effect.projects(tmp_path / "projects") == [
        (name, tmp_path / "projects" / name / dockerfile, f"ours: {source}")
        for name, source, dockerfile in effect.OURS]
    copied = tmp_path / "projects" / "seed-django"
    assert (copied / "Dockerfile").read_text() == (ROOT / "fixtures/effect/seed-django/Dockerfile").read_text()
    assert (copied / "manage.py").is_file() and (copied / "seed" / "settings.py").is_file()


def test_seed_django_keeps_the_seed_habits_on_a_current_base():
    seed = (ROOT / "fixtures/seed/Dockerfile").read_text().splitlines()
    ours = (ROOT / "fixtures/effect/seed-django/Dockerfile").read_text().splitlines()
    assert seed[0] == "FROM python:3.5.6-slim-stretch" and ours[0] == "FROM python:3.11-slim"
    assert ours[1:len(seed)] == seed[1:]  # every other instruction as in the seed, in its order
    assert ours[len(seed):] == ["CMD python manage.py runserver 0.0.0.0:8000"]
