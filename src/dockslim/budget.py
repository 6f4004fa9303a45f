"""A time budget per file: a file that takes longer is reported and skipped, the others go on.

dockslim runs on files it did not write (the pull-request bot reads whatever a PR contains), so no
file may hold up a whole run. :func:`limit` bounds a block of pure work -- reading, parsing,
passes, fixer; never a write -- with a one-shot ``SIGALRM`` timer (wall time) that raises
:class:`OverBudget` inside it. This is safe because the work it interrupts only builds new
values (frozen trees, findings; caches are filled once a value is complete), and the caller
throws the file's partial work away. The timer is only used where a signal can be delivered to
the running code: POSIX, the main thread of the process (worker processes of a batch run their
files on their main thread too), and no other ``SIGALRM`` handler installed; elsewhere the block
runs without a limit.

What it cannot stop: one native call that never returns (the handler runs when control comes back
to Python). dockslim's native calls -- tree-sitter's parse of one RUN body, regular expressions
(none nests repetitions ambiguously) -- take time linear in their input (bench/large.py), so none
is known; a supervisor that kills a stuck worker process would be the next step.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class OverBudget(Exception):
    """The block ran longer than its budget."""


def _expire(_signum: int, _frame: FrameType | None) -> None:
    raise OverBudget()


def available() -> bool:
    """Whether :func:`limit` can interrupt work here."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None, _expire)


@contextmanager
def limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`OverBudget` in the block once ``seconds`` of wall time have passed (no limit
    for None or 0, or where :func:`available` says a timer signal cannot be used)."""
    if not seconds or seconds <= 0 or not available():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:  # the timer may go off here, as the block ends: the handler is put back all the same
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)
