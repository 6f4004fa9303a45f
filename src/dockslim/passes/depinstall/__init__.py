"""Which files a RUN reads from a copied project folder: dependency installs and their manifests.

``analyse_run(script, ...)`` answers, for a parsed RUN body whose working directory is ``cwd``
inside the folder a broad ``COPY . <dest>`` filled: either the manifest files (relative to the
build context) the RUN needs, the folders it writes into there and whether it may rewrite a lock
file — or a :class:`Refusal` saying why we cannot prove that it reads nothing else. Only commands
we know are accepted; anything else may read the sources, so it is refused.

Manifest contents are read through the build context view (a requirements file's ``-r`` includes,
``package.json`` lifecycle scripts, local path dependencies ...); a manifest we cannot read is a
refusal, never a guess. Which command is which tool, and which of its words are options, is asked
of the package-manager model (:mod:`dockslim.managers`).
"""

from __future__ import annotations

from ...managers import PIP
from ...syntax.shell import Script
from ..buildcontext import BuildContext
from . import node, other, python
from .core import Analyser, Handler, Needs, Refusal

# Each command we know, by basename, and what its tool reads (pip: by the model's recognizer).
_HANDLERS: dict[str, Handler] = {
    "pipenv": python.pipenv,
    "poetry": python.poetry,
    "uv": python.uv,
    "npm": node.npm,
    "yarn": node.yarn,
    "pnpm": node.pnpm,
    "gem": other.gem,
    "bundle": other.bundle,
    "bundler": other.bundle,
    "go": other.go,
    "composer": other.composer,
    "mvn": other.mvn,
    "gradle": other.gradle,
    "gradlew": other.gradle,
}


def analyse_run(script: Script, view: BuildContext, dest: str, cwd: str,
                env: dict[str, str]) -> Needs:
    """What the RUN body ``script`` needs from the folder ``dest``; raises :class:`Refusal`."""
    if script.opaque:
        raise Refusal(f"its shell cannot be read ({script.opaque_reason})")
    analyser = Analyser(view, dest, cwd, env, _HANDLERS, python.pip)
    for cmd in script.commands:
        analyser.command(cmd)
    return analyser.needs


def is_dependency_install(script: Script) -> bool:
    """Whether the RUN body runs a dependency install we know (for notes on what we left alone)."""
    for cmd in script.commands:
        name = cmd.basename or ""
        args = [w.value or "" for w in cmd.argv[1:]]
        sub = next((a for a in args if not a.startswith("-")), "")
        pip = PIP.recognize(cmd)
        if pip is not None:
            if pip.start == 1 and sub in ("install", "download", "wheel") or pip.start > 1 and args[2:3] == ["install"]:
                return True
            continue
        if name in ("npm", "pnpm") and sub in ("ci", "install", "i", "clean-install"):
            return True
        if name in ("yarn", "pipenv", "poetry", "uv", "bundle", "bundler", "composer") and \
                sub in ("", "install", "sync", "pip"):
            return True
        if name == "go" and args[:2] == ["mod", "download"]:
            return True
        if name == "mvn" and any(a.startswith("dependency:") for a in args):
            return True
        if name in ("gradle", "gradlew"):
            return True
    return False


__all__ = ["Needs", "Refusal", "analyse_run", "is_dependency_install"]
