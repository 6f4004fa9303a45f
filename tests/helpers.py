"""Shared test helpers: where Dockerfiles live, the instruction-level view of a parse, and a
generator of realistic Dockerfiles.

The *view* is what BuildKit's own parser reports per instruction (keyword, sub-command, JSON form,
flags, decoded value, lines, heredocs). ``our_view`` derives it from our lossless tree and
``oracle_view`` from BuildKit itself through the PyPI package ``dockerfile`` (a Go binding, test-only,
no wheels for every platform: callers skip when it is missing). ``compare`` puts the two side by
side, so the conformance tests, the corpus run and the benchmark all judge agreement the same way.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator, NamedTuple

from hypothesis import strategies as st

from dockslim.syntax import Dockerfile, Instruction, ParseError, parse

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "fixtures"
CORPUS_ENV = "DOCKSLIM_CORPUS"

# --- where Dockerfiles live -------------------------------------------------------------------

# Dockerfile, Dockerfile.dev, Dockerfile-alpine, Containerfile.debug
_DOCKERFILE_NAME = re.compile(r"^(Dockerfile|Containerfile)([._-].*)?$")
# app.Dockerfile, lint.dockerfile
_DOCKERFILE_SUFFIX = re.compile(r"^.*\.(dockerfile|containerfile)$", re.IGNORECASE)
# Build-context files that share a Dockerfile's name but are not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = (".dockerignore",)


def is_dockerfile_name(name: str) -> bool:
    """True for names like ``Dockerfile*``, ``*.Dockerfile`` and ``Containerfile*``.

    A corpus flattens repository paths into one name with ``__`` (``src__api__Dockerfile``), so
    only the part after the last ``__`` counts.
    """
    base = name.rsplit("__", 1)[-1]
    if base.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return bool(_DOCKERFILE_NAME.match(base) or _DOCKERFILE_SUFFIX.match(base))


def corpus_files(folder: Path | str) -> list[Path]:
    """Every Dockerfile under ``folder`` (recursively), sorted for stable test ids."""
    root = Path(folder)
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and is_dockerfile_name(path.name) and ".git" not in path.parts
    )


def fixture_files() -> list[Path]:
    return corpus_files(FIXTURES_DIR) if FIXTURES_DIR.is_dir() else []


def corpus_folders() -> list[Path]:
    """The folders named by ``$DOCKSLIM_CORPUS`` (several may be joined with ``os.pathsep``)."""
    value = os.environ.get(CORPUS_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part]


def read_dockerfile(path: Path) -> str | None:
    """The file's text exactly as stored (no newline translation), or None if not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def path_id(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


# --- the instruction-level view ---------------------------------------------------------------


class InstructionView(NamedTuple):
    keyword: str  # upper-cased
    sub_keyword: str | None  # ONBUILD's inner instruction
    is_json: bool
    flags: tuple[str, ...]  # raw, as BuildKit reports them
    value: tuple[str, ...]
    start_line: int
    end_line: int
    heredocs: tuple[tuple[str, int, str], ...]  # (name, file descriptor, content)


class Outcome(NamedTuple):
    """A parse result: the views, or the error message when the parser rejected the input."""

    views: tuple[InstructionView, ...] | None
    error: str | None


def _cut_at_nul(s: str) -> str:
    # Artefact of the binding: strings cross into Go as C strings, so each ends at its first NUL
    # (reachable through JSON escapes such as "\u0000").
    return s.split("\x00", 1)[0]


def our_view(df: Dockerfile) -> tuple[InstructionView, ...]:
    """Our tree, normalised to what the ``dockerfile`` binding can report."""
    out = []
    for ins in df.instructions:
        inner = ins.effective
        if inner.cmd in ("ENV", "LABEL"):
            # Artefact of the binding: BuildKit chains ENV/LABEL as (key, value, separator)
            # triples; the binding drops the separator, so compare key/value pairs.
            value = tuple(x for pair in inner.pairs() for x in pair)
        else:
            value = ins.value
        out.append(
            InstructionView(
                keyword=ins.cmd,
                sub_keyword=ins.sub.cmd if ins.sub is not None else None,
                is_json=ins.is_json,
                # Artefact of the binding: for ONBUILD it reports only ONBUILD's own flags and
                # drops the inner instruction's (``ONBUILD RUN --mount=... x``).
                flags=tuple(_cut_at_nul(f.raw) for f in ins.flags),
                value=tuple(_cut_at_nul(v) for v in value),
                start_line=ins.start_line,
                end_line=ins.end_line,
                # Artefact of the binding: BuildKit keeps ONBUILD's heredocs on the ONBUILD node,
                # the binding reads them from the inner one and so reports none (the lines they
                # cover still show in ``end_line``).
                heredocs=()
                if ins.sub is not None
                else tuple(
                    (_cut_at_nul(h.name), h.file_descriptor, _cut_at_nul(h.content))
                    for h in ins.heredocs
                ),
            )
        )
    return tuple(out)


def ours(text: str) -> Outcome:
    try:
        df = parse(text)
    except ParseError as exc:
        return Outcome(None, str(exc))
    return Outcome(our_view(df), None)


def _as_old_buildkit_json(ins: Instruction, view: InstructionView) -> InstructionView | None:
    """How BuildKit v0.12.5 saw an instruction whose arguments are a JSON string array followed by
    more text (it decoded the array and ignored the rest); None if that is not the case."""
    inner = ins.effective
    if inner.is_json or inner.cmd not in _JSON_CAPABLE:
        return None
    args = inner.args
    if inner.cmd == "HEALTHCHECK":
        parts = args.split(None, 1)
        if len(parts) != 2:  # the parser takes any first word (CMD, or NONE) at this stage
            return None
        args = parts[1]
    try:
        array, _end = json.JSONDecoder().raw_decode(args.lstrip())
    except ValueError:
        return None
    if not isinstance(array, list) or not all(isinstance(x, str) for x in array):
        return None
    prefix = view.value[:1] if inner.cmd == "HEALTHCHECK" else ()
    return view._replace(is_json=True, value=prefix + tuple(_cut_at_nul(x) for x in array))


_JSON_CAPABLE = frozenset({"ADD", "COPY", "VOLUME", "CMD", "ENTRYPOINT", "RUN", "SHELL", "HEALTHCHECK"})


class OracleCannotJudge(Exception):
    """The binding cannot stand in for current BuildKit on this input (see ``oracle_view``)."""


# The binding (``dockerfile`` 3.4) bundles BuildKit v0.12.5; our parser follows current BuildKit.
# The parser changes since then that show at the instruction level (``git log v0.12.5..HEAD --
# frontend/dockerfile/parser`` in moby/buildkit) are recognised here instead of being reported:
#  - 80518e257 (v0.15): JSON is read with json.Unmarshal, not a json.Decoder, so ``CMD ["a"] b``
#    is shell form now; v0.12.5 took the leading array and ignored the rest (see ``compare``).
#  - a248d48d0: ``# check=...`` is a parser directive; v0.12.5 ended the directive block there,
#    ignoring an ``# escape=`` below it (such input raises OracleCannotJudge).
#  - 0b77373ab: whitespace allowed between ``<<`` and a heredoc name (``<<" EOF"``); neither our
#    generator nor the inline cases write one.
_RE_CHECK_THEN_DIRECTIVE = re.compile(
    r"\A\ufeff?(?:[ \t]*#[^\n]*\n)*?[ \t]*#[ \t]*check[ \t]*=[^\n]*\n"
    r"(?:[ \t]*#[^\n]*\n)*[ \t]*#[ \t]*escape[ \t]*=",
    re.IGNORECASE,
)


def oracle_view(text: str) -> Outcome:
    """BuildKit's parse of ``text`` through the ``dockerfile`` binding (must be importable).

    Raises OracleCannotJudge for input the binding cannot represent faithfully.
    """
    import dockerfile

    if "\x00" in text:
        # Artefact of the binding: the whole input is a C string, so BuildKit would see only the
        # text before the first NUL.
        raise OracleCannotJudge("the dockerfile binding cannot see past a NUL in its input")
    if _RE_CHECK_THEN_DIRECTIVE.search(text):
        raise OracleCannotJudge("an escape directive after '# check=' (unknown to BuildKit 0.12)")
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        return Outcome(None, str(exc))
    except UnicodeDecodeError as exc:
        # BuildKit cut a string inside a UTF-8 sequence (its flag scanner reads bytes).
        raise OracleCannotJudge(f"BuildKit returned invalid UTF-8: {exc}") from None
    return Outcome(
        tuple(
            InstructionView(
                keyword=(c.cmd or "").upper(),  # None for an empty command
                sub_keyword=c.sub_cmd.upper() if c.sub_cmd else None,
                is_json=c.json,
                flags=tuple(c.flags),
                value=tuple(c.value),
                start_line=c.start_line,
                end_line=c.end_line,
                heredocs=tuple((h.name, h.file_descriptor, h.content) for h in c.heredocs),
            )
            for c in commands
        ),
        None,
    )


def compare(text: str) -> str | None:
    """None when we agree with BuildKit on ``text``; otherwise a short account of the first
    difference (both parsers rejecting counts as agreement, whatever their messages)."""
    theirs = oracle_view(text)
    mine = ours(text)
    if (theirs.error is None) != (mine.error is None):
        return f"BuildKit error: {theirs.error!r}; our error: {mine.error!r}"
    if theirs.views is None or mine.views is None:
        return None
    instructions = parse(text).instructions
    for i, (a, b) in enumerate(zip(theirs.views, mine.views, strict=False)):
        if a != b and a.is_json and not b.is_json:
            b = _as_old_buildkit_json(instructions[i], b) or b
        if a != b:
            fields = [
                f"  {name}: BuildKit {x!r} / ours {y!r}"
                for name, x, y in zip(InstructionView._fields, a, b, strict=True)
                if x != y
            ]
            return f"instruction #{i + 1} (line {a.start_line}, {a.keyword}):\n" + "\n".join(fields)
    if len(theirs.views) != len(mine.views):
        return f"BuildKit sees {len(theirs.views)} instructions, we see {len(mine.views)}"
    return None


# --- offsets ------------------------------------------------------------------------------------


def strip_continuations(span_text: str, escape: str) -> str:
    """The logical text of a file span that starts on an instruction's line: continuation markers
    (escape, trailing blanks, line ending) removed, comment and blank lines inside dropped."""
    lines = [line + "\n" for line in span_text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if lines[-1] == "":
        lines.pop()
    out = []
    for k, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if k == len(lines) - 1 and body == line:  # the span ends inside this line
            out.append(body)
            break
        if k > 0:
            stripped = body.lstrip()
            if stripped.startswith("#") or stripped == "":
                continue
        out.append(re.sub(re.escape(escape) + r"[ \t]*$", "", body, count=1))
    return "".join(out)


# --- a generator of realistic Dockerfiles -----------------------------------------------------

_IMAGES = ["alpine", "debian:bookworm-slim", "python:3.12-slim", "golang:1.22 AS build",
           "node:20@sha256:0123abcd", "$BASE_IMAGE", "scratch", "ubuntu:24.04 as runtime"]
_WORDS = ["echo", "apt-get", "install", "-y", "--no-install-recommends", "&&", "||", "|", ";",
          "rm", "-rf", "/var/lib/apt/lists/*", "pip", "--no-cache-dir", "'single quoted'",
          '"double $HOME"', "$VAR", "${VAR:-default}", "2>&1", ">", "/dev/null", "`date`",
          "$(uname -m)", "C:\\\\path\\\\to", "a\\ b", "\\$HOME", "é", "日本語", "🐳", "#hash",
          "key=value", "--", "-", "make", "-j$(nproc)", "<<<here-string", "x<<y", "'a\\'", "\"\""]
_FLAG_NAMES = {
    "RUN": ["--mount=type=cache,target=/root/.cache", "--mount=type=secret,id=npmrc",
            "--network=none", "--security=insecure", '--mount="type=bind,source=.,target=/src"'],
    "COPY": ["--from=build", "--chown=1000:1000", "--chmod=0755", "--link", '--chown="app:app"',
             "--exclude=*.md", "--parents"],
    "ADD": ["--checksum=sha256:abc", "--keep-git-dir=true", "--chown=0:0", "--link"],
    "FROM": ["--platform=$BUILDPLATFORM", "--platform='linux/amd64'"],
    "HEALTHCHECK": ["--interval=30s", "--timeout=3s", "--start-period=5s", "--retries=3"],
}
_HEREDOC_BODY = ["set -eux", "apt-get update", "echo 'hi there'", "\tindented with tab",
                 "  spaces", "", "echo $HOME ${X}", "ünïcödé 🐳", "trailing backslash \\",
                 "trailing backtick `", "EOFX", "# not a comment here"]


def _case(draw, keyword: str) -> str:
    return draw(st.sampled_from([keyword, keyword.lower(), keyword.capitalize()]))


def _json_tokens(draw) -> list[str]:
    items = draw(st.lists(st.sampled_from(
        ['"/bin/sh"', '"-c"', '"echo hi"', '"a b"', '"\\u00e9"', '"tab\\there"', '"日本"',
         '"quote\\"d"', '"$VAR"']), min_size=1, max_size=4))
    form = draw(st.sampled_from(["valid", "valid", "valid", "single-quotes", "trailing-comma",
                                 "unterminated", "bare-word", "empty"]))
    if form == "single-quotes":
        items = [i.replace('"', "'") for i in items]
    elif form == "bare-word":
        items = [i.strip('"') for i in items]
    elif form == "empty":
        return ["[]"]
    tokens = ["[" + items[0]] + items[1:]
    tokens = [t + "," for t in tokens[:-1]] + [tokens[-1]]
    if form == "trailing-comma":
        tokens[-1] += ",]"
    elif form != "unterminated":
        tokens[-1] += "]"
    return tokens


def _words(draw, min_size: int = 1, max_size: int = 6) -> list[str]:
    return draw(st.lists(st.sampled_from(_WORDS), min_size=min_size, max_size=max_size))


def _instruction(draw, escape: str, allow_onbuild: bool = True) -> tuple[list[str], list[tuple[str, bool, str]]]:
    """(header tokens, heredocs as (delimiter token, chomp, name))."""
    kw = draw(st.sampled_from(
        ["RUN", "RUN", "RUN", "COPY", "ADD", "ENV", "LABEL", "ARG", "EXPOSE", "WORKDIR", "USER",
         "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER",
         "FROM", "ONBUILD", "UNKNOWNCMD"]))
    if kw == "ONBUILD" and not allow_onbuild:
        kw = "RUN"
    tokens = [_case(draw, kw)]
    heredocs: list[tuple[str, bool, str]] = []
    flags = _FLAG_NAMES.get(kw, [])
    if flags:
        tokens += draw(st.lists(st.sampled_from(flags), max_size=2))
    if kw == "ONBUILD":
        inner, heredocs = _instruction(draw, escape, allow_onbuild=False)
        return tokens + inner, heredocs
    if kw in ("RUN", "COPY", "ADD"):
        form = draw(st.sampled_from(["shell", "shell", "json", "heredoc"]))
        if form == "json":
            return tokens + _json_tokens(draw), heredocs
        if form == "heredoc":
            for k in range(draw(st.integers(1, 3))):
                name = draw(st.sampled_from(["EOF", "END", "SCRIPT", "file_" + str(k)]))
                if any(h[2] == name for h in heredocs):
                    name = f"{name}{k}"
                chomp = draw(st.booleans())
                quote = draw(st.sampled_from(["", "", '"', "'"]))
                fd = draw(st.sampled_from(["", "", "3"])) if kw == "RUN" else ""
                tokens.append(f"{fd}<<{'-' if chomp else ''}{quote}{name}{quote}")
                heredocs.append((tokens[-1], chomp, name))
                if kw == "RUN":
                    tokens += _words(draw, 0, 2)
            if kw != "RUN":
                tokens.append("/dest/")
            return tokens, heredocs
        return tokens + _words(draw), heredocs
    if kw in ("ENV", "LABEL"):
        if draw(st.booleans()):
            pairs = draw(st.lists(st.sampled_from(
                ["A=1", 'B="two words"', "C=three\\ words", "D=", "E='sq'", "F=$A", "é=ü",
                 'org.opencontainers.image.title="x"', "G=\"multi\\\n line\""]),
                min_size=1, max_size=3))
            return tokens + [p.replace("\\", escape) for p in pairs], heredocs
        return tokens + ["OLD_STYLE"] + _words(draw, 1, 3), heredocs  # ENV key value words
    if kw == "ARG":
        return tokens + draw(st.lists(st.sampled_from(
            ["VERSION", "VERSION=1.2", 'MSG="hello world"', "EMPTY=", "BASE_IMAGE=alpine"]),
            min_size=1, max_size=2)), heredocs
    if kw in ("CMD", "ENTRYPOINT", "SHELL"):
        return tokens + (_json_tokens(draw) if draw(st.booleans()) else _words(draw)), heredocs
    if kw == "VOLUME":
        return tokens + (_json_tokens(draw) if draw(st.booleans()) else ["/data", "/logs"]), heredocs
    if kw == "HEALTHCHECK":
        if draw(st.booleans()):
            return [tokens[0], draw(st.sampled_from(["NONE", "none"]))], heredocs
        return tokens + [_case(draw, "CMD")] + (
            _json_tokens(draw) if draw(st.booleans()) else ["curl", "-f", "http://localhost/", "||", "exit", "1"]
        ), heredocs
    if kw == "FROM":
        return tokens + draw(st.sampled_from(_IMAGES)).split(), heredocs
    if kw == "EXPOSE":
        return tokens + draw(st.lists(st.sampled_from(["80", "443/tcp", "53/udp", "$PORT"]),
                                      min_size=1, max_size=3)), heredocs
    return tokens + _words(draw, 1, 3), heredocs


@st.composite
def dockerfiles(draw) -> str:
    """Dockerfile text built from realistic pieces: parser directives (escape ``\\`` or backtick),
    BOM, LF/CRLF (or mixed) line endings, instructions with flags, JSON and shell forms,
    continuations with comment and blank lines between, heredocs, trailing whitespace, unicode,
    and sometimes no final newline."""
    newline_style = draw(st.sampled_from(["\n", "\n", "\r\n", "mixed"]))

    def nl() -> str:
        if newline_style == "mixed":
            return draw(st.sampled_from(["\n", "\r\n"]))
        return newline_style

    escape = draw(st.sampled_from(["\\", "\\", "`"]))
    out: list[str] = []
    if draw(st.integers(0, 9)) == 0:
        out.append("\ufeff")
    directives = []
    if escape == "`" or draw(st.booleans()):
        directives.append(f"# escape={escape}")
    if draw(st.booleans()):
        directives.append(draw(st.sampled_from(["# syntax=docker/dockerfile:1", "#syntax=x/y:1.4"])))
    for line in draw(st.permutations(directives)):
        out.append(line + nl())

    def trivia() -> None:
        for _ in range(draw(st.integers(0, 2))):
            out.append(draw(st.sampled_from(["", "# a comment", "  # indented comment", "   ",
                                             "#", "# ünïcode 🐳", "\t"])) + nl())

    def trailing() -> str:
        return draw(st.sampled_from(["", "", "", " ", "\t", "  "]))

    if draw(st.booleans()):
        out.append(_case(draw, "ARG") + " BASE_IMAGE=alpine" + nl())
    body: list[tuple[list[str], list[tuple[str, bool, str]]]] = [
        ([_case(draw, "FROM"), draw(st.sampled_from(_IMAGES))], [])
    ]
    body += [_instruction(draw, escape) for _ in range(draw(st.integers(0, 6)))]
    for tokens, heredocs in body:
        trivia()
        line = draw(st.sampled_from(["", "", "  ", "\t"])) + tokens[0]
        for token in tokens[1:]:
            # Break the line with a continuation here (not before ``#hash``: that would make the
            # continuation line a comment).
            if draw(st.integers(0, 3)) == 0 and not token.startswith("#"):
                # Blanks on one side at least, so that the words stay apart in the logical line.
                before = draw(st.sampled_from([" ", ""]))
                out.append(line + before + escape + trailing() + nl())
                for _ in range(draw(st.integers(0, 2))):  # comment/blank lines inside
                    out.append(draw(st.sampled_from(["# inside", "    # indented", "", "  "])) + nl())
                line = draw(st.sampled_from(["    ", "\t"] + ([""] if before else []))) + token
            else:
                line += draw(st.sampled_from([" ", " ", "  ", "\t"])) + token
        if line.rstrip(" \t").endswith(escape):  # a word like `date` must not continue the line
            line += " end"
        out.append(line + trailing() + nl())
        for _token, chomp, name in heredocs:
            for body_line in draw(st.lists(st.sampled_from(_HEREDOC_BODY), max_size=3)):
                out.append(body_line + nl())
            out.append(("\t" if chomp and draw(st.booleans()) else "") + name + nl())
    trivia()
    text = "".join(out)
    if draw(st.integers(0, 3)) == 0:  # no final newline
        text = text.rstrip("\r\n")
    return text


def iter_instructions(df: Dockerfile) -> Iterator[Instruction]:
    """Every instruction, ONBUILD's inner one included."""
    for ins in df.instructions:
        yield ins
        if ins.sub is not None:
            yield ins.sub


# --- hand-written tricky inputs (each one a corner of BuildKit's line handling) ----------------

TRICKY_CASES: dict[str, str] = {
    # BuildKit reads flags and heredoc names with a backslash escape, whatever the escape directive.
    "backtick-escape-flag-backslash": "# escape=`\nFROM a\nRUN --\\\n",
    "backtick-escape-heredoc-backslash": "# escape=`\nFROM a\nRUN <<\\\n",
    "backtick-escape-flag-value-backslash": "# escape=`\nFROM a\nRUN --mount=type=bind,target=/a\\ b true\n",
    "empty-heredoc-name": 'FROM a\nRUN <<""\n\nRUN b\n',
    # parser directives and the escape token
    "escape-backtick": "# escape=`\nFROM mcr.microsoft.com/windows/servercore\n"
                       "RUN dir C:\\ `\n    && echo done\nCOPY . C:\\app\\\n",
    "escape-backslash-explicit": "# escape=\\\nFROM a\nRUN echo \\\n  hi\n",
    "escape-after-comment-ignored": "# hello\n# escape=`\nFROM a\nRUN echo `\nRUN b\n",
    "escape-upper-spaced": "#   ESCAPE   =   `\nFROM a\nRUN a `\n  b\n",
    "escape-with-syntax": "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN a `\n b\n",
    "escape-duplicate": "# escape=`\n# escape=\\\nFROM a\n",
    "escape-invalid": "# escape=x\nFROM a\n",
    "directive-after-instruction": "FROM a\n# escape=`\nRUN a `\n",
    # line endings, BOM, end of file
    "crlf": "FROM a\r\nRUN echo \\\r\n  hi\r\nCMD [\"x\"]\r\n",
    "crlf-heredoc": "FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\n",
    "mixed-newlines": "FROM a\r\nRUN a \\\n b\r\nRUN c\n",
    "lone-cr": "FROM a\rRUN b\nRUN c\n",
    "bom": "\ufeffFROM a\nRUN x\n",
    "bom-directive": "\ufeff# escape=`\nFROM a\nRUN a `\n b\n",
    "no-final-newline": "FROM a\nRUN echo hi",
    "continuation-at-eof": "FROM a\nRUN echo \\",
    "heredoc-terminator-at-eof": "FROM a\nRUN <<EOF\nhi\nEOF",
    "empty": "",
    "only-comments": "# just\n# comments\n",
    "only-blank": "\n \n\t\n",
    "only-continuation": "\\\n",
    "continuation-line-alone": "FROM a\n\\\nRUN b\n",
    # heredocs
    "heredoc": "FROM a\nRUN <<EOF\nset -e\necho $HOME\nEOF\n",
    "heredoc-chomp": "FROM a\nRUN <<-EOF\n\techo hi\n\tEOF\n",
    "heredoc-chomp-spaces-not-terminator": "FROM a\nRUN <<-EOF\n  EOF\n\tEOF\n",
    "heredoc-double-quoted": "FROM a\nRUN <<\"EOF\"\necho $HOME\nEOF\n",
    "heredoc-single-quoted": "FROM a\nRUN <<'EOF'\necho $HOME\nEOF\n",
    "heredoc-partly-quoted": "FROM a\nRUN <<E\"O\"F\nx\nEOF\n",
    "heredoc-several": "FROM a\nRUN <<FILE1 cat > /file1 && <<-FILE2 cat > /file2\n"
                       "one\nFILE1\n\ttwo\n\tFILE2\n",
    "heredoc-same-name-twice": "FROM a\nRUN <<EOF <<EOF\na\nEOF\nb\nEOF\n",
    "heredoc-fd": "FROM a\nRUN 3<<EOF cat /dev/fd/3\nhi\nEOF\n",
    "heredoc-copy": "FROM a\nCOPY <<EOF /app/config\nkey=value\nEOF\n",
    "heredoc-copy-several": "FROM a\nCOPY --chmod=755 <<a.sh <<b.sh /usr/local/bin/\necho a\na.sh\n"
                            "echo b\nb.sh\n",
    "heredoc-with-continuation": "FROM a\nRUN <<EOF bash \\\n  -x\necho\nEOF\n",
    "heredoc-in-json-form": "FROM a\nRUN [\"cat\", \"<<EOF\"]\nEOF\n",
    "heredoc-not-on-cmd": "FROM a\nCMD <<EOF\nEOF\n",
    "heredoc-onbuild": "FROM a\nONBUILD RUN <<EOF\nhi\nEOF\n",
    "heredoc-unterminated": "FROM a\nRUN <<EOF\nhi\n",
    "heredoc-empty-body": "FROM a\nRUN <<EOF\nEOF\n",
    "not-a-heredoc": "FROM a\nRUN echo a<<b x <<\nRUN c\n",
    # ONBUILD
    "onbuild-run": "FROM a\nONBUILD RUN --mount=type=cache,target=/x make\n",
    "onbuild-outer-flag": "FROM a\nONBUILD --x=1 RUN echo\n",
    "onbuild-add": "FROM a\nONBUILD ADD . /app\n",
    "onbuild-env-lowercase": "FROM a\nonbuild env A=b C=\"d e\"\n",
    "onbuild-json": "FROM a\nONBUILD CMD [\"a\", \"b\"]\n",
    "onbuild-empty": "FROM a\nONBUILD\n",
    # HEALTHCHECK
    "healthcheck-none": "FROM a\nHEALTHCHECK NONE\n",
    "healthcheck-none-lower": "FROM a\nhealthcheck none\n",
    "healthcheck-cmd": "FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/ || exit 1\n",
    "healthcheck-cmd-json": "FROM a\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://x/\"]\n",
    "healthcheck-empty": "FROM a\nHEALTHCHECK\n",
    # JSON forms
    "json": "FROM a\nCMD [\"a\", \"b\"]\n",
    "json-spaces": "FROM a\nCMD   [ \"a\" ,\"b\" ]   \n",
    "json-single-quotes-is-shell": "FROM a\nCMD ['a', 'b']\n",
    "json-trailing-comma-is-shell": "FROM a\nCMD [\"a\",]\n",
    "json-unterminated-is-shell": "FROM a\nCMD [\"a\n",
    "json-trailing-text-is-shell": "FROM a\nCMD [\"a\"] b\n",
    "json-object-is-shell": "FROM a\nCMD {\"a\": 1}\n",
    "json-numbers-rejected": "FROM a\nCMD [1, 2]\n",
    "json-mixed-rejected": "FROM a\nENTRYPOINT [\"a\", null]\n",
    "json-empty": "FROM a\nCMD []\n",
    "json-escapes": "FROM a\nENTRYPOINT [\"\\u00e9\", \"tab\\there\", \"q\\\"\"]\n",
    "json-nul-escape": "FROM a\nCMD [\"a\\u0000b\"]\n",
    "json-continued": "FROM a\nCMD [\"a\", \\\n  \"b\"]\n",
    "json-shell-volume-copy": "FROM a\nSHELL [\"pwsh\", \"-c\"]\nVOLUME [\"/data\"]\n"
                              "COPY [\"a b\", \"/c/\"]\nADD [\"x\"]\n",
    "json-nan-is-shell": "FROM a\nCMD [NaN]\n",
    # ENV / LABEL / ARG
    "env-old-syntax": "FROM a\nENV a b c\nENV PATH /usr/bin:$PATH\n",
    "env-old-single-word": "FROM a\nENV a\n",
    "env-missing-equals": "FROM a\nENV a=b c\n",
    "env-quotes-escapes": "FROM a\nENV a=\"b c\" d=e\\ f g='h i' j=\n",
    "env-multiline-value": "FROM a\nENV A=\"one \\\n  two\"\n",
    "label": "FROM a\nLABEL org.opencontainers.image.title=\"x y\" \"key space\"=v\nLABEL a b\n",
    "arg-before-from": "ARG BASE=alpine\nARG VERSION\nFROM ${BASE}:${VERSION}\nARG VERSION\n",
    "arg-quoted": "FROM a\nARG MSG=\"hello world\" OTHER='x'\n",
    # continuations
    "comments-and-blanks-in-continuation": "FROM a\nRUN a \\\n# comment\n\n  && b \\\n"
                                           "    # indented\n  \n  && c\n",
    "trailing-space-after-backslash": "FROM a\nRUN a \\  \n  b \\\t\n  c\n",
    "escaped-backslash-not-continuation": "FROM a\nRUN echo \\\\\nRUN b\n",
    "backslash-only-line": "FROM a\nRUN a \\\n\\\n b\n",
    "continued-keyword": "FROM a\nRU\\\nN b\n",
    "continuation-then-comment-at-eof": "FROM a\nRUN a \\\n# tail\n",
    "vertical-tab-before-backslash": "FROM a\nRUN a\x0b\\\n b\n",
    "comment-ending-in-backslash": "FROM a\n# note \\\nRUN b\n",
    # keywords, whitespace, unicode
    "lowercase-keywords": "from a\nrun echo\ncopy . .\nFrOm b AS c\n",
    "indented": "   FROM a\n\tRUN b\n",
    "keyword-only": "FROM a\nRUN\nUSER\nWORKDIR\nEXPOSE\n",
    "unknown-instruction": "FROM a\nFOO bar baz\n",
    "nbsp-separator": "FROM a\nRUN\u00a0echo hi\n",
    "unicode-line-separator": "FROM a\nRUN echo\u2028hi\n",
    "unicode-values": "FROM a\nLABEL desc=\"ünïcode 🐳\"\nRUN echo 日本語\n",
    "tab-separators": "FROM\ta\nRUN\techo\thi\t\n",
    "maintainer-stopsignal": "FROM a\nMAINTAINER Jane Doe <j@example.com>\nSTOPSIGNAL SIGTERM\n",
    # flags
    "flags-quoted": "FROM --platform=\"$BUILDPLATFORM\" a\nCOPY --chown=\"a b\" . .\n"
                    "RUN --mount='type=cache,target=/x' x\n",
    "flags-escaped-space": "FROM a\nCOPY --chown=a\\ b . .\n",
    "flags-only": "FROM a\nCOPY --link\n",
    "flags-double-dash-ends": "FROM a\nRUN -- --not-a-flag\nRUN --\n",
    "flags-empty-name": "FROM a\nRUN --=x echo\n",
    "flags-after-args": "FROM a\nRUN echo --mount=x\n",
    "flags-single-dash": "FROM a\nRUN -x echo\n",
    "flags-continued": "FROM a\nRUN --mount=type=cache,target=/root/.cache \\\n"
                       "    --network=none \\\n    pip install x\n",
    "flags-empty-quoted": "FROM a\nCOPY --chown=\"\" . .\nCOPY --\"\" . .\n",
}
