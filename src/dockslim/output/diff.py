"""Unified diff of a file's original and fixed text (stdlib difflib), git-style EOF markers.

difflib's matcher takes time quadratic in the number of lines when lines repeat (a 1 MB Dockerfile
repeats `EOF`, `set -eux`, `&& rm -rf /var/lib/apt/lists/*` thousands of times), so a long pair of
texts is first cut into short pieces at lines they share -- the common head and tail, then lines
that occur exactly once on each side, in an order both sides agree on (patience diff's anchors) --
and difflib compares each piece (:func:`line_opcodes`).
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence

NO_EOL = "\\ No newline at end of file\n"
DIRECT = 2000  # lines (both sides together) that difflib compares in one piece
PIECE = 400  # a longer piece between anchors is shown as one replacement, not searched

Opcode = tuple[str, int, int, int, int]


def line_opcodes(a: Sequence[str], b: Sequence[str], *, autojunk: bool = True) -> list[Opcode]:
    """``SequenceMatcher(None, a, b, autojunk).get_opcodes()``, in time linear in the length of
    ``a`` and ``b``: up to ``DIRECT`` lines exactly that; longer texts are cut at shared lines and
    each piece is compared alone (a piece of more than ``PIECE`` lines with no shared unique line
    is one replacement: a correct diff, maybe not the shortest)."""
    if len(a) + len(b) <= DIRECT:
        return list(difflib.SequenceMatcher(None, a, b, autojunk=autojunk).get_opcodes())
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    ops: list[Opcode] = []

    def add(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 == i2 and j1 == j2:
            return
        if ops and ops[-1][0] == tag == "equal":
            ops[-1] = ("equal", ops[-1][1], i2, ops[-1][3], j2)
        else:
            ops.append((tag, i1, i2, j1, j2))

    add("equal", 0, head, 0, head)
    i, j = head, head
    for ai, bj in _anchors(a, b, head, len(a) - tail, len(b) - tail):
        _piece(a, b, i, ai, j, bj, autojunk, add)
        add("equal", ai, ai + 1, bj, bj + 1)
        i, j = ai + 1, bj + 1
    _piece(a, b, i, len(a) - tail, j, len(b) - tail, autojunk, add)
    add("equal", len(a) - tail, len(a), len(b) - tail, len(b))
    return ops


def _anchors(a: Sequence[str], b: Sequence[str], i1: int, i2: int, j2: int) -> list[tuple[int, int]]:
    """Pairs (i, j) of a line that occurs once in ``a[i1:i2]`` and once in ``b[i1:j2]`` (both texts
    share their first ``i1`` lines), the longest
    chain increasing on both sides (patience sorting: O(n log n))."""
    count_a: dict[str, int] = {}
    for k in range(i1, i2):
        count_a[a[k]] = count_a.get(a[k], 0) + 1
    where_b: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for k in range(i1, j2):
        line = b[k]
        if count_a.get(line) == 1:
            count_b[line] = count_b.get(line, 0) + 1
            where_b[line] = k
    pairs = [(k, where_b[a[k]]) for k in range(i1, i2) if count_a[a[k]] == 1 and count_b.get(a[k]) == 1]
    # Longest increasing subsequence of the b positions, in a's order.
    tops: list[int] = []  # smallest b position ending a chain of each length
    ends: list[int] = []  # index into pairs of that chain's last pair
    back: list[int] = [-1] * len(pairs)
    for n, (_, bj) in enumerate(pairs):
        k = bisect_left(tops, bj)
        if k == len(tops):
            tops.append(bj)
            ends.append(n)
        else:
            tops[k], ends[k] = bj, n
        back[n] = ends[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    n = ends[-1] if ends else -1
    while n != -1:
        chain.append(pairs[n])
        n = back[n]
    return chain[::-1]


def _piece(a: Sequence[str], b: Sequence[str], i1: int, i2: int, j1: int, j2: int, autojunk: bool,
           add: Callable[[str, int, int, int, int], None]) -> None:
    if i1 == i2 or j1 == j2 or (i2 - i1) + (j2 - j1) > PIECE:
        tag = "insert" if i1 == i2 else "delete" if j1 == j2 else "replace"
        add(tag, i1, i2, j1, j2)
        return
    matcher = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=autojunk)
    for tag, x1, x2, y1, y2 in matcher.get_opcodes():
        add(tag, i1 + x1, i1 + x2, j1 + y1, j1 + y2)


class _Grouper(difflib.SequenceMatcher):
    """difflib's hunk grouping (``get_grouped_opcodes``) over opcodes computed elsewhere."""

    def __init__(self, opcodes: list[Opcode]) -> None:
        self._opcodes = opcodes

    def get_opcodes(self) -> list[Opcode]:  # type: ignore[override]
        return self._opcodes


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"


def _unified(a: list[str], b: list[str], fromfile: str, tofile: str, n: int) -> Iterator[str]:
    """difflib.unified_diff's lines, from :func:`line_opcodes`."""
    started = False
    for group in _Grouper(line_opcodes(a, b)).get_grouped_opcodes(n):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in a[i1:i2]:
                    yield " " + line
                continue
            if tag in ("replace", "delete"):
                for line in a[i1:i2]:
                    yield "-" + line
            if tag in ("replace", "insert"):
                for line in b[j1:j2]:
                    yield "+" + line


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    if before == after:
        return ""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = []
    shown = path.lstrip("/")
    for line in _unified(a, b, f"a/{shown}", f"b/{shown}", context):
        if line.endswith("\n"):
            lines.append(line)
        else:  # last line of a file without a final newline
            lines.append(line + "\n" + NO_EOL)
    return "".join(lines)


def new_file_diff(path: str, content: str) -> str:
    """A unified diff that creates ``path`` with ``content`` (``--- /dev/null``)."""
    lines = content.splitlines(keepends=True)
    out = ["--- /dev/null\n", f"+++ b/{path.lstrip('/')}\n", f"@@ -0,0 +1,{len(lines)} @@\n"]
    for line in lines:
        out.append("+" + line if line.endswith("\n") else "+" + line + "\n" + NO_EOL)
    return "".join(out)
