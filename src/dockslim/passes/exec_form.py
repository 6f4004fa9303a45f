from __future__ import annotations

import json
from collections.abc import Iterator

from .._records import dataclass
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.parser import ParseError
from ..syntax.shell import Script
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .shellquery import parse_body

DEFAULT_SHELL = ("/bin/sh", "-c")
# Names the shell runs itself (POSIX special and regular builtins, bash's and dash's own): in exec
# form the kernel would look for a program of that name -- none for `cd` or `export`, another
# program for `echo`, `printf`, `test`, `kill` (dash's `echo` interprets backslashes, coreutils'
# does not).
SHELL_BUILTINS = frozenset({
    ":", ".", "[", "[[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
    "compgen", "complete", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec",
    "exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill",
    "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray",
    "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test", "time", "times",
    "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
})
# Builtins that also exist as programs in every image that has a /bin/sh (coreutils, busybox) and
# behave alike there: `echo` as long as no argument is an option or holds a backslash (dash's echo
# interprets `\n`, coreutils' does not).
_SAME_AS_PROGRAM = frozenset({"echo", "true", "false"})
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh"})
_SHELL_OPTIONS = frozenset({"errexit", "nounset", "pipefail"})
# Words in an image reference that mean a Windows base (cmd or PowerShell, not /bin/sh).
_WINDOWS_MARKS = ("windows", "nanoserver", "servercore", "ltsc20")


@dataclass(frozen=True)
class StageFacts:
    """What a stage's image config holds when it ends, as far as this file tells."""

    shell: tuple[str, ...] | None  # None: not set in this file (the base image's, usually /bin/sh -c)
    windows: bool
    entrypoint: Instruction | None  # the ENTRYPOINT in effect (set here or in an ancestor stage)
    sets_cmd: bool  # a CMD in this stage
    from_scratch: bool  # the chain of stages starts at `scratch`: no base image config at all


def _skipped_checks(df: Dockerfile) -> frozenset[str]:
    """Build checks the file switches off: ``# check=skip=JSONArgsRecommended,...``."""
    directive = df.directive("check")
    if directive is None:
        return frozenset()
    out: set[str] = set()
    for part in directive.value.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "skip":
            out |= {v.strip().lower() for v in value.split(",") if v.strip()}
    return frozenset(out)


def _is_windows_ref(image: str) -> bool:
    lower = image.lower()
    return any(mark in lower for mark in _WINDOWS_MARKS)


def _posix_c(shell: tuple[str, ...]) -> str | None:
    """None when ``shell`` is a POSIX shell that runs its last argument as ``sh -c`` does (options
    limited to errexit/nounset/pipefail), else why it may do more (a login shell reads profiles)."""
    if not shell or shell[0].rstrip("/").rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return f"the SHELL {json.dumps(list(shell))} is not a POSIX shell this pass models"
    args = list(shell[1:])
    if not args or not args[-1].startswith("-") or not args[-1].endswith("c"):
        return f"the SHELL {json.dumps(list(shell))} does not end in -c"
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-o" and i + 1 < len(args) and args[i + 1] in _SHELL_OPTIONS:
            i += 2
            continue
        if arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) <= set("euc"):
            i += 1
            continue
        return f"the SHELL option `{arg}` may change what the command sees (profiles, tracing)"
    return None


def stage_facts(df: Dockerfile) -> dict[int, StageFacts]:
    """Per stage index: shell, platform and ENTRYPOINT/CMD facts, inherited along `FROM <stage>`."""
    facts: dict[int, StageFacts] = {}
    parents = df.stage_parents()
    for stage in df.stages():
        parent = parents.get(stage.index)
        inherited = facts.get(parent) if parent is not None else None
        if inherited is not None:
            shell, windows, entrypoint = inherited.shell, inherited.windows, inherited.entrypoint
            scratch = inherited.from_scratch
        else:
            shell, windows, entrypoint = None, _is_windows_ref(stage.base), None
            scratch = stage.base == "scratch"
        sets_cmd = False
        for ins in stage.instructions:
            if ins.cmd == "SHELL" and ins.is_json and ins.value:
                shell = tuple(ins.value)
            elif ins.cmd == "ENTRYPOINT":
                entrypoint = ins
            elif ins.cmd == "CMD":
                sets_cmd = True
        facts[stage.index] = StageFacts(shell, windows, entrypoint, sets_cmd, scratch)
    return facts


def _shell_at(stage: Stage, facts: dict[int, StageFacts], df: Dockerfile, ins: Instruction) -> \
        tuple[str, ...] | None:
    """The SHELL in effect at ``ins``: the last SHELL before it in the stage, else the inherited one."""
    shell = None
    for other in stage.instructions:
        if other is ins:
            break
        if other.cmd == "SHELL" and other.is_json and other.value:
            shell = tuple(other.value)
    if shell is not None:
        return shell
    parent = df.stage_parents().get(stage.index)
    return facts[parent].shell if parent is not None else None


def exec_argv(script: Script) -> tuple[list[str] | None, str]:
    """The argv a `/bin/sh -c` of this body would run, when it is one plain command: no expansion,
    glob, operator, redirection, assignment, comment or builtin. Else (None, why not)."""
    if script.text.lstrip().startswith("["):
        return None, ("it starts like a JSON array but is not valid JSON, so Docker runs it as a shell "
                      "command line: fix the JSON (double quotes, commas)")
    if script.opaque:
        return None, f"its command line cannot be analysed ({script.opaque_reason})"
    if script.comments:
        return None, "its command line has a comment"
    if len(script.statements) != 1:
        return None, "its command line has shell operators (`&&`, `;`, `|`, ...)"
    statement = script.statements[0]
    main = [c for c in script.commands if not c.context]
    if statement.kind != "command" or statement.separator is not None or len(main) != 1:
        return None, "its command line uses shell syntax beyond one command"
    command = main[0]
    for word in command.argv:
        if word.value is None:
            return None, f"`{word.text}` is expanded by the shell"
    if len(script.commands) != 1:  # pragma: no cover - nested commands sit in expansions
        return None, "its command line runs more than one command"
    if command.assignments:
        return None, "it sets variables before the command (`A=1 cmd`)"
    if command.redirects:
        return None, "it redirects input or output"
    words = list(command.argv)
    if words and words[0].value == "exec":  # `exec cmd`: the shell already replaced itself
        words = words[1:]
        if not words or (words[0].value or "-").startswith("-"):
            return None, "`exec` without a plain command"
    for word in words:
        if word.value is None:
            return None, f"`{word.text}` is expanded by the shell"
        if word.glob:
            return None, f"`{word.text}` is a glob the shell expands"
    if not words or not words[0].value:
        return None, "it names no command"
    name = words[0].value
    plain_echo = not any(w.value.startswith("-") or "\\" in w.value for w in words[1:] if w.value)
    if "/" not in name and name in SHELL_BUILTINS and not (name in _SAME_AS_PROGRAM and plain_echo):
        return None, f"`{name}` is a shell builtin"
    return [w.value for w in words if w.value is not None], ""


def json_form(argv: list[str] | tuple[str, ...], keyword: str, escape: str) -> str | None:
    """The JSON array BuildKit reads back as exactly ``argv`` (verified by parsing it), or None."""
    from ..syntax import parse

    text = json.dumps(list(argv), ensure_ascii=False)
    probe = f"# escape={escape}\nFROM scratch\n{keyword} {text}\n"
    try:
        parsed = parse(probe).instructions[-1]
    except ParseError:  # pragma: no cover - json.dumps output always parses
        return None
    if not parsed.is_json or tuple(parsed.value) != tuple(argv) or "\n" in text:
        return None
    return text


class ExecForm(Pass):
    """## What it does
    Rewrites a shell-form `CMD` or `ENTRYPOINT` whose command line is one plain command to the JSON
    (exec) form: `CMD python app.py` becomes `CMD ["python", "app.py"]`, and `CMD exec python
    app.py` the same (the shell's `exec` is what exec form does). A command line that needs a shell
    -- expansions (`$PORT`, `~`), globs, `&&`/`;`/`|`, redirections, `VAR=1 cmd`, a comment, a shell
    builtin (`cd`, `export`, `echo -e` ...) -- gets a note instead; with the setting `exec-form-wrap`
    it is written as the explicit shell call Docker makes, `CMD ["/bin/sh", "-c", "..."]` (the
    stage's `SHELL` when it sets one).

    ## Why is this bad?
    In shell form Docker runs `/bin/sh -c "python app.py"`: the shell is PID 1 and the program its
    child. `docker stop` sends SIGTERM to the shell, which does not pass it on; after ten seconds
    the container is killed, so the application never shuts down cleanly (no connections drained,
    no buffers flushed). In exec form the program is PID 1 and receives the signals itself
    (hadolint DL3025, Docker build check JSONArgsRecommended). An explicit `["/bin/sh", "-c", ...]`
    at least says that the shell is wanted.

    ## Example
    ```dockerfile
    ENTRYPOINT ./run.sh
    CMD exec gunicorn app:app -b 0.0.0.0:8000
    ```
    becomes (the ENTRYPOINT only shown, see below; the CMD with `--unsafe-fixes`)
    ```dockerfile
    ENTRYPOINT ./run.sh
    CMD ["gunicorn", "app:app", "-b", "0.0.0.0:8000"]
    ```

    ## Fix safety
    Unsafe: the difference is the point, and it changes how the container runs (never the build).
    - The program becomes PID 1 and receives SIGTERM/SIGINT/SIGHUP; a program that handles them now
      acts on them (that is the intent), and it must reap child processes that no shell reaps.
    - No shell runs at all: nothing is expanded any more (this pass only converts command lines
      with nothing to expand), and a script without a `#!` line, which `sh` ran as a shell script,
      now fails with "exec format error".
    - `ENTRYPOINT` in shell form ignores `CMD` and `docker run` arguments; in exec form it receives
      them. When a `CMD` is in effect for it (in its stage, before or after it, or in a stage built
      `FROM` it) the fix would start passing that `CMD` to the program, so it is display-only: move
      or drop the `CMD` first. Arguments given to `docker run` reach the program too.
    - A `CMD` is the argument list of an `ENTRYPOINT` when one is in effect (a base image's
      included, e.g. `docker-entrypoint.sh`): it then receives `python app.py` instead of
      `/bin/sh -c "python app.py"`, and entrypoint scripts that look at their first argument may
      choose another branch.
    - `ONBUILD CMD`/`ONBUILD ENTRYPOINT` act in images built from this one, whose `CMD` dockslim
      cannot see: an `ONBUILD ENTRYPOINT` is display-only.
    - A `SHELL` other than a POSIX shell with `-c` (PowerShell, `cmd`, `bash -l` reading profiles)
      and Windows bases (`cmd /S /C` by default) are left alone with a note: the shell model is
      POSIX sh's. A file whose `# check=skip=` directive turns off JSONArgsRecommended is left alone.

    The `exec-form-wrap` rewrite writes the exact `Cmd`/`Entrypoint` Docker would record for the
    shell form, so it is safe when the shell in effect is known from the file (a `SHELL` instruction,
    or a chain of stages from `scratch`) and unsafe otherwise: a base image may set a shell of its own.
    """

    id = "exec-form"
    hadolint = ("DL3025",)
    summary = "Shell-form CMD/ENTRYPOINT with one plain command becomes JSON (exec) form"
    safety = Safety.UNSAFE
    hadolint = ("DL3025",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        df = ctx.dockerfile
        skipped = _skipped_checks(df)
        if "jsonargsrecommended" in skipped or "all" in skipped:
            return
        facts = stage_facts(df)
        children = df.stage_children()
        for stage in df.stages():
            for ins in stage.instructions:
                target = ins.effective
                if target.cmd not in ("CMD", "ENTRYPOINT") or target.is_json or not target.value:
                    continue
                finding = self._finding(ctx, df, stage, ins, facts, children)
                if finding is not None:
                    yield finding

    def _finding(self, ctx: Context, df: Dockerfile, stage: Stage, ins: Instruction,
                 facts: dict[int, StageFacts], children: dict[int, list[int]]) -> Finding | None:
        target = ins.effective
        keyword = target.cmd
        start = target.keyword_start
        args_start, args_end = target.args_file_span()
        where = (start, max(args_end, start + len(target.keyword)))
        shell = _shell_at(stage, facts, df, ins) if ins.sub is None else None
        windows = facts[stage.index].windows
        cmdline = " ".join(target.value)

        def note(why: str) -> Finding:
            return Finding(self.id, f"{keyword} in shell form runs under a shell that does not pass on "
                           f"signals; not rewritten: {why}", *where, note=True)

        if windows and shell is None:
            return note("the base image is a Windows image (cmd or PowerShell, not /bin/sh)")
        shell_problem = _posix_c(shell) if shell is not None else None
        script = parse_body(cmdline)
        argv, why = exec_argv(script)
        if argv is None or shell_problem is not None:
            wrap = self._wrap(ctx, keyword, shell, facts[stage.index], ins, df, why or shell_problem or "",
                              where, (args_start, args_end))
            return wrap if wrap is not None else note(shell_problem or why)
        if self._splits_comments(df, target, args_start, args_end):
            return note("comment lines inside the instruction would be lost")
        text = json_form(argv, keyword, df.escape)
        if text is None:
            return note("its JSON form would not read back as the same arguments")
        shown = f"`{keyword} {text}`"
        safety = Safety.UNSAFE
        consequences = "the program becomes PID 1 and receives stop signals; no shell runs"
        if keyword == "ENTRYPOINT":
            cmd_stage = self._cmd_in_effect(df, stage, facts, children)
            if ins.sub is not None:
                safety = Safety.DISPLAY
                consequences += ("; exec form would pass the CMD of every image built from this one to "
                                 "the program, which dockslim cannot see (display only)")
            elif cmd_stage is not None:
                safety = Safety.DISPLAY
                consequences += (f"; exec form would pass the CMD of {cmd_stage} to the program as "
                                 "arguments, which shell form ignores (display only: move or drop that "
                                 "CMD first)")
            else:
                consequences += "; arguments given to `docker run` now reach it"
        else:
            entry = facts[stage.index].entrypoint
            if ins.sub is not None:
                consequences += "; an ENTRYPOINT of an image built from this one receives these arguments"
            elif entry is not None and entry.is_json:
                consequences += (f"; the ENTRYPOINT on line {entry.start_line} receives {json.dumps(argv)} "
                                 f"instead of [\"/bin/sh\", \"-c\", {json.dumps(cmdline)}]")
            elif entry is None and not facts[stage.index].from_scratch:
                consequences += "; a base image's ENTRYPOINT, if it has one, receives these arguments"
        message = f"{keyword} in shell form runs under a shell that does not pass on signals: use {shown} " \
                  f"({consequences})"
        fix = Fix((Edit(args_start, args_end, text),), safety)
        return Finding(self.id, message, *where, fix)

    @staticmethod
    def _splits_comments(df: Dockerfile, ins: Instruction, start: int, end: int) -> bool:
        """Comment or blank lines sit inside the arguments' span (BuildKit skips them)."""
        if len(ins.source_map.segments) == 1:
            return False
        for line in df.source[start:end].splitlines()[1:]:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                return True
        return False

    @staticmethod
    def _cmd_in_effect(df: Dockerfile, stage: Stage, facts: dict[int, StageFacts],
                       children: dict[int, list[int]]) -> str | None:
        """Where a CMD that this ENTRYPOINT would receive is set: this stage (a CMD before or after
        it), or a stage built `FROM` it that sets a CMD and keeps this ENTRYPOINT."""
        if facts[stage.index].sets_cmd:
            return "this stage"
        todo = list(children.get(stage.index, ()))
        stages = df.stages()
        while todo:
            index = todo.pop()
            child = stages[index]
            if any(i.cmd == "ENTRYPOINT" for i in child.instructions):
                continue  # its own ENTRYPOINT replaces this one
            if facts[index].sets_cmd:
                return f"the stage on line {child.from_.start_line}"
            todo.extend(children.get(index, ()))
        return None

    def _wrap(self, ctx: Context, keyword: str, shell: tuple[str, ...] | None, facts: StageFacts,
              ins: Instruction, df: Dockerfile, why: str, where: tuple[int, int],
              span: tuple[int, int]) -> Finding | None:
        """With `exec-form-wrap`: the explicit shell call Docker records for the shell form."""
        if not ctx.options.exec_form_wrap or ins.sub is not None:
            return None
        target = ins.effective
        if self._splits_comments(df, target, *span):
            return None
        known = shell is not None or facts.from_scratch
        argv = list(shell if shell is not None else DEFAULT_SHELL) + [" ".join(target.value)]
        text = json_form(argv, keyword, df.escape)
        if text is None:
            return None
        safety = Safety.SAFE if known else Safety.UNSAFE
        reason = "the same command Docker records for the shell form" if known else \
            "assumes the base image sets no SHELL of its own"
        return Finding(self.id, f"{keyword} in shell form ({why}): write the shell call explicitly, "
                       f"`{keyword} {text}` ({reason})", *where, Fix((Edit(*span, text),), safety))
