"""The unified diff: difflib's output on short texts, a correct diff in linear time on long ones."""

import difflib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dockslim.output import diff as diffmod
from dockslim.output.diff import line_opcodes, unified_diff

_lines = st.lists(st.sampled_from(["RUN a\n", "RUN b\n", "EOF\n", "FROM x\n", "  && c \\\n", "\n"]), max_size=40)


def _replay(a, b, ops):
    """Rebuild ``b`` from ``a`` with the opcodes, checking that they tile both sides and that
    every `equal` range is equal."""
    out, i, j = [], 0, 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i, j) and i1 <= i2 and j1 <= j2
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        out.extend(a[i1:i2] if tag == "equal" else b[j1:j2])
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))
    return out


@settings(max_examples=300, deadline=None)
@given(_lines, _lines)
def test_short_texts_get_difflibs_diff(a, b):
    ours = unified_diff("Dockerfile", "".join(a), "".join(b))
    theirs = "".join(difflib.unified_diff(a, b, "a/Dockerfile", "b/Dockerfile"))
    if all(x.endswith("\n") for x in a + b):  # the no-newline marker is ours alone
        assert ours == theirs


@settings(max_examples=60, deadline=None)
@given(_lines, _lines, st.integers(0, 2**32 - 1))
def test_long_texts_are_cut_into_pieces_that_still_make_a_correct_diff(a, b, seed):
    rng = random.Random(seed)
    block = [f"RUN step {k}\n" for k in range(30)]
    old, new = [], []
    for k in range(120):  # long: unique lines between repeated ones, some changed
        piece = [line.replace("step", f"s{k}") for line in block[: rng.randint(1, 30)]]
        old += piece + a
        new += (piece if rng.random() < 0.7 else piece[::-1]) + b
    assert len(old) + len(new) > diffmod.DIRECT
    for autojunk in (True, False):
        assert _replay(old, new, line_opcodes(old, new, autojunk=autojunk)) == new
    patch = unified_diff("Dockerfile", "".join(old), "".join(new))
    assert patch.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n@@ ")


def test_a_long_piece_without_anchors_is_one_replacement():
    old = ["x\n", "y\n"] * 1500
    new = ["y\n", "x\n"] * 1500
    ops = line_opcodes(old, new)
    assert _replay(old, new, ops) == new
    assert [op[0] for op in ops] == ["replace"]
