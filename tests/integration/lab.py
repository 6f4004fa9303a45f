"""The lab: real `docker build`s on an engine that can pull nothing.

Base images are made here instead of pulled:

* ``dockslim-lab/rootfs`` - a Debian bookworm root filesystem (``debootstrap --variant=minbase``
  from the host's own Debian mirror), imported with ``docker import``;
* ``dockslim-lab/python`` - that root plus Debian's ``python3``/``python3-pip``/``python3-venv``,
  with ``python``/``pip`` on PATH and no PEP 668 marker, as the official Python images have;
* per session, thin *config layers* on top, tagged like the images fixtures name
  (``debian:bookworm``, ``debian:bookworm-slim``, ``python:3.11-slim``, ``python:3.11``). When the
  real registries answer (the default), they carry the host's apt sources and the host's trust
  store, so that ``apt-get update``/``install`` and ``pip install`` in a build reach the Debian
  archive and PyPI, as on a developer's machine; otherwise (or with
  ``DOCKSLIM_LAB_REGISTRIES=loopback``) apt's sources and pip's index point to a local apt
  repository and a local Python package index that this module serves on 127.0.0.1 (the
  *loopback mirror*). Builds use ``--network host`` either way.

These images are stand-ins: same distribution, same package manager, same tag, but not the
official images' bytes (a Debian Python 3.11 instead of a source-built one in /usr/local).

Everything slow is cached in ``$DOCKSLIM_LAB_CACHE`` (default ``/var/cache/dockslim-lab``): the
root filesystem tarball, the ``.deb``s and wheels; the engine keeps the two base images. A cold
start costs a debootstrap (a few minutes); a warm one a few seconds. A lock file serialises lab
sessions on one machine, since the stand-in tags are global to the engine.
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
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("DOCKSLIM_LAB_CACHE", "/var/cache/dockslim-lab"))
LAB_VERSION = "1"  # bump when the base images' recipe changes: cached images are then rebuilt
SUITE = "bookworm"
LABEL = "dockslim.lab"

ROOTFS_IMAGE = f"dockslim-lab/rootfs:{SUITE}-v{LAB_VERSION}"
PYTHON_IMAGE = f"dockslim-lab/python:3.11-v{LAB_VERSION}"
# The tags fixtures name -> which lab base they stand in for.
STAND_INS = {
    "debian:bookworm": ROOTFS_IMAGE,
    "debian:bookworm-slim": ROOTFS_IMAGE,
    "python:3.11-slim": PYTHON_IMAGE,
    "python:3.11": PYTHON_IMAGE,
}

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


def _rootfs_tarball() -> Path:
    tarball = CACHE / f"rootfs-{SUITE}-v{LAB_VERSION}.tar"
    if tarball.exists():
        return tarball
    _ensure_tool("debootstrap", "debootstrap")
    mirror = _host_mirror()
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE))
    try:
        root = work / "root"
        _run(["debootstrap", "--variant=minbase", SUITE, str(root), mirror], timeout=1500)
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


def _ensure_rootfs_image() -> None:
    if _image_labels(ROOTFS_IMAGE) is not None:
        return
    tarball = _rootfs_tarball()
    _run(["docker", "import",
          "--change", f"ENV PATH={_PATH}",
          "--change", 'CMD ["bash"]',
          "--change", f"LABEL {LABEL}={LAB_VERSION}",
          str(tarball), ROOTFS_IMAGE])


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


def _build(tag: str, dockerfile: str, files: dict[str, str | bytes] | None = None, timeout: int = 900) -> None:
    with tempfile.TemporaryDirectory(prefix="lab-image-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(dockerfile)
        (Path(tmp) / "config").mkdir()
        for name, content in (files or {}).items():
            target = Path(tmp) / "config" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        _run(["docker", "build", "--network", "host", "-q", "-t", tag, tmp], timeout=timeout,
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


def _config_files(registries: Registries) -> dict[str, str | bytes]:
    """The files a config layer puts in place (path in the image -> content)."""
    if not registries.real:
        port = registries.port
        return {
            "etc/apt/sources.list": f"deb [trusted=yes] http://127.0.0.1:{port}/apt ./\n",
            "etc/pip.conf": f"[global]\nindex-url = http://127.0.0.1:{port}/pypi/simple/\n"
                            "trusted-host = 127.0.0.1\ndisable-pip-version-check = true\n",
        }
    files: dict[str, str | bytes] = {f"etc/apt/sources.list.d/{name}": text
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

_PYTHON_RECIPE = """\
FROM {config}
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 python3-pip python3-venv \\
    && rm -rf /var/lib/apt/lists/* \\
    && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
    && ln -s /usr/bin/python3 /usr/local/bin/python \\
    && ln -s /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
"""


def _ensure_python_image(registries: Registries) -> None:
    if _image_labels(PYTHON_IMAGE) is not None:
        return
    config = "dockslim-lab/rootfs-config:tmp"
    _build(config, _CONFIG_LAYER.format(base=ROOTFS_IMAGE, label=LABEL, version=LAB_VERSION),
           _config_files(registries))
    try:
        _build(PYTHON_IMAGE, _PYTHON_RECIPE.format(config=config))
    finally:
        subprocess.run(["docker", "rmi", config], capture_output=True)


def _tag_stand_ins(registries: Registries) -> None:
    for tag, base in STAND_INS.items():
        labels = _image_labels(tag)
        if labels is not None and LABEL not in labels:
            raise LabUnavailable(f"{tag} on this engine is not a lab image; the lab will not replace it")
        _build(tag, _CONFIG_LAYER.format(base=base, label=LABEL, version=LAB_VERSION),
               _config_files(registries))


def _untag_stand_ins() -> None:
    for tag in STAND_INS:
        labels = _image_labels(tag)
        if labels is not None and LABEL in labels:
            subprocess.run(["docker", "rmi", tag], capture_output=True)


# --- the session ----------------------------------------------------------------------------------


@dataclass
class Lab:
    registries: Registries
    setup_seconds: float

    network = "host"

    @property
    def real_registries(self) -> bool:
        return self.registries.real


@contextlib.contextmanager
def session(lock_timeout: float = 1800):
    """Set the lab up (cached), choose the registries (real ones when they answer, else serve the
    loopback mirror), tag the stand-ins; yield a :class:`Lab`."""
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
            _ensure_python_image(registries)
            try:
                _tag_stand_ins(registries)
                yield Lab(registries=registries, setup_seconds=time.monotonic() - started)
            finally:
                # A loopback configuration names this session's port: useless afterwards; and
                # the tags are global to the engine, so each session makes its own.
                _untag_stand_ins()


def main(argv: list[str]) -> int:
    """``python -m tests.integration.lab [COMMAND ...]``: set the lab up, say which registries its
    builds use, run COMMAND with the stand-in images tagged (e.g. ``dockslim fix --verify ...``),
    and clean up; without a command, only set up (warms the cache)."""
    try:
        with session() as lab:
            print(f"lab: {lab.registries.describe()}; set up in {lab.setup_seconds:.0f}s", file=sys.stderr)
            if not argv:
                return 0
            return subprocess.call(argv)
    except LabUnavailable as exc:
        print(f"lab: cannot run here: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
