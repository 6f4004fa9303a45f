"""The package-manager model: every entry has a source, and each question has one answer."""

from __future__ import annotations

import pytest

from dockslim.managers import (APK, APT, DNF, FAMILIES, GEM, NPM, PIP, UV, YARN, Family, cleans, invocations,
                               package_installs, package_removals, recognize)
from dockslim.managers.apt import DEBIAN_ONLY, DEBIAN_ONLY_SOURCES
from dockslim.syntax.shell import parse_shell


def _cmd(text: str):
    script = parse_shell(text)
    assert len(script.commands) == 1, text
    return script.commands[0]


def _caches():
    return [c for f in FAMILIES for c in f.caches]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_names_its_sources(family: Family):
    assert family.source.startswith("https://"), family.name
    assert family.commands and all(" " not in c for c in family.commands)
    if family.hadolint:
        assert family.hadolint_source.startswith("https://")
    assert family.install <= family.subcommands or not family.subcommands, family.install - family.subcommands


@pytest.mark.parametrize("cache", _caches(), ids=lambda c: c.key)
def test_every_cache_names_its_source_and_folders(cache):
    assert cache.source.startswith("https://"), cache.key
    assert cache.what and cache.weight
    assert all(f.startswith(("/", "~/")) for f in cache.folders + cache.mount), cache.key
    for spec in cache.cleaned_by:
        tool = spec.split()[0]
        assert any(tool in f.commands for f in FAMILIES), spec


def test_debian_only_commands_name_their_source():
    assert set(DEBIAN_ONLY) == set(DEBIAN_ONLY_SOURCES)
    assert all(s.startswith("https://") for s in DEBIAN_ONLY_SOURCES.values())


def test_a_command_belongs_to_one_family_at_most():
    seen: dict[str, str] = {}
    for family in FAMILIES:
        for name in family.commands:
            assert name not in seen, (name, seen.get(name), family.name)
            seen[name] = family.name


@pytest.mark.parametrize("text, family, tool, sub", [
    ("pip install x", PIP, "pip", "install"),
    ("pip3 install x", PIP, "pip3", "install"),
    ("pip3.11 install x", PIP, "pip3.11", "install"),
    ("/opt/venv/bin/pip2 install x", PIP, "pip2", "install"),
    ("python -m pip install x", PIP, "pip", "install"),
    ("python3.12 -m pip --trusted-host h install x", PIP, "pip", "install"),
    ("apt-get -o Dpkg::Options::=--force-confnew -y install x", APT, "apt-get", "install"),
    ("apt-get --option Foo=1 install x", APT, "apt-get", "install"),
    ("apt -t bookworm-backports install x", APT, "apt", "install"),
    ("apk --repository http://x add y", APK, "apk", "add"),
    ("microdnf --setopt=tsflags=nodocs install x", DNF, "microdnf", "install"),
    ("yum --enablerepo epel -y install x", DNF, "yum", "install"),
    ("uv --python 3.12 pip install x", UV, "uv", "pip"),
    ("yarn --cache-folder /c install", YARN, "yarn", "install"),
])
def test_recognize_reads_the_words_as_the_tool_does(text, family, tool, sub):
    inv = recognize(_cmd(text))
    assert inv is not None and inv.family is family and inv.tool == tool
    assert inv.subcommand == sub


@pytest.mark.parametrize("text", ["pipx install x", "python -m pip3 install x", "python -c pip", "pip-compile x",
                                  "pip311 install x", "npx npm"])
def test_not_a_package_manager(text):
    inv = recognize(_cmd(text))
    assert inv is None or inv.family is not PIP


def test_python_m_pip_flags_are_the_tools_own():
    inv = recognize(_cmd("python3 -m pip install --no-cache-dir x"))
    assert inv is not None and inv.has_flag("--no-cache-dir") and not inv.has_flag("-m")


def test_invocations_finds_patterned_names():
    script = parse_shell("pip install a && pip3.11 install b; python3 -m pip install c; pipenv install")
    assert [i.tool for i in invocations(script, PIP)] == ["pip", "pip3.11", "pip"]


@pytest.mark.parametrize("text, tool, expected", [
    ("dnf clean all", "dnf", True),
    ("dnf clean all", "microdnf", False),
    ("microdnf clean all", "microdnf", True),
    ("yum -y clean all", "yum", True),
    ("dnf clean metadata", "dnf", False),
    ("go clean -cache -modcache", "go", True),
    ("go clean -cache", "go", False),
])
def test_each_cache_names_what_empties_it(text, tool, expected):
    from dockslim.managers import GO

    family = GO if tool == "go" else DNF
    cache = family.cache_of(tool)
    assert cache is not None
    assert cleans(_cmd(text), cache) is expected


def test_rpm_tools_keep_their_own_cache_folders():
    caches = {tool: DNF.cache_of(tool) for tool in ("dnf", "yum", "microdnf", "tdnf")}
    assert len({c.key for c in caches.values() if c}) == 4
    assert "/var/cache/dnf" not in caches["microdnf"].folders  # type: ignore[union-attr]


def test_build_deps_questions():
    script = parse_shell("apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev curl && "
                         "apt-get install -y --no-install-recommends build-essential libpq-dev ca-certificates && "
                         "pip install x")
    found = package_installs(script)
    assert [(p.invocation.family.name, [w.value for w in p.packages], p.virtual, p.build) for p in found] == [
        ("apk", ["gcc", "musl-dev", "libffi-dev", "curl"], ".build-deps", ("gcc", "musl-dev", "libffi-dev")),
        ("apt", ["build-essential", "libpq-dev", "ca-certificates"], None, ("build-essential", "libpq-dev")),
    ]
    assert DNF.is_build_package("openssl-devel") and not DNF.is_build_package("openssl-dev")
    assert recognize(_cmd("gem install -v 7.1 rails")).packages()[0].value == "rails"  # type: ignore[union-attr]
    assert GEM.install == {"install"} and "ci" in NPM.install


def test_hadolint_order_rules_name_their_source_and_a_known_family():
    from dockslim.managers.hadolint import ORDER_RULES

    for rule in ORDER_RULES:
        assert rule.source.startswith("https://github.com/hadolint/hadolint/") and rule.source.endswith(".hs")
        family = recognize(_cmd(rule.command + " install x"))
        assert family is not None and rule.rule in family.family.hadolint, rule


def test_reference_page_is_up_to_date():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_managers_doc.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_build_deps_removals():
    script = parse_shell("apk del --no-network .build-deps && apt-get purge -y --auto-remove gcc libpq-dev "
                         "&& apt-get install -y curl")
    found = [(i.family.name, [w.value for w in i.packages()]) for i in package_removals(script)]
    assert found == [("apk", [".build-deps"]), ("apt", ["gcc", "libpq-dev"])]
