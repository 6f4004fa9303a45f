"""cache-cleanup for apt: stage-aware, since a later RUN may install with lists an earlier one fetched.

When a later RUN of the stage (or of a stage built ``FROM`` it) installs with the lists an earlier
RUN downloaded, that later RUN gets its own ``apt-get update``, so both can clean up; a RUN that
only runs ``apt-get update`` is removed once the RUNs after it update for themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..managers import APT, APTITUDE
from ..managers import apt as apt_model
from ..managers.apt import LISTS
from ..syntax.shell import Command, Statement
from .base import Edit, Finding, Fix, Safety
from .cache_runs import Run, copied, mounted
from .textutil import file_end, file_start

_CLEANUP = LISTS.cleanup or ""
_LISTED = 10  # a message names at most this many other RUNs ("and N more"): its size stays bounded

if TYPE_CHECKING:
    from .cache_cleanup import Checker


def apt_subcommand(cmd: Command) -> str | None:
    """The verb of an apt-get/apt/aptitude command (None for other commands)."""
    inv = APT.recognize(cmd) or APTITUDE.recognize(cmd)
    return inv.subcommand if inv is not None else None


class AptCleanup:
    def __init__(self, checker: Checker) -> None:
        self.c = checker

    def check(self, runs: list[Run], inherited: Run | None, descendant_blocked: bool,
              copied_paths: list[str]) -> Iterator[Finding]:
        """``inherited``: the last RUN of the ancestor stages that refreshed apt's lists;
        ``descendant_blocked``: a RUN of a stage built FROM this one needs its lists and cannot
        be given its own `apt-get update` (:meth:`blocked`)."""
        # Forward and backward passes over the stage's RUNs, keeping what each RUN needs to know
        # about the others (a long file has thousands of RUNs: no scan per RUN).
        update_source = inherited
        seen_update = update_source is not None
        plans: dict[int, str] = {}  # index -> "insert" | "blocked"
        source_of: dict[int, Run | None] = {}  # index -> the RUN whose `apt-get update` it repeats
        apt_touched = False
        sources_changed = False  # apt's sources edited since the stage's last update
        for i, run in enumerate(runs):
            if self._needs_outside_lists(run) and (seen_update or apt_touched):
                plans[i] = "insert" if self._can_insert(run, sources_changed) else "blocked"
                source_of[i] = update_source
            if run.apt_updates or run.hidden_update:
                seen_update = True
                update_source = run
                sources_changed = False
            else:
                sources_changed = sources_changed or self._touches_apt_sources(run)
            apt_touched = apt_touched or bool(run.apt_updates)
        later_blocked = [descendant_blocked] * len(runs)
        later_inserts: list[tuple[int, list[int]]] = [(0, [])] * len(runs)  # (how many, the first few)
        needs_later = [False] * len(runs)  # a later RUN of the stage installs with outside lists
        inserts_after: tuple[int, list[int]] = (0, [])
        blocked_after, needs_after = descendant_blocked, False
        for i in range(len(runs) - 1, -1, -1):
            later_blocked[i], later_inserts[i], needs_later[i] = blocked_after, inserts_after, needs_after
            blocked_after = blocked_after or plans.get(i) == "blocked"
            if plans.get(i) == "insert":
                inserts_after = (inserts_after[0] + 1, [i, *inserts_after[1][:_LISTED - 1]])
            needs_after = needs_after or self._needs_outside_lists(runs[i])
        for i, run in enumerate(runs):
            if run.why_not is not None:
                if run.apt_updates or run.apt_needs:
                    yield self.c.finding(run, LISTS, f"left alone: {run.why_not}", None, note=True, tool="apt-get")
                continue
            yield from self._apt_flags(run)
            inserted = plans.get(i) == "insert"
            updates = run.apt_updates
            if not updates and not inserted:
                continue
            last_update = max((c.start for c in updates), default=-1)
            if (any(c.start > last_update for c in run.apt_cleans) and (updates or inserted)) \
                    or mounted(run, LISTS):
                if inserted and not later_blocked[i]:
                    yield from self._apt_insert(run, source_of[i], cleanup=False)
                continue
            if later_blocked[i]:
                yield self.c.finding(
                    run, LISTS, "lists kept: a later RUN installs with them and cannot be given its own "
                    "`apt-get update`", None, note=True, tool="apt-get")
                continue
            if copied(copied_paths, LISTS, run):
                yield self.c.finding(run, LISTS, "lists kept: another stage copies them out", None,
                                     note=True, tool="apt-get")
                continue
            if inserted:
                yield from self._apt_insert(run, source_of[i], cleanup=True)
                continue
            if self._update_only(run) and later_inserts[i][0]:
                yield Finding(
                    self.c.id, "apt-get: this RUN only downloads the package lists, which then ship in "
                    "its layer; the later RUNs that install now run their own `apt-get update` and "
                    f"clean up, so it is removed ({LISTS.what}, typically {LISTS.weight})",
                    run.ins.keyword_start, run.ins.end,
                    Fix((Edit(run.ins.start, run.ins.end, ""),), Safety.SAFE), saving=LISTS.weight)
                continue
            if self.c.mount_style and self.c.ctx.options.unsafe_fixes and not needs_later[i]:
                edits = self.c.mount_edits(run, list(LISTS.mount), ",sharing=locked")
                if edits is not None:
                    start = file_start(run.ins, run.script.statements[0].start)  # type: ignore[union-attr]
                    edits.append(Edit(start, start, "rm -f /etc/apt/apt.conf.d/docker-clean && "))
                    yield self.c.finding(run, LISTS, "keep the apt cache in BuildKit cache mounts "
                                         "(unsafe: removes docker-clean from the image and keeps "
                                         "/var/lib/apt out of it)", edits, Safety.UNSAFE, tool="apt-get")
                    continue
            count, later = later_inserts[i]
            why = "the lists downloaded by `apt-get update` ship in this layer; remove them in the same RUN"
            if later:
                more = count - len(later)
                why += ("; the later RUN on line " + ", ".join(str(runs[j].ins.start_line) for j in later)
                        + (f" and {more} more" if more else "") + " gets its own `apt-get update`")
            if run.append_hazard:
                yield self.c.finding(run, LISTS, f"left alone: {run.append_hazard}", None, note=True,
                                     tool="apt-get")
                continue
            yield self.c.finding(run, LISTS, why, [self.c.append(run, _CLEANUP)],
                                 tool="apt-get")

    def _needs_outside_lists(self, run: Run) -> bool:
        """The RUN installs with package lists it did not download itself."""
        if not run.apt_needs:
            return False
        first_need = min(c.start for c in run.apt_needs)
        return not any(c.start < first_need for c in run.apt_updates)

    def _first_need_statement(self, run: Run) -> tuple[int, Statement, Command] | None:
        assert run.script is not None
        first = min(run.apt_needs, key=lambda c: c.start)
        for k, st in enumerate(run.script.statements):
            if st.start <= first.start < st.end:
                return k, st, first
        return None

    def blocked(self, run: Run) -> bool:
        """The RUN installs with lists an earlier stage downloaded and cannot get its own."""
        return self._needs_outside_lists(run) and not self._can_insert(run, False)

    def _can_insert(self, run: Run, sources_changed: bool) -> bool:
        """Whether ``run`` can be given its own `apt-get update`; ``sources_changed``: apt's
        sources were edited since the lists were downloaded (a fresh index could install other
        packages)."""
        if run.why_not is not None or run.script is None or mounted(run, LISTS):
            return False
        found = self._first_need_statement(run)
        if found is None:
            return False
        k, st, cmd = found
        if k > 0 and run.script.statements[k - 1].separator not in ("&&", ";", "\n"):
            return False
        if "negated" in cmd.context or st.separator == "&":
            return False
        return not sources_changed

    def _touches_apt_sources(self, run: Run) -> bool:
        if run.script is None:
            return True
        for cmd in run.script.commands:
            if cmd.basename in apt_model.CHANGE_SOURCES:
                return True
            words = [w.value or w.text for w in cmd.argv] + list(cmd.redirects)
            if any("/etc/apt" in w for w in words):
                return True
        return False

    def _apt_insert(self, run: Run, source: Run | None, cleanup: bool) -> Iterator[Finding]:
        """Give ``run`` its own `apt-get update`: the one ``source`` (the last earlier RUN that
        refreshed the lists) ran."""
        found = self._first_need_statement(run)
        assert found is not None and run.script is not None
        _, st, cmd = found
        at = file_start(run.ins, st.start)
        # The same update the lists came from (its options included), so the same index is read.
        update = "apt-get update" if cmd.basename != "apt" else "apt update"
        if source is not None and source.apt_updates and source.script is not None:
            last = source.apt_updates[-1]
            update = source.script.text[last.start:last.end]
        edits = [Edit(at, at, f"{update} && ")]
        what = ("installs with package lists an earlier RUN downloaded, so that RUN cannot remove them; "
                "it now runs its own `apt-get update`")
        if cleanup and not run.append_hazard:
            edits.append(self.c.append(run, _CLEANUP))
            what += " and removes the lists"
        yield self.c.finding(run, LISTS, what, edits, tool="apt-get")

    def _update_only(self, run: Run) -> bool:
        assert run.script is not None
        return all(len(st.commands) == 1 and st.kind == "command" and st.commands[0] in run.apt_updates
                   for st in run.script.statements) and not run.ins.flags

    def _apt_flags(self, run: Run) -> Iterator[Finding]:
        assert run.script is not None
        for inv in (APT.recognize(c) for c in run.script.commands_named(*APT.commands)):
            assert inv is not None
            cmd, word = inv.cmd, inv.subcommand_word
            if word is None:
                continue
            sub = word.value
            if cmd.basename == "apt" and sub in apt_model.SAME_IN_APT_GET:
                name = cmd.argv[0]
                if name.value == name.text:
                    s, e = file_start(run.ins, name.start), file_end(run.ins, name.end)
                    yield self.c.finding(run, LISTS, "use `apt-get` in scripts: `apt` has no stable "
                                         "interface (unsafe: `apt` deletes downloaded packages itself)",
                                         [Edit(s, e, name.text + "-get")], Safety.UNSAFE, tool="apt")
            if sub in ("install", "upgrade", "dist-upgrade", "remove", "purge", "autoremove") \
                    and not inv.has_flag(*apt_model.YES_FLAGS) and not any(
                        "Assume-Yes" in (w.value or "") for w in cmd.argv):
                yield self.c.finding(run, LISTS, f"`{sub}` without `-y` stops at the prompt (unsafe: "
                                     "the build goes on where it stopped)",
                                     [self.c.flag(run, word.end, " -y")], Safety.UNSAFE, tool=cmd.basename or "")
            if sub == "install" and not inv.has_flag("--no-install-recommends") and not any(
                    "Install-Recommends" in (w.value or "") for w in cmd.argv):
                yield self.c.finding(run, LISTS, "`--no-install-recommends` installs only what is needed "
                                     "(unsafe: recommended packages are no longer installed)",
                                     [self.c.flag(run, word.end, " --no-install-recommends")],
                                     Safety.UNSAFE, tool=cmd.basename or "")
