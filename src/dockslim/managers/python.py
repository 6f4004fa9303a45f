"""pip (``pip``, ``pip3``, ``pip3.11``, ``python -m pip``), uv, poetry and pipenv."""

from __future__ import annotations

import re

from .model import Cache, Family

_PIP_DOCS = "https://pip.pypa.io/en/stable/cli/pip/#general-options"
_SIZE = "about the size of the downloads, often 10-200 MB"

PIP_CACHE = Cache(
    key="pip", what="HTTP and wheel cache in ~/.cache/pip", weight=_SIZE,
    folders=("~/.cache/pip", "~/.cache"),
    source="https://pip.pypa.io/en/stable/topics/caching/#default-paths",
    env_off=("PIP_NO_CACHE_DIR",), mount=("~/.cache/pip",),
)
# pip turns its cache off for any boolean value of PIP_NO_CACHE_DIR, even "false"
# (https://pip.pypa.io/en/stable/topics/configuration/#environment-variables, pip#5735).
ENV_OFF_ANY_VALUE = ("PIP_NO_CACHE_DIR",)

PIP = Family(
    name="pip",
    commands=frozenset({"pip"}),
    source=_PIP_DOCS,
    # pip's general options and `pip install` options followed by an argument
    # (https://pip.pypa.io/en/stable/cli/pip_install/#options).
    takes_value=frozenset({
        "--cache-dir", "--log", "--proxy", "--python", "--trusted-host", "-i", "--index-url",
        "--extra-index-url", "--cert", "--client-cert", "--timeout", "--retries", "--exists-action",
        "--keyring-provider", "--use-feature", "--use-deprecated", "--platform", "--python-version",
        "--implementation", "--abi", "--only-binary", "--no-binary", "--progress-bar",
        "--upgrade-strategy", "--global-option", "--config-settings", "-C", "--root-user-action",
    }),
    subcommands=frozenset({"install", "download", "uninstall", "freeze", "inspect", "list", "show",
                           "check", "config", "search", "cache", "index", "wheel", "hash",
                           "completion", "debug", "help", "lock"}),
    install=frozenset({"install"}),
    remove=frozenset({"uninstall"}),
    fills_cache=frozenset({"install"}),
    caches=(PIP_CACHE,),
    # DL3013 pin versions, DL3042 --no-cache-dir.
    hadolint=("DL3013", "DL3042"),
    # pip, pip2, pip3, pip3.11 (the scripts pip installs: pip, pipX, pipX.Y).
    name_pattern=re.compile(r"pip(\d(\.\d+)?)?\Z"),
    python_module="pip",
)

UV_CACHE = Cache(
    key="uv", what="package cache in ~/.cache/uv", weight=_SIZE,
    folders=("~/.cache/uv", "~/.cache"),
    source="https://docs.astral.sh/uv/concepts/cache/#cache-directory",
    env_off=("UV_NO_CACHE",), mount=("~/.cache/uv",),
)

UV = Family(
    name="uv",
    commands=frozenset({"uv"}),
    source="https://docs.astral.sh/uv/reference/cli/",
    takes_value=frozenset({"--cache-dir", "--python", "-p", "--directory", "--project"}),
    install=frozenset({"add"}),  # `uv pip install` and `uv tool install`: see fills_cache_words
    remove=frozenset({"remove"}),
    fills_cache=frozenset({"sync", "add", "lock", "run", "export", "pip", "tool"}),
    caches=(UV_CACHE,),
)
# The second word after `uv pip` / `uv tool` that fills the cache.
UV_PIP_FILLS = frozenset({"install", "sync", "compile"})
UV_TOOL_FILLS = frozenset({"install"})

POETRY_CACHE = Cache(
    key="poetry", what="download cache in ~/.cache/pypoetry/{cache,artifacts}", weight="~10-200 MB",
    folders=("~/.cache/pypoetry", "~/.cache"),
    source="https://python-poetry.org/docs/configuration/#cache-dir",
    cleanup="rm -rf {dir}/cache {dir}/artifacts", cleaned_by=("poetry cache clear",),
    env_off=(),
)
POETRY_CACHE_DIR = ("POETRY_CACHE_DIR", "/root/.cache/pypoetry")  # variable, root's default

POETRY = Family(
    name="poetry",
    commands=frozenset({"poetry"}),
    source="https://python-poetry.org/docs/cli/",
    install=frozenset({"add"}),
    remove=frozenset({"remove"}),
    fills_cache=frozenset({"install", "add", "update", "sync"}),
    caches=(POETRY_CACHE,),
)

PIPENV_CACHE = Cache(
    key="pipenv", what="download cache in ~/.cache/pipenv", weight="~10-200 MB",
    folders=("~/.cache/pipenv", "~/.cache"),
    source="https://pipenv.pypa.io/en/latest/configuration.html#pipenv-cache-dir",
    cleanup="rm -rf {dir}",
)
PIPENV_CACHE_DIR = ("PIPENV_CACHE_DIR", "/root/.cache/pipenv")

PIPENV = Family(
    name="pipenv",
    commands=frozenset({"pipenv"}),
    source="https://pipenv.pypa.io/en/latest/cli.html",
    install=frozenset({"install"}),
    remove=frozenset({"uninstall"}),
    fills_cache=frozenset({"install", "sync"}),
    caches=(PIPENV_CACHE,),
)
