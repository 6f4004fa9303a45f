"""Many files at once: per-file work in worker processes, results back in file order.

``check`` and ``fix`` hand each file to :func:`run_ordered`. A handful of files runs in this process
(starting workers costs more than it saves); a big folder goes to a process pool, one worker per CPU,
and the results are yielded in the order of the files, so the output is the same as a serial run.
On a terminal, stderr shows a progress bar while files are processed.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN_FILES = 48  # below this, a pool's start-up (~0.1 s per worker) outweighs the gain


def default_jobs() -> int:
    """Worker processes: ``DOCKSLIM_JOBS`` if set (1 turns the pool off), else the usable CPUs."""
    wanted = os.environ.get("DOCKSLIM_JOBS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run_ordered(work: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
                progress: bool | None = None) -> Iterator[R]:
    """``map(work, items)``, in worker processes when there are many items; results in order.

    ``work`` must be a module-level function and items/results picklable.
    """
    jobs = default_jobs() if jobs is None else jobs
    bar = _Progress(len(items)) if (sys.stderr.isatty() if progress is None else progress) else None
    try:
        if jobs <= 1 or len(items) < PARALLEL_MIN_FILES:
            for item in items:
                result = work(item)
                if bar:
                    bar.hide()  # the caller prints this file's output on a clean line
                yield result
                if bar:
                    bar.step()
            return
        import concurrent.futures

        # Chunks amortise the pickling round trips; several per worker keep the load balanced.
        chunk = max(1, min(32, len(items) // (jobs * 8)))
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(work, items, chunksize=chunk):
                if bar:
                    bar.hide()
                yield result
                if bar:
                    bar.step()
    finally:
        if bar:
            bar.close()


class _Progress:
    """``[#####.....] 120/3398 files`` on stderr, redrawn in place; erased when done."""

    WIDTH = 30

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.shown = -1

    def step(self) -> None:
        self.done += 1
        filled = self.WIDTH * self.done // max(self.total, 1)
        if filled != self.shown or self.done == self.total:
            self.shown = filled
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} files")
            sys.stderr.flush()

    def hide(self) -> None:
        if self.shown >= 0:
            sys.stderr.write("\r" + " " * (self.WIDTH + 30) + "\r")
            sys.stderr.flush()
            self.shown = -1

    close = hide
