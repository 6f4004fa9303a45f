"""zypper (openSUSE, SLES)."""

from __future__ import annotations

from .model import Cache, Family

CACHE = Cache(
    key="zypper", what="metadata and package cache in /var/cache/zypp", weight="~20-100 MB",
    folders=("/var/cache/zypp",),
    source="https://en.opensuse.org/SDB:Zypper_manual#Package_caching",
    cleanup="zypper clean -a", cleaned_by=("zypper clean", "zypper cc"),
)

ZYPPER = Family(
    name="zypper",
    commands=frozenset({"zypper"}),
    source="https://en.opensuse.org/SDB:Zypper_manual",
    # zypper(8) Global Options followed by an argument.
    takes_value=frozenset({"--root", "-R", "--config", "-c", "--repo", "-r", "--releasever"}),
    install=frozenset({"in", "install", "si", "source-install"}),
    remove=frozenset({"rm", "remove"}),
    fills_cache=frozenset({"in", "install", "ref", "refresh", "up", "update", "dup", "dist-upgrade",
                           "patch", "si", "source-install", "ar", "addrepo"}),
    caches=(CACHE,),
    root_options=("--root", "-R"),  # zypper(8): -R, --root <dir>
    # DL3034 non-interactive, DL3035 no dist-upgrade, DL3036 zypper clean, DL3037 pin versions.
    hadolint=("DL3034", "DL3035", "DL3036", "DL3037"),
    build_packages=frozenset({"gcc", "gcc-c++", "make", "patterns-devel-base-devel_basis"}),
    dev_suffixes=("-devel",),
)
