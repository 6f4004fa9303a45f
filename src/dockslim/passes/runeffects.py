"""What one RUN leaves behind for the RUNs after it, beyond files: the query layer's answers to
"may this body change the interpreter later RUNs start?" and "may it leave a process running?".

Each RUN starts a fresh ``/bin/sh -c`` (or the SHELL) and, when it ends, the build tears its
container down with every process in it. Merged into one RUN, later bodies run in the shell that
was already started, next to whatever the earlier body left running. So a merge must stop after a
body that may

* replace, remove or re-point the shell binary (``rm /bin/sh && ln -s /bin/bash /bin/sh``,
  ``dpkg-divert``, ``update-alternatives``, a package manager touching a shell package, an archive
  unpacked over ``/``) -- :func:`interpreter_change`;
* leave a process running (a background job at any depth, ``service x start``, ``pg_ctl start``,
  ``nginx``, ``start-stop-daemon --start``...) -- :func:`process_left_running`.

Both are asked of the parsed shell (``Command.outputs``, argv words), never of the text, and err on
the side of "may": a false "may" costs one merge, a false "may not" breaks a build.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Mapping

from ..managers import SYSTEM, recognize
from ..syntax import Instruction
from ..syntax.shell import Command, Script, Word

# The shells /bin/sh is on the base images builds use (Debian/Ubuntu: dash; Alpine/BusyBox:
# busybox; RHEL/Fedora/Amazon Linux: bash), the others a SHELL or /bin/sh may name, and where
# they live: /bin, and /usr/bin, which merged-/usr systems make the same folder
# (https://wiki.debian.org/UsrMerge, https://www.freedesktop.org/wiki/Software/systemd/TheCaseForTheUsrMerge/).
SHELL_NAMES = frozenset({"sh", "dash", "bash", "ash", "busybox", "mksh", "ksh", "ksh93", "zsh",
                         "posh", "yash", "oksh", "loksh"})
_SHELL_DIRS = ("/bin", "/usr/bin")
SHELL_PATHS = frozenset(f"{d}/{n}" for d in _SHELL_DIRS for n in SHELL_NAMES)
# Folders that hold a shell binary: a recursive removal, a move or an archive unpacked there
# may reach it. A relative path is resolved against each (the cwd is WORKDIR, `/` by default).
_SHELL_HOLDERS = ("/", "/bin", "/usr", "/usr/bin")

# Packages that ship a shell or the /bin/sh link: installing, upgrading, reinstalling or removing
# one by name may replace /bin/sh (Debian `dash` ships /bin/sh; Alpine `busybox`/`*-binsh`
# provide it, https://pkgs.alpinelinux.org/contents?file=sh&path=/bin; RHEL `bash`).
SHELL_PACKAGES = frozenset({"dash", "bash", "busybox", "busybox-static", "busybox-binsh",
                            "dash-binsh", "yash-binsh", "bash-binsh", "mksh", "posh", "yash", "ksh",
                            "ksh93", "zsh", "oksh", "loksh"})
# Package tools outside the package-manager model (dockslim.managers), which reads the others.
_LOW_LEVEL_PACKAGE_TOOLS = frozenset({"dpkg", "rpm", "pacman"})

# Tools and which of their operands they write (see _write_targets).
_REMOVERS = frozenset({"rm", "unlink", "rmdir", "shred", "chmod", "chown", "chgrp", "chattr",
                       "setfacl", "truncate", "tee", "sed", "perl", "patch"})
_COPIERS = frozenset({"cp", "install", "ln", "link", "rsync", "mv"})  # last operand (or -t DIR)
_FIRST_IS_NOT_A_PATH = frozenset({"chmod", "chown", "chgrp", "setfacl"})  # mode, owner, ACL
_MODE = re.compile(r"[0-7]+\Z|[ugoa]*[-+=]")
_SCRIPT_OPTIONS = {"sed": ("-e", "--expression", "-f", "--file"), "perl": ("-e", "-E")}
_EXTRACTORS = frozenset({"tar", "bsdtar", "unzip", "cpio"})
_ALTERNATIVES = frozenset({"update-alternatives", "alternatives", "dpkg-divert", "chsh"})


def interpreter_change(script: Script, shell: Iterable[str] = (),
                       env: Mapping[str, str] | None = None,
                       workdir: str | None = None) -> str | None:
    """Why this body may change the interpreter later RUNs start, or None.

    ``shell`` is the stage's SHELL argv, when it has one (its program then counts too); ``env``
    the values the stage's ENV and ARG give variables (a path `"$GNUPGHOME"` is read with them,
    and with the body's own single assignments); ``workdir`` the stage's WORKDIR when the
    Dockerfile sets it (a relative path, or an archive unpacked without `-C`, is read against it
    and the `cd`s before it; else against every folder that holds a shell).
    """
    extra = _shell_program(shell)
    values = _known_values(script, env or {})
    for cmd in script.commands:
        bases = _working_dirs(script, cmd, workdir, values)
        for word in cmd.outputs:
            if _may_reach(word, extra, inside=False, values=values, bases=bases):
                return f"it writes `{word.text}`, which may be the shell later RUNs start"
        reason = _command_change(cmd, extra, values, bases)
        if reason is not None:
            return reason
    return None


_TEMP_DIR = "/tmp/*"  # what `$(mktemp -d)` gives: a fresh folder under $TMPDIR (/tmp)
_BINDERS = frozenset({"read", "getopts", "mapfile", "readarray", "select"})


def _known_values(script: Script, env: Mapping[str, str]) -> dict[str, str]:
    """What variables may hold, as fnmatch patterns (see :func:`_pattern`): ENV/ARG values,
    overridden by the body's assignments when each name is assigned once (`d=/usr/src/x-$V`
    gives `/usr/src/x-*`, `$(mktemp -d)` a folder under /tmp). A name assigned twice, by
    `read`, or by a `for` loop may hold anything."""
    values: dict[str, str] = {}
    for name, value in env.items():
        values[name] = _pattern(value, values)
    seen: set[str] = set()
    unknown: set[str] = set(script.loop_variables)
    for cmd in script.commands:
        words = list(cmd.assignments)
        if cmd.basename in ("export", "declare", "typeset", "local", "readonly"):
            words += [w for w in cmd.argv[1:] if "=" in w.text and not w.text.startswith("-")]
        elif cmd.basename in _BINDERS:
            unknown.update(w.value for w in cmd.argv[1:] if w.value and not w.value.startswith("-"))
        for word in words:
            head, _, raw = word.text.partition("=")
            name = head.rstrip("+")
            if name in seen or name.endswith("]") or head.endswith("+"):
                unknown.add(name)
            seen.add(name)
            bare = raw.strip('"')
            if bare.startswith("$(mktemp") and bare.endswith(")"):
                values[name] = _TEMP_DIR
            else:
                values[name] = _pattern(raw, values)
    for name in unknown:
        values.pop(name, None)
    return values


def shell_reads_startup_files(shell: Iterable[str]) -> bool:
    """The SHELL runs as a login or interactive shell, which reads /etc/profile, ~/.bashrc ...:
    files any RUN may change (``["/bin/bash", "--login", "-c"]``, conda's idiom)."""
    for arg in list(shell)[1:]:
        if arg in ("--login", "-l", "-i", "--rcfile", "--init-file"):
            return True
        if arg.startswith("-") and not arg.startswith("--") and ("l" in arg or "i" in arg):
            return True
    return False


def startup_file_variable(ins: Instruction) -> str | None:
    """An ENV or ARG that names a file bash reads when it starts (``BASH_ENV``; ``ENV`` for an
    interactive sh): the file may be written by any RUN."""
    if ins.cmd == "ENV":
        names = [key for key, _ in ins.pairs()]
    elif ins.cmd == "ARG":
        names = [item.partition("=")[0] for item in ins.value]
    else:
        return None
    for name in names:
        if name == "BASH_ENV":
            return name
    return None


def _shell_program(shell: Iterable[str]) -> frozenset[str]:
    argv = list(shell)
    if not argv or not argv[0].startswith("/"):
        return frozenset()
    return frozenset({posixpath.normpath(argv[0])})


def _working_dirs(script: Script, cmd: Command, workdir: str | None,
                  values: Mapping[str, str]) -> tuple[str, ...] | None:
    """Where ``cmd`` may run: the WORKDIR or the target of a `cd` before it (as patterns), or
    None when that is not known (no WORKDIR, a relative `cd`, `pushd`, `cd -`)."""
    if workdir is None or not workdir.startswith("/"):
        return None
    out = {_escaped(workdir)}
    for other in script.commands:
        if other.start >= cmd.start:
            break
        if other.basename in ("pushd", "popd"):
            return None
        if other.basename == "cd":
            args = other.positional()
            if len(args) != 1:
                return None
            target = args[0].value if args[0].value is not None else _pattern(args[0].text, values)
            if not target.startswith("/"):
                return None
            out.add(target)
    return tuple(sorted(out))


def _command_change(cmd: Command, extra: frozenset[str], values: Mapping[str, str],
                    bases: tuple[str, ...] | None = None) -> str | None:
    name = cmd.basename
    if name is None:
        return None
    words = list(cmd.positional())
    manager = recognize(cmd, SYSTEM)
    if manager is not None or name in _LOW_LEVEL_PACKAGE_TOOLS:
        # Any verb: installing, upgrading, reinstalling or removing a shell package by name.
        operands = manager.positional()[1:] if manager is not None else words
        for word in operands:
            if _names_shell_package(word, values):
                return f"`{name} ... {word.text}` may install, replace or remove the shell"
        return None
    if name in _ALTERNATIVES or (name == "dpkg-reconfigure"
                                 and any(_names_shell_package(w, values) for w in words)):
        if name in ("dpkg-reconfigure", "chsh") or any(
            w.value is None or w.value in SHELL_NAMES or _may_reach(w, extra, inside=False)
            for w in cmd.argv[1:]
        ):
            return f"`{name}` may change which program the shell is"
        return None
    if name == "busybox" and cmd.has_flag("--install"):
        return "`busybox --install` links its applets, `sh` among them, into /bin"
    for word, inside in _write_targets(cmd, name, words, values):
        if _may_reach(word, extra, inside=inside, values=values, bases=bases):
            return f"`{name}` may change `{word.text}`, which may be the shell later RUNs start"
    return None


def _write_targets(cmd: Command, name: str, words: list[Word],
                   values: Mapping[str, str]) -> Iterable[tuple[Word, bool]]:
    """(path word, whether what is under it counts) for each operand ``cmd`` may write."""
    if name in _REMOVERS:
        if name in _SCRIPT_OPTIONS:
            if not cmd.has_flag("-i") and not any((w.value or "").startswith(("-i", "--in-place"))
                                                  for w in cmd.argv[1:]):
                return  # writes only to stdout
            script_options = _SCRIPT_OPTIONS[name]
            words = list(cmd.positional(takes_value=script_options))
            if not cmd.has_flag(*script_options):
                words = words[1:]  # `sed -i 's/a/b/' f`: the first operand is the script
        elif name in _FIRST_IS_NOT_A_PATH and words and not any(
            (w.value or "").startswith("--reference") for w in cmd.argv[1:]
        ) and (name != "chmod" or _MODE.match(words[0].value or "")):
            words = words[1:]  # the mode or owner (`chmod -x f` gives its mode as an option)
        for word in words:
            yield word, True
    elif name in _COPIERS:
        if name == "mv":  # what is moved away is removed from where it was
            for source in words[:-1]:
                yield source, True
        targets = [w for w in cmd.argv[1:] if w.value is not None and w.value.startswith("--target-directory=")]
        dest_values = list(cmd.flag_values("-t")) + [w.value.split("=", 1)[1] for w in targets if w.value]
        if dest_values:
            sources = words
            dest: Word | None = None
            for value in dest_values:
                dest = Word(value or "$?", value, 0, 0)
        elif words:
            *sources, dest = words
            if not sources:  # `ln -s /x/bash`: a link named after the target, in the cwd
                sources = [dest]
                dest = Word(".", ".", dest.start, dest.start)
        else:
            return
        assert dest is not None
        yield dest, False
        if _may_reach(dest, frozenset(), inside=True, values=values):  # a shell's folder: the copy's name
            for source in sources:  # written as DEST/basename(SOURCE)
                base = posixpath.basename((source.value or "").rstrip("/"))
                if source.value is None or source.glob:
                    yield Word(source.text, None, source.start, source.end), False
                elif dest.value is not None:
                    joined = posixpath.join(dest.value, base)
                    yield Word(joined, joined, source.start, source.end), False
    elif name in _EXTRACTORS:
        if name in ("tar", "bsdtar") and not _tar_extracts(cmd):
            return
        if name == "cpio" and not cmd.has_flag("-i", "--extract", "-p", "--pass-through"):
            return
        dest_flag = {"tar": ("-C", "--directory"), "bsdtar": ("-C", "--directory"),
                     "unzip": ("-d",), "cpio": ("-D", "--directory")}[name]
        dests = _flag_words(cmd, dest_flag)
        if not dests:
            yield Word(".", ".", cmd.start, cmd.start), True  # unpacked into the cwd
        for dest_word in dests:
            yield dest_word, True
    elif name == "dd":
        for word in cmd.argv[1:]:
            if word.value is None or word.value.startswith("of="):
                value = word.value[3:] if word.value else None
                yield Word(word.text, value, word.start, word.end), False
    elif name == "find" and cmd.has_flag("-delete", "-exec", "-execdir"):
        for word in cmd.argv[1:]:
            if word.value is not None and word.value.startswith(("-", "(", "!")):
                break
            yield word, True


def _flag_words(cmd: Command, flags: tuple[str, ...]) -> list[Word]:
    """The words given to an option: ``-C DIR``, ``--directory=DIR`` (as a Word of its own)."""
    out: list[Word] = []
    words = cmd.argv[1:]
    for i, word in enumerate(words):
        for flag in flags:
            if word.value == flag and i + 1 < len(words):
                out.append(words[i + 1])
            elif flag.startswith("--") and word.text.startswith(flag + "="):
                value = word.value[len(flag) + 1:] if word.value is not None else None
                out.append(Word(word.text[len(flag) + 1:], value, word.start, word.end))
    return out


def _tar_extracts(cmd: Command) -> bool:
    if cmd.has_flag("-x", "--extract", "--get"):
        return True
    first = cmd.argv[1].value if len(cmd.argv) > 1 else None
    return first is not None and not first.startswith("-") and "x" in first  # `tar xzf f.tgz`


def _names_shell_package(word: Word, values: Mapping[str, str]) -> bool:
    """The operand may name a shell package (`dash`, `bash=5.2*`, `./dash_0.5_amd64.deb`,
    `$PACKAGES`, which may hold anything)."""
    pattern = word.value if word.value is not None else _pattern(word.text, values)
    if pattern.startswith("-"):
        return False
    base = pattern.rsplit("/", 1)[-1]
    for sep in ("=", ">", "<", ":"):  # apt's pkg=1.2, dnf's pkg>=1, pkg:amd64
        base = base.split(sep, 1)[0]
    candidates = {base}
    if base.endswith((".deb", ".rpm", ".apk")):  # a package file: name_version_arch.deb ...
        stem = base.rsplit(".", 1)[0]
        candidates = {stem.split("_", 1)[0], stem.rsplit("-", 2)[0]}
    return any(fnmatch.fnmatchcase(p, c) for c in candidates for p in SHELL_PACKAGES)


def _may_reach(word: Word, extra: frozenset[str], *, inside: bool,
               values: Mapping[str, str] | None = None,
               bases: tuple[str, ...] | None = None) -> bool:
    """The path ``word`` names may be a shell program -- or, with ``inside``, a folder holding
    one. An expansion matches as what the variable may hold (``values``), else as `*`: anything,
    `/` included."""
    programs = SHELL_PATHS | extra
    holders = frozenset(_SHELL_HOLDERS) | {posixpath.dirname(p) for p in extra}
    wanted = programs | holders if inside else programs
    if word.value is not None:
        pattern = word.value if word.glob else _escaped(word.value)
    else:
        pattern = _pattern(word.text, values or {})
    parts = pattern.split("/")
    if ".." in parts:
        return True
    if pattern.startswith("/"):
        candidates = [pattern]
    else:  # relative: to the working directories it may run in, or to any shell folder
        dirs = bases if bases is not None else tuple(holders)
        candidates = [posixpath.join(d, pattern) for d in dirs]
        if pattern.startswith("*"):
            candidates.append(pattern)
    for candidate in candidates:
        normal = _normal(candidate)
        if any(fnmatch.fnmatchcase(path, normal) for path in wanted):
            return True
    return False


def _normal(pattern: str) -> str:
    """normpath for a pattern: `.` parts and doubled or trailing slashes dropped."""
    absolute = pattern.startswith("/")
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    return ("/" if absolute else "") + "/".join(parts) if parts else ("/" if absolute else ".")


def _escaped(literal: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in literal)


def _pattern(text: str, values: Mapping[str, str]) -> str:
    """A word as an fnmatch pattern: literal text kept (quoted glob characters escaped), `$X` and
    `${X}` what ``values`` says X may hold, every other expansion (`${X%.*}`, `$(...)`,
    backquotes, a leading `~`) a `*`."""
    out: list[str] = []
    i = 0
    quote = ""
    if text.startswith("~"):
        out.append("*")
        i = 1
        while i < len(text) and text[i] not in "/":
            i += 1
    while i < len(text):
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                out.append(_escaped(char))
            i += 1
        elif char == "'" and not quote:
            quote = "'"
            i += 1
        elif char == '"':
            quote = "" if quote else '"'
            i += 1
        elif char == "\\" and i + 1 < len(text):
            out.append(_escaped(text[i + 1]))
            i += 2
        elif char == "`":
            close = text.find("`", i + 1)
            out.append("*")
            i = len(text) if close < 0 else close + 1
        elif char == "$" and i + 1 < len(text):
            end = _expansion_end(text, i)
            name = text[i + 1:end].removeprefix("{").removesuffix("}")
            out.append(values.get(name, "*"))
            i = end
        else:
            out.append(_escaped(char) if quote else char)
            i += 1
    return "".join(out)


def _expansion_end(text: str, i: int) -> int:
    """Where the expansion starting at ``text[i] == "$"`` ends."""
    nxt = text[i + 1]
    if nxt in "({":
        close = ")" if nxt == "(" else "}"
        depth = 0
        for j in range(i + 1, len(text)):
            if text[j] == nxt:
                depth += 1
            elif text[j] == close:
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(text)
    j = i + 1
    if nxt.isalpha() or nxt == "_":
        while j < len(text) and (text[j].isalnum() or text[j] == "_"):
            j += 1
        return j
    return i + 2  # $1, $?, $@ ...


# ---------------------------------------------------------------------------- processes

# Commands that start a process which outlives them (the RUN's teardown ends it; a merge would
# not). (command basename, operands any of which starts it -- empty: any call --, flags that keep
# it in the foreground). Sources: the tools' manuals (start-stop-daemon(8), service(8), pg_ctl,
# nginx(8) `daemon on` default, sshd(8) without -D, cron(8)/crond -f, rsyslogd -n,
# supervisord(1) `nodaemon=false` default, memcached -d, mongod --fork, rabbitmq-server -detached,
# gpg-agent --daemon, dirmngr(8) started by gpg key-server operations).
_DAEMONS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("start-stop-daemon", frozenset({"--start", "-S"}), frozenset()),
    ("service", frozenset({"start", "restart", "reload", "force-reload", "try-restart",
                           "condrestart"}), frozenset()),
    ("invoke-rc.d", frozenset({"start", "restart", "reload", "force-reload"}), frozenset()),
    ("rc-service", frozenset({"start", "restart"}), frozenset()),
    ("systemctl", frozenset({"start", "restart", "reload-or-restart", "try-restart"}), frozenset()),
    ("pg_ctl", frozenset({"start", "restart"}), frozenset()),
    ("pg_ctlcluster", frozenset({"start", "restart"}), frozenset()),
    ("apachectl", frozenset({"start", "restart", "graceful"}), frozenset()),
    ("apache2ctl", frozenset({"start", "restart", "graceful"}), frozenset()),
    ("httpd", frozenset({"start", "restart", "graceful"}), frozenset({"-DFOREGROUND", "-t", "-v", "-V"})),
    ("nginx", frozenset(), frozenset({"-t", "-T", "-v", "-V", "-s", "-h", "-?"})),
    ("sshd", frozenset(), frozenset({"-D", "-t", "-T"})),
    ("cron", frozenset(), frozenset({"-f", "-n"})),
    ("crond", frozenset(), frozenset({"-f", "-n"})),
    ("rsyslogd", frozenset(), frozenset({"-n", "-N", "-v"})),
    ("supervisord", frozenset(), frozenset({"-n", "--nodaemon", "-v", "--version", "-h", "--help"})),
    ("memcached", frozenset({"-d", "--daemon"}), frozenset()),
    ("mongod", frozenset({"--fork"}), frozenset()),
    ("redis-server", frozenset({"--daemonize"}), frozenset()),
    ("rabbitmq-server", frozenset({"-detached"}), frozenset()),
    ("dbus-daemon", frozenset({"--fork"}), frozenset()),
    ("gpg-agent", frozenset({"--daemon"}), frozenset()),
    ("dirmngr", frozenset({"--daemon"}), frozenset()),
    ("ssh-agent", frozenset(), frozenset({"-D", "-d", "-k"})),
    ("gpg", frozenset({"--recv-keys", "--recv-key", "--receive-keys", "--fetch-keys", "--search-keys",
                       "--locate-keys", "--refresh-keys", "--keyserver"}), frozenset()),
    ("daemon", frozenset(), frozenset()),
    ("daemonize", frozenset(), frozenset()),
    ("setsid", frozenset(), frozenset()),
)
_DAEMON_TABLE = {name: (starts, foreground) for name, starts, foreground in _DAEMONS}
_INIT_DIRS = ("/etc/init.d/", "/etc/rc.d/init.d/")
# What stops what the table starts, later in the same body: (command, operand).
_STOPS = frozenset({"stop", "--stop", "-K", "kill", "--kill"})


def process_left_running(script: Script) -> str | None:
    """Why this body may leave a process running when it ends, or None."""
    if script.has_background_job:
        return "it starts a background job (`&`), which a merge would keep running"
    started: list[tuple[Command, str]] = []
    for cmd in script.commands:
        why = _starts_daemon(cmd)
        if why is not None:
            started.append((cmd, why))
    for cmd, why in started:
        if not _stopped_later(script, cmd):
            return why
    return None


def _starts_daemon(cmd: Command) -> str | None:
    name = cmd.basename
    words = [w.value for w in cmd.argv[1:]]
    if cmd.name is not None and cmd.name.startswith(_INIT_DIRS) and any(
        w in ("start", "restart") for w in words
    ):
        return f"`{cmd.name} start` leaves the service running"
    if name not in _DAEMON_TABLE:
        return None
    starts, foreground = _DAEMON_TABLE[name]
    if any(w is not None and (w in foreground or w.split("=", 1)[0] in foreground) for w in words):
        return None
    if name == "nginx" and any(w is not None and "daemon off" in w for w in words):
        return None
    if starts and not any(w is not None and (w in starts or w.split("=", 1)[0] in starts)
                          for w in words):
        return None
    if name == "redis-server" and "no" in words:
        return None
    return f"`{name}` leaves a process running after it returns"


def _stopped_later(script: Script, start: Command) -> bool:
    """A later command of the body stops what ``start`` started: the same tool (and service
    name, when it names one) with a stop verb, or `gpgconf --kill` after gpg."""
    if start.basename == "gpg" or start.basename in ("gpg-agent", "dirmngr"):
        return any(c.basename == "gpgconf" and c.start > start.end and c.has_flag("--kill")
                   for c in script.commands)
    operands = [w.value for w in start.argv[1:] if w.value is not None and not w.value.startswith("-")]
    for cmd in script.commands:
        if cmd.start <= start.end or cmd.name != start.name:
            continue
        values = [w.value for w in cmd.argv[1:]]
        if not _STOPS & {v for v in values if v is not None}:
            continue
        if start.basename in ("service", "invoke-rc.d", "rc-service", "systemctl"):
            names = [v for v in values if v is not None and not v.startswith("-") and v not in _STOPS]
            if not operands or not names or operands[0] != names[0]:
                continue  # another service
        return True
    return False
