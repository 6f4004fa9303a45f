"""Every byte has an owner: ``parse(x).render() == x``, and the spans the tree reports point at the
text they describe (items tile the file; argument and flag spans land on their own text)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockslim.syntax import Dockerfile, Instruction, ParseError, parse
from tests.helpers import (
    CORPUS_ENV,
    FIXTURES_DIR,
    TRICKY_CASES,
    corpus_files,
    corpus_folders,
    dockerfiles,
    fixture_files,
    iter_instructions,
    path_id,
    read_dockerfile,
    strip_continuations,
)

FIXTURES = fixture_files()


def assert_spans_consistent(df: Dockerfile, source: str) -> None:
    position = len(df.bom)
    for item in df.items:
        assert item.start == position, f"gap or overlap before {item!r}"
        assert source[item.start : item.end] == item.text
        position = item.end
    assert position == len(source), "items do not reach the end of the file"
    for ins in iter_instructions(df):
        assert_instruction_spans(ins, source, df.escape)


def assert_instruction_spans(ins: Instruction, source: str, escape: str) -> None:
    assert ins.start <= ins.keyword_start <= ins.header_end
    header = strip_continuations(source[ins.keyword_start : ins.header_end], escape)
    assert header.startswith(ins.keyword)
    start, end = ins.args_file_span()
    assert ins.start <= start <= end <= ins.header_end
    assert strip_continuations(source[start:end], escape) == ins.args
    for flag in ins.flags:
        assert ins.start <= flag.start < flag.end <= ins.header_end
        assert flag.name in strip_continuations(source[flag.start : flag.end], escape), flag
    for heredoc in ins.heredocs:
        assert ins.header_end <= heredoc.start <= heredoc.end <= ins.end
        assert source[heredoc.start : heredoc.end].startswith(heredoc.content)


@pytest.mark.parametrize("path", FIXTURES, ids=[path_id(p, FIXTURES_DIR) for p in FIXTURES])
def test_fixture_roundtrips(path):
    text = read_dockerfile(path)
    assert text is not None, f"{path} is not UTF-8"
    df = parse(text)
    assert df.render() == text
    assert_spans_consistent(df, text)


@pytest.mark.parametrize("name", sorted(TRICKY_CASES))
def test_tricky_case_roundtrips_or_is_rejected(name):
    text = TRICKY_CASES[name]
    try:
        df = parse(text)
    except ParseError:
        return
    assert df.render() == text
    assert_spans_consistent(df, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_generated_dockerfile_roundtrips_with_consistent_spans(text):
    df = parse(text)
    assert df.render() == text
    assert_spans_consistent(df, text)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_roundtrips_or_raises_parse_error(text):
    try:
        df = parse(text)
    except ParseError:
        return
    assert df.render() == text
    assert_spans_consistent(df, text)


@pytest.mark.corpus
def test_corpus_roundtrips():
    folders = corpus_folders()
    if not folders:
        pytest.skip(f"set {CORPUS_ENV} to a folder of real-world Dockerfiles")
    checked, failures = 0, []
    for folder in folders:
        for path in corpus_files(folder):
            text = read_dockerfile(path)
            if text is None:
                continue
            checked += 1
            try:
                df = parse(text)
            except ParseError:
                continue  # rejecting what BuildKit rejects is the conformance test's business
            try:
                assert df.render() == text, "render() differs from the source"
                assert_spans_consistent(df, text)
            except AssertionError as exc:
                failures.append(f"{path}: {exc}")
    print(f"round-tripped {checked} files; failures {len(failures)}")
    assert checked, f"no Dockerfiles under {folders}"
    assert not failures, "\n".join(failures)
