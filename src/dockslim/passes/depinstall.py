"""Which files a RUN reads from a copied project folder: dependency installs and their manifests.

``analyse_run(script, ...)`` answers, for a parsed RUN body whose working directory is ``cwd``
inside the folder a broad ``COPY . <dest>`` filled: either the manifest files (relative to the
build context) the RUN needs, the folders it writes into there and whether it may rewrite a lock
file — or a :class:`Refusal` saying why we cannot prove that it reads nothing else. Only commands
we know are accepted; anything else may read the sources, so it is refused.

Manifest contents are read through the build context (a requirements file's ``-r`` includes,
``package.json`` lifecycle scripts, local path dependencies ...); a manifest we cannot read is a
refusal, never a guess.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys

from .._records import dataclass, field
from ..syntax.shell import Command, Script
from .buildcontext import ContextView


def _toml_module():
    """tomllib (tomli on 3.10), imported on first use: only TOML manifests need it."""
    if sys.version_info >= (3, 11):
        import tomllib as toml
    else:  # pragma: no cover - 3.10 without tomli: TOML manifests are refused
        try:
            import tomli as toml
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
_SYSTEM_PACKAGERS = frozenset({"apt-get", "apt", "apk", "yum", "dnf", "microdnf"})
_PIP = re.compile(r"^pip(3(\.\d+)?)?$")
_PYTHON = re.compile(r"^python(3(\.\d+)?)?$")
_NAME_SPEC = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,\s-]*\])?"
    r"\s*(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*"
    r"[A-Za-z0-9.*+!_-]+\s*)*)?(?:\s*;.*)?$"
)
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar", ".gem", ".deb", ".rpm", ".apk")
_NPM_INSTALL_SCRIPTS = frozenset({"preinstall", "install", "postinstall", "prepublish", "preprepare",
                                  "prepare", "postprepare", "dependencies"})
_LOCAL_DEP = re.compile(r"^(file:|link:|portal:|\.{1,2}/|/|~/)")
_GEMFILE_READS = re.compile(
    r"\b(gemspec|eval_gemfile|require_relative|require|load|instance_eval|File|Dir|IO|__dir__|"
    r"__FILE__)\b|\bpath\s*(:|=>)|:path\b|\bfile\s*:"
)


class _Analyser:
    def __init__(self, view: ContextView, dest: str, cwd: str, env: dict[str, str]) -> None:
        self.view = view
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
        if spec in (".", "..") or spec.startswith((".", "/", "~", "file:")) or spec.endswith(_ARCHIVE):
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
        if name in _SYSTEM_PACKAGERS:
            return self.system_packages(name, argv)
        if name in ("rm", "mkdir"):
            return self.paths_outside(name, argv)
        if _PIP.match(name):
            return self.pip(argv[1:], "pip")
        if _PYTHON.match(name) and argv[1:3] == ["-m", "pip"]:
            return self.pip(argv[3:], "pip")
        handler = getattr(self, "cmd_" + name.replace("-", "_"), None)
        if handler is None:
            raise Refusal(f"`{name}` may read the copied sources")
        handler(argv[1:])

    # -- system packages and file system ---------------------------------------------------------

    def system_packages(self, name: str, argv: list[str]) -> None:
        takes = {"-o", "-c", "-t", "--target-release", "--option", "-X", "--repository",
                 "--root", "-p", "--installroot", "--releasever", "--setopt", "--enablerepo",
                 "--disablerepo", "-q"} - {"-q"}
        skip = False
        for arg in argv[1:]:
            if skip:
                skip = False
                continue
            if arg in takes:
                skip = True
                continue
            if arg.startswith("-"):
                if arg.startswith(("--root", "--installroot")):
                    raise Refusal(f"`{name} {arg}` installs into another root")
                continue
            if "://" in arg:
                continue
            if arg.startswith((".", "/", "~")) or arg.endswith(_ARCHIVE):
                raise Refusal(f"`{name}` installs {arg!r}, which looks like a local file")

    def paths_outside(self, name: str, argv: list[str]) -> None:
        for arg in argv[1:]:
            if arg.startswith("-"):
                continue
            if not arg.startswith("/"):
                raise Refusal(f"`{name} {arg}` names a path relative to the working directory")
            if self.under_dest(arg.split("*", 1)[0].rstrip("/") or "/"):
                raise Refusal(f"`{name} {arg}` touches the copied folder {self.dest}")

    # -- python ----------------------------------------------------------------------------------

    _PIP_TAKES = frozenset({
        "-i", "--index-url", "--extra-index-url", "--trusted-host", "--cache-dir", "--platform",
        "--python-version", "--implementation", "--abi", "--only-binary", "--no-binary",
        "--progress-bar", "--upgrade-strategy", "--global-option", "--config-settings", "-C",
        "--root-user-action", "--python", "--timeout", "--retries", "--proxy", "--cert",
        "--client-cert", "--exists-action", "--keyring-provider", "--use-feature",
        "--use-deprecated",
    })

    def pip(self, args: list[str], tool: str) -> None:
        sub = None
        i = 0
        while i < len(args):
            a = args[i]
            if a.startswith("-"):
                if a in self._PIP_TAKES:
                    i += 1
                i += 1
                continue
            sub = a
            break
        rest = args[i + 1 :] if sub is not None else []
        if sub in (None, "list", "freeze", "show", "check", "config", "cache", "help", "uninstall",
                   "debug", "inspect", "index"):
            return
        if sub not in ("install", "download", "wheel"):
            raise Refusal(f"`pip {sub}` may read the copied sources")
        self.needs.ecosystems.add("python")
        editable_vcs = False
        i = 0
        while i < len(rest):
            a = rest[i]
            value = rest[i + 1] if i + 1 < len(rest) else ""
            opt, eq, inline = a.partition("=")
            if a.startswith("-r") and len(a) > 2 and not a.startswith("--"):
                opt, inline, eq = "-r", a[2:], "="
            if a.startswith("-c") and len(a) > 2 and not a.startswith("--"):
                opt, inline, eq = "-c", a[2:], "="
            val = inline if eq else value
            step = 1 if eq else 2
            if opt in ("-r", "--requirement", "-c", "--constraint"):
                rel = self.manifest(val)
                self.requirements(rel)
            elif opt in ("-e", "--editable"):
                if "://" not in val or val.startswith("file:"):
                    raise Refusal(f"`pip install -e {val}` installs the project from its sources")
                editable_vcs = True
            elif opt in ("-f", "--find-links"):
                if "://" not in val or val.startswith("file:"):
                    raise Refusal(f"`pip install {opt} {val}` reads local archives")
            elif opt in ("-t", "--target", "--prefix", "--root", "-d", "--dest", "-w", "--wheel-dir",
                         "--src", "--log", "--report"):
                self.output(val)
            elif opt in self._PIP_TAKES:
                pass
            elif a.startswith("-"):
                step = 1
            else:
                step = 1
                self.package_name(a, tool)
            i += step
        if editable_vcs:
            self.output("src")
        self.needs.installs.append(self.current)

    def requirements(self, rel: str, seen: frozenset[str] = frozenset()) -> None:
        if rel in seen:
            return
        base_dir = posixpath.join(self.dest, posixpath.dirname(rel))
        text = self.read(rel).replace("\\\n", " ")
        for raw in text.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            if not line:
                continue
            if "${" in line:
                raise Refusal(f"{rel} uses an environment variable: {line}")
            if line.startswith("-"):
                if line.startswith("--"):
                    opt, _, val = re.sub(r"[=\s]", " ", line, count=1).partition(" ")
                else:
                    opt, val = line[:2], line[2:].lstrip(" =")
                val = val.strip()
                if opt in ("-r", "--requirement", "-c", "--constraint"):
                    nested = self.manifest(val, base=base_dir)
                    self.requirements(nested, seen | {rel})
                elif opt in ("-e", "--editable"):
                    if "://" not in val or val.startswith("file:"):
                        raise Refusal(f"{rel} has `{line}`: the project is installed from its sources")
                    self.output("src")
                elif opt in ("-f", "--find-links"):
                    if "://" not in val or val.startswith("file:"):
                        raise Refusal(f"{rel} has `{line}`: it reads local archives")
                elif opt in ("-i", "--index-url", "--extra-index-url", "--trusted-host", "--pre",
                             "--prefer-binary", "--require-hashes", "--only-binary", "--no-binary",
                             "--no-index", "--use-feature", "--config-settings", "--global-option",
                             "--hash"):
                    pass
                else:
                    raise Refusal(f"{rel} has the option `{opt}`, which we do not know")
                continue
            spec = re.sub(r"\s--hash[= ]\S+", "", line).strip()
            if " @ " in spec or "://" in spec:
                url = spec.split("@", 1)[-1].strip() if " @ " in spec else spec
                if url.startswith("file:") or "://" not in url:
                    raise Refusal(f"{rel} has `{line}`: a local path")
                continue
            if not _NAME_SPEC.match(spec):
                raise Refusal(f"{rel} has `{line}`, which may be a local path")
            self.package_name(re.split(r"[\[<>=!~;\s]", spec, maxsplit=1)[0], "pip")

    def cmd_pipenv(self, args: list[str]) -> None:
        sub = next((a for a in args if not a.startswith("-")), None)
        if sub is None or sub in ("--version", "--venv", "--where", "--py"):
            return
        if sub not in ("install", "sync"):
            raise Refusal(f"`pipenv {sub}` may read the copied sources")
        positional = [a for a in args[args.index(sub) + 1 :] if not a.startswith("-")]
        if positional or "-e" in args or "--editable" in args:
            raise Refusal("`pipenv install <package>` changes the Pipfile")
        self.needs.ecosystems.add("python")
        pipfile = self.manifest("Pipfile")
        data = self.toml(pipfile)
        for section in ("packages", "dev-packages"):
            for name, spec in (data.get(section) or {}).items():
                if isinstance(spec, dict) and ({"path", "file", "editable"} & spec.keys()):
                    raise Refusal(f"Pipfile: {name} is a local path dependency")
        lock = self.optional("Pipfile.lock")
        self.optional(".env")  # pipenv loads it
        self.output(".venv")
        frozen = sub == "sync" or "--deploy" in args or "--ignore-pipfile" in args
        if lock and not frozen:
            self.needs.lock_rewrites.append("`pipenv install` may re-lock and rewrite Pipfile.lock "
                                            "(use --deploy or pipenv sync)")
        self.needs.installs.append(self.current)

    def cmd_poetry(self, args: list[str]) -> None:
        sub = next((a for a in args if not a.startswith("-")), None)
        if sub in (None, "--version", "env", "--help"):
            return
        if sub == "config":
            if "--local" in args:
                raise Refusal("`poetry config --local` writes poetry.toml into the project")
            return
        if sub not in ("install", "sync"):
            raise Refusal(f"`poetry {sub}` may read the copied sources")
        if "--no-root" not in args:
            raise Refusal(f"`poetry {sub}` without --no-root installs the project itself, which "
                          "reads its sources")
        self.needs.ecosystems.add("python")
        pyproject = self.manifest("pyproject.toml")
        data = self.toml(pyproject)
        tool = (data.get("tool") or {}).get("poetry") or {}
        if "packages" in tool or "include" in tool:
            raise Refusal("pyproject.toml declares packages/include, which poetry may look for")
        self._no_path_deps(tool.get("dependencies") or {}, "pyproject.toml")
        for group in (tool.get("group") or {}).values():
            self._no_path_deps((group or {}).get("dependencies") or {}, "pyproject.toml")
        for name in _readmes(tool.get("readme")) + _readmes((data.get("project") or {}).get("readme")):
            self.manifest(name)
        self.optional("poetry.lock")
        self.optional("poetry.toml")
        self.output(".venv")
        self.needs.installs.append(self.current)

    def _no_path_deps(self, deps: dict, where: str) -> None:
        for name, spec in deps.items():
            specs = spec if isinstance(spec, list) else [spec]
            if any(isinstance(s, dict) and "path" in s for s in specs):
                raise Refusal(f"{where}: {name} is a local path dependency")

    def cmd_uv(self, args: list[str]) -> None:
        sub = next((a for a in args if not a.startswith("-")), None)
        if sub in (None, "--version", "cache"):
            return
        if sub == "pip":
            rest = args[args.index("pip") + 1 :]
            return self.pip(rest, "uv pip")
        if sub == "venv":
            target = [a for a in args[args.index("venv") + 1 :] if not a.startswith("-")]
            self.output(target[0] if target else ".venv")
            return
        if sub != "sync":
            raise Refusal(f"`uv {sub}` may read the copied sources")
        if "--no-install-project" not in args and "--no-install-workspace" not in args:
            raise Refusal("`uv sync` without --no-install-project installs the project itself, "
                          "which reads its sources")
        self.needs.ecosystems.add("python")
        data = self.toml(self.manifest("pyproject.toml"))
        uv = (data.get("tool") or {}).get("uv") or {}
        if "workspace" in uv:
            raise Refusal("pyproject.toml declares a uv workspace (members are sources)")
        for name, src in (uv.get("sources") or {}).items():
            if isinstance(src, dict) and ({"path", "workspace"} & src.keys()):
                raise Refusal(f"pyproject.toml: {name} comes from a local path")
        if (data.get("project") or {}).get("dynamic"):
            raise Refusal("pyproject.toml has dynamic metadata, which uv gets by building the project")
        for name in _readmes((data.get("project") or {}).get("readme")):
            self.manifest(name)
        lock = self.optional("uv.lock")
        self.optional(".python-version")
        self.optional("uv.toml")
        self.output(".venv")
        if lock and not {"--locked", "--frozen"} & set(args):
            self.needs.lock_rewrites.append("`uv sync` may rewrite uv.lock (use --locked or --frozen)")
        self.needs.installs.append(self.current)

    # -- node ------------------------------------------------------------------------------------

    def _package_json(self, tool: str, ignore_scripts: bool) -> None:
        data = self.json(self.manifest("package.json"))
        if "workspaces" in data:
            raise Refusal("package.json declares workspaces (their manifests are sources)")
        scripts = data.get("scripts") or {}
        if not ignore_scripts:
            found = sorted(_NPM_INSTALL_SCRIPTS & set(scripts))
            if found:
                raise Refusal(f"package.json has the lifecycle script(s) {', '.join(found)}, which "
                              f"`{tool}` runs and which may read the sources (or use --ignore-scripts)")
            self.forbid("binding.gyp", f"`{tool}` builds it with node-gyp")
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
                        "overrides", "resolutions"):
            for name, spec in (data.get(section) or {}).items():
                if isinstance(spec, str) and _LOCAL_DEP.match(spec):
                    raise Refusal(f"package.json: {name} is a local path dependency ({spec})")

    def cmd_npm(self, args: list[str]) -> None:
        positional = [a for a in args if not a.startswith("-")]
        sub = positional[0] if positional else None
        is_global = bool({"-g", "--global"} & set(args)) or "--location=global" in args
        if sub in (None, "cache", "view", "info", "ping", "whoami", "help") or args[:1] in (["-v"], ["--version"]):
            return
        if sub in ("config", "set", "get"):
            if any(a.startswith("--location=project") or a == "--location" for a in args):
                raise Refusal("`npm config --location=project` writes into the project")
            return
        if sub not in ("ci", "install", "i", "add", "clean-install", "prune"):
            raise Refusal(f"`npm {sub}` may read the copied sources")
        names = positional[1:]
        if is_global:
            for n in names:
                self.package_name(n, "npm")
            return
        if names:
            raise Refusal(f"`npm {sub} {' '.join(names)}` changes package.json")
        self.needs.ecosystems.add("node")
        self._package_json("npm", "--ignore-scripts" in args)
        locks = [self.optional("package-lock.json"), self.optional("npm-shrinkwrap.json")]
        self.optional(".npmrc")
        self.output("node_modules")
        if any(locks) and sub in ("install", "i", "add"):
            self.needs.lock_rewrites.append("`npm install` may rewrite package-lock.json "
                                            "(use npm ci)")
        self.needs.installs.append(self.current)

    def cmd_yarn(self, args: list[str]) -> None:
        positional = [a for a in args if not a.startswith("-")]
        sub = positional[0] if positional else "install"
        if sub in ("cache", "config", "--version") or args[:1] in (["-v"], ["--version"]):
            return
        if sub == "global":
            for n in positional[2:]:
                self.package_name(n, "npm")
            return
        if sub != "install" or positional[1:]:
            raise Refusal(f"`yarn {' '.join(args)}` may read the copied sources")
        self.needs.ecosystems.add("node")
        for berry in (".yarnrc.yml", ".yarn", ".pnp.cjs"):
            self.forbid(berry, "Yarn 2+ reads its release and plugins from the project")
        data = self.json(self.manifest("package.json"))
        if str(data.get("packageManager", "yarn@1")).split("@")[0] != "yarn" or \
                not str(data.get("packageManager", "yarn@1")).startswith("yarn@1"):
            raise Refusal("package.json asks for a package manager other than Yarn 1")
        self._package_json("yarn", "--ignore-scripts" in args)
        lock = self.optional("yarn.lock")
        self.optional(".yarnrc")
        self.optional(".npmrc")
        self.output("node_modules")
        if lock and not {"--frozen-lockfile", "--immutable", "--pure-lockfile"} & set(args):
            self.needs.lock_rewrites.append("`yarn install` may rewrite yarn.lock "
                                            "(use --frozen-lockfile)")
        self.needs.installs.append(self.current)

    def cmd_pnpm(self, args: list[str]) -> None:
        positional = [a for a in args if not a.startswith("-")]
        sub = positional[0] if positional else None
        if sub in (None, "store", "config") or args[:1] in (["-v"], ["--version"]):
            return
        if sub not in ("install", "i", "fetch") or positional[1:]:
            raise Refusal(f"`pnpm {' '.join(args)}` may read the copied sources")
        self.needs.ecosystems.add("node")
        self.forbid("pnpm-workspace.yaml", "workspace packages are sources")
        self.forbid(".pnpmfile.cjs", "pnpm runs it and it may read other files")
        if sub != "fetch":
            self._package_json("pnpm", "--ignore-scripts" in args)
        else:
            self.optional("package.json")
        lock = self.optional("pnpm-lock.yaml")
        self.optional(".npmrc")
        self.output("node_modules")
        if lock and sub != "fetch" and "--frozen-lockfile" not in args:
            self.needs.lock_rewrites.append("`pnpm install` may rewrite pnpm-lock.yaml "
                                            "(use --frozen-lockfile)")
        self.needs.installs.append(self.current)

    # -- ruby ------------------------------------------------------------------------------------

    def cmd_gem(self, args: list[str]) -> None:
        sub = args[0] if args else None
        if sub in (None, "env", "list", "sources", "--version", "-v"):
            return
        if sub == "update" and "--system" in args:
            return
        if sub != "install":
            raise Refusal(f"`gem {sub}` may read the copied sources")
        skip = False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a in ("-v", "--version", "--source", "-s", "-i", "--install-dir", "-n", "--bindir"):
                skip = a in ("-v", "--version", "--source", "-s")
                if not skip:
                    raise Refusal(f"`gem install {a}` installs into a chosen folder")
                continue
            if a.startswith("-"):
                continue
            self.package_name(a, "gem")

    def cmd_bundle(self, args: list[str]) -> None:
        sub = args[0] if args and not args[0].startswith("-") else "install"
        if sub in ("--version", "version", "-v"):
            return
        if sub == "config":
            if "--local" in args:
                raise Refusal("`bundle config --local` writes .bundle/config into the project")
            return
        if sub != "install":
            raise Refusal(f"`bundle {sub}` may read the copied sources")
        self.needs.ecosystems.add("ruby")
        gemfile = self.manifest("Gemfile")
        text = re.sub(r"#.*", "", self.read(gemfile))
        match = _GEMFILE_READS.search(text)
        if match:
            raise Refusal(f"Gemfile uses `{match.group(0).strip()}`, which may read other files")
        self.forbid(".bundle", "bundler reads and writes .bundle/config there")
        lock = self.optional("Gemfile.lock")
        self.output("vendor/bundle")
        self.output(".bundle")
        for i, a in enumerate(args):
            if a in ("--path", "--binstubs", "--standalone") and i + 1 < len(args) \
                    and not args[i + 1].startswith("-"):
                self.output(args[i + 1])
            elif a.startswith(("--path=", "--binstubs=")):
                self.output(a.split("=", 1)[1])
            elif a == "--binstubs":
                self.output("bin")
        frozen = {"--frozen", "--deployment"} & set(args) or \
            self.env.get("BUNDLE_FROZEN", "").lower() in ("1", "true") or \
            self.env.get("BUNDLE_DEPLOYMENT", "").lower() in ("1", "true")
        if lock and not frozen:
            self.needs.lock_rewrites.append("`bundle install` may rewrite Gemfile.lock "
                                            "(use --frozen or BUNDLE_FROZEN=true)")
        self.needs.installs.append(self.current)

    cmd_bundler = cmd_bundle

    # -- go, php, java ---------------------------------------------------------------------------

    def cmd_go(self, args: list[str]) -> None:
        if args[:1] in (["version"], ["env"]) and "-w" not in args:
            return
        if args[:1] == ["install"] and all("@" in a for a in args[1:] if not a.startswith("-")):
            return
        if args[:2] not in (["mod", "download"], ["mod", "verify"]):
            raise Refusal(f"`go {' '.join(args[:2])}` may read the copied sources")
        self.needs.ecosystems.add("go")
        self.forbid("go.work", "the workspace's modules are sources")
        gomod = self.manifest("go.mod")
        for line in self.read(gomod).splitlines():
            body = line.split("//", 1)[0]
            if "=>" in body:
                target = body.split("=>", 1)[1].split()
                if target and target[0].startswith((".", "/")):
                    raise Refusal(f"go.mod replaces a module with the local path {target[0]}")
        self.optional("go.sum")
        self.needs.installs.append(self.current)

    def cmd_composer(self, args: list[str]) -> None:
        sub = next((a for a in args if not a.startswith("-")), None)
        if sub in (None, "--version", "diagnose", "clear-cache", "clearcache", "cc"):
            return
        if sub == "global":
            return
        if sub != "install":
            raise Refusal(f"`composer {sub}` may read the copied sources")
        if any(a.startswith(("-d", "--working-dir")) for a in args):
            raise Refusal("`composer --working-dir` runs elsewhere")
        self.needs.ecosystems.add("php")
        data = self.json(self.manifest("composer.json"))
        if data.get("scripts") and "--no-scripts" not in args:
            raise Refusal("composer.json has scripts, which `composer install` runs (or use --no-scripts)")
        if "--no-autoloader" not in args:
            optimise = {"-o", "--optimize-autoloader", "-a", "--classmap-authoritative"} & set(args)
            autoload = [data.get("autoload") or {}, data.get("autoload-dev") or {}]
            if optimise or any("classmap" in a for a in autoload):
                raise Refusal("the autoloader dump scans the sources (use --no-autoloader and dump it "
                              "after copying them)")
        for repo in data.get("repositories") or []:
            if isinstance(repo, dict) and repo.get("type") == "path":
                raise Refusal("composer.json has a path repository")
        self.optional("composer.lock")
        self.optional("auth.json")
        vendor = ((data.get("config") or {}).get("vendor-dir")) or "vendor"
        self.output(vendor)
        self.needs.installs.append(self.current)

    def cmd_mvn(self, args: list[str]) -> None:
        goals = [a for a in args if not a.startswith("-")]
        if not goals or not all(g.startswith("dependency:") and g.split(":", 1)[1] in
                                ("go-offline", "resolve", "resolve-plugins") for g in goals):
            raise Refusal(f"`mvn {' '.join(goals)}` may read the copied sources")
        self.needs.ecosystems.add("java")
        pom = "pom.xml"
        for i, a in enumerate(args):
            if a in ("-f", "--file") and i + 1 < len(args):
                pom = args[i + 1]
            elif a in ("-s", "--settings") and i + 1 < len(args):
                if not args[i + 1].startswith("/"):
                    self.manifest(args[i + 1])
        rel = self.manifest(pom)
        text = self.read(rel)
        if "<modules>" in text:
            raise Refusal("pom.xml has modules (their poms are sources)")
        self.forbid(".mvn", "maven reads .mvn/maven.config and extensions")
        self.needs.installs.append(self.current)

    def cmd_gradle(self, _args: list[str]) -> None:
        raise Refusal("gradle reads settings, buildSrc and plugins from the whole project")

    cmd_gradlew = cmd_gradle


def _readmes(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict) and isinstance(value.get("file"), str):
        return [value["file"]]
    return []


def analyse_run(script: Script, view: ContextView, dest: str, cwd: str,
                env: dict[str, str]) -> Needs:
    """What the RUN body ``script`` needs from the folder ``dest``; raises :class:`Refusal`."""
    if script.opaque:
        raise Refusal(f"its shell cannot be read ({script.opaque_reason})")
    analyser = _Analyser(view, dest, cwd, env)
    for cmd in script.commands:
        analyser.command(cmd)
    return analyser.needs


def is_dependency_install(script: Script) -> bool:
    """Whether the RUN body runs a dependency install we know (for notes on what we left alone)."""
    for cmd in script.commands:
        name = cmd.basename or ""
        args = [w.value or "" for w in cmd.argv[1:]]
        sub = next((a for a in args if not a.startswith("-")), "")
        if _PIP.match(name) and sub in ("install", "download", "wheel"):
            return True
        if _PYTHON.match(name) and args[:3] == ["-m", "pip", "install"]:
            return True
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
