import pytest

from dockslim.syntax.expand import ExpandError, expand

ENV = {"BASE": "python", "TAG": "3.12-slim", "EMPTY": "", "PATH_": "/usr/local/bin:/usr/bin"}


@pytest.mark.parametrize("word, expected", [
    ("$BASE:$TAG", "python:3.12-slim"),
    ("${BASE}:${TAG}", "python:3.12-slim"),
    ("${MISSING:-debian}:${TAG}", "debian:3.12-slim"),
    ("${EMPTY:-x}", "x"),
    ("${EMPTY-x}", ""),
    ("${MISSING-x}", "x"),
    ("${BASE:+set}", "set"),
    ("${MISSING:+set}", ""),
    ("${EMPTY+set}", "set"),
    ("${TAG%-slim}", "3.12"),
    ("${TAG#*.}", "12-slim"),
    ("${PATH_##*:}", "/usr/bin"),
    ("${PATH_%%:*}", "/usr/local/bin"),
    ("${TAG/slim/alpine}", "3.12-alpine"),
    ("${PATH_//usr/opt}", "/opt/local/bin:/opt/bin"),
    ("'$BASE'", "$BASE"),
    ('"$BASE x"', "python x"),
    ("\\$BASE", "$BASE"),
    ('"\\$BASE"', "$BASE"),
    ("$MISSING", ""),
    ("a$", "a$"),
    ("${MISSING:-${BASE}}", "python"),
])
def test_expand(word, expected):
    assert expand(word, ENV) == expected


def test_backtick_escape():
    assert expand("`$BASE", ENV, escape="`") == "$BASE"
    assert expand("C:\\x", ENV, escape="`") == "C:\\x"


@pytest.mark.parametrize("word", ["${MISSING:?need it}", "${MISSING?}", "${", "'open", '"open'])
def test_errors(word):
    with pytest.raises(ExpandError):
        expand(word, ENV)
