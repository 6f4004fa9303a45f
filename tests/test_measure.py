"""`dockslim measure`'s pure parts, without an engine: engine output parsing, the file-list diff,
the source file to change, BuildKit detection, rendering, and the CLI's exit 2 without an engine."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.measure import (Build, Docker, Entry, FileDiff, ImageFacts, Measurement, MeasureError,
                              diff_files, list_tar, needs_buildkit, parse_history, parse_inspect,
                              pick_source_file, render_text, stage_images, to_json)

INSPECT = json.dumps([{
    "Id": "sha256:b889", "Size": 223437209,
    "RootFS": {"Type": "layers", "Layers": ["sha256:a", "sha256:b", "sha256:c"]},
}])

HISTORY = "\n".join([
    json.dumps({"CreatedBy": '/bin/sh -c #(nop)  CMD ["python" "app.py"]', "Size": "0"}),
    json.dumps({"CreatedBy": "/bin/sh -c pip install --no-cache-dir -r requirements.txt",
                "Size": "29431077"}),
    json.dumps({"CreatedBy": "/bin/sh -c #(nop) COPY file:03b4 in /hello ", "Size": "1.5MB"}),
]) + "\n"


def test_parse_inspect_reads_size_and_layers():
    assert parse_inspect(INSPECT) == (223437209, 3)


def test_parse_inspect_takes_a_bare_object_and_rejects_several():
    assert parse_inspect(json.dumps({"Size": 3, "RootFS": {"Layers": ["x"]}})) == (3, 1)
    with pytest.raises(ValueError):
        parse_inspect(json.dumps([{}, {}]))


def test_parse_history_reads_plain_and_human_sizes():
    steps = parse_history(HISTORY)
    assert [s.size for s in steps] == [0, 29431077, 1500000]
    assert steps[1].created_by.endswith("requirements.txt")


CLASSIC_LOG = """\
Step 1/6 : FROM python:3.11-slim AS build
 ---> d51ecffdcb60
Step 2/6 : RUN pip install --target /out six
 ---> Running in 1b2c3d4e5f60
Removing intermediate container 1b2c3d4e5f60
 ---> 7fb344faf266
Step 3/6 : FROM debian:bookworm
 ---> 1d7b177d35bb
Step 4/6 : COPY --from=build /out /opt
 ---> Using cache
 ---> 47a423e1d012
Step 5/6 : from debian:bookworm AS last
 ---> 1d7b177d35bb
Step 6/6 : CMD ["sh"]
 ---> 19f6d8450c88
Successfully built 19f6d8450c88
"""


def test_stage_images_are_the_last_image_of_each_earlier_stage():
    assert stage_images(CLASSIC_LOG) == ["7fb344faf266", "47a423e1d012"]


def _tar(members: list[tuple[str, str, bytes | str]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = str(data)
                tar.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = str(data)
                tar.addfile(info)
            else:
                assert isinstance(data, bytes)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_list_tar_lists_kinds_and_hashes_content():
    files = list_tar(_tar([("./", "dir", b""), ("app", "dir", b""), ("app/main.py", "file", b"print(1)\n"),
                           ("bin", "link", "usr/bin"), ("app/copy.py", "hardlink", "app/main.py")]))
    assert set(files) == {"app", "app/main.py", "bin", "app/copy.py"}
    assert files["app/main.py"].kind == "file" and files["app/main.py"].size == 9
    assert files["bin"] == Entry("link", files["bin"].mode, 0, "usr/bin")


def _entries(**paths: str) -> dict[str, Entry]:
    return {p.replace("__", "/").replace("_DOT_", "."): Entry("file", 0o644, len(c), c)
            for p, c in paths.items()}


def test_diff_reports_lost_added_and_changed_files():
    a = {"app/main.py": Entry("file", 0o644, 1, "x"), "app/old.py": Entry("file", 0o644, 1, "y"),
         "etc/motd": Entry("file", 0o644, 1, "m")}
    b = {"app/main.py": Entry("file", 0o644, 1, "z"), "app/new.py": Entry("file", 0o644, 1, "n"),
         "etc/motd": Entry("file", 0o644, 1, "m")}
    assert diff_files(a, b) == FileDiff(lost=("app/old.py",), added=("app/new.py",), changed=("app/main.py",))


def test_diff_ignores_cache_folders_engine_files_and_stamps():
    a = {"var/lib/apt/lists/deb_Packages": Entry("file", 0o644, 9, "p"), "root/.cache/pip/x": Entry("file", 0, 1, "c"),
         "var/cache/apt/pkgcache.bin": Entry("file", 0, 1, "b"), ".dockerenv": Entry("file", 0, 0, ""),
         "etc/hosts": Entry("file", 0, 1, "h"), "tmp/build.log": Entry("file", 0, 1, "t"),
         "usr/lib/x/__pycache__/m.cpython-311.pyc": Entry("file", 0o644, 10, "one"),
         "var/log/apt/history.log": Entry("file", 0o644, 10, "one")}
    b = {"usr/lib/x/__pycache__/m.cpython-311.pyc": Entry("file", 0o644, 10, "two"),
         "var/log/apt/history.log": Entry("file", 0o644, 12, "two"), "etc/hosts": Entry("file", 0, 1, "other")}
    assert diff_files(a, b) == FileDiff()


def test_diff_still_reports_a_lost_stamped_file():
    a = {"var/log/apt/history.log": Entry("file", 0o644, 10, "one")}
    assert diff_files(a, {}).lost == ("var/log/apt/history.log",)


def test_diff_treats_a_hard_link_like_the_file_it_names():
    a = {"usr/bin/a": Entry("file", 0o755, 3, "d"), "usr/bin/b": Entry("hardlink", 0o755, 0, "usr/bin/a")}
    b = {"usr/bin/a": Entry("file", 0o755, 3, "d"), "usr/bin/b": Entry("file", 0o755, 3, "d")}
    assert diff_files(a, b) == FileDiff()


def test_pick_source_file_skips_manifests_and_prefers_shallow_code(tmp_path: Path):
    for rel in ("requirements.txt", "Dockerfile", ".dockerignore", "package.json", "pkg/deep.py",
                "app.py", "README.md", ".git/config", "node_modules/x/index.js", "logo.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert pick_source_file(tmp_path) == "app.py"
    (tmp_path / "app.py").unlink()
    assert pick_source_file(tmp_path) == "pkg/deep.py"  # code before documentation


def test_pick_source_file_returns_none_without_sources(tmp_path: Path):
    (tmp_path / "go.mod").write_text("module x\n")
    assert pick_source_file(tmp_path) is None


@pytest.mark.parametrize("text, why", [
    ("FROM debian\nRUN apt-get update\n", None),
    ("FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n", "line 2: RUN --mount"),
    ("FROM debian\nRUN <<EOF\necho hi\nEOF\n", "line 2: a heredoc"),
    ("FROM debian\nCOPY --chown=1:1 a /a\nCOPY --from=build /x /x\n", None),
    ("FROM debian\nCOPY --link a /a\n", "line 2: COPY --link"),
])
def test_needs_buildkit(text, why):
    assert needs_buildkit(text) == why


def _measurement(lost=()) -> Measurement:
    return Measurement(
        path="Dockerfile", applied=["reorder-for-cache"], changed_file="app.py",
        original=Build(True, 49.3, 47.8, ImageFacts(223_437_209, 9)),
        rewritten=Build(True, 51.7, 18.3, ImageFacts(223_437_234, 10)),
        files=FileDiff(lost=tuple(lost)))


def test_render_text_is_a_table_with_the_difference():
    text = render_text(_measurement())
    assert "original      223.4       9     49.3       47.8" in text
    assert "rewritten     223.4      10     51.7       18.3" in text
    assert "difference     +0.0      +1     +2.4      -29.5" in text
    assert "files lost in the rewritten image: none" in text


def test_render_text_names_lost_files_and_success_follows_them():
    m = _measurement(lost=["usr/share/doc/x"])
    assert "files lost in the rewritten image: 1: /usr/share/doc/x" in render_text(m)
    assert not m.succeeded and _measurement().succeeded


def test_json_carries_every_number():
    data = json.loads(to_json([_measurement()]))
    m = data["measurements"][0]
    assert m["original"]["facts"]["size"] == 223_437_209 and m["rewritten"]["rebuild_seconds"] == 18.3
    assert m["succeeded"] is True and "/var/lib/apt/lists/" in data["cache_folders"]


def test_no_engine_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\nRUN a\nRUN b\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no docker command at all
    assert main(["measure", "--isolated", str(tmp_path / "Dockerfile")]) == 2
    assert "no Docker engine reachable" in capsys.readouterr().err


def test_unreachable_engine_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\nRUN a\nRUN b\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon at "
                                 "unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n")
    (fake / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    assert main(["measure", "--isolated", str(tmp_path / "Dockerfile")]) == 2
    err = capsys.readouterr().err
    assert "no Docker engine reachable" in err and "Is the docker daemon running?" in err


def test_docker_check_raises_measure_error(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MeasureError):
        Docker().check()


def test_a_failed_builds_log_tail_skips_the_deprecation_notice_and_blank_lines():
    from dockslim.measure import log_tail

    log = ["Sending build context to Docker daemon  3.072kB", "", "Step 1/6 : FROM alpine:3.18",
           "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.",
           "            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0",
           "            environment-variable.", "", "Get \"https://registry-1.docker.io/v2/\": no such host"]
    assert log_tail(log) == ["Step 1/6 : FROM alpine:3.18", "Get \"https://registry-1.docker.io/v2/\": no such host"]
    assert log_tail([f"line {i}" for i in range(20)], n=3) == ["line 17", "line 18", "line 19"]


@pytest.mark.parametrize(("printed", "major"), [
    ("20.10.24+dfsg1\n", 20), ("28.2.2", 28), ("", 0), ("unknown", 0), ("  18.09.1", 18),
])
def test_client_major_reads_docker_version(printed, major):
    from dockslim.measure import _client_major
    assert _client_major(printed) == major


@pytest.mark.parametrize(("buildx_rc", "client", "expected"), [
    (0, "28.2.2", True),            # buildx plugin: BuildKit
    (1, "28.2.2", False),           # a CLI from 23.0 on without buildx falls back to classic
    (1, "20.10.24+dfsg1", True),    # an older CLI drives the engine's own BuildKit
    (1, "", False),
])
def test_buildkit_without_buildx_on_an_old_cli(monkeypatch, buildx_rc, client, expected):
    import subprocess as sp

    from dockslim.measure import Docker
    docker = Docker()

    def run(argv, **_):
        if argv[0] == "buildx":
            return sp.CompletedProcess(argv, buildx_rc, "", "")
        return sp.CompletedProcess(argv, 0, client, "")
    monkeypatch.setattr(docker, "_run", run)
    assert docker.buildkit is expected


def test_each_source_change_differs_so_no_rebuild_reuses_another_ones_layers(tmp_path):
    """BuildKit keeps cache records after `docker rmi`: two variants whose copies of the context
    were changed alike would share the rebuilt layers (seen in bench/effect: 0.2 s "rebuilds")."""
    from dockslim.measure import _append_change
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("print(1)\n")
    second.write_text("print(1)\n")
    _append_change(first)
    _append_change(second)
    assert first.read_text() != second.read_text()
    assert first.read_text().startswith("print(1)\n\n") and not first.read_text().strip("\n").count("\n")
