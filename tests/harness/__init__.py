"""The behaviour harness: proof that a rewrite keeps what the build does.

It plays a Dockerfile the way ``docker build`` does -- a fresh ``/bin/sh -c`` per RUN in a chroot,
WORKDIR as cwd, ENV + ARG as environment -- with package managers, network tools and compilers
replaced by recording stand-ins that model their caches, then compares two builds::

    from tests.harness import CACHE_PATHS, assert_same_behaviour, cache_files_in_any_layer, play

    assert_same_behaviour(
        "FROM debian\\nRUN apt-get update\\nRUN apt-get install -y curl\\n",
        "FROM debian\\nRUN apt-get update && apt-get install -y curl\\n",
    )
    result = play("FROM debian\\nRUN apt-get update && apt-get install -y curl\\n")
    assert cache_files_in_any_layer(result)  # the apt lists ship in that layer

Needs root (chroot, mknod); elsewhere the helpers skip the calling test with the reason.
"""

from .compare import (
    CACHE_PATHS,
    assert_same_behaviour,
    cache_files_in_any_layer,
    chain,
    compare,
    drop_calls,
    drop_env,
    drop_flags,
    file_differences,
    is_command,
    maintainer_as_label,
)
from .player import (
    BuildResult,
    FileInfo,
    HarnessError,
    Layer,
    Leftover,
    Unsupported,
    play,
)
from .points import ShellPoint, pair_points, shell_points
from .rootfs import RootUnavailable, shells_differ, unavailable_reason
from .standins import STANDIN_NAMES, Call

__all__ = [
    "CACHE_PATHS",
    "STANDIN_NAMES",
    "BuildResult",
    "Call",
    "FileInfo",
    "HarnessError",
    "Layer",
    "Leftover",
    "RootUnavailable",
    "ShellPoint",
    "Unsupported",
    "assert_same_behaviour",
    "cache_files_in_any_layer",
    "chain",
    "compare",
    "drop_calls",
    "drop_env",
    "drop_flags",
    "file_differences",
    "is_command",
    "maintainer_as_label",
    "pair_points",
    "play",
    "shell_points",
    "shells_differ",
    "unavailable_reason",
]
