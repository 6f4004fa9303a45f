"""What ruby, go, php and java installs (gem, bundler, go, composer, maven, gradle) read."""

from __future__ import annotations

import re

from .core import Analyser, Refusal

_GEMFILE_READS = re.compile(
    r"\b(gemspec|eval_gemfile|require_relative|require|load|instance_eval|File|Dir|IO|__dir__|"
    r"__FILE__)\b|\bpath\s*(:|=>)|:path\b|\bfile\s*:"
)


def gem(an: Analyser, args: list[str]) -> None:
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
        an.package_name(a, "gem")

def bundle(an: Analyser, args: list[str]) -> None:
    sub = args[0] if args and not args[0].startswith("-") else "install"
    if sub in ("--version", "version", "-v"):
        return
    if sub == "config":
        if "--local" in args:
            raise Refusal("`bundle config --local` writes .bundle/config into the project")
        return
    if sub != "install":
        raise Refusal(f"`bundle {sub}` may read the copied sources")
    an.needs.ecosystems.add("ruby")
    gemfile = an.manifest("Gemfile")
    text = re.sub(r"#.*", "", an.read(gemfile))
    match = _GEMFILE_READS.search(text)
    if match:
        raise Refusal(f"Gemfile uses `{match.group(0).strip()}`, which may read other files")
    an.forbid(".bundle", "bundler reads and writes .bundle/config there")
    lock = an.optional("Gemfile.lock")
    an.output("vendor/bundle")
    an.output(".bundle")
    for i, a in enumerate(args):
        if a in ("--path", "--binstubs", "--standalone") and i + 1 < len(args) \
                and not args[i + 1].startswith("-"):
            an.output(args[i + 1])
        elif a.startswith(("--path=", "--binstubs=")):
            an.output(a.split("=", 1)[1])
        elif a == "--binstubs":
            an.output("bin")
    frozen = {"--frozen", "--deployment"} & set(args) or \
        an.env.get("BUNDLE_FROZEN", "").lower() in ("1", "true") or \
        an.env.get("BUNDLE_DEPLOYMENT", "").lower() in ("1", "true")
    if lock and not frozen:
        an.needs.lock_rewrites.append("`bundle install` may rewrite Gemfile.lock "
                                        "(use --frozen or BUNDLE_FROZEN=true)")
    an.needs.installs.append(an.current)



def go(an: Analyser, args: list[str]) -> None:
    if args[:1] in (["version"], ["env"]) and "-w" not in args:
        return
    if args[:1] == ["install"] and all("@" in a for a in args[1:] if not a.startswith("-")):
        return
    if args[:2] not in (["mod", "download"], ["mod", "verify"]):
        raise Refusal(f"`go {' '.join(args[:2])}` may read the copied sources")
    an.needs.ecosystems.add("go")
    an.forbid("go.work", "the workspace's modules are sources")
    gomod = an.manifest("go.mod")
    for line in an.read(gomod).splitlines():
        body = line.split("//", 1)[0]
        if "=>" in body:
            target = body.split("=>", 1)[1].split()
            if target and target[0].startswith((".", "/")):
                raise Refusal(f"go.mod replaces a module with the local path {target[0]}")
    an.optional("go.sum")
    an.needs.installs.append(an.current)

def composer(an: Analyser, args: list[str]) -> None:
    sub = next((a for a in args if not a.startswith("-")), None)
    if sub in (None, "--version", "diagnose", "clear-cache", "clearcache", "cc"):
        return
    if sub == "global":
        return
    if sub != "install":
        raise Refusal(f"`composer {sub}` may read the copied sources")
    if any(a.startswith(("-d", "--working-dir")) for a in args):
        raise Refusal("`composer --working-dir` runs elsewhere")
    an.needs.ecosystems.add("php")
    data = an.json(an.manifest("composer.json"))
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
    an.optional("composer.lock")
    an.optional("auth.json")
    vendor = ((data.get("config") or {}).get("vendor-dir")) or "vendor"
    an.output(vendor)
    an.needs.installs.append(an.current)

def mvn(an: Analyser, args: list[str]) -> None:
    goals = [a for a in args if not a.startswith("-")]
    if not goals or not all(g.startswith("dependency:") and g.split(":", 1)[1] in
                            ("go-offline", "resolve", "resolve-plugins") for g in goals):
        raise Refusal(f"`mvn {' '.join(goals)}` may read the copied sources")
    an.needs.ecosystems.add("java")
    pom = "pom.xml"
    for i, a in enumerate(args):
        if a in ("-f", "--file") and i + 1 < len(args):
            pom = args[i + 1]
        elif a in ("-s", "--settings") and i + 1 < len(args):
            if not args[i + 1].startswith("/"):
                an.manifest(args[i + 1])
    rel = an.manifest(pom)
    text = an.read(rel)
    if "<modules>" in text:
        raise Refusal("pom.xml has modules (their poms are sources)")
    an.forbid(".mvn", "maven reads .mvn/maven.config and extensions")
    an.needs.installs.append(an.current)

def gradle(an: Analyser, args: list[str]) -> None:  # noqa: ARG001 - a handler's signature
    raise Refusal("gradle reads settings, buildSrc and plugins from the whole project")



