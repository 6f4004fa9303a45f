"""apt-get, apt and aptitude (Debian, Ubuntu), and the commands only a Debian system has."""

from __future__ import annotations

from .model import Cache, Family

_APT_GET_MAN = "https://manpages.debian.org/bookworm/apt/apt-get.8.en.html"

LISTS = Cache(
    key="apt", what="package lists in /var/lib/apt/lists", weight="~20-50 MB",
    folders=("/var/lib/apt/lists",),
    # apt-get(8) FILES: /var/lib/apt/lists/ is the storage area for the package index files;
    # `apt-get update` fills it, nothing but `rm` empties it (`apt-get clean` keeps the lists).
    source=_APT_GET_MAN + "#FILES",
    cleanup="rm -rf /var/lib/apt/lists/*",
    mount=("/var/cache/apt", "/var/lib/apt"),
)

APT = Family(
    name="apt",
    commands=frozenset({"apt-get", "apt"}),
    source=_APT_GET_MAN,
    # apt-get(8) OPTIONS: the options that are followed by an argument.
    takes_value=frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release",
                           "--default-release", "-a", "--host-architecture"}),
    subcommands=frozenset({"update", "upgrade", "dist-upgrade", "full-upgrade", "install", "reinstall",
                           "remove", "purge", "autoremove", "auto-remove", "autopurge", "build-dep",
                           "satisfy", "source", "download", "check", "clean", "autoclean",
                           "auto-clean", "distclean", "dist-clean", "changelog", "indextargets",
                           "list", "search", "show", "showsrc", "policy", "edit-sources"}),
    install=frozenset({"install", "reinstall"}),
    remove=frozenset({"remove", "purge"}),
    fills_cache=frozenset({"update"}),
    caches=(LISTS,),
    # DL3008 pin versions, DL3009 delete the lists, DL3014 -y, DL3015 --no-install-recommends,
    # DL3027 apt in scripts.
    hadolint=("DL3008", "DL3009", "DL3014", "DL3015", "DL3027"),
    # build-essential and what it depends on (https://packages.debian.org/bookworm/build-essential),
    # and the build tools the docker-library images purge after compiling
    # (https://github.com/docker-library/python/blob/master/3.12/bookworm/Dockerfile).
    build_packages=frozenset({"build-essential", "gcc", "g++", "cpp", "make", "dpkg-dev", "libc6-dev",
                              "libc-dev", "autoconf", "automake", "libtool", "pkg-config", "pkgconf",
                              "cmake", "bison", "flex", "patch", "binutils"}),
    # Debian policy 8.4: headers and static libraries are in `-dev` packages.
    dev_suffixes=("-dev",),
)

# Verbs that install with the package lists `apt-get update` downloaded (apt-get(8) COMMANDS).
NEEDS_LISTS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source",
                         "download", "reinstall", "satisfy"})
# apt(8) verbs that apt-get has with the same meaning in scripts ("apt" -> "apt-get").
SAME_IN_APT_GET = frozenset({"update", "install", "remove", "purge", "autoremove", "clean", "autoclean"})
# Options that answer the prompt (apt-get(8): -y, --yes, --assume-yes; -qq implies -y).
YES_FLAGS = ("-y", "--yes", "--assume-yes", "--force-yes", "-qq", "-q=2", "--quiet=2")
# Commands that refresh the lists themselves (add-apt-repository(1): "updates the package cache").
REFRESH_LISTS = frozenset({"add-apt-repository", "apt-add-repository"})
# Commands that read the lists (apt-cache(8)).
READS_LISTS = frozenset({"apt-cache"})
# Commands that change where apt downloads from (apt-key(8), add-apt-repository(1); gpg writes keyrings).
CHANGE_SOURCES = frozenset({"apt-key", "add-apt-repository", "apt-add-repository", "gpg"})

APTITUDE = Family(
    name="aptitude",
    commands=frozenset({"aptitude"}),
    source="https://manpages.debian.org/bookworm/aptitude/aptitude.8.en.html",
    takes_value=frozenset({"-o", "-t", "--target-release", "-F", "--display-format", "-w", "--width",
                           "-O", "--sort", "--log-file", "--log-level"}),
    install=frozenset({"install", "reinstall"}),
    remove=frozenset({"remove", "purge"}),
    fills_cache=frozenset({"update"}),
    caches=(LISTS,),
    dev_suffixes=("-dev",),
)


# Commands that exist only on Debian-family systems, with why they cannot run elsewhere. Each names
# the Debian package (or manual) it comes from.
_DEBIAN_ONLY: tuple[tuple[str, str, str], ...] = (
    ("apt-key", "apt-key adds a Debian repository key", "https://manpages.debian.org/bookworm/apt/apt-key.8.en.html"),
    ("add-apt-repository", "add-apt-repository adds a Debian/Ubuntu repository",
     "https://manpages.ubuntu.com/manpages/noble/man1/add-apt-repository.1.html"),
    ("apt-cache", "apt-cache queries Debian's package index", "https://manpages.debian.org/bookworm/apt/apt-cache.8.en.html"),
    ("apt-mark", "apt-mark changes Debian's package state", "https://manpages.debian.org/bookworm/apt/apt-mark.8.en.html"),
    ("aptitude", "aptitude is Debian's package manager", "https://manpages.debian.org/bookworm/aptitude/aptitude.8.en.html"),
    ("dpkg", "dpkg installs or inspects Debian packages (architecture names differ: `apk --print-arch`)",
     "https://manpages.debian.org/bookworm/dpkg/dpkg.1.en.html"),
    ("dpkg-query", "dpkg-query inspects Debian packages", "https://manpages.debian.org/bookworm/dpkg/dpkg-query.1.en.html"),
    ("dpkg-divert", "dpkg-divert changes Debian's package database",
     "https://manpages.debian.org/bookworm/dpkg/dpkg-divert.1.en.html"),
    ("dpkg-architecture", "dpkg-architecture reports Debian architecture names",
     "https://manpages.debian.org/bookworm/dpkg-dev/dpkg-architecture.1.en.html"),
    ("dpkg-buildflags", "dpkg-buildflags reports Debian build flags",
     "https://manpages.debian.org/bookworm/dpkg-dev/dpkg-buildflags.1.en.html"),
    ("debconf-set-selections", "debconf does not exist on Alpine",
     "https://manpages.debian.org/bookworm/debconf/debconf-set-selections.1.en.html"),
    ("update-alternatives", "update-alternatives manages Debian's alternatives, which Alpine does not have",
     "https://manpages.debian.org/bookworm/dpkg/update-alternatives.1.en.html"),
    ("update-rc.d", "update-rc.d manages Debian init scripts",
     "https://manpages.debian.org/bookworm/init-system-helpers/update-rc.d.8.en.html"),
    ("invoke-rc.d", "invoke-rc.d runs Debian init scripts",
     "https://manpages.debian.org/bookworm/init-system-helpers/invoke-rc.d.8.en.html"),
    ("service", "service runs Debian init scripts", "https://manpages.debian.org/bookworm/init-system-helpers/service.8.en.html"),
    ("systemctl", "systemd does not exist on Alpine", "https://wiki.alpinelinux.org/wiki/OpenRC"),
    ("a2enmod", "a2enmod is Debian's apache layout", "https://manpages.debian.org/bookworm/apache2/a2enmod.8.en.html"),
    ("a2enconf", "a2enconf is Debian's apache layout", "https://manpages.debian.org/bookworm/apache2/a2enconf.8.en.html"),
    ("a2ensite", "a2ensite is Debian's apache layout", "https://manpages.debian.org/bookworm/apache2/a2ensite.8.en.html"),
    ("a2dismod", "a2dismod is Debian's apache layout", "https://manpages.debian.org/bookworm/apache2/a2dismod.8.en.html"),
    ("usermod", "BusyBox has no usermod (the `shadow` package would be needed)",
     "https://busybox.net/downloads/BusyBox.html"),
    ("userdel", "BusyBox's deluser differs from userdel", "https://busybox.net/downloads/BusyBox.html"),
    ("groupmod", "BusyBox has no groupmod", "https://busybox.net/downloads/BusyBox.html"),
    ("chsh", "BusyBox has no chsh", "https://busybox.net/downloads/BusyBox.html"),
    ("chpasswd", "chpasswd options differ in BusyBox", "https://busybox.net/downloads/BusyBox.html"),
    ("lsb_release", "lsb_release does not exist on Alpine",
     "https://manpages.debian.org/bookworm/lsb-release/lsb_release.1.en.html"),
    ("mk-build-deps", "mk-build-deps is Debian packaging tooling",
     "https://manpages.debian.org/bookworm/devscripts/mk-build-deps.1.en.html"),
    ("apt-get-install", "not a known command", "https://manpages.debian.org/bookworm/apt/apt-get.8.en.html"),
)
DEBIAN_ONLY: dict[str, str] = {name: why for name, why, _ in _DEBIAN_ONLY}
DEBIAN_ONLY_SOURCES: dict[str, str] = {name: source for name, _, source in _DEBIAN_ONLY}
