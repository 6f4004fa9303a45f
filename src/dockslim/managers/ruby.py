"""gem and bundler."""

from __future__ import annotations

from .model import Cache, Family

DOCS = Cache(
    key="gem", what="ri/rdoc documentation", weight="~1-20 MB", folders=(),
    source="https://guides.rubygems.org/command-reference/#gem-install",  # --[no-]document
)
BUNDLE_CACHE = Cache(
    key="bundler", what="downloaded .gem files in $GEM_HOME/cache", weight="~10-50 MB",
    folders=("/usr/local/bundle/cache", "/usr/local/bundle"),
    # The official ruby image sets GEM_HOME=/usr/local/bundle
    # (https://github.com/docker-library/ruby/blob/master/3.3/bookworm/Dockerfile); gems keep
    # the downloaded .gem files in $GEM_HOME/cache.
    source="https://guides.rubygems.org/rubygems-basics/#installing-gems",
    cleanup="rm -rf {dir}/cache",
)
GEM_HOME = ("GEM_HOME", "/usr/local/bundle")  # variable, the ruby image's value

GEM = Family(
    name="gem",
    commands=frozenset({"gem"}),
    source="https://guides.rubygems.org/command-reference/",
    takes_value=frozenset({"-v", "--version", "--source", "-s", "-i", "--install-dir", "-n", "--bindir"}),
    install=frozenset({"install"}),
    remove=frozenset({"uninstall"}),
    fills_cache=frozenset({"install"}),
    caches=(DOCS, BUNDLE_CACHE),
    hadolint=("DL3028",),  # pin versions in gem install
)
# Options that already say what to do with the documentation.
DOC_FLAGS = ("--no-document", "-N", "--no-ri", "--no-rdoc", "--document")

BUNDLER = Family(
    name="bundler",
    commands=frozenset({"bundle", "bundler"}),
    source="https://bundler.io/man/bundle-install.1.html",
    install=frozenset({"install"}),
    fills_cache=frozenset({"install"}),  # and a bare `bundle`
    caches=(BUNDLE_CACHE,),
)
