"""One stage of the `alpine-base` pass: read its instructions, map its apt installs to apk, translate
its user and locale commands and the paths that differ, and render the edits (or raise Refusal)."""

from __future__ import annotations

import posixpath
import re

from .._records import dataclass, field
from ..managers import APT
from ..managers.apt import DEBIAN_ONLY as _DEBIAN_ONLY
from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.shell import Command, Script
from .alpine_apt import (
    _APT,
    _APT_PATHS,
    _DEBIAN_PATHS,
    _INSTALL_LONG,
    _INSTALL_SHORT,
    _LOCALE_FILES,
    _PURGE_LONG,
    _alpine_names,
    _apk_add,
    _apt_env,
    _assign_purges,
    _check_flags,
    _first_statement_is,
    _Install,
    _packages,
    _Purge,
    _top_index,
    _top_indexes,
    _virtual_name,
)
from .alpine_data import (
    ImageRef,
    PackageEntry,
    Refusal,
    TagMapping,
    alpine_version_at_least,
    data,
)
from .alpine_paths import locale_warnings, missing_command, path_edits
from .alpine_users import _translate_user
from .base import Context, Edit
from .buildcontext import source_path
from .shellquery import run_script

# Tools present in buildpack-deps (the base of the non-slim Debian variants) -> Alpine package.
_BUILDPACK_TOOLS = {
    "git": "git", "curl": "curl", "gcc": "build-base", "g++": "build-base", "cc": "build-base",
    "make": "make", "ssh": "openssh-client", "scp": "openssh-client", "gpg": "gnupg",
    "svn": "subversion", "hg": "mercurial", "file": "file", "convert": "imagemagick",
    "autoconf": "autoconf", "automake": "automake",
}
_SHELL_NEEDING_BASH = ("bash", "/bin/bash", "/usr/bin/bash")
_INDIRECT = re.compile(r"(^|[\s;&|'\"(`])(apt-get|apt|aptitude|dpkg|apt-key|add-apt-repository)(\s|$|['\";&|)])")


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


def translate_stage(ctx: Context, df: Dockerfile, stage: Stage, mapping: TagMapping,
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
            for w in words[:3]:
                why = missing_command(w)
                if why is not None:
                    raise Refusal(f"line {ins.start_line}: {cmd} runs {why}")
            continue
        if cmd in ("COPY", "ADD"):
            needs_bash.extend(_context_scripts_need_bash(ctx, ins))
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
        _scan_run(run, index, installs, purges, plan, needs_bash, uses, apt_installed,
                       gosu_commands)
    _assign_purges(installs, purges)
    if any("$PHPIZE_DEPS" in i.packages for i in installs):
        for r in runs:  # the stage installs them itself
            r.wrap_phpize = False
    # Map every installed package.
    allow = ctx.options.allow_unmapped
    missing: dict[str, None] = {}  # in order, each once
    if ref.name == "php":
        pk = dict(pk)
        pk["$PHPIZE_DEPS"] = PackageEntry("$PHPIZE_DEPS", ("$PHPIZE_DEPS",), "docker-library/php")
    for inst in installs:
        for name in inst.packages:
            entry = pk.get(name)
            if entry is None:
                if allow:
                    plan.unmapped.add(name)
                else:
                    missing[name] = None
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
    if "update-ca-certificates" in uses and "ca-certificates" not in plan.alpine_packages:
        extras.append("ca-certificates")  # the base image has only ca-certificates-bundle
        plan.warnings.append("update-ca-certificates is in Alpine's ca-certificates package (the image "
                             "has only the bundle): added")
    moved, path_extras, path_warnings = path_edits(df, stage, apt_installed)
    plan.edits.extend(moved)
    extras.extend(p for p in path_extras if p not in extras)
    plan.warnings.extend(path_warnings)
    plan.warnings.extend(locale_warnings(stage))
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
    _render(df, stage, runs, installs, purges, extras, shell_bash_before_run, plan, pk)
    return plan

def _scan_run(run: _Run, index: int, installs: list[_Install], purges: list[_Purge],
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
        why = missing_command(name)
        if why is not None:
            raise Refusal(f"line {line}: runs {why}")
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

# --------------------------------------------------------------------------- text

def _render(df: Dockerfile, stage: Stage, runs: list[_Run], installs: list[_Install],
            purges: list[_Purge], extras: list[str], shell_first: bool, plan: _StagePlan,
            pk: dict[str, PackageEntry]) -> None:
    tops_by_run: dict[int, dict[int, int]] = {}  # per RUN, built when first asked
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
        if len(pieces) > 1:
            if inst.run not in tops_by_run:
                tops_by_run[inst.run] = _top_indexes(run.script)
            if _top_index(tops_by_run[inst.run], inst.cmd) is None:
                raise Refusal(f"line {run.ins.start_line}: a split install inside a compound command")
        run.replace[inst.cmd.start] = " && ".join(pieces)
    for purge in purges:
        run = runs[purge.run]
        run.replace[purge.cmd.start] = ("apk del " + " ".join(purge.virtuals)) if purge.virtuals else ""
    for run in runs:
        if run.wrap_phpize and run.replace is not None and not run.script.is_and_chain:
            raise Refusal(f"line {run.ins.start_line}: pecl needs $PHPIZE_DEPS, which the Alpine "
                              "image does not have, and this RUN is not a plain && chain to wrap")
        _edit_run(run, plan)
    if extras:
        nl = df.newline
        plan.edits.append(Edit(stage.from_.end, stage.from_.end,
                               f"RUN apk add --no-cache {' '.join(extras)}{nl}"))
        if not stage.from_.text.endswith(("\n", "\r")):
            plan.edits[-1] = Edit(stage.from_.end, stage.from_.end,
                                  f"{nl}RUN apk add --no-cache {' '.join(extras)}")

def _edit_run(run: _Run, plan: _StagePlan) -> None:
    ins, script = run.ins, run.script
    base = ins.args_start
    smap = ins.source_map
    statements = script.statements
    deleted: set[int] = set()
    for (ws, we), text in run.words.items():
        fs, fe = smap.to_file_span(base + ws, base + we)
        plan.edits.append(Edit(fs, fe, text))
    tops = _top_indexes(script)
    by_start: dict[int, Command] = {}
    for c in script.commands:
        by_start.setdefault(c.start, c)  # the first command at each start, as a scan finds it
    for start, text in run.replace.items():
        c = by_start[start]
        if text == "":
            i = _top_index(tops, c)
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


def _package_map(ctx: Context) -> dict[str, PackageEntry]:
    """The data file's map, with the configuration's `package-map` entries on top."""
    extra = getattr(ctx.options, "package_map", ())
    if not extra:
        return data().packages
    merged = dict(data().packages)
    for name, targets in extra:
        merged[name] = PackageEntry(name, tuple(targets), "configuration (package-map)")
    return merged
