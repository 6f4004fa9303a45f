"""Judge a rewrite: play the original and the rewritten Dockerfile and compare what they did.

Two builds behave the same when, with no failure and again with each recorded call failing in turn:
both fail or both succeed, they record the same calls (argv, cwd, environment, umask) up to that
point, and when they succeed they leave the same files (content, mode, owner) and image metadata.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import pytest

from . import rootfs
from .player import BuildResult, Layer, Snapshot, Unsupported, play
from .standins import Call

# Where package managers keep caches and indexes that a slim image should not ship. A cleanup
# rewrite removes them, so pass `ignore_paths=CACHE_PATHS` when comparing such a rewrite.
CACHE_PATHS = (
    "/var/lib/apt/lists/*",
    "/var/cache/apt/*",
    "/var/cache/apk/*",
    "/var/cache/dnf/*",
    "/var/cache/yum/*",
    "/root/.cache",
    "/root/.npm",
    "/usr/local/share/.cache",
    "/root/.composer/cache",
    "/root/go/pkg/mod/cache",
    "/usr/local/lib/ruby/gems/*/cache",
    "/usr/local/bundle/cache",
)

CallNormalizer = Callable[[Call], "Call | None"]  # None drops the call from the comparison
CallDiffAllowed = Callable[[Call, Call], bool]  # (original, rewritten) differ but that is fine
ConfigNormalizer = Callable[[dict], dict]  # image metadata -> what is compared


def maintainer_as_label(config: dict) -> dict:
    """The declared effect of maintainer-to-label: MAINTAINER's text now sits in the label
    ``maintainer`` (and the legacy Author field is unset). Compare the two forms as equal; any
    other change of the label or of the author is still a difference."""
    if "maintainer" not in config:
        return config
    out = dict(config)
    labels = dict(out.get("labels") or {})
    labels.setdefault("maintainer", out.pop("maintainer"))
    out["labels"] = labels
    return out

_MAX_LISTED = 8  # paths or calls quoted per difference


def assert_same_behaviour(
    original: str,
    rewritten: str,
    *,
    context_dir: str | os.PathLike | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    ignore_paths: Sequence[str] = (),
    normalize_call: CallNormalizer | None = None,
    allow_call_diff: CallDiffAllowed | None = None,
    normalize_config: ConfigNormalizer | None = None,
    inject_failures: bool = True,
) -> None:
    """Fail the test when ``rewritten`` does not build like ``original``; skip when it cannot tell.

    ``ignore_paths`` are glob patterns (``/var/lib/apt/lists/*``); a match also covers everything
    below it. ``normalize_call`` maps each call before comparing (return None to drop it, e.g. an
    ``apt-get clean`` the rewrite added). ``allow_call_diff(orig, new)`` accepts a pair of calls at
    the same position that still differ. Dropped calls are not failure-injected.
    ``normalize_config`` maps each build's image metadata before comparing (e.g.
    :func:`maintainer_as_label`).
    """
    differences = compare(
        original, rewritten, context_dir=context_dir, build_args=build_args, target=target,
        ignore_paths=ignore_paths, normalize_call=normalize_call, allow_call_diff=allow_call_diff,
        normalize_config=normalize_config, inject_failures=inject_failures, skip=True,
    )
    if differences:
        raise AssertionError("the rewrite changes what the build does:\n- " + "\n- ".join(differences))


def compare(
    original: str,
    rewritten: str,
    *,
    context_dir: str | os.PathLike | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    ignore_paths: Sequence[str] = (),
    normalize_call: CallNormalizer | None = None,
    allow_call_diff: CallDiffAllowed | None = None,
    normalize_config: ConfigNormalizer | None = None,
    inject_failures: bool = True,
    skip: bool = False,
) -> list[str]:
    """The ways ``rewritten`` builds differently from ``original`` (empty when it does not).

    With ``skip`` a machine without chroot or a Dockerfile the harness cannot play skips the
    current test; otherwise :class:`rootfs.RootUnavailable` / :class:`Unsupported` propagate.
    """
    if skip:
        reason = rootfs.unavailable_reason()
        if reason:
            pytest.skip(f"behaviour harness unavailable: {reason}")

    def both(fail_at: tuple[int, int] | None = None) -> tuple[BuildResult, BuildResult]:
        kw = dict(context_dir=context_dir, build_args=build_args, target=target)
        try:
            return (play(original, fail_at_call=fail_at and fail_at[0], **kw),
                    play(rewritten, fail_at_call=fail_at and fail_at[1], **kw))
        except Unsupported as exc:
            if skip:
                pytest.skip(f"behaviour harness cannot play this Dockerfile: {exc}")
            raise

    base_o, base_r = both()
    differences = _differences(base_o, base_r, ignore_paths, normalize_call, allow_call_diff, normalize_config)
    if differences or not inject_failures:
        return differences
    kept_o = _kept(base_o.calls, normalize_call)
    kept_r = _kept(base_r.calls, normalize_call)
    for (index_o, call), (index_r, _) in zip(kept_o, kept_r, strict=False):  # the shorter run ends the pairs
        res_o, res_r = both((index_o + 1, index_r + 1))
        found = _differences(res_o, res_r, ignore_paths, normalize_call, allow_call_diff, normalize_config)
        differences.extend(f"when call #{index_o + 1} fails ({call.describe()}): {d}" for d in found)
    return differences


def _kept(calls: Sequence[Call], normalize: CallNormalizer | None) -> list[tuple[int, Call]]:
    out = []
    for i, call in enumerate(calls):
        normalized = normalize(call) if normalize else call
        if normalized is not None:
            out.append((i, normalized))
    return out


def _differences(
    res_o: BuildResult,
    res_r: BuildResult,
    ignore_paths: Sequence[str],
    normalize: CallNormalizer | None,
    allow: CallDiffAllowed | None,
    normalize_config: ConfigNormalizer | None = None,
) -> list[str]:
    out = []
    if res_o.failed != res_r.failed:
        if res_o.failed:
            out.append(f"the original fails ({res_o.failure}) but the rewrite builds")
        else:
            out.append(f"the rewrite fails ({res_r.failure}) but the original builds")
    call_diff = _call_difference(
        [c for _, c in _kept(res_o.calls, normalize)], [c for _, c in _kept(res_r.calls, normalize)], allow
    )
    if call_diff:
        out.append(call_diff)
    if not res_o.failed and not res_r.failed:
        out.extend(file_differences(res_o.files, res_r.files, ignore_paths))
        config_o, config_r = res_o.config, res_r.config
        if normalize_config:
            config_o, config_r = normalize_config(config_o), normalize_config(config_r)
        for key in sorted(set(config_o) | set(config_r)):
            if config_o.get(key) != config_r.get(key):
                out.append(f"image {key}: {config_o.get(key)!r} became {config_r.get(key)!r}")
    return out


def _call_difference(calls_o: Sequence[Call], calls_r: Sequence[Call], allow: CallDiffAllowed | None) -> str | None:
    for i, (a, b) in enumerate(zip(calls_o, calls_r, strict=False)):
        if a != b and not (allow and allow(a, b)):
            return f"call #{i + 1} differs:\n    original  {_call_text(a, b)}\n    rewritten {_call_text(b, a)}"
    if len(calls_o) != len(calls_r):
        longer, name = (calls_o, "original") if len(calls_o) > len(calls_r) else (calls_r, "rewrite")
        extra = longer[min(len(calls_o), len(calls_r)):]
        listed = "; ".join(c.describe() for c in extra[:_MAX_LISTED])
        return f"the {name} makes {len(extra)} more call(s): {listed}"
    return None


def _call_text(call: Call, other: Call) -> str:
    text = call.describe()
    if call.umask != other.umask:
        text += f" umask {call.umask}"
    env, other_env = call.env_dict(), other.env_dict()
    changed = {k: env.get(k) for k in set(env) | set(other_env) if env.get(k) != other_env.get(k)}
    if changed:
        text += f" env {changed}"
    return text


def _ignored(path: str, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    parts = path.split("/")
    for i in range(2, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if any(fnmatch.fnmatchcase(prefix, p) for p in patterns):
            return True
    return False


def file_differences(files_o: Snapshot, files_r: Snapshot, ignore_paths: Sequence[str] = ()) -> list[str]:
    """Human-readable differences between two snapshots, ignoring ``ignore_paths`` (globs)."""
    only_o, only_r, changed = [], [], []
    for path in sorted(set(files_o) | set(files_r)):
        if _ignored(path, ignore_paths):
            continue
        a, b = files_o.get(path), files_r.get(path)
        if b is None:
            only_o.append(path)
        elif a is None:
            only_r.append(path)
        elif a != b:
            what = [name for name, x, y in (("kind", a.kind, b.kind), ("content", a.digest, b.digest),
                                             ("mode", oct(a.mode), oct(b.mode)),
                                             ("owner", (a.uid, a.gid), (b.uid, b.gid))) if x != y]
            changed.append(f"{path} ({', '.join(what)})")
    out = []
    for label, paths in (("only in the original image", only_o), ("only in the rewritten image", only_r),
                         ("changed", changed)):
        if paths:
            more = f" and {len(paths) - _MAX_LISTED} more" if len(paths) > _MAX_LISTED else ""
            out.append(f"{label}: {', '.join(paths[:_MAX_LISTED])}{more}")
    return out


def cache_files_in_any_layer(
    result: BuildResult, patterns: Sequence[str] = CACHE_PATHS
) -> list[tuple[Layer, str]]:
    """Cache files (not directories) present in some layer of the image, as (layer, path).

    Layers are immutable: a cache removed by a later RUN still ships in the layer that wrote it,
    which is exactly what the cache-cleanup pass must avoid. Each file is reported once, with the
    first layer that has it.
    """
    seen: set[str] = set()
    out = []
    for layer in result.layers:
        for path, info in layer.files.items():
            if info.kind != "dir" and path not in seen and _ignored(path, patterns):
                seen.add(path)
                out.append((layer, path))
    return out


# --- call normalizers, for rewrites that change calls on purpose --------------------------------


def drop_flags(*flags: str) -> CallNormalizer:
    """Compare calls as if these argv items were absent (``drop_flags("--no-cache-dir")``)."""
    unwanted = set(flags)
    return lambda call: replace(call, argv=tuple(a for a in call.argv if a not in unwanted))


def drop_calls(predicate: Callable[[Call], bool]) -> CallNormalizer:
    """Leave out calls the rewrite adds or removes on purpose (``apt-get clean``)."""
    return lambda call: None if predicate(call) else call


def drop_env(*names: str) -> CallNormalizer:
    """Compare calls as if these environment variables were unset (``PIP_NO_CACHE_DIR``)."""
    unwanted = set(names)
    return lambda call: replace(call, env=tuple(kv for kv in call.env if kv[0] not in unwanted))


def chain(*normalizers: CallNormalizer) -> CallNormalizer:
    """Apply normalizers in order; a call dropped by one is dropped."""

    def run(call: Call) -> Call | None:
        for normalize in normalizers:
            call = normalize(call)
            if call is None:
                return None
        return call

    return run


def is_command(*argv_prefix: str) -> Callable[[Call], bool]:
    """Predicate for :func:`drop_calls`: the call's argv starts with ``argv_prefix``."""
    return lambda call: call.argv[: len(argv_prefix)] == tuple(argv_prefix)


