"""The one shell query layer passes share: RUN body -> parsed :class:`Script`, once per body.

Passes ask questions of the parsed shell (``script.commands_named("apt-get")``,
``cmd.has_flag("--no-cache-dir")``) instead of matching text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from ..managers.hadolint import ORDER_RULES
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.nodes import Item
from ..syntax.shell import Script, parse_shell

# Where `set -e` does not reach the commands that follow in the main shell.
_SCOPED = frozenset({"subshell", "pipeline", "substitution", "function", "background"})


@lru_cache(maxsize=4096)
def _parse(body: str) -> Script:
    return parse_shell(body)


def parse_body(body: str) -> Script:
    """Any shell command line (a RUN body, a shell-form CMD/ENTRYPOINT), parsed once per text."""
    return _parse(body)


def run_script(ins: Instruction) -> Script | None:
    """The parsed shell body of a shell-form RUN (None for exec form, heredocs, other keywords).

    Kept on the (immutable) instruction: every pass asks for every RUN, and a long file has more
    bodies than the cache of :func:`_parse` holds (that cache serves the fixer's next round)."""
    known = ins.__dict__.get("_script", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    target = ins.effective
    script = None if target.cmd != "RUN" or target.is_json or target.heredocs else _parse(target.args)
    ins.__dict__["_script"] = script
    return script


_UNKNOWN = object()


def carry_over(previous: Dockerfile, current: Dockerfile) -> None:
    """Give ``current``'s RUNs the shell models ``previous`` already built for the same bodies.

    The fixer re-parses the whole file after each round; most RUNs are unchanged, and parsing
    their shell again would cost as much as the first time (a long file has more bodies than the
    cache of :func:`_parse` holds)."""
    known: dict[str, Script] = {}
    for ins in previous.instructions:
        script = ins.__dict__.get("_script")
        if isinstance(script, Script):
            known[ins.effective.args] = script
    if not known:
        return
    for ins in current.instructions:
        target = ins.effective
        if target.cmd == "RUN" and not target.is_json and not target.heredocs and target.args in known:
            ins.__dict__["_script"] = known[target.args]


def stage_items(df: Dockerfile, stage: Stage) -> Iterator[Item]:
    """The stage's items after its FROM, trivia included, up to the next FROM."""
    return iter(df.stage_items(stage))


def unreadable_reason(script: Script | None) -> str | None:
    """Why no pass may rewrite this RUN body (None when it may): what every pass checks first."""
    if script is None:
        return "exec form and heredoc bodies are left alone"
    if script.opaque:
        return f"its shell body cannot be analysed ({script.opaque_reason})"
    if not script.statements:
        return "its body is empty"
    if script.has_background_job:
        return "it runs a command in the background (&), which may still run when the body ends"
    return None


def enables_errexit(script: Script, *, anywhere: bool = False) -> bool:
    """A `set -e` / `set -o errexit` (any spelling, e.g. `set -eux`) in the main shell -- or,
    with ``anywhere``, also inside subshells, groups and function bodies, whose commands lose it
    too when they run on the left of `&&` (only command substitutions do not count)."""
    for cmd in script.commands_named("set"):
        if cmd.context & (frozenset({"substitution"}) if anywhere else _SCOPED):
            continue
        if cmd.has_flag("-e") or "errexit" in cmd.flag_values("-o"):
            return True
    return False


def shell_errexit(ins: Instruction) -> bool:
    """A SHELL instruction that runs every RUN with errexit: `["/bin/sh", "-ec"]`,
    `["/bin/bash", "-o", "errexit", "-c"]`."""
    args = list(ins.value[1:]) if ins.cmd == "SHELL" and ins.is_json else []
    for i, arg in enumerate(args):
        if arg.startswith("-") and not arg.startswith("--") and "e" in arg[1:]:
            return True
        if arg == "-o" and i + 1 < len(args) and args[i + 1] == "errexit":
            return True
    return False


def errexit_at_end(script: Script, shell_errexit: bool = False) -> bool:
    """`set -e` is certainly in force when the main shell reaches the body's last and-or list.

    In force from the SHELL (``shell_errexit``) or from a ``set -e`` / ``set -o errexit`` that
    leads a top-level and-or list (so it ran whenever the shell got past it: `false && set -e`
    may not have), and not switched off by a later ``set +e`` / ``set +o errexit`` in the main
    shell (anywhere: a conditional one may have run).
    """
    on = shell_errexit
    # The first command of each top-level and-or list (in a `{ }` group or not) runs whenever
    # the shell gets there.
    leaders = {id(lst[0].commands[0]) for lst in script.and_or_lists()
               if lst[0].commands and lst[0].kind in ("command", "group")}
    for cmd in script.commands_named("set"):
        if cmd.context & _SCOPED:
            continue
        words = [w.value for w in cmd.argv[1:]]
        if any(w is None for w in words):
            return False
        if _switches_errexit(words, "+"):
            on = False
        elif _switches_errexit(words, "-") and id(cmd) in leaders and cmd.context <= {"group"}:
            on = True
    return on


def _switches_errexit(words: list[str | None], sign: str) -> bool:
    for i, word in enumerate(words):
        if word is None or word == "--":
            return False
        if word == sign + "o" and i + 1 < len(words) and words[i + 1] == "errexit":
            return True
        if word.startswith(sign) and not word.startswith(sign * 2) and "e" in word[1:] \
                and word != sign + "o":
            return True
    return False


def and_append_hazard(script: Script, errexit: bool) -> str | None:
    """Why appending `&& cmd` to this body could change what it does, or None.

    POSIX shells ignore `set -e` in every command of an AND-OR list but the last, and in
    everything run there: a compound command, a subshell, a pipeline stage that is one, a
    function called there. So when errexit is in force anywhere, the body's last statement must
    hold none of those (:attr:`Script.end_is_errexit_transparent`).
    """
    if not script.statements:
        return None
    if not script.end_is_errexit_transparent and (
        errexit or enables_errexit(script, anywhere=True)
    ):
        return ("it ends in a command that runs others under `set -e` (a compound command, a "
                "subshell, a function), which `&&` would switch off in them")
    return None


# hadolint's order rules (DL3032, DL3040, DL3036, DL3060), as hadolint matches them.
_HADOLINT_ORDER_RULES = tuple((r.rule, r.command, r.installs, r.cleans, r.rm_path) for r in ORDER_RULES)


def cleanup_order(script: Script) -> tuple[tuple[str, str, str, bool, bool], ...]:
    """Per hadolint order rule and command this body touches: (rule, command, which comes first --
    "install" or "clean" --, has an install, has a clean-up). Summaries of consecutive bodies
    combine with :func:`order_violations`, so a merge can tell whether it would *create* such a
    finding (`yum update && yum clean all` merged before `yum install ... && yum clean all` does:
    hadolint then sees the first clean before the first install)."""
    out = []
    for rule, name, installs, cleans, rm_path in _HADOLINT_ORDER_RULES:
        first, has_install, has_clean = "", False, False
        candidates = script.commands_named(name) if rm_path is None else script.commands_named(name, "rm")
        for cmd in candidates:
            words = {w for w in cmd.args() if w is not None}
            if cmd.name == name:
                is_install, is_clean = bool(words & installs), bool(words & cleans)
            elif cmd.name == "rm" and rm_path and rm_path in words and "-rf" in words:
                is_install, is_clean = False, True
            else:
                continue
            if not first and (is_install or is_clean):
                first = "install" if is_install else "clean"
            has_install |= is_install
            has_clean |= is_clean
        if first:
            out.append((rule, name, first, has_install, has_clean))
    return tuple(out)


class OrderFold:
    """:func:`cleanup_order` summaries of consecutive bodies folded one by one, so that a long run
    of RUNs is read once, not once per RUN that joins it."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], str] = {}
        self.install: dict[tuple[str, str], bool] = {}
        self.clean: dict[tuple[str, str], bool] = {}

    def add(self, summary: tuple[tuple[str, str, str, bool, bool], ...]) -> None:
        for rule, name, event, has_install, has_clean in summary:
            key = (rule, name)
            self.first.setdefault(key, event)
            self.install[key] = self.install.get(key, False) or has_install
            self.clean[key] = self.clean.get(key, False) or has_clean

    def violations(self, then: tuple[tuple[str, str, str, bool, bool], ...] = ()) -> set[str]:
        """The hadolint order rules that one RUN made of the folded bodies and then ``then`` breaks."""
        first, install, clean = dict(self.first), dict(self.install), dict(self.clean)
        for rule, name, event, has_install, has_clean in then:
            key = (rule, name)
            first.setdefault(key, event)
            install[key] = install.get(key, False) or has_install
            clean[key] = clean.get(key, False) or has_clean
        return {key[0] for key, has in install.items() if has and (not clean[key] or first[key] == "clean")}


def order_violations(bodies: list[tuple[tuple[str, str, str, bool, bool], ...]]) -> set[str]:
    """The hadolint order rules that one RUN made of ``bodies`` (in order) would break."""
    fold = OrderFold()
    for summary in bodies:
        fold.add(summary)
    return fold.violations()
