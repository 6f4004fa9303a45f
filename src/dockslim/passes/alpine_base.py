from __future__ import annotations

import posixpath
import re
import shlex
from typing import Iterator

from .._records import dataclass, field
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.expand import ExpandError, expand
from ..managers import APT
from ..managers.apt import DEBIAN_ONLY as _DEBIAN_ONLY
from ..syntax.shell import Command, Script, Word
from .alpine_data import (
    ImageRef,
    PackageEntry,
    Refusal,
    TagMapping,
    alpine_version_at_least,
    data,
    is_alpine,
    map_tag,
    parse_ref,
    split_tag,
)
from .base import Context, Edit, Finding, Fix, Pass, Safety
from .buildcontext import source_path
from .shellquery import run_script

_APT = APT.commands
_APT_RELEASE_OPTIONS = ("-t", "--target-release", "--default-release")
_INSTALL_SHORT = frozenset("yqfm")
_INSTALL_LONG = frozenset({
    "--yes", "--assume-yes", "--quiet", "--no-install-recommends", "--no-install-suggests",
    "--force-yes", "--allow-unauthenticated", "--fix-missing", "--fix-broken", "--allow-downgrades",
    "--allow-change-held-packages", "--allow-remove-essential", "--reinstall", "--update",
    "--no-upgrade", "--option",
})
_PURGE_LONG = frozenset({"--yes", "--assume-yes", "--quiet", "--purge", "--auto-remove", "--autoremove",
                         "--option", "--allow-remove-essential", "--allow-change-held-packages"})
_APT_PATHS = ("/var/lib/apt", "/var/cache/apt", "/var/log/apt", "/var/cache/debconf", "/var/log/dpkg.log",
              "/var/log/alternatives.log", "/var/cache/ldconfig")
_DEBIAN_PATHS = ("/etc/apt", "/var/lib/dpkg", "-linux-gnu", "/etc/dpkg", "/usr/share/debconf")
_LOCALE_FILES = ("/etc/locale.gen", "/etc/default/locale")
# Tools present in buildpack-deps (the base of the non-slim Debian variants) -> Alpine package.
_BUILDPACK_TOOLS = {
    "git": "git", "curl": "curl", "gcc": "build-base", "g++": "build-base", "cc": "build-base",
    "make": "make", "ssh": "openssh-client", "scp": "openssh-client", "gpg": "gnupg",
    "svn": "subversion", "hg": "mercurial", "file": "file", "convert": "imagemagick",
    "autoconf": "autoconf", "automake": "automake",
}
_SHELL_NEEDING_BASH = ("bash", "/bin/bash", "/usr/bin/bash")
_INDIRECT = re.compile(r"(^|[\s;&|'\"(`])(apt-get|apt|aptitude|dpkg|apt-key|add-apt-repository)(\s|$|['\";&|)])")
_VALUE_USER_FLAGS = frozenset({
    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s", "--shell", "-c",
    "--comment", "-k", "--skel", "--ingroup", "--gecos",
})


@dataclass
class _Install:
    run: int  # index of the RUN in the stage plan
    cmd: Command
    packages: list[str]
    order: tuple[int, int]
    by_purge: dict[int, list[str]] = field(default_factory=dict)  # purge id -> packages it removes


@dataclass
class _Purge:
    run: int
    cmd: Command
    packages: list[str]
    order: tuple[int, int]
    line: int
    virtuals: list[str] = field(default_factory=list)


@dataclass
class _Run:
    ins: Instruction
    script: Script
    # command start -> replacement text ("" = delete the statement)
    replace: dict[int, str] = field(default_factory=dict)
    words: dict[tuple[int, int], str] = field(default_factory=dict)  # word span -> new text
    wrap_phpize: bool = False


@dataclass
class _StagePlan:
    edits: list[Edit] = field(default_factory=list)
    mapped: set[str] = field(default_factory=set)
    unmapped: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    alpine_packages: set[str] = field(default_factory=set)
    since_warnings: list[str] = field(default_factory=list)


@dataclass
class _Switch:
    """A stage group that can be switched; its finding is made once every group is known."""

    at: Instruction
    stages: list[Stage]
    message: str
    warnings: list[str]
    general: list[str]
    edits: list[Edit]
    saving: str

    def finding(self, pass_id: str, df: Dockerfile, switched: set[int]) -> Finding:
        warnings = self.warnings + _copy_from_warnings(df, switched) + self.general
        message = self.message + ". Check: " + "; ".join(warnings)
        # The translation reads the whole stage: claim it, so that other passes' fixes in these
        # stages land first and the translation is recomputed on their result.
        claims = tuple((st.from_.start, (st.instructions[-1] if st.instructions else st.from_).end)
                       for st in self.stages)
        return Finding(pass_id, message, self.at.keyword_start, self.at.end,
                       Fix(tuple(sorted(self.edits)), Safety.UNSAFE, claims=claims),
                       saving=self.saving)


class AlpineBase(Pass):
    """## What it does
    Moves a stage from a Debian/Ubuntu-based official image to its Alpine variant with the same
    language/runtime version (`python:3.5.6-slim-stretch` -> `python:3.5.6-alpine`,
    `node:20-bookworm-slim` -> `node:20-alpine`, `debian:bookworm` -> `alpine:3.18`) and translates
    the stage's commands: `apt-get update && apt-get install -y ... && rm -rf /var/lib/apt/lists/*`
    becomes `apk add --no-cache ...` with every package mapped to its Alpine name; packages purged
    later become `apk add --no-cache --virtual .build-deps ...` and `apk del .build-deps`;
    `useradd`/`groupadd`/Debian `adduser` become BusyBox `adduser -D`/`addgroup`; `gosu` becomes
    `su-exec`; `bash` is installed when a `SHELL`, `RUN`, `ENTRYPOINT` or copied script needs it.
    `FROM ${BASE}` is followed to its `ARG` default, which is rewritten instead.

    ## Why is this bad?
    The base image is most of an image's size: `python:3.12-slim` is about 45 MB compressed and
    `python:3.12-alpine` about 18 MB; the non-slim variants (built on buildpack-deps) are hundreds
    of MB. Tools that try this switch by hand often keep `apt-get` or invent a tag that never existed.

    ## Example
    ```dockerfile
    FROM python:3.12-slim-bookworm
    RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc \\
        && pip install psycopg2 \\
        && apt-get purge -y --auto-remove gcc \\
        && rm -rf /var/lib/apt/lists/*
    ```
    becomes
    ```dockerfile
    FROM python:3.12-alpine
    RUN apk add --no-cache libpq-dev && apk add --no-cache --virtual .build-deps gcc \\
        && pip install psycopg2 \\
        && apk del .build-deps
    ```

    ## Fix safety
    Unsafe, always: applied only with `--unsafe-fixes`, and every finding says what may differ.
    Alpine uses musl, not glibc (Python wheels need musllinux builds or a compiler; prebuilt glibc
    binaries need `gcompat`; DNS resolution differs), BusyBox instead of GNU tools, other user and
    group ids (`www-data` is 33 on Debian, 82 on Alpine), and no locale database.
    The stage is left alone, with the reason, when: the image has no Alpine variant (mariadb, mysql,
    buildpack-deps, php's apache variant ...) or none for that version; the reference is pinned by
    digest; a package has no known Alpine name (unless `--allow-unmapped` keeps the name); a package
    is version-pinned; a command is Debian-specific (`dpkg`, `apt-key`, `update-alternatives`,
    `usermod` ...) or uses options this pass does not map; a RUN cannot be analysed (heredoc, exec
    form with apt, opaque shell). Stages built `FROM` a rewritten stage are translated with it, or
    neither is rewritten.
    """

    id = "alpine-base"
    advisory = True  # a different base image is a choice: notes unless asked for
    summary = "Switch Debian/Ubuntu official images to their Alpine variant, translating apt and user commands"
    safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        df = ctx.dockerfile
        stages = df.stages()
        if not stages:
            return
        env, arg_decls = _global_args(df)
        parent: dict[int, int] = {}
        names: dict[str, int] = {}
        for stage in stages:
            base = stage.base.lower()
            if base in names:
                parent[stage.index] = names[base]
            if stage.name:
                names[stage.name.lower()] = stage.index
        children: dict[int, list[int]] = {}
        for child, par in parent.items():
            children.setdefault(par, []).append(child)
        roots = [s for s in stages if s.index not in parent]
        # Roots whose whole image is one global ARG are rewritten together (one ARG default).
        units: dict[str, list[Stage]] = {}
        plain: list[Stage] = []
        for stage in roots:
            var = _whole_variable(stage.base)
            if var is not None and var in arg_decls:
                units.setdefault(var, []).append(stage)
            else:
                plain.append(stage)
        outcomes: list[Finding | _Switch] = []
        for stage in plain:
            outcomes.extend(self._unit(ctx, df, [stage], children, env, arg_decls, None))
        for var, group in units.items():
            users = [s for s in stages if _references(s.from_.args, var)]
            if len(users) != len(group):
                resolved = _resolve(group[0].base, env)
                ref = parse_ref(resolved) if resolved else None
                if ref is not None and _candidate(ref):
                    outcomes.append(_note(self.id, group[0].from_, f"`{var}` is used by FROM lines that do "
                                          "not take it whole; its default is left alone"))
                continue
            outcomes.extend(self._unit(ctx, df, group, children, env, arg_decls, var))
        switched = {s.index for o in outcomes if isinstance(o, _Switch) for s in o.stages}
        for o in outcomes:
            yield o if isinstance(o, Finding) else o.finding(self.id, df, switched)

    # ------------------------------------------------------------------ one unit of stages

    def _unit(self, ctx: Context, df: Dockerfile, roots: list[Stage], children: dict[int, list[int]],
              env: dict[str, str], arg_decls: dict[str, Instruction],
              var: str | None) -> Iterator[Finding | _Switch]:
        first = roots[0]
        expanded = _resolve(first.base, env)
        if expanded is None:
            return
        ref = parse_ref(expanded)
        if ref is None or not _candidate(ref):
            return
        at = first.from_
        if ref.digest is not None:
            yield _note(self.id, at, f"`{expanded}` is pinned by digest; the Alpine image's digest cannot "
                        "be derived here (switch the tag and pin the new digest yourself)")
            return
        try:
            mapping = map_tag(ref.name, ref.tag)
        except Refusal as why:
            yield _note(self.id, at, f"`{expanded}` left alone: {why}")
            return
        new_ref = _new_ref(ref, mapping)
        edits: list[Edit] = []
        try:
            if var is not None:
                edits.append(_arg_default_edit(arg_decls[var], var, expanded, new_ref))
            else:
                edits.append(_from_edit(first, ref, mapping, env))
            stages = _lineage(ctx, roots, children)
            plans = [self._translate_stage(ctx, df, s, mapping, ref) for s in stages]
        except Refusal as why:
            yield _note(self.id, at, f"`{expanded}` not switched to `{new_ref}`: {why}")
            return
        mapped: set[str] = set()
        unmapped: set[str] = set()
        warnings: list[str] = []
        for plan in plans:
            edits.extend(plan.edits)
            mapped |= plan.mapped
            unmapped |= plan.unmapped
            for w in plan.warnings + plan.since_warnings:
                if w not in warnings:
                    warnings.append(w)
        where = "stage" + ("s " if len(stages) > 1 else " ") + ", ".join(
            f"`{s.name}`" if s.name else f"#{s.index + 1}" for s in stages)
        message = f"switch {where} from `{expanded}` to `{new_ref}`"
        if var is not None:
            message += f" (the default of ARG {var}; a --build-arg overrides it)"
        if mapped:
            message += f"; {len(mapped)} package(s) mapped to Alpine names"
        if unmapped:
            message += f"; kept without a known Alpine name (--allow-unmapped): {', '.join(sorted(unmapped))}"
        yield _Switch(at, stages, message, warnings, _general_warnings(mapping, ref), edits,
                      "hundreds of MB" if mapping.full_variant else "~25 MB compressed")

    # ------------------------------------------------------------------ one stage

    def _translate_stage(self, ctx: Context, df: Dockerfile, stage: Stage, mapping: TagMapping,
                         ref: ImageRef) -> _StagePlan:
        plan = _StagePlan()
        pk = _package_map(ctx)
        runs: list[_Run] = []
        installs: list[_Install] = []
        purges: list[_Purge] = []
        needs_bash: list[str] = []
        shell_bash_before_run = False
        uses: set[str] = set()
        apt_installed: set[str] = set()
        gosu_commands: list[tuple[_Run, Command]] = []
        for ins in stage.instructions:
            cmd = ins.cmd
            if cmd == "ONBUILD":
                if ins.sub is not None and ins.sub.cmd == "RUN":
                    raise Refusal(f"line {ins.start_line}: ONBUILD RUN is not translated")
                continue
            if cmd == "SHELL":
                exe = ins.value[0].rsplit("/", 1)[-1] if ins.is_json and ins.value else ""
                if exe == "bash":
                    needs_bash.append(f"SHELL on line {ins.start_line}")
                    if not runs:
                        shell_bash_before_run = True
                elif exe not in ("sh", "ash", "busybox"):
                    raise Refusal(f"line {ins.start_line}: SHELL {exe or '?'} is not available on Alpine")
                continue
            if cmd in ("ENTRYPOINT", "CMD"):
                words = ins.value if ins.is_json else tuple(ins.args.split())
                if any(w in _SHELL_NEEDING_BASH for w in words[:3]):
                    needs_bash.append(f"{cmd} on line {ins.start_line}")
                if any(w.rsplit("/", 1)[-1] == "gosu" for w in words[:1]):
                    raise Refusal(f"line {ins.start_line}: {cmd} runs gosu (Alpine has su-exec; change it by hand)")
                continue
            if cmd in ("COPY", "ADD"):
                for reason in _context_scripts_need_bash(ctx, ins):
                    needs_bash.append(reason)
                continue
            if cmd != "RUN":
                continue
            if ins.heredocs:
                raise Refusal(f"line {ins.start_line}: RUN with a heredoc is not translated")
            if ins.is_json:
                exe = ins.value[0].rsplit("/", 1)[-1] if ins.value else ""
                if exe in _APT or exe in _DEBIAN_ONLY:
                    raise Refusal(f"line {ins.start_line}: exec-form RUN of {exe} is not translated")
                continue
            script = run_script(ins)
            if script is None or script.opaque:
                why = script.opaque_reason if script is not None else "no shell body"
                raise Refusal(f"line {ins.start_line}: its shell cannot be analysed ({why})")
            run = _Run(ins, script)
            index = len(runs)
            runs.append(run)
            self._scan_run(run, index, installs, purges, plan, needs_bash, uses, apt_installed,
                           gosu_commands)
        _assign_purges(installs, purges)
        if any("$PHPIZE_DEPS" in i.packages for i in installs):
            for r in runs:  # the stage installs them itself
                r.wrap_phpize = False
        # Map every installed package.
        allow = ctx.options.allow_unmapped
        missing: list[str] = []
        if ref.name == "php":
            pk = dict(pk)
            pk["$PHPIZE_DEPS"] = PackageEntry("$PHPIZE_DEPS", ("$PHPIZE_DEPS",), "docker-library/php")
        for inst in installs:
            for name in inst.packages:
                entry = pk.get(name)
                if entry is None:
                    if allow:
                        plan.unmapped.add(name)
                    elif name not in missing:
                        missing.append(name)
                    continue
                plan.mapped.add(name)
                plan.alpine_packages.update(entry.alpine)
                if entry.note:
                    note = f"{name}: {entry.note}"
                    if note not in plan.warnings:
                        plan.warnings.append(note)
                if entry.since and not alpine_version_at_least(mapping.era, entry.since):
                    plan.since_warnings.append(
                        f"{'/'.join(entry.alpine)} exists from Alpine {entry.since}; this tag's era is "
                        f"Alpine {mapping.era}")
        if "www-data" in "".join(i.text for i in stage.instructions):
            plan.warnings.append("www-data is uid/gid 33 on Debian and 82 on Alpine")
        if missing:
            raise Refusal("no known Alpine package for " + ", ".join(f"`{m}`" for m in missing)
                          + " (add it to the package map, or use --allow-unmapped to keep the name)")
        if "gosu" in apt_installed:
            for run, c in gosu_commands:
                run.words[(c.argv[0].start, c.argv[0].end)] = "su-exec"
            plan.warnings.append("scripts that call gosu must call su-exec (same arguments)")
        # Extra packages the Alpine image lacks.
        extras: list[str] = []
        if needs_bash and "bash" not in plan.alpine_packages:
            extras.append("bash")
            plan.warnings.append("bash installed for " + ", ".join(dict.fromkeys(needs_bash)))
        if mapping.full_variant:
            lacking = sorted({_BUILDPACK_TOOLS[u] for u in uses if u in _BUILDPACK_TOOLS
                              and not (ref.name == "python" and u == "python3")}
                             - plan.alpine_packages)
            if lacking:
                extras.extend(p for p in lacking if p not in extras)
                plan.warnings.append(f"`{ref.text}` is built on buildpack-deps; added {', '.join(lacking)} "
                                     "for the commands this stage runs")
        self._render(df, stage, runs, installs, purges, extras, shell_bash_before_run, plan, pk)
        return plan

    def _scan_run(self, run: _Run, index: int, installs: list[_Install], purges: list[_Purge],
                  plan: _StagePlan, needs_bash: list[str], uses: set[str], apt_installed: set[str],
                  gosu_commands: list[tuple[_Run, Command]]) -> None:
        ins, script = run.ins, run.script
        line = ins.start_line
        later_fetch = False  # an install/upgrade after an update in this RUN
        updates: list[Command] = []
        for c in script.commands:
            name = c.basename
            if name is None:
                continue
            uses.add(name)
            if name in ("bash",):
                needs_bash.append(f"RUN on line {line}")
            if name == "pecl":
                run.wrap_phpize = True
            if name == "gosu":
                gosu_commands.append((run, c))
            for w in c.argv + c.assignments:
                if any(p in w.text for p in _DEBIAN_PATHS) and name != "rm":
                    raise Refusal(f"line {line}: `{w.text}` refers to a Debian-specific path")
            for r in c.redirects:
                if any(p in r for p in _DEBIAN_PATHS):
                    raise Refusal(f"line {line}: `{r}` writes to a Debian-specific path")
            for w in c.argv[1:]:
                if _INDIRECT.search(w.text):
                    raise Refusal(f"line {line}: {name} runs a Debian package tool indirectly (`{w.text[:40]}`)")
            if name in _APT:
                sub = c.subcommand(takes_value=APT.takes_value)
                order = (index, c.start)
                if sub == "update":
                    _check_flags(c, line, _PURGE_LONG, "yq")
                    updates.append(c)
                elif sub == "install":
                    pkgs = _packages(c, line, _INSTALL_LONG, _INSTALL_SHORT)
                    installs.append(_Install(index, c, pkgs, order))
                    apt_installed.update(pkgs)
                    later_fetch = True
                elif sub in ("purge", "remove"):
                    pkgs = _packages(c, line, _PURGE_LONG, "yq")
                    purges.append(_Purge(index, c, pkgs, order, line))
                elif sub in ("autoremove", "clean", "autoclean", "dist-clean", "distclean"):
                    _check_flags(c, line, _PURGE_LONG, "yq")
                    run.replace[c.start] = ""
                elif sub in ("upgrade", "dist-upgrade", "full-upgrade"):
                    _check_flags(c, line, _INSTALL_LONG, _INSTALL_SHORT)
                    run.replace[c.start] = "apk upgrade --no-cache"
                    later_fetch = True
                else:
                    raise Refusal(f"line {line}: `{name} {sub}` has no apk translation here")
                continue
            if name in _DEBIAN_ONLY:
                raise Refusal(f"line {line}: {_DEBIAN_ONLY[name]}")
            if name == "dpkg-reconfigure":
                if c.positional() and [w.value for w in c.positional()] in (["tzdata"], ["locales"]):
                    run.replace[c.start] = ""
                    continue
                raise Refusal(f"line {line}: dpkg-reconfigure has no Alpine counterpart")
            if name in ("locale-gen", "update-locale", "localedef"):
                run.replace[c.start] = ""
                plan.warnings.append(f"{name} dropped: musl has no locale database (C.UTF-8 works; "
                                     "musl-locales adds translations)")
                continue
            if any(any(f in (w.value or w.text) for f in _LOCALE_FILES) for w in c.argv[1:]) or any(
                    any(f in r for f in _LOCALE_FILES) for r in c.redirects):
                run.replace[c.start] = ""
                continue
            if name == "rm":
                operands = [w for w in c.argv[1:] if not (w.value or w.text).startswith("-")]
                apt_ops = [w for w in operands if (w.value or "").startswith(_APT_PATHS)]
                if apt_ops:
                    if any(any(p in w.text for p in _DEBIAN_PATHS) for w in operands if w not in apt_ops):
                        raise Refusal(f"line {line}: rm of a Debian-specific path")
                    keep = [w for w in operands if w not in apt_ops]
                    if not keep:
                        run.replace[c.start] = ""
                    else:
                        flags = [w.text for w in c.argv[1:] if w not in operands]
                        run.replace[c.start] = " ".join([c.argv[0].text, *flags, *(w.text for w in keep)])
                continue
            if name in ("useradd", "groupadd", "adduser", "addgroup"):
                text, shell = _translate_user(c, line, name)
                run.replace[c.start] = text
                if shell and shell.rsplit("/", 1)[-1] == "bash":
                    needs_bash.append(f"the login shell on line {line}")
                plan.warnings.append("user/group ids and login shells may differ (BusyBox adduser picks "
                                     "its own ids unless -u/-G are given)")
        # An update whose lists nothing installs from here and that this RUN deletes again is a
        # no-op: it needs no apk counterpart.
        lists_removed = any(
            c.basename == "rm" and any((w.value or "").startswith("/var/lib/apt/lists") for w in c.argv[1:])
            for c in script.commands)
        for u in updates:
            run.replace[u.start] = "" if later_fetch or lists_removed else "apk update"

    # ------------------------------------------------------------------ text

    def _render(self, df: Dockerfile, stage: Stage, runs: list[_Run], installs: list[_Install],
                purges: list[_Purge], extras: list[str], shell_first: bool, plan: _StagePlan,
                pk: dict[str, PackageEntry]) -> None:
        for inst in installs:
            run = runs[inst.run]
            kept = [n for n in inst.packages if not any(n in v for v in inst.by_purge.values())]
            pieces: list[str] = []
            kept_apk = _alpine_names(kept, pk)
            if extras and inst is installs[0] and inst.run == 0 and not shell_first \
                    and _first_statement_is(run.script, inst.cmd):
                kept_apk += [e for e in extras if e not in kept_apk]
                extras = []
            if kept_apk:
                pieces.append(_apk_add(kept_apk, None, inst.cmd, run.ins, df))
            for purge_id, names in inst.by_purge.items():
                apk_names = _alpine_names(names, pk)
                if not apk_names:
                    continue
                virtual = _virtual_name(installs, inst, purge_id)
                purges[purge_id].virtuals.append(virtual)
                pieces.append(_apk_add(apk_names, virtual, inst.cmd, run.ins, df))
            if len(pieces) > 1 and _top_index(run.script, inst.cmd) is None:
                raise Refusal(f"line {run.ins.start_line}: a split install inside a compound command")
            run.replace[inst.cmd.start] = " && ".join(pieces)
        for purge in purges:
            run = runs[purge.run]
            run.replace[purge.cmd.start] = ("apk del " + " ".join(purge.virtuals)) if purge.virtuals else ""
        for run in runs:
            if run.wrap_phpize and run.replace is not None:
                if not run.script.is_and_chain:
                    raise Refusal(f"line {run.ins.start_line}: pecl needs $PHPIZE_DEPS, which the Alpine "
                                  "image does not have, and this RUN is not a plain && chain to wrap")
            self._edit_run(df, run, plan)
        if extras:
            nl = df.newline
            plan.edits.append(Edit(stage.from_.end, stage.from_.end,
                                   f"RUN apk add --no-cache {' '.join(extras)}{nl}"))
            if not stage.from_.text.endswith(("\n", "\r")):
                plan.edits[-1] = Edit(stage.from_.end, stage.from_.end,
                                      f"{nl}RUN apk add --no-cache {' '.join(extras)}")

    def _edit_run(self, df: Dockerfile, run: _Run, plan: _StagePlan) -> None:
        ins, script = run.ins, run.script
        base = ins.args_start
        smap = ins.source_map
        statements = script.statements
        deleted: set[int] = set()
        for (ws, we), text in run.words.items():
            fs, fe = smap.to_file_span(base + ws, base + we)
            plan.edits.append(Edit(fs, fe, text))
        for start, text in run.replace.items():
            c = next(c for c in script.commands if c.start == start)
            if text == "":
                i = _top_index(script, c)
                if i is not None:
                    deleted.add(i)
                    continue
                text = "true"
            cs, ce = smap.to_file_span(base + c.start, base + c.end)
            redirects = "".join(" " + r for r in c.redirects)
            keep_assign = [w.text for w in c.assignments if not _apt_env(w)]
            if text.startswith("apk ") or c.basename in _APT:
                text = " ".join(keep_assign + [text]) + redirects
            plan.edits.append(Edit(cs, ce, text))
        if run.wrap_phpize:
            ks = [i for i in range(len(statements)) if i not in deleted]
            if ks:
                first, last = statements[ks[0]], statements[ks[-1]]
                fs, _ = smap.to_file_span(base + first.start, base + first.start)
                _, le = smap.to_file_span(base + last.end, base + last.end)
                plan.edits.append(Edit(fs, fs, "apk add --no-cache --virtual .phpize-deps $PHPIZE_DEPS && "))
                plan.edits.append(Edit(le, le, " && apk del .phpize-deps"))
                plan.warnings.append("pecl builds with $PHPIZE_DEPS installed as .phpize-deps")
        if not deleted:
            return
        if len(deleted) == len(statements):
            plan.edits.append(Edit(ins.start, ins.end, ""))
            return
        for s in sorted(deleted):
            prev_sep = statements[s - 1].separator if s > 0 else None
            if statements[s].separator in ("||", "&") or prev_sep in ("||", "&"):
                raise Refusal(f"line {ins.start_line}: a removed apt step sits in an || or & list")
        i = 0
        n = len(statements)
        while i < n:
            if i not in deleted:
                i += 1
                continue
            j = i
            while j + 1 < n and j + 1 in deleted:
                j += 1
            if j == n - 1:  # a run of deletions up to the end: cut from the previous kept statement
                start = statements[i - 1].end
                end = statements[j].end
            else:
                start = statements[i].start
                end = statements[j + 1].start
            fs, fe = smap.to_file_span(base + start, base + end)
            plan.edits.append(Edit(fs, fe, ""))
            i = j + 1


# --------------------------------------------------------------------------- helpers


def _note(pass_id: str, ins: Instruction, message: str) -> Finding:
    return Finding(pass_id, message, ins.keyword_start, ins.keyword_start + len(ins.keyword), note=True)


def _candidate(ref: ImageRef) -> bool:
    """An official image this pass knows about (Debian/Ubuntu-based or known to lack Alpine)."""
    if is_alpine(ref):
        return False
    d = data()
    return ref.name in d.families or ref.name in d.os_images or ref.name in d.no_alpine


def _global_args(df: Dockerfile) -> tuple[dict[str, str], dict[str, Instruction]]:
    env: dict[str, str] = {}
    decls: dict[str, Instruction] = {}
    seen: dict[str, int] = {}
    for ins in df.global_args():
        for word in ins.value:
            name, _, default = word.partition("=")
            seen[name] = seen.get(name, 0) + 1
            if "=" in word:
                try:
                    env[name] = expand(default, env, df.escape)
                except ExpandError:
                    continue
                decls[name] = ins
    for name, count in seen.items():  # declared twice: which default applies is not ours to guess
        if count > 1:
            decls.pop(name, None)
    return env, decls


def _whole_variable(text: str) -> str | None:
    m = re.fullmatch(r"\$(\w+)|\$\{(\w+)\}", text)
    return (m.group(1) or m.group(2)) if m else None


def _references(text: str, var: str) -> bool:
    return bool(re.search(r"\$(\{)?" + re.escape(var) + r"\b", text))


def _resolve(base: str, env: dict[str, str]) -> str | None:
    if "$" not in base:
        return base
    try:
        out = expand(base, env)
    except ExpandError:
        return None
    return out or None


def _new_ref(ref: ImageRef, mapping: TagMapping) -> str:
    name = mapping.name or ref.name
    return f"{ref.prefix}{name}:{mapping.tag}"


def _arg_default_edit(ins: Instruction, var: str, expanded: str, new_ref: str) -> Edit:
    args = ins.args
    m = re.search(r"(?:^|\s)" + re.escape(var) + r"=(\"?)([^\s\"'$]+)\1(?=\s|$)", args)
    if m is None or m.group(2) != expanded:
        raise Refusal(f"the default of ARG {var} on line {ins.start_line} is not a plain word")
    s, e = ins.source_map.to_file_span(ins.args_start + m.start(2), ins.args_start + m.end(2))
    return Edit(s, e, new_ref)


def _split_outside_braces(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _from_edit(stage: Stage, ref: ImageRef, mapping: TagMapping, env: dict[str, str]) -> Edit:
    ins = stage.from_
    raw = stage.base
    if not ins.args.startswith(raw):
        raise Refusal(f"line {ins.start_line}: the FROM image is written in a form this pass cannot edit")
    if "$" not in raw:
        new = _new_ref(ref, mapping)
    else:
        pieces = _split_outside_braces(raw, ":")
        if len(pieces) < 2 or "$" in pieces[-1] and mapping.name is not None:
            raise Refusal(f"line {ins.start_line}: the image name is built from variables")
        image_raw, tag_raw = ":".join(pieces[:-1]), pieces[-1]
        if "/" in tag_raw or "@" in tag_raw:
            raise Refusal(f"line {ins.start_line}: the tag is built from variables in a way this pass cannot follow")
        raw_tokens = _split_outside_braces(tag_raw, "-")
        try:
            expanded_tokens = [expand(t, env) for t in raw_tokens]
        except ExpandError:
            raise Refusal(f"line {ins.start_line}: the tag's variables cannot be expanded") from None
        if expanded_tokens != split_tag(ref.tag or "") or "$" in image_raw and mapping.name:
            raise Refusal(f"line {ins.start_line}: the tag is built from variables in a way this pass cannot follow")
        kept = {i for _, i in mapping.tokens if i is not None}
        for i, t in enumerate(raw_tokens):
            if "$" in t and i not in kept:
                raise Refusal(f"line {ins.start_line}: the variable part `{t}` of the tag would be dropped")
        tag = "-".join(raw_tokens[i] if i is not None else t for t, i in mapping.tokens)
        new = f"{image_raw}:{tag}"
    s, e = ins.source_map.to_file_span(ins.args_start, ins.args_start + len(raw))
    return Edit(s, e, new)


def _lineage(ctx: Context, roots: list[Stage], children: dict[int, list[int]]) -> list[Stage]:
    stages = ctx.dockerfile.stages()
    out: list[Stage] = []
    todo = [r.index for r in roots]
    while todo:
        i = todo.pop(0)
        out.append(stages[i])
        todo.extend(children.get(i, []))
    return sorted(out, key=lambda s: s.index)


def _check_flags(c: Command, line: int, long_ok: frozenset[str], short_ok: str | frozenset[str]) -> None:
    words = c.argv[1:]
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        v = w.value
        if v is None:
            if w.text.startswith("-"):
                raise Refusal(f"line {line}: `{w.text}` is not a literal option")
            continue
        if v in APT.takes_value:  # apt's options with a value: only configuration is dropped
            if v in _APT_RELEASE_OPTIONS:
                raise Refusal(f"line {line}: `{v}` selects a Debian release")
            if v not in ("-o", "-c", "--option"):
                raise Refusal(f"line {line}: apt option `{v}` is not translated")
            skip = True
            continue
        if v.startswith("-o") and len(v) > 2:
            continue
        if v.startswith("--"):
            if v.split("=", 1)[0] not in long_ok:
                raise Refusal(f"line {line}: apt option `{v}` is not translated")
        elif v.startswith("-") and len(v) > 1:
            if any(ch not in short_ok for ch in v[1:]):
                raise Refusal(f"line {line}: apt option `{v}` is not translated")


def _packages(c: Command, line: int, long_ok: frozenset[str], short_ok: str | frozenset[str]) -> list[str]:
    _check_flags(c, line, long_ok, short_ok)
    out: list[str] = []
    for w in c.positional(takes_value=APT.takes_value)[1:]:
        v = w.value
        if v is None and w.text in ("$PHPIZE_DEPS", "${PHPIZE_DEPS}", '"$PHPIZE_DEPS"'):
            v = "$PHPIZE_DEPS"  # the php images define it in both variants (Alpine names on Alpine)
        elif v is None:
            raise Refusal(f"line {line}: the package list uses `{w.text}`, whose value is only known at build time")
        if v == "$PHPIZE_DEPS":
            out.append(v)
            continue
        if w.glob or "=" in v or ":" in v or "/" in v or v.endswith("-") or v.endswith(".deb"):
            raise Refusal(f"line {line}: `{v}` is version-pinned, architecture-qualified or a file; "
                          "apk cannot install it under that name")
        if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]*", v):
            raise Refusal(f"line {line}: `{v}` is not a Debian package name")
        if v not in out:
            out.append(v)
    return out


def _assign_purges(installs: list[_Install], purges: list[_Purge]) -> None:
    taken: set[tuple[int, str]] = set()
    for pid, purge in enumerate(purges):
        for name in purge.packages:
            source = None
            for k in range(len(installs) - 1, -1, -1):
                inst = installs[k]
                if inst.order < purge.order and name in inst.packages and (k, name) not in taken:
                    source = k
                    break
            if source is None:
                raise Refusal(f"line {purge.line}: `{name}` is purged but was not installed "
                              "by this stage (apk cannot remove what the base image brings)")
            taken.add((source, name))
            installs[source].by_purge.setdefault(pid, []).append(name)


def _alpine_names(names: list[str], pk: dict) -> list[str]:
    out: list[str] = []
    for n in names:
        entry = pk.get(n)
        for a in (entry.alpine if entry is not None else (n,)):
            if a not in out:
                out.append(a)
    return out


def _virtual_name(installs: list[_Install], inst: _Install, purge_id: int) -> str:
    pairs = [(i, p) for i, x in enumerate(installs) for p in x.by_purge]
    me = (installs.index(inst), purge_id)
    if len(pairs) == 1:
        return ".build-deps"
    return f".build-deps-{pairs.index(me) + 1}"


def _apk_add(names: list[str], virtual: str | None, cmd: Command, ins: Instruction, df: Dockerfile) -> str:
    head = "apk add --no-cache" + (f" --virtual {virtual}" if virtual else "")
    span_s, span_e = ins.source_map.to_file_span(ins.args_start + cmd.start, ins.args_start + cmd.end)
    original = df.source[span_s:span_e]
    if "\n" not in original or len(names) < 2:
        return head + " " + " ".join(names)
    # Keep the original's one-package-per-line shape, with its indentation.
    lines = original.splitlines()
    indent = "    "
    for ln in lines[1:]:
        stripped = ln.lstrip(" \t")
        if stripped and not stripped.startswith("#"):
            indent = ln[: len(ln) - len(stripped)]
            break
    sep = f" {df.escape}{df.newline}{indent}"
    return head + sep + sep.join(names)


def _top_index(script: Script, c: Command) -> int | None:
    for i, st in enumerate(script.statements):
        if st.kind == "command" and len(st.commands) == 1 and st.commands[0].start == c.start \
                and not c.context:
            return i
    return None


def _first_statement_is(script: Script, c: Command) -> bool:
    for st in script.statements:
        first = st.commands[0] if st.commands else None
        if st.kind == "command" and first is not None and (
                first.basename == "set" or first.basename in _APT and first.subcommand(
                    takes_value=APT.takes_value) == "update"):
            continue
        return len(st.commands) == 1 and st.commands[0].start == c.start and not c.context
    return False


def _apt_env(w: Word) -> bool:
    name = (w.value or w.text).split("=", 1)[0]
    return name in ("DEBIAN_FRONTEND", "DEBCONF_NOWARNINGS", "APT_LISTCHANGES_FRONTEND", "DEBCONF_NONINTERACTIVE_SEEN")


def _quote(value: str) -> str:
    return value if value and re.fullmatch(r"[A-Za-z0-9_./:,+@%=-]+", value) else shlex.quote(value)


def _translate_user(c: Command, line: int, name: str) -> tuple[str, str | None]:
    """BusyBox text for a Debian useradd/groupadd/adduser/addgroup; (text, login shell)."""
    words = list(c.argv[1:])
    opts: list[tuple[str, Word | None]] = []
    positional: list[Word] = []
    takes = {
        "useradd": {"-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s",
                    "--shell", "-c", "--comment", "-k", "--skel"},
        "groupadd": {"-g", "--gid"},
        "adduser": {"--uid", "--gid", "--ingroup", "--home", "--shell", "--gecos", "--comment"},
        "addgroup": {"--gid"},
    }[name]
    i = 0
    while i < len(words):
        w = words[i]
        v = w.value
        if v is None:
            raise Refusal(f"line {line}: `{w.text}` in {name} is only known at build time")
        if v.startswith("--") and "=" in v:
            key, _, val = v.partition("=")
            opts.append((key, Word(_quote(val), val, w.start, w.end)))
        elif v in takes:
            if i + 1 >= len(words) or words[i + 1].value is None:
                raise Refusal(f"line {line}: {name} {v} needs a literal value")
            opts.append((v, words[i + 1]))
            i += 1
        elif v.startswith("-") and len(v) > 1:
            if not v.startswith("--") and len(v) > 2:  # a cluster like -rm or -ms /bin/sh
                opts.extend((f"-{ch}", None) for ch in v[1:-1])
                last = f"-{v[-1]}"
                if last in takes:
                    if i + 1 >= len(words) or words[i + 1].value is None:
                        raise Refusal(f"line {line}: {name} {v} needs a literal value")
                    opts.append((last, words[i + 1]))
                    i += 1
                else:
                    opts.append((last, None))
            else:
                opts.append((v, None))
        else:
            positional.append(w)
        i += 1
    if any(p.value is None for p in positional):
        raise Refusal(f"line {line}: {name} names a user or group only known at build time")
    for key, val in opts:
        if val is None and key in _VALUE_USER_FLAGS:
            raise Refusal(f"line {line}: {name} {key} is not a {name} option this pass knows")
    if name == "groupadd" or name == "addgroup":
        out = ["addgroup"]
        for key, val in opts:
            if key in ("-r", "--system"):
                out.append("-S")
            elif key in ("-g", "--gid"):
                out += ["-g", val.text]  # type: ignore[union-attr]
            elif key in ("--quiet", "-q"):
                continue
            else:
                raise Refusal(f"line {line}: {name} {key} has no BusyBox counterpart")
        if len(positional) != 1:
            raise Refusal(f"line {line}: {name} with {len(positional)} names is not translated")
        return " ".join(out + [positional[0].text]), None
    flags: list[str] = ["-D"]
    group: str | None = None
    shell: str | None = None
    system = False
    create_home = name == "adduser"
    extra_groups: list[str] = []
    create_own_group = False
    for key, val in opts:
        text = val.text if val is not None else ""
        value = val.value if val is not None else ""
        if key in ("-r", "--system"):
            system = True
        elif key in ("-u", "--uid"):
            flags += ["-u", text]
        elif key in ("-g", "--gid", "--ingroup"):
            if value.isdigit():
                raise Refusal(f"line {line}: {name} {key} {value}: BusyBox adduser -G takes a group name, not a number")
            group = text
        elif key in ("-G", "--groups"):
            extra_groups.extend(g for g in value.split(",") if g)
        elif key in ("-d", "--home-dir", "--home"):
            flags += ["-h", text]
        elif key in ("-s", "--shell"):
            flags += ["-s", text]
            shell = value
        elif key in ("-c", "--comment", "--gecos"):
            flags += ["-g", text]
        elif key in ("-k", "--skel"):
            flags += ["-k", text]
        elif key in ("-m", "--create-home"):
            create_home = True
        elif key in ("-M", "--no-create-home"):
            create_home = False
        elif key in ("-l", "--no-log-init", "-U", "--user-group", "--quiet", "-q", "--disabled-password",
                     "--disabled-login"):
            continue
        elif key == "--group" and name == "adduser":
            create_own_group = True
        else:
            raise Refusal(f"line {line}: {name} {key} has no BusyBox counterpart")
    if name == "adduser" and len(positional) == 2 and not opts:
        return f"addgroup {positional[0].text} {positional[1].text}", None
    if name == "adduser" and not any(k in ("--disabled-password", "--disabled-login", "--system")
                                     for k, _ in opts):
        raise Refusal(f"line {line}: Debian adduser without --disabled-password prompts for a password")
    if len(positional) != 1:
        raise Refusal(f"line {line}: {name} with {len(positional)} names is not translated")
    user = positional[0].text
    if system:
        flags.insert(1, "-S")
        if name == "useradd" and group is None:  # useradd -r makes a group named after the user
            create_own_group = True
    if not create_home:
        flags.append("-H")
    prefix = ""
    if create_own_group:
        if group is not None:
            raise Refusal(f"line {line}: {name} with both its own group and another primary group")
        prefix = f"addgroup{' -S' if system else ''} {user} && "
        group = user
    if group is not None:
        flags += ["-G", group]
    text = prefix + "adduser " + " ".join(flags + [user])
    for g in extra_groups:
        text += f" && addgroup {user} {_quote(g)}"
    if (prefix or extra_groups) and c.context:
        raise Refusal(f"line {line}: {name} inside a compound command needs more than one BusyBox command")
    return text, shell


def _context_scripts_need_bash(ctx: Context, ins: Instruction) -> list[str]:
    view = ctx.view()
    if ins.flag("from") is not None or view is None or ins.is_json and len(ins.value) < 2:
        return []
    sources = ins.value[:-1]
    out: list[str] = []
    for src in sources:
        if "$" in src or "://" in src:
            continue
        rel = source_path(src)
        if rel is None:
            continue
        for f in view.walk(rel, 500):
            head = (view.head(f, 200) or b"").split(b"\n", 1)[0]
            if head.startswith(b"#!") and b"bash" in head:
                out.append(f"{posixpath.basename(f)} (copied on line {ins.start_line})")
                break
    return out


def _copy_from_warnings(df: Dockerfile, names: set[int]) -> list[str]:
    by_name = {(s.name or "").lower(): s.index for s in df.stages() if s.name}
    out = []
    for s in df.stages():
        for ins in s.instructions:
            if ins.cmd != "COPY":
                continue
            flag = ins.flag("from")
            if flag is None or flag.value is None:
                continue
            src = by_name.get(flag.value.lower())
            if src is None and flag.value.isdigit():
                src = int(flag.value)
            if src is None:
                continue
            if (src in names) != (s.index in names):
                out.append(f"COPY --from={flag.value} on line {ins.start_line} crosses glibc/musl: native "
                           "binaries and compiled modules built on one do not load on the other")
    return out


def _package_map(ctx: Context) -> dict[str, PackageEntry]:
    """The data file's map, with the configuration's `package-map` entries on top."""
    extra = getattr(ctx.options, "package_map", ())
    if not extra:
        return data().packages
    merged = dict(data().packages)
    for name, targets in extra:
        merged[name] = PackageEntry(name, tuple(targets), "configuration (package-map)")
    return merged


_MUSL = {
    "python": "Python wheels must be musllinux builds, otherwise pip compiles them (build-base and -dev "
              "packages needed)",
    "node": "native addons need musl prebuilds or python3, make and g++ to compile",
    "ruby": "gems with native extensions compile against musl (build-base needed)",
    "golang": "cgo binaries link musl; CGO_ENABLED=0 builds are unaffected",
}


def _general_warnings(mapping: TagMapping, ref: ImageRef) -> list[str]:
    family = mapping.family.image if mapping.family is not None else ""
    out = ["musl instead of glibc: " + (_MUSL[family] + "; " if family in _MUSL else "")
           + "prebuilt glibc binaries need gcompat; DNS resolution differs"]
    if mapping.full_variant:
        out.append(f"`{ref.name}:{ref.tag or 'latest'}` is built on buildpack-deps: compilers, git and "
                   "-dev libraries it had are not in the Alpine image")
    if mapping.family is not None and mapping.family.arch_note:
        out.append(mapping.family.arch_note)
    return out
