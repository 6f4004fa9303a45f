"""Agreement of the alpine-base package map with a hand-checked list of common Debian packages.

    python bench/alpine_agreement.py [bench/data/alpine_checklist.tsv] [--show]

For each Debian name of the check list, the pass's map (hand table, then derived table) gives the apk
names it would emit, or nothing (the pass refuses the stage). A row agrees when the emitted set equals
one of the accepted answers (`a|b`), when both say "nothing to install" (`-`), or when the list says
there is no equivalent (`!`) and the map has no entry. Separately, every emitted name is checked
against the package names of each supported Alpine release (alpine_names.toml): the count of names
that do not exist must be 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dockslim.passes.alpine_data import data

DEFAULT = Path(__file__).resolve().parent / "data" / "alpine_checklist.tsv"


def main(argv: list[str]) -> int:
    show = "--show" in argv
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0]) if args else DEFAULT
    d = data()
    rows = [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    agree = refused = 0
    missing: set[str] = set()
    for debian, expected in rows:
        entry = d.packages.get(debian)
        emitted = None if entry is None else frozenset(entry.alpine)
        answers = [frozenset() if a == "-" else None if a == "!" else frozenset(a.split())
                   for a in expected.split("|")]
        ok = emitted in answers
        agree += ok
        refused += emitted is None
        if emitted:
            for release, names in d.release_names.items():
                missing.update(f"{n} ({release})" for n in emitted if n not in names)
        if show and not ok:
            got = "refused" if emitted is None else " ".join(sorted(emitted)) or "-"
            print(f"  {debian}: map says {got}; expected {expected}")
    n = len(rows)
    print(f"{agree}/{n} agree ({100 * agree / n:.1f} %), {refused} refused; "
          f"{len(missing)} emitted names missing from a supported release "
          f"({', '.join(d.releases)}){': ' + ', '.join(sorted(missing)) if missing else ''}")
    return 0 if not missing else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
