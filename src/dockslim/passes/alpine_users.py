"""Debian useradd/groupadd/adduser/addgroup command lines in BusyBox adduser/addgroup terms, for the
`alpine-base` pass (BusyBox has no useradd, and its adduser takes other options)."""

from __future__ import annotations

import re
import shlex

from ..syntax.shell import Command, Word
from .alpine_data import Refusal

_VALUE_USER_FLAGS = frozenset({
    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s", "--shell", "-c",
    "--comment", "-k", "--skel", "--ingroup", "--gecos",
})


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
            key, _, literal = v.partition("=")
            opts.append((key, Word(_quote(literal), literal, w.start, w.end)))
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
            elif key in ("-g", "--gid") and val is not None:
                out += ["-g", val.text]
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
        value = (val.value or "") if val is not None else ""
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
