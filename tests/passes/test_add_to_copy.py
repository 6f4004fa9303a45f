import gzip
import io
import tarfile

import pytest

from dockslim.passes.add_to_copy import AddToCopy
from dockslim.passes import Safety
from dockslim.passes.buildcontext import MemoryContext
from dockslim.testing import assert_fix, assert_no_fix, run_fix


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"hi"
        info = tarfile.TarInfo("hi.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FILES = {
    "app/main.py": b"print(1)\n",
    "conf.ini": b"[x]\n",
    # Archives whose names do not say so: ADD would unpack them.
    "bundle.bin": _tar(),
    "data.blob": gzip.compress(b"x"),
}


@pytest.fixture(params=["memory", "disk"])
def ctx(request, tmp_path):
    """The same build context in memory and on disk: the pass sees both through one view."""
    if request.param == "memory":
        return MemoryContext(FILES)
    for rel, data in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


def test_folder_and_plain_files_become_copy(ctx):
    assert_fix(AddToCopy, "FROM a\nADD . /code/\n", "FROM a\nCOPY . /code/\n", context=ctx)
    assert_fix(AddToCopy, "FROM a\nADD app conf.ini /srv/\n", "FROM a\nCOPY app conf.ini /srv/\n", context=ctx)


def test_keeps_case_flags_and_json_form(ctx):
    assert_fix(AddToCopy, "FROM a\nadd --chown=1:1 app /srv\n", "FROM a\ncopy --chown=1:1 app /srv\n", context=ctx)
    assert_fix(AddToCopy, 'FROM a\nADD ["conf.ini", "/etc/"]\n', 'FROM a\nCOPY ["conf.ini", "/etc/"]\n', context=ctx)


def test_globs_are_checked_file_by_file(ctx):
    assert_fix(AddToCopy, "FROM a\nADD *.ini /etc/\n", "FROM a\nCOPY *.ini /etc/\n", context=ctx)
    assert_no_fix(AddToCopy, "FROM a\nADD *.b* /etc/\n", context=ctx)  # bundle.bin, data.blob


@pytest.mark.parametrize("line", [
    "ADD https://example.com/a.tgz /opt/",
    "ADD git@github.com:moby/buildkit.git /src",
    "ADD https://github.com/moby/buildkit.git#v0.10.1 /src",
    "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://x/y /z",
    "ADD --keep-git-dir=true https://github.com/a/b.git /b",
    "ADD rootfs.tar.gz /",
    "ADD bundle.bin /opt/",   # a tar archive by content
    "ADD data.blob /opt/",    # gzip by content
])
def test_leaves_what_add_does_differently(ctx, line):
    assert_no_fix(AddToCopy, f"FROM a\n{line}\n", context=ctx)
    assert_no_fix(AddToCopy, f"FROM a\n{line}\n", context=ctx, unsafe=True)


def test_unknown_context_gives_only_an_unsafe_fix(tmp_path):
    before = "FROM a\nADD missing.txt /x\n"
    result = assert_no_fix(AddToCopy, before, context=tmp_path)
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "not found in the build context" in finding.message
    assert run_fix(AddToCopy, before, context=tmp_path, unsafe=True).text == "FROM a\nCOPY missing.txt /x\n"


def test_no_context_at_all_is_unsafe():
    result = assert_no_fix(AddToCopy, "FROM a\nADD app /srv\n")
    assert result.findings[0].fix.safety is Safety.UNSAFE


def test_onbuild_and_heredoc(ctx):
    assert_fix(AddToCopy, "FROM a\nONBUILD ADD app /srv\n", "FROM a\nONBUILD COPY app /srv\n", context=ctx)
    assert_fix(AddToCopy, "FROM a\nADD <<EOF /x\nhi\nEOF\n", "FROM a\nCOPY <<EOF /x\nhi\nEOF\n", context=ctx)


def test_path_escaping_the_context_is_not_proven(ctx):
    result = assert_no_fix(AddToCopy, "FROM a\nADD ../../etc/passwd /x\n", context=ctx)
    assert result.findings[0].fix.safety is Safety.UNSAFE


def test_a_glob_matches_dot_files_as_buildkit_does():
    context = MemoryContext({"conf/a.ini": "[a]\n", "conf/.b.ini": gzip.compress(b"x")})
    assert_no_fix(AddToCopy, "FROM a\nADD conf/*.ini /etc/\n", context=context)
    assert_fix(AddToCopy, "FROM a\nADD conf/a* /etc/\n", "FROM a\nCOPY conf/a* /etc/\n", context=context)


def test_a_source_excluded_by_dockerignore_is_not_in_the_context():
    context = MemoryContext({"conf.ini": "[x]\n", ".dockerignore": "conf.ini\n"})
    result = assert_no_fix(AddToCopy, "FROM a\nADD conf.ini /etc/\n", context=context)
    assert "not found in the build context" in result.findings[0].message
