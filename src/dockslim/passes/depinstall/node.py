"""What node installs (npm, yarn v1, pnpm) read from the copied folder."""

from __future__ import annotations

from .core import LOCAL_DEP, Analyser, Refusal

_NPM_INSTALL_SCRIPTS = frozenset({"preinstall", "install", "postinstall", "prepublish", "preprepare",
                                  "prepare", "postprepare", "dependencies"})


def _package_json(an: Analyser, tool: str, ignore_scripts: bool) -> None:
    data = an.json(an.manifest("package.json"))
    if "workspaces" in data:
        raise Refusal("package.json declares workspaces (their manifests are sources)")
    scripts = data.get("scripts") or {}
    if not ignore_scripts:
        found = sorted(_NPM_INSTALL_SCRIPTS & set(scripts))
        if found:
            raise Refusal(f"package.json has the lifecycle script(s) {', '.join(found)}, which "
                          f"`{tool}` runs and which may read the sources (or use --ignore-scripts)")
        an.forbid("binding.gyp", f"`{tool}` builds it with node-gyp")
    for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
                    "overrides", "resolutions"):
        for name, spec in (data.get(section) or {}).items():
            if isinstance(spec, str) and LOCAL_DEP.match(spec):
                raise Refusal(f"package.json: {name} is a local path dependency ({spec})")

def npm(an: Analyser, args: list[str]) -> None:
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
            an.package_name(n, "npm")
        return
    if names:
        raise Refusal(f"`npm {sub} {' '.join(names)}` changes package.json")
    an.needs.ecosystems.add("node")
    _package_json(an, "npm", "--ignore-scripts" in args)
    locks = [an.optional("package-lock.json"), an.optional("npm-shrinkwrap.json")]
    an.optional(".npmrc")
    an.output("node_modules")
    if any(locks) and sub in ("install", "i", "add"):
        an.needs.lock_rewrites.append("`npm install` may rewrite package-lock.json "
                                        "(use npm ci)")
    an.needs.installs.append(an.current)

def yarn(an: Analyser, args: list[str]) -> None:
    positional = [a for a in args if not a.startswith("-")]
    sub = positional[0] if positional else "install"
    if sub in ("cache", "config", "--version") or args[:1] in (["-v"], ["--version"]):
        return
    if sub == "global":
        for n in positional[2:]:
            an.package_name(n, "npm")
        return
    if sub != "install" or positional[1:]:
        raise Refusal(f"`yarn {' '.join(args)}` may read the copied sources")
    an.needs.ecosystems.add("node")
    for berry in (".yarnrc.yml", ".yarn", ".pnp.cjs"):
        an.forbid(berry, "Yarn 2+ reads its release and plugins from the project")
    data = an.json(an.manifest("package.json"))
    if str(data.get("packageManager", "yarn@1")).split("@")[0] != "yarn" or \
            not str(data.get("packageManager", "yarn@1")).startswith("yarn@1"):
        raise Refusal("package.json asks for a package manager other than Yarn 1")
    _package_json(an, "yarn", "--ignore-scripts" in args)
    lock = an.optional("yarn.lock")
    an.optional(".yarnrc")
    an.optional(".npmrc")
    an.output("node_modules")
    if lock and not {"--frozen-lockfile", "--immutable", "--pure-lockfile"} & set(args):
        an.needs.lock_rewrites.append("`yarn install` may rewrite yarn.lock "
                                        "(use --frozen-lockfile)")
    an.needs.installs.append(an.current)

def pnpm(an: Analyser, args: list[str]) -> None:
    positional = [a for a in args if not a.startswith("-")]
    sub = positional[0] if positional else None
    if sub in (None, "store", "config") or args[:1] in (["-v"], ["--version"]):
        return
    if sub not in ("install", "i", "fetch") or positional[1:]:
        raise Refusal(f"`pnpm {' '.join(args)}` may read the copied sources")
    an.needs.ecosystems.add("node")
    an.forbid("pnpm-workspace.yaml", "workspace packages are sources")
    an.forbid(".pnpmfile.cjs", "pnpm runs it and it may read other files")
    if sub != "fetch":
        _package_json(an, "pnpm", "--ignore-scripts" in args)
    else:
        an.optional("package.json")
    lock = an.optional("pnpm-lock.yaml")
    an.optional(".npmrc")
    an.output("node_modules")
    if lock and sub != "fetch" and "--frozen-lockfile" not in args:
        an.needs.lock_rewrites.append("`pnpm install` may rewrite pnpm-lock.yaml "
                                        "(use --frozen-lockfile)")
    an.needs.installs.append(an.current)

