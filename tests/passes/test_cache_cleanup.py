import pytest

from dockslim.passes.cache_cleanup import CacheCleanup
from dockslim.testing import assert_fix, assert_no_fix, run_fix

APT_CLEAN = " \\\n    && rm -rf /var/lib/apt/lists/*"


def test_apt_lists_removed_in_the_run_that_downloads_them():
    assert_fix(CacheCleanup, "FROM debian\nRUN apt-get update && apt-get install -y curl\n",
               "FROM debian\nRUN apt-get update && apt-get install -y curl" + APT_CLEAN + "\n")


def test_finding_names_manager_cache_and_weight():
    result = run_fix(CacheCleanup, "FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    (finding,) = [f for f in result.findings if f.fix and f.fix.safety.value == "safe"]
    assert "apt-get" in finding.message and "/var/lib/apt/lists" in finding.message
    assert finding.saving and "MB" in finding.saving


@pytest.mark.parametrize("body, after", [
    ("apt-get update && apt-get install -y a;", "apt-get update && apt-get install -y a" + APT_CLEAN + ";"),
    ("apt-get update; apt-get install -y a", "apt-get update; apt-get install -y a" + APT_CLEAN),
    ("apt-get update && apt-get install -y a || true", "apt-get update && apt-get install -y a || true" + APT_CLEAN),
])
def test_append_keeps_the_shape(body, after):
    assert_fix(CacheCleanup, f"FROM debian\nRUN {body}\n", f"FROM debian\nRUN {after}\n")


def test_backtick_escape_and_crlf_are_kept():
    before = "# escape=`\r\nFROM debian\r\nRUN apt-get update && apt-get install -y a\r\n"
    after = "# escape=`\r\nFROM debian\r\nRUN apt-get update && apt-get install -y a `\r\n    && rm -rf /var/lib/apt/lists/*\r\n"
    assert_fix(CacheCleanup, before, after)


def test_later_install_gets_its_own_update():
    before = ("FROM debian\nRUN apt-get update && apt-get install -y a\nENV X=1\n"
              "RUN apt-get install -y b\n")
    after = ("FROM debian\nRUN apt-get update && apt-get install -y a" + APT_CLEAN + "\nENV X=1\n"
             "RUN apt-get update && apt-get install -y b" + APT_CLEAN + "\n")
    result = assert_fix(CacheCleanup, before, after)
    assert any("own `apt-get update`" in f.message for f in result.findings)


def test_update_only_run_moves_into_the_install():
    assert_fix(CacheCleanup, "FROM debian\nRUN apt-get update\nUSER root\nRUN apt-get install -y b\n",
               "FROM debian\nUSER root\nRUN apt-get update && apt-get install -y b" + APT_CLEAN + "\n")


def test_moved_update_keeps_its_options():
    assert_fix(CacheCleanup, "FROM debian\nRUN apt update -y -o Acquire::Retries=3\nENV A=1\nRUN apt install -y b\n",
               "FROM debian\nENV A=1\nRUN apt update -y -o Acquire::Retries=3 && apt install -y b" + APT_CLEAN + "\n")


def test_lists_kept_when_a_later_run_cannot_get_an_update():
    text = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN true || apt-get install -y b\n"
    result = assert_no_fix(CacheCleanup, text)
    assert any(f.note and "lists kept" in f.message for f in result.findings)


def test_no_update_after_a_sources_change():
    text = ("FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "RUN echo 'deb http://x y z' > /etc/apt/sources.list.d/x.list\nRUN apt-get install -y b\n")
    assert_no_fix(CacheCleanup, text)


def test_derived_stage_gets_its_own_update():
    before = "FROM debian AS base\nRUN apt-get update && apt-get install -y a\nFROM base\nRUN apt-get install -y b\n"
    after = ("FROM debian AS base\nRUN apt-get update && apt-get install -y a" + APT_CLEAN + "\nFROM base\n"
             "RUN apt-get update && apt-get install -y b" + APT_CLEAN + "\n")
    assert_fix(CacheCleanup, before, after)


@pytest.mark.parametrize("clean", [
    "rm -rf /var/lib/apt/lists/*", "rm -rf /var/lib/apt/lists", "rm -fr /var/lib/apt/lists/", "rm -r -f /var/lib/apt/*",
    "apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/*", "find /var/lib/apt/lists -type f -delete",
    "rm -rf /var/lib/apt/lists/*_*", "apt-get distclean",
])
def test_existing_apt_cleanup_any_spelling(clean):
    assert_no_fix(CacheCleanup, f"FROM debian\nRUN apt-get update && apt-get install -y a && {clean}\n")


def test_cleanup_before_update_does_not_count():
    assert_fix(CacheCleanup, "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y a\n",
               "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y a" + APT_CLEAN + "\n")


@pytest.mark.parametrize("mount", [
    "--mount=type=cache,target=/var/lib/apt/lists", "--mount=type=cache,target=/var/lib/apt,sharing=locked",
    "--mount=type=tmpfs,target=/var/lib/apt/lists",
])
def test_apt_cache_mount_is_clean(mount):
    assert_no_fix(CacheCleanup, f"FROM debian\nRUN {mount} apt-get update && apt-get install -y a\n")


@pytest.mark.parametrize("before, after", [
    ("RUN pip install flask", "RUN pip install --no-cache-dir flask"),
    ("RUN pip3 install -r r.txt", "RUN pip3 install --no-cache-dir -r r.txt"),
    ("RUN python3 -m pip install -U pip", "RUN python3 -m pip install --no-cache-dir -U pip"),
    ("RUN /opt/venv/bin/pip install x", "RUN /opt/venv/bin/pip install --no-cache-dir x"),
    ("RUN pip install \\\n    flask", "RUN pip install --no-cache-dir \\\n    flask"),
    ("RUN uv pip install --system x", "RUN uv pip install --no-cache --system x"),
    ("RUN uv sync --frozen", "RUN uv sync --no-cache --frozen"),
    ("RUN apk add curl", "RUN apk add --no-cache curl"),
    ("RUN pip --trusted-host pypi.org install x", "RUN pip --trusted-host pypi.org install --no-cache-dir x"),
    ("RUN apk update && apk add curl", "RUN apk add --no-cache curl"),
    ("RUN apk --update add curl", "RUN apk --update add --no-cache curl"),
])
def test_flags(before, after):
    assert_fix(CacheCleanup, f"FROM x\n{before}\n", f"FROM x\n{after}\n")


@pytest.mark.parametrize("text", [
    "ENV PIP_NO_CACHE_DIR=1\nRUN pip install x",
    "ENV PIP_NO_CACHE_DIR=false\nRUN pip install x",  # pip turns the cache off for any boolean
    "ENV PIP_NO_CACHE_DIR off\nRUN pip install x",
    "RUN PIP_NO_CACHE_DIR=1 pip install x",
    "RUN export PIP_NO_CACHE_DIR=1 && pip install x",
    "RUN pip install --no-cache-dir x",
    "RUN pip install --no-cache x",
    "RUN pip install --cache-dir=/tmp/pip x",
    "RUN --mount=type=cache,target=/root/.cache/pip pip install x",
    "RUN --mount=type=cache,target=/root/.cache pip install x",
    "RUN --mount=type=tmpfs,target=/root/.cache/pip pip install x",
    "RUN --mount=type=cache,target=/root/.cache/uv uv pip install x",
    "ENV UV_NO_CACHE=1\nRUN uv sync",
    "RUN apk add --no-cache x",
    "RUN apk add x && rm -rf /var/cache/apk/*",
    "RUN pip download x",
    "RUN npm ci && npm cache clean --force",
    "RUN yarn && yarn cache clean",
    "RUN dnf install -y x && dnf clean all",
    "RUN yum install -y x && rm -rf /var/cache/yum",
    "RUN zypper -n in x && zypper cc -a",
    "RUN composer install && composer clear-cache",
    "RUN conda install -y x && conda clean -afy",
    "RUN --mount=type=cache,target=/root/.npm npm ci",
    "RUN [\"pip\", \"install\", \"x\"]",
])
def test_already_clean_is_left_alone(text):
    assert_no_fix(CacheCleanup, f"FROM x\n{text}\n")


def test_pip_mount_never_gets_no_cache_dir():
    text = "FROM x\nRUN --mount=type=cache,target=/root/.cache/pip pip install a && pip install b\n"
    assert_no_fix(CacheCleanup, text)


@pytest.mark.parametrize("body, cleanup", [
    ("npm ci", "npm cache clean --force"),
    ("yarn install --frozen-lockfile", "yarn cache clean"),
    ("dnf install -y git", "dnf clean all"),
    ("yum -y install git", "yum clean all"),
    ("microdnf install -y git", "microdnf clean all"),
    ("zypper -n install curl", "zypper clean -a"),
    ("composer install --no-dev", "composer clear-cache"),
    ("conda install -y numpy", "conda clean -afy"),
])
def test_cleanup_commands(body, cleanup):
    assert_fix(CacheCleanup, f"FROM x\nRUN {body}\n", f"FROM x\nRUN {body} \\\n    && {cleanup}\n")


def test_yarn_berry_is_left_alone(tmp_path):
    (tmp_path / ".yarnrc.yml").write_text("nodeLinker: pnp\n")
    assert_no_fix(CacheCleanup, "FROM node\nRUN yarn install\n", context=tmp_path)


def test_go_only_in_the_last_stage_and_when_nothing_later_builds():
    text = "FROM golang AS b\nRUN go mod download\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n"
    assert_no_fix(CacheCleanup, text)
    assert_fix(CacheCleanup, "FROM golang\nRUN go install x@latest\nCMD [\"x\"]\n",
               "FROM golang\nRUN go install x@latest \\\n    && go clean -cache -modcache\nCMD [\"x\"]\n")
    assert_no_fix(CacheCleanup, "FROM golang\nRUN go mod download\nCMD [\"go\", \"run\", \".\"]\n")


def test_home_caches_only_for_root():
    assert_no_fix(CacheCleanup, "FROM python\nUSER app\nRUN pipenv install\n")


def test_stage_copying_the_cache_out_is_left_alone():
    text = "FROM python AS w\nRUN pip install x\nFROM python\nCOPY --from=w /root/.cache /root/.cache\n"
    result = assert_no_fix(CacheCleanup, text)
    assert any(f.note for f in result.findings)


@pytest.mark.parametrize("before, after", [
    ("RUN apt-get update && apt-get install curl",
     "RUN apt-get update && apt-get install --no-install-recommends -y curl" + APT_CLEAN),
    ("RUN apt update && apt install -y curl",
     "RUN apt-get update && apt-get install --no-install-recommends -y curl" + APT_CLEAN),
    ("RUN gem install rails", "RUN gem install --no-document rails"),
])
def test_unsafe_fixes(before, after):
    if before.startswith("RUN gem"):
        assert_no_fix(CacheCleanup, f"FROM ubuntu\n{before}\n")
    assert_fix(CacheCleanup, f"FROM ubuntu\n{before}\n", f"FROM ubuntu\n{after}\n", unsafe=True)


def test_unparseable_body_is_explained():
    result = assert_no_fix(CacheCleanup, "FROM debian\nRUN apt-get update && eval \"$X\" && apt-get install -y a\n")
    assert any(f.note and "cannot be analysed" in f.message for f in result.findings)


def test_opaque_body_says_which_cache_stays():
    result = assert_no_fix(CacheCleanup, "FROM alpine\nRUN eval \"$X\"; apk add y && pip install z\n")
    notes = sorted(f.message.split(":")[0] for f in result.findings if f.note)
    assert notes == ["apk", "pip"]


def test_mount_style():
    before = "FROM python\nRUN pip install flask\nRUN npm ci\n"
    after = ("# syntax=docker/dockerfile:1\nFROM python\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n"
             "RUN --mount=type=cache,target=/root/.npm npm ci\n")
    assert_fix(CacheCleanup, before, after, cache_style="mount")


def test_mount_style_keeps_an_existing_syntax_directive_and_apt_is_unsafe():
    before = "# syntax=docker/dockerfile:1.7\nFROM debian\nRUN apt-get update && apt-get install -y a\n"
    assert_fix(CacheCleanup, before, before.replace("install -y a", "install -y a" + APT_CLEAN), cache_style="mount")
    after = ("# syntax=docker/dockerfile:1.7\nFROM debian\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked "
             "--mount=type=cache,target=/var/lib/apt,sharing=locked rm -f /etc/apt/apt.conf.d/docker-clean && "
             "apt-get update && apt-get install --no-install-recommends -y a\n")
    assert_fix(CacheCleanup, before, after, cache_style="mount", unsafe=True)


def test_nothing_to_do_is_byte_identical():
    text = "FROM debian\r\nRUN echo hi  \r\n"
    assert run_fix(CacheCleanup, text).text == text


@pytest.mark.parametrize("body", [
    "set -e; for p in a b; do apt-get update && apt-get install -y $p; done",
    "{ set -e; apt-get update; apt-get install -y git; }",
    "if true; then set -e; apt-get update; apt-get install -y vim; fi",
])
def test_no_and_cleanup_after_a_compound_relying_on_set_e(body):
    # `... done && rm -rf ...` would ignore -e inside the loop: a failed install would go on.
    result = assert_no_fix(CacheCleanup, f"FROM debian\nRUN {body}\n")
    assert any("set -e" in f.message for f in result.findings if f.note)


def test_errexit_shell_blocks_the_append_after_a_compound_too():
    text = 'FROM debian\nSHELL ["/bin/sh", "-ec"]\nRUN if true; then apt-get update; apt-get install -y vim; fi\n'
    assert_no_fix(CacheCleanup, text)


def test_install_with_update_flag_downloads_its_own_lists():
    # apt >= 2.9: `install --update` refreshes the lists first; no extra `apt-get update` needed.
    before = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get install --update -y b\n"
    result = run_fix(CacheCleanup, before)
    assert "apt-get update && apt-get install --update" not in result.text
    assert result.text.count("rm -rf /var/lib/apt/lists/*") == 2


@pytest.mark.parametrize("body, cleanups", [
    # microdnf keeps its cache in /var/cache/yum/metadata, dnf in /var/cache/dnf: one cleanup each.
    ("yum install -y a && dnf install -y b && microdnf install -y c",
     ["dnf clean all", "yum clean all", "microdnf clean all"]),
    ("microdnf install -y a && yum clean all", ["microdnf clean all"]),
    ("dnf install -y a && rm -rf /var/cache/yum", ["dnf clean all"]),
    ("tdnf install -y a && dnf clean all", ["tdnf clean all"]),
])
def test_each_rpm_cache_folder_gets_its_own_cleanup(body, cleanups):
    after = f"FROM x\nRUN {body}" + "".join(f" \\\n    && {c}" for c in cleanups) + "\n"
    assert_fix(CacheCleanup, f"FROM x\nRUN {body}\n", after)


def test_a_cleanup_of_the_same_folder_is_enough():
    assert_no_fix(CacheCleanup, "FROM x\nRUN microdnf install -y a && rm -rf /var/cache/yum\n")
    assert_no_fix(CacheCleanup, "FROM x\nRUN yum install -y a && microdnf install -y b && yum clean all"
                  " && microdnf clean all\n")
