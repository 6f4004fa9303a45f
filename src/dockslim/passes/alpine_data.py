"""Data behind the `alpine-base` pass: the package map, the tag families, and the tag mapping.

Both tables live in ``src/dockslim/data/`` (TOML, every entry with its source); they are read from
their compiled form (``alpine_tables.py``, written by ``scripts/compile_data.py``) on first use. Nothing here reads a Dockerfile: ``map_image`` turns one image reference
into its Alpine counterpart or a reason why there is none.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, cast

from .._records import dataclass, field

_VERSION = re.compile(r"^\d+(\.\d+)*([a-z]+\d*)?$|^\d+(\.\d+)*_\d+$|^\d+u\d+$")
_BUILD = re.compile(r"^b\d+$")  # eclipse-temurin `8u392-b08`
# An official image written as `python`, `library/python` or `docker.io/library/python`.
_OFFICIAL_PREFIXES = ("", "library/", "docker.io/library/", "index.docker.io/library/",
                      "registry-1.docker.io/library/")


@dataclass(frozen=True)
class PackageEntry:
    debian: str
    alpine: tuple[str, ...]
    source: str
    note: str = ""
    since: str = ""
    derived: bool = False  # from scripts/gen_alpine_packages.py, not written by hand


@dataclass(frozen=True)
class Family:
    image: str
    drop: frozenset[str]
    keep: tuple[str, ...]
    refuse: dict[str, str]
    aliases: frozenset[str]
    alpine: str  # "last" | "after-version"
    alpine_from: tuple[tuple[int, ...], ...]
    line_parts: int
    buildpack_full: bool
    source: str
    arch_note: str = ""
    major_only: str = ""
    alpine_lines: tuple[str, ...] = ()
    published: tuple[str, ...] = ()  # release lines built today on supported Alpine releases
    published_source: str = ""


@dataclass(frozen=True)
class OsImage:
    image: str
    map: dict[str, str]
    refuse: dict[str, str]
    source: str


@dataclass(frozen=True)
class Data:
    packages: dict[str, PackageEntry]
    families: dict[str, Family]
    os_images: dict[str, OsImage]
    no_alpine: dict[str, str]
    suites: dict[str, frozenset[str]]  # debian / ubuntu / windows
    raw_packages: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    raw_tags: dict[str, Any] = field(default_factory=dict, repr=False)
    releases: tuple[str, ...] = ()  # supported Alpine releases, oldest first
    newest: str = ""
    ended: dict[str, str] = field(default_factory=dict)  # release -> end of its main repository
    release_names: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)


def _load(name: str) -> dict[str, Any]:
    from .alpine_tables import TABLES  # the TOML file, compiled (no parse at start-up)

    return cast(dict[str, Any], TABLES[name])


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


@lru_cache(maxsize=1)
def data() -> Data:
    pk = _load("alpine_packages.toml")
    tg = _load("alpine_tags.toml")
    names = _load("alpine_names.toml")
    derived = _load("alpine_packages_derived.toml")
    packages = {
        e["debian"]: PackageEntry(e["debian"], tuple(e["alpine"]),
                                  f"derived: Debian source {e['debian_source']} -> aports {e['origin']}",
                                  derived=True)
        for e in derived["package"]
    }
    packages.update({  # written by hand: real renames, each with its source; they win
        e["debian"]: PackageEntry(e["debian"], tuple(e["alpine"]), e["source"], e.get("note", ""),
                                  e.get("since", ""))
        for e in pk["package"]
    })
    supported = names["supported"]
    common = frozenset(names["names"]["common"])
    release_names = {r: common | frozenset(names["names"].get(r, ())) for r in supported["releases"]}
    families = {}
    for f in tg["family"]:
        families[f["image"]] = Family(
            image=f["image"], drop=frozenset(f.get("drop", ())), keep=tuple(f.get("keep", ())),
            refuse=dict(f.get("refuse", {})), aliases=frozenset(f.get("aliases", ())),
            alpine=f.get("alpine", "last"),
            alpine_from=tuple(_version_tuple(v) for v in f.get("alpine_from", ())),
            line_parts=int(f.get("line_parts", 2)), buildpack_full=bool(f.get("buildpack_full")),
            source=f["source"], arch_note=f.get("arch_note", ""), major_only=f.get("major_only", ""),
            alpine_lines=tuple(f.get("alpine_lines", ())),
            published=tuple(f.get("published", ())), published_source=f.get("published_source", ""),
        )
    os_images = {o["image"]: OsImage(o["image"], dict(o["map"]), dict(o.get("refuse", {})), o["source"])
                 for o in tg["os"]}
    suites = {k: frozenset(v) for k, v in tg["suites"].items()}
    return Data(packages, families, os_images, dict(tg["no_alpine"]), suites,
                tuple(pk["package"]), tg, tuple(supported["releases"]), supported["newest"],
                dict(supported["ended"]), release_names)


# --------------------------------------------------------------------------- image references


@dataclass(frozen=True)
class ImageRef:
    """``[prefix]name[:tag][@digest]`` as written; ``prefix`` keeps `docker.io/library/` etc."""

    prefix: str
    name: str
    tag: str | None
    digest: str | None

    @property
    def text(self) -> str:
        out = self.prefix + self.name
        if self.tag is not None:
            out += ":" + self.tag
        if self.digest is not None:
            out += "@" + self.digest
        return out


def parse_ref(ref: str) -> ImageRef | None:
    """An official-image reference, or None for anything else (other registries, users' images)."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    for prefix in sorted(_OFFICIAL_PREFIXES, key=len, reverse=True):
        if ref.startswith(prefix) and "/" not in ref[len(prefix):]:
            name = ref[len(prefix):]
            if name and re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*", name):
                return ImageRef(prefix, name, tag, digest)
    return None


def is_alpine(ref: ImageRef) -> bool:
    return ref.name == "alpine" or any(t.startswith("alpine") for t in (ref.tag or "").split("-"))


@dataclass(frozen=True)
class TagMapping:
    """The Alpine tag, as a list of (token, source index or None for new tokens)."""

    tokens: tuple[tuple[str, int | None], ...]
    family: Family | None
    era: str | None  # the Alpine release of the source tag's era, when a suite says so
    full_variant: bool  # the source tag is built on buildpack-deps
    name: str | None = None  # a new image name (debian -> alpine)
    notes: tuple[str, ...] = ()  # what changes beyond the base (an end-of-life era, another release)

    @property
    def tag(self) -> str:
        return "-".join(t for t, _ in self.tokens)


class Refusal(Exception):
    """No Alpine counterpart; ``str(self)`` is the reason."""


def split_tag(tag: str) -> list[str]:
    tokens = tag.split("-")
    out: list[str] = []
    for token in tokens:  # temurin `8u392-b08` is one version
        if out and _BUILD.match(token) and re.match(r"^\d+u\d+$", out[-1]):
            out[-1] += "-" + token
        else:
            out.append(token)
    return out


_SUITE_ERA = {
    "stretch": "3.6", "buster": "3.10", "bullseye": "3.14", "bookworm": "3.18", "trixie": "3.22",
    "xenial": "3.4", "bionic": "3.8", "focal": "3.12", "jammy": "3.16", "noble": "3.20",
}


def map_tag(name: str, tag: str | None) -> TagMapping:
    """Map a Debian/Ubuntu-based tag of official image ``name``; raises :class:`Refusal`."""
    d = data()
    if name in d.no_alpine:
        raise Refusal(d.no_alpine[name])
    if name in d.os_images:
        return _map_os(d.os_images[name], tag)
    family = d.families.get(name)
    if family is None:
        raise Refusal(f"`{name}` is not in the tag-family table")
    tokens = split_tag(tag or "latest")
    debian_like = d.suites["debian"] | d.suites["ubuntu"]
    version: str | None = None
    version_index: int | None = None
    rest = list(enumerate(tokens))
    head = tokens[0]
    if re.match(r"^\d+u\d+(-b\d+)?$", head) or _VERSION.match(head):
        version, version_index = head, 0
        rest = rest[1:]
    elif head not in family.keep and head not in family.drop and head not in debian_like \
            and head not in family.refuse and head != "slim":
        if head not in family.aliases:
            raise Refusal(f"`{name}:{tag}` starts with `{head}`, which is neither a version nor a known alias")
        if head != "latest":
            version, version_index = head, 0
        rest = rest[1:]
    kept: list[tuple[str, int]] = []
    era = None
    slim = False
    for index, token in rest:
        if token in family.refuse:
            raise Refusal(family.refuse[token])
        if token in d.suites["windows"] or token.startswith(("windowsservercore", "nanoserver")):
            raise Refusal(f"`{name}:{tag}` is a Windows image")
        if token in family.keep:
            kept.append((token, index))
        elif token in family.drop or token in debian_like or token == "slim":
            slim = slim or token == "slim"
            era = era or _SUITE_ERA.get(token)
            if token in ("jessie", "wheezy", "trusty", "sid"):
                raise Refusal(f"`{name}:{tag}` is from the {token} era, older than the Alpine releases "
                              "the package map covers")
        else:
            raise Refusal(f"`{name}:{tag}` has the variant `{token}`, which has no known Alpine counterpart")
    numeric = version is not None and (_VERSION.match(version) or re.match(r"^\d+u\d+", version))
    if numeric:
        _check_published(family, name, tag or "", version)  # type: ignore[arg-type]
        _check_current(family, name, version)  # type: ignore[arg-type]
    elif family.major_only:
        raise Refusal(family.major_only)
    notes: list[str] = []
    if era is not None and era not in d.releases:
        notes.append(f"`{name}:{tag}` is of Alpine {era}'s era ({_ended(era)}); `{name}:...-alpine` is built "
                     f"on a supported Alpine release ({', '.join(d.releases)}): musl, BusyBox and library "
                     "versions are newer")
    out: list[tuple[str, int | None]] = []
    if version is not None:
        out.append((version, version_index))
    if family.alpine == "after-version":
        out.append(("alpine", None))
        out.extend(kept)
    else:
        out.extend(kept)
        out.append(("alpine", None))
    return TagMapping(tuple(out), family, None, family.buildpack_full and not slim, notes=tuple(notes))


def _ended(release: str) -> str:
    when = data().ended.get(release)
    return f"its support ended {when}" if when else "no longer supported"


def _check_current(family: Family, name: str, version: str) -> None:
    """Refuse a release line no image of a supported Alpine release is built for (an end-of-life era)."""
    if not family.published or any(version == p or version.startswith(p + ".") or p.startswith(version + ".")
                                   for p in family.published):
        return  # `3.12.4` is of line 3.12; `3` names the newest 3.x, which is built
    raise Refusal(
        f"`{name}` {version} has no Alpine image on a supported Alpine release; the Alpine variants built "
        f"today are {', '.join(family.published)} ({family.published_source}): moving to one of them "
        f"changes {name}'s version, which this pass leaves to you")


def _check_published(family: Family, name: str, tag: str, version: str) -> None:
    if family.major_only:
        if version not in family.alpine_lines:
            raise Refusal(family.major_only + f" (`{name}:{tag}`)")
        return
    if re.match(r"^\d+u\d+", version):  # temurin update-style versions: every line has alpine
        return
    v = _version_tuple(version)
    if not family.alpine_from or not v:
        return
    n = family.line_parts
    lines = {e[:n]: e for e in family.alpine_from}
    why = f"no Alpine variant of `{name}` was published for version {version}"
    if len(v) < n:
        if not any(line[: len(v)] == v for line in lines) and v <= max(line[: len(v)] for line in lines):
            raise Refusal(why)
        return
    line = v[:n]
    if line in lines:
        if len(v) > n and v < lines[line]:
            raise Refusal(why + f" (the first was {'.'.join(map(str, lines[line]))})")
        return
    if line < max(lines):
        raise Refusal(why)


def _map_os(os_image: OsImage, tag: str | None) -> TagMapping:
    tag = tag or "latest"
    head = tag.split("-")[0]
    # dated snapshots (`bookworm-20250520-slim`, `noble-20240904.1`) are of their suite
    rest = [t for t in tag.split("-")[1:] if not re.fullmatch(r"\d{8}(\.\d+)?", t)]
    if head in os_image.refuse:
        raise Refusal(os_image.refuse[head])
    if any(t not in ("slim",) for t in rest) or head not in os_image.map:
        raise Refusal(f"`{os_image.image}:{tag}` has no Alpine release of the same era in the table")
    target = os_image.map[head]
    notes: tuple[str, ...] = ()
    d = data()
    if target == "edge":  # the development branch is not a release anyone supports
        notes = ((f"`{os_image.image}:{tag}` follows development; Alpine's counterpart, edge, is not a supported "
                 f"release: `alpine:{d.newest}`, the newest supported release, is proposed"),)
        target = d.newest
    elif target != "latest" and target not in d.releases:
        notes = ((f"`{os_image.image}:{tag}` is of Alpine {target}'s era ({_ended(target)}): `alpine:{d.newest}`, "
                  "the newest supported release, is proposed; musl, BusyBox and package versions are newer"),)
        target = d.newest
    era = None if target == "latest" else target
    return TagMapping(((target, None),), None, era, False, name="alpine", notes=notes)


def alpine_version_at_least(era: str | None, since: str) -> bool:
    if not era or not since:
        return True
    return _version_tuple(era) >= _version_tuple(since)
