"""The flagship: every pass together on the seed (the article's unoptimised Dockerfile), through
the CLI, with its build context -- safe fixes by default, then with --unsafe-fixes."""

import shutil
from pathlib import Path

import pytest

from dockslim.cli import main

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"

SAFE = """\
FROM python:3.5.6-slim-stretch
RUN apt-get update \\
    && echo python -V \\
    && mkdir /code \\
    && mkdir /code/db \\
    && rm -rf /var/lib/apt/lists/*
COPY requirement /code/
WORKDIR /code
RUN pip install --no-cache-dir -U pip \\
    && pip install --no-cache-dir -r requirement
COPY . /code/
"""

UNSAFE = """\
FROM python:3.5.6-alpine
RUN echo python -V \\
    && mkdir /code \\
    && mkdir /code/db
COPY requirement /code/
WORKDIR /code
RUN pip install --no-cache-dir -U pip \\
    && pip install --no-cache-dir -r requirement
COPY . /code/
"""


@pytest.fixture
def seed(tmp_path):
    dest = tmp_path / "seed"
    shutil.copytree(SEED, dest)
    return dest


@pytest.mark.parametrize("flags, expected", [([], SAFE), (["--unsafe-fixes"], UNSAFE)])
def test_seed_is_rewritten_and_settles(seed, capsys, flags, expected):
    dockerfile = seed / "Dockerfile"
    assert main(["fix", "--write", *flags, str(dockerfile)]) == 0
    assert dockerfile.read_text() == expected
    assert (seed / ".dockerignore").exists()  # offered and created next to the build
    capsys.readouterr()
    # Nothing is left to do: a second run shows no diff.
    assert main(["fix", *flags, str(dockerfile)]) == 0
    assert capsys.readouterr().out == ""


def test_every_change_is_explained(seed, capsys):
    assert main(["fix", str(seed / "Dockerfile")]) == 1
    err = capsys.readouterr().err
    for pass_id in ("merge-runs", "cache-cleanup", "add-to-copy", "reorder-for-cache"):
        assert f"fixed {pass_id}" in err
    assert "saves 3 layers" in err and "--unsafe-fixes" in err
