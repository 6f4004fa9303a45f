"""The analyser behind depinstall: paths of the copied folder, manifests read through the build
context, and the dispatch of each command to what its tool reads (python.py, node.py, other.py).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from typing import Any

from ..._records import dataclass, field
from ...managers import APK, APT, DNF, PIP, Invocation, recognize
from ...syntax.shell import Command
from ..buildcontext import BuildContext


def _toml_module() -> Any:
    """tomllib (tomli on 3.10), imported on first use: only TOML manifests need it."""
    try:  # Python >= 3.11
        import tomllib as toml
    except ModuleNotFoundError:  # pragma: no cover - 3.10 without tomli: TOML manifests are refused
        try:
            import tomli as toml  # type: ignore[no-redef,import-not-found]
        except ModuleNotFoundError:
            return None
    return toml


class Refusal(Exception):
    """Why a RUN cannot run before the sources are copied (a message for the user)."""


@dataclass
class Needs:
    """What a RUN needs from the copy and what it leaves in the copied folder."""

    manifests: set[str] = field(default_factory=set)  # context-relative files it reads
    outputs: set[str] = field(default_factory=set)  # context-relative paths it writes
    installs: list[str] = field(default_factory=list)  # "pip install -r requirement", for messages
    lock_rewrites: list[str] = field(default_factory=list)  # why a lock file may be rewritten
    ecosystems: set[str] = field(default_factory=set)

    def merge(self, other: Needs) -> None:
        self.manifests |= other.manifests
        self.outputs |= other.outputs
        self.installs += other.installs
        self.lock_rewrites += other.lock_rewrites
        self.ecosystems |= other.ecosystems


# Commands that never read files of the project and write only outside it (given literal args).
# (Not `env`, `nice`, `time`, `sudo`, `xargs`, `sh -c`: they run another command.)
_HARMLESS = frozenset({"true", ":", "echo", "printf", "set", "export", "sleep", "date", "uname",
                       "id", "whoami", "printenv"})
SYSTEM_PACKAGERS = (APT, APK, DNF)  # install into the image's system, never from the copied folder
NAME_SPEC = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,\s-]*\])?"
    r"\s*(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*"
    r"[A-Za-z0-9.*+!_-]+\s*)*)?(?:\s*;.*)?$"
)
ARCHIVE = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar", ".gem", ".deb", ".rpm", ".apk")
LOCAL_DEP = re.compile(r"^(file:|link:|portal:|\.{1,2}/|/|~/)")
Handler = Callable[["Analyser", list[str]], None]


class Analyser:
    def __init__(self, view: BuildContext, dest: str, cwd: str, env: dict[str, str],
                 handlers: dict[str, Handler], pip: Callable[[Analyser, list[str], str], None]) -> None:
        self.view = view
        self.handlers = handlers  # command basename -> what its tool reads
        self.pip = pip
        self.dest = dest  # absolute (or "@base"-rooted) folder the copy fills
        self.cwd = cwd
        self.env = env
        self.needs = Needs()
        self.current = ""  # the command being analysed, as written (for messages)

    # -- paths ----------------------------------------------------------------------------------

    def ctx_rel(self, path: str, *, base: str | None = None) -> str:
        """Context-relative path of ``path`` (relative to ``base``, default the cwd)."""
        absolute = posixpath.normpath(posixpath.join(base or self.cwd, path))
        if not absolute.startswith("/"):
            raise Refusal("its working directory is not known (set WORKDIR)")
        rel = posixpath.relpath(absolute, self.dest) if absolute != self.dest else "."
        if rel == "." or rel.startswith("../"):
            raise Refusal(f"it reads {path}, which is not a file of the copied folder {self.dest}")
        return rel

    def under_dest(self, path: str) -> bool:
        absolute = posixpath.normpath(posixpath.join(self.cwd, path))
        return absolute == self.dest or absolute.startswith(self.dest.rstrip("/") + "/") \
            or self.dest.startswith(absolute.rstrip("/") + "/") or absolute == "/"

    def manifest(self, path: str, *, base: str | None = None) -> str:
        rel = self.ctx_rel(path, base=base)
        if any(ch in rel for ch in "*?[ \t\"'$\\"):
            raise Refusal(f"the manifest name {path!r} needs quoting or globbing")
        if not self.view.is_file(rel):
            raise Refusal(f"{rel} is not a regular file of the build context (missing, a symlink, "
                          "or excluded by .dockerignore)")
        self.needs.manifests.add(rel)
        return rel

    def optional(self, path: str) -> str | None:
        """A config file read when present (``.npmrc``): a manifest if the copy brings it."""
        rel = self.ctx_rel(path)
        if self.view.exists(rel):
            if not self.view.is_file(rel):
                raise Refusal(f"{rel} in the build context is not a regular file")
            self.needs.manifests.add(rel)
            return rel
        return None

    def output(self, path: str) -> None:
        absolute = posixpath.normpath(posixpath.join(self.cwd, path))
        if not absolute.startswith("/"):
            raise Refusal("its working directory is not known (set WORKDIR)")
        if absolute == self.dest or absolute.startswith(self.dest.rstrip("/") + "/"):
            self.needs.outputs.add(posixpath.relpath(absolute, self.dest))
        elif self.dest.startswith(absolute.rstrip("/") + "/"):
            raise Refusal(f"it writes {path}, which contains the copied folder {self.dest}")

    def forbid(self, rel: str, why: str) -> None:
        if self.view.exists(self.ctx_rel(rel)):
            raise Refusal(f"the build context has {self.ctx_rel(rel)}: {why}")

    def read(self, rel: str) -> str:
        text = self.view.read(rel)
        if text is None:
            raise Refusal(f"cannot read {rel} from the build context")
        return text

    def toml(self, rel: str) -> dict:
        toml = _toml_module()
        if toml is None:
            raise Refusal(f"cannot read {rel} (no TOML reader)")
        try:
            return toml.loads(self.read(rel))
        except Exception as exc:  # noqa: BLE001 - any parse failure is a refusal
            raise Refusal(f"{rel} does not parse as TOML ({exc})") from None

    def json(self, rel: str) -> dict:
        try:
            data = json.loads(self.read(rel))
        except ValueError as exc:
            raise Refusal(f"{rel} does not parse as JSON ({exc})") from None
        if not isinstance(data, dict):
            raise Refusal(f"{rel} is not a JSON object")
        return data

    def package_name(self, spec: str, tool: str) -> None:
        """A package named on the command line: a registry name or a URL, never a local path."""
        if "://" in spec and not spec.startswith("file:"):
            return
        if spec in (".", "..") or spec.startswith((".", "/", "~", "file:")) or spec.endswith(ARCHIVE):
            raise Refusal(f"`{tool}` installs {spec!r}, which looks like a local path")
        name = spec
        if tool == "npm":
            if spec.startswith("@"):  # @scope/name[@version]
                scope, _, rest = spec[1:].partition("/")
                name = "@" + scope + "/" + rest.split("@", 1)[0]
                if not scope or not rest or "/" in rest:
                    raise Refusal(f"`npm` installs {spec!r}, which may be a local path")
            else:
                name = spec.split("@", 1)[0]
        else:
            name = re.split(r"[\[<>=!~;@ ]", spec, maxsplit=1)[0]
        if "/" in name.lstrip("@") and not name.startswith("@"):
            raise Refusal(f"`{tool}` installs {spec!r}, which may be a local path")
        rel = self.ctx_rel_soft(name) if name else None
        if rel is not None and self.view.exists(rel):
            raise Refusal(f"`{tool}` installs {spec!r} and the build context has a file or folder "
                          "of that name, which the tool may take for a local path")

    def ctx_rel_soft(self, path: str) -> str | None:
        try:
            return self.ctx_rel(path)
        except Refusal:
            return None  # outside the copied folder: no file of the copy

    # -- dispatch -------------------------------------------------------------------------------

    def command(self, cmd: Command) -> None:
        words = cmd.argv
        if not words:
            return  # a plain assignment
        values = [w.value for w in words]
        if any(v is None for v in values):
            bad = next(w.text for w in words if w.value is None)
            raise Refusal(f"`{bad}` is only known when the build runs")
        argv = [v for v in values if v is not None]
        self.current = " ".join(w.text for w in words)
        for redirect in cmd.redirects:
            target = re.sub(r"^\d*(&>>|&>|>>|>\||>&|<&|>|<)", "", redirect).strip()
            if target not in ("/dev/null", "-") and not target.isdigit():
                raise Refusal(f"`{' '.join(argv)}` redirects to {target or redirect}")
        name = cmd.basename or ""
        if name in ("cd", "pushd", "popd"):
            raise Refusal("it changes directory with `cd`")
        if name in _HARMLESS:
            return
        system = recognize(cmd, SYSTEM_PACKAGERS)
        if system is not None:
            return self.system_packages(system, argv)
        if name in ("rm", "mkdir"):
            return self.paths_outside(name, argv)
        pip = PIP.recognize(cmd)
        if pip is not None:
            return self.pip(self, argv[pip.start:], "pip")
        handler = self.handlers.get(name)
        if handler is None:
            raise Refusal(f"`{name}` may read the copied sources")
        handler(self, argv[1:])

    # -- system packages and file system ---------------------------------------------------------

    def system_packages(self, inv: Invocation, argv: list[str]) -> None:
        name = inv.tool
        other_root = inv.family.root_options
        skip = False
        for arg in argv[inv.start:]:
            if skip:
                skip = False
                continue
            if arg.split("=", 1)[0] in other_root:
                raise Refusal(f"`{name} {arg}` installs into another root")
            if arg in inv.family.takes_value:
                skip = True
                continue
            if arg.startswith("-"):
                continue
            if "://" in arg:
                continue
            if arg.startswith((".", "/", "~")) or arg.endswith(ARCHIVE):
                raise Refusal(f"`{name}` installs {arg!r}, which looks like a local file")

    def paths_outside(self, name: str, argv: list[str]) -> None:
        for arg in argv[1:]:
            if arg.startswith("-"):
                continue
            if not arg.startswith("/"):
                raise Refusal(f"`{name} {arg}` names a path relative to the working directory")
            if self.under_dest(arg.split("*", 1)[0].rstrip("/") or "/"):
                raise Refusal(f"`{name} {arg}` touches the copied folder {self.dest}")


def readmes(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict) and isinstance(value.get("file"), str):
        return [value["file"]]
    return []
