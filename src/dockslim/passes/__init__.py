"""The passes, in the order they run. An explicit registry: adding a pass means adding it here."""

from __future__ import annotations

from .add_to_copy import AddToCopy
from .alpine_base import AlpineBase
from .build_deps import BuildDeps
from .base import Context, Edit, Finding, Fix, Options, Pass, Safety
from .cache_cleanup import CacheCleanup
from .exec_form import ExecForm
from .maintainer_to_label import MaintainerToLabel
from .merge_runs import MergeRuns
from .pinned_base import PinnedBase
from .reorder_for_cache import ReorderForCache

REGISTRY: tuple[type[Pass], ...] = (
    MaintainerToLabel,
    ReorderForCache,  # before add-to-copy and merge-runs: a merged install + build RUN cannot move
    AddToCopy,
    MergeRuns,
    CacheCleanup,
    BuildDeps,  # after cache-cleanup and merge-runs: it joins the install and build RUNs as merge-runs does
    ExecForm,
    PinnedBase,  # before alpine-base: `FROM python` is pinned first, then mapped to `python:3.14-alpine`
    AlpineBase,  # last: unsafe by nature, switches the base image
)


def by_id() -> dict[str, type[Pass]]:
    return {p.id: p for p in REGISTRY}


__all__ = ["REGISTRY", "by_id", "Context", "Edit", "Finding", "Fix", "Options", "Pass", "Safety"]
