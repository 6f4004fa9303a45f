from __future__ import annotations

import posixpath
from collections.abc import Iterator
from functools import partial

from ..managers import APT, APTITUDE, Cache
from ..managers.apk import INDEX as APK_INDEX
from ..managers.apt import LISTS, NEEDS_LISTS, READS_LISTS, REFRESH_LISTS
from ..syntax import Dockerfile, Instruction, Stage
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .cache_apt import AptCleanup, apt_subcommand
from .cache_runs import (
    Below,
    Later,
    Run,
    cleaned_after,
    copied,
    env_off,
    expand,
    mounted,
    removes,
)
from .cache_uses import (
    CleanupUses,
    apk_subcommand,
    apk_uses,
    cleanup_uses,
    gem_uses,
    is_yarn_berry_command,
    pip_uses,
    uv_uses,
)
from .shellquery import and_append_hazard, run_script, shell_errexit, unreadable_reason
from .textutil import continuation_indent, file_end, file_start

_SYNTAX_LINE = "# syntax=docker/dockerfile:1"
_APT_TOOLS = APT.commands | APTITUDE.commands


class CacheCleanup(Pass):
    """## What it does
    Makes each `RUN` that fills a package-manager cache leave none behind in its layer:

    | manager | fix |
    |---|---|
    | apt-get / apt | `&& rm -rf /var/lib/apt/lists/*` in the RUN that runs `apt-get update` |
    | apk | `--no-cache` on `apk add`; `apk update &&` before it is dropped |
    | pip, pip3, `python -m pip` | `--no-cache-dir` |
    | uv | `--no-cache` |
    | npm / yarn (v1) | `&& npm cache clean --force` / `&& yarn cache clean` |
    | yum / dnf / microdnf / tdnf, zypper | `&& dnf clean all` (each tool its own: microdnf keeps its cache apart), `&& zypper clean -a` |
    | composer, conda / mamba | `&& composer clear-cache`, `&& conda clean -afy` |
    | poetry, pipenv, bundler / gem | `&& rm -rf` of their download cache folders |
    | go (final stage only) | `&& go clean -cache -modcache` |
    | gem | `--no-document` (unsafe) |

    It is stage-aware for apt: when a later RUN of the stage (or of a stage built `FROM` it)
    installs with the lists an earlier RUN downloaded, that later RUN gets its own
    `apt-get update`, so both can clean up; a RUN that only runs `apt-get update` is removed
    once the RUNs after it update for themselves.

    Nothing is changed where the cache is already handled: `ENV PIP_NO_CACHE_DIR=1` (or any
    value pip accepts), an existing `rm -rf /var/lib/apt/lists/*` (any spelling), a cleanup
    command after the last use, or a `--mount=type=cache` / `type=tmpfs` on the cache folder
    (adding `--no-cache-dir` there would defeat the mount).

    With `--cache-style mount` (or `cache-style = "mount"` in the configuration) pip, uv, npm,
    yarn, pnpm, go and apt get BuildKit cache mounts instead (`RUN
    --mount=type=cache,target=/root/.cache/pip ...`), and `# syntax=docker/dockerfile:1` is added
    when the file has no syntax directive: small images *and* fast rebuilds.

    ## Why is this bad?
    Package indexes and download caches are the largest avoidable weight in real images: tens to
    hundreds of MB that nothing at run time reads. Layers are immutable, so a cache removed in a
    later `RUN` still ships; the cleanup must happen in the `RUN` that creates it (hadolint
    DL3009, DL3019, DL3042, DL3060, DL3032, DL3040, DL3036).

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    RUN pip install flask
    ```
    becomes
    ```dockerfile
    RUN apt-get update && apt-get install -y curl \\
        && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir flask
    ```

    ## Fix safety
    Safe: the build runs the same commands on the same files; only cache files differ.
    - The cleanup is appended as `&& cleanup` after the body's last statement -- never after a
      compound command (`if`, `for`, `{ }`, `( )`) while `set -e` is in force, since `&&` would
      switch errexit off inside it (a note says so). For an and-chain
      the RUN fails exactly when it did. For `a; b` or `a || b` the shell reads
      `a; (b && cleanup)` and `(a || b) && cleanup`: the status is still that of the original
      body, because the cleanup only runs when the body succeeded and cannot fail itself
      (`rm -f`, `clean`). A body that ends in a comment, runs something in the background, does
      not parse, is exec form or a heredoc is left alone (a note says why).
    - `apt-get update` given to a later RUN makes one more call; it reads the same sources
      (it is not inserted when something in between changes `/etc/apt`, nor after `||`).
      Moving a lone `RUN apt-get update` into the RUNs that need it changes only when the
      index is read.
    - Flags go right after the subcommand (`pip install --no-cache-dir`); they change only
      where downloads are kept.
    - yarn's cleanup is not applied when the context shows yarn 2+ (`.yarnrc.yml`), whose
      cache may be the project's own package store; go's only in the last stage, when no later
      RUN uses go and the image does not run go. Home-folder caches are only removed for root.
    - Nothing is cleaned in a stage another stage copies the cache folder out of.
    - Unsafe: `--no-install-recommends` (installs fewer packages), `-y` for apt-get (turns a
      build that stops at the prompt into one that goes on), `apt` -> `apt-get` (`apt` deletes
      downloaded packages itself and upgrades differently), `gem --no-document` (drops the
      gems' documentation), and the apt cache mounts of the mount style (they remove
      `docker-clean` from the image and keep `/var/lib/apt` out of it; without
      `--unsafe-fixes` apt gets the cleanup instead).
    """

    id = "cache-cleanup"
    summary = "The RUN that fills a package-manager cache leaves none behind in its layer"
    safety = Safety.SAFE
    hadolint = ("DL3009", "DL3019", "DL3042", "DL3060", "DL3032", "DL3040", "DL3036", "DL3015")

    def check(self, ctx: Context) -> Iterator[Finding]:
        return Checker(ctx, self.id).run()


class Checker:
    def __init__(self, ctx: Context, pass_id: str) -> None:
        self.ctx = ctx
        self.df: Dockerfile = ctx.dockerfile
        self.id = pass_id
        self.mount_style = ctx.options.cache_style == "mount"
        self.indent = continuation_indent(self.df)
        self.syntax_pending = self.mount_style and self.df.directive("syntax") is None
        self.apt = AptCleanup(self)
        self.berry: dict[int, bool] = {}  # stage index -> _yarn_berry

    # ---------------------------------------------------------------- driver

    def run(self) -> Iterator[Finding]:
        stages = self.df.stages()
        names = {s.name.lower(): s.index for s in stages if s.name}
        parent = self.df.stage_parents()
        runs_of: dict[int, list[Run]] = {}
        env_end: dict[int, dict[str, str]] = {}
        root_end: dict[int, bool] = {}
        for s in stages:
            env = dict(env_end.get(parent.get(s.index, -1), {}))
            root = root_end.get(parent.get(s.index, -1), True)
            runs: list[Run] = []
            errexit_shell = False
            for ins in s.instructions:
                if ins.cmd == "SHELL":
                    errexit_shell = shell_errexit(ins)
                if ins.cmd == "ENV":
                    env.update(ins.pairs())
                elif ins.cmd == "USER":
                    user = (ins.value[0] if ins.value else "").split(":", 1)[0]
                    root = user in ("root", "0")
                elif ins.cmd == "RUN":
                    runs.append(self._model(ins, dict(env), root, errexit_shell))
            runs_of[s.index], env_end[s.index], root_end[s.index] = runs, env, root
        copied_out = self._copied_out(stages, names)
        last = len(stages) - 1
        children = self.df.stage_children()
        below = Below(children, runs_of)
        inherited: dict[int, Run | None] = {}  # stage -> the last RUN of its ancestors to refresh apt's lists
        for s in stages:
            up = parent.get(s.index)
            inherited[s.index] = None if up is None else next(
                (r for r in reversed(runs_of[up]) if r.apt_updates or r.hidden_update), inherited[up])
        for s in stages:
            yield from self.apt.check(runs_of[s.index], inherited[s.index], below.any(s.index, self.apt.blocked),
                                      copied_out.get(s.index, []))
            memo: dict = {}  # answers about the stage's later RUNs, shared by its RUNs
            for i, run in enumerate(runs_of[s.index]):
                later = Later(runs_of[s.index], i + 1, partial(below.any, s.index), memo)
                yield from self._others(s, run, later, copied_out.get(s.index, []), s.index == last)

    def _copied_out(self, stages: tuple[Stage, ...], names: dict[str, int]) -> dict[int, list[str]]:
        """Per stage, the source paths other stages COPY --from it."""
        out: dict[int, list[str]] = {}
        for s in stages:
            for ins in s.instructions:
                if ins.cmd not in ("COPY", "ADD"):
                    continue
                flag = ins.flag("from")
                if flag is None or flag.value is None:
                    continue
                ref = flag.value.lower()
                index = names.get(ref, int(ref) if ref.isdigit() else None)
                if index is None:
                    continue
                sources = list(ins.value[:-1])
                out.setdefault(index, []).extend(sources)
        return out

    def _model(self, ins: Instruction, env: dict[str, str], root: bool, errexit_shell: bool) -> Run:
        mounts = []
        for flag in ins.flags_named("mount"):
            opts = dict(p.partition("=")[::2] for p in (flag.value or "").split(","))
            target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
            mounts.append((opts.get("type", "bind"), posixpath.normpath(target) if target else ""))
        script = run_script(ins)
        why = None
        if ins.sub is not None:
            why = "ONBUILD RUNs are left alone"
        else:
            why = unreadable_reason(script)
        if why is None and script is not None and script.ends_with_comment:
            why = "its body ends with a comment"
        run = Run(ins, script, why, mounts, root, env)
        if script is not None and why is None:
            run.append_hazard = and_append_hazard(script, errexit_shell)
        if script is not None:
            for cmd in script.commands:
                name = cmd.basename
                if name in _APT_TOOLS:
                    sub = apt_subcommand(cmd)
                    # `apt-get install --update` (apt >= 2.9) downloads the lists itself.
                    if sub == "update" or sub in NEEDS_LISTS and cmd.has_flag("--update"):
                        run.apt_updates.append(cmd)
                    elif sub in NEEDS_LISTS:
                        run.apt_needs.append(cmd)
                    elif sub in ("distclean", "dist-clean"):
                        run.apt_cleans.append(cmd)
                elif name in READS_LISTS:
                    run.apt_needs.append(cmd)
                elif name in REFRESH_LISTS:
                    run.hidden_update = True
                elif removes(cmd, run, LISTS.folders[0]):
                    run.apt_cleans.append(cmd)
        return run

    # ---------------------------------------------------------------- edits

    def append(self, run: Run, text: str) -> Edit:
        assert run.script is not None
        last = run.script.statements[-1]
        at = file_end(run.ins, last.end)
        return Edit(at, at, f" {self.df.escape}{self.df.newline}{self.indent}&& {text}")

    def flag(self, run: Run, logical_end: int, text: str) -> Edit:
        at = file_end(run.ins, logical_end)
        return Edit(at, at, text)

    def mount_edits(self, run: Run, targets: list[str], extra: str = "") -> list[Edit] | None:
        full = [expand(t, run) for t in targets]
        if any(t is None for t in full):
            return None
        at = run.ins.keyword_start + len(run.ins.keyword)
        flags = "".join(f" --mount=type=cache,target={t}{extra}" for t in full)
        edits = [Edit(at, at, flags)]
        if self.syntax_pending:  # on every mount fix: the first applied adds it, the rest re-run
            edits.insert(0, Edit(0, 0, _SYNTAX_LINE + self.df.newline))
        return edits

    def finding(self, run: Run, cache: Cache, what: str, edits: list[Edit] | None,
                 safety: Safety = Safety.SAFE, note: bool = False, tool: str = "") -> Finding:
        message = f"{tool or cache.key}: {what} ({cache.what}, typically {cache.weight})"
        ins = run.ins
        fix = Fix(tuple(sorted(edits)), safety) if edits else None
        return Finding(self.id, message, ins.keyword_start, ins.end, fix,
                       saving=None if note else cache.weight, note=note)

    # ---------------------------------------------------------------- the other managers

    def _others(self, stage: Stage, run: Run, later: Later, copied_paths: list[str],
                final: bool) -> Iterator[Finding]:
        if run.script is None:
            return
        script = run.script
        if run.why_not is not None:  # say which caches stay, once per manager
            found = {u.cache.key: u.cache for uses in (pip_uses(script), uv_uses(script), apk_uses(script))
                     for u in uses}
            for cache, uses, _, _ in self._cleanups(stage, run, later, final):
                if uses:
                    found.setdefault(cache.key, cache)
            for cache in found.values():
                yield self.finding(run, cache, f"left alone: {run.why_not}", None, note=True)
            return
        # Managers fixed with a flag on each use.
        for uses in (pip_uses(script), uv_uses(script), apk_uses(script)):
            uses = [u for u in uses if not env_off(run, u.cache, u.cmd) and not mounted(run, u.cache)]
            if not uses:
                continue
            cache = uses[0].cache
            if cache is APK_INDEX and any(removes(c, run, APK_INDEX.folders[0]) and c.start > uses[-1].cmd.start
                                       for c in script.commands):
                continue  # already clean: the index is removed in this RUN
            if copied(copied_paths, cache, run):
                yield self.finding(run, cache, "cache kept: another stage copies it out", None, note=True)
                continue
            if self.mount_style and cache.mount:
                edits = self.mount_edits(run, list(cache.mount))
                if edits is not None:
                    yield self.finding(run, cache, "keep the cache in a BuildKit cache mount", edits)
                    continue
            edits = [self.flag(run, u.flag_at, u.flag) for u in uses if u.flag_at is not None]
            what = f"add `{uses[0].flag.strip()}` so that the cache is not written into the layer"
            if cache is APK_INDEX:
                edits.extend(self._drop_apk_update(run))
                if len(edits) > len(uses):
                    what += "; `apk update` is dropped (`--no-cache` fetches a fresh index)"
            yield self.finding(run, cache, what, edits)
        yield from self._apk_update_only(run, later)
        gems = gem_uses(script)
        if gems:
            yield self.finding(run, gems[0].cache, "add `--no-document` (unsafe: the gems' documentation is "
                               "no longer installed; official ruby images already default to it)",
                               [self.flag(run, u.flag_at, u.flag) for u in gems if u.flag_at is not None],
                               Safety.UNSAFE)
        # Managers fixed with a cleanup command at the end of the RUN.
        for cache, uses, cleanup, is_cleanup in self._cleanups(stage, run, later, final):
            if not uses:
                continue
            tool = uses[0].tool or cache.key
            last = max(u.cmd.start for u in uses)
            if mounted(run, cache) or any(env_off(run, cache, u.cmd) for u in uses) \
                    or cleaned_after(run, last, cache, is_cleanup):
                continue
            if copied(copied_paths, cache, run):
                yield self.finding(run, cache, "cache kept: another stage copies it out", None,
                                   note=True, tool=tool)
                continue
            if isinstance(cleanup, str) and cleanup.startswith("note:"):
                yield self.finding(run, cache, cleanup[5:].strip(), None, note=True, tool=tool)
                continue
            if self.mount_style and cache.mount:
                edits = self.mount_edits(run, list(cache.mount))
                if edits is not None:
                    yield self.finding(run, cache, "keep the cache in a BuildKit cache mount", edits, tool=tool)
                    continue
            if cleanup is None:
                continue
            if run.append_hazard:
                yield self.finding(run, cache, f"left alone: {run.append_hazard}", None, note=True,
                                   tool=tool)
                continue
            yield self.finding(run, cache, f"add `{cleanup}` in the RUN that fills the cache",
                               [self.append(run, cleanup)], tool=tool)

    def _cleanups(self, stage: Stage, run: Run, later: Later, final: bool) -> Iterator[CleanupUses]:
        return cleanup_uses(stage, run, later, final, self.mount_style, lambda: self._yarn_berry(stage))

    def _yarn_berry(self, stage: Stage) -> bool:
        known = self.berry.get(stage.index)
        if known is None:  # asked for every RUN that runs yarn: read the stage once
            known = self.berry[stage.index] = self._reads_yarn_berry(stage)
        return known

    def _reads_yarn_berry(self, stage: Stage) -> bool:
        for ins in stage.instructions:
            script = run_script(ins) if ins.cmd == "RUN" else None
            if script is not None and (script.commands_named("corepack")
                                       or any(is_yarn_berry_command(c) for c in script.commands)):
                return True
            if ins.cmd in ("COPY", "ADD") and any(".yarnrc.yml" in v or v.endswith(".yarn") for v in ins.value[:-1]):
                return True
        view = self.ctx.view()
        return view is not None and view.exists(".yarnrc.yml")

    def _drop_apk_update(self, run: Run) -> list[Edit]:
        """Edits removing a top-level ``apk update &&`` that only fed the adds now given --no-cache."""
        script = run.script
        assert script is not None
        out = []
        statements = script.statements
        for k, st in enumerate(statements):
            if st.kind != "command" or len(st.commands) != 1 or st.separator != "&&":
                continue
            cmd = st.commands[0]
            if apk_subcommand(cmd) != "update" or cmd.assignments:
                continue
            if k > 0 and statements[k - 1].separator not in ("&&", ";", "\n"):
                continue
            later_apk = [c for c in script.commands_named("apk") if c.start > cmd.start]
            if not later_apk or any(apk_subcommand(c) not in ("add", "upgrade", "del") for c in later_apk):
                continue
            s = file_start(run.ins, st.start)
            e = file_start(run.ins, statements[k + 1].start)
            out.append(Edit(s, e, ""))
        return out

    def _apk_update_only(self, run: Run, later: Later) -> Iterator[Finding]:
        """A RUN that only runs ``apk update`` ships the index; later adds fetch their own."""
        script = run.script
        assert script is not None
        if run.ins.flags or not script.statements:
            return
        for st in script.statements:
            cmd = st.commands[0] if len(st.commands) == 1 and st.kind == "command" else None
            if cmd is None or apk_subcommand(cmd) != "update":
                return
        if later.any(_apk_needs_index):
            return
        yield Finding(self.id, "apk: this RUN only downloads the package index, which then ships in its "
                      "layer; `apk add` fetches the index itself (with `--no-cache`, keeping none), so it is "
                      f"removed ({APK_INDEX.what}, typically {APK_INDEX.weight})",
                      run.ins.keyword_start, run.ins.end,
                      Fix((Edit(run.ins.start, run.ins.end, ""),), Safety.SAFE), saving=APK_INDEX.weight)



def _apk_needs_index(r: Run) -> bool:
    """A later RUN whose apk call would read the index an `apk update` RUN left (not one that
    fetches its own: add, upgrade, del, update)."""
    if r.script is None or r.script.opaque:
        return r.script is None and r.ins.is_json and any("apk" in v for v in r.ins.value)
    return any(apk_subcommand(c) not in ("add", "upgrade", "del", "update")
               for c in r.script.commands_named("apk"))
