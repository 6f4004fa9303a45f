"""pinned-base: untagged and `latest` bases pinned where the tag table knows the release line,
a finding without a fix elsewhere, stages/ARGs/scratch/digests left alone; the table itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockslim.passes import REGISTRY, Safety
from dockslim.passes.alpine_base import AlpineBase
from dockslim.passes.pinned_base import PinnedBase, base_tags
from dockslim.testing import assert_fix, assert_no_fix, run_fix

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "pinned-base"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "Dockerfile").exists())


@pytest.mark.parametrize("before, after", [
    ("FROM python", "FROM python:3.14"),
    ("FROM python:latest", "FROM python:3.14"),
    ("FROM node:latest AS web", "FROM node:26 AS web"),
    ("from ubuntu as base", "from ubuntu:26.04 as base"),
    ("FROM --platform=linux/arm64 alpine", "FROM --platform=linux/arm64 alpine:3.24"),
    ("FROM library/postgres", "FROM library/postgres:18"),
    ("FROM docker.io/library/debian:latest", "FROM docker.io/library/debian:13"),
])
def test_known_official_images_are_pinned_unsafely(before, after):
    assert_fix(PinnedBase, before + "\n", after + "\n", unsafe=True)
    result = assert_no_fix(PinnedBase, before + "\n")
    (finding,) = result.findings
    assert finding.fix.safety is Safety.UNSAFE and not finding.note
    assert base_tags().date in finding.message


@pytest.mark.parametrize("text, says", [
    ("FROM mycompany/runtime\n", "`mycompany/runtime:<version>`"),
    ("FROM ghcr.io/org/app:latest\n", "`ghcr.io/org/app:<version>`"),
    ("FROM registry.example.com:5000/team/app\n", "`registry.example.com:5000/team/app:<version>`"),
    ("FROM busybox\n", "`busybox:<version>`"),  # official, but not in the table
    ("FROM mongo\n", "publishes no `latest` tag"),
    ("FROM openjdk:latest\n", "publishes no `latest` tag"),
])
def test_other_images_get_a_note_or_finding_without_a_fix(text, says):
    result = assert_no_fix(PinnedBase, text, unsafe=True)
    (finding,) = result.findings
    assert finding.fix is None and says in finding.message
    # Unknown tags: information (a note); an official image without `latest`: the build cannot pull.
    assert finding.note is ("no `latest`" not in says)


@pytest.mark.parametrize("text", [
    "FROM python:3.12-slim\n",
    "FROM python:3.12-slim AS build\nFROM build\n",
    "FROM python:3.12 AS Build\nFROM build AS test\nFROM BUILD\n",
    "ARG BASE=python\nFROM ${BASE}\n",
    "ARG TAG\nFROM python:$TAG\n",
    "FROM scratch\n",
    "FROM python@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    "FROM python:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    "FROM python:3.12\n# hadolint ignore=DL3006\nFROM node\n",
    "# hadolint global ignore=DL3007\nFROM node:latest\n",
])
def test_left_alone(text):
    result = assert_no_fix(PinnedBase, text, unsafe=True)
    assert not result.findings, result.findings


def test_a_stage_name_only_counts_after_it_is_defined():
    # `FROM app` before any stage named app pulls the image `app` (BuildKit resolves names backwards).
    result = assert_no_fix(PinnedBase, "FROM app\nFROM python:3.12 AS app\n", unsafe=True)
    assert len(result.findings) == 1


def test_continuation_lines():
    assert_fix(PinnedBase, "FROM \\\n  python AS x\n", "FROM \\\n  python:3.14 AS x\n", unsafe=True)
    result = assert_no_fix(PinnedBase, "FROM pyt\\\nhon\n", unsafe=True)  # the name itself is split
    (finding,) = result.findings
    assert finding.fix is None and "split over lines" in finding.message


def test_before_alpine_base_the_pin_carries_into_the_alpine_tag():
    result = run_fix([PinnedBase, AlpineBase], "FROM python\nCMD [\"python\"]\n", unsafe=True)
    assert result.text.splitlines()[0] == "FROM python:3.14-alpine"
    assert REGISTRY.index(PinnedBase) < REGISTRY.index(AlpineBase)


@pytest.mark.parametrize("case", CASES)
def test_fixture(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    expected = (folder / "Dockerfile.expected").read_text()
    result = run_fix(PinnedBase, before, context=folder, unsafe=True)
    assert result.text == expected
    assert run_fix(PinnedBase, expected, context=folder, unsafe=True).text == expected
    if expected == before:
        assert all(f.fix is None for f in result.findings)


def test_fixtures_with_buildkits_parser():
    dockerfile = pytest.importorskip("dockerfile")
    for case in CASES:
        dockerfile.parse_string((FIXTURES / case / "Dockerfile.expected").read_text())


# --------------------------------------------------------------------------- the tag table


def test_every_entry_names_a_tag_that_named_what_latest_named():
    table = base_tags()
    assert table.source.startswith("docker-library/official-images ") and table.date
    floating = {"latest", "stable", "lts", "current", "mainline", "rolling", "innovation"}
    for image in table.images.values():
        assert image.source.startswith(f"library/{image.name} at ")
        if image.pin is None:
            assert not image.same
            continue
        assert "latest" in image.same and image.pin in image.same, image
        assert image.pin not in floating, image


def test_the_table_covers_every_image_alpine_base_tracks():
    from dockslim.passes.alpine_data import data

    d = data()
    tracked = set(d.families) | set(d.os_images) | set(d.no_alpine)
    assert tracked <= set(base_tags().images)


def test_the_table_is_what_the_script_writes():
    checkout = os.environ.get("DOCKSLIM_OFFICIAL_IMAGES")
    if not checkout:
        pytest.skip("set DOCKSLIM_OFFICIAL_IMAGES to a checkout of docker-library/official-images "
                    "at the commit base_tags.toml names")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_base_tags.py"), checkout, "--check"],
                          check=False)
    assert proc.returncode == 0, "src/dockslim/data/base_tags.toml differs from the script's output"


def test_release_line_choice():
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_base_tags

    library = ("Tags: 3.14.7-trixie, 3.14-trixie, 3-trixie, trixie\nSharedTags: 3.14.7, 3.14, 3, latest\n\n"
               "Tags: 3.14.7-windowsservercore-ltsc2025\nSharedTags: 3.14.7, 3.14, 3, latest\n\n"
               "Tags: 3.13.9, 3.13\n")
    group = gen_base_tags.latest_group(library)
    assert group == ["3", "3.14", "3.14.7", "latest"]  # `trixie` names only the Linux entry
    assert gen_base_tags.pick("python", group) == "3.14"
    assert gen_base_tags.pick("node", ["26", "26.7", "26.7.0", "current", "latest"]) == "26"
    assert gen_base_tags.pick("buildpack-deps", ["latest", "stable", "trixie"]) == "trixie"
