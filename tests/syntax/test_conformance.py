"""Our instruction-level view agrees with BuildKit's own parser.

The oracle is BuildKit's parser bound for Python (the ``dockerfile`` package, test-only; no wheels
for every platform, so these tests skip where it is missing). ``tests/helpers.py`` documents what
is normalised and why: the binding's artefacts (ENV/LABEL separators dropped, ONBUILD's inner flags
and heredocs dropped, strings cut at NUL) and the parser changes since the BuildKit version the
binding bundles. Agreement means: same keyword, sub-command, JSON form, flags, decoded value, start
and end line and heredocs for every instruction, and both parsers accept or both reject.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import (
    CORPUS_ENV,
    FIXTURES_DIR,
    TRICKY_CASES,
    OracleCannotJudge,
    compare,
    corpus_files,
    corpus_folders,
    dockerfiles,
    fixture_files,
    path_id,
    read_dockerfile,
)

pytest.importorskip(
    "dockerfile", reason="BuildKit's parser binding (PyPI 'dockerfile') has no wheel here"
)

FIXTURES = fixture_files()


@pytest.mark.parametrize("path", FIXTURES, ids=[path_id(p, FIXTURES_DIR) for p in FIXTURES])
def test_fixture_agrees_with_buildkit(path):
    text = read_dockerfile(path)
    assert text is not None, f"{path} is not UTF-8"
    assert compare(text) is None, compare(text)


@pytest.mark.parametrize("name", sorted(TRICKY_CASES))
def test_tricky_case_agrees_with_buildkit(name):
    text = TRICKY_CASES[name]
    assert compare(text) is None, f"{text!r}: {compare(text)}"


def test_check_directive_is_out_of_the_oracles_reach():
    with pytest.raises(OracleCannotJudge):
        compare("# check=skip=all\n# escape=`\nFROM a\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_generated_dockerfile_agrees_with_buildkit(text):
    assert compare(text) is None, f"{text!r}: {compare(text)}"


# Short texts over the characters that steer BuildKit's line handling find corners that realistic
# pieces do not (a keyword split by a continuation, a directive-like comment, a stray quote).
# ASCII only: non-ASCII text in flags is the known difference pinned by the xfail tests below.
_STEERING = st.sampled_from(list("RUNCOPYenv#=\\`<>-'\"[],{} \t\n\r\n") + [
    "FROM a\n", "RUN ", "COPY ", "ENV ", "ONBUILD ", "HEALTHCHECK ", "CMD ", "<<EOF", "EOF\n",
    "# escape=`\n", "\r\n", "--mount=x ", "[\"a\"]",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_STEERING, max_size=30).map("".join))
def test_steering_text_agrees_with_buildkit(text):
    assert compare(text) is None, f"{text!r}: {compare(text)}"


@pytest.mark.corpus
def test_corpus_agrees_with_buildkit():
    folders = corpus_folders()
    if not folders:
        pytest.skip(f"set {CORPUS_ENV} to a folder of real-world Dockerfiles")
    compared, not_judged, mismatches = 0, [], []
    for folder in folders:
        for path in corpus_files(folder):
            text = read_dockerfile(path)
            if text is None:
                not_judged.append(f"{path}: not UTF-8")
                continue
            try:
                difference = compare(text)
            except OracleCannotJudge as exc:
                not_judged.append(f"{path}: {exc}")
                continue
            compared += 1
            if difference is not None:
                mismatches.append(f"{path}: {difference}")
    print(f"compared {compared} files; not judged {len(not_judged)}; mismatches {len(mismatches)}")
    print("\n".join(not_judged))
    assert compared, f"no Dockerfiles under {folders}"
    assert not mismatches, f"{len(mismatches)} of {compared} files differ:\n" + "\n".join(mismatches)


# BuildKit's flag scanner (extractBuilderFlags in frontend/dockerfile/parser/split_command.go, still
# so at HEAD) walks the line byte by byte and stores each byte as a rune: a non-ASCII character in a
# flag comes out as mojibake (``é`` -> ``Ã©``), and a UTF-8 byte 0x85 or 0xA0 counts as a blank.
# Our parser reads characters. Kept visible here until the parser decides to mirror it.
@pytest.mark.xfail(strict=True, reason="parser reads flags by character, BuildKit by byte")
@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nCOPY --chown=é . .\n",  # BuildKit: --chown=Ã©
        "FROM a\nRUN --mount=type=bind,target=/données x\n",  # BuildKit: target=/donnÃ©es
        "FROM a\nRUN --mount=a\xa0b x\n",  # BuildKit: flag --mount=aÂ, value ('b x',)
        "FROM a\nRUN \xa0--mount=x y\n",  # BuildKit: no flag, value ('--mount=x y',)
    ],
    ids=["accent", "accented-path", "nbsp-inside", "nbsp-before"],
)
def test_non_ascii_flag_agrees_with_buildkit(text):
    assert compare(text) is None, compare(text)
