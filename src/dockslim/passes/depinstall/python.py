"""What Python installs (pip, pipenv, poetry, uv) read from the copied folder."""

from __future__ import annotations

import posixpath
import re

from ...managers import PIP
from .core import NAME_SPEC, Analyser, Refusal, readmes


def pip(an: Analyser, args: list[str], tool: str) -> None:
    sub = None
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-"):
            if a in PIP.takes_value:
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
    an.needs.ecosystems.add("python")
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
            rel = an.manifest(val)
            requirements(an, rel)
        elif opt in ("-e", "--editable"):
            if "://" not in val or val.startswith("file:"):
                raise Refusal(f"`pip install -e {val}` installs the project from its sources")
            editable_vcs = True
        elif opt in ("-f", "--find-links"):
            if "://" not in val or val.startswith("file:"):
                raise Refusal(f"`pip install {opt} {val}` reads local archives")
        elif opt in ("-t", "--target", "--prefix", "--root", "-d", "--dest", "-w", "--wheel-dir",
                     "--src", "--log", "--report"):
            an.output(val)
        elif opt in PIP.takes_value:
            pass
        elif a.startswith("-"):
            step = 1
        else:
            step = 1
            an.package_name(a, tool)
        i += step
    if editable_vcs:
        an.output("src")
    an.needs.installs.append(an.current)

def requirements(an: Analyser, rel: str, seen: frozenset[str] = frozenset()) -> None:
    if rel in seen:
        return
    base_dir = posixpath.join(an.dest, posixpath.dirname(rel))
    text = an.read(rel).replace("\\\n", " ")
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
                nested = an.manifest(val, base=base_dir)
                requirements(an, nested, seen | {rel})
            elif opt in ("-e", "--editable"):
                if "://" not in val or val.startswith("file:"):
                    raise Refusal(f"{rel} has `{line}`: the project is installed from its sources")
                an.output("src")
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
        if not NAME_SPEC.match(spec):
            raise Refusal(f"{rel} has `{line}`, which may be a local path")
        an.package_name(re.split(r"[\[<>=!~;\s]", spec, maxsplit=1)[0], "pip")

def pipenv(an: Analyser, args: list[str]) -> None:
    sub = next((a for a in args if not a.startswith("-")), None)
    if sub is None or sub in ("--version", "--venv", "--where", "--py"):
        return
    if sub not in ("install", "sync"):
        raise Refusal(f"`pipenv {sub}` may read the copied sources")
    positional = [a for a in args[args.index(sub) + 1 :] if not a.startswith("-")]
    if positional or "-e" in args or "--editable" in args:
        raise Refusal("`pipenv install <package>` changes the Pipfile")
    an.needs.ecosystems.add("python")
    pipfile = an.manifest("Pipfile")
    data = an.toml(pipfile)
    for section in ("packages", "dev-packages"):
        for name, spec in (data.get(section) or {}).items():
            if isinstance(spec, dict) and ({"path", "file", "editable"} & spec.keys()):
                raise Refusal(f"Pipfile: {name} is a local path dependency")
    lock = an.optional("Pipfile.lock")
    an.optional(".env")  # pipenv loads it
    an.output(".venv")
    frozen = sub == "sync" or "--deploy" in args or "--ignore-pipfile" in args
    if lock and not frozen:
        an.needs.lock_rewrites.append("`pipenv install` may re-lock and rewrite Pipfile.lock "
                                        "(use --deploy or pipenv sync)")
    an.needs.installs.append(an.current)

def poetry(an: Analyser, args: list[str]) -> None:
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
    an.needs.ecosystems.add("python")
    pyproject = an.manifest("pyproject.toml")
    data = an.toml(pyproject)
    tool = (data.get("tool") or {}).get("poetry") or {}
    if "packages" in tool or "include" in tool:
        raise Refusal("pyproject.toml declares packages/include, which poetry may look for")
    _no_path_deps(tool.get("dependencies") or {}, "pyproject.toml")
    for group in (tool.get("group") or {}).values():
        _no_path_deps((group or {}).get("dependencies") or {}, "pyproject.toml")
    for name in readmes(tool.get("readme")) + readmes((data.get("project") or {}).get("readme")):
        an.manifest(name)
    an.optional("poetry.lock")
    an.optional("poetry.toml")
    an.output(".venv")
    an.needs.installs.append(an.current)

def _no_path_deps(deps: dict, where: str) -> None:
    for name, spec in deps.items():
        specs = spec if isinstance(spec, list) else [spec]
        if any(isinstance(s, dict) and "path" in s for s in specs):
            raise Refusal(f"{where}: {name} is a local path dependency")

def uv(an: Analyser, args: list[str]) -> None:
    sub = next((a for a in args if not a.startswith("-")), None)
    if sub in (None, "--version", "cache"):
        return
    if sub == "pip":
        rest = args[args.index("pip") + 1 :]
        return pip(an, rest, "uv pip")
    if sub == "venv":
        target = [a for a in args[args.index("venv") + 1 :] if not a.startswith("-")]
        an.output(target[0] if target else ".venv")
        return
    if sub != "sync":
        raise Refusal(f"`uv {sub}` may read the copied sources")
    if "--no-install-project" not in args and "--no-install-workspace" not in args:
        raise Refusal("`uv sync` without --no-install-project installs the project itself, "
                      "which reads its sources")
    an.needs.ecosystems.add("python")
    data = an.toml(an.manifest("pyproject.toml"))
    uv = (data.get("tool") or {}).get("uv") or {}
    if "workspace" in uv:
        raise Refusal("pyproject.toml declares a uv workspace (members are sources)")
    for name, src in (uv.get("sources") or {}).items():
        if isinstance(src, dict) and ({"path", "workspace"} & src.keys()):
            raise Refusal(f"pyproject.toml: {name} comes from a local path")
    if (data.get("project") or {}).get("dynamic"):
        raise Refusal("pyproject.toml has dynamic metadata, which uv gets by building the project")
    for name in readmes((data.get("project") or {}).get("readme")):
        an.manifest(name)
    lock = an.optional("uv.lock")
    an.optional(".python-version")
    an.optional("uv.toml")
    an.output(".venv")
    if lock and not {"--locked", "--frozen"} & set(args):
        an.needs.lock_rewrites.append("`uv sync` may rewrite uv.lock (use --locked or --frozen)")
    an.needs.installs.append(an.current)

