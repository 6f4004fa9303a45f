"""The build-deps data: every entry names its source, and the questions answer as documented."""

import pytest

from dockslim.managers import APK, APT, DNF
from dockslim.managers.build import (
    BUILDING_FAMILIES,
    DEV_RUNTIMES_SOURCE,
    TOOLCHAIN_COMMANDS,
    TOOLCHAIN_WEIGHT_SOURCE,
    expected_saving,
    kept_runtimes,
    runs_a_script,
    toolchain_use,
)
from dockslim.syntax.shell import parse_shell


@pytest.mark.parametrize("name,source", sorted(TOOLCHAIN_COMMANDS.items()))
def test_every_toolchain_command_names_its_manual(name, source):
    assert source.startswith("https://"), name


@pytest.mark.parametrize("family,verbs,source", BUILDING_FAMILIES, ids=[f.name for f, _, _ in BUILDING_FAMILIES])
def test_every_building_family_names_its_source(family, verbs, source):
    assert source.startswith("https://") and verbs, family.name


def test_sources_of_the_tables():
    assert DEV_RUNTIMES_SOURCE.startswith("https://") and TOOLCHAIN_WEIGHT_SOURCE.startswith("https://")


def _cmd(text):
    (cmd,) = parse_shell(text).commands
    return cmd


@pytest.mark.parametrize("text,use", [
    ("gcc -o x x.c", "`gcc`"), ("x86_64-linux-gnu-gcc-12 -c a.c", "`x86_64-linux-gnu-gcc-12`"),
    ("/usr/bin/make install", "`make`"), ("./configure --prefix=/usr", "`configure`"),
    ("pip install -r requirements.txt", "`pip install`"), ("python3 -m pip wheel .", "`pip wheel`"),
    ("python3 setup.py build_ext", "`python3 setup.py`"), ("gem install nokogiri", "`gem install`"),
    ("npm ci", "`npm ci`"), ("go build ./...", "`go build`"), ("docker-php-ext-install pdo_pgsql",
                                                                "`docker-php-ext-install`"),
])
def test_toolchain_use(text, use):
    assert toolchain_use(_cmd(text)) == use


@pytest.mark.parametrize("text", ["echo gcc", "pip list", "npm run start", "python3 app.py", "curl -o make x"])
def test_not_a_toolchain_use(text):
    assert toolchain_use(_cmd(text)) is None


def test_scripts_may_use_the_toolchain():
    assert runs_a_script(_cmd("./build.sh")) == "`./build.sh`"
    assert runs_a_script(_cmd("sh build.sh")) == "`sh build.sh`"
    assert runs_a_script(_cmd("sh -c 'echo'")) is None


def test_build_packages_and_runtimes():
    assert APT.is_build_package("build-essential") and APT.is_build_package("libpq-dev")
    assert not APT.is_build_package("libpq5") and not APT.is_build_package("python3-pip")
    assert APK.is_build_package("build-base") and DNF.is_build_package("openssl-devel")
    assert kept_runtimes("python3-dev") == ("python3",) and kept_runtimes("python3.11-dev") == ("python3.11",)
    assert kept_runtimes("libpq-dev") == ()
    assert expected_saving(["gcc-12"]) != expected_saving(["libpq-dev"])
