"""merge-runs and the three holes of issue #15: how `set -e` bodies are joined, RUNs after one that
may change the shell, RUNs after one that may leave a process running. Before/after strings and
refusals; tests/passes/test_merge_runs_oracle.py plays the same shapes in real shells."""

import pytest

from dockslim.passes.merge_runs import MergeRuns
from dockslim.passes.runeffects import interpreter_change, process_left_running
from dockslim.syntax.shell import parse_shell
from dockslim.testing import assert_fix, assert_no_fix, run_fix


def _notes(text: str) -> list[str]:
    return [f.message for f in run_fix(MergeRuns, text).findings if f.note]


# --- class 1: a failure must still stop the build ---------------------------------------------

def test_the_issues_errexit_list_ending_in_a_redirect_is_joined_with_and():
    assert_fix(MergeRuns,
               "FROM a\nRUN set -eux && curl -fsSLo /tmp/x https://h/x && echo ok > /tmp/done\n"
               "RUN useradd app\n",
               "FROM a\nRUN set -eux && curl -fsSLo /tmp/x https://h/x && echo ok > /tmp/done \\\n"
               "    && useradd app\n")


@pytest.mark.parametrize("body", [
    "set -e; for f in a b; do curl -o $f h/$f && touch $f.ok; done",  # loop ending in a list
    "set -e; if [ -f x ]; then a && b; fi",  # a branch ending in a list
    "set -e; { a && b; }",  # a group ending in a list
    "set -e; ! ( a; b )",  # a negated subshell: -e is ignored there
    "if [ -f x ]; then set -e; fi; for p in a; do pip install $p; done",  # -e may be off
    "false && set -e; for p in a; do pip install $p; done",  # -e may be off
])
def test_a_body_whose_failure_may_not_stop_the_shell_takes_no_follower(body):
    text = f"FROM a\nRUN {body}\nRUN useradd app\n"
    assert_no_fix(MergeRuns, text)
    assert any("set -e" in n for n in _notes(text))


@pytest.mark.parametrize(("body", "join"), [
    ("set -e; for p in a b; do pip install $p; done", ";"),
    ("set -e; curl -fsSL h/k | { read -r k; git clone h/$k /src; }", ";"),  # a pipeline exits
    ("set -e; ( cd /src && make )", ";"),  # a failing subshell exits the shell
    ("set -e; test -f x || pip install y", "&&"),  # the last element keeps -e
    ("{ set -e; a; }; for p in a; do pip install $p; done", ";"),
])
def test_a_body_whose_every_failure_stops_the_shell_takes_a_plain_follower(body, join):
    result = run_fix(MergeRuns, f"FROM a\nRUN {body}\nRUN useradd app\n")
    sep = " \\\n    && " if join == "&&" else "; \\\n    "
    assert result.text == f"FROM a\nRUN {body}{sep}useradd app\n"


def test_a_pipeline_into_a_group_is_not_followed_by_and_under_errexit():
    # `a | { b; c; } && d` would run c after b failed: the stage loses -e left of `&&`.
    text = "FROM a\nRUN set -e; x | { b; c; }\nRUN make\nRUN make install\n"
    out = run_fix(MergeRuns, text).text
    assert "} && make" not in out.replace(" \\\n    ", " ")


def test_a_follower_with_a_compound_substitution_does_not_inherit_errexit():
    # dash applies -e inside $(...): `$(a; b)` would stop at a failing a.
    assert_no_fix(MergeRuns, "FROM a\nRUN set -e; for p in a; do pip install $p; done\n"
                             "RUN echo $(false; echo x) > /f\n")


def test_a_wrapped_errexit_body_is_still_refused():
    # Not first in its group, `set -e; a; b` would be wrapped, and lose -e left of `&&`.
    result = run_fix(MergeRuns, "FROM a\nRUN x\nRUN set -e; a; b\nRUN c\n")
    assert result.text == "FROM a\nRUN x \\\n    && { set -e; a; b; }\nRUN c\n"


def test_a_negated_group_is_not_read_as_commands():
    script = parse_shell("set -e; ! { a; b; }")
    assert script.opaque


# --- class 2: the interpreter of later RUNs --------------------------------------------------

@pytest.mark.parametrize("body", [
    "rm /bin/sh && ln -s /bin/bash /bin/sh",
    "ln -sf bash /bin/sh",
    "ln -sf /bin/bash /usr/bin/sh",  # merged /usr: the same file
    "cd /bin && ln -sf bash sh",  # relative to a cwd the model does not track
    "mv /bin/sh /bin/sh.orig && cp /bin/bash /bin/sh",
    "echo '#!/bin/bash' > /bin/sh",
    "dpkg-divert --local --rename --add /bin/sh && ln -sf bash /bin/sh",
    "update-alternatives --install /bin/sh sh /bin/bash 100",
    "echo 'dash dash/sh boolean false' | debconf-set-selections && dpkg-reconfigure dash",
    "apt-get install -y --reinstall dash",
    "apk add --no-cache busybox-binsh",
    "apk del bash",
    "apt-get install -y $PACKAGES",  # may name a shell package
    "tar -xzf /tmp/s6-overlay.tar.gz -C /",  # unpacks over /bin
    "rm -rf /usr/bin",
    "chmod -x /bin/dash",
    "busybox --install -s",
    "find / -name 'sh' -delete",
])
def test_a_run_after_one_that_may_change_the_shell_is_not_merged_into_it(body):
    text = f"FROM a\nRUN apt-get update\nRUN {body}\nRUN echo \"$BASH_VERSION\" > /v\n"
    result = run_fix(MergeRuns, text)
    assert result.text.endswith(f"{body}\nRUN echo \"$BASH_VERSION\" > /v\n")
    assert any("may change the shell later RUNs start" in n for n in _notes(text))


@pytest.mark.parametrize("body", [
    "apt-get install -y curl", "rm -rf /var/lib/apt/lists/*", "cp mytool /usr/local/bin/",
    "cp mytool /usr/bin/", "ln -s /usr/bin/python3 /usr/bin/python", "tar -xzf go.tgz -C /usr/local",
    "rm -rf ~/.cache", "apt-get update && apt-get upgrade -y", "echo x > /tmp/f", "sed -i s/a/b/ /etc/x",
    "install -m 755 tool /usr/local/bin/tool", "mkdir -p /app && chown 1000 /app",
])
def test_ordinary_writes_do_not_stop_a_merge(body):
    assert interpreter_change(parse_shell(body)) is None
    result = run_fix(MergeRuns, f"FROM a\nRUN {body}\nRUN touch /next\n")
    assert result.text.count("RUN ") == 1


def test_the_shell_replacing_run_itself_joins_the_runs_before_it():
    assert_fix(MergeRuns,
               "FROM a\nRUN apt-get update\nRUN ln -sf bash /bin/sh\nRUN echo $BASH_VERSION\n",
               "FROM a\nRUN apt-get update \\\n    && ln -sf bash /bin/sh\nRUN echo $BASH_VERSION\n")


def test_the_stages_own_shell_program_counts():
    assert interpreter_change(parse_shell("rm /opt/zsh/bin/zsh"), ["/opt/zsh/bin/zsh", "-c"])
    assert interpreter_change(parse_shell("rm /opt/zsh/bin/zsh")) is None
    assert_no_fix(MergeRuns, 'FROM a\nSHELL ["/opt/zsh/bin/zsh", "-c"]\nRUN rm /opt/zsh/bin/zsh\nRUN b\n')


@pytest.mark.parametrize("before", [
    'SHELL ["/bin/bash", "--login", "-c"]',  # conda's idiom: reads /etc/profile, ~/.bashrc ...
    'SHELL ["/bin/bash", "-lc"]',
    "ENV BASH_ENV=/etc/profile.d/env.sh",
])
def test_a_shell_that_reads_start_up_files_merges_nothing(before):
    text = f"FROM a\n{before}\nRUN conda init bash\nRUN conda install -y numpy\n"
    assert_no_fix(MergeRuns, text)
    assert any("start" in n for n in _notes(text))


def test_a_pipefail_shell_still_merges():
    assert run_fix(MergeRuns, 'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a\nRUN b\n').changed


# --- class 3: a process outliving its RUN ----------------------------------------------------

@pytest.mark.parametrize("body", [
    "(mysqld_safe &); sleep 5; mysqladmin -uroot password x",
    "{ redis-server & }; sleep 1",
    "start() { nohup server >/dev/null 2>&1 & }; start",
    "echo $(server &)",
    "if true; then (server &); fi",
    "x | (server &)",
])
def test_a_background_job_at_any_depth_keeps_the_run_alone(body):
    assert parse_shell(body).has_background_job
    text = f"FROM a\nRUN apt-get update\nRUN {body}\nRUN pip install app\n"
    assert_no_fix(MergeRuns, text)
    assert any("background" in n for n in _notes(text))


@pytest.mark.parametrize("body", [
    "service mysql start && mysql -e 'create database app'",
    "/etc/init.d/postgresql start && psql -c 'select 1'",
    "pg_ctl -D /var/lib/postgresql/data start && psql -c 'select 1'",
    "start-stop-daemon --start --background --exec /usr/sbin/app",
    "nginx && curl -fsS localhost",
    "redis-server --daemonize yes && redis-cli ping",
    "mongod --fork --logpath /var/log/mongod.log",
    "gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys ABCD && gpg --verify x.asc x",
    "setsid -f server",
    "supervisord -c /etc/supervisord.conf",
])
def test_a_run_after_one_that_starts_a_daemon_is_not_merged_into_it(body):
    assert process_left_running(parse_shell(body)) is not None
    text = f"FROM a\nRUN apt-get update\nRUN {body}\nRUN pip install app\n"
    result = run_fix(MergeRuns, text)
    assert result.text.endswith(f"{body}\nRUN pip install app\n")
    assert "apt-get update \\\n    && " in result.text  # the daemon's own RUN still joins the ones before
    assert any("may leave a process running" in n for n in _notes(text))


@pytest.mark.parametrize("body", [
    "service mysql start && mysql -e 'create database app' && service mysql stop",
    "pg_ctl -D /d start && psql -c 'select 1' && pg_ctl -D /d stop",
    "gpg --batch --keyserver k --recv-keys ABCD && gpg --verify x.asc && gpgconf --kill all",
    "nginx -t", "sshd -t", "supervisord -n -v", "redis-server --version",
])
def test_a_daemon_stopped_in_the_same_run_or_a_foreground_call_does_not_stop_a_merge(body):
    assert process_left_running(parse_shell(body)) is None


def test_another_service_stopped_does_not_count():
    assert process_left_running(parse_shell("service mysql start && service nginx stop"))


@pytest.mark.parametrize(("body", "env", "workdir", "may"), [
    ('export GNUPGHOME="$(mktemp -d)" && gpg --verify x.asc && rm -rf "$GNUPGHOME"', {}, None, False),
    ('rm -rf "$GEM_HOME"/cache', {"GEM_HOME": "/usr/local/bundle"}, None, False),
    ('rm -rf "$DIR"', {}, None, True),  # may hold anything
    ('rm -rf "$DIR"', {"DIR": "/bin"}, None, True),
    ("for d in /bin; do rm -rf $d; done", {"d": "/tmp"}, None, True),  # a loop variable
    ("A=/tmp; A=/bin; rm -rf $A", {}, None, True),  # assigned twice
    ('d=/usr/src/openssl-$V && rm -rf "$d"', {}, None, False),
    ("curl -fsSL h/x.tgz | tar -xz", {}, None, True),  # unpacked into an unknown cwd
    ("curl -fsSL h/x.tgz | tar -xz", {}, "/usr/src/app", False),
    ("cd /usr/local && curl -fsSL h/x.tgz | tar -xz", {}, "/app", False),
    ("cd / && curl -fsSL h/x.tgz | tar -xz", {}, "/app", True),
    ("ln -sf bash sh", {}, "/app", False),
    ("cd /bin && ln -sf bash sh", {}, "/app", True),
    ("apt-get install -y mariadb-server=$VERSION", {}, None, False),
    ("apt-get install -y $PACKAGES", {}, None, True),
    ("apt-get install -y dash=$VERSION", {}, None, True),
])
def test_paths_are_read_with_the_values_and_working_directory_the_model_knows(body, env, workdir, may):
    assert (interpreter_change(parse_shell(body), env=env, workdir=workdir) is not None) is may


def test_merge_runs_reads_env_and_workdir_of_the_stage():
    text = ("FROM a\nENV GEM_HOME=/usr/local/bundle\nWORKDIR /src\nRUN curl -fsSL h/x.tgz | tar -xz "
            "&& rm -rf \"$GEM_HOME\"/cache\nRUN make\n")
    assert run_fix(MergeRuns, text).changed
    assert not run_fix(MergeRuns, text.replace("WORKDIR /src\n", "")).changed
