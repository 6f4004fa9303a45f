"""hadolint's rules about package managers that dockslim must not trip, as hadolint matches them.

hadolint's clean-up rules that look at *order* within one RUN (hadolint 2.x): a finding when the
body installs and its first clean-up does not come after its first install. hadolint matches any
one listed word anywhere in the command's arguments, which is what these tables reproduce (not
what the tools do: :mod:`dockslim.managers` answers that).
"""

from __future__ import annotations

from .._records import dataclass

_RULES = "https://github.com/hadolint/hadolint/blob/master/src/Hadolint/Rule/"
_DNF_INSTALLS = frozenset({"install", "in", "upgrade", "up", "upgrade-minimal", "up-min", "reinstall", "rei"})


@dataclass(frozen=True)
class OrderRule:
    rule: str
    command: str
    installs: frozenset[str]  # any of these words marks an install
    cleans: frozenset[str]  # any of these words marks a clean-up
    rm_path: str | None  # an `rm -rf` of this path also counts as the clean-up
    source: str


ORDER_RULES: tuple[OrderRule, ...] = (
    OrderRule("DL3032", "yum", frozenset({"install"}), frozenset({"clean", "all"}), "/var/cache/yum/*",
              _RULES + "DL3032.hs"),
    OrderRule("DL3040", "dnf", _DNF_INSTALLS, frozenset({"clean", "all"}), "/var/cache/libdnf5*",
              _RULES + "DL3040.hs"),
    OrderRule("DL3040", "microdnf", _DNF_INSTALLS, frozenset({"clean", "all"}), "/var/cache/libdnf5*",
              _RULES + "DL3040.hs"),
    OrderRule("DL3036", "zypper", frozenset({"install", "in"}), frozenset({"clean", "cc"}), None,
              _RULES + "DL3036.hs"),
    OrderRule("DL3060", "yarn", frozenset({"install"}), frozenset({"cache", "clean"}), None,
              _RULES + "DL3060.hs"),
)
