"""The lab: real `docker build`s on an engine that can pull nothing.

Base images are made here instead of pulled, and cached (versioned tags, see LAB_VERSION):

* ``dockslim-lab/rootfs:SUITE-vN`` - a Debian root filesystem (``debootstrap --variant=minbase``;
  bookworm from the host's own Debian mirror, trixie from the same mirror with the suite renamed),
  apt set up as in the official images, imported with ``docker import``;
* ``dockslim-lab/python:3.X-slim-SUITE-vN`` - that root plus Debian's ``python3``/``pip``/``venv``
  and ``python3-dev`` (headers, no compiler), ``ca-certificates``/``netbase``/``tzdata``, with
  ``python``/``pip`` on PATH, no PEP 668 marker, and pip's HTTP cache made to work here (below);
* ``dockslim-lab/buildpack:SUITE-vN`` - the root plus a subset of buildpack-deps (compilers, make,
  git, curl, the common ``-dev`` libraries), which the official non-slim images are built on;
* ``dockslim-lab/python:3.X-SUITE-vN`` and ``dockslim-lab/rust:...`` - Python or the host's Rust
  toolchain on top of those;
* per session, thin *config layers* on top, tagged like the images Dockerfiles name. When the
  real registries answer (the default), they carry the host's apt sources (renamed to the image's
  suite) and the host's trust store, so that ``apt-get update``/``install``, ``pip install`` and
  ``cargo build`` in a build reach the Debian archive, PyPI and crates.io, as on a developer's
  machine; otherwise (or with ``DOCKSLIM_LAB_REGISTRIES=loopback``) apt's sources and pip's index
  point to a local apt repository and a local Python package index that this module serves on
  127.0.0.1 (the *loopback mirror*; the default bases only). Builds use ``--network host``.

Which tags a session provides: the *default* family always (what CI uses; cheap to make), and
the extra families only when asked, with ``session(bases=...)`` or ``DOCKSLIM_LAB_BASES`` (``all``,
or a comma-separated list of family names); ``python -m tests.integration.lab`` honours the env.

default (bookworm; the only family CI makes)
    ``debian:bookworm``, ``debian:bookworm-slim`` -> rootfs bookworm. Both are the minbase root
    (the official ``-slim`` also drops man pages and docs via dpkg path-excludes; not here).
    ``python:3.11-slim`` -> python 3.11 slim. Debian's Python 3.11.2 in /usr, pip 23.0.1 (the
    official: a source-built 3.11.x in /usr/local, a newer pip). Headers (``Python.h``) present,
    no gcc, as in the official slim image.
    ``python:3.11`` -> the same slim image (cheap); with the ``python`` family it is the full one.
debian
    ``debian:12``, ``debian:12-slim`` -> rootfs bookworm, as above.
    ``debian:trixie``, ``debian:trixie-slim``, ``debian:13``, ``debian:13-slim``,
    ``debian:stable``, ``debian:stable-slim``, ``debian:latest`` -> rootfs trixie (minbase), with
    ``trixie``, ``trixie-updates`` and ``trixie-security`` sources.
python
    ``python:3.11``, ``python:3.11-bookworm`` -> python 3.11 full: the buildpack subset below plus
    Python 3.11 as in the slim one. ``python:3.11-slim-bookworm`` -> python 3.11 slim.
    ``python:3.13``, ``python:3.13-trixie`` -> python 3.13 full on trixie (Debian's 3.13, pip
    25.1); ``python:3.13-slim``, ``python:3.13-slim-trixie`` -> python 3.13 slim on trixie.
    The buildpack subset (``BUILDPACK_PACKAGES``) is buildpack-deps' curl, scm and full layers
    without ImageMagick and its -dev libraries, mercurial and subversion (~0.5 GB of rarely used
    packages).
rust
    ``rust:1.95``, ``rust:1``, ``rust:latest``, ``rust:1-bookworm``, ``rust:1.95-bookworm`` ->
    rust full: the bookworm buildpack subset plus the host's Rust toolchain (cargo, rustc,
    rust-std: rustup's minimal profile) in RUSTUP_HOME=/usr/local/rustup,
    CARGO_HOME=/usr/local/cargo, with rustup and its proxies in /usr/local/cargo/bin, as the
    official image lays it out. ``rust:slim``, ``rust:1-slim``, ``rust:1-slim-bookworm``,
    ``rust:1.95-slim``, ``rust:1.95-slim-bookworm`` -> rust slim: bookworm plus ``ca-certificates``,
    ``gcc``, ``libc6-dev`` (the official slim's packages) and the same toolchain. The official
    ``rust:1``/``latest``/``slim`` are trixie-based since Rust 1.89; these are bookworm.
    Approximate: ``rust:1.N`` and ``rust:1.N-{slim,bookworm,slim-bookworm}`` for 56 <= N < 95
    name the same images (a newer compiler builds older crates; ``RUST_VERSION`` says 1.95.0).

pip's cache: on this project's machine the route to PyPI strips HTTP caching headers
(``Cache-Control``, ``ETag``...), and pip caches no response without them, so ``pip install``
wrote nothing to ``/root/.cache/pip`` (the host's pip neither) and ``--no-cache-dir`` seemed to
save nothing. PyPI sends them (files: a year; pages: 10 minutes), so the Python stand-ins' pip
caches a response that has none as PyPI's would be cached (``PIP_CACHE_PATCH``, appended to pip's
vendored cachecontrol, and in the pip wheel that ``python -m venv`` installs); where the
headers arrive, nothing changes.

These images are stand-ins: same distribution, package manager and tag, not the official images'
bytes. Everything slow is cached in ``$DOCKSLIM_LAB_CACHE`` (default ``/var/cache/dockslim-lab``):
the root filesystem tarballs, the ``.deb``s and wheels; the engine keeps the base images. A cold
start of the default family costs a debootstrap and the Python layer (~2 min here); a warm one a few
seconds; all families cold, ~15 min more. A lock file serialises lab sessions on one machine,
since the stand-in tags are global to the engine.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("DOCKSLIM_LAB_CACHE", "/var/cache/dockslim-lab"))
LAB_VERSION = "2"  # bump when the base images' recipe changes: cached images are then rebuilt
SUITE = "bookworm"  # the host's suite, which the default family is made of
SUITES = ("bookworm", "trixie")
LABEL = "dockslim.lab"


def lab_image(name: str) -> str:
    """The engine's tag of a lab base: ``rootfs:bookworm`` -> ``dockslim-lab/rootfs:bookworm-v2``."""
    return f"dockslim-lab/{name}-v{LAB_VERSION}"


ROOTFS_IMAGE = lab_image(f"rootfs:{SUITE}")
PYTHON_IMAGE = lab_image("python:3.11-slim-bookworm")

# The Rust toolchain the rust family copies in (rustup's minimal profile: these components).
RUST_TOOLCHAIN = Path(os.environ.get("DOCKSLIM_LAB_RUST_TOOLCHAIN",
                                     "/root/.rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu"))
RUSTUP = Path("/root/.cargo/bin/rustup")
RUST_COMPONENTS = ("cargo", "rustc", "rust-std")
RUST_OLDEST_ALIAS = 56  # rust:1.N for N from here up to the toolchain's: approximate aliases


def _rust_tags(image_full: str, image_slim: str) -> dict[str, str]:
    minor = int(RUST_TOOLCHAIN.name.split(".")[1]) if RUST_TOOLCHAIN.name.startswith("1.") else 95
    tags = {"rust:1": image_full, "rust:latest": image_full, "rust:1-bookworm": image_full,
            "rust:slim": image_slim, "rust:1-slim": image_slim, "rust:1-slim-bookworm": image_slim}
    for n in range(RUST_OLDEST_ALIAS, minor + 1):
        for variant in ("", "-bookworm"):
            tags[f"rust:1.{n}{variant}"] = image_full
        for variant in ("-slim", "-slim-bookworm"):
            tags[f"rust:1.{n}{variant}"] = image_slim
    return tags


# Family -> the tags it provides -> the lab base each stands in for (names for lab_image). Later
# families override earlier ones: with `python`, python:3.11 is the full image, not the slim one.
FAMILIES: dict[str, dict[str, str]] = {
    "default": {
        "debian:bookworm": "rootfs:bookworm",
        "debian:bookworm-slim": "rootfs:bookworm",
        "python:3.11-slim": "python:3.11-slim-bookworm",
        "python:3.11": "python:3.11-slim-bookworm",
    },
    "debian": {
        "debian:12": "rootfs:bookworm", "debian:12-slim": "rootfs:bookworm",
        **{f"debian:{name}": "rootfs:trixie" for name in (
            "trixie", "trixie-slim", "13", "13-slim", "stable", "stable-slim", "latest")},
    },
    "python": {
        "python:3.11": "python:3.11-bookworm",
        "python:3.11-bookworm": "python:3.11-bookworm",
        "python:3.11-slim-bookworm": "python:3.11-slim-bookworm",
        "python:3.13": "python:3.13-trixie",
        "python:3.13-trixie": "python:3.13-trixie",
        "python:3.13-slim": "python:3.13-slim-trixie",
        "python:3.13-slim-trixie": "python:3.13-slim-trixie",
    },
    "rust": _rust_tags("rust:1.95-bookworm", "rust:1.95-slim-bookworm"),
}
STAND_INS = FAMILIES["default"]  # what CI uses


def families_wanted(bases: str | None = None) -> tuple[str, ...]:
    """The families a session makes: ``default`` plus what ``bases`` (or ``DOCKSLIM_LAB_BASES``)
    names: ``all``, or names separated by commas."""
    text = (os.environ.get("DOCKSLIM_LAB_BASES", "") if bases is None else bases).strip().lower()
    names = list(FAMILIES) if text == "all" else [w.strip() for w in text.split(",") if w.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise LabUnavailable(f"no lab base family {', '.join(unknown)}; there are: {', '.join(FAMILIES)}")
    return tuple(n for n in FAMILIES if n == "default" or n in names)


def stand_ins(families: tuple[str, ...]) -> dict[str, str]:
    """Tag -> lab base name, for these families."""
    out: dict[str, str] = {}
    for family in families:
        out.update(FAMILIES[family])
    return out


# What the local apt repository carries, with every dependency: the Python stand-in's packages
# (installed with --no-install-recommends) and what the lab fixtures install, whose recommended
# packages are carried too, so that `--no-install-recommends` (an unsafe fix) makes a difference
# here as it does on Debian's mirrors. Small on purpose: the machine has 2 shared cores.
BASE_APT_PACKAGES = ("python3", "python3-pip", "python3-venv")
APT_PACKAGES = ("ca-certificates", "jq", "tree", "less", "procps")
# What the local Python package index carries: pure-Python wheels the fixtures install. Django is
# the heavy one: its install is what a cache hit saves in the reorder fixture.
WHEELS = ("pip==24.0", "six==1.16.0", "idna==3.7", "packaging==24.1", "click==8.1.7",
          "itsdangerous==2.2.0", "Django==4.2.16", "asgiref==3.8.1", "sqlparse==0.5.1")

_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


HOST_APT_SOURCES = Path("/etc/apt/sources.list")
HOST_APT_SOURCES_D = Path("/etc/apt/sources.list.d")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
HOST_LOCAL_CAS = Path("/usr/local/share/ca-certificates")
PYPI_PROBE = "https://pypi.org/simple/pip/"


class LabUnavailable(RuntimeError):
    """The lab cannot run on this machine; the message says why (used as the skip reason)."""


def _run(argv, *, timeout=900, check=True, **kw) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except FileNotFoundError as exc:
        raise LabUnavailable(f"{argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabUnavailable(f"`{' '.join(map(str, argv[:4]))} ...` took more than {timeout}s") from exc
    if check and proc.returncode != 0:
        raise LabUnavailable(f"`{' '.join(map(str, argv[:6]))} ...` failed ({proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc


def engine_reason() -> str | None:
    """Why no Docker engine can be used here, or None."""
    if shutil.which("docker") is None:
        return "no docker CLI on this machine"
    try:
        proc = subprocess.run(["docker", "info", "--format", "{{json .ServerVersion}}"],
                              capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30s"
    if proc.returncode != 0 or proc.stdout.strip() in ("", '""', "null"):
        return "no Docker engine reachable: `docker info` said: " + (proc.stderr.strip()[-300:] or "nothing")
    return None


def _image_labels(ref: str) -> dict | None:
    """The image's labels ({} when none), or None when there is no such image."""
    proc = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout or "null") or {}


# --- the host's Debian mirror and apt -------------------------------------------------------------


def _apt_get(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    # Other people's apt runs hold the dpkg lock for a while: wait for it rather than fail.
    return _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", *args], timeout=timeout)


def _host_mirror() -> str:
    """The URI of the host's Debian archive for SUITE, as the host's apt is configured."""
    out = _run(["apt-cache", "policy"]).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == f"{SUITE}/main" and parts[1].startswith("http"):
            return parts[1]
    _apt_get("update")
    out = _run(["apt-cache", "policy"]).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == f"{SUITE}/main" and parts[1].startswith("http"):
            return parts[1]
    raise LabUnavailable(f"the host's apt has no {SUITE}/main source to debootstrap from")


def _ensure_tool(tool: str, package: str) -> None:
    if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None:
        return
    if os.geteuid() != 0:
        raise LabUnavailable(f"{tool} is missing and only root can `apt-get install {package}`")
    try:
        _apt_get("install", "-y", "--no-install-recommends", package)
    except LabUnavailable:
        _apt_get("update")
        _apt_get("install", "-y", "--no-install-recommends", package)


# --- the real registries -------------------------------------------------------------------------


def host_apt_sources() -> dict[str, str]:
    """The host's active apt source files (name -> text): ``sources.list`` and the ``.list`` and
    ``.sources`` files of ``sources.list.d`` (apt ignores other names, e.g. ``*.disabled``)."""
    out: dict[str, str] = {}
    if HOST_APT_SOURCES.is_file() and HOST_APT_SOURCES.read_text().strip():
        out["host.list"] = HOST_APT_SOURCES.read_text()
    if HOST_APT_SOURCES_D.is_dir():
        for f in sorted(HOST_APT_SOURCES_D.iterdir()):
            if f.is_file() and f.suffix in (".list", ".sources"):
                out[f.name] = f.read_text()
    return out


def source_uris(sources: dict[str, str]) -> list[str]:
    """The archive URIs the source files name (one-line ``deb URI suite ...`` and deb822 ``URIs:``)."""
    uris: list[str] = []
    for name, text in sources.items():
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if name.endswith(".sources") and words[0].lower() == "uris:":
                uris.extend(words[1:])
            elif words[0] == "deb":
                # `deb [option=value ...] URI suite components`
                rest = line.split("]", 1)[1].split() if "[" in words[1] else words[1:]
                if rest:
                    uris.append(rest[0])
    return list(dict.fromkeys(u for u in uris if u.startswith(("http://", "https://"))))


def _signed_by(sources: dict[str, str]) -> list[Path]:
    """Keyring files the sources name (``Signed-By:`` / ``[signed-by=...]``) that exist on the host."""
    found = re.findall(r"(?i)signed-by[:=]\s*([^\s\]]+)", "\n".join(sources.values()))
    return [Path(p) for p in dict.fromkeys(found) if p.startswith("/") and Path(p).is_file()]


def _reachable(url: str, timeout: float = 15) -> str | None:
    """None when ``url`` answers (any HTTP status below 500), else why not. TLS is checked against
    the host's trust store, as pip in a build will check it."""
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=str(HOST_CA_BUNDLE) if HOST_CA_BUNDLE.is_file() else None)
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "dockslim-lab"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context):
            return None
    except urllib.error.HTTPError as exc:
        return None if exc.code < 500 else f"{url}: HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"


def registries_reason() -> str | None:
    """Why builds here cannot use the real Debian archive and PyPI, or None when they can."""
    wanted = os.environ.get("DOCKSLIM_LAB_REGISTRIES", "").strip().lower()
    if wanted in ("loopback", "0", "no", "off"):
        return "DOCKSLIM_LAB_REGISTRIES=loopback"
    sources = host_apt_sources()
    uris = source_uris(sources)
    if not uris:
        return "the host's apt has no http(s) source to copy"
    if not HOST_CA_BUNDLE.is_file():
        return f"no trust store at {HOST_CA_BUNDLE} to give builds"
    for uri in uris[:1]:  # the first is the archive itself; security/updates mirror it
        why = _reachable(uri.rstrip("/") + f"/dists/{SUITE}/Release")
        if why:
            return "the Debian archive does not answer: " + why
    why = _reachable(PYPI_PROBE)
    return None if why is None else "PyPI does not answer: " + why


# --- the root filesystem --------------------------------------------------------------------------

# What the official Debian images configure for apt (docker-clean and friends), so that passes
# which reason about apt's caches meet the same behaviour here.
_APT_CONF = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    ),
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}


def _rootfs_tarball(suite: str) -> Path:
    tarball = CACHE / f"rootfs-{suite}-v{LAB_VERSION}.tar"
    if tarball.exists():
        return tarball
    _ensure_tool("debootstrap", "debootstrap")
    mirror = _host_mirror()  # the host's archive, which also carries the other suites
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE))
    try:
        root = work / "root"
        _run(["debootstrap", "--variant=minbase", suite, str(root), mirror], timeout=1500)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for p in (root / junk).glob("*"):
                if p.is_file():
                    p.unlink()
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        for name, text in _APT_CONF.items():
            (root / "etc/apt/apt.conf.d" / name).write_text(text)
        shutil.rmtree(root / "debootstrap", ignore_errors=True)
        partial = tarball.with_suffix(".tar.part")
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."])
        os.replace(partial, tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tarball


def _ensure_rootfs_image(suite: str = SUITE) -> None:
    image = lab_image(f"rootfs:{suite}")
    if _image_labels(image) is not None:
        return
    tarball = _rootfs_tarball(suite)
    _run(["docker", "import",
          "--change", f"ENV PATH={_PATH}",
          "--change", 'CMD ["bash"]',
          "--change", f"LABEL {LABEL}={LAB_VERSION}",
          str(tarball), image])


# --- the local apt repository and Python package index --------------------------------------------


def _apt_closure(packages: tuple[str, ...], recommends: bool) -> set[str]:
    """Every real package ``packages`` need (Depends, Pre-Depends and maybe Recommends, recursively)."""
    out = _run(["apt-cache", "depends", "--recurse", "--no-suggests", "--no-conflicts", "--no-breaks",
                "--no-replaces", "--no-enhances", *([] if recommends else ["--no-recommends"]),
                *packages]).stdout
    names = {line.strip() for line in out.splitlines() if line and not line[0].isspace()}
    return {n for n in names if not n.startswith("<")}  # <virtual> packages have no .deb


def _ensure_apt_repo(www: Path) -> None:
    repo = www / "apt"
    key = hashlib.sha256(repr((BASE_APT_PACKAGES, APT_PACKAGES)).encode()).hexdigest()[:12]
    if (repo / ".key").exists() and (repo / ".key").read_text() == key:
        return
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    try:
        names = _apt_closure(BASE_APT_PACKAGES, False) | _apt_closure(APT_PACKAGES, True)
    except LabUnavailable:
        _apt_get("update")
        names = _apt_closure(BASE_APT_PACKAGES, False) | _apt_closure(APT_PACKAGES, True)
    # apt-get download runs as the _apt user when it can; a folder it can write keeps it simple.
    os.chmod(repo, 0o777)
    _run(["apt-get", "download", *sorted(names)], cwd=repo, timeout=1500)
    _write_apt_indexes(repo)
    (repo / ".key").write_text(key)


def _write_apt_indexes(repo: Path) -> None:
    """A flat repository: ``Packages`` built from each .deb's control fields, and a ``Release``."""
    stanzas = []
    for deb in sorted(repo.glob("*.deb")):
        control = _run(["dpkg-deb", "-f", str(deb)]).stdout.rstrip("\n")
        data = deb.read_bytes()
        stanzas.append(f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\n"
                       f"MD5sum: {hashlib.md5(data).hexdigest()}\n"
                       f"SHA256: {hashlib.sha256(data).hexdigest()}\n")
    packages = "\n".join(stanzas).encode()
    (repo / "Packages").write_bytes(packages)
    (repo / "Release").write_text(
        "Origin: dockslim-lab\nLabel: dockslim-lab\nSuite: lab\nCodename: lab\n"
        f"Date: {email.utils.formatdate(usegmt=True)}\nArchitectures: amd64 all\n"
        f"SHA256:\n {hashlib.sha256(packages).hexdigest()} {len(packages)} Packages\n"
    )


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _ensure_pypi(www: Path) -> None:
    index = www / "pypi"
    key = hashlib.sha256(repr(WHEELS).encode()).hexdigest()[:12]
    if (index / ".key").exists() and (index / ".key").read_text() == key:
        return
    shutil.rmtree(index, ignore_errors=True)
    files = index / "files"
    files.mkdir(parents=True)
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
          "--python-version", "3.11", "--implementation", "py", "--dest", str(files), *WHEELS],
         timeout=600)
    by_project: dict[str, list[Path]] = {}
    for wheel in sorted(files.glob("*.whl")):
        by_project.setdefault(_normalise(wheel.name.split("-")[0]), []).append(wheel)
    links = []
    for project, wheels in by_project.items():
        page = index / "simple" / project
        page.mkdir(parents=True)
        rows = "".join(
            f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
            f"{w.name}</a><br>\n" for w in wheels)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{rows}</body></html>\n")
        links.append(f'<a href="{project}/">{project}</a><br>\n')
    (index / "simple" / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "".join(links) + "</body></html>\n")
    (index / ".key").write_text(key)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # builds would drown in access logs
        pass


@contextlib.contextmanager
def _serve(root: Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# --- images ---------------------------------------------------------------------------------------


def _build(tag: str, dockerfile: str, files: dict[str, str | bytes] | None = None, timeout: int = 1800,
           context: Path | None = None) -> None:
    """Build ``dockerfile`` as ``tag``; ``files`` go under ``config/`` in the build context, which is
    ``context`` (a folder prepared by the caller, e.g. the Rust toolchain) or a temporary one."""
    with tempfile.TemporaryDirectory(prefix="lab-image-") as tmp:
        where = context or Path(tmp)
        (where / "Dockerfile").write_text(dockerfile)
        (where / "config").mkdir(exist_ok=True)
        for name, content in (files or {}).items():
            target = where / "config" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        _run(["docker", "build", "--network", "host", "-q", "-t", tag, str(where)], timeout=timeout,
             env={**os.environ, "DOCKER_BUILDKIT": "0"})


@dataclass(frozen=True)
class Registries:
    """Where apt and pip in the lab's builds get packages: the real registries or the loopback mirror."""

    real: bool
    port: int | None = None   # the loopback mirror's port (None with real registries)
    why_not_real: str = ""    # why the loopback mirror is used

    def describe(self) -> str:
        if self.real:
            uris = ", ".join(source_uris(host_apt_sources()))
            return f"real registries: the Debian archive ({uris}) and PyPI"
        return f"loopback mirror on 127.0.0.1:{self.port} (real registries not used: {self.why_not_real})"


_CONFIG_LAYER = """\
FROM {base}
RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/pip.conf
COPY config/ /
LABEL {label}={version}
"""


def _config_files(registries: Registries, suite: str = SUITE) -> dict[str, str | bytes]:
    """The files a config layer puts in place (path in the image -> content), for an image of
    ``suite``: the host's apt sources name the host's suite, which is renamed."""
    if not registries.real:
        if suite != SUITE:
            raise LabUnavailable(f"the loopback mirror only carries {SUITE}; {suite} bases need the "
                                 f"real registries ({registries.why_not_real})")
        port = registries.port
        return {
            "etc/apt/sources.list": f"deb [trusted=yes] http://127.0.0.1:{port}/apt ./\n",
            "etc/pip.conf": f"[global]\nindex-url = http://127.0.0.1:{port}/pypi/simple/\n"
                            "trusted-host = 127.0.0.1\ndisable-pip-version-check = true\n",
        }
    files: dict[str, str | bytes] = {
        f"etc/apt/sources.list.d/{name}": re.sub(rf"\b{SUITE}\b", suite, text)
        for name, text in host_apt_sources().items()}
    for keyring in _signed_by(host_apt_sources()):
        files[str(keyring).lstrip("/")] = keyring.read_bytes()
    # The host's trust store: its bundle where Debian's tools look, and the host's own CAs where
    # `update-ca-certificates` (run when a build installs ca-certificates) adds them back.
    files[str(HOST_CA_BUNDLE).lstrip("/")] = HOST_CA_BUNDLE.read_bytes()
    if HOST_LOCAL_CAS.is_dir():
        for ca in sorted(HOST_LOCAL_CAS.glob("*.crt")):
            files[str(ca).lstrip("/")] = ca.read_bytes()
    files["etc/pip.conf"] = (f"[global]\ncert = {HOST_CA_BUNDLE}\ndisable-pip-version-check = true\n")
    return files


# Appended to pip's vendored cachecontrol in the Python stand-ins: see the module docstring.
PIP_CACHE_PATCH = """

# Added by the dockslim lab (tests/integration/lab.py): the lab's route to PyPI strips HTTP caching
# headers, without which pip caches nothing; PyPI sends them, so cache as if it had.
# (cachecontrol 0.14, pip >= 24.1, may pass a weak reference to the response.)
def _dockslim_lab_cache_response(self, request, response, *args, **kwargs):
    import weakref

    target = response() if isinstance(response, weakref.ref) else response
    if target is not None and not any(
            h in target.headers for h in ("cache-control", "expires", "etag", "last-modified")):
        target.headers["Cache-Control"] = "max-age=600"
    return _dockslim_lab_cache_response.original(self, request, response, *args, **kwargs)


_dockslim_lab_cache_response.original = CacheController.cache_response
CacheController.cache_response = _dockslim_lab_cache_response
"""
PIP_PATCHER = '''"""Run by the dockslim lab when it makes a Python stand-in: append pip-cache-patch.py (beside this
file) to pip's vendored cachecontrol, in the installed pip and in the pip wheel(s) that Debian's
`python -m venv` installs from /usr/share/python-wheels."""
import glob
import os
import zipfile

import pip._vendor.cachecontrol.controller as controller

patch = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-cache-patch.py")).read()
with open(controller.__file__, "a") as f:
    f.write(patch)
member = "pip/_vendor/cachecontrol/controller.py"
for wheel in glob.glob("/usr/share/python-wheels/pip-*.whl"):
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(wheel + ".part", "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data + patch.encode() if item.filename == member else data)
    os.replace(wheel + ".part", wheel)
'''

# buildpack-deps (docker-library/buildpack-deps, debian/SUITE/{curl,scm,}/Dockerfile), which the
# official non-slim python and rust images are built on, without ImageMagick and its -dev
# libraries, mercurial and subversion; pkg-config, which those -dev libraries pull in anyway.
BUILDPACK_PACKAGES = (
    # curl
    "ca-certificates", "curl", "gnupg", "netbase", "wget",
    # scm
    "git", "openssh-client", "procps",
    # full
    "autoconf", "automake", "bzip2", "default-libmysqlclient-dev", "dpkg-dev", "file", "g++", "gcc",
    "libbz2-dev", "libc6-dev", "libcurl4-openssl-dev", "libdb-dev", "libevent-dev", "libffi-dev",
    "libgdbm-dev", "libglib2.0-dev", "libgmp-dev", "libjpeg-dev", "libkrb5-dev", "liblzma-dev",
    "libmaxminddb-dev", "libncurses-dev", "libpng-dev", "libpq-dev", "libreadline-dev",
    "libsqlite3-dev", "libssl-dev", "libtool", "libwebp-dev", "libxml2-dev", "libxslt1-dev",
    "libyaml-dev", "make", "patch", "pkg-config", "unzip", "xz-utils", "zlib1g-dev",
)


@dataclass(frozen=True)
class Recipe:
    """How a lab base is made: a Dockerfile body on ``parent`` (a lab base name) under a config
    layer for ``suite``."""

    parent: str
    suite: str
    body: str
    files: tuple[tuple[str, str], ...] = ()
    rust: bool = False  # the build context carries the host's Rust toolchain


_PYTHON_BODY = """\
COPY config/ /usr/local/share/dockslim-lab/
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates netbase tzdata \\
       python3 python3-pip python3-venv python3-dev \\
    && rm -rf /var/lib/apt/lists/* \\
    && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED /usr/lib/python3.*/config-*/libpython3*.a \\
       /usr/lib/*-linux-gnu/libpython3*.a \\
    && ln -s /usr/bin/python3 /usr/local/bin/python \\
    && ln -s /usr/bin/pip3 /usr/local/bin/pip \\
    && python3 /usr/local/share/dockslim-lab/patch-pip.py
ENV LANG=C.UTF-8
"""
_BUILDPACK_BODY = f"""\
RUN apt-get update \\
    && apt-get install -y --no-install-recommends {" ".join(BUILDPACK_PACKAGES)} \\
    && rm -rf /var/lib/apt/lists/*
"""
_RUST_ENV = """\
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:{path} RUST_VERSION={version}
"""
_RUST_SLIM_BODY = """\
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
"""
_RUST_BODY = """\
COPY rust/ /usr/local/
RUN rustup --version && cargo --version
"""
_PATCH_FILES = (("pip-cache-patch.py", PIP_CACHE_PATCH), ("patch-pip.py", PIP_PATCHER))

RECIPES: dict[str, Recipe] = {
    "buildpack:bookworm": Recipe("rootfs:bookworm", "bookworm", _BUILDPACK_BODY),
    "buildpack:trixie": Recipe("rootfs:trixie", "trixie", _BUILDPACK_BODY),
    "python:3.11-slim-bookworm": Recipe("rootfs:bookworm", "bookworm", _PYTHON_BODY, _PATCH_FILES),
    "python:3.11-bookworm": Recipe("buildpack:bookworm", "bookworm", _PYTHON_BODY, _PATCH_FILES),
    "python:3.13-slim-trixie": Recipe("rootfs:trixie", "trixie", _PYTHON_BODY, _PATCH_FILES),
    "python:3.13-trixie": Recipe("buildpack:trixie", "trixie", _PYTHON_BODY, _PATCH_FILES),
    "rust:1.95-slim-bookworm": Recipe("rootfs:bookworm", "bookworm", _RUST_SLIM_BODY + _RUST_BODY,
                                      rust=True),
    "rust:1.95-bookworm": Recipe("buildpack:bookworm", "bookworm", _RUST_BODY, rust=True),
}


def _rust_version() -> str:
    return RUST_TOOLCHAIN.name.split("-", 1)[0]


def _rust_context(where: Path) -> None:
    """Lay the host's toolchain out under ``where/rust`` as the official image has it in
    /usr/local: ``rustup/`` (RUSTUP_HOME: the toolchain, only RUST_COMPONENTS' files, and
    settings) and ``cargo/bin`` (CARGO_HOME: rustup and its proxies)."""
    source = RUST_TOOLCHAIN.resolve()
    if not (source / "bin" / "cargo").is_file() or not RUSTUP.is_file():
        raise LabUnavailable(f"the rust bases need a Rust toolchain at {RUST_TOOLCHAIN} and rustup at {RUSTUP}")
    triple = RUST_TOOLCHAIN.name.split("-", 1)[1]
    toolchain = where / "rust" / "rustup" / "toolchains" / RUST_TOOLCHAIN.name
    rustlib = Path("lib/rustlib")

    def put(rel: Path) -> None:
        src, dst = source / rel, toolchain / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst, follow_symlinks=False)

    for component in RUST_COMPONENTS:
        manifest = rustlib / f"manifest-{component}-{triple}"
        put(manifest)
        for line in (source / manifest).read_text().splitlines():
            kind, _, rel = line.partition(":")
            if kind in ("file", "dir") and rel:
                put(Path(rel))
    for rel in ("multirust-channel-manifest.toml", "rust-installer-version"):
        put(rustlib / rel)
    (toolchain / rustlib / "components").write_text("".join(f"{c}-{triple}\n" for c in RUST_COMPONENTS))
    (toolchain / rustlib / "multirust-config.toml").write_text('config_version = "1"\n' + "".join(
        f'\n[[components]]\npkg = "{c}"\ntarget = "{triple}"\nis_extension = false\n'
        for c in RUST_COMPONENTS))
    (where / "rust" / "rustup" / "settings.toml").write_text(
        f'version = "12"\ndefault_toolchain = "{RUST_TOOLCHAIN.name}"\nprofile = "minimal"\n\n[overrides]\n')
    bin_dir = where / "rust" / "cargo" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(RUSTUP, bin_dir / "rustup")
    for proxy in RUSTUP.parent.iterdir():  # the proxies rustup made on the host: links to rustup
        if proxy.is_symlink() and os.readlink(proxy) == "rustup":
            (bin_dir / proxy.name).symlink_to("rustup")
    # The official image's `chmod -R a+w $RUSTUP_HOME $CARGO_HOME`, done here: in a RUN it would
    # copy the whole toolchain into a second layer.
    for path in (where / "rust").rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o222)


def _ensure_image(name: str, registries: Registries) -> None:
    """Make the lab base ``name`` (and its parents) unless the engine has it."""
    image = lab_image(name)
    if _image_labels(image) is not None:
        return
    if name.startswith("rootfs:"):
        _ensure_rootfs_image(name.split(":", 1)[1])
        return
    recipe = RECIPES[name]
    _ensure_image(recipe.parent, registries)
    config = f"dockslim-lab/config:tmp-{os.getpid()}"
    _build(config, _CONFIG_LAYER.format(base=lab_image(recipe.parent), label=LABEL, version=LAB_VERSION),
           _config_files(registries, recipe.suite))
    try:
        body = recipe.body
        if recipe.rust:
            body = _RUST_ENV.format(path=_PATH, version=_rust_version()) + body
        dockerfile = f"FROM {config}\n{body}LABEL {LABEL}={LAB_VERSION}\n"
        if recipe.rust:
            with tempfile.TemporaryDirectory(prefix="lab-rust-", dir=CACHE) as tmp:
                _rust_context(Path(tmp))
                _build(image, dockerfile, dict(recipe.files), context=Path(tmp))
        else:
            _build(image, dockerfile, dict(recipe.files))
    finally:
        subprocess.run(["docker", "rmi", config], capture_output=True)


def _ensure_python_image(registries: Registries) -> None:
    _ensure_image("python:3.11-slim-bookworm", registries)


def _engine_tags(*filters: str) -> set[str]:
    out = _run(["docker", "images", *(f"--filter={f}" for f in filters),
                "--format", "{{.Repository}}:{{.Tag}}"]).stdout
    return set(out.split())


def _tag_stand_ins(registries: Registries, tags: dict[str, str]) -> None:
    """One config layer per lab base, tagged with every tag that stands in for it."""
    foreign = (set(tags) & _engine_tags()) - _engine_tags(f"label={LABEL}")
    if foreign:
        raise LabUnavailable(f"{', '.join(sorted(foreign))} on this engine: not lab images; "
                             "the lab will not replace them")
    by_base: dict[str, list[str]] = {}
    for tag, base in tags.items():
        by_base.setdefault(base, []).append(tag)
    for base, names in by_base.items():
        suite = RECIPES[base].suite if base in RECIPES else base.split(":", 1)[1]
        _build(names[0], _CONFIG_LAYER.format(base=lab_image(base), label=LABEL, version=LAB_VERSION),
               _config_files(registries, suite))
        for name in names[1:]:
            _run(["docker", "tag", names[0], name])


def _untag_stand_ins(tags: dict[str, str]) -> None:
    ours = set(tags) & _engine_tags(f"label={LABEL}")
    if ours:
        subprocess.run(["docker", "rmi", *sorted(ours)], capture_output=True)


# --- the session ----------------------------------------------------------------------------------


@dataclass
class Lab:
    registries: Registries
    setup_seconds: float  # from taking the lock to the stand-ins being tagged
    families: tuple[str, ...] = ("default",)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> the lab base it stands in for
    lock_seconds: float = 0.0  # waiting for another session's lock

    network = "host"

    @property
    def real_registries(self) -> bool:
        return self.registries.real


@contextlib.contextmanager
def session(lock_timeout: float = 1800, bases: str | None = None):
    """Set the lab up (cached), choose the registries (real ones when they answer, else serve the
    loopback mirror), tag the stand-ins of the default family and of the families ``bases`` names
    (``"all"`` or ``"debian,python,rust"``; None: ``$DOCKSLIM_LAB_BASES``); yield a :class:`Lab`."""
    families = families_wanted(bases)
    tags = stand_ins(families)
    reason = engine_reason()
    if reason:
        raise LabUnavailable(reason)
    if os.geteuid() != 0:
        raise LabUnavailable("the lab needs root (debootstrap, the cache folder); CI runs as root")
    started = time.monotonic()
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as lock:
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabUnavailable(f"another lab session held {CACHE / 'lock'} for {lock_timeout}s") from None
                time.sleep(2)
        lock_seconds = time.monotonic() - started
        started = time.monotonic()
        _ensure_rootfs_image()
        why_not_real = registries_reason()
        with contextlib.ExitStack() as stack:
            if why_not_real is None:
                registries = Registries(real=True)
            else:
                www = CACHE / "www"
                www.mkdir(exist_ok=True)
                _ensure_apt_repo(www)
                _ensure_pypi(www)
                registries = Registries(real=False, port=stack.enter_context(_serve(www)),
                                        why_not_real=why_not_real)
            for base in dict.fromkeys(tags.values()):
                _ensure_image(base, registries)
            try:
                _tag_stand_ins(registries, tags)
                yield Lab(registries=registries, setup_seconds=time.monotonic() - started,
                          families=families, tags=tags, lock_seconds=lock_seconds)
            finally:
                # A loopback configuration names this session's port: useless afterwards; and
                # the tags are global to the engine, so each session makes its own.
                _untag_stand_ins(tags)


def main(argv: list[str]) -> int:
    """``python -m tests.integration.lab [COMMAND ...]``: set the lab up, say which registries its
    builds use, run COMMAND with the stand-in images tagged (e.g. ``dockslim fix --verify ...``),
    and clean up; without a command, only set up (warms the cache). ``DOCKSLIM_LAB_BASES`` chooses
    the extra families (``all``: every one)."""
    try:
        with session() as lab:
            print(f"lab: {lab.registries.describe()}; bases: {', '.join(lab.families)} "
                  f"({len(lab.tags)} tags); set up in {lab.setup_seconds:.0f}s "
                  f"after {lab.lock_seconds:.0f}s waiting for the lock", file=sys.stderr)
            if not argv:
                return 0
            return subprocess.call(argv)
    except LabUnavailable as exc:
        print(f"lab: cannot run here: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
