"""dnf, yum, microdnf and tdnf (Fedora, RHEL and its rebuilds, Photon, Azure Linux).

Each tool keeps its own cache folder, so each is a cache of its own: after
``yum install && microdnf install``, ``yum clean all`` leaves microdnf's cache behind.
"""

from __future__ import annotations

from .model import Cache, Family

_DNF_MAN = "https://dnf.readthedocs.io/en/latest/command_ref.html"
_WHAT = "metadata and package cache in /var/cache/dnf or /var/cache/yum"

DNF_CACHE = Cache(
    key="dnf", what=_WHAT, weight="~50-200 MB",
    # dnf.conf(5) cachedir: /var/cache/dnf; dnf5 (`dnf` on Fedora 41+): /var/cache/libdnf5.
    folders=("/var/cache/dnf", "/var/cache/libdnf5"),
    source="https://dnf.readthedocs.io/en/latest/conf_ref.html#cachedir-label",
    cleanup="dnf clean all", cleaned_by=("dnf clean all",),
)
YUM_CACHE = Cache(
    key="yum", what=_WHAT, weight="~50-200 MB",
    # yum.conf(5) cachedir: /var/cache/yum (EL7); from EL8 on yum is dnf and uses /var/cache/dnf.
    folders=("/var/cache/yum", "/var/cache/dnf"),
    source="https://man7.org/linux/man-pages/man5/yum.conf.5.html",
    cleanup="yum clean all", cleaned_by=("yum clean all",),
)
MICRODNF_CACHE = Cache(
    key="microdnf", what="metadata and package cache in /var/cache/yum", weight="~50-200 MB",
    # microdnf sets libdnf's cache folder to /var/cache/yum/metadata (dnf-main.c), not dnf's.
    folders=("/var/cache/yum",),
    source="https://github.com/rpm-software-management/microdnf/blob/master/dnf/dnf-main.c",
    cleanup="microdnf clean all", cleaned_by=("microdnf clean all",),
)
TDNF_CACHE = Cache(
    key="tdnf", what="metadata and package cache in /var/cache/tdnf", weight="~50-200 MB",
    folders=("/var/cache/tdnf",),
    source="https://github.com/vmware/tdnf/wiki/Configuration",  # tdnf.conf cachedir
    cleanup="tdnf clean all", cleaned_by=("tdnf clean all",),
)

DNF = Family(
    name="dnf",
    commands=frozenset({"dnf", "yum", "microdnf", "tdnf"}),
    source=_DNF_MAN,
    # dnf(8) General Options followed by an argument.
    takes_value=frozenset({"--setopt", "--enablerepo", "--disablerepo", "--installroot", "-c", "--config",
                           "--releasever", "--repo", "--repoid", "--exclude", "-x"}),
    subcommands=frozenset({"install", "groupinstall", "localinstall", "reinstall", "remove", "erase",
                           "autoremove", "update", "upgrade", "update-minimal", "downgrade",
                           "distro-sync", "makecache", "clean", "group", "module", "builddep",
                           "list", "info", "search", "provides", "repolist", "config-manager",
                           "history", "check-update", "mark"}),
    install=frozenset({"install", "groupinstall", "localinstall", "reinstall"}),
    remove=frozenset({"remove", "erase"}),
    fills_cache=frozenset({"install", "groupinstall", "update", "upgrade", "makecache", "reinstall",
                           "localinstall", "group", "distro-sync", "builddep", "module", "update-minimal",
                           "downgrade"}),
    caches=(DNF_CACHE, YUM_CACHE, MICRODNF_CACHE, TDNF_CACHE),
    root_options=("--installroot",),  # dnf(8): --installroot=<path>
    # DL3030/DL3038 -y, DL3032 yum clean all, DL3033/DL3041 pin versions, DL3040 dnf clean all.
    hadolint=("DL3030", "DL3032", "DL3033", "DL3038", "DL3040", "DL3041"),
    # The "Development Tools" group's compilers (https://docs.fedoraproject.org/en-US/quick-docs/).
    build_packages=frozenset({"gcc", "gcc-c++", "make", "cpp", "glibc-devel", "autoconf", "automake",
                              "libtool", "pkgconf", "pkgconfig", "cmake", "bison", "flex", "patch",
                              "binutils", "redhat-rpm-config"}),
    # Fedora packaging guidelines: headers are in `-devel` subpackages
    # (https://docs.fedoraproject.org/en-US/packaging-guidelines/#_devel_packages).
    dev_suffixes=("-devel",),
)
