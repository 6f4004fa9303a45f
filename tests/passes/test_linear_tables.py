"""The tables that keep the passes linear in time give the answers a scan would give.

cache-cleanup answers questions about the *other* RUNs of a file (an earlier `apt-get update`, the
environment at a command, what later RUNs and descendant stages do) from tables built in one pass;
these tests pin the answers on small files where each can be checked by eye. The differential
check over every fixture and the generated shapes of bench/large.py (the code before and after,
584 runs, 0 differences) is in the report of that change; timing lives in bench/large.py.
"""

from dockslim.fixer import fix_text
from dockslim.passes.cache_cleanup import CacheCleanup
from dockslim.testing import assert_fix


def test_a_grandchild_stage_repeats_the_update_of_its_grandparent():
    before = ("FROM debian:12 AS a\nRUN apt-get update -o Acquire::Retries=3\n"
              "FROM a AS b\nRUN echo hi\nFROM b\nRUN apt-get install -y curl\n")
    after = ("FROM debian:12 AS a\nRUN apt-get update -o Acquire::Retries=3 \\\n    && rm -rf /var/lib/apt/lists/*\n"
             "FROM a AS b\nRUN echo hi\n"
             "FROM b\nRUN apt-get update -o Acquire::Retries=3 && apt-get install -y curl \\\n"
             "    && rm -rf /var/lib/apt/lists/*\n")
    assert_fix(CacheCleanup, before, after)


def test_a_grandchild_that_cannot_get_its_own_update_keeps_the_lists():
    before = ("FROM debian:12 AS a\nRUN apt-get update\n"
              "FROM a AS b\nRUN echo hi\nFROM b\nRUN test -x /bin/curl || apt-get install -y curl\n")
    result = fix_text(before, [CacheCleanup()])
    assert "rm -rf /var/lib/apt/lists" not in result.text.split("FROM a AS b")[0]
    assert any("lists kept: a later RUN installs with them" in f.message for f in result.findings)


def test_the_message_names_ten_later_runs_and_counts_the_rest():
    before = ("FROM debian:12\nRUN apt-get update && apt-get install -y a\n"
              + "".join(f"RUN apt-get install -y p{k}\n" for k in range(14)))
    result = fix_text(before, [CacheCleanup()])
    first = next(f for f in result.findings if f.start == before.index("RUN apt-get update")
                 and "remove them in the same RUN" in f.message)
    lines = ", ".join(str(n) for n in range(3, 13))
    assert f"the later RUN on line {lines} and 4 more gets its own `apt-get update`" in first.message


def test_an_export_turns_the_cache_off_for_the_commands_after_it_only():
    assert_fix(CacheCleanup,
               "FROM python:3.12\nRUN pip install a && export PIP_NO_CACHE_DIR=1 && pip install b\n",
               "FROM python:3.12\nRUN pip install --no-cache-dir a && export PIP_NO_CACHE_DIR=1 && pip install b\n")


def test_sources_changed_in_between_block_the_repeated_update():
    before = ("FROM debian:12\nRUN apt-get update\n"
              "RUN echo 'deb http://x y main' > /etc/apt/sources.list.d/x.list\n"
              "RUN apt-get install -y curl\n")
    result = fix_text(before, [CacheCleanup()])
    assert "apt-get update && apt-get install" not in result.text
    assert any("lists kept" in f.message for f in result.findings)
