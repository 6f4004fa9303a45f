"""go, cargo, composer and conda (conda, mamba, micromamba)."""

from __future__ import annotations

from .model import Cache, Family

GO_CACHE = Cache(
    key="go", what="module and build caches (GOMODCACHE, ~/.cache/go-build)", weight="~100 MB-1 GB",
    folders=("/go/pkg/mod", "~/go/pkg/mod", "~/.cache/go-build", "~/.cache"),
    source="https://pkg.go.dev/cmd/go#hdr-Build_and_test_caching",
    cleanup="go clean -cache -modcache", cleaned_by=("go clean -modcache",),
    mount=("/go/pkg/mod", "~/.cache/go-build"),
)

GO = Family(
    name="go",
    commands=frozenset({"go"}),
    source="https://pkg.go.dev/cmd/go",
    install=frozenset({"install", "get"}),
    fills_cache=frozenset({"build", "install", "get", "mod", "test", "run"}),
    caches=(GO_CACHE,),
    hadolint=("DL3062",),  # pin versions in go install
)

CARGO_CACHE = Cache(
    key="cargo", what="registry index and crate sources in $CARGO_HOME/registry", weight="~50-500 MB",
    folders=("/usr/local/cargo/registry", "~/.cargo/registry", "/usr/local/cargo/git", "~/.cargo/git"),
    source="https://doc.rust-lang.org/cargo/guide/cargo-home.html#directories",
    mount=("/usr/local/cargo/registry",),
)

CARGO = Family(
    name="cargo",
    commands=frozenset({"cargo"}),
    source="https://doc.rust-lang.org/cargo/commands/index.html",
    takes_value=frozenset({"--config", "-Z", "-C", "--color"}),
    install=frozenset({"install"}),
    remove=frozenset({"uninstall"}),
    fills_cache=frozenset({"build", "install", "fetch", "test", "run", "vendor"}),
    caches=(CARGO_CACHE,),
)

COMPOSER_CACHE = Cache(
    key="composer", what="download cache in ~/.composer/cache", weight="~10-100 MB",
    folders=("~/.composer/cache", "~/.cache/composer", "/tmp/cache", "~/.composer"),
    source="https://getcomposer.org/doc/03-cli.md#composer-cache-dir",
    cleanup="composer clear-cache",
    cleaned_by=("composer clear-cache", "composer clearcache", "composer cc",
                "composer.phar clear-cache", "composer.phar clearcache", "composer.phar cc"),
    env_off=("COMPOSER_NO_CACHE",),
)

COMPOSER = Family(
    name="composer",
    commands=frozenset({"composer", "composer.phar"}),
    source="https://getcomposer.org/doc/03-cli.md",
    takes_value=frozenset({"-d", "--working-dir"}),
    install=frozenset({"require"}),
    remove=frozenset({"remove"}),
    fills_cache=frozenset({"install", "update", "require", "create-project", "global", "upgrade", "i", "u"}),
    caches=(COMPOSER_CACHE,),
)

_CONDA_CLEANED_BY = ("conda clean", "mamba clean", "micromamba clean")
_CONDA_SOURCE = "https://docs.conda.io/projects/conda/en/latest/commands/clean.html"


def _conda_cache(tool: str, cleanup: str) -> Cache:
    return Cache(key=tool, what="package tarballs and index cache in <prefix>/pkgs", weight="~100 MB-1 GB",
                 folders=("/opt/conda/pkgs",), source=_CONDA_SOURCE, cleanup=cleanup,
                 cleaned_by=_CONDA_CLEANED_BY)


CONDA = Family(
    name="conda",
    commands=frozenset({"conda", "mamba", "micromamba"}),
    source="https://docs.conda.io/projects/conda/en/latest/commands/index.html",
    takes_value=frozenset({"-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"}),
    install=frozenset({"install", "create"}),
    remove=frozenset({"remove", "uninstall"}),
    fills_cache=frozenset({"install", "create", "update", "env"}),
    caches=(_conda_cache("conda", "conda clean -afy"), _conda_cache("mamba", "mamba clean -afy"),
            _conda_cache("micromamba", "micromamba clean --all --yes")),
)
# `conda env <sub>` fills the cache for these subs.
CONDA_ENV_FILLS = frozenset({"create", "update"})
