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
from collections.abc import Iterable

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
                       "setfacl", "truncate", "tee", "sed", "perl", "patch", "mv"})
_COPIERS = frozenset({"cp", "install", "ln", "link", "rsync"})  # last operand (or -t DIR) is written
_EXTRACTORS = frozenset({"tar", "bsdtar", "unzip", "cpio"})
_ALTERNATIVES = frozenset({"update-alternatives", "alternatives", "dpkg-divert", "chsh"})


def interpreter_change(script: Script, shell: Iterable[str] = ()) -> str | None:
    """Why this body may change the interpreter later RUNs start, or None.

    ``shell`` is the stage's SHELL argv, when it has one (its program then counts too).
    """
    extra = _shell_program(shell)
    for cmd in script.commands:
        for word in cmd.outputs:
            if _may_reach(word, extra, inside=False):
                return f"it writes `{word.text}`, which may be the shell later RUNs start"
        reason = _command_change(cmd, extra)
        if reason is not None:
            return reason
    return None


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


def _command_change(cmd: Command, extra: frozenset[str]) -> str | None:
    name = cmd.basename
    if name is None:
        return None
    words = list(cmd.positional())
    manager = recognize(cmd, SYSTEM)
    if manager is not None or name in _LOW_LEVEL_PACKAGE_TOOLS:
        # Any verb: installing, upgrading, reinstalling or removing a shell package by name.
        operands = manager.positional()[1:] if manager is not None else words
        for word in operands:
            if _names_shell_package(word):
                return f"`{name} ... {word.text}` may install, replace or remove the shell"
        return None
    if name in _ALTERNATIVES or (name == "dpkg-reconfigure" and any(_names_shell_package(w) for w in words)):
        if name in ("dpkg-reconfigure", "chsh") or any(
            w.value is None or w.value in SHELL_NAMES or _may_reach(w, extra, inside=False)
            for w in cmd.argv[1:]
        ):
            return f"`{name}` may change which program the shell is"
        return None
    if name == "busybox" and cmd.has_flag("--install"):
        return "`busybox --install` links its applets, `sh` among them, into /bin"
    for word, inside in _write_targets(cmd, name, words):
        if _may_reach(word, extra, inside=inside):
            return f"`{name}` may change `{word.text}`, which may be the shell later RUNs start"
    return None


def _write_targets(cmd: Command, name: str, words: list[Word]) -> Iterable[tuple[Word, bool]]:
    """(path word, whether what is under it counts) for each operand ``cmd`` may write."""
    if name in _REMOVERS:
        if name in ("sed", "perl") and not cmd.has_flag("-i") and not any(
            (w.value or "").startswith("-i") for w in cmd.argv[1:]
        ):
            return
        for word in words:
            yield word, True
    elif name in _COPIERS:
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
        if _may_reach(dest, frozenset(), inside=True):  # a folder holding a shell: the copy's name
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
        values = [v for f in dest_flag for v in cmd.flag_values(f)]
        if not values:
            yield Word(".", ".", cmd.start, cmd.start), True  # unpacked into the cwd
        for value in values:
            yield Word(value or "$?", value, cmd.start, cmd.start), True
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


def _tar_extracts(cmd: Command) -> bool:
    if cmd.has_flag("-x", "--extract", "--get"):
        return True
    first = cmd.argv[1].value if len(cmd.argv) > 1 else None
    return first is not None and not first.startswith("-") and "x" in first  # `tar xzf f.tgz`


def _names_shell_package(word: Word) -> bool:
    value = word.value
    if value is None:
        return True  # `$PACKAGES`: may name one
    if value.startswith("-"):
        return False
    base = posixpath.basename(value)
    for sep in ("=", ">", "<", ":", "/"):  # apt's pkg=1.2, dnf's pkg>=1, pkg:amd64
        base = base.split(sep, 1)[0]
    if base.endswith((".deb", ".rpm", ".apk")):
        base = base.rsplit(".", 1)[0].split("_", 1)[0]
        candidates = {base, base.rsplit("-", 2)[0]}
    else:
        candidates = {base}
    for candidate in candidates:
        if word.glob and any(fnmatch.fnmatchcase(p, candidate) for p in SHELL_PACKAGES):
            return True
        if candidate in SHELL_PACKAGES:
            return True
    return False


def _may_reach(word: Word, extra: frozenset[str], *, inside: bool) -> bool:
    """The path ``word`` names may be a shell program -- or, with ``inside``, a folder holding
    one. Not literal: it may, unless its literal head is an absolute folder elsewhere."""
    programs = SHELL_PATHS | extra
    holders = frozenset(_SHELL_HOLDERS) | {posixpath.dirname(p) for p in extra}
    value = word.value
    if value is None:
        for home in ("~/", "$HOME/", "${HOME}/", '"$HOME"/', '"${HOME}"/'):
            rest = word.text[len(home):]
            if word.text.startswith(home) and rest and not any(c in rest for c in "$`~{*?[\"'\\"):
                # A home folder may be `/` (a user without one): the rest read as relative.
                return _may_reach(Word(rest, rest, word.start, word.end), extra, inside=inside)
        head = _literal_head(word.text)
        if not head.startswith("/"):
            return True
        folder = posixpath.normpath(head.rsplit("/", 1)[0] or "/")
        return any(p == folder or p.startswith(folder.rstrip("/") + "/") for p in programs)
    if value.startswith("/"):
        candidates = [posixpath.normpath(value)]
    else:
        if ".." in value.split("/"):
            return True
        candidates = [posixpath.normpath(posixpath.join(d, value)) for d in holders]
    for path in candidates:
        wanted = programs | (holders if inside else frozenset())
        if word.glob:
            if any(fnmatch.fnmatchcase(p, path) for p in wanted | holders):
                return True
        elif path in wanted:
            return True
    return False


def _literal_head(text: str) -> str:
    """The literal text before the first expansion of a word (quotes dropped)."""
    out = []
    for char in text:
        if char in "$`~{":
            break
        if char not in "'\"\\":
            out.append(char)
    return "".join(out)


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
