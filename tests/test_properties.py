"""Properties of the whole fix pipeline (every pass) over generated Dockerfiles.

For any input the parser accepts: no exception, the output round-trips and parses (BuildKit's own
parser agrees when installed), and a second fix changes nothing. Two generators: the parser's
(`tests.helpers.dockerfiles`: directives, CRLF, BOM, continuations, heredocs, JSON forms ...) and one
made of the RUN shapes the passes rewrite (apt/pip/apk/npm installs, cd/export, set -e, comments),
so that merges and cleanups actually happen.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockslim.engine import resolve_passes, validate
from dockslim.fixer import fix_text
from dockslim.io import InputError
from dockslim.passes import Options
from dockslim.syntax import ParseError, parse
from tests.helpers import dockerfiles

try:
    import dockerfile as buildkit
except ImportError:  # pragma: no cover - the oracle has no wheel for this platform
    buildkit = None

PASSES = resolve_passes()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_RUN_BODIES = [
    "apt-get update", "apt-get install -y curl", "apt-get update && apt-get install -y --no-install-recommends git",
    "pip install requests", "pip3 install -r requirements.txt", "python -m pip install --upgrade pip",
    "apk add curl", "apk update && apk add git", "npm install -g pm2", "yum install -y make",
    "cd /app", "cd /app && make", "export A=1", "set -e; make", "set -ex && ./configure && make",
    "echo hi > /x", "mkdir -p /a/b && chown 1000 /a", "rm -rf /var/lib/apt/lists/*", "true || false",
    "make & wait", "if [ -f /x ]; then echo y; fi", "for f in a b; do echo $f; done", "echo $HOME",
    "curl -fsSL https://example.org/x.sh | sh", "git clone https://example.org/r.git /src",
    # issue #15: an errexit list ending in a redirect, a replaced /bin/sh, a job in a subshell
    "set -eux && curl -fsSLo /tmp/x https://h/x && echo ok > /tmp/done", "rm /bin/sh && ln -s /bin/bash /bin/sh",
    "(mysqld_safe &); sleep 5", "service mysql start && mysql -e 'select 1'",
]
_OTHER = ["ENV A=1", "WORKDIR /app", "USER nobody", "USER root", "COPY . /app", "ADD app.tar.gz /app",
          "ARG V=1", "MAINTAINER me", "SHELL [\"/bin/bash\", \"-c\"]", "# a comment", "",
          "FROM debian:bookworm AS build", "COPY --from=build /out /out", "RUN --mount=type=cache,target=/root/.cache pip install x"]


@st.composite
def run_heavy_dockerfiles(draw) -> str:
    lines = [draw(st.sampled_from(["FROM debian:bookworm", "FROM python:3.12-slim", "FROM alpine:3.20",
                                   "FROM ubuntu:22.04"]))]
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.integers(0, 3)):
            bodies = draw(st.lists(st.sampled_from(_RUN_BODIES), min_size=1, max_size=3))
            joiner = draw(st.sampled_from([" && ", " && \\\n    ", "; ", " \\\n && "]))
            lines.append("RUN " + joiner.join(bodies))
        else:
            lines.append(draw(st.sampled_from(_OTHER)))
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


def _check_fix_properties(text: str) -> None:
    try:
        tree = parse(text)
        validate("Dockerfile", tree)
    except (ParseError, InputError):
        return  # rejected input: the CLI reports it; the parser's own tests cover the rejection
    for options in (Options(), Options(unsafe_fixes=True)):
        result = fix_text(text, PASSES, path="Dockerfile", options=options, tree=tree)
        out = result.text
        assert parse(out).render() == out
        if buildkit is not None and result.changed:
            buildkit.parse_string(out)  # raises GoParseError if BuildKit rejects the rewrite
        again = fix_text(out, PASSES, path="Dockerfile", options=options)
        assert again.text == out, "a second fix changed the output"


@SETTINGS
@given(dockerfiles())
def test_fix_on_parser_generated_files(text):
    _check_fix_properties(text)


@SETTINGS
@given(run_heavy_dockerfiles())
def test_fix_on_files_the_passes_rewrite(text):
    _check_fix_properties(text)


@pytest.mark.parametrize("text", [
    "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\nRUN pip install x\n",
    "FROM alpine\nRUN apk update && apk add git\nRUN cd /app && make\n",
])
def test_known_shapes_are_rewritten(text):
    result = fix_text(text, PASSES, path="Dockerfile", options=Options())
    assert result.changed
    _check_fix_properties(text)
