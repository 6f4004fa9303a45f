"""The fixer: overlapping fixes, claims, fixed point, refusal of unparsable results."""

from typing import Iterator

import pytest

from dockslim.fixer import FixError, fix_text
from dockslim.passes import Context, Edit, Finding, Fix, Pass, Safety


class _Replace(Pass):
    """Replaces one literal with another, wherever it occurs."""

    id = "replace"
    summary = "test pass"
    old, new = "a", "b"
    claims_whole_file = False

    def check(self, ctx: Context) -> Iterator[Finding]:
        text = ctx.dockerfile.source
        i = text.find(self.old)
        if i != -1:
            claims = ((0, len(text)),) if self.claims_whole_file else ()
            yield Finding(self.id, "replace", i, i + len(self.old),
                          Fix((Edit(i, i + len(self.old), self.new),), Safety.SAFE, claims=claims))


def _pass(pid, old, new, claims=False):
    return type(pid, (_Replace,), {"id": pid, "old": old, "new": new, "claims_whole_file": claims})()


def test_non_overlapping_fixes_apply_in_one_round():
    result = fix_text("FROM x\nRUN aa\nRUN bb\n", [_pass("one", "RUN aa", "RUN cc"), _pass("two", "RUN bb", "RUN dd")])
    assert result.text == "FROM x\nRUN cc\nRUN dd\n" and result.rounds == 1


def test_a_claim_defers_the_later_pass_to_the_next_round():
    early = _pass("early", "RUN aa", "RUN cc")
    late = _pass("late", "RUN bb", "RUN dd", claims=True)  # reads the whole file
    result = fix_text("FROM x\nRUN aa\nRUN bb\n", [early, late])
    assert result.text == "FROM x\nRUN cc\nRUN dd\n"
    assert [a.round for a in result.applied] == [0, 1]


def test_earlier_pass_wins_an_overlap():
    result = fix_text("FROM x\nRUN aa\n", [_pass("first", "RUN aa", "RUN b1"), _pass("second", "RUN aa", "RUN b2")])
    assert result.text == "FROM x\nRUN b1\n"


def test_a_fix_that_breaks_parsing_is_dropped_and_the_loop_refuses():
    broken = _pass("broken", "FROM x", "RUN <<EOF")  # unterminated heredoc: does not parse
    with pytest.raises(FixError):
        fix_text("FROM x\nRUN a\n", [broken])


def test_fixes_that_never_settle_are_refused():
    flip = _pass("flip", "RUN a", "RUN b")
    flop = _pass("flop", "RUN b", "RUN a")
    with pytest.raises(FixError, match="did not settle"):
        fix_text("FROM x\nRUN a\n", [flip, flop])


class _AppendAfterB(Pass):
    """Appends ` && c` after the first `b)` or `b` at the end of a line, once."""

    id = "append"
    summary = "test pass"

    def check(self, ctx: Context) -> Iterator[Finding]:
        text = ctx.dockerfile.source
        if "&& c" in text:
            return
        i = text.find("b\n")
        if i != -1:
            yield Finding(self.id, "append", i, i + 1, Fix((Edit(i + 1, i + 1, " && c"),), Safety.SAFE))


def test_an_insertion_at_the_edge_of_another_edit_waits_a_round():
    wrap = _pass("wrap", "RUN ab", "RUN (ab)")
    # `append` inserts right where `wrap`'s replaced span ends; applied in one round they would
    # give `RUN (ab) && c`, a combination neither pass saw. Deferred, it sees the wrapped text.
    result = fix_text("FROM x\nRUN ab\n", [wrap, _AppendAfterB()])
    assert [(a.finding.pass_id, a.round) for a in result.applied] == [("wrap", 0)]
    assert result.text == "FROM x\nRUN (ab)\n"  # no `b` ends a line any more: nothing appended


# --- choosing fixes: the span index gives the answer of comparing every pair --------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dockslim.fixer import _select  # noqa: E402
from dockslim.passes import Options  # noqa: E402

_span = st.tuples(st.integers(0, 40), st.integers(0, 6)).map(lambda t: (t[0], t[0] + t[1]))
_fix = st.tuples(st.lists(_span, min_size=1, max_size=4), st.lists(_span, max_size=2))


def _pairwise(findings: list[Finding], order: dict[str, int]) -> list[Finding]:
    chosen: list[Finding] = []
    for f in sorted(findings, key=lambda f: (order.get(f.pass_id, len(order)), f.start)):
        assert f.fix is not None
        if not any(f.fix.overlaps(c.fix) for c in chosen if c.fix is not None):
            chosen.append(f)
    return chosen


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), _fix), max_size=25))
def test_select_matches_the_pairwise_overlap_rule(raw):
    findings = [Finding(pid, f"fix {k}", min(s for s, _ in edits), max(e for _, e in edits),
                        Fix(tuple(Edit(s, e, "x") for s, e in edits), Safety.SAFE, claims=tuple(claims)))
                for k, (pid, (edits, claims)) in enumerate(raw)]
    order = {"a": 0, "b": 1, "c": 2}
    assert _select(findings, Options(), order) == _pairwise(findings, order)


def test_one_broken_fix_among_many_is_found_in_few_parses(monkeypatch):
    """A complexity proxy, not a timing: the culprit is found by halving, so a round with one
    unparsable fix among 64 parses the file about 2 log2(64) times, not 64."""
    import dockslim.fixer as fixer

    class _Many(Pass):
        """Rewrites every `RUN echo k` to `RUN echo k!`, except one to an unterminated heredoc."""

        id = "many"
        summary = "test pass"

        def check(self, ctx):
            for ins in ctx.dockerfile.instructions:
                if ins.cmd == "RUN" and not ins.args.endswith("!"):
                    new = "RUN <<EOF" if ins.args == "echo 40" else f"RUN {ins.args}!"
                    yield Finding(self.id, "x", ins.start, ins.start + len(ins.text.rstrip("\n")),
                                  Fix((Edit(ins.start, ins.start + len(ins.text.rstrip("\n")), new),)))

    calls = []
    real_parse = fixer.parse
    monkeypatch.setattr(fixer, "parse", lambda text: calls.append(1) or real_parse(text))
    text = "FROM x\n" + "".join(f"RUN echo {k}\n" for k in range(64))
    with pytest.raises(FixError):  # the broken one comes back every round: never settles
        fix_text(text, [_Many()])
    first_round = fixer._apply_verified(text, list(_Many().check(Context(real_parse(text)))))
    assert len(first_round[2]) == 63 and "echo 40!" not in first_round[0] and "echo 39!" in first_round[0]
    calls.clear()
    fixer._apply_verified(text, list(_Many().check(Context(real_parse(text)))))
    assert len(calls) <= 2 * 6 + 2
