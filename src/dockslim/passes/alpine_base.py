from __future__ import annotations

from collections.abc import Iterator

from .._records import dataclass
from ..syntax import Dockerfile, Instruction, Stage
from .alpine_data import (
    ImageRef,
    Refusal,
    TagMapping,
    data,
    is_alpine,
    map_tag,
    parse_ref,
)
from .alpine_from import (
    _arg_default_edit,
    _from_edit,
    _global_args,
    _lineage,
    _new_ref,
    _references,
    _resolve,
    _whole_variable,
)
from .alpine_stage import translate_stage
from .base import Context, Edit, Finding, Fix, Pass, Safety


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

    def finding(self, pass_id: str, crossings: dict[int, list[str]]) -> Finding:
        """``crossings``: per stage, the `COPY --from` warnings that involve it (_copy_from_warnings)."""
        own = dict.fromkeys(w for st in self.stages for w in crossings.get(st.index, ()))
        warnings = self.warnings + list(own) + self.general
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
    language/runtime version (`python:3.12-slim-bookworm` -> `python:3.12-alpine`,
    `node:22-bookworm-slim` -> `node:22-alpine`) or, for `debian`/`ubuntu`, to a supported Alpine
    release (`debian:bookworm` -> `alpine:3.24`: Alpine releases out of support are never proposed), and translates
    the stage's commands: `apt-get update && apt-get install -y ... && rm -rf /var/lib/apt/lists/*`
    becomes `apk add --no-cache ...` with every package mapped to its Alpine name; packages purged
    later become `apk add --no-cache --virtual .build-deps ...` and `apk del .build-deps`;
    `useradd`/`groupadd`/Debian `adduser` become BusyBox `adduser -D`/`addgroup`; `gosu` becomes
    `su-exec`; `bash` is installed when a `SHELL`, `RUN`, `ENTRYPOINT` or copied script needs it;
    executables at other paths are rewritten (`/usr/bin/tini` -> `/sbin/tini`) and
    `update-ca-certificates` brings the `ca-certificates` package. Package names come from a table
    derived from Debian's and Alpine's indexes (`scripts/gen_alpine_packages.py`), and every name it
    emits is a package of each supported Alpine release.
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
    buildpack-deps, php's apache variant ...) or none built on a supported Alpine release for that
    version (`python:3.9-slim-bullseye`: the message lists the versions offered, since moving changes
    the language version); the stage runs a command Alpine names otherwise (`apache2ctl`, `cron`,
    `php-fpm8.2`); the reference is pinned by
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
        parent = df.stage_parents()
        children = df.stage_children()
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
        crossings = _copy_from_warnings(df, switched)  # once: a file has thousands of stages
        for o in outcomes:
            yield o if isinstance(o, Finding) else o.finding(self.id, crossings)

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
            plans = [translate_stage(ctx, df, s, mapping, ref) for s in stages]
        except Refusal as why:
            yield _note(self.id, at, f"`{expanded}` not switched to `{new_ref}`: {why}")
            return
        mapped: set[str] = set()
        unmapped: set[str] = set()
        seen: dict[str, None] = {}  # each warning once, in order (a lineage has many stages)
        for plan in plans:
            edits.extend(plan.edits)
            mapped |= plan.mapped
            unmapped |= plan.unmapped
            seen.update(dict.fromkeys(plan.warnings + plan.since_warnings))
        warnings = list(seen)
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


# --------------------------------------------------------------------------- helpers


def _note(pass_id: str, ins: Instruction, message: str) -> Finding:
    return Finding(pass_id, message, ins.keyword_start, ins.keyword_start + len(ins.keyword), note=True)


def _candidate(ref: ImageRef) -> bool:
    """An official image this pass knows about (Debian/Ubuntu-based or known to lack Alpine)."""
    if is_alpine(ref):
        return False
    d = data()
    return ref.name in d.families or ref.name in d.os_images or ref.name in d.no_alpine


def _copy_from_warnings(df: Dockerfile, names: set[int]) -> dict[int, list[str]]:
    """Per stage, the warnings for each `COPY --from` between it and another stage when exactly
    one of the two is switched (``names``: the switched stages)."""
    by_name = {(s.name or "").lower(): s.index for s in df.stages() if s.name}
    out: dict[int, list[str]] = {}
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
                warning = (f"COPY --from={flag.value} on line {ins.start_line} crosses glibc/musl: native "
                           "binaries and compiled modules built on one do not load on the other")
                out.setdefault(src, []).append(warning)
                out.setdefault(s.index, []).append(warning)
    return out


_MUSL = {
    "python": "pip takes only musllinux wheels: a package without one (or an old version without one) "
              "compiles from source, which needs build-base and the -dev packages and takes minutes",
    "pypy": "pip takes only musllinux wheels: a package without one compiles from source",
    "node": "npm packages with native addons (bcrypt, sharp, sqlite3 ...) need musl prebuilds or compile "
            "with python3, make and g++",
    "ruby": "gems with native extensions need musl builds or compile with build-base",
    "golang": "cgo binaries link musl (CGO_ENABLED=0 static binaries are unaffected)",
    "php": "extensions compile against musl; iconv is musl's (no //TRANSLIT: gnu-libiconv is the usual fix)",
    "eclipse-temurin": "JNI libraries built for glibc do not load in Temurin's musl build",
    "openjdk": "JNI libraries built for glibc do not load in a musl JVM",
}


def _general_warnings(mapping: TagMapping, ref: ImageRef) -> list[str]:
    family = mapping.family.image if mapping.family is not None else ""
    out = ["musl instead of glibc: " + (_MUSL[family] + "; " if family in _MUSL else "")
           + "prebuilt glibc binaries (downloaded tools, vendor SDKs) do not run without gcompat; DNS: musl "
           "queries all nameservers in parallel and ignores resolv.conf's single-request/rotate options",
           "/bin/sh is BusyBox ash and the usual tools are BusyBox applets (fewer options than GNU's)"]
    if mapping.full_variant:
        out.append(f"`{ref.name}:{ref.tag or 'latest'}` is built on buildpack-deps: compilers, git and "
                   "-dev libraries it had are not in the Alpine image")
    if mapping.family is not None and mapping.family.arch_note:
        out.append(mapping.family.arch_note)
    out.extend(mapping.notes)
    return out
