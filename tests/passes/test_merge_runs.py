"""merge-runs: before/after for each hazard, refusals, and the fixed point."""

import pytest

from dockslim.passes.merge_runs import MergeRuns
from dockslim.testing import assert_fix, assert_no_fix, run_fix


def test_seed_style_runs_merge():
    assert_fix(MergeRuns,
               "FROM a\nRUN apt-get update\nRUN mkdir /code\nRUN mkdir /code/db\n",
               "FROM a\nRUN apt-get update \\\n    && mkdir /code \\\n    && mkdir /code/db\n")


def test_finding_says_what_and_how_much():
    result = run_fix(MergeRuns, "FROM a\nRUN a\nRUN b\nRUN c\n")
    (f,) = result.findings
    assert "merge 3 RUN instructions (lines 2, 3, 4)" in f.message and f.saving == "2 layers"


def test_cd_is_isolated_in_a_subshell():
    assert_fix(MergeRuns, "FROM a\nRUN cd /src && make\nRUN make install\n",
               "FROM a\nRUN ( cd /src && make ) \\\n    && make install\n")


def test_export_and_assignment_are_isolated():
    assert_fix(MergeRuns, "FROM a\nRUN export A=1\nRUN B=2\nRUN env\n",
               "FROM a\nRUN ( export A=1 ) \\\n    && ( B=2 ) \\\n    && env\n")


def test_exit_is_isolated():
    assert_fix(MergeRuns, "FROM a\nRUN test -f /x || exit 0\nRUN touch /y\n",
               "FROM a\nRUN ( test -f /x || exit 0 ) \\\n    && touch /y\n")


@pytest.mark.parametrize("body", ["set -x", "umask 077", "ulimit -n 10", "trap 'rm x' EXIT",
                                  "f() { echo; }", ". /etc/profile", "source /x", "exec foo",
                                  "pushd /x", "unset A", "read A < /x", "shopt -s globstar"])
def test_every_state_change_is_isolated(body):
    result = run_fix(MergeRuns, f"FROM a\nRUN {body}\nRUN next\n")
    assert f"RUN ( {body} ) \\\n    && next\n" in result.text


def test_later_lists_are_grouped_to_keep_failure_behaviour():
    assert_fix(MergeRuns, "FROM a\nRUN a\nRUN b; c\nRUN d || e\n",
               "FROM a\nRUN a \\\n    && { b; c; } \\\n    && { d || e; }\n")


def test_first_list_needs_no_group_and_trailing_semicolon_is_dropped():
    assert_fix(MergeRuns, "FROM a\nRUN a; b;\nRUN c\n", "FROM a\nRUN a; b \\\n    && c\n")


def test_comments_between_are_kept_blank_lines_dropped():
    assert_fix(MergeRuns, "FROM a\nRUN a\n\n# then b\nRUN b\n",
               "FROM a\nRUN a \\\n    # then b\n    && b\n")


def test_existing_continuations_and_indent_are_kept():
    assert_fix(MergeRuns, "FROM a\nRUN apt-get install -y \\\n  curl\nRUN b\n",
               "FROM a\nRUN apt-get install -y \\\n  curl \\\n  && b\n")


def test_backtick_escape_and_crlf():
    assert_fix(MergeRuns, "# escape=`\r\nFROM a\r\nRUN a\r\nRUN b\r\n",
               "# escape=`\r\nFROM a\r\nRUN a `\r\n    && b\r\n")


def test_trailing_comment_stays_last():
    assert_fix(MergeRuns, "FROM a\nRUN a\nRUN b # why\nRUN c\n",
               "FROM a\nRUN a \\\n    && b # why\nRUN c\n")


@pytest.mark.parametrize("dockerfile, reason", [
    ("FROM a\nRUN a # c\nRUN b\n", "ends with a comment"),
    ("FROM a\nRUN --mount=type=cache,target=/x a\nRUN b\n", "flags differ"),
    ("FROM a\nRUN a\nRUN --network=none b\n", "flags differ"),
    ('FROM a\nRUN ["a"]\nRUN b\n', "exec (JSON) form"),
    ("FROM a\nRUN <<EOF\na\nEOF\nRUN b\n", "heredoc"),
    ("FROM a\nRUN server &\nRUN b\n", "background"),
    ("FROM a\nRUN a\nRUN b &\n", "background"),
    ('FROM a\nSHELL ["powershell", "-Command"]\nRUN a\nRUN b\n', "not a POSIX shell"),
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN a\nRUN b\n", "not a POSIX shell"),
    ("FROM a\nRUN echo 'unterminated\nRUN b\n", "cannot be analysed"),
    ("FROM a\nRUN eval $X\nRUN b\n", "cannot be analysed"),
])
def test_refusals_are_explained(dockerfile, reason):
    result = assert_no_fix(MergeRuns, dockerfile)
    notes = [f.message for f in result.findings if f.note]
    assert any(reason in n for n in notes), notes


@pytest.mark.parametrize("barrier", ["ENV A=1", "ARG A", "WORKDIR /x", "USER app", "COPY . /x",
                                     "ADD . /x", "ONBUILD RUN x", 'SHELL ["/bin/bash", "-c"]',
                                     "LABEL a=b", "FROM b"])
def test_never_across_other_instructions(barrier):
    assert_no_fix(MergeRuns, f"FROM a\nRUN a\n{barrier}\nRUN b\n")


def test_onbuild_runs_are_left_alone():
    assert_no_fix(MergeRuns, "FROM a\nONBUILD RUN a\nONBUILD RUN b\nRUN c\n")


def test_bash_shell_still_merges():
    assert_fix(MergeRuns, 'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\nRUN c\n',
               'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b \\\n    && c\n')


def test_same_mount_flags_merge():
    assert_fix(MergeRuns, "FROM a\nRUN --mount=type=cache,target=/c a\nRUN --mount=type=cache,target=/c b\n",
               "FROM a\nRUN --mount=type=cache,target=/c a \\\n    && b\n")


def test_stages_are_separate():
    assert_fix(MergeRuns, "FROM a AS b\nRUN a\nRUN b\nFROM c\nRUN d\nRUN e\n",
               "FROM a AS b\nRUN a \\\n    && b\nFROM c\nRUN d \\\n    && e\n")


def test_nothing_to_do_is_byte_identical():
    text = "FROM a\nRUN a && \\\n  b   \nCOPY x y\nRUN c\n"
    assert run_fix(MergeRuns, text).text == text


@pytest.mark.parametrize("first", ["set -e; a; b", "set -o errexit; pip install a; true", "set -eux; a"])
def test_errexit_body_is_not_put_on_the_left_of_and(first):
    # `( set -e; a; b ) && c; d` would run b after a fails: POSIX ignores -e there.
    result = assert_no_fix(MergeRuns, f"FROM a\nRUN {first}\nRUN c; d\n")
    assert any("set -e" in f.message for f in result.findings if f.note)


def test_errexit_body_may_come_last():
    assert_fix(MergeRuns, "FROM a\nRUN a\nRUN set -e; b; c\n",
               "FROM a\nRUN a \\\n    && { set -e; b; c; }\n")


def test_errexit_shell_keeps_and_chains_but_not_groups():
    shell = 'SHELL ["/bin/sh", "-ec"]\n'
    assert_fix(MergeRuns, f"FROM a\n{shell}RUN a && b\nRUN c\n", f"FROM a\n{shell}RUN a && b \\\n    && c\n")
    # `{ b; c; }` may end the list (there -e still applies) but not be followed by `&& d`, and
    # `a && { b; c; }; d` would run d after a fails (-e ignores a failing non-final && command).
    result = assert_fix(MergeRuns, f"FROM a\n{shell}RUN a\nRUN b; c\nRUN d\n",
                        f"FROM a\n{shell}RUN a \\\n    && {{ b; c; }}\nRUN d\n")
    assert any("set -e" in f.message for f in result.findings if f.note)


def test_set_e_join_operator_follows_the_end_of_the_previous_body():
    # Ends in a command or a list: `&&` keeps "any failure fails the RUN".
    assert_fix(MergeRuns, "FROM a\nRUN set -e; x && y\nRUN z\n", "FROM a\nRUN set -e; x && y \\\n    && z\n")
    assert_fix(MergeRuns, "FROM a\nRUN set -e; x || y\nRUN z\n", "FROM a\nRUN set -e; x || y \\\n    && z\n")
    # Ends in a compound alone: `;` keeps -e in force inside it.
    assert_fix(MergeRuns, "FROM a\nRUN set -e; for i in 1 2; do x; done\nRUN z\n",
               "FROM a\nRUN set -e; for i in 1 2; do x; done; \\\n    z\n")
    # A compound at the end of an `&&` list: neither join keeps the behaviour.
    assert_no_fix(MergeRuns, "FROM a\nRUN set -e; x && { y; w; }\nRUN z\n")


def test_plain_chain_joins_a_set_e_body_and_inherits_its_options():
    assert_fix(MergeRuns, "FROM a\nRUN set -eux; apt-get update; apt-get install -y curl\nRUN curl --version\n",
               "FROM a\nRUN set -eux; apt-get update; apt-get install -y curl \\\n    && curl --version\n")


@pytest.mark.parametrize("second", ["echo $HOME", "a; b", "a | b", "if x; then y; fi", "cd /x"])
def test_set_e_join_refuses_what_the_options_could_change(second):
    if second == "cd /x":
        # the follower may change state (it comes last), so only -u/$, lists and compounds block it
        assert_fix(MergeRuns, f"FROM a\nRUN set -ex; a\nRUN {second}\n",
                   f"FROM a\nRUN set -ex; a \\\n    && {second}\n")
        return
    assert_no_fix(MergeRuns, f"FROM a\nRUN set -eux -o pipefail; a\nRUN {second}\n")


@pytest.mark.parametrize("first", ["set -ef; a", "set -e; cd /x; a", "set -e -- x; a", "set -eC; a"])
def test_set_e_join_refuses_other_state(first):
    assert_no_fix(MergeRuns, f"FROM a\nRUN {first}\nRUN b\n")


@pytest.mark.parametrize("first", ["(set -e; false; touch /x)", "f() { set -e; false; touch /x; }; f"])
def test_set_e_inside_a_subshell_or_function_is_not_put_left_of_and(first):
    # On the left of `&&` these would run `touch /x` after `false`; after `;` the main shell,
    # which has no -e, would go on.
    assert_no_fix(MergeRuns, f"FROM a\nRUN {first}\nRUN c\n")


def test_set_e_in_a_group_reaches_the_main_shell_so_a_plain_follower_joins_with_semicolon():
    # The group ends the body: `;` (not `&&`) keeps -e in force inside it.
    assert_fix(MergeRuns, "FROM a\nRUN { set -e; false; touch /x; }\nRUN c\n",
               "FROM a\nRUN { set -e; false; touch /x; }; \\\n    c\n")


# --- what hadolint would newly report ---------------------------------------------------------
# A merged RUN must not trip a hadolint rule that none of the separate RUNs tripped: users gate CI
# on hadolint. Each case was checked with hadolint 2.15.1 (the corpus bench re-checks it at scale).


@pytest.mark.parametrize("first, second, rule", [
    ("yum -y update; yum clean all", "yum -y install httpd; yum clean all", "DL3032"),
    ("yum -y update && rm -rf /var/cache/yum/*", "yum install -y x && yum clean all", "DL3032"),
    ("dnf -y makecache && dnf clean all", "dnf -y install git && dnf clean all", "DL3040"),
    ("zypper refresh && zypper clean", "zypper install -y git && zypper clean", "DL3036"),
    ("yarn cache clean", "yarn install && yarn cache clean", "DL3060"),
])
def test_no_merge_that_puts_a_clean_up_before_the_first_install(first, second, rule):
    text = f"FROM a\nRUN {first}\nRUN {second}\n"
    result = assert_no_fix(MergeRuns, text)
    (note,) = [f for f in result.findings if f.note]
    assert f"hadolint {rule} would flag the merged RUN" in note.message


def test_install_then_clean_up_bodies_still_merge_in_that_order():
    assert_fix(MergeRuns,
               "FROM a\nRUN yum -y install a && yum clean all\nRUN yum -y update && yum clean all\n",
               "FROM a\nRUN yum -y install a && yum clean all \\\n    && yum -y update && yum clean all\n")


def test_a_merge_where_one_run_already_trips_the_rule_is_not_refused():
    # `yum clean all; yum install x` already reads as a missing clean-up: merging adds no finding.
    result = run_fix(MergeRuns, "FROM a\nRUN yum clean all; yum -y install x\nRUN yum -y install y\n")
    assert result.text.count("RUN") == 1


def test_a_last_body_led_by_an_assignment_is_grouped_so_it_heads_its_and_list():
    # ShellCheck (SC2086 via hadolint) trusts `v=1.2 && curl .../$v` only with the assignment first.
    assert_fix(MergeRuns,
               "FROM a\nRUN apt-get install -y curl\nRUN v=1.2 && curl -o /a https://x/$v/a.zip\n",
               "FROM a\nRUN apt-get install -y curl \\\n    && { v=1.2 && curl -o /a https://x/$v/a.zip; }\n")


@pytest.mark.parametrize("pragma", ["# hadolint ignore=SC2016", "# trivy:ignore:AVD-DS-0002",
                                    "# checkov:skip=CKV_DOCKER_9: why"])
def test_a_run_under_a_next_instruction_pragma_stays_alone(pragma):
    text = f"FROM a\nRUN a\n{pragma}\nRUN echo '$HOME'\nRUN c\n"
    result = assert_no_fix(MergeRuns, text)
    notes = [f.message for f in result.findings if f.note]
    assert any("comment above it applies to this RUN alone" in m for m in notes), notes


def test_a_file_wide_hadolint_pragma_does_not_keep_runs_apart():
    assert_fix(MergeRuns, "# hadolint global ignore=DL3008\nFROM a\nRUN a\nRUN b\n",
               "# hadolint global ignore=DL3008\nFROM a\nRUN a \\\n    && b\n")
