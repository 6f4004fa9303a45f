"""alpine-base: tag mapping, package map, command translation, refusals, fixed point, fixtures.

Every rewritten RUN must pass `sh -n` under dash and introduce no shellcheck error (`--shell=sh`);
the shellcheck test is skipped when shellcheck is not installed (CI: `apt-get install -y shellcheck`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dockslim.fixer import fix_text
from dockslim.passes import REGISTRY, Options
from dockslim.passes.alpine_base import AlpineBase
from dockslim.passes.alpine_data import Refusal, data, map_tag, parse_ref
from dockslim.syntax import parse
from dockslim.testing import assert_fix, assert_no_fix, run_fix

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "alpine-base"
DATA = ROOT / "src" / "dockslim" / "data"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "Dockerfile").exists())


def _fix(text: str, *, context: Path | None = None, unsafe: bool = True, allow_unmapped: bool = False):
    return fix_text(text, [AlpineBase()], build_context=context,
                    options=Options(unsafe_fixes=unsafe, allow_unmapped=allow_unmapped))


def _notes(result) -> list[str]:
    return [f.message for f in result.findings if f.note and f.pass_id == "alpine-base"]


# --------------------------------------------------------------------------- data files


def test_package_map_entries_are_well_formed_sourced_and_unique():
    raw = tomllib.loads((DATA / "alpine_packages.toml").read_text())
    sources = raw["sources"]
    names = Counter(e["debian"] for e in raw["package"])
    assert not [n for n, c in names.items() if c > 1], "duplicate Debian names"
    for e in raw["package"]:
        assert set(e) <= {"debian", "alpine", "source", "note", "since"}, e
        assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", e["debian"]), e
        assert e["source"] in sources, e
        assert isinstance(e["alpine"], list)
        for a in e["alpine"]:
            assert re.fullmatch(r"[a-z0-9][a-z0-9+._-]*", a), e
        assert len(set(e["alpine"])) == len(e["alpine"]), e
        if not e["alpine"]:
            assert e.get("note"), f"{e['debian']}: 'none needed' must say why"
        if "since" in e:
            assert re.fullmatch(r"3\.\d+", e["since"]), e
    assert all(isinstance(v, str) and v for v in sources.values())
    assert len(raw["package"]) >= 300


def test_tag_families_are_well_formed_and_sourced():
    raw = tomllib.loads((DATA / "alpine_tags.toml").read_text())
    images = [f["image"] for f in raw["family"]] + [o["image"] for o in raw["os"]] + list(raw["no_alpine"])
    assert len(images) == len(set(images)), "an image is listed twice"
    for f in raw["family"]:
        assert f["source"] and re.fullmatch(r"[a-z0-9-]+", f["image"])
        assert f.get("alpine", "last") in ("last", "after-version")
        for v in f.get("alpine_from", ()):
            assert re.fullmatch(r"\d+(\.\d+)+", v), (f["image"], v)
        overlap = set(f.get("keep", ())) & (set(f.get("drop", ())) | set(f.get("refuse", {})))
        assert not overlap, (f["image"], overlap)
        assert all(isinstance(r, str) and r for r in f.get("refuse", {}).values())
    for o in raw["os"]:
        assert o["source"]
        for target in o["map"].values():
            assert re.fullmatch(r"3\.\d+|latest|edge", target)
    assert all(reason for reason in raw["no_alpine"].values())


def test_coverage_counts():
    d = data()
    assert len(d.packages) >= 500
    assert len(d.families) >= 14 and len(d.os_images) == 2


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize("ref, expected", [
    ("python:3.12-slim", "python:3.12-alpine"),
    ("python:3.12", "python:3.12-alpine"),
    ("python", "python:alpine"),
    ("python:slim-bookworm", "python:alpine"),
    ("python:3.15-rc-slim-trixie", "python:3.15-rc-alpine"),
    ("node:22-bookworm-slim", "node:22-alpine"),
    ("node:lts-slim", "node:lts-alpine"),
    ("node:22.11.0-bullseye", "node:22.11.0-alpine"),
    ("ruby:3.3-slim-bookworm", "ruby:3.3-alpine"),
    ("golang:1.26-bookworm", "golang:1.26-alpine"),
    ("php:8.3-fpm-bookworm", "php:8.3-fpm-alpine"),
    ("php:8.3-cli", "php:8.3-cli-alpine"),
    ("php:fpm", "php:fpm-alpine"),
    ("php:8.3-zts-bookworm", "php:8.3-zts-alpine"),
    ("nginx:1.25-perl", "nginx:1.25-alpine-perl"),
    ("nginx:stable", "nginx:stable-alpine"),
    ("redis:7.2-bookworm", "redis:7.2-alpine"),
    ("postgres:16-bookworm", "postgres:16-alpine"),
    ("httpd:2.4", "httpd:2.4-alpine"),
    ("memcached:1.6-bookworm", "memcached:1.6-alpine"),
    ("rabbitmq:3.12-management", "rabbitmq:3.12-management-alpine"),
    ("haproxy:2.8-bookworm", "haproxy:2.8-alpine"),
    ("eclipse-temurin:17-jdk-jammy", "eclipse-temurin:17-jdk-alpine"),
    ("eclipse-temurin:21-jre", "eclipse-temurin:21-jre-alpine"),
    ("eclipse-temurin:8u392-b08-jdk-focal", "eclipse-temurin:8u392-b08-jdk-alpine"),
    ("openjdk:8-jdk-slim", "openjdk:8-jdk-alpine"),
    ("openjdk:8-jre", "openjdk:8-jre-alpine"),
    ("debian:bookworm-slim", "alpine:3.24"),
    ("debian:11", "alpine:3.24"),
    ("debian", "alpine:latest"),
    ("ubuntu:22.04", "alpine:3.24"),
    ("debian:trixie", "alpine:3.22"),
    ("debian:sid", "alpine:3.24"),
    ("debian:bookworm-20250520-slim", "alpine:3.24"),
    ("ubuntu:26.04", "alpine:3.23"),
    ("python:3-trixie", "python:3-alpine"),
    ("ruby:4-slim-trixie", "ruby:4-alpine"),
    ("ubuntu:devel", "alpine:3.24"),
    ("ubuntu:noble", "alpine:3.24"),
    ("docker.io/library/python:3.11-slim", "docker.io/library/python:3.11-alpine"),
])
def test_tag_mapping(ref, expected):
    r = parse_ref(ref)
    assert r is not None
    mapping = map_tag(r.name, r.tag)
    assert f"{r.prefix}{mapping.name or r.name}:{mapping.tag}" == expected


@pytest.mark.parametrize("ref, reason", [
    ("mariadb:11.4", "Ubuntu only"),
    ("mysql:8.0", "no alpine"),
    ("buildpack-deps:bookworm", "Debian/Ubuntu only"),
    ("php:8.2-apache", "apache"),
    ("python:3.2.6-slim", "no Alpine variant"),
    ("python:3.5.0-slim", "the first was 3.5.1"),
    ("node:0.12-slim", "no Alpine variant"),
    ("node:4.4.0", "the first was 4.6.2"),
    ("openjdk:11-jdk-slim", "update numbers differ"),
    ("openjdk:8u181-jdk-slim", "update numbers differ"),
    ("python:3.12-windowsservercore-ltsc2022", "Windows"),
    ("node:22-onbuild", "onbuild"),
    ("python:3.12-weird", "no known Alpine counterpart"),
    ("debian:jessie", "predates"),
    ("ubuntu:14.04", "predates"),
    ("node:8-jessie", "older than"),
    ("python:3.5.6-slim-stretch", "the Alpine variants built today are 3.10, 3.11"),
    ("python:3.9-slim-bullseye", "changes python's version"),
    ("node:16-bullseye-slim", "no Alpine image on a supported Alpine release"),
    ("golang:1.22-bookworm", "1.26, 1.27"),
    ("postgres:9.6.1", "14, 15, 16, 17, 18"),
])
def test_tag_refusals(ref, reason):
    r = parse_ref(ref)
    assert r is not None
    with pytest.raises(Refusal, match=re.escape(reason)):
        map_tag(r.name, r.tag)


def test_only_official_images_are_candidates():
    assert parse_ref("myorg/python:3.12-slim") is None
    assert parse_ref("ghcr.io/x/node:22") is None
    assert_no_fix(AlpineBase, "FROM myorg/python:3.12-slim\nRUN apt-get update\n", unsafe=True)


# --------------------------------------------------------------------------- translation


def test_seed():
    before = "FROM python:3.12-slim-bookworm\nRUN apt-get update\nRUN pip install -U pip\n"
    assert_fix(AlpineBase, before, "FROM python:3.12-alpine\nRUN apk update\nRUN pip install -U pip\n",
               unsafe=True)


def test_only_reported_without_unsafe_fixes():
    before = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\n"
    result = assert_no_fix(AlpineBase, before)
    (finding,) = [f for f in result.findings if f.fix]
    assert finding.fix.safety.value == "unsafe" and "musl" in finding.message and finding.saving
    assert "python:3.12-alpine" in finding.message


def test_install_update_and_cleanup_collapse():
    assert_fix(AlpineBase,
               "FROM node:22-slim\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
               "--no-install-recommends git openssh-client && rm -rf /var/lib/apt/lists/* && npm i -g x\n",
               "FROM node:22-alpine\nRUN apk add --no-cache git openssh-client && npm i -g x\n", unsafe=True)


def test_set_e_semicolon_lists():
    before = ("FROM python:3.12-slim\nRUN set -eux; \\\n    apt-get update; \\\n    apt-get install -y "
              "--no-install-recommends \\\n        gcc \\\n        libffi-dev \\\n    ; \\\n"
              "    rm -rf /var/lib/apt/lists/*\n")
    after = ("FROM python:3.12-alpine\nRUN set -eux; \\\n    apk add --no-cache \\\n        gcc \\\n"
             "        libffi-dev\n")
    assert_fix(AlpineBase, before, after, unsafe=True)


def test_purged_packages_become_a_virtual_package():
    before = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev libpq5 \\\n"
              "    && pip install psycopg2 \\\n    && apt-get purge -y --auto-remove gcc libpq-dev \\\n"
              "    && rm -rf /var/lib/apt/lists/*\n")
    after = ("FROM python:3.12-alpine\nRUN apk add --no-cache libpq && apk add --no-cache --virtual "
             ".build-deps gcc libpq-dev \\\n    && pip install psycopg2 \\\n    && apk del .build-deps\n")
    assert_fix(AlpineBase, before, after, unsafe=True)


def test_purge_in_a_later_run_uses_the_virtual_from_the_install():
    before = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\nRUN pip install x\n"
              "RUN apt-get purge -y gcc && apt-get autoremove -y\n")
    after = ("FROM python:3.12-alpine\nRUN apk add --no-cache --virtual .build-deps gcc\nRUN pip install x\n"
             "RUN apk del .build-deps\n")
    assert_fix(AlpineBase, before, after, unsafe=True)


def test_two_purges_get_two_virtual_names():
    before = ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc make \\\n"
              "    && apt-get purge -y gcc && apt-get purge -y make\n")
    after = ("FROM alpine:3.24\nRUN apk add --no-cache --virtual .build-deps-1 gcc && apk add --no-cache "
             "--virtual .build-deps-2 make \\\n    && apk del .build-deps-1 && apk del .build-deps-2\n")
    assert_fix(AlpineBase, before, after, unsafe=True)


def test_purge_of_a_base_image_package_is_refused():
    result = assert_no_fix(AlpineBase, "FROM debian:bookworm\nRUN apt-get purge -y perl\n", unsafe=True)
    assert any("was not installed by this stage" in m for m in _notes(result))


def test_none_needed_packages_vanish():
    assert_fix(AlpineBase,
               "FROM debian:bookworm\nRUN apt-get update && apt-get install -y apt-transport-https curl\n",
               "FROM alpine:3.24\nRUN apk add --no-cache curl\n", unsafe=True)


def test_a_run_of_only_apt_cleanup_is_removed():
    assert_fix(AlpineBase,
               "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\nRUN apt-get clean && "
               "rm -rf /var/lib/apt/lists/*\nCMD [\"curl\"]\n",
               "FROM alpine:3.24\nRUN apk add --no-cache curl\nCMD [\"curl\"]\n", unsafe=True)


def test_rm_keeps_other_paths():
    assert_fix(AlpineBase,
               "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl && rm -rf "
               "/var/lib/apt/lists/* /tmp/*\n",
               "FROM alpine:3.24\nRUN apk add --no-cache curl && rm -rf /tmp/*\n", unsafe=True)


def test_upgrade():
    assert_fix(AlpineBase, "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n",
               "FROM alpine:3.24\nRUN apk upgrade --no-cache\n", unsafe=True)


@pytest.mark.parametrize("command, expected", [
    ("useradd -r -u 999 -g app app", "adduser -D -S -u 999 -H -G app app"),
    ("useradd -m -s /bin/sh -c 'App user' app", "adduser -D -s /bin/sh -g 'App user' app"),
    ("useradd --system --no-create-home app", "addgroup -S app && adduser -D -S -H -G app app"),
    ("useradd -ms /bin/sh -d /home/app app", "adduser -D -s /bin/sh -h /home/app app"),
    ("useradd -m -G audio,video app", "adduser -D app && addgroup app audio && addgroup app video"),
    ("groupadd -r -g 1001 app", "addgroup -S -g 1001 app"),
    ("adduser --disabled-password --gecos '' --uid 1000 app", "adduser -D -g '' -u 1000 app"),
    ("adduser --system --group --no-create-home app", "addgroup -S app && adduser -D -S -H -G app app"),
    ("addgroup --system web", "addgroup -S web"),
])
def test_user_commands(command, expected):
    assert_fix(AlpineBase, f"FROM debian:bookworm\nRUN {command}\n", f"FROM alpine:3.24\nRUN {expected}\n",
               unsafe=True)


@pytest.mark.parametrize("command, reason", [
    ("useradd -g 1000 app", "takes a group name"),
    ("useradd -N app", "-N has no BusyBox counterpart"),
    ("adduser app", "prompts for a password"),
    ("usermod -aG docker app", "usermod"),
    ("groupadd -f app", "-f"),
])
def test_user_commands_refused(command, reason):
    result = assert_no_fix(AlpineBase, f"FROM debian:bookworm\nRUN {command}\n", unsafe=True)
    assert any(reason in m for m in _notes(result)), _notes(result)


def test_bash_for_shell_and_scripts(tmp_path):
    (tmp_path / "run.sh").write_text("#!/usr/bin/env bash\necho hi\n")
    before = ('FROM debian:bookworm-slim\nSHELL ["/bin/bash", "-c"]\nRUN echo hi\nCOPY run.sh /run.sh\n')
    after = ('FROM alpine:3.24\nRUN apk add --no-cache bash\nSHELL ["/bin/bash", "-c"]\nRUN echo hi\n'
             'COPY run.sh /run.sh\n')
    result = assert_fix(AlpineBase, before, after, unsafe=True, context=tmp_path)
    (f,) = [f for f in result.findings if f.fix]
    assert "SHELL on line 2" in f.message and "run.sh" in f.message


def test_bash_joins_the_first_install():
    assert_fix(AlpineBase, "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
               "RUN bash -c 'echo hi'\n",
               "FROM alpine:3.24\nRUN apk add --no-cache curl bash\nRUN bash -c 'echo hi'\n", unsafe=True)


def test_gosu_becomes_su_exec():
    assert_fix(AlpineBase, "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gosu "
               "&& gosu nobody true\n",
               "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gosu && gosu nobody true\n"
               .replace("debian:bookworm", "alpine:3.24")
               .replace("apt-get update && apt-get install -y gosu && gosu", "apk add --no-cache su-exec && su-exec"),
               unsafe=True)


def test_locale_generation_is_dropped_with_a_warning():
    before = ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y locales \\\n"
              "    && sed -i 's/# en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen\n")
    result = assert_fix(AlpineBase, before, "FROM alpine:3.24\nRUN true\n".replace("RUN true\n", ""),
                        unsafe=True)
    (f,) = [f for f in result.findings if f.fix]
    assert "musl has no locale" in f.message


def test_pecl_gets_phpize_deps():
    assert_fix(AlpineBase, "FROM php:8.3-fpm\nRUN pecl install redis && docker-php-ext-enable redis\n",
               "FROM php:8.3-fpm-alpine\nRUN apk add --no-cache --virtual .phpize-deps $PHPIZE_DEPS && "
               "pecl install redis && docker-php-ext-enable redis && apk del .phpize-deps\n", unsafe=True)


def test_buildpack_tools_are_added_for_full_variants():
    result = assert_fix(AlpineBase, "FROM golang:1.26\nRUN git clone https://x/y /src\n",
                        "FROM golang:1.26-alpine\nRUN apk add --no-cache git\nRUN git clone https://x/y /src\n",
                        unsafe=True)
    assert any("buildpack-deps" in f.message for f in result.findings if f.fix)


@pytest.mark.parametrize("body, reason", [
    ("apt-get update && apt-get install -y libfoo-unknown9", "no known Alpine package for `libfoo-unknown9`"),
    ("apt-get install -y curl=7.88.1-10", "version-pinned"),
    ("apt-get install -y $PACKAGES", "only known at build time"),
    ("apt-get install -y -t bookworm-backports curl", "Debian release"),
    ("curl -fsSL https://x/key | apt-key add -", "apt-key"),
    ("dpkg -i /tmp/x.deb", "dpkg"),
    ("echo deb http://x y z > /etc/apt/sources.list.d/x.list", "writes to a Debian-specific path"),
    ("update-alternatives --install /usr/bin/python python /usr/bin/python3 1", "alternatives"),
    ("xargs apt-get install -y < deps.txt", "indirectly"),
    ("apt-get build-dep -y python3", "build-dep"),
])
def test_refused_stage_says_why(body, reason):
    result = assert_no_fix(AlpineBase, f"FROM python:3.12-slim\nRUN {body}\n", unsafe=True)
    assert any(reason in m for m in _notes(result)), _notes(result)


def test_allow_unmapped_keeps_the_name():
    result = _fix("FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl libfoo-unknown9\n",
                  allow_unmapped=True)
    assert result.text == "FROM alpine:3.24\nRUN apk add --no-cache curl libfoo-unknown9\n"
    assert any("libfoo-unknown9" in f.message for f in result.findings if f.fix)


def test_configuration_package_map_extends_the_data():
    text = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y libfoo-unknown9\n"
    result = fix_text(text, [AlpineBase()], build_context=None,
                      options=Options(unsafe_fixes=True, package_map=(("libfoo-unknown9", ("foo-dev",)),)))
    assert result.text == "FROM alpine:3.24\nRUN apk add --no-cache foo-dev\n"


def test_digest_pinned_is_refused():
    result = assert_no_fix(AlpineBase, "FROM python:3.12-slim@sha256:" + "a" * 64 + "\nRUN true\n", unsafe=True)
    assert any("digest" in m for m in _notes(result))


def test_arg_default_is_rewritten():
    assert_fix(AlpineBase, "ARG BASE=python:3.12-slim\nFROM ${BASE}\nRUN apt-get update && apt-get install -y curl\n",
               "ARG BASE=python:3.12-alpine\nFROM ${BASE}\nRUN apk add --no-cache curl\n", unsafe=True)


def test_arg_shared_by_two_stages_is_rewritten_once():
    before = ("ARG BASE=debian:bookworm-slim\nFROM $BASE AS a\nRUN apt-get update && apt-get install -y curl\n"
              "FROM $BASE\nCOPY --from=a /usr/bin/curl /usr/bin/curl\n")
    after = ("ARG BASE=alpine:3.24\nFROM $BASE AS a\nRUN apk add --no-cache curl\n"
             "FROM $BASE\nCOPY --from=a /usr/bin/curl /usr/bin/curl\n")
    assert_fix(AlpineBase, before, after, unsafe=True)


def test_arg_shared_with_an_untranslatable_stage_is_left():
    before = ("ARG BASE=debian:bookworm-slim\nFROM $BASE AS a\nRUN apt-get update && apt-get install -y curl\n"
              "FROM $BASE\nRUN dpkg -i x.deb\n")
    result = assert_no_fix(AlpineBase, before, unsafe=True)
    assert any("dpkg" in m for m in _notes(result))


def test_variable_version_is_kept():
    assert_fix(AlpineBase, "ARG V=3.11\nFROM python:${V}-slim-bookworm\nRUN pip install x\n",
               "ARG V=3.11\nFROM python:${V}-alpine\nRUN pip install x\n", unsafe=True)


def test_variable_suite_is_refused():
    result = assert_no_fix(AlpineBase, "ARG S=bookworm\nFROM python:3.11-slim-${S}\nRUN true\n", unsafe=True)
    assert any("would be dropped" in m for m in _notes(result))


def test_child_stages_are_translated_with_their_parent_or_not_at_all():
    ok = ("FROM python:3.12-slim AS base\nRUN apt-get update && apt-get install -y curl\n"
          "FROM base AS app\nRUN apt-get update && apt-get install -y git\n")
    assert_fix(AlpineBase, ok, ok.replace("python:3.12-slim", "python:3.12-alpine")
               .replace("apt-get update && apt-get install -y", "apk add --no-cache"), unsafe=True)
    blocked = ok.replace("-y git", "-y libfoo-unknown9")
    assert_no_fix(AlpineBase, blocked, unsafe=True)


def test_copy_from_across_libcs_is_warned():
    text = ("FROM python:3.12-slim AS build\nRUN pip wheel -w /w psycopg2\n"
            "FROM python:3.12-slim\nRUN dpkg -i x.deb\nCOPY --from=build /w /w\n")
    result = _fix(text)
    (f,) = [f for f in result.findings if f.fix]
    assert "COPY --from=build on line 5 crosses glibc/musl" in f.message


def test_already_alpine_and_unknown_images_are_silent():
    for text in ("FROM python:3.12-alpine\nRUN apk add curl\n", "FROM alpine:3.19\n", "FROM scratch\n",
                 "FROM gcr.io/distroless/static\n", "FROM centos:7\nRUN yum install -y x\n"):
        result = assert_no_fix(AlpineBase, text, unsafe=True)
        assert not result.findings


def test_exec_form_apt_and_heredoc_are_refused():
    for body in ('["apt-get", "install", "-y", "curl"]', "<<EOF\napt-get install -y curl\nEOF"):
        result = assert_no_fix(AlpineBase, f"FROM debian:bookworm\nRUN {body}\n", unsafe=True)
        assert _notes(result)


# --------------------------------------------------------------------------- fixtures


def _sh_bodies(text: str) -> list[str]:
    return [i.args for i in parse(text).instructions
            if i.cmd == "RUN" and not i.is_json and not i.heredocs]


@pytest.mark.parametrize("case", CASES)
def test_fixture(case):
    folder = FIXTURES / case
    before = (folder / "Dockerfile").read_text()
    expected = (folder / "Dockerfile.expected").read_text()
    result = _fix(before, context=folder)
    assert result.text == expected
    again = _fix(result.text, context=folder)
    assert again.text == result.text, "not idempotent"
    assert not [f for f in again.findings if f.fix], "a second run still finds something to switch"
    if expected == before:
        assert _notes(result), "a fixture left alone must say why"


@pytest.mark.parametrize("case", CASES)
def test_fixture_runs_pass_sh_n(case):
    dash = shutil.which("dash") or shutil.which("sh")
    if dash is None:
        pytest.skip("no POSIX sh")
    expected = (FIXTURES / case / "Dockerfile.expected").read_text()
    for body in _sh_bodies(expected):
        proc = subprocess.run([dash, "-n", "-c", body], capture_output=True, text=True)
        assert proc.returncode == 0, (body, proc.stderr)


def _shellcheck_errors(body: str) -> set[tuple[str, str]]:
    proc = subprocess.run(["shellcheck", "--shell=sh", "--severity=error", "--format=json", "-"],
                          input=body, capture_output=True, text=True)
    import json

    return {(str(c["code"]), c["message"]) for c in json.loads(proc.stdout or "[]")}


@pytest.mark.parametrize("case", CASES)
def test_fixture_runs_add_no_shellcheck_error(case):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (apt-get install -y shellcheck)")
    before = (FIXTURES / case / "Dockerfile").read_text()
    expected = (FIXTURES / case / "Dockerfile.expected").read_text()
    known = set().union(*(_shellcheck_errors(b) for b in _sh_bodies(before))) if _sh_bodies(before) else set()
    for body in _sh_bodies(expected):
        assert _shellcheck_errors(body) <= known, body


def test_fixtures_with_buildkits_parser():
    dockerfile = pytest.importorskip("dockerfile")
    for case in CASES:
        dockerfile.parse_string((FIXTURES / case / "Dockerfile.expected").read_text())


def test_with_every_pass_the_result_settles():
    for case in CASES:
        folder = FIXTURES / case
        before = (folder / "Dockerfile").read_text()
        passes = [c() for c in REGISTRY]
        options = Options(unsafe_fixes=True)
        out = fix_text(before, passes, build_context=folder, options=options).text
        parse(out)
        assert fix_text(out, passes, build_context=folder, options=options).text == out, case
        assert "apt-get" not in out or "alpine" not in out.split("\n")[0] or case == "no-alpine-variant"


def test_registered_last_and_unsafe():
    assert REGISTRY[-1] is AlpineBase and AlpineBase.safety.value == "unsafe"
    assert run_fix(AlpineBase, "FROM python:3.12-slim\n").text == "FROM python:3.12-slim\n"


def test_phpize_deps_variable_is_kept_for_php():
    assert_fix(AlpineBase,
               "FROM php:8.2-fpm\nRUN apt-get update && apt-get install -y $PHPIZE_DEPS libzip-dev "
               "&& pecl install zip && apt-get purge -y $PHPIZE_DEPS && apt-get dist-clean\n",
               "FROM php:8.2-fpm-alpine\nRUN apk add --no-cache libzip-dev && apk add --no-cache --virtual "
               ".build-deps $PHPIZE_DEPS && pecl install zip && apk del .build-deps\n", unsafe=True)
    result = assert_no_fix(AlpineBase, "FROM python:3.12-slim\nRUN apt-get install -y $PHPIZE_DEPS\n", unsafe=True)
    assert any("$PHPIZE_DEPS" in m for m in _notes(result))


def test_cli_allow_unmapped_flag(tmp_path, capsys):
    from dockslim.cli import main

    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:bookworm\nRUN apt-get update && apt-get install -y libfoo-unknown9\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert main(["check", "--select", "alpine-base", "--show-notes", str(path)]) == 0  # a refusal is a note
    assert "no known Alpine package for `libfoo-unknown9`" in capsys.readouterr().out
    assert main(["fix", "--select", "alpine-base", "--unsafe-fixes", "--allow-unmapped", str(path)]) == 1
    assert "+RUN apk add --no-cache libfoo-unknown9" in capsys.readouterr().out
