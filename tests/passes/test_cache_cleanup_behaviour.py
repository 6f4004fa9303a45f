"""cache-cleanup keeps what the build does and leaves no cache in any layer.

Played by the behaviour harness, whose stand-ins model caches (``apt-get update`` writes the lists
and ``install`` fails without them, pip writes ~/.cache/pip unless told not to, apk writes its
index unless ``--no-cache``, npm/yarn/composer/bundle/dnf write theirs ...). Every stage of every
playable fixture is played as the target, original vs rewritten, with each recorded call failing in
turn; then every layer of the rewrite is searched for cache files (layers are immutable: a cache
deleted by a later RUN still ships).
"""

from pathlib import Path

import pytest

from dockslim.passes.cache_cleanup import CacheCleanup
from dockslim.syntax import parse
from dockslim.testing import run_fix
from tests.harness import (CACHE_PATHS, assert_same_behaviour, cache_files_in_any_layer, chain,
                           drop_calls, drop_flags, is_command, play)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cache-cleanup"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "Dockerfile").exists())
# uv, zypper, conda, poetry, pipenv and pnpm have no stand-in; uv's fixture also copies from an image.
NOT_PLAYABLE = {"uv", "python-tools"}
PLAYABLE_STAGES = {"rpm": ("0", "1"), "php-conda": ("0",), "node": ("0",),
                   "clean-already": ("0", "1", "2", "3", "5", "7")}  # others: every stage

# What the rewrite adds or moves on purpose: cache flags, cleanup commands, the `apt-get update`
# a later RUN gets (or that moves there from a RUN that only updated), the dropped `apk update`.
NORMALIZE = chain(
    drop_flags("--no-cache-dir", "--no-cache"),
    drop_calls(lambda c: is_command("npm", "cache", "clean")(c) or is_command("yarn", "cache", "clean")(c)
               or is_command("composer", "clear-cache")(c) or c.argv[:1] in (("dnf",), ("yum",), ("microdnf",))
               and c.argv[1:2] == ("clean",) or is_command("go", "clean")(c)
               or is_command("apt-get", "update")(c) or is_command("apk", "update")(c)),
)

# The apt stand-in does not model the `docker-clean` hook of the official Debian/Ubuntu images (it
# deletes downloaded .deb files and keeps no pkgcache.bin), so /var/cache/apt is not judged here;
# npm's debug logs in ~/.npm/_logs are logs, not cache, and `npm cache clean` keeps them.
# The gem stand-in writes /usr/local/lib/ruby/gems/3.2.0 whatever GEM_HOME says; the official ruby
# image (the fixture's base) sets GEM_HOME=/usr/local/bundle, which is what the fix cleans.
JUDGED = tuple(p for p in CACHE_PATHS if p not in ("/var/cache/apt/*", "/root/.npm",
                                                   "/usr/local/lib/ruby/gems/*/cache")) + ("/root/.npm/_cacache",)


# The cache folders themselves (CACHE_PATHS names their contents): real images ship them empty.
IGNORED = CACHE_PATHS + ("/var/cache/apk", "/var/cache/dnf", "/var/cache/yum", "/var/lib/apt/lists",
                         "/home/*/.cache", "/home/*/.npm")  # a HOME set by ENV


def _style(case: str) -> str:
    return "mount" if case.startswith("mount-") else "cleanup"


def _targets(case: str, text: str) -> tuple[str, ...]:
    return PLAYABLE_STAGES.get(case, tuple(str(i) for i in range(len(parse(text).stages()))))


@pytest.mark.parametrize("case", CASES)
def test_fixture_output_is_the_expected_one(case):
    before = (FIXTURES / case / "Dockerfile").read_text()
    expected = (FIXTURES / case / "Dockerfile.expected").read_text()
    result = run_fix(CacheCleanup, before, context=FIXTURES / case, cache_style=_style(case))
    assert result.text == expected
    again = run_fix(CacheCleanup, result.text, context=FIXTURES / case, cache_style=_style(case))
    assert again.text == result.text  # fixed point


PLAYABLE = [(c, t) for c in CASES if c not in NOT_PLAYABLE
            for t in _targets(c, (FIXTURES / c / "Dockerfile").read_text())]


@pytest.mark.chroot
@pytest.mark.parametrize("case,target", PLAYABLE)
def test_fixture_behaves_the_same_and_no_layer_keeps_a_cache(case, target):
    before = (FIXTURES / case / "Dockerfile").read_text()
    after = run_fix(CacheCleanup, before, context=FIXTURES / case, cache_style=_style(case)).text
    original = play(before, context_dir=FIXTURES / case, target=target) if _harness_ok() else None
    assert original is None or not original.failed, f"fixture does not build: {original.failure}"
    assert_same_behaviour(before, after, context_dir=FIXTURES / case, target=target,
                          ignore_paths=IGNORED, normalize_call=NORMALIZE)
    if case.startswith("clean-") or case in ("apt-blocked", "builder-copies-cache"):
        return  # left alone on purpose (already clean, or the cache is needed)
    if (case, target) == ("go", "0"):
        return  # a builder: `go mod download` fills the cache the next RUN's `go build` reads
    left = cache_files_in_any_layer(play(after, context_dir=FIXTURES / case, target=target), JUDGED)
    assert not left, "cache files in the rewritten image: " + ", ".join(
        f"{path} (line {layer.line})" for layer, path in left)


@pytest.mark.chroot
def test_original_fixtures_do_leave_caches():
    """The judge can fail: before the fix, the caches are there."""
    if not _harness_ok():
        pytest.skip("behaviour harness unavailable")
    for case in ("apt-same-run", "apt-stage-aware", "pip", "apk", "node"):
        before = (FIXTURES / case / "Dockerfile").read_text()
        assert cache_files_in_any_layer(play(before, context_dir=FIXTURES / case, target="0"), JUDGED), case


GENERATED = [
    "RUN apt-get update && apt-get install -y curl",
    "RUN apt-get update\nRUN mkdir /x\nRUN apt-get install -y curl",
    "RUN apt-get update && apt-get install -y a\nENV B=1\nRUN apt-get install -y b; touch /b",
    "RUN apt-get update && apt-get install -y a || true",
    "RUN apt-get update; apt-get install -y a-missing; touch /after",
    "RUN pip install a && pip3 install b; python3 -m pip install c",
    "RUN apk update && apk add curl && apk add -U git",
    "RUN echo x > /x && npm install -g pm2",
    # Each rpm tool keeps its own cache folder: one `clean all` does not empty the others'.
    "RUN yum install -y a && dnf install -y b && microdnf install -y c",
    "RUN microdnf install -y a && yum clean all",
]


@pytest.mark.chroot
@pytest.mark.parametrize("body", GENERATED)
def test_shapes_behave_the_same(body):
    before = f"FROM debian:bookworm\n{body}\n"
    after = run_fix(CacheCleanup, before).text
    assert after != before
    assert_same_behaviour(before, after, ignore_paths=IGNORED, normalize_call=NORMALIZE)
    result = play(after)
    if not result.failed:
        assert not cache_files_in_any_layer(result, JUDGED)


def _harness_ok() -> bool:
    from tests.harness import unavailable_reason
    return unavailable_reason() is None
