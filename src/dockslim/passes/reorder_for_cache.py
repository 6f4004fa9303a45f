from __future__ import annotations

import posixpath
import re
from typing import Iterator

from .._records import dataclass
from ..syntax import Instruction
from .base import Context, Edit, Finding, Fix, Pass, Safety, same_case
from .buildcontext import (
    IGNORE_FILE,
    BuildContext,
    is_ignored,
    parse_ignore,
)
from .depinstall import Needs, Refusal, analyse_run, is_dependency_install
from ..managers import SYSTEM, recognize
from .shellquery import run_script

_COPY_FLAGS = frozenset({"chown", "chmod", "link"})
# Where the steps moved above the copy write, or read their configuration from: per ecosystem of
# depinstall's installs, for system package managers, and for any RUN. A broad copy onto such a
# folder, above one or inside one is never reordered: the late copy could overwrite what the
# install put there, or the install would miss a configuration file the early copy put there.
# Sources: pip's install scheme (sysconfig "posix_prefix", prefix /usr/local in the python
# images) and its config files (pip.pypa.io/en/stable/topics/configuration); npm's global prefix
# /usr/local and npmrc files (docs.npmjs.com/cli/configuring-npm/npmrc); the ruby image's
# GEM_HOME /usr/local/bundle and /var/lib/gems of Debian's ruby; GOPATH /go and GOROOT
# /usr/local/go of the golang image; composer's COMPOSER_HOME (~/.composer) and php's
# /usr/local/etc/php; maven's ~/.m2 and /usr/share/maven/conf; system packages: anywhere the FHS
# lets a distribution install, /opt (3.13, add-on packages) and /srv (3.17) included, not /home.
_INSTALL_FOLDERS: dict[str, tuple[str, ...]] = {
    "any": ("/tmp", "/var/tmp", "/root", "/home", "/etc"),
    "system": ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc", "/var",
               "/opt", "/srv", "/boot"),
    "python": ("/usr/local/lib", "/usr/local/bin", "/usr/local/include", "/usr/local/share",
               "/usr/local/etc", "/usr/lib/python3", "/usr/share/python-wheels"),
    "node": ("/usr/local/lib/node_modules", "/usr/local/bin", "/usr/local/etc",
             "/usr/local/share", "/usr/local/include"),
    "ruby": ("/usr/local/bundle", "/usr/local/lib/ruby", "/usr/local/bin", "/usr/local/etc",
             "/var/lib/gems"),
    "go": ("/go", "/usr/local/go"),
    "php": ("/usr/local/etc", "/usr/local/bin", "/usr/local/lib/php"),
    "java": ("/usr/share/maven", "/usr/share/java"),
}
_METADATA = frozenset({"ENV", "ARG", "LABEL", "EXPOSE", "USER"})
_BASE = "@base"  # stands for the base image's WORKDIR when the Dockerfile does not say it

# .dockerignore entries offered per ecosystem (always: version control and the files of the build).
_IGNORE_ALWAYS = (".git", ".hg", ".svn", IGNORE_FILE)
_IGNORE_BY_ECOSYSTEM = {
    "python": ("**/__pycache__", "**/*.pyc", ".venv", "venv", ".pytest_cache", ".mypy_cache",
               ".tox", "*.egg-info", "build", "dist"),
    "node": ("node_modules", "**/node_modules", "npm-debug.log*", "yarn-error.log", ".npm",
             "coverage", "dist", "build"),
    "ruby": (".bundle", "vendor/bundle", "log", "tmp"),
    "go": ("bin", "*.test"),
    "php": ("vendor",),
    "java": ("target", "build", ".gradle"),
}
_ECOSYSTEM_FILES = {
    "python": ("requirements.txt", "Pipfile", "pyproject.toml", "setup.py", "manage.py"),
    "node": ("package.json",),
    "ruby": ("Gemfile",),
    "go": ("go.mod",),
    "php": ("composer.json",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
}


@dataclass(frozen=True)
class _Copy:
    """A `COPY . <dest>` / `ADD . <dest>` of the whole build context."""

    ins: Instruction
    dest: str  # as written
    folder: str  # absolute (or "@base/..."), normalised


class ReorderForCache(Pass):
    """## What it does
    When a stage copies the whole build context (`COPY . /app`, `ADD . /code/`) before a dependency
    install that needs only the manifest files, copies the manifests first, runs the install, and
    copies the rest afterwards. Other steps that cannot depend on the copied sources (system package
    installs without file arguments, `ENV`, `LABEL`, `EXPOSE`, `WORKDIR`, `USER`) move above the
    copy with them. Known installs: pip (`-r`/`-c` files and their includes), pipenv, poetry
    (`--no-root`), uv (`--no-install-project`), npm, yarn 1, pnpm, bundler, go modules, composer
    and maven (`dependency:go-offline`). When the stage copies the whole context and the context
    has no `.dockerignore`, it also offers one, tuned to the ecosystems it finds.

    ## Why is this bad?
    BuildKit re-runs an instruction when it or any earlier instruction changes, and a `COPY`
    changes whenever a file it copies changes. With `COPY . /app` first, every edit of a source
    file re-installs every dependency. Copying the manifests first keeps the install cached until
    a manifest changes.

    ## Example
    ```dockerfile
    COPY . /code/
    WORKDIR /code
    RUN pip install -r requirements.txt
    ```
    becomes
    ```dockerfile
    COPY requirements.txt /code/
    WORKDIR /code
    RUN pip install -r requirements.txt
    COPY . /code/
    ```

    ## Fix safety
    The install now runs before the rest of the sources are in the image, so the fix is safe only
    when the build context proves (`--context`, default the Dockerfile's folder) that it reads
    nothing else, and that the late copy cannot undo what it did:
    - every command of every moved `RUN` is one we know: the installs above (their manifests must
      be regular files of the context that `.dockerignore` does not exclude), system package
      managers with package names only, `rm`/`mkdir` of absolute paths outside the copied folder,
      `echo`/`true`/`export`. Anything else (`python manage.py ...`, `cd`, a redirect into a file)
      may read the sources: no fix.
    - the manifests read nothing else: a requirements file with `-e .`, `.`, a local path, a
      `--find-links` folder or an include outside the copied folder; `pip install .`; npm/yarn/pnpm
      lifecycle scripts (`preinstall`, `install`, `postinstall`, `prepare`), `binding.gyp`,
      workspaces or `file:` dependencies; `poetry install` without `--no-root` or with
      `packages`; `uv sync` without `--no-install-project`, with workspaces, path sources or
      dynamic metadata; a Gemfile that uses `gemspec`, `path:` or reads files; go.mod `replace`
      with a local path or a `go.work`; composer scripts (without `--no-scripts`) or a classmap
      autoloader; a maven multi-module `pom.xml` or `.mvn/` — each means no fix.
    - optional config the tool reads from the project (`.npmrc`, `.yarnrc`, `poetry.toml`,
      `uv.lock`, `.python-version`, `Pipfile.lock`, `.env` for pipenv ...) is copied with the
      manifests when the context has it.
    - what the install writes into the copied folder (`node_modules`, `vendor`, `.venv`,
      `vendor/bundle`, `pip --target` ...) must not be in the copied context: otherwise the late
      copy would overwrite it. Add it to `.dockerignore` and the fix applies.
    - the manifest copy uses the same destination (with a trailing `/`, one copy per sub-folder),
      the same `--chown`/`--chmod`/`--link`, and always `COPY` (an `ADD .` copies files verbatim;
      `ADD` of a single file could unpack it). It sits where the broad copy was, so a relative
      destination resolves against the same `WORKDIR`; the broad copy later rewrites the manifests
      with the same content and mode. A relative destination is never moved across a `WORKDIR`.
      The destination folder itself is created by either copy the same way (mode 0755, the
      `--chown` owner), but a manifest in a sub-folder (`requirements/base.txt`) makes the manifest
      copy create that sub-folder with mode 0755, where the broad copy would have given it the
      context folder's mode: unless a `WORKDIR` made the sub-folder before, that fix is unsafe.
    - an `ENV`/`ARG` value that names the copied folder (`PYTHONPATH=/code`, `PATH=/app/bin:...`),
      a `RUN --mount` bind or a mount inside the copied folder, a `SHELL`, variables in the copy
      or in `WORKDIR`, an unknown base-image `WORKDIR` with a relative destination: no fix.
    - a copy onto, above or inside a folder the moved steps write into or read configuration from:
      no fix. Any RUN: `/tmp`, `/root`, `/home`, `/etc`; pip: `/usr/local/lib`, `/usr/local/bin`
      ...; npm: `/usr/local/lib/node_modules` ...; bundler: `/usr/local/bundle`; go: `/go`;
      system package managers: `/usr`, `/var`, `/opt`, `/srv` .... So `COPY . /srv` or
      `COPY . /opt/app` before `pip install -r` is reordered; before `apt-get install` it is not.
    - an install that may rewrite its lock file (`npm install`, `yarn` without
      `--frozen-lockfile`, `bundle install` without `--frozen`, `uv sync` without `--locked`,
      `pipenv install` without `--deploy`, `pnpm install` without `--frozen-lockfile`) gets an
      unsafe fix: the late copy would put the context's lock file back.
    Without a build context, or when a check fails, there is no fix and `check` prints a note that
    says what to check. Gradle is not handled. The offered `.dockerignore` lists itself and
    comments out every entry that would exclude a file the image gets today, so creating it
    changes nothing that is copied now; an existing one is never touched.
    """

    id = "reorder-for-cache"
    summary = "Copy dependency manifests and install before copying the whole build context"
    safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        df = ctx.dockerfile
        view = ctx.view()
        offered = False
        final_workdir: dict[str, str | None] = {}
        for stage in df.stages():
            base = stage.base.lower()
            workdir = final_workdir.get(base, _BASE)  # a stage built FROM an earlier one inherits
            env: dict[str, str] = {}
            made_dirs: set[str] = set()  # folders a WORKDIR of this stage created (or found)
            shell_changed = False
            instructions = stage.instructions
            for index, ins in enumerate(instructions):
                if ins.cmd == "WORKDIR":
                    workdir = _join(workdir, ins.value[0] if ins.value else "")
                    folder = workdir
                    while folder and folder.startswith("/") and folder not in made_dirs:
                        made_dirs.add(folder)
                        folder = posixpath.dirname(folder)
                elif ins.cmd == "ENV":
                    env.update(ins.pairs())
                elif ins.cmd == "ARG":
                    env.update(item.partition("=")[::2] for item in ins.value)
                elif ins.cmd == "SHELL":
                    shell_changed = True
                copy = _broad_copy(ins, workdir)
                if copy is None:
                    continue
                yield from self._reorder(ctx, view, copy, instructions[index + 1 :], workdir, env,
                                         shell_changed, frozenset(made_dirs))
                if not offered and view is not None and not view.has_ignore_file:
                    offered = True
                    yield self._offer_ignore(ctx, view, ins)
            for key in (stage.name, str(stage.index)):
                if key is not None:
                    final_workdir[key.lower()] = workdir

    # -- the reorder ---------------------------------------------------------------------------

    def _reorder(self, ctx: Context, view: BuildContext | None, copy: _Copy,
                 following: tuple[Instruction, ...], workdir: str | None, env: dict[str, str],
                 shell_changed: bool, made_dirs: frozenset[str]) -> Iterator[Finding]:
        ins = copy.ins
        installs = [r for r in following if r.cmd == "RUN" and _installs(r)]
        start, end = ins.keyword_start, ins.keyword_start + len(ins.keyword)

        def note(reason: str) -> Finding:
            first = installs[0]
            return Finding(self.id, f"{ins.keyword} of the whole build context before the "
                           f"dependency install at line {first.start_line} left alone: {reason}",
                           start, end, note=True)

        refusal = _copy_refusal(copy)
        if refusal:
            if installs:
                yield note(refusal)
            return
        if view is None:
            if installs:
                yield note("the build context is unknown, so the manifests cannot be checked "
                           "(run with --context)")
            return

        needs = Needs()
        moved: list[Instruction] = []
        crossed: list[Instruction] = []
        cwd = workdir
        stop = ""
        relative_dest = not copy.dest.startswith("/")
        for later in following:
            cmd = later.cmd
            if cmd == "WORKDIR":
                if relative_dest:
                    stop = f"line {later.start_line}: WORKDIR would change where `{copy.dest}` lands"
                    break
                cwd = _join(cwd, later.value[0] if later.value else "")
            elif cmd in ("ENV", "ARG"):
                pass
            elif cmd == "RUN":
                try:
                    needs.merge(self._run_needs(later, view, copy, cwd, env, crossed, shell_changed))
                except Refusal as exc:
                    stop = f"line {later.start_line}: {exc}"
                    break
                crossed.append(later)
                moved = list(crossed)
                continue
            elif cmd not in _METADATA:
                stop = f"line {later.start_line}: {later.keyword} is not moved across"
                break
            crossed.append(later)
        if not moved:
            if installs and stop:
                yield note(stop)
            return
        problem = _install_folder_conflict(copy.folder, needs, moved) or \
            self._late_copy_problem(view, needs)
        if problem:
            if installs:
                yield note(problem)
            return
        last = moved[-1]
        if stop and any(r.start > last.start for r in installs):
            yield note(stop)  # a later install stays behind the copy
        yield self._fix(ctx, copy, moved, needs, made_dirs)

    def _run_needs(self, run: Instruction, view: BuildContext, copy: _Copy, cwd: str | None,
                   env: dict[str, str], crossed: list[Instruction], shell_changed: bool) -> Needs:
        if shell_changed:
            raise Refusal("a SHELL instruction changes how RUN runs")
        script = run_script(run)
        if script is None:
            raise Refusal("exec form or heredoc RUN")
        for flag in run.flags:
            if flag.name != "mount":
                continue
            options = dict(part.partition("=")[::2] for part in (flag.value or "").split(","))
            kind = options.get("type", "bind")
            target = options.get("target") or options.get("dst") or options.get("destination") or ""
            if kind == "bind":
                raise Refusal("a RUN --mount=type=bind reads files the reorder cannot see")
            if _inside(_join(cwd, target) or "", copy.folder):
                raise Refusal(f"a RUN --mount lands inside the copied folder ({target})")
        if cwd is None:
            raise Refusal("its working directory is not known (a WORKDIR uses a variable)")
        visible = dict(env)
        for ins in crossed:
            if ins.cmd == "ENV":
                visible.update(ins.pairs())
            elif ins.cmd == "ARG":
                visible.update(item.partition("=")[::2] for item in ins.value)
        for name, value in visible.items():
            if _names_folder(value, copy.folder):
                raise Refusal(f"{name}={value} names the copied folder, so the install may read it")
        if not view.known and is_dependency_install(script):
            raise Refusal("the build context is unknown")
        return analyse_run(script, view, copy.folder, cwd, visible)

    def _late_copy_problem(self, view: BuildContext, needs: Needs) -> str:
        for out in sorted(needs.outputs):
            found = view.copied_under(out)
            if found:
                return (f"the build context has {found[0]}, and the late copy would overwrite what "
                        f"the install leaves in {out} (add {out} to {IGNORE_FILE})")
        return ""

    def _fix(self, ctx: Context, copy: _Copy, moved: list[Instruction], needs: Needs,
             made_dirs: frozenset[str]) -> Finding:
        df = ctx.dockerfile
        source = df.source
        nl = df.newline
        ins = copy.ins
        keyword = same_case(ins.keyword, "COPY")
        flags = " ".join(source[f.start : f.end] for f in ins.flags)
        base = "./" if copy.dest in (".", "./") else copy.dest if copy.dest.endswith("/") else copy.dest + "/"
        groups: dict[str, list[str]] = {}
        for manifest in sorted(needs.manifests):
            groups.setdefault(posixpath.dirname(manifest), []).append(manifest)
        lines = []
        for sub, files in sorted(groups.items()):
            dest = base + sub + "/" if sub else base
            lines.append(" ".join([keyword] + ([flags] if flags else []) + files + [dest]) + nl)
        last = moved[-1]
        middle = source[ins.end : last.end]
        copy_text = source[ins.start : ins.end]
        if middle.endswith("\n"):
            text = "".join(lines) + middle + copy_text
        else:  # the last moved instruction ends the file without a newline
            text = "".join(lines) + middle + nl + copy_text.rstrip("\r\n")
        unsafe = list(needs.lock_rewrites)
        new_dirs = [sub for sub in groups if sub and posixpath.join(copy.folder, sub) not in made_dirs]
        if new_dirs:
            unsafe.append(f"the manifest copy creates {', '.join(sorted(new_dirs))} with mode 0755 "
                          "before the late copy; the late copy may keep that instead of the context "
                          "folder's mode")
        safety = Safety.UNSAFE if unsafe else Safety.SAFE
        what = ", ".join(needs.installs) or f"the RUN at line {moved[0].start_line}"
        if needs.manifests:
            action = f"copy {', '.join(sorted(needs.manifests))} first, then the rest after it"
        else:
            action = f"move the copy below line {last.start_line}, which does not need the sources"
        message = (f"{ins.keyword} of the whole build context before `{what}`: every source edit "
                   f"re-runs it; {action}")
        if unsafe:
            message += " (unsafe: " + "; ".join(unsafe) + ")"
        saving = f"{len(moved)} instruction re-run(s) after a source edit"
        start = ins.keyword_start
        return Finding(self.id, message, start, start + len(ins.keyword),
                       Fix((Edit(ins.start, last.end, text),), safety), saving=saving)

    # -- the .dockerignore offer ---------------------------------------------------------------

    def _offer_ignore(self, ctx: Context, view: BuildContext, ins: Instruction) -> Finding:
        copied = view.files()
        ecosystems = [e for e, names in _ECOSYSTEM_FILES.items()
                      if any(n in copied for n in names)
                      or (e == "python" and any(p.startswith("requirements") for p in copied))]
        patterns: list[str] = list(_IGNORE_ALWAYS)
        dockerfile = _context_relative(ctx)
        if dockerfile:
            patterns.append(dockerfile)
        for e in ecosystems:
            patterns += [p for p in _IGNORE_BY_ECOSYSTEM[e] if p not in patterns]
        lines = ["# Offered by dockslim (reorder-for-cache): what `COPY .` should not send.",
                 "# Commented-out entries match files the image gets today; uncomment the ones it",
                 "# does not need."]
        kept_out: list[str] = []
        for pattern in patterns:
            rules = parse_ignore(pattern)
            hit = next((p for p in copied if is_ignored(p, rules)), None)
            if hit is None:
                lines.append(pattern)
            else:
                lines.append(f"# {pattern}")
                kept_out.append(hit)
        content = "\n".join(lines) + "\n"
        start = ins.keyword_start
        tuned = ", ".join(ecosystems) if ecosystems else "no ecosystem found"
        return Finding(self.id, f"{ins.keyword} copies the whole build context and it has no "
                       f"{IGNORE_FILE}: add one ({tuned}) so stray files neither bloat the image "
                       "nor break the cache", start, start + len(ins.keyword),
                       Fix((), Safety.SAFE, creates=((IGNORE_FILE, content),)),
                       saving="a smaller build context and fewer cache misses")


def _installs(run: Instruction) -> bool:
    script = run_script(run)
    return script is not None and is_dependency_install(script)


def _join(workdir: str | None, path: str) -> str | None:
    if "$" in path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if workdir is None:
        return None
    return posixpath.normpath(posixpath.join(workdir, path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _names_folder(value: str, folder: str) -> bool:
    for token in re.split(r"[:\s=,;\"']+", value):
        if token.startswith("/") and (_inside(posixpath.normpath(token), folder)):
            return True
    return False


def _broad_copy(ins: Instruction, workdir: str | None) -> _Copy | None:
    if ins.cmd not in ("COPY", "ADD") or ins.heredocs or ins.sub is not None:
        return None
    if ins.flag("from") is not None or len(ins.value) != 2:
        return None
    src, dest = ins.value
    if posixpath.normpath(src) != ".":
        return None
    folder = _join(workdir, dest) if dest else None
    return _Copy(ins, dest, folder or "")


def _copy_refusal(copy: _Copy) -> str:
    ins = copy.ins
    bad = [f.raw for f in ins.flags if f.name not in _COPY_FLAGS]
    if bad:
        return f"the copy has {', '.join(bad)}"
    if any("$" in (f.value or "") for f in ins.flags) or "$" in copy.dest:
        return "the copy uses a variable"
    if re.search(r"[\s\"'\\]", copy.dest) or not copy.dest:
        return "the copy's destination needs quoting"
    if not copy.folder or copy.folder.startswith(_BASE):
        return ("the copy's destination is relative and the base image's WORKDIR is not known "
                "(set WORKDIR first)")
    if copy.folder == "/":
        return "the copy writes into the root folder /, where every install writes"
    return ""


def _install_folder_conflict(folder: str, needs: Needs, moved: list[Instruction]) -> str:
    """Why the steps moved above the copy may write into (or read configuration from) the copied
    folder, or "": the folders of :data:`_INSTALL_FOLDERS` they touch, on, above or below it."""
    kinds = ["any", *sorted(needs.ecosystems)]
    for ins in moved:
        script = run_script(ins) if ins.cmd == "RUN" else None
        if script is not None and any(recognize(c, SYSTEM) for c in script.commands):
            kinds.append("system")
            break
    for kind in kinds:
        for written in _INSTALL_FOLDERS.get(kind, ()):
            if folder == "/" or _inside(folder, written) or _inside(written, folder):
                who = {"any": "any RUN", "system": "system package installs"}.get(
                    kind, f"{kind} installs")
                return (f"the copy writes into {folder}, and {who} write or read configuration "
                        f"in {written}")
    return ""


def _context_relative(ctx: Context) -> str | None:
    view = ctx.view()
    return view.relative_path(ctx.path) if view is not None else None
