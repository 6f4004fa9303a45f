"""npm, yarn (v1) and pnpm."""

from __future__ import annotations

from .model import Cache, Family

_NODE_SIZE = "about the size of node_modules, often 50-300 MB"

NPM_CACHE = Cache(
    key="npm", what="package cache in ~/.npm", weight=_NODE_SIZE,
    folders=("~/.npm",),
    source="https://docs.npmjs.com/cli/v10/commands/npm-cache#details",
    cleanup="npm cache clean --force", cleaned_by=("npm cache clean", "npm cache clear"),
    mount=("~/.npm",),
)

NPM = Family(
    name="npm",
    commands=frozenset({"npm"}),
    source="https://docs.npmjs.com/cli/v10/commands",
    takes_value=frozenset({"--prefix", "--registry", "--cache", "-C", "--omit"}),
    install=frozenset({"install", "i", "ci", "add", "isntall", "in", "clean-install"}),
    remove=frozenset({"uninstall", "remove", "rm", "un", "r"}),
    # npm-install(1) aliases: add, i, in, ins, inst, insta, instal, isnt, isnta, isntal, isntall.
    fills_cache=frozenset({"install", "i", "ci", "add", "update", "isntall", "in"}),
    caches=(NPM_CACHE,),
    hadolint=("DL3016",),  # pin versions in npm
)

YARN_CACHE = Cache(
    key="yarn", what="yarn v1 cache in /usr/local/share/.cache/yarn", weight=_NODE_SIZE,
    folders=("/usr/local/share/.cache/yarn", "~/.cache/yarn", "/usr/local/share/.cache"),
    source="https://classic.yarnpkg.com/en/docs/cli/cache",
    cleanup="yarn cache clean", cleaned_by=("yarn cache clean",),
    mount=("/usr/local/share/.cache/yarn",),
)

YARN = Family(
    name="yarn",
    commands=frozenset({"yarn"}),
    source="https://classic.yarnpkg.com/en/docs/cli/",
    takes_value=frozenset({"--cache-folder", "--modules-folder", "--network-timeout"}),
    install=frozenset({"add"}),
    remove=frozenset({"remove"}),
    fills_cache=frozenset({"install", "add", "global"}),  # and a bare `yarn`
    caches=(YARN_CACHE,),
    hadolint=("DL3060",),  # yarn cache clean missing after yarn install
)

PNPM_CACHE = Cache(
    key="pnpm", what="content-addressed store", weight="about the size of node_modules",
    folders=("~/.local/share/pnpm", "~/.pnpm-store"),
    source="https://pnpm.io/npmrc#store-dir",
    cleaned_by=("pnpm store prune",),
    mount=("~/.local/share/pnpm/store",),
)

PNPM = Family(
    name="pnpm",
    commands=frozenset({"pnpm"}),
    source="https://pnpm.io/cli/install",
    install=frozenset({"add"}),
    remove=frozenset({"remove", "rm", "uninstall", "un"}),
    fills_cache=frozenset({"install", "i", "add", "fetch"}),  # and a bare `pnpm`
    caches=(PNPM_CACHE,),
)
