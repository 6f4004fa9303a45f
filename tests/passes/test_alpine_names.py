"""The Alpine package map only names packages of the releases it targets, and the derivation rules."""

import re
import sys
from pathlib import Path

import pytest

from dockslim.passes.alpine_data import data

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_alpine_packages as gen

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


def test_every_emitted_name_exists_in_every_supported_release():
    d = data()
    assert d.releases and d.newest == d.releases[-1]
    missing = sorted(
        f"{entry.debian} -> {name} ({release})"
        for entry in d.packages.values() for name in entry.alpine
        for release, names in d.release_names.items()
        if name not in names and name != "$PHPIZE_DEPS")
    assert missing == []


def test_no_end_of_life_release_is_listed_as_supported():
    d = data()
    assert not set(d.releases) & set(d.ended)
    for release, names in d.release_names.items():
        assert len(names) > 500, release


def _derive() -> dict:
    return tomllib.loads((gen.DATA / "alpine_derive.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("binary, source, expected", [
    ("libxpm4", "libxpm", "libxpm"),                  # a shared library: its own name
    ("libc-ares2", "c-ares", "c-ares"),               # ... or the origin
    ("libgd-dev", "libgd2", "gd-dev"),                # -dev of a renamed origin
    ("liblzma5", "xz-utils", "xz-libs"),              # origin-libs
    ("php8.3-gd", "php8.3", "php83-gd"),              # a naming rule
    ("php8.3-mysql", "php8.3", "php83-mysqli php83-pdo_mysql"),
    ("golang-1.22", "golang-1.22", "go"),
    ("python3-yaml", "pyyaml", "py3-yaml"),
    ("vim-tiny", "vim", "vim"),                       # a tool variant of its source
])
def test_derivation(binary, source, expected):
    names = {"3.24": data().release_names["3.24"]}
    rows = gen.derive_table({binary: source}, names, _derive(), hand=set())
    assert [r[1] for r in rows] == [expected]


def test_derivation_does_not_guess_from_unrelated_names():
    names = {"3.24": data().release_names["3.24"]}
    # acl2 is a theorem prover, not acl; gcc-14-aarch64-linux-gnu is a cross compiler
    rows = gen.derive_table({"acl2": "acl2", "gcc-14-aarch64-linux-gnu": "gcc-14-cross"}, names, _derive(),
                            hand=set())
    assert rows == []


def test_hand_entries_win_over_derived_ones():
    names = {"3.24": data().release_names["3.24"]}
    assert gen.derive_table({"libcap2-bin": "libcap2"}, names, _derive(), hand={"libcap2-bin"}) == []
    assert data().packages["libcap2-bin"].alpine == ("libcap-utils",)


def test_apkindex_lists_replace_the_hand_checked_ones(tmp_path):
    for release in ("3.22", "3.23"):
        for repo in ("main", "community"):
            (tmp_path / f"v{release}" / repo / "x86_64").mkdir(parents=True)
        (tmp_path / f"v{release}" / "main" / "x86_64" / "APKINDEX").write_text(
            "C:x\nP:libxpm\nV:3.5\np:libxpm-compat=1 so:libXpm.so.4=4 cmd:sxpm=1\n\nP:gd-dev\nV:2\n")
        (tmp_path / f"v{release}" / "community" / "x86_64" / "APKINDEX").write_text(
            f"P:php83-gd\nV:8.3\n{'P:only322' if release == '3.22' else ''}\n")
    full = {r: gen.read_apkindex(tmp_path, r) for r in ("3.22", "3.23")}
    assert full["3.23"] == {"libxpm", "libxpm-compat", "gd-dev", "php83-gd"}
    names = tmp_path / "alpine_names.toml"
    names.write_text('# header\n[supported]\nreleases = ["3.22", "3.23"]\n\n[names]\ncommon = ["stale"]\n')
    gen.write_names(full, names)
    written = tomllib.loads(names.read_text())
    assert written["names"]["common"] == ["gd-dev", "libxpm", "libxpm-compat", "php83-gd"]
    assert written["names"]["3.22"] == ["only322"] and written["names"]["3.23"] == []
    assert names.read_text().startswith("# header\n")


def test_no_image_mapping_targets_an_unsupported_alpine_release():
    from dockslim.passes.alpine_data import map_tag

    d = data()
    for image, os_image in d.os_images.items():
        for tag in os_image.map:
            mapping = map_tag(image, tag)
            assert mapping.tag == "latest" or mapping.tag in d.releases, (image, tag, mapping.tag)
            if os_image.map[tag] not in (mapping.tag, "latest"):
                assert mapping.notes, (image, tag)  # the era or branch it replaces is named


def test_published_lines_name_their_source_and_date():
    for family in data().families.values():
        if family.published:
            assert re.search(r"\(20\d\d-\d\d-\d\d\)", family.published_source), family.image
            assert "alpine3." in family.published_source
