"""The lab's extra base families (`lab.FAMILIES`): one small real build per family, checking the
facts the effect benchmark relies on (the suite, Python's version and headers, no compiler in the
slim images, pip's cache, a cargo build from crates.io). Making these bases cold takes many
minutes, so they run with DOCKSLIM_LAB=1 (which asks the session for every family), not in CI.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from . import lab

pytestmark = pytest.mark.integration


@pytest.fixture
def all_bases(full_lab):
    missing = [f for f in lab.FAMILIES if f not in full_lab.families]
    if missing:
        pytest.skip(f"this session has no {', '.join(missing)} bases (DOCKSLIM_LAB_BASES)")
    if not full_lab.real_registries:
        pytest.skip("the extra bases need the real registries")
    return full_lab


def _build_and_run(dockerfile: str, files: dict[str, str] | None = None) -> str:
    """Build ``dockerfile`` (its RUNs check what must hold), run the image; its output."""
    tag = "dockslim-lab-test/bases:latest"
    with tempfile.TemporaryDirectory(prefix="lab-bases-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(dockerfile)
        for name, text in (files or {}).items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_text(text)
        build = subprocess.run(["docker", "build", "--network", "host", "-t", tag, tmp],
                               capture_output=True, text=True, timeout=1800,
                               env={**os.environ, "DOCKER_BUILDKIT": "0"})
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-2000:]
    try:
        run = subprocess.run(["docker", "run", "--rm", "--network", "host", tag],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True)


def test_debian_trixie_tags(all_bases):
    assert {all_bases.tags[t] for t in ("debian:trixie", "debian:13-slim", "debian:stable",
                                        "debian:latest")} == {"rootfs:trixie"}
    out = _build_and_run("""\
FROM debian:trixie-slim
RUN grep -rq trixie-security /etc/apt/sources.list.d \\
    && apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
CMD . /etc/os-release && echo "$VERSION_CODENAME" && jq --version
""")
    assert out.split()[0] == "trixie"
    assert out.split()[1].startswith("jq-1.7")


# Shared by the Python checks: `python`/`pip` on PATH, no PEP 668 marker, headers, pip's cache
# written by `pip install` (also a venv's pip) and not with `--no-cache-dir`.
_PYTHON_CHECKS = """\
RUN python -c "import sysconfig, os; assert os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))" \\
    && ! ls /usr/lib/python3*/EXTERNALLY-MANAGED \\
    && pip install --no-cache-dir six && test ! -e /root/.cache/pip
RUN pip install idna && test -n "$(find /root/.cache/pip -type f)"
RUN rm -r /root/.cache/pip && python -m venv /tmp/venv && /tmp/venv/bin/pip install idna \
    && test -n "$(find /root/.cache/pip -type f)"
"""
_PYTHON_FACTS = 'CMD python --version && (command -v gcc || echo no-gcc) && du -sk /root/.cache/pip\n'


@pytest.mark.usefixtures("all_bases")
@pytest.mark.parametrize("tag, version", [("python:3.11-slim", "3.11"), ("python:3.11-slim-bookworm", "3.11"),
                                          ("python:3.13-slim", "3.13")])
def test_python_slim(tag, version):
    out = _build_and_run(f"FROM {tag}\n{_PYTHON_CHECKS}{_PYTHON_FACTS}").split()
    assert out[0] == "Python" and out[1].startswith(version + ".")
    assert out[2] == "no-gcc"  # the official slim images have no compiler
    assert int(out[3]) > 0  # KiB of pip's cache


@pytest.mark.usefixtures("all_bases")
def test_python_full_builds_an_sdist():
    """The full image has what building psycopg2 from its sdist needs: gcc, Python.h, libpq-dev."""
    out = _build_and_run("FROM python:3.13\n" + _PYTHON_CHECKS + """\
RUN pip install --no-binary psycopg2 psycopg2==2.9.10 && git --version && curl --version && make --version
""" + _PYTHON_FACTS).split()
    assert out[1].startswith("3.13.")
    assert out[2] == "/usr/bin/gcc"
    assert int(out[3]) > 0


@pytest.mark.usefixtures("all_bases")
@pytest.mark.parametrize("tag", ["rust:1.95-slim", "rust:1"])
def test_rust_cargo_build(tag):
    """cargo fetches a crate from crates.io and builds with it, laid out as in the official image."""
    out = _build_and_run(f"""\
FROM {tag}
WORKDIR /app
COPY . .
RUN cargo build --release && test -d /usr/local/cargo/registry
CMD rustc --version && ./target/release/hello && echo "$RUSTUP_HOME $CARGO_HOME" && (command -v gcc || true)
""", {
        "Cargo.toml": '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n\n'
                      '[dependencies]\nitoa = "1"\n',
        "src/main.rs": 'fn main() { println!("{}", itoa::Buffer::new().format(1234)); }\n',
    }).split("\n")
    assert out[0].startswith("rustc 1.95.")
    assert out[1] == "1234"
    assert out[2] == "/usr/local/rustup /usr/local/cargo"
    assert out[3] == "/usr/bin/gcc"
