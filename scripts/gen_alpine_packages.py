"""Derive the Debian -> Alpine package table of the `alpine-base` pass from the distributions' indexes.

    python scripts/gen_alpine_packages.py            # Debian indexes fetched from deb.debian.org
    python scripts/gen_alpine_packages.py --apkindex DIR   # also rebuild the Alpine name lists

The chain, for every binary package of Debian bookworm and trixie (main, amd64):

1. Debian binary -> Debian source package (the `Source:` field of the `Packages` index; absent means
   the source has the binary's name).
2. Debian source -> Alpine origin (aports directory): the same name, unless
   `alpine_derive.toml [origin]` names a rename (each with where it comes from).
3. Origin -> the subpackage for the binary's role: `-dev` binaries -> `<origin>-dev`, shared-library
   binaries (`libfoo6`, `libfoo-1.0-0`, `libfoot64`) -> the library's own name, `<origin>-libs` or
   `<origin>`, `-doc` -> `<origin>-doc`, tools -> the same name, `<origin>`, `<origin>-utils`; the
   prefix rules of `alpine_derive.toml [prefix]` (`python3-` -> `py3-`, `php8.3-` -> `php83-`).
4. A candidate is kept only when it is a package name of *every* supported Alpine release
   (`alpine_names.toml`); the first one wins. A binary with no such candidate is left out, and the
   pass refuses to guess for it.

Entries of `alpine_packages.toml` (written by hand: real renames, each with its source) win over
derived ones. The result is `src/dockslim/data/alpine_packages_derived.toml`; then run
`scripts/compile_data.py`.

`--check-paths` checks the Debian side of `alpine_paths.toml`: each `[[path]]`'s package is fetched
from the Debian archive (`apt-get download`) and its file list (`dpkg-deb -c`) must hold the path.

`--apkindex DIR` reads `DIR/v3.NN/{main,community}/x86_64/APKINDEX` (plain or `.tar.gz`, as mirrored
from Alpine's CDN) and rewrites the `[names]` lists of `alpine_names.toml` from them: `common` becomes
the names every supported release has and each release's list the rest of its names (package names
and what they provide), the complete lists in place of the hand-checked ones.
"""

from __future__ import annotations

import argparse
import io
import lzma
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "dockslim" / "data"
SUITES = ("bookworm", "trixie")
MIRROR = "http://deb.debian.org/debian"
_SHARED_LIB = re.compile(r"^lib.+\d[\d.]*(-\d+)?(t64)?$")  # libxpm4, libgtk2.0-0, libssl3t64
# A tool binary that is its source's main package under another name (`vim-tiny`, `pkgconf-bin`).
_TOOL_SUFFIXES = ("bin", "tools", "utils", "progs", "client", "common", "full", "nox", "tiny", "core")


def debian_sources(cache: Path | None) -> dict[str, str]:
    """Binary -> source over the suites (trixie wins where both have the binary)."""
    out: dict[str, str] = {}
    for suite in SUITES:
        url = f"{MIRROR}/dists/{suite}/main/binary-amd64/Packages.xz"
        local = cache / f"Packages-{suite}.xz" if cache else None
        if local is not None and local.exists():
            raw = local.read_bytes()
        else:
            with urllib.request.urlopen(url, timeout=120) as resp:
                raw = resp.read()
            if local is not None:
                local.write_bytes(raw)
        name = None
        for line in lzma.decompress(raw).decode("utf-8").splitlines():
            if line.startswith("Package: "):
                name = line[9:].strip()
                out[name] = name
            elif line.startswith("Source: ") and name is not None:
                out[name] = line[8:].split()[0]
    return out


def release_names(names_toml: dict) -> dict[str, set[str]]:
    """Package names of each supported release: the hand-checked list plus each release's evidence."""
    common = set(names_toml["names"]["common"])
    out = {}
    for release in names_toml["supported"]["releases"]:
        out[release] = common | set(names_toml["names"].get(release, ()))
    return out


def _strip_soname(binary: str) -> str:
    """`libxpm4` -> `libxpm`, `libc-ares2` -> `libc-ares`, `libssl3t64` -> `libssl`."""
    name = re.sub(r"t64$", "", binary)
    name = re.sub(r"-?\d[\d.]*(-\d+)?$", "", name)
    return name


def candidates(binary: str, source: str, derive: dict) -> list[str]:
    origin = derive["origin"].get(source, source)
    base = re.sub(r"-\d[\d.]*$", "", origin)  # postgresql-17 -> postgresql, gcc-14 -> gcc
    base = derive["origin"].get(base, base)
    out: list[str] = []
    for rule in derive.get("rule", ()):
        m = re.fullmatch(rule["pattern"], binary)
        if m:
            out.append(m.expand(rule["alpine"]))
    if binary.endswith("-dev"):
        # the library's own name first (libblas-dev -> blas-dev from source lapack), then the origin's
        own = _strip_soname(binary[:-4])
        out += [own + "-dev", own[3:] + "-dev" if own.startswith("lib") else "", f"{origin}-dev", f"{base}-dev"]
    elif binary.endswith("-doc"):
        out += [f"{origin}-doc"]
    elif _SHARED_LIB.match(binary) and binary != source:
        out += [re.sub(r"t64$", "", binary), _strip_soname(binary), f"{origin}-libs", origin, base]
    else:
        out.append(binary)
        suffix = next((s for s in _TOOL_SUFFIXES if binary in (f"{source}-{s}", f"{base}-{s}")), None)
        if suffix is not None:  # gstreamer1.0-tools -> gstreamer-tools, else the origin itself
            out.append(f"{origin}-{suffix}")
        if suffix is not None or binary in (source, origin):
            out += [origin, base, f"{origin}-utils"]
    return [c for c in dict.fromkeys(out) if c]


def derive_table(sources: dict[str, str], names: dict[str, set[str]], derive: dict,
                 hand: set[str]) -> list[tuple[str, str, str, str]]:
    everywhere = set.intersection(*(set(v) for v in names.values()))
    skip = re.compile("|".join(f"(?:{p})" for p in derive.get("skip", ())) or "(?!)")
    rows = []
    for binary in sorted(sources):
        if binary in hand or skip.fullmatch(binary):
            continue
        source = sources[binary]
        for cand in candidates(binary, source, derive):
            if cand.split() and all(name in everywhere for name in cand.split()):
                origin = derive["origin"].get(source, source)
                rows.append((binary, cand, source, origin))
                break
    return rows


def render(rows: list[tuple[str, str, str, str]], releases: list[str]) -> str:
    head = (
        "# GENERATED by scripts/gen_alpine_packages.py -- do not edit; edit alpine_derive.toml,\n"
        "# alpine_names.toml or alpine_packages.toml (hand entries win) and rerun.\n"
        f"# Debian binary -> Debian source: Packages indexes of {', '.join(SUITES)} (main, amd64), {MIRROR}.\n"
        "# Debian source -> Alpine origin -> subpackage by role, kept when the name is a package of every\n"
        f"# supported Alpine release ({', '.join(releases)}; alpine_names.toml).\n\n"
        f'releases = [{", ".join(repr(r).replace(chr(39), chr(34)) for r in releases)}]\n\n'
        "package = [\n"
    )
    body = "".join(
        f'  {{ debian = "{b}", alpine = [{", ".join(chr(34) + n + chr(34) for n in a.split())}], '
        f'debian_source = "{s}", origin = "{o}" }},\n'
        for b, a, s, o in rows)
    return head + body + "]\n"


def read_apkindex(root: Path, release: str) -> set[str]:
    names: set[str] = set()
    for repo in ("main", "community"):
        base = root / f"v{release}" / repo / "x86_64"
        if (base / "APKINDEX").exists():
            text = (base / "APKINDEX").read_text(encoding="utf-8")
        else:
            with tarfile.open(base / "APKINDEX.tar.gz") as tar:
                member = tar.extractfile("APKINDEX")
                assert member is not None
                text = io.TextIOWrapper(member, encoding="utf-8").read()
        for line in text.splitlines():
            if line.startswith("P:"):
                names.add(line[2:])
            elif line.startswith("p:"):  # provides: `name=version`, `cmd:...`, `so:...`, `pc:...`
                names.update(p.split("=", 1)[0] for p in line[2:].split() if ":" not in p.split("=", 1)[0])
    return names


def write_names(full: dict[str, set[str]], path: Path = DATA / "alpine_names.toml") -> None:
    """Replace the [names] lists of alpine_names.toml with complete ones, keeping its header."""
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("[names]")]
    common = set.intersection(*full.values())

    def fmt(names: set[str]) -> str:
        items = sorted(names)
        if not items:
            return "[]"
        rows = ["  " + ", ".join(f'"{n}"' for n in items[i:i + 8]) + "," for i in range(0, len(items), 8)]
        return "[\n" + "\n".join(rows) + "\n]"

    body = "[names]\ncommon = " + fmt(common) + "\n"
    body += "".join(f'"{r}" = {fmt(v - common)}\n' for r, v in full.items())
    path.write_text(head + body, encoding="utf-8")


def check_paths() -> int:
    """Every Debian path of alpine_paths.toml is in its package's file list (apt-get download)."""
    import subprocess
    import tempfile

    rules = tomllib.loads((DATA / "alpine_paths.toml").read_text(encoding="utf-8"))["path"]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for rule in rules:
            subprocess.run(["apt-get", "download", rule["package"]], cwd=tmp, check=True,
                           capture_output=True)
            deb = next(Path(tmp).glob(f"{rule['package']}_*.deb"))
            listing = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True,
                                     text=True).stdout
            found = any(line.split()[-1].lstrip(".") == rule["debian"] for line in listing.splitlines())
            print(f"{'ok  ' if found else 'MISSING'} {rule['debian']} in {deb.name}", file=sys.stderr)
            bad += not found
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="keep/read the Debian Packages.xz files here")
    ap.add_argument("--apkindex", type=Path, help="a mirror of Alpine's APKINDEX files (see the module doc)")
    ap.add_argument("--check-paths", action="store_true", help="check alpine_paths.toml against Debian's file lists")
    args = ap.parse_args(argv)
    if args.check_paths:
        return check_paths()
    names_toml = tomllib.loads((DATA / "alpine_names.toml").read_text(encoding="utf-8"))
    releases = list(names_toml["supported"]["releases"])
    if args.apkindex is not None:
        full = {r: read_apkindex(args.apkindex, r) for r in releases}
        print("APKINDEX names: " + ", ".join(f"{r}: {len(v)}" for r, v in full.items()), file=sys.stderr)
        write_names(full)
        names = full
    else:
        names = release_names(names_toml)
    derive = tomllib.loads((DATA / "alpine_derive.toml").read_text(encoding="utf-8"))
    hand = {e["debian"] for e in tomllib.loads(
        (DATA / "alpine_packages.toml").read_text(encoding="utf-8"))["package"]}
    sources = debian_sources(args.cache)
    for binary, source in derive.get("extra_binaries", {}).items():
        sources.setdefault(binary, source)
    rows = derive_table(sources, names, derive, hand)
    target = DATA / "alpine_packages_derived.toml"
    target.write_text(render(rows, releases), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}: {len(rows)} derived entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
