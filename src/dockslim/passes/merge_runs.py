from __future__ import annotations

import posixpath
from collections.abc import Iterator

from .._records import dataclass
from ..syntax import Dockerfile, Instruction, Trivia
from ..syntax.shell import Command, Script
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .runeffects import (
    interpreter_change,
    process_left_running,
    shell_reads_startup_files,
    startup_file_variable,
)
from .shellquery import (
    OrderFold,
    cleanup_order,
    enables_errexit,
    errexit_at_end,
    order_violations,
    run_script,
    stage_items,
    unreadable_reason,
)
from .shellquery import shell_errexit as shell_errexit_of
from .textutil import continuation_indent, instruction_pragma

# Shells whose `-c` semantics we model (POSIX sh family). Anything else (PowerShell, cmd) is left.
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})
_WINDOWS_HINTS = ("windows", "nanoserver", "servercore", "mcr.microsoft.com/dotnet/framework")


@dataclass(frozen=True)
class _Body:
    """One RUN that may take part in a merge, with what the merge needs to know about it."""

    ins: Instruction
    script: Script
    text: str  # file text of the body, trailing separator, comment and blanks removed
    full_text: str  # file text of the whole body
    isolate: str  # why it must run in a subshell when something follows it ("" = no need)
    errexit: bool  # `set -e` is in force somewhere in it (its own, even in a subshell or function, or the SHELL's)
    errexit_end: bool  # `set -e` is certainly in force in the main shell at its last list
    order: tuple  # shellquery.cleanup_order: where its package-manager clean-ups stand
    # Why no later RUN may join it (it may change the shell later RUNs start, or leave a
    # process running: runeffects), "" when one may.
    closes: str = ""


class MergeRuns(Pass):
    """## What it does
    Merges consecutive `RUN` instructions of a stage into one, joined with `&&`, one command per
    line with `&&` at the start of each continued line.

    ## Why is this bad?
    Every `RUN` makes a layer. A file created in one layer and deleted in a later one still ships
    in the image, and each layer costs pull time and metadata (hadolint DL3059).

    ## Example
    ```dockerfile
    RUN apt-get update
    RUN mkdir /code
    ```
    becomes
    ```dockerfile
    RUN apt-get update \\
        && mkdir /code
    ```

    ## Fix safety
    Safe: the merged body runs the same commands, in the same order, with the same working
    directory, environment and failure behaviour.
    - A body that changes shell state for what follows (`cd`, `export`, `set`, `umask`, `exit`,
      assignments, functions, `source` ...) runs in a subshell `( ... )`, so nothing leaks.
    - A body whose failure is not simply "any command failed" (`a; b`, `a || b`) is grouped
      `{ ...; }` when it follows another body, so the build still fails exactly when it did.
    - POSIX shells ignore `set -e` in every command of an `&&` list but the last, and in all such
      a command runs: compound commands, subshells, a pipeline stage that is one, functions. So a
      body that relies on `set -e` (its own, or an errexit `SHELL`) is only merged where it needs
      no wrapping and its last statement runs nothing -e reaches inside (a simple command, a
      pipeline of them), or as the last body — or, when its only state change is
      `set -e/-u/-x/-v/-o pipefail`, the next body joins it unwrapped and inherits those options,
      provided it is a plain `&&` chain of simple commands (with no `$` under -u, no command
      substitution of several commands). That join is `&&` when the body's last statement runs
      nothing -e reaches inside; `;` when -e is certainly in force at its last list and every
      failure of that list makes the shell exit (`set -e; for ...; do a; done`, a pipeline, a
      subshell, `a || b`) — never for `set -e && a && b > f`, where a failing `a` ends the list
      with -e ignored. The shell model (`syntax/shell.py`) answers both questions; the shell then
      stops exactly where the separate RUNs would have failed.
    - Each RUN starts a fresh shell, and the build ends every process of a RUN with it. So the
      RUN after one that may change the shell later RUNs start (`rm /bin/sh && ln -s bash
      /bin/sh`, `ln -sf`, `mv`, `dpkg-divert`, `update-alternatives`, a package manager naming a
      shell package, an archive unpacked over `/`...), or that may leave a process running
      (`service x start` without a stop, `pg_ctl start`, `nginx`, `start-stop-daemon --start`,
      `gpg --recv-keys` without `gpgconf --kill`...), is not merged into it. Under a SHELL that
      reads start-up files (`--login`, `-l`, `-i`) or with `BASH_ENV` set, no RUNs are merged.
    - Never merged: RUNs with different flags (`--mount`, `--network`, ...), exec (JSON) form,
      heredocs, a body ending in a comment, background jobs (`&`, at any depth: `(server &)`,
      `{ server & }`, in a function), bodies the shell model cannot
      read, RUNs under a non-POSIX `SHELL` or on a Windows base image, and RUNs separated by any
      other instruction. `check` says why for each pair of adjacent RUNs left apart.
    - Kept apart as well: RUNs whose merge would give hadolint a clean-up finding that none of
      them had (DL3032/DL3036/DL3040/DL3060 only check that a RUN's first `yum clean all`, ...
      comes after its first install, so `yum update && yum clean all` cannot precede
      `yum install x && yum clean all`). A last body led by an assignment (`v=1 && curl .../$v`)
      is grouped `{ ...; }`, which keeps ShellCheck's value tracking (no new SC2086).
    - A RUN under a linter pragma that covers the next instruction only (`# hadolint ignore=...`,
      `# trivy:ignore:...`, `# checkov:skip=...`) stays a RUN of its own: merged, the comment
      would sit inside the continuation and cover nothing.
    - Comment lines between merged RUNs are kept inside the continuation (Docker ignores them
      there); blank lines between them are dropped, since BuildKit warns on empty continuation lines.
    """

    id = "merge-runs"
    hadolint = ("DL3059",)
    summary = "Consecutive RUN instructions become one (fewer layers, same build)"
    safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        df = ctx.dockerfile
        indent = continuation_indent(df)
        for stage in df.stages():
            shell_ok = not any(h in stage.base.lower() for h in _WINDOWS_HINTS)
            shell_errexit = False
            shell_argv: tuple[str, ...] = ()
            startup = ""  # why every RUN may change what the next one's shell reads at start
            env: dict[str, str] = {}  # ENV and ARG values, to read paths such as "$GNUPGHOME"
            workdir: str | None = None  # the stage's WORKDIR, when this Dockerfile sets it
            group: list[_Body] = []
            between: list[tuple[list[Trivia], str]] = []  # (trivia, join) before group[i + 1]
            pending: list[Trivia] = []
            prev: tuple[Instruction, _Body | None, str | None] | None = None  # adjacent RUN
            folded: _GroupOrder | None = None  # the group's clean-up order, read once per body
            for item in stage_items(df, stage):
                if isinstance(item, Trivia):
                    pending.append(item)
                    continue
                ins = item
                if ins.cmd != "RUN":
                    if ins.cmd == "SHELL":
                        shell_ok = shell_ok and _posix_shell(ins)
                        shell_errexit = shell_errexit_of(ins)
                        shell_argv = tuple(ins.value) if ins.is_json else ()
                        if shell_reads_startup_files(shell_argv):
                            startup = (f"the SHELL (line {ins.start_line}) starts a login or "
                                       "interactive shell, which reads start-up files any RUN may "
                                       "change")
                    elif startup_file_variable(ins):
                        startup = (f"line {ins.start_line} sets {startup_file_variable(ins)}, a "
                                   "file the shell reads at start that any RUN may change")
                    if ins.cmd == "WORKDIR":
                        workdir = _workdir(workdir, ins)
                    if ins.cmd == "ENV":
                        env.update(ins.pairs())
                    elif ins.cmd == "ARG":
                        for declaration in ins.value:
                            name, eq, value = declaration.partition("=")
                            if eq:
                                env[name] = value
                            else:
                                env.pop(name, None)  # given by --build-arg, or empty
                    yield from self._emit(df, group, between, indent)
                    group, between, pending, prev = [], [], [], None
                    continue
                body, own_reason = self._candidate(ins, shell_ok, shell_errexit, shell_argv, startup,
                                                   env, workdir)
                pragma = _pragma_above(pending)
                if pragma and body is not None:
                    # Merged, the comment would end up inside the continuation and cover nothing.
                    body, own_reason = None, f"a `# {pragma}` comment above it applies to this RUN alone"
                reason = own_reason
                if prev is not None:
                    prev_ins, prev_body, prev_reason = prev
                    if reason is None and prev_body is None:
                        reason = f"that RUN cannot be merged: {prev_reason}"
                    elif reason is None and prev_body is not None:
                        reason = _pair_reason(prev_body, body, len(group) == 1)  # type: ignore[arg-type]
                        if reason in (None, _ERREXIT_REASON):
                            if folded is None or folded.group is not group:
                                folded = _GroupOrder(group)
                            reason = folded.reason(body) or reason  # type: ignore[arg-type]
                    if reason is not None and not (
                        reason == _ERREXIT_REASON and len(group) == 1
                        and _errexit_join(group[0], body)  # type: ignore[arg-type]
                    ):
                        yield Finding(
                            self.id,
                            f"RUN not merged with the RUN on line {prev_ins.start_line}: {reason}",
                            ins.keyword_start, ins.keyword_start + len(ins.keyword), note=True,
                        )
                join = "&&"
                if reason == _ERREXIT_REASON and len(group) == 1:
                    inherit = _errexit_join(group[0], body)  # type: ignore[arg-type]
                    if inherit is not None:
                        reason, join = None, "inherit" + inherit
                if reason is None and group:
                    between.append((pending, join))
                    group.append(body)  # type: ignore[arg-type]
                    if join.startswith("inherit"):  # the options now apply to `body`: next round decides
                        yield from self._emit(df, group, between, indent)
                        group, between, pending, prev = [], [], [], None
                        continue
                else:
                    yield from self._emit(df, group, between, indent)
                    group, between = ([body] if body is not None else []), []
                prev, pending = (ins, body, own_reason), []
            yield from self._emit(df, group, between, indent)

    def _candidate(self, ins: Instruction, shell_ok: bool, shell_errexit: bool,
                   shell_argv: tuple[str, ...] = (), startup: str = "",
                   env: dict[str, str] | None = None,
                   workdir: str | None = None) -> tuple[_Body | None, str | None]:
        reason = _why_not(ins, shell_ok)
        if reason is not None:
            return None, reason
        script = run_script(ins)
        unreadable = unreadable_reason(script)
        if unreadable is not None:
            return None, unreadable
        assert script is not None
        last = script.statements[-1]
        start, _ = ins.args_file_span()
        _, end = ins.source_map.to_file_span(ins.args_start, ins.args_start + last.end)
        changes = script.state_changes()
        isolate = changes[0][1] if changes else ""
        _, full_end = ins.args_file_span()
        errexit = shell_errexit or enables_errexit(script, anywhere=True)
        closes = startup
        if not closes:
            change = interpreter_change(script, shell_argv, env, workdir)
            if change is not None:
                closes = (f"that RUN may change the shell later RUNs start ({change}); merged, this "
                          "body would run in the shell already started")
        if not closes:
            running = process_left_running(script)
            if running is not None:
                closes = (f"that RUN may leave a process running ({running}); merged, it would "
                          "still run during this body")
        return _Body(ins, script, _file_text(ins, start, end), _file_text(ins, start, full_end),
                     isolate, errexit, errexit_at_end(script, shell_errexit), cleanup_order(script),
                     closes), None

    def _emit(self, df: Dockerfile, group: list[_Body], between: list[tuple[list[Trivia], str]],
              indent: str) -> Iterator[Finding]:
        if len(group) < 2:
            return
        nl = df.newline
        esc = df.escape
        parts: list[str] = []
        reasons: list[str] = []
        for i, body in enumerate(group):
            last = i == len(group) - 1
            # The last body keeps its text to the end (a trailing comment, a final `;`) unless it
            # is wrapped; wrapped or followed, trailing separators are dropped.
            text = body.text
            join_after = between[i][1] if not last else ""
            if join_after.startswith("inherit"):
                reasons.append(f"line {group[i + 1].ins.start_line} joins line "
                               f"{body.ins.start_line}'s `set` options, which it provably tolerates")
            elif body.isolate and not last:
                text = f"( {text} )"
                reasons.append(f"line {body.ins.start_line} runs in a subshell: {body.isolate}")
            elif i > 0 and not body.script.is_and_chain:
                text = f"{{ {text}; }}"
                reasons.append(f"line {body.ins.start_line} is grouped to keep its exit status")
            elif last and i > 0 and body.script.leads_with_assignment and not body.script.ends_with_comment:
                # ShellCheck (inside hadolint) trusts `v=1.2 && curl .../$v` only while the
                # assignment heads its `&&` list; a group keeps it there (else a new SC2086).
                text = f"{{ {text}; }}"
                reasons.append(f"line {body.ins.start_line} is grouped so its leading assignment "
                               "still heads its `&&` list")
            elif last:
                text = body.full_text
            if i > 0:
                trivia, join = between[i - 1]
                comments = "".join(indent + t.text.lstrip(" \t") for t in trivia
                                   if t.kind != "blank")
                if join == "inherit;":
                    parts.append(f"; {esc}{nl}{comments}{indent}")
                else:
                    parts.append(f" {esc}{nl}{comments}{indent}&& ")
            parts.append(text)
        first, final = group[0].ins, group[-1].ins
        start, _ = first.args_file_span()
        _, end = final.args_file_span()
        lines = ", ".join(str(b.ins.start_line) for b in group)
        n = len(group)
        message = f"merge {n} RUN instructions (lines {lines}) into one"
        if reasons:
            message += " (" + "; ".join(reasons) + ")"
        yield Finding(
            self.id, message, first.keyword_start, end,
            Fix((Edit(start, end, "".join(parts)),), Safety.SAFE),
            saving=f"{n - 1} layer{'s' if n > 2 else ''}",
        )


def _pragma_above(trivia: list[Trivia]) -> str | None:
    for t in trivia:
        if t.kind == "comment":
            tool = instruction_pragma(t.comment or "")
            if tool:
                return f"{tool} ..." if tool != "hadolint" else "hadolint ignore=..."
    return None


def _why_not(ins: Instruction, shell_ok: bool) -> str | None:
    if not shell_ok:
        return "the stage's shell is not a POSIX shell (SHELL or a Windows base image)"
    if ins.sub is not None:
        return "ONBUILD RUNs are left alone"
    if ins.is_json:
        return "exec (JSON) form runs without a shell"
    if ins.heredocs:
        return "it uses a heredoc"
    return None


def _pair_reason(previous: _Body, body: _Body, previous_leads: bool) -> str | None:
    a = sorted(f.raw for f in previous.ins.flags)
    b = sorted(f.raw for f in body.ins.flags)
    if a != b:
        return "their flags differ (" + (" ".join(a) or "none") + " vs " + (" ".join(b) or "none") + ")"
    if previous.closes:
        return previous.closes
    if previous.script.ends_with_comment:
        return "the RUN before it ends with a comment"
    if body.script.ends_with_comment and not body.script.is_and_chain:
        return "it ends with a comment and would need grouping"
    wrapped = previous.isolate or (not previous_leads and not previous.script.is_and_chain)
    if previous.errexit and (wrapped or not previous.script.end_is_errexit_transparent):
        # POSIX: -e is ignored in every command of an AND-OR list but the last, and in all they
        # run (compound commands, subshells, functions): `( A ) && B` or `A && B` whose last
        # statement runs others would go on where A alone stopped.
        return _ERREXIT_REASON
    return None


_ERREXIT_REASON = "the RUN before it relies on `set -e`, which a `&&` list would switch off"


class _GroupOrder:
    """Refuse a merge that would give hadolint a clean-up finding none of the RUNs had: its
    DL3032/DL3036/DL3040/DL3060 check only that a RUN's *first* clean-up comes after its first
    install, so `yum update && yum clean all` merged before `yum install x && yum clean all`
    reads as a missing clean-up. The build would be the same; a user's hadolint gate would not.

    Folds the group's bodies as they join (the group is only ever appended to), so a group of
    thousands of RUNs is read once, not once per RUN."""

    def __init__(self, group: list[_Body]) -> None:
        self.group = group
        self.folded = 0
        self.fold = OrderFold()
        self.alone: set[str] = set()  # rules a body of the group breaks by itself

    def reason(self, body: _Body) -> str | None:
        for b in self.group[self.folded:]:
            if b.order:
                self.fold.add(b.order)
                self.alone |= order_violations([b.order])
        self.folded = len(self.group)
        if not body.order and not self.fold.first:
            return None
        merged = self.fold.violations(body.order) - self.alone - order_violations([body.order])
        if not merged:
            return None
        return (f"hadolint {'/'.join(sorted(merged))} would flag the merged RUN: it only checks that "
                "the first clean-up comes after the first install")


# `set` options whose leaking into a following plain command chain is provably harmless (see
# _errexit_join); anything else (noglob, noclobber, allexport, positional parameters) is not.
_HARMLESS_SET_LETTERS = frozenset("euxv")
_HARMLESS_SET_OPTIONS = frozenset({"errexit", "nounset", "xtrace", "verbose", "pipefail"})


def _errexit_join(previous: _Body, body: _Body) -> str | None:
    """How ``body`` may follow ``previous`` unwrapped, inheriting its `set` options: `&&`, `;`,
    or None when it may not.

    Allowed when ``previous`` changes no state but shell options, those options are among
    -e/-u/-x/-v/pipefail, and ``body`` is a plain `&&` chain of simple commands: under -e such a
    chain fails exactly when it did without -e; -x/-v only trace; -u could only matter for a
    parameter expansion and pipefail for a pipeline, so the body must have neither (nor a command
    substitution of several commands, inside which dash would now apply -e).

    The join is asked of the shell model, which knows how `set -e` treats each statement:
    - `&&` when nothing in ``previous``'s last statement is reached by -e from inside
      (:attr:`Script.end_is_errexit_transparent`): a failure of the body then still fails the
      merged RUN at the same command, whatever its last list looks like;
    - `;` when -e is certainly in force at ``previous``'s last list and any failure of that list
      has made the shell exit already (:attr:`Script.failure_exits_under_errexit`): the follower
      then runs only when ``previous`` alone would have succeeded. (`set -e && a && b > f` is
      not such a body: a failing `a` ends the list with -e ignored, and `; c` would run c);
    - None otherwise.
    """
    options: set[str] = set()
    for obj, _why in previous.script.state_changes():
        if not isinstance(obj, Command) or obj.basename != "set":
            return None
        words = [w.value for w in obj.argv[1:]]
        i = 0
        while i < len(words):
            word = words[i]
            if word is None or word.startswith("+") or word == "--" or not word.startswith("-"):
                return None
            if word == "-o":
                if i + 1 >= len(words) or words[i + 1] not in _HARMLESS_SET_OPTIONS:
                    return None
                options.add(words[i + 1])  # type: ignore[arg-type]
                i += 2
                continue
            letters = set(word[1:])
            if not letters <= _HARMLESS_SET_LETTERS:
                return None
            options |= letters
            i += 1
    script = body.script
    if not script.is_and_chain or any(
        st.kind != "command" or not st.errexit_transparent for st in script.statements
    ):
        return None
    if ("u" in options or "nounset" in options) and "$" in script.text:
        return None
    if previous.script.end_is_errexit_transparent:
        return "&&"
    if previous.errexit_end and previous.script.failure_exits_under_errexit:
        return ";"
    return None


def _workdir(current: str | None, ins: Instruction) -> str | None:
    """The working directory after a WORKDIR (None: not known here, e.g. a variable in it)."""
    path = ins.value[0] if ins.value else ""
    if "$" in path or "\\" in path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(current, path)) if current else None


def _posix_shell(ins: Instruction) -> bool:
    if not ins.is_json or not ins.value:
        return False
    exe = ins.value[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return exe in _POSIX_SHELLS


def _file_text(ins: Instruction, start: int, end: int) -> str:
    rel_start = start - ins.start
    rel_end = end - ins.start
    return ins.text[rel_start:rel_end]
