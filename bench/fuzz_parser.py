"""Fuzz target: the parser and the whole fix pipeline must never raise anything but a clean error.

    pip install atheris            # wheels for CPython on Linux x86_64
    python bench/fuzz_parser.py -max_total_time=300 [-dict=...] [CORPUS_DIR ...]

Seed it with real Dockerfiles (a folder of them as CORPUS_DIR) for coverage. Input bytes are decoded
the way the CLI decodes files (``io.decode``): NUL bytes and bad UTF-8 are clean errors; the text
then goes through parse -> validate -> fix (every pass), and the result must round-trip, re-parse
and be a fixed point. Anything else is a crash atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from dockslim.engine import resolve_passes, validate
    from dockslim.fixer import fix_text
    from dockslim.io import InputError, decode
    from dockslim.passes import Options
    from dockslim.syntax import ParseError, parse

PASSES = resolve_passes()


def one_input(data: bytes) -> None:
    try:
        text = decode("fuzz", data)
        tree = parse(text)
        validate("fuzz", tree)
    except (InputError, ParseError):
        return
    assert tree.render() == text, "round-trip"
    result = fix_text(text, PASSES, path="Dockerfile", options=Options(unsafe_fixes=True), tree=tree)
    assert parse(result.text).render() == result.text
    assert fix_text(result.text, PASSES, path="Dockerfile", options=Options(unsafe_fixes=True)).text == result.text


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
