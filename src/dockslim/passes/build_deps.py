from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import ClassVar

from ..managers import (
    APK,
    APT,
    Family,
    PackageInstall,
    package_installs,
    package_removals,
)
from ..managers.build import (
    ARTEFACT_ROOTS,
    HEADERS_WEIGHT,
    SHELL_BUILTINS,
    expected_saving,
    kept_runtimes,
    runs_a_script,
    toolchain_use,
)
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.shell import Command, Script, parse_shell
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .merge_runs import MergeRuns
from .shellquery import and_append_hazard, run_script, shell_errexit, unreadable_reason
from .textutil import continuation_indent, file_end, file_start

# docker-library's Debian idiom (python/3.12/slim-bookworm, redis/7.0/debian, ruby, php): the
# shared libraries the built files link to, as `dpkg-query --search` patterns, marked manual.
_LDD_AWK = ("awk '/=>/ { so = $(NF-1); if (index(so, \"/usr/local/\") == 1) { next }; "
            "gsub(\"^/(usr/)?\", \"\", so); printf \"*%s\\n\", so }'")
_DPKG_AWK = "awk 'sub(\":$\", \"\", $1) { print $1 }'"
# docker-library's Alpine idiom (python/3.12/alpine3.23): the sonames the built files need, as
# `so:` dependencies, except those the build put in /usr/local/lib itself.
_SCANELF_AWK = "awk 'system(\"[ -e /usr/local/lib/\" $1 \" ]\") == 0 { next } { print \"so:\" $1 }'"
_MULTI_STAGE = ("go", "cargo")
# Official compiler images and the tool that compiles in them (https://hub.docker.com/_/golang,
# https://hub.docker.com/_/rust: both recommend a multi-stage build for the binary).
TOOLCHAIN_IMAGES = {"golang": "go", "rust": "cargo"}
_RUNTIME = ("CMD", "ENTRYPOINT", "HEALTHCHECK")
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})


class BuildDeps(Pass):
    """## What it does
    Purges compilers, build tools and `-dev` headers in the `RUN` that installed them and built
    with them, the way docker-library's official images do (python, ruby, php, redis):

    - apt: `savedAptMark="$(apt-mark showmanual)"` before the install; after the build,
      `apt-mark auto '.*'`, the saved marks restored, the packages the RUN named that are not
      build packages marked manual, the shared libraries the built files link to (`ldd` over
      the files in `/usr/local`, `/opt`, `~/.local`, the WORKDIR and a virtualenv, mapped to
      packages with `dpkg-query --search`) marked manual, so are the packages of the programs
      later instructions, CMD, ENTRYPOINT and HEALTHCHECK run (`command -v` -> `dpkg-query
      --search`: `perl` came in with `dpkg-dev`, `python3` with `python3-dev`), then
      `apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false`.
    - apk: the build packages go to `apk add --virtual .build-deps` (with `pax-utils` for
      `scanelf`); after the build, the sonames the built files need are added as
      `apk add --no-network --virtual .run-deps so:...`, then `apk del --no-network .build-deps`.

    Which packages are build-only is the package model's answer (`build-essential`, `gcc`,
    `make`, `cmake`, `pkg-config` ..., and every `-dev`/`-devel` package); which commands build
    is data too (`gcc`, `make`, `./configure`, `pip install`, `gem install`, `npm install`,
    `go build` ...). When the build runs in later RUNs with only RUNs in between, they are first
    joined the way `merge-runs` joins them (only where that merge is safe).

    It leaves the stage alone, with a note, when the toolchain could still be needed or the
    rewrite cannot be made: a CMD/ENTRYPOINT or a stage built `FROM` this one runs a compiler or
    an installer that builds; another instruction (`COPY`, `ENV`, `WORKDIR` ...) stands between
    the install and the build; the shell cannot be analysed; a package list is not literal; or
    a later RUN removes them (which saves nothing: they still ship in the install's layer). A RUN
    that already purges is left alone silently, and so are builder stages (stages other stages
    only `COPY --from` or mount: what they install does not ship). It also notes where a multi-stage build would do better:
    a Go or Rust binary built and run in one image (a final stage `FROM golang`/`FROM rust`
    included), a virtualenv built with compilers.

    ## Why is this bad?
    A toolchain used once to build ships in every later layer: `build-essential` alone is
    ~230 MB installed on Debian bookworm, and `-dev` packages pull more. Removing it in a later
    RUN saves nothing, since layers are immutable: the purge must happen in the RUN that installed
    it.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends gcc python3-dev python3-pip \\
        && pip install --break-system-packages psutil
    ```
    becomes
    ```dockerfile
    RUN savedAptMark="$(apt-mark showmanual)" && savedAptAuto="$(apt-mark showauto)" \\
        && apt-get update && apt-get install -y --no-install-recommends gcc python3-dev python3-pip \\
        && pip install --break-system-packages psutil \\
        && apt-mark auto '.*' > /dev/null \\
        && { [ -z "$savedAptMark$savedAptAuto" ] || apt-mark manual $savedAptMark $savedAptAuto > /dev/null; } \\
        && apt-mark manual python3 python3-pip > /dev/null \\
        && { { find /usr/local /opt /root/.local -type f \\( -perm /111 -o -name '*.so*' \\) -exec ldd '{}' ';' 2>/dev/null || true; } \\
            | awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\\n", so }' \\
            | sort -u | { xargs -r dpkg-query --search 2>/dev/null || true; } \\
            | awk 'sub(":$", "", $1) { print $1 }' | sort -u | xargs -r apt-mark manual > /dev/null; } \\
        && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false \\
        && { [ -z "$savedAptAuto" ] || apt-mark auto $savedAptAuto > /dev/null; }
    ```
    (`savedAptAuto` goes beyond docker-library's idiom: packages installed before the RUN keep
    their auto/manual marks and are never purged.) The idioms are docker-library's:
    https://github.com/docker-library/python/blob/master/3.12/slim-bookworm/Dockerfile (apt),
    https://github.com/docker-library/python/blob/master/3.12/alpine3.23/Dockerfile (apk),
    https://github.com/docker-library/redis/blob/master/7.0/debian/Dockerfile
    (`[ -z "$savedAptMark" ] || apt-mark manual $savedAptMark`).

    ## Fix safety
    Unsafe: it removes packages. Everything installed before the RUN is kept (its marks are
    saved and restored), so only what the RUN itself installed can go: the build packages and
    what only they needed. Recommended packages are only given up
    (`APT::AutoRemove::RecommendsImportant=false`) when every install of the RUN passed
    `--no-install-recommends`, i.e. when the RUN installed none. Kept as well: the packages
    the RUN names that are not build packages, the interpreter a `-dev` package brought
    (`python3` for `python3-dev`), the libraries the built files link to, and (apt) the
    packages of the programs later instructions run. What the image could still miss: a
    compiler used at run time by something the pass cannot see (a script, `./start.sh`), a
    library loaded without being linked (`dlopen`, plugins), a program run only from a script,
    or, on apk, a program a `-dev` package pulled in. Build the result and run it (the
    benchmark in docs/benchmarks.md does both). Joining an install RUN with the RUNs that build
    is merge-runs' safe join; it is offered here as part of the unsafe rewrite.
    """

    id = "build-deps"
    summary = "Compilers and -dev headers are purged in the RUN that installed them and built with them"
    safety = Safety.UNSAFE
    hadolint: ClassVar[tuple[str, ...]] = ()  # no hadolint rule covers build dependencies

    def check(self, ctx: Context) -> Iterator[Finding]:
        return _Checker(ctx, self.id).run()


class _Checker:
    def __init__(self, ctx: Context, pass_id: str) -> None:
        self.ctx = ctx
        self.df: Dockerfile = ctx.dockerfile
        self.id = pass_id
        self.indent = continuation_indent(self.df)
        self._merges: list[Finding] | None = None

    def run(self) -> Iterator[Finding]:
        stages = self.df.stages()
        copied_from = self._copied_from(stages)
        parent = self.df.stage_parents()
        children = {p: [stages[c] for c in cs] for p, cs in self.df.stage_children().items()}
        # What ships: the last stage, any stage nothing else uses (another possible --target), and
        # the stages they are built FROM. The rest are builders: only what is copied out ships.
        shipped: set[int] = set()
        for stage in stages:
            if stage.index == len(stages) - 1 or (stage.index not in copied_from
                                                   and stage.index not in children):
                walk: int | None = stage.index
                while walk is not None and walk not in shipped:
                    shipped.add(walk)
                    walk = parent.get(walk)
        for stage in stages:
            if stage.index not in shipped:
                continue
            yield from self._stage(stage, children.get(stage.index, []), stage.index == len(stages) - 1)

    @staticmethod
    def _copied_from(stages: tuple[Stage, ...]) -> set[int]:
        """The stages that others `COPY --from` or mount (`RUN --mount=from=`)."""
        names = {s.name.lower(): s.index for s in stages if s.name}
        out: set[int] = set()
        for s in stages:
            for ins in s.instructions:
                refs = [f.value for f in ins.flags_named("from")]
                for mount in ins.flags_named("mount"):
                    opts = dict(p.partition("=")[::2] for p in (mount.value or "").split(","))
                    refs.append(opts.get("from"))
                for ref in refs:
                    if ref is None:
                        continue
                    ref = ref.lower()
                    index = names.get(ref, int(ref) if ref.isdigit() else None)
                    if index is not None:
                        out.add(index)
        return out

    # ------------------------------------------------------------ the stage

    def _stage(self, stage: Stage, children: list[Stage], final: bool) -> Iterator[Finding]:
        instrs = stage.instructions
        first = None
        for k, ins in enumerate(instrs):
            script = run_script(ins) if ins.cmd == "RUN" else None
            if script is None:
                continue
            installs = [p for p in package_installs(script) if p.build]
            if installs:
                first = (k, ins, script, installs)
                break
        if first is None:
            if final:
                yield from self._toolchain_image(stage)
            return
        k0, ins0, script0, installs = first
        family = installs[0].invocation.family
        build = sorted({name for p in installs for name in p.build})
        what = ", ".join(build)
        already = self._already_purged(instrs, build, installs, ins0)
        if already is not None:
            where, line = already
            if line != ins0.start_line:  # removed in another layer: they still ship in this one
                yield self._note(ins0, f"{what}: removed by {where} on line {line}, another RUN, which saves "
                                 "nothing (layers are immutable: they still ship in this RUN's layer); install, "
                                 "build and remove them in one RUN")
            return
        if family not in (APT, APK):
            yield self._note(ins0, f"{what}: the build packages stay; only apt and apk installs are "
                             f"rewritten ({installs[0].invocation.tool} is not yet)")
            return
        if any(p.invocation.family is not family for p in installs):
            yield self._note(ins0, f"{what}: installed with more than one package manager; left alone")
            return
        # The RUNs that use the toolchain: the commands after the install in its RUN, later RUNs.
        install_at = installs[0].invocation.cmd.start
        last = None
        uses: list[str] = []
        for k in range(k0, len(instrs)):
            ins = instrs[k]
            if ins.cmd != "RUN":
                continue
            found = self._uses(ins, install_at if k == k0 else -1)
            if found:
                last = k
                uses.extend(u for u in found if u not in uses)
        if last is None:
            if expected_saving(build) == HEADERS_WEIGHT:
                return  # headers installed for their libraries, likely: nothing worth a note
            yield self._note(ins0, f"{what}: installed, but nothing in this stage is seen building with "
                             "them (they may be wanted at run time); left alone")
            return
        # Whatever runs after the stage's build must not need the toolchain.
        for ins in instrs:
            if ins.cmd in _RUNTIME:
                runtime = self._uses_words(ins)
                if runtime:
                    yield self._note(ins, f"{what}: left installed, the image runs {runtime[0]} at start "
                                     f"({ins.cmd} on line {ins.start_line}), which may need them")
                    return
        for child in children:
            for ins in child.instructions:
                found = self._uses(ins, -1) if ins.cmd == "RUN" else self._uses_words(ins) \
                    if ins.cmd in _RUNTIME else []
                if found:
                    yield self._note(ins0, f"{what}: left installed, stage `{child.name or child.index}` "
                                     f"is built from this one and runs {found[0]} (line {ins.start_line})")
                    return
        if final and any(u.split()[0].strip("`") in _MULTI_STAGE for u in uses):
            yield self._note(ins0, "a binary is compiled and shipped in this image: a multi-stage build "
                             "(a builder stage FROM the toolchain image, a final stage FROM a slim base of the "
                             "same family, `COPY --from=builder` of the binary only) would leave the whole "
                             "toolchain out")
        group = instrs[k0:last + 1]
        if final and self._makes_venv(group):
            yield self._note(ins0, "a virtualenv is built with compilers in the image that runs it: a multi-stage "
                             "build (build the venv in a builder stage, `COPY --from=builder` the venv folder into "
                             "a final stage FROM the same Python image) ships neither compilers nor headers")
        between = [i for i in group if i.cmd != "RUN"]
        if between:
            ins = between[0]
            yield self._note(ins0, f"{what}: the build (line {instrs[last].start_line}) is not in the RUN that "
                             f"installs them, and `{ins.keyword}` on line {ins.start_line} stands between: they "
                             "cannot be one RUN without changing order; install, build and purge in one RUN (e.g. move the "
                             f"`{ins.keyword}` above the install when the install does not touch what it brings)")
            return
        if len(group) > 1:
            yield from self._merge(group, what)
            return
        later = self._later_commands(instrs[last + 1:], stage.instructions, children)
        yield from self._rewrite(stage, k0, ins0, script0, installs, build, family, later)

    def _already_purged(self, instrs: tuple[Instruction, ...], build: list[str],
                        installs: list[PackageInstall], install_run: Instruction) -> tuple[str, int] | None:
        """The command of the stage that already removes the build packages, and its line: one that
        names them, or an autoremove (`--auto-remove`, `apt-mark auto`) in the RUN that installs them."""
        virtuals = {p.virtual for p in installs if p.virtual}
        for ins in instrs:
            script = run_script(ins) if ins.cmd == "RUN" else None
            if script is None:
                continue
            for inv in package_removals(script):
                names = {w.value for w in inv.packages()}
                if names & (set(build) | virtuals) or ins is install_run and inv.has_flag("--auto-remove",
                                                                                         "--autoremove"):
                    return f"`{inv.tool} {inv.subcommand}`", ins.start_line
            for cmd in script.commands_named("apt-mark"):
                if ins is install_run and "auto" in cmd.args():
                    return "`apt-mark auto`", ins.start_line
        return None

    # ------------------------------------------------------------ who uses the toolchain

    def _uses(self, ins: Instruction, after: int) -> list[str]:
        script = run_script(ins)
        if script is None:
            return self._uses_words(ins)
        out = []
        for cmd in script.commands:
            if cmd.start <= after:
                continue
            use = toolchain_use(cmd) or runs_a_script(cmd)
            if use is not None and use not in out:
                out.append(use)
        return out

    def _uses_words(self, ins: Instruction) -> list[str]:
        """What an exec-form instruction or a CMD/ENTRYPOINT runs that may need the toolchain."""
        out = []
        for cmd in self._commands(ins):
            use = toolchain_use(cmd)
            if use is not None and use not in out:
                out.append(use)
        return out

    def _toolchain_image(self, stage: Stage) -> Iterator[Finding]:
        """A final stage FROM a compiler image (golang, rust) that compiles its binary: note the
        multi-stage build that ships the binary without the compiler image."""
        image = stage.base.lower().rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
        if image not in TOOLCHAIN_IMAGES:
            return
        for ins in stage.instructions:
            if ins.cmd != "RUN":
                continue
            for use in self._uses(ins, -1):
                if use.strip("`").split()[0] == TOOLCHAIN_IMAGES[image]:
                    yield self._note(stage.from_, f"the image ships the whole `{image}` toolchain to run what "
                                     f"{use} (line {ins.start_line}) compiled: a multi-stage build (this stage "
                                     "`AS builder`, then a final stage FROM a slim base, e.g. debian:bookworm-slim, "
                                     "with `COPY --from=builder` of the binary and the files it reads) leaves it out")
                    return

    @staticmethod
    def _makes_venv(group: tuple[Instruction, ...]) -> bool:
        """A RUN of ``group`` creates a virtualenv (``python -m venv``, ``virtualenv``, ``uv venv``)."""
        for ins in group:
            script = run_script(ins) if ins.cmd == "RUN" else None
            for cmd in script.commands if script is not None else ():
                args = [w.value for w in cmd.argv]
                if cmd.basename == "virtualenv" or args[:2] == ["uv", "venv"] or (
                        (cmd.basename or "").startswith("python") and args[1:3] == ["-m", "venv"]):
                    return True
        return False

    def _later_commands(self, after: tuple[Instruction, ...], stage_instructions: tuple[Instruction, ...],
                        children: list[Stage]) -> list[str]:
        """The programs the image runs after the build (later RUNs, CMD, ENTRYPOINT, HEALTHCHECK,
        stages built from this one): their packages are kept, whoever brought them in."""
        found: set[str] = set()
        instructions = list(after) + [i for i in stage_instructions if i.cmd in _RUNTIME] + [
            i for child in children for i in child.instructions if i.cmd == "RUN" or i.cmd in _RUNTIME]
        for ins in instructions:
            if ins.cmd not in ("RUN",) + _RUNTIME:
                continue
            for cmd in self._commands(ins):
                name = cmd.name
                if name and "/" not in name and name not in SHELL_BUILTINS and _plain_path(name):
                    found.add(name)
        return sorted(found)

    def _commands(self, ins: Instruction) -> tuple[Command, ...]:
        target = ins.effective
        if target.cmd == "HEALTHCHECK":
            words = list(target.value)
            if not words or words[0].upper() != "CMD":
                return ()
            return parse_shell(" ".join(shlex.quote(w) for w in words[1:]) if target.is_json
                               else target.args.split(None, 1)[-1]).commands
        script = run_script(ins) if target.cmd == "RUN" else None
        if script is not None:
            return script.commands
        return parse_shell(self._exec_text(target)).commands

    @staticmethod
    def _exec_text(target: Instruction) -> str:
        if target.is_json:
            words = list(target.value)
            if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
                return words[2]
            return " ".join(shlex.quote(w) for w in words)
        return target.args

    # ------------------------------------------------------------ the rewrites

    def _merge(self, group: tuple[Instruction, ...], what: str) -> Iterator[Finding]:
        first, second = group[0], group[1]
        if self._merges is None:
            self._merges = [f for f in MergeRuns().check(self.ctx) if f.fix is not None]
        for f in self._merges:
            if f.start <= first.keyword_start and f.end >= second.keyword_start:
                assert f.fix is not None
                lines = ", ".join(str(i.start_line) for i in group)
                yield Finding(self.id, f"{what}: join the RUNs on lines {lines} (as merge-runs does) so that "
                              "the packages can be purged in the RUN that installs and builds with them",
                              first.keyword_start, group[-1].end, Fix(f.fix.edits, Safety.UNSAFE))
                return
        yield self._note(first, f"{what}: the build (line {group[-1].start_line}) is in another RUN than the "
                         "install and merge-runs cannot join them safely (see its note); install, build and "
                         "purge in one RUN")

    def _rewrite(self, stage: Stage, k0: int, ins: Instruction, script: Script,
                 installs: list[PackageInstall], build: list[str], family: Family,
                 later: list[str]) -> Iterator[Finding]:
        what = ", ".join(build)
        why = "ONBUILD RUNs are left alone" if ins.sub is not None else unreadable_reason(script)
        shells = [i for i in stage.instructions[:k0] if i.cmd == "SHELL"]
        if why is None and shells and not (shells[-1].is_json and shells[-1].value
                                           and shells[-1].value[0].rsplit("/", 1)[-1] in _POSIX_SHELLS):
            why = f"the SHELL on line {shells[-1].start_line} is not a POSIX shell"
        if why is None and script.ends_with_comment:
            why = "its body ends with a comment"
        errexit = any(shell_errexit(i) for i in stage.instructions[:k0] if i.cmd == "SHELL")
        if why is None:
            why = and_append_hazard(script, errexit)
        if why is None and ins.flags:
            why = "it has RUN flags (--mount ...), which the cleanup cannot vouch for"
        kept: list[str] = []
        for inst in package_installs(script, (family,)):
            for w in inst.packages:
                name = w.value
                if name is None or w.glob or "/" in name or name.startswith("."):
                    why = why or f"the package list is not literal ({w.text})"
                    continue
                name = name.split("=", 1)[0]
                if inst.invocation.family.is_build_package(name):
                    kept.extend(r for r in kept_runtimes(name) if r not in kept)
                elif name not in kept:
                    kept.append(name)
        if why is not None:
            yield self._note(ins, f"{what}: left installed, this RUN cannot be rewritten: {why}")
            return
        roots = self._roots(stage, k0)
        edits: list[Edit] | None
        if family is APT:
            edits = self._apt(ins, script, kept, roots, later)
            how = "apt-get purge --auto-remove after the build"
            if not _no_recommends(script):
                how += ("; the install takes recommended packages, so what the kept packages recommend stays: "
                        "`--no-install-recommends` lets more go")
        else:
            edits = self._apk(ins, script, installs, roots)
            if edits is None:
                yield self._note(ins, f"{what}: left installed, an `apk add` mixes build and runtime packages "
                                 "in a way the rewrite cannot split (or names a --virtual it never deletes)")
                return
            how = "apk del .build-deps after the build"
        saving = expected_saving(build)
        message = (f"purge the build packages {what} and what only they pulled in ({how}; the runtime libraries "
                   f"the built files link to are kept): typically {saving}")
        yield Finding(self.id, message, ins.keyword_start, ins.end, Fix(tuple(sorted(edits)), Safety.UNSAFE),
                      saving=saving)

    def _roots(self, stage: Stage, k0: int) -> list[str]:
        roots = list(ARTEFACT_ROOTS)
        workdir = None
        for ins in stage.instructions[:k0]:
            if ins.cmd == "WORKDIR" and ins.value:
                value = ins.value[0]
                if "$" in value:
                    workdir = None
                elif value.startswith("/"):
                    workdir = value
                elif workdir is not None:
                    workdir = workdir.rstrip("/") + "/" + value
            elif ins.cmd == "ENV":
                for key, value in ins.pairs():
                    if key == "VIRTUAL_ENV" and value.startswith("/") and "$" not in value:
                        roots.append(value)
        if workdir and workdir.rstrip("/"):
            roots.append(workdir.rstrip("/"))
        out: list[str] = []
        for r in roots:
            if not any(r == o or r.startswith(o + "/") for o in out) and _plain_path(r):
                out.append(r)
        return out

    def _lines(self, statements: list[str]) -> str:
        nl, esc = self.df.newline, self.df.escape
        return "".join(f" {esc}{nl}{self.indent}&& {s}" for s in statements)

    def _apt(self, ins: Instruction, script: Script, kept: list[str], roots: list[str],
             later: list[str]) -> list[Edit]:
        nl, esc, ind = self.df.newline, self.df.escape, self.indent
        first = script.statements[0]
        at = file_start(ins, first.start)
        prefix = (f'savedAptMark="$(apt-mark showmanual)" && savedAptAuto="$(apt-mark showauto)" '
                  f"{esc}{nl}{ind}&& ")
        no_recommends = _no_recommends(script)
        more = f" {esc}{nl}{ind}    "
        statements = [
            "apt-mark auto '.*' > /dev/null",
            '{ [ -z "$savedAptMark$savedAptAuto" ] || apt-mark manual $savedAptMark $savedAptAuto > /dev/null; }',
        ]
        if kept:
            statements.append(f"apt-mark manual {' '.join(kept)} > /dev/null")
        statements.append(
            f"{{ {{ find {' '.join(roots)} -type f \\( -perm /111 -o -name '*.so*' \\) "
            f"-exec ldd '{{}}' ';' 2>/dev/null || true; }}{more}| {_LDD_AWK}{more}"
            f"| sort -u | {{ xargs -r dpkg-query --search 2>/dev/null || true; }}{more}"
            f"| {_DPKG_AWK} | sort -u | xargs -r apt-mark manual > /dev/null; }}")
        if later:
            # The packages of the commands that later instructions run (perl came with dpkg-dev).
            statements.append(
                f"{{ for c in {' '.join(later)}; do p=\"$(command -v \"$c\")\" "
                f"&& dpkg-query --search \"*${{p#/usr}}\" 2>/dev/null || true; done{more}"
                f"| {_DPKG_AWK} | sort -u | xargs -r apt-mark manual > /dev/null; }}")
        purge = "apt-get purge -y --auto-remove"
        if no_recommends:
            purge += " -o APT::AutoRemove::RecommendsImportant=false"
        statements.append(purge)
        statements.append('{ [ -z "$savedAptAuto" ] || apt-mark auto $savedAptAuto > /dev/null; }')
        end = file_end(ins, script.statements[-1].end)
        return [Edit(at, at, prefix), Edit(end, end, self._lines(statements))]

    def _apk(self, ins: Instruction, script: Script, installs: list[PackageInstall],
             roots: list[str]) -> list[Edit] | None:
        edits: list[Edit] = []
        virtuals: list[str] = []
        for n, p in enumerate(installs):
            inv = p.invocation
            if p.virtual is not None:
                return None
            packages = [w for w in p.packages if w.value is not None]
            build_words = [w for w in packages if w.value in p.build]
            name = ".build-deps" if n == 0 else f".build-deps-{n + 1}"
            extra = " pax-utils" if n == 0 else ""
            sub = inv.subcommand_word
            if sub is None:
                return None
            if len(build_words) == len(p.packages):
                at = file_end(ins, sub.end)
                edits.append(Edit(at, at, f" --virtual {name}"))
                if extra:
                    end = file_end(ins, p.packages[-1].end)
                    edits.append(Edit(end, end, extra))
            else:
                cmd = inv.cmd
                if cmd.context:  # inside a pipeline, a condition ...: no room for a second command
                    return None
                words = inv.words()
                for w in build_words:
                    i = next(j for j, x in enumerate(words) if x is w)
                    if i == 0:
                        return None
                    s = file_end(ins, words[i - 1].end)
                    e = file_end(ins, w.end)
                    edits.append(Edit(s, e, ""))
                no_cache = " --no-cache" if inv.has_flag("--no-cache") else ""
                at = file_start(ins, cmd.start)
                names = " ".join(w.value or "" for w in build_words) + extra
                edits.append(Edit(at, at, f"apk add{no_cache} --virtual {name} {names} && "))
            virtuals.append(name)
        more = f" {self.df.escape}{self.df.newline}{self.indent}    "
        statements = [
            (f"runDeps=\"$({{ scanelf --needed --nobanner --format '%n#p' --recursive {' '.join(roots)} 2>/dev/null || true; }}"
            f"{more}| tr ',' '\\n' | sort -u{more}| {_SCANELF_AWK})\""),
            '{ [ -z "$runDeps" ] || apk add --no-cache --no-network --virtual .run-deps $runDeps; }',
            f"apk del --no-network {' '.join(virtuals)}",
        ]
        end = file_end(ins, script.statements[-1].end)
        edits.append(Edit(end, end, self._lines(statements)))
        return edits

    def _note(self, ins: Instruction, message: str) -> Finding:
        return Finding(self.id, message, ins.keyword_start, ins.keyword_start + len(ins.keyword), note=True)


def _no_recommends(script: Script) -> bool:
    """Every apt install of the RUN leaves recommended packages out: none of them can be lost."""
    return all(inv.invocation.has_flag("--no-install-recommends")
               for inv in package_installs(script, (APT,)))


def _plain_path(path: str) -> bool:
    return all(c.isalnum() or c in "/._-+" for c in path)


__all__ = ["BuildDeps"]
