"""depinstall: what a dependency install reads from the copied folder, given an in-memory context."""

from __future__ import annotations

import json

import pytest

from dockslim.passes.buildcontext import MemoryContext
from dockslim.passes.depinstall import Refusal, analyse_run, is_dependency_install
from dockslim.syntax.shell import parse_shell

CONTEXT = MemoryContext({
    "requirements.txt": "-r base.txt\nflask==3.0\n",
    "base.txt": "requests\n",
    "package.json": json.dumps({"dependencies": {"express": "4"}}),
    "package-lock.json": "{}",
    "app.py": "print(1)\n",
})


def _needs(body: str):
    return analyse_run(parse_shell(body), CONTEXT, "/app", "/app", {})


@pytest.mark.parametrize("body", ["pip install -r requirements.txt", "pip3.11 install -r requirements.txt",
                                  "python3 -m pip install --no-cache-dir -r requirements.txt"])
def test_pip_spellings_read_the_requirements_and_their_includes(body):
    assert _needs(body).manifests == {"requirements.txt", "base.txt"}


def test_npm_ci_reads_the_manifest_and_the_lock():
    needs = _needs("npm ci")
    assert needs.manifests == {"package.json", "package-lock.json"} and needs.outputs == {"node_modules"}


@pytest.mark.parametrize("body", [
    "apt-get -o Acquire::Retries=3 install -y curl",
    "apk add --no-cache --virtual .build-deps gcc musl-dev",  # the virtual name is an option's value
    "dnf --setopt=tsflags=nodocs install -y gcc",
])
def test_system_packages_read_nothing_of_the_copy(body):
    assert _needs(body).manifests == set()


@pytest.mark.parametrize("body, why", [
    ("apk add --root /app curl", "another root"),
    ("dnf --installroot /app install -y curl", "another root"),
    ("apt-get install -y ./local.deb", "local file"),
    ("make", "may read the copied sources"),
    ("pip install -e .", "from its sources"),
])
def test_refusals_say_why(body, why):
    with pytest.raises(Refusal, match=why):
        _needs(body)


def test_dependency_installs_are_recognised_by_the_model():
    assert is_dependency_install(parse_shell("pip3.11 install x"))
    assert is_dependency_install(parse_shell("python -m pip install x"))
    assert not is_dependency_install(parse_shell("python -m pip list"))
