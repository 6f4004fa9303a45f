"""build-deps: before/after strings, the cases it must leave alone (with a note), and the fixed point."""

import pytest

from dockslim.passes import Context, Options
from dockslim.passes.build_deps import BuildDeps
from dockslim.syntax import parse
from dockslim.testing import assert_fix, assert_no_fix, run_fix

SAVE = 'savedAptMark="$(apt-mark showmanual)" && savedAptAuto="$(apt-mark showauto)" \\\n    && '
RESTORE = (" \\\n    && apt-mark auto '.*' > /dev/null"
           ' \\\n    && { [ -z "$savedAptMark$savedAptAuto" ] || apt-mark manual $savedAptMark $savedAptAuto > /dev/null; }')
LDD = (" \\\n    && { { find /usr/local /opt /root/.local -type f \\( -perm /111 -o -name '*.so*' \\) -exec ldd '{}' ';'"
       " 2>/dev/null || true; }"
       " \\\n        | awk '/=>/ { so = $(NF-1); if (index(so, \"/usr/local/\") == 1) { next }; gsub(\"^/(usr/)?\", \"\", so);"
       " printf \"*%s\\n\", so }'"
       " \\\n        | sort -u | { xargs -r dpkg-query --search 2>/dev/null || true; }"
       " \\\n        | awk 'sub(\":$\", \"\", $1) { print $1 }' | sort -u | xargs -r apt-mark manual > /dev/null; }")


def programs(*names):
    """The step that keeps the packages of the programs later instructions run."""
    return (f" \\\n    && {{ for c in {' '.join(names)}; do p=\"$(command -v \"$c\")\" && dpkg-query --search"
            " \"*${p#/usr}\" 2>/dev/null || true; done"
            " \\\n        | awk 'sub(\":$\", \"\", $1) { print $1 }' | sort -u | xargs -r apt-mark manual > /dev/null; }")


PURGE_NO_RECOMMENDS = " \\\n    && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false"
PURGE = " \\\n    && apt-get purge -y --auto-remove"
AUTO_BACK = ' \\\n    && { [ -z "$savedAptAuto" ] || apt-mark auto $savedAptAuto > /dev/null; }'
SCANELF = (" \\\n    && runDeps=\"$({ scanelf --needed --nobanner --format '%n#p' --recursive {roots} 2>/dev/null || true; }"
           " \\\n        | tr ',' '\\n' | sort -u"
           " \\\n        | awk 'system(\"[ -e /usr/local/lib/\" $1 \" ]\") == 0 { next } { print \"so:\" $1 }')\""
           ' \\\n    && { [ -z "$runDeps" ] || apk add --no-cache --no-network --virtual .run-deps $runDeps; }')


def fix(before, after):
    return assert_fix(BuildDeps, before, after, unsafe=True)


def notes(text):
    return [f.message for f in BuildDeps().check(Context(parse(text), options=Options(unsafe_fixes=True)))
            if f.note]


def test_apt_pip_sdist_in_one_run():
    install = ("apt-get update && apt-get install -y --no-install-recommends build-essential python3-dev python3-pip"
               " \\\n    && pip install --break-system-packages --no-binary markupsafe markupsafe")
    fix(f"FROM debian:bookworm\nRUN {install}\nCMD [\"python3\"]\n",
        f"FROM debian:bookworm\nRUN {SAVE}{install}{RESTORE}"
        " \\\n    && apt-mark manual python3 python3-pip > /dev/null"
        f"{LDD}{programs('python3')}{PURGE_NO_RECOMMENDS}{AUTO_BACK}\nCMD [\"python3\"]\n")


def test_recommends_kept_when_the_install_took_them():
    install = "apt-get update && apt-get install -y gcc libpq-dev && make -C /src install"
    fix(f"FROM debian:bookworm\nRUN {install}\n",
        f"FROM debian:bookworm\nRUN {SAVE}{install}{RESTORE}{LDD}{PURGE}{AUTO_BACK}\n")


def test_workdir_and_virtualenv_are_scanned_for_built_files():
    before = ("FROM python:3.11-slim\nENV VIRTUAL_ENV=/venv\nWORKDIR /app\n"
              "RUN apt-get update && apt-get install -y --no-install-recommends gcc && pip install psutil\n")
    after = run_fix(BuildDeps, before, unsafe=True).text
    assert "find /usr/local /opt /root/.local /venv /app -type f" in after
    assert run_fix(BuildDeps, after, unsafe=True).text == after


def test_install_and_build_in_adjacent_runs_are_joined_then_purged():
    before = ("FROM debian:bookworm\n"
              "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev\n"
              "\n# build\nRUN make -C /src install\n")
    fix(before,
        f"FROM debian:bookworm\nRUN {SAVE}apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev"
        " \\\n    # build\n    && make -C /src install"
        f"{RESTORE}{LDD}{PURGE_NO_RECOMMENDS}{AUTO_BACK}\n")


def test_apk_all_build_packages_become_a_virtual():
    roots = "/usr/local /opt /root/.local"
    fix("FROM alpine:3.19\nRUN apk add --no-cache build-base libffi-dev \\\n    && pip install cffi\n",
        "FROM alpine:3.19\nRUN apk add --virtual .build-deps --no-cache build-base libffi-dev pax-utils"
        f" \\\n    && pip install cffi{SCANELF.replace('{roots}', roots)}"
        " \\\n    && apk del --no-network .build-deps\n")


def test_apk_build_packages_split_from_runtime_ones():
    roots = "/usr/local /opt /root/.local"
    fix("FROM alpine:3.19\nRUN apk add --no-cache gcc musl-dev curl && pip install psutil\n",
        "FROM alpine:3.19\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev pax-utils"
        " && apk add --no-cache curl && pip install psutil"
        f"{SCANELF.replace('{roots}', roots)} \\\n    && apk del --no-network .build-deps\n")


@pytest.mark.parametrize("text,why", [
    (("FROM debian:bookworm\nRUN apt-get update && apt-get install -y build-essential && make -C /src\n"
     "CMD [\"make\", \"run\"]\n"), "the image runs `make` at start"),
    (("FROM node:20\nRUN apt-get update && apt-get install -y python3 make g++ && npm ci\n"
     "CMD npm install && node-gyp rebuild && node .\n"), "the image runs `npm install` at start"),
    ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc\nCOPY . /src\nRUN make -C /src\n",
     "`COPY` on line 3 stands between"),
    (("FROM debian:bookworm AS base\nRUN apt-get update && apt-get install -y gcc && make\n"
     "FROM base\nRUN gcc -o /x x.c\n"), "is built from this one and runs `gcc`"),
    ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc\n", "nothing in this stage is seen building"),
    ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y $BUILD_PKGS gcc && make\n",
     "the package list is not literal"),
    ("FROM debian:bookworm\nRUN apt-get install -y gcc && make && eval \"$X\"\n", "cannot be analysed"),
    ("FROM fedora:40\nRUN dnf install -y gcc python3-devel && pip install psutil\n", "dnf is not yet"),
    (("FROM debian:bookworm\nRUN --mount=type=cache,target=/root/.cache apt-get update && apt-get install -y gcc"
     " && make\n"), "RUN flags"),
])
def test_left_alone_with_a_note(text, why):
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert any(why in m for m in notes(text)), notes(text)


def test_already_purged_docker_library_style_is_left_alone():
    text = ("FROM debian:bookworm-slim\nRUN set -eux; savedAptMark=\"$(apt-mark showmanual)\"; "
            "apt-get update; apt-get install -y --no-install-recommends gcc make; make install; "
            "apt-mark auto '.*' > /dev/null; apt-mark manual $savedAptMark; "
            "apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false\n")
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert not list(BuildDeps().check(Context(parse(text))))  # nothing to say: it is done right
    alpine = ("FROM alpine:3.19\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make "
              "&& apk del --no-network .build-deps\n")
    assert_no_fix(BuildDeps, alpine, unsafe=True)
    assert not notes(alpine)


def test_removal_in_a_later_run_is_pointed_out():
    text = ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc make && make install\n"
            "RUN apt-get purge -y --auto-remove gcc make\n")
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert any("removed by `apt-get purge` on line 3, another RUN, which saves nothing" in m for m in notes(text))


def test_builder_stages_are_not_touched():
    text = ("FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y gcc && make install\n"
            "FROM debian:bookworm-slim\nCOPY --from=build /usr/local/bin/tool /usr/local/bin/tool\n")
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert not list(BuildDeps().check(Context(parse(text), options=Options(unsafe_fixes=True))))
    target = text.replace("COPY --from=build", "RUN --mount=type=bind,from=build,target=/b cp")
    assert not list(BuildDeps().check(Context(parse(target), options=Options(unsafe_fixes=True))))


def test_go_binary_built_and_shipped_gets_a_multi_stage_note():
    text = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc golang && go build -o /app .\n"
    assert any("multi-stage build" in m for m in notes(text))


def test_venv_built_with_compilers_gets_a_multi_stage_note():
    text = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev "
            "&& python -m venv /venv && /venv/bin/pip install psycopg2\n")
    assert any("virtualenv is built with compilers" in m for m in notes(text))
    plain = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install psycopg2\n"
    assert not any("virtualenv" in m for m in notes(plain))


def test_programs_run_later_keep_their_packages():
    before = ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev"
              " && make install\nRUN perl -e 1 && cd / && xz --version\n"
              "HEALTHCHECK CMD curl -f http://localhost/ || exit 1\nENTRYPOINT [\"/usr/local/bin/app\"]\n")
    body = "apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && make install"
    fix(before, f"FROM debian:bookworm\nRUN {SAVE}{body}{RESTORE}{LDD}{programs('curl', 'perl', 'xz')}"
        f"{PURGE_NO_RECOMMENDS}{AUTO_BACK}\n" + before.split("\n", 2)[2])


def test_non_posix_shell_is_left_alone():
    text = ("FROM debian:bookworm\nSHELL [\"pwsh\", \"-c\"]\n"
            "RUN apt-get update && apt-get install -y gcc && make\n")
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert any("not a POSIX shell" in m for m in notes(text))


def test_binary_compiled_in_a_golang_or_rust_image_gets_a_multi_stage_note():
    go = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n"
    rust = "FROM rust:1.79 AS app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n"
    for text in (go, rust):
        assert_no_fix(BuildDeps, text, unsafe=True)
        assert any("multi-stage build" in m for m in notes(text)), text
    builder = "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM debian:bookworm-slim\nCOPY --from=build /app /app\n"
    assert not notes(builder)


def test_not_applied_without_unsafe_fixes():
    assert_no_fix(BuildDeps, "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc && make\n")


def test_no_build_packages_no_finding():
    text = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl && make\n"
    assert_no_fix(BuildDeps, text, unsafe=True)
    assert not list(BuildDeps().check(Context(parse(text))))


def test_the_documented_example_is_what_the_pass_writes():
    import re
    before, after = re.findall(r"```dockerfile\n(.*?)```", BuildDeps.documentation(), re.DOTALL)[:2]
    fix("FROM debian:bookworm\n" + before, "FROM debian:bookworm\n" + after)


def test_messages_name_the_packages_and_the_expected_saving():
    compiler = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y gcc libpq-dev && make\n"
    headers = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y libpq-dev pkg-config && make\n"
    (a,) = [f for f in BuildDeps().check(Context(parse(compiler))) if f.fix]
    (b,) = [f for f in BuildDeps().check(Context(parse(headers))) if f.fix]
    assert "gcc, libpq-dev" in a.message and a.saving == "~150-300 MB"
    assert "libpq-dev, pkg-config" in b.message and b.saving == "~1-50 MB"
