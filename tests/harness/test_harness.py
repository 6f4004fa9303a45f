"""The harness must have teeth: it accepts equal builds and reports every kind of difference."""

from __future__ import annotations

import hashlib
import time

import pytest

from . import (
    CACHE_PATHS,
    Unsupported,
    assert_same_behaviour,
    cache_files_in_any_layer,
    chain,
    compare,
    drop_calls,
    drop_flags,
    is_command,
    play,
    unavailable_reason,
)

pytestmark = pytest.mark.chroot  # plays Dockerfiles in the behaviour harness



@pytest.fixture(autouse=True)
def _needs_chroot():
    # Skip, never pass vacuously, where the harness cannot chroot (not root, no CAP_SYS_CHROOT).
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"behaviour harness unavailable: {reason}")


def argvs(result):
    return [c.argv for c in result.calls]



def assert_differs(original, rewritten, expected, **kw):
    differences = compare(original, rewritten, **kw)
    assert differences, "the harness saw no difference"
    assert any(expected in d for d in differences), differences


# --- it detects differences -------------------------------------------------------------------


def test_merging_a_cd_into_the_next_run_is_reported():
    original = "FROM debian\nRUN mkdir /x\nRUN cd /x\nRUN touch made-here\n"
    rewritten = "FROM debian\nRUN mkdir /x\nRUN cd /x && touch made-here\n"
    assert_differs(original, rewritten, "/x/made-here")


def test_merging_a_cd_changes_the_cwd_of_calls():
    original = "FROM debian\nRUN mkdir /x\nRUN cd /x\nRUN pip install flask\n"
    rewritten = "FROM debian\nRUN mkdir /x\nRUN cd /x && pip install flask\n"
    assert_differs(original, rewritten, "cwd /x")


def test_merging_an_export_is_reported_in_files_and_calls():
    original = "FROM debian\nRUN export A=1\nRUN echo \"A=$A\" > /a\nRUN npm install -g x\n"
    rewritten = "FROM debian\nRUN export A=1 && echo \"A=$A\" > /a && npm install -g x\n"
    differences = compare(original, rewritten)
    assert any("call #1 differs" in d and "'A'" in d for d in differences), differences
    differences = compare(original, rewritten, normalize_call=drop_calls(is_command("npm")))
    assert any("/a (content)" in d for d in differences), differences


def test_dropping_or_true_changes_failure_behaviour():
    assert_differs("FROM debian\nRUN false || true\n", "FROM debian\nRUN false\n",
                   "the rewrite fails")


def test_a_failure_that_only_shows_when_a_call_fails_is_found_by_injection():
    # Same calls and files when everything succeeds; `;` goes on after a failing pip, `&&` stops.
    original = "FROM debian\nRUN pip install a; pip install b\n"
    rewritten = "FROM debian\nRUN pip install a && pip install b\n"
    assert compare(original, rewritten, inject_failures=False) == []
    assert_differs(original, rewritten, "when call #1 fails")


def test_swallowing_a_download_failure_is_found_by_injection():
    original = "FROM debian\nRUN curl -fsSLo /x https://example.com/x\n"
    rewritten = "FROM debian\nRUN curl -fsSLo /x https://example.com/x || true\n"
    assert_differs(original, rewritten, "the original fails")


def test_moving_a_run_before_the_copy_it_needs_breaks_the_build(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask==3.0\n")
    original = "FROM python\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    rewritten = "FROM python\nRUN pip install -r requirements.txt\nCOPY requirements.txt .\n"
    assert_differs(original, rewritten, "the rewrite fails", context_dir=tmp_path)


def test_mode_owner_and_symlink_changes_are_reported():
    base = "FROM debian\nRUN touch /f && ln -s /f /l\n"
    assert_differs(base, "FROM debian\nRUN touch /f && chmod 755 /f && ln -s /f /l\n", "/f (mode)")
    assert_differs(base, "FROM debian\nRUN touch /f && chown 1:1 /f && ln -s /f /l\n", "/f (owner)")
    assert_differs(base, "FROM debian\nRUN touch /f && ln -s f /l\n", "/l (content)")


def test_metadata_changes_are_reported():
    assert_differs("FROM debian\nENV A=1\n", "FROM debian\nENV A=2\n", "image env")
    assert_differs("FROM debian\nUSER app\nCMD [\"x\"]\n", "FROM debian\nCMD [\"x\"]\n", "image user")
    assert_differs("FROM debian\nWORKDIR /a\n", "FROM debian\nWORKDIR /b\n", "image workdir")


def test_adding_no_install_recommends_changes_the_image():
    original = "FROM debian\nRUN apt-get update && apt-get install -y curl\n"
    rewritten = "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    assert_differs(original, rewritten, "curl-recommended", ignore_paths=CACHE_PATHS,
                   normalize_call=drop_flags("--no-install-recommends"))


def test_cache_deleted_by_a_later_run_is_still_in_an_earlier_layer():
    split = play("FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n")
    merged = play("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")
    assert not any(p.startswith("/var/lib/apt/lists/deb") for p in split.files)  # gone at the end...
    leftovers = [path for layer, path in cache_files_in_any_layer(split) if "/lists/" in path]
    assert leftovers and all(layer.line == 2 for layer, path in cache_files_in_any_layer(split)
                             if path in leftovers)  # ...but shipped by line 2's layer
    assert not [p for _, p in cache_files_in_any_layer(merged) if "/lists/" in p]


# --- it accepts equal builds ------------------------------------------------------------------


def test_merging_independent_runs_is_the_same_behaviour():
    assert_same_behaviour(
        "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\nRUN mkdir -p /app\n",
        "FROM debian\nRUN apt-get update \\\n    && apt-get install -y curl \\\n    && mkdir -p /app\n",
    )


def test_layout_and_comments_do_not_matter():
    assert_same_behaviour(
        "FROM debian\n# comment\nRUN pip install a b\nWORKDIR /srv\n",
        "FROM debian\n\nRUN pip install \\\n      a b\n\nWORKDIR /srv\n",
    )


def test_cache_cleanup_is_the_same_behaviour_when_caches_are_ignored():
    original = "FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN pip install flask\n"
    rewritten = (
        "FROM debian\nRUN apt-get update && apt-get install -y curl && apt-get clean"
        " && rm -rf /var/lib/apt/lists/*\nRUN pip install --no-cache-dir flask\n"
    )
    assert_differs(original, rewritten, "only in the original image")
    assert_same_behaviour(
        original, rewritten, ignore_paths=CACHE_PATHS,
        normalize_call=chain(drop_flags("--no-cache-dir"), drop_calls(is_command("apt-get", "clean"))),
    )


def test_multi_stage_copy_from(tmp_path):
    (tmp_path / "main.c").write_text("int main(){}\n")
    text = (
        "FROM gcc AS build\nWORKDIR /src\nCOPY main.c .\nRUN gcc -o /out/app main.c || (mkdir /out && gcc -o /out/app main.c)\n"
        "FROM debian\nCOPY --from=build /out/app /usr/local/bin/app\nRUN test -x /usr/local/bin/app\n"
    )
    result = play(text, context_dir=tmp_path)
    assert not result.failed, result.failure
    assert result.files["/usr/local/bin/app"].mode == 0o755
    assert "/src/main.c" not in result.files  # the build stage is not the image
    assert_same_behaviour(text, text.replace("WORKDIR /src\n", "WORKDIR /src\n\n"), context_dir=tmp_path)


# --- it plays a stage the way Docker does -----------------------------------------------------


def test_workdir_env_arg_and_user():
    result = play(
        "ARG GLOBAL=g\nARG REDECLARED=r\nFROM debian\nARG REDECLARED\nARG LOCAL=l\n"
        "ENV HOME_DIR=/srv B=\"two words\" C=${LOCAL:-x}\nWORKDIR $HOME_DIR\nWORKDIR app\nUSER nobody\n"
        "RUN echo \"$GLOBAL|$REDECLARED|$LOCAL|$B|$C|$(pwd)|$(id -u)|$(umask)\" > out\n",
        build_args={"LOCAL": "from-cli"},
    )
    assert not result.failed, result.failure
    out = result.layers[-1].files["/srv/app/out"]
    assert out.uid == 0  # USER is recorded, not switched
    assert result.config["user"] == "nobody"
    expected = "|r|from-cli|two words|from-cli|/srv/app|0|0022\n"
    assert out.digest == hashlib.sha256(expected.encode()).hexdigest()


def test_exec_form_heredoc_and_shell_instruction():
    result = play(
        'FROM debian\nRUN ["/bin/sh", "-c", "echo exec > /e"]\n'
        "RUN <<EOF\nset -e\necho heredoc > /h\nEOF\n"
        'SHELL ["/bin/bash", "-c"]\nRUN [[ -n "$BASH_VERSION" ]] && touch /bash\n'
    )
    assert not result.failed, result.failure
    assert {"/e", "/h", "/bash"} <= set(result.files)


def test_calls_record_argv_cwd_env_and_umask():
    result = play("FROM debian\nENV PIP_NO_CACHE_DIR=1\nWORKDIR /app\nRUN A=2 pip install --user x\n")
    (call,) = result.calls
    assert call.argv == ("pip", "install", "--user", "x")
    assert call.cwd == "/app" and call.umask == "0022" and call.line == 4
    assert call.env_dict()["A"] == "2" and call.env_dict()["PIP_NO_CACHE_DIR"] == "1"
    assert "PWD" not in call.env_dict()
    assert not [p for p in result.files if p.startswith("/root/.cache")]  # PIP_NO_CACHE_DIR honoured


def test_failure_injection_fails_the_kth_call_only():
    text = "FROM debian\nRUN pip install a\nRUN pip install b || true\nRUN pip install c\n"
    assert argvs(play(text, fail_at_call=2))[-1] == ("pip", "install", "c")
    failed = play(text, fail_at_call=3)
    assert failed.failed and failed.failed_at == 3 and failed.failed_line == 4


def test_failed_at_is_an_instruction_index():
    result = play("FROM debian\nRUN true\nRUN cd /nowhere\nRUN touch /never\n")
    assert result.failed_at == 2 and result.failed_line == 3
    assert "/never" not in result.files


def test_unsupported_features_raise_so_callers_skip():
    with pytest.raises(Unsupported, match="secret"):
        play("FROM debian\nRUN --mount=type=secret,id=x cat /run/secrets/x\n")
    with pytest.raises(Unsupported, match="image"):
        play("FROM debian\nCOPY --from=nginx:latest /etc/nginx /etc/nginx\n")


def test_cache_mount_content_stays_out_of_the_layer():
    result = play("FROM debian\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n")
    assert not cache_files_in_any_layer(result)
    assert "/usr/local/lib/python3.11/site-packages/flask-1.0.dist-info/RECORD" in result.files


def test_copy_chown_chmod_and_dockerignore(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "app" / "secret.env").write_text("x\n")
    (tmp_path / ".dockerignore").write_text("**/*.env\n")
    result = play(
        "FROM debian\nRUN groupadd web && useradd -g web web\n"
        "COPY --chown=web:web --chmod=750 app /srv/\n",
        context_dir=tmp_path,
    )
    assert not result.failed, result.failure
    info = result.files["/srv/run.sh"]
    assert (info.uid, info.gid, info.mode) == (1000, 1000, 0o750)
    assert "/srv/secret.env" not in result.files


# --- the stand-ins model the tools' caches ----------------------------------------------------


def test_apt_needs_lists_and_keeps_downloads_until_cleaned():
    no_update = play("FROM debian\nRUN apt-get install -y curl\n")
    assert no_update.failed and "exit status 100" in no_update.failure
    installed = play("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    assert "/usr/share/doc/curl/copyright" in installed.files
    assert "/var/cache/apt/archives/curl_1.0_amd64.deb" in installed.files
    cleaned = play("FROM debian\nRUN apt-get update && apt-get install -y curl && apt-get clean\n")
    assert "/var/cache/apt/archives/curl_1.0_amd64.deb" not in cleaned.files
    assert play("FROM debian\nRUN apt-get update && apt-get install curl\n").failed  # no -y


def test_apk_no_cache_leaves_no_index():
    assert not cache_files_in_any_layer(play("FROM alpine\nRUN apk add --no-cache curl\n"))
    assert cache_files_in_any_layer(play("FROM alpine\nRUN apk add curl\n"))
    assert cache_files_in_any_layer(play("FROM alpine\nRUN apk update\n"))


def test_pip_cache_and_requirements():
    assert cache_files_in_any_layer(play("FROM python\nRUN pip install flask\n"))
    assert not cache_files_in_any_layer(play("FROM python\nRUN pip install --no-cache-dir flask\n"))
    assert not cache_files_in_any_layer(play("FROM python\nRUN python -m pip install --no-cache-dir flask\n"))
    missing = play("FROM python\nRUN pip install -r requirements.txt\n")
    assert missing.failed and "Could not open requirements file" in missing.failure


def test_npm_cache_and_clean():
    result = play("FROM node\nRUN npm install -g typescript\n")
    assert any("/root/.npm/_cacache/" in p for _, p in cache_files_in_any_layer(result))
    cleaned = play("FROM node\nRUN npm install -g typescript && npm cache clean --force\n")
    assert not [p for p in cleaned.files if "_cacache" in p]
    assert play("FROM node\nRUN npm ci\n").failed  # no package-lock.json


def test_a_play_is_fast():
    text = "FROM debian\nWORKDIR /app\nRUN apt-get update && apt-get install -y curl\nRUN pip install x\n"
    play(text)
    start = time.perf_counter()
    for _ in range(5):
        play(text)
    assert (time.perf_counter() - start) / 5 < 0.5


def test_mktemp_names_are_deterministic_so_equal_builds_compare_equal():
    text = "FROM debian\nRUN d=$(mktemp -d) && touch $d/x && echo $d > /where && mktemp > /file\n"
    first, second = play(text), play(text)
    assert first.files == second.files
    assert compare(text, text) == []


def test_copy_from_a_stage_root_skips_device_files():
    # `COPY --from=0 / /` once read the stage's /dev/zero forever (24 GB of RAM in /dev/shm).
    text = "FROM debian AS a\nRUN touch /made\nFROM debian\nCOPY --from=a / /copied/\nRUN test -f /copied/made\n"
    result = play(text)
    assert not result.failed, result.failure
    assert "/copied/dev/zero" not in result.files


def test_a_runaway_write_fails_the_run_instead_of_filling_the_machine():
    result = play("FROM debian\nRUN head -c 300000000 /dev/zero > /big\n")
    assert result.failed


def test_a_pipeline_of_standins_records_its_calls_upstream_first_every_time():
    # The interpreter reads its program from the pipe to the end before it takes a call number
    # (as the real one does), so the order no longer depends on which process starts first.
    text = ("FROM debian\n"
            "RUN curl -fsSL https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin"
            " && curl -sS https://bootstrap.pypa.io/get-pip.py | python3 - && python3 -c 'print(1)'\n")
    orders = {tuple(c[0] for c in argvs(play(text))) for _ in range(12)}
    assert orders == {("curl", "php", "curl", "python3", "python3")}


def test_maintainer_as_label_accepts_only_the_declared_move():
    from . import maintainer_as_label

    before = "FROM debian\nMAINTAINER Jane <j@x>\nRUN touch /a\n"
    moved = 'FROM debian\nLABEL maintainer="Jane <j@x>"\nRUN touch /a\n'
    assert_differs(before, moved, "image")  # strict comparison still sees the Author field go
    assert compare(before, moved, normalize_config=maintainer_as_label) == []
    changed = 'FROM debian\nLABEL maintainer="John <j@x>"\nRUN touch /a\n'
    assert_differs(before, changed, "image labels", normalize_config=maintainer_as_label)


@pytest.mark.parametrize("text", [
    "ARG V=${opt:imageVariant}\nFROM debian\nRUN true\n",  # a devcontainer template, not a Dockerfile
    "FROM ${BASE:?set BASE}\nRUN true\n",
])
def test_a_build_that_cannot_start_is_unsupported_not_a_crash(text):
    with pytest.raises(Unsupported):
        play(text)
