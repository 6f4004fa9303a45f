"""apk (Alpine Linux)."""

from __future__ import annotations

from .model import Cache, Family

_APK_MAN = "https://man.archlinux.org/man/apk.8.en"  # apk-tools' apk(8), as packaged

INDEX = Cache(
    key="apk", what="package index in /var/cache/apk", weight="~1-3 MB per repository",
    folders=("/var/cache/apk",),
    # apk(8) --no-cache: "Do not use any local cache path"; the index is kept in /var/cache/apk.
    source="https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper#Local_Cache",
)

APK = Family(
    name="apk",
    commands=frozenset({"apk"}),
    source=_APK_MAN,
    # apk(8) GLOBAL OPTIONS and apk-add(8) OPTIONS followed by an argument.
    takes_value=frozenset({"--virtual", "-t", "--repository", "-X", "--root", "-p", "--arch",
                           "--repositories-file", "--keys-dir", "--cache-dir"}),
    subcommands=frozenset({"add", "del", "fix", "update", "upgrade", "cache", "info", "list", "dot",
                           "policy", "search", "index", "fetch", "manifest", "verify", "audit", "stats"}),
    install=frozenset({"add"}),
    remove=frozenset({"del"}),
    fills_cache=frozenset({"add", "upgrade"}),
    caches=(INDEX,),
    root_options=("--root", "-p"),  # apk(8): -p, --root ROOT
    # DL3018 pin versions, DL3019 --no-cache.
    hadolint=("DL3018", "DL3019"),
    # build-base and its dependencies (https://pkgs.alpinelinux.org/package/edge/main/x86_64/build-base),
    # and the build tools the docker-library Alpine images put in `.build-deps`
    # (https://github.com/docker-library/python/blob/master/3.12/alpine3.20/Dockerfile).
    build_packages=frozenset({"build-base", "gcc", "g++", "make", "musl-dev", "libc-dev", "binutils",
                              "fortify-headers", "patch", "autoconf", "automake", "libtool", "pkgconf",
                              "cmake", "bison", "flex", "linux-headers", "dpkg-dev", "dpkg"}),
    # Alpine's packaging: headers are in `-dev` subpackages (https://wiki.alpinelinux.org/wiki/APKBUILD_Reference#subpackages).
    dev_suffixes=("-dev",),
)

# `apk add --virtual NAME pkgs...` registers NAME so that `apk del NAME` removes them (apk-add(8)).
VIRTUAL_FLAGS = ("--virtual", "-t")
