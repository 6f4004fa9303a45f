"""The one shell query layer passes share: RUN body -> parsed :class:`Script`, once per body.

Passes ask questions of the parsed shell (``script.commands_named("apt-get")``,
``cmd.has_flag("--no-cache-dir")``) instead of matching text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.nodes import Item
from ..syntax.shell import Script, parse_shell


@lru_cache(maxsize=4096)
def _parse(body: str) -> Script:
    return parse_shell(body)


def run_script(ins: Instruction) -> Script | None:
    """The parsed shell body of a shell-form RUN (None for exec form, heredocs, other keywords)."""
    target = ins.effective
    if target.cmd != "RUN" or target.is_json or target.heredocs:
        return None
    return _parse(target.args)


def stage_items(df: Dockerfile, stage: Stage) -> Iterator[Item]:
    """The stage's items after its FROM, trivia included, up to the next FROM."""
    started = False
    for item in df.items:
        if item is stage.from_:
            started = True
            continue
        if not started:
            continue
        if isinstance(item, Instruction) and item.cmd == "FROM":
            return
        yield item
