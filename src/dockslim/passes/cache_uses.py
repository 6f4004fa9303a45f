"""Which commands of a RUN fill which cache, asked of the package-manager model.

Two kinds: caches turned off with a flag on each use (pip, uv, apk, gem's documentation) and
caches emptied by a cleanup command at the end of the RUN (everything else).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..managers import (
    APK,
    BUNDLER,
    COMPOSER,
    CONDA,
    DNF,
    GEM,
    GO,
    NPM,
    PIP,
    PIPENV,
    PNPM,
    POETRY,
    UV,
    YARN,
    ZYPPER,
    Cache,
    Family,
    Invocation,
    cleans,
    invocations,
    ruby,
)
from ..managers import python as py
from ..managers.other import CONDA_ENV_FILLS
from ..syntax import Stage
from ..syntax.shell import Command, Script
from .cache_runs import Later, Run, Use, image_name, may_run_go, plain_path, removes

# (cache, uses, cleanup command or "note: why not" or None, is this command its cleanup?)
CleanupUses = tuple[Cache, list[Use], "str | None", Callable[[Command], bool]]


def _cache(family: Family, tool: str) -> Cache:
    cache = family.cache_of(tool)
    assert cache is not None, (family.name, tool)
    return cache


def pip_uses(script: Script) -> list[Use]:
    out = []
    for inv in invocations(script, PIP):
        word = inv.subcommand_word
        if word is None or word.value != "install":
            continue
        if inv.has_flag("--no-cache-dir", "--no-cache", "--cache-dir"):
            continue
        out.append(Use(py.PIP_CACHE, inv.cmd, word.end, " --no-cache-dir"))
    return out


def uv_uses(script: Script) -> list[Use]:
    out = []
    for inv in invocations(script, UV):
        words = inv.positional()
        sub = words[0].value if words else None
        if sub in ("pip", "tool"):
            fills = py.UV_PIP_FILLS if sub == "pip" else py.UV_TOOL_FILLS
            if len(words) < 2 or words[1].value not in fills:
                continue
            word = words[1]
        elif sub in UV.fills_cache:
            word = words[0]
        else:
            continue
        if inv.has_flag("--no-cache", "-n", "--cache-dir"):
            continue
        out.append(Use(py.UV_CACHE, inv.cmd, word.end, " --no-cache"))
    return out


def apk_uses(script: Script) -> list[Use]:
    out = []
    for inv in invocations(script, APK):
        word = inv.subcommand_word
        if word is not None and word.value in APK.fills_cache and not inv.has_flag("--no-cache"):
            out.append(Use(_cache(APK, "apk"), inv.cmd, word.end, " --no-cache"))
    return out


def gem_uses(script: Script) -> list[Use]:
    out = []
    for inv in invocations(script, GEM):
        word = inv.subcommand_word
        if word is not None and word.value == "install" and not inv.has_flag(*ruby.DOC_FLAGS):
            out.append(Use(ruby.DOCS, inv.cmd, word.end, " --no-document"))
    return out


def apk_subcommand(cmd: Command) -> str | None:
    inv = APK.recognize(cmd)
    return inv.subcommand if inv is not None else None


def _uses(script: Script, family: Family, tools: Iterable[str] | None = None, *, bare: bool = False,
          verbs: frozenset[str] | None = None, cache: Cache | None = None,
          keep: Callable[[Invocation], bool] | None = None) -> list[Use]:
    """Commands of ``family`` (only ``tools`` if given) whose verb fills its cache."""
    wanted = set(tools) if tools is not None else None
    fills = family.fills_cache if verbs is None else verbs
    out = []
    for inv in invocations(script, family):
        if wanted is not None and inv.tool not in wanted:
            continue
        sub = inv.subcommand
        if (sub in fills or (bare and sub is None)) and (keep is None or keep(inv)):
            out.append(Use(cache or _cache(family, inv.tool), inv.cmd, tool=inv.tool))
    return out


def _cleaner(cache: Cache) -> Callable[[Command], bool]:
    return lambda c: cleans(c, cache)


def is_yarn_berry_command(cmd: Command) -> bool:
    inv = YARN.recognize(cmd)
    return inv is not None and inv.is_cmd("set", "version")


def cleanup_uses(stage: Stage, run: Run, later: Later, final: bool, mount_style: bool,
                 yarn_berry: Callable[[], bool]) -> Iterator[CleanupUses]:
    script = run.script
    assert script is not None
    home_ok = run.user_root

    npm_cache = _cache(NPM, "npm")
    yield (npm_cache, _uses(script, NPM), npm_cache.cleanup, _cleaner(npm_cache))

    yarn_cache = _cache(YARN, "yarn")
    yarn = _uses(script, YARN, bare=True, keep=lambda inv: not inv.has_flag("--cache-folder"))
    yarn_cleanup: str | None = yarn_cache.cleanup
    if yarn and yarn_berry():
        yarn_cleanup = ("note: yarn 2+ (.yarnrc.yml, corepack or `yarn set version`) may keep the "
                        "project's packages in its cache; left alone")
    yield (yarn_cache, yarn, yarn_cleanup, _cleaner(yarn_cache))

    pnpm_cache = _cache(PNPM, "pnpm")
    yield (pnpm_cache, _uses(script, PNPM, bare=True),
           ("note: pnpm hard-links node_modules to its store, so deleting the store "
            "frees little; `--cache-style mount` keeps it out of the image"), _cleaner(pnpm_cache))

    # One cache per tool: each keeps its own folder (microdnf's is not dnf's).
    for tool in ("dnf", "yum", "microdnf", "tdnf"):
        cache = _cache(DNF, tool)
        yield (cache, _uses(script, DNF, (tool,)), cache.cleanup, _cleaner(cache))

    zypper_cache = _cache(ZYPPER, "zypper")
    yield (zypper_cache, _uses(script, ZYPPER), zypper_cache.cleanup, _cleaner(zypper_cache))

    composer_cache = _cache(COMPOSER, "composer")
    composer = _uses(script, COMPOSER, keep=lambda inv: not inv.has_flag("--no-cache"))
    yield (composer_cache, composer, composer_cache.cleanup, _cleaner(composer_cache))

    def conda_fills(inv: Invocation) -> bool:
        words = inv.positional()
        return words[0].value != "env" or (len(words) > 1 and words[1].value in CONDA_ENV_FILLS)

    for tool in ("conda", "mamba", "micromamba"):
        cache = _cache(CONDA, tool)
        yield (cache, _uses(script, CONDA, (tool,), keep=conda_fills), cache.cleanup, _cleaner(cache))

    poetry = _uses(script, POETRY, keep=lambda inv: not inv.has_flag("--no-cache"))
    variable, root_default = py.POETRY_CACHE_DIR
    cache_dir = run.env.get(variable) or (root_default if home_ok else None)
    poetry_cleanup = (py.POETRY_CACHE.cleanup.format(dir=cache_dir)  # type: ignore[union-attr]
                      if cache_dir and plain_path(cache_dir)
                      else "note: poetry's cache folder is not known for this user; left alone")
    yield (py.POETRY_CACHE, poetry, poetry_cleanup,
           lambda c: cleans(c, py.POETRY_CACHE)
           or (cache_dir is not None and removes(c, run, cache_dir + "/cache")))

    variable, root_default = py.PIPENV_CACHE_DIR
    pipenv_dir = run.env.get(variable) or (root_default if home_ok else None)
    pipenv_cleanup = (py.PIPENV_CACHE.cleanup.format(dir=pipenv_dir)  # type: ignore[union-attr]
                      if pipenv_dir and plain_path(pipenv_dir)
                      else "note: pipenv's cache folder is not known for this user; left alone")
    yield (py.PIPENV_CACHE, _uses(script, PIPENV), pipenv_cleanup, _cleaner(py.PIPENV_CACHE))

    bundle_cache = ruby.BUNDLE_CACHE
    bundler = (_uses(script, BUNDLER, bare=True)
               + _uses(script, GEM, verbs=frozenset({"install"}), cache=bundle_cache))
    variable, image_default = ruby.GEM_HOME
    gem_home = run.env.get(variable) or (image_default if image_name(stage.base) == "ruby" else None)
    bundle_cleanup = (bundle_cache.cleanup.format(dir=gem_home)  # type: ignore[union-attr]
                      if gem_home and plain_path(gem_home)
                      else "note: the gem folder (GEM_HOME) is not known; left alone")
    yield (bundle_cache, bundler, bundle_cleanup,
           lambda c: gem_home is not None and removes(c, run, gem_home + "/cache"))

    def go_fills(inv: Invocation) -> bool:
        words = inv.positional()
        return words[0].value != "mod" or (len(words) > 1 and words[1].value == "download")

    go_cache = _cache(GO, "go")
    go = _uses(script, GO, keep=go_fills)
    go_cleanup: str | None = go_cache.cleanup
    if go and not mount_style:
        # In this order: the stage is read at most once per stage (only its last go RUN asks).
        if not final or later.any(may_run_go) or any(
                ins.cmd in ("CMD", "ENTRYPOINT") and any("go" in v.split() for v in ins.value)
                for ins in stage.instructions):
            go_cleanup = None  # the caches feed a later build step (or never reach the image)
    yield (go_cache, go, go_cleanup, _cleaner(go_cache))
