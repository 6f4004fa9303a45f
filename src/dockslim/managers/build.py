"""What a build-deps cleanup must know beyond which packages are compilers or headers.

Which packages are build-only is answered by each system family (:meth:`Family.is_build_package`,
``build_packages`` / ``dev_suffixes`` in ``apt.py``, ``apk.py``, ``rpm.py``). This module answers
the other questions of the ``build-deps`` pass, as data with the page each entry comes from:

* which commands use a compiler or build tool (:func:`toolchain_use`): they must run before the
  toolchain is purged, and a CMD/ENTRYPOINT that runs one forbids the purge;
* which package managers build native code from source when they install (``pip install`` of an
  sdist, ``gem install`` of a gem with a C extension, ``npm install`` running ``node-gyp``);
* which ``-dev`` packages bring the interpreter a build needs, to keep it (``python3-dev``
  depends on ``python3``, which a `pip` project runs);
* where built artefacts land, to find the shared libraries they link to;
* how much a build toolchain typically weighs, for messages.
"""

from __future__ import annotations

import re

from ..syntax.shell import Command
from .model import Family
from .node import NPM, PNPM, YARN
from .other import CARGO, GO
from .python import PIP, PIPENV, POETRY, UV
from .ruby import BUNDLER, GEM

_GCC = "https://gcc.gnu.org/onlinedocs/gcc/Invoking-GCC.html"
_MAKE = "https://www.gnu.org/software/make/manual/make.html#Running"
_AUTOCONF = "https://www.gnu.org/software/autoconf/manual/autoconf.html#Running-configure-Scripts"

# Commands that run a compiler, linker or build system. Each names its manual.
TOOLCHAIN_COMMANDS: dict[str, str] = {
    "gcc": _GCC, "cc": _GCC, "c++": _GCC, "g++": _GCC, "cpp": _GCC, "c99": _GCC,
    "clang": "https://clang.llvm.org/docs/UsersManual.html",
    "clang++": "https://clang.llvm.org/docs/UsersManual.html",
    "ld": "https://sourceware.org/binutils/docs/ld/Invocation.html",
    "as": "https://sourceware.org/binutils/docs/as/Invoking.html",
    "ar": "https://sourceware.org/binutils/docs/binutils/ar.html",
    "make": _MAKE, "gmake": _MAKE,
    "cmake": "https://cmake.org/cmake/help/latest/manual/cmake.1.html",
    "ninja": "https://ninja-build.org/manual.html",
    "meson": "https://mesonbuild.com/Commands.html",
    "configure": _AUTOCONF,
    "autoreconf": "https://www.gnu.org/software/autoconf/manual/autoconf.html#autoreconf-Invocation",
    "autoconf": "https://www.gnu.org/software/autoconf/manual/autoconf.html#autoconf-Invocation",
    "automake": "https://www.gnu.org/software/automake/manual/automake.html#automake-Invocation",
    "libtool": "https://www.gnu.org/software/libtool/manual/libtool.html#Invoking-libtool",
    "pkg-config": "https://manpages.debian.org/bookworm/pkgconf/pkg-config.1.en.html",
    "node-gyp": "https://github.com/nodejs/node-gyp#how-to-use",
    "phpize": "https://www.php.net/manual/en/install.pecl.phpize.php",
    "pecl": "https://www.php.net/manual/en/install.pecl.pear.php",
    # docker-library/php's helper scripts compile extensions with phpize and make.
    "docker-php-ext-install": "https://github.com/docker-library/php/blob/master/docker-php-ext-install",
    "docker-php-ext-configure": "https://github.com/docker-library/php/blob/master/docker-php-ext-configure",
    "rustc": "https://doc.rust-lang.org/rustc/command-line-arguments.html",
    "cython": "https://cython.readthedocs.io/en/latest/src/userguide/source_files_and_compilation.html",
    "dpkg-buildpackage": "https://manpages.debian.org/bookworm/dpkg-dev/dpkg-buildpackage.1.en.html",
}
# `gcc-12`, `x86_64-linux-gnu-gcc`, `g++-12`, `clang-16`: versioned and triplet-prefixed compilers.
_VERSIONED = re.compile(r"^(?:[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+-)?(?:gcc|g\+\+|cpp|clang|clang\+\+)(?:-\d+)?\Z")

# Package managers whose install may compile native code, with the verbs that do and why.
BUILDING_FAMILIES: tuple[tuple[Family, frozenset[str], str], ...] = (
    # pip builds a wheel from an sdist when no wheel fits (https://pip.pypa.io/en/stable/cli/pip_install/#installation-order);
    # `pip wheel` always may.
    (PIP, frozenset({"install", "wheel"}), "https://pip.pypa.io/en/stable/cli/pip_wheel/"),
    (UV, frozenset({"pip", "sync", "add", "tool", "build"}), "https://docs.astral.sh/uv/concepts/projects/build/"),
    (POETRY, frozenset({"install", "add", "build"}), "https://python-poetry.org/docs/cli/#install"),
    (PIPENV, frozenset({"install", "sync"}), "https://pipenv.pypa.io/en/latest/commands.html"),
    # gems with native extensions compile them at install (https://guides.rubygems.org/gems-with-extensions/).
    (GEM, frozenset({"install"}), "https://guides.rubygems.org/gems-with-extensions/"),
    (BUNDLER, frozenset({"install"}), "https://guides.rubygems.org/gems-with-extensions/"),
    # npm runs node-gyp for packages with a binding.gyp (https://docs.npmjs.com/cli/v10/using-npm/scripts#npm-install).
    (NPM, frozenset({"install", "i", "ci", "add", "in", "clean-install", "rebuild"}),
     "https://docs.npmjs.com/cli/v10/using-npm/scripts#npm-install"),
    (YARN, frozenset({"install", "add", ""}), "https://classic.yarnpkg.com/en/docs/cli/install"),
    (PNPM, frozenset({"install", "i", "add", "rebuild"}), "https://pnpm.io/cli/install"),
    # cgo calls the C compiler (https://pkg.go.dev/cmd/cgo); cargo build scripts do (cc crate).
    (GO, frozenset({"build", "install", "get", "run", "test", "generate"}), "https://pkg.go.dev/cmd/cgo"),
    (CARGO, frozenset({"build", "install", "run", "test"}), "https://docs.rs/cc/latest/cc/"),
)

# A -dev package that depends on the interpreter its builds run with: the interpreter stays after
# the purge (python3-dev -> python3: https://packages.debian.org/bookworm/python3-dev; ruby-dev ->
# ruby: https://packages.debian.org/bookworm/ruby-dev; Alpine python3-dev -> python3:
# https://pkgs.alpinelinux.org/package/edge/main/x86_64/python3-dev).
DEV_RUNTIMES: dict[str, tuple[str, ...]] = {
    "python3-dev": ("python3",),
    "python-dev-is-python3": ("python-is-python3", "python3"),
    "ruby-dev": ("ruby",),
    "php-dev": ("php-cli",),
    "tcl-dev": ("tcl",),
    "tk-dev": ("tk",),
}
DEV_RUNTIMES_SOURCE = "https://packages.debian.org/bookworm/python3-dev"
_PYTHON_DEV = re.compile(r"^python3\.\d+-dev\Z")  # python3.11-dev -> python3.11

# Where built artefacts land: docker-library scans /usr/local
# (https://github.com/docker-library/python/blob/master/3.12/slim-bookworm/Dockerfile); /opt and
# ~/.local (`pip install --user`: https://pip.pypa.io/en/stable/user_guide/#user-installs) too.
ARTEFACT_ROOTS: tuple[str, ...] = ("/usr/local", "/opt", "/root/.local")

# Installed size of a Debian build toolchain, for messages: build-essential with gcc-12, g++-12,
# libc6-dev, make and dpkg-dev is ~230 MB installed on bookworm amd64 (Installed-Size of
# https://packages.debian.org/bookworm/gcc-12 and its dependencies); Alpine's build-base ~200 MB.
TOOLCHAIN_WEIGHT = "~150-300 MB"
TOOLCHAIN_WEIGHT_SOURCE = "https://packages.debian.org/bookworm/build-essential"
# The packages that bring a compiler (the weight above); without one, only headers and build tools
# go: a -dev package is ~0.1-20 MB installed (libpq-dev 0.5 MB, libssl-dev 12 MB, python3.11-dev with
# libpython3.11-dev ~25 MB: https://packages.debian.org/bookworm/libssl-dev).
COMPILER_PACKAGES = frozenset({"build-essential", "build-base", "gcc", "g++", "gcc-c++", "clang", "cpp"})
HEADERS_WEIGHT = "~1-50 MB"


def expected_saving(packages: list[str]) -> str:
    """A typical saving for purging ``packages``, for messages."""
    if any(p in COMPILER_PACKAGES or re.match(r"^(gcc|g\+\+|clang)-\d+\Z", p) for p in packages):
        return TOOLCHAIN_WEIGHT
    return HEADERS_WEIGHT


# Names the shell runs itself, never a package's program: POSIX special and regular built-ins
# (https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html#tag_19_15 and
# https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap01.html#tag_18_06), bash's
# common extras (https://www.gnu.org/software/bash/manual/html_node/Bash-Builtins.html).
SHELL_BUILTINS = frozenset({
    ".", ":", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift",
    "times", "trap", "unset", "alias", "bg", "cd", "command", "false", "fc", "fg", "getopts", "hash",
    "jobs", "kill", "read", "true", "type", "ulimit", "umask", "unalias", "wait", "echo", "printf",
    "test", "[", "[[", "pwd", "source", "local", "declare", "typeset", "let", "pushd", "popd", "shopt",
})


def toolchain_use(cmd: Command) -> str | None:
    """What in ``cmd`` uses (or may use) a compiler or build tool, for messages; None when nothing does."""
    name = cmd.basename
    if name is None:
        return None
    if name in TOOLCHAIN_COMMANDS or _VERSIONED.match(name):
        return f"`{name}`"
    values = [w.value for w in cmd.argv[1:]]
    if re.match(r"^python(\d(\.\d+)?)?\Z", name) and values and values[0] is not None \
            and values[0].endswith("setup.py"):
        return f"`{name} setup.py`"
    for family, verbs, _ in BUILDING_FAMILIES:
        inv = family.recognize(cmd)
        if inv is None:
            continue
        sub = inv.subcommand or ""
        if sub in verbs or inv.installs:
            return f"`{inv.tool} {sub}`" if sub else f"`{inv.tool}`"
    return None


def runs_a_script(cmd: Command) -> str | None:
    """``cmd`` runs a script whose commands cannot be seen (``./build.sh``, ``sh build.sh``): it may
    use the toolchain."""
    name = cmd.name
    if name is None:
        return None
    if name.startswith(("./", "../")):
        return f"`{name}`"
    if cmd.basename in ("sh", "bash", "dash", "ash") and len(cmd.argv) > 1:
        first = cmd.argv[1].value
        if first is not None and not first.startswith("-"):
            return f"`{cmd.basename} {first}`"
    return None


def kept_runtimes(package: str) -> tuple[str, ...]:
    """The interpreter a -dev ``package`` brings that builds and the image run with (kept)."""
    if package in DEV_RUNTIMES:
        return DEV_RUNTIMES[package]
    if _PYTHON_DEV.match(package):
        return (package[: -len("-dev")],)
    return ()


__all__ = [
    "ARTEFACT_ROOTS",
    "BUILDING_FAMILIES",
    "COMPILER_PACKAGES",
    "DEV_RUNTIMES",
    "HEADERS_WEIGHT",
    "TOOLCHAIN_COMMANDS",
    "TOOLCHAIN_WEIGHT",
    "expected_saving",
    "kept_runtimes",
    "runs_a_script",
    "toolchain_use",
]
