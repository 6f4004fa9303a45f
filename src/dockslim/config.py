"""Configuration: ``.dockslim.toml`` or ``[tool.dockslim]`` in ``pyproject.toml``.

The file is found by walking up from the Dockerfile's folder to the repository root (the first
folder holding ``.git``), nearest first; in one folder ``.dockslim.toml`` wins over
``pyproject.toml``, and a ``pyproject.toml`` without ``[tool.dockslim]`` does not count.
Command-line flags win over the file (:func:`merge`). An unknown key is an error that names the
closest valid key. Reference: docs/reference/configuration.md.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Sequence

from ._records import dataclass
from .options import RunOptions

CONFIG_NAMES = (".dockslim.toml", "pyproject.toml")
CACHE_STYLES = ("cleanup", "mount")
# Seconds per Dockerfile (dockslim.budget): a 2 MB file takes a few, an everyday file milliseconds.
DEFAULT_TIME_BUDGET = 60.0

# key -> (type description, documentation); the order here is the order of the reference page.
KEYS: dict[str, tuple[str, str]] = {
    "select": ("list of pass ids", "Only these passes run (default: all)."),
    "ignore": ("list of pass ids", "These passes never run."),
    "unsafe-fixes": ("bool", "Also apply fixes that may change the result (default: false)."),
    "cache-style": ("\"cleanup\" | \"mount\"",
                    "How package caches are kept out of layers: delete them (`cleanup`, default) "
                    "or use BuildKit cache mounts (`mount`)."),
    "per-path-ignores": ("table: glob -> list of pass ids",
                         "Passes skipped for Dockerfiles whose path (relative to the configuration "
                         "file's folder) matches the glob; a glob without `/` matches the file name."),
    "package-map": ("table: package -> package or list of packages",
                    "Extra Debian/Ubuntu -> Alpine package names, consulted before the built-in map."),
    "exec-form-wrap": ("bool", ("exec-form: write a CMD/ENTRYPOINT that needs a shell as the explicit "
                                "`[\"/bin/sh\", \"-c\", \"...\"]` Docker runs (default: false, a note).")),
    "time-budget": ("number of seconds",
                    "Time allowed per Dockerfile (default: 60); a file that takes longer is reported and "
                    "skipped (exit code 2), the others go on. 0 turns the limit off."),
}


class ConfigError(Exception):
    """A configuration file that cannot be used; reported as ``path: message`` with exit code 2."""

    def __init__(self, path: Path | str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


@dataclass(frozen=True)
class Settings:
    """What a configuration file says; ``None`` means "not set"."""

    path: Path | None = None  # the file it came from
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    cache_style: str | None = None
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    package_map: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exec_form_wrap: bool | None = None
    time_budget: float | None = None

    @property
    def root(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def ignores_for(self, dockerfile: str) -> tuple[str, ...]:
        """Pass ids that ``per-path-ignores`` skips for ``dockerfile``."""
        if not self.per_path_ignores or self.root is None or dockerfile == "-":
            return ()
        try:
            rel = PurePosixPath(Path(os.path.abspath(dockerfile)).relative_to(self.root.resolve()).as_posix())
        except ValueError:
            return ()
        out: list[str] = []
        for glob, ids in self.per_path_ignores:
            pattern = glob[2:] if glob.startswith("./") else glob
            target = str(rel) if "/" in pattern else rel.name
            if fnmatch.fnmatchcase(target, pattern):
                out.extend(ids)
        return tuple(out)


@dataclass(frozen=True)
class Effective:
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    unsafe_fixes: bool
    cache_style: str
    package_map: tuple[tuple[str, tuple[str, ...]], ...]
    exec_form_wrap: bool = False
    time_budget: float | None = DEFAULT_TIME_BUDGET  # None: no limit


def merge(settings: Settings, flags: RunOptions, dockerfile: str) -> Effective:
    """Flags win: ``--select`` replaces the file's ``select`` and overrides its ignores for the
    passes it names; ``--ignore`` adds to the file's ignores; booleans and styles replace."""
    from .engine import expand_ids  # pass ids, hadolint codes (DL3059), ALL

    select = flags.select if flags.select else (settings.select or ())
    # A pass --select names (by id or hadolint code; ALL names none in particular) runs even if the
    # file ignores it.
    named = set(expand_ids([n for n in flags.select if n.upper() != "ALL"]))
    file_ignores = [i for i in settings.ignore + settings.ignores_for(dockerfile)
                    if not set(expand_ids([i])) <= named]
    ignore = tuple(dict.fromkeys(file_ignores + list(flags.ignore)))
    unsafe = flags.unsafe_fixes if flags.unsafe_fixes is not None else bool(settings.unsafe_fixes)
    style = flags.cache_style or settings.cache_style or "cleanup"
    budget = next((b for b in (flags.time_budget, settings.time_budget) if b is not None),
                  DEFAULT_TIME_BUDGET)
    return Effective(tuple(select), ignore, unsafe, style, settings.package_map,
                     bool(settings.exec_form_wrap), budget or None)


def _repository_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def find(start: Path | str) -> Path | None:
    """The configuration file that governs a Dockerfile in folder ``start``, or None."""
    start = Path(os.path.abspath(start))
    stop = _repository_root(start)
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        if stop is not None and folder == stop:
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        if b"dockslim" not in path.read_bytes():  # most pyproject.toml files: no TOML parse needed
            return False
    except OSError:
        return False
    try:
        data = _read_toml(path)
    except ConfigError:
        # A broken pyproject.toml is not ours to report unless it mentions us.
        return "[tool.dockslim" in path.read_text(encoding="utf-8", errors="replace")
    return isinstance(data.get("tool"), dict) and "dockslim" in data["tool"]


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported here: most runs find no configuration file
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        data = path.read_bytes()
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(path, f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                                "TOML files are UTF-8") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from None


def load(path: Path | str, known_ids: Sequence[str] = ()) -> Settings:
    """Read and validate a configuration file. Raises :class:`ConfigError`."""
    path = Path(path)
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("dockslim", {})
        where = "[tool.dockslim]"
    else:
        table = data.get("tool", {}).get("dockslim", data) if set(data) == {"tool"} else data
        where = "configuration"
    if not isinstance(table, dict):
        raise ConfigError(path, f"{where} must be a table")
    return parse(table, path, known_ids)


def _suggest(name: str, choices: Sequence[str]) -> str:
    import difflib  # only to suggest a name after a typo

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _id_list(value: Any, key: str, path: Path, known_ids: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, f"'{key}' must be a list of pass ids")
    ids = tuple(v.strip() for v in value if v.strip())
    if known_ids:
        from .engine import expand_ids  # ALL and hadolint codes (DL3059) are names too

        for pid in ids:
            if pid not in known_ids:
                try:
                    expand_ids([pid])
                except ValueError:
                    raise ConfigError(path, f"unknown pass id '{pid}' in '{key}'{_suggest(pid, known_ids)}; "
                                            "see `dockslim rules`") from None
    return ids


def parse(table: dict[str, Any], path: Path, known_ids: Sequence[str] = ()) -> Settings:
    for key in table:
        if key not in KEYS:
            raise ConfigError(path, f"unknown key '{key}'{_suggest(key, list(KEYS))}; "
                                    f"valid keys: {', '.join(KEYS)}")
    select = _id_list(table["select"], "select", path, known_ids) if "select" in table else None
    ignore = _id_list(table.get("ignore", []), "ignore", path, known_ids)
    unsafe = table.get("unsafe-fixes")
    if unsafe is not None and not isinstance(unsafe, bool):
        raise ConfigError(path, "'unsafe-fixes' must be true or false")
    style = table.get("cache-style")
    if style is not None and style not in CACHE_STYLES:
        raise ConfigError(path, f"'cache-style' must be one of {', '.join(map(repr, CACHE_STYLES))}"
                                f"{_suggest(str(style), CACHE_STYLES)}")
    ppi = table.get("per-path-ignores", {})
    if not isinstance(ppi, dict):
        raise ConfigError(path, "'per-path-ignores' must be a table of glob = [pass ids]")
    per_path = tuple((glob, _id_list(ids, f"per-path-ignores.{glob}", path, known_ids))
                     for glob, ids in ppi.items())
    pmap = table.get("package-map", {})
    if not isinstance(pmap, dict):
        raise ConfigError(path, "'package-map' must be a table of package = package or [packages]")
    package_map: list[tuple[str, tuple[str, ...]]] = []
    for name, target in pmap.items():
        targets = [target] if isinstance(target, str) else target
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ConfigError(path, f"'package-map.{name}' must be a package name or a list of them")
        package_map.append((name, tuple(targets)))
    wrap = table.get("exec-form-wrap")
    if wrap is not None and not isinstance(wrap, bool):
        raise ConfigError(path, "'exec-form-wrap' must be true or false")
    budget = table.get("time-budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or budget < 0):
        raise ConfigError(path, "'time-budget' must be a number of seconds (0: no limit)")
    return Settings(path, select, ignore, unsafe, style, per_path, tuple(package_map), wrap,
                    None if budget is None else float(budget))


class Resolver:
    """Finds and loads configuration per Dockerfile, each file read once per run."""

    def __init__(self, known_ids: Sequence[str], explicit: str | None = None, isolated: bool = False):
        self.known_ids = list(known_ids)
        self.explicit = explicit
        self.isolated = isolated
        self._cache: dict[Path | None, Settings] = {}

    def for_dockerfile(self, dockerfile: str) -> Settings:
        if self.isolated:
            return Settings()
        if self.explicit is not None:
            explicit = Path(self.explicit)
            if explicit.is_dir():
                raise ConfigError(self.explicit, "is a folder: --config takes a file "
                                                 "(.dockslim.toml, or pyproject.toml with [tool.dockslim])")
            if not explicit.is_file():
                raise ConfigError(self.explicit, "no such configuration file")
            path: Path | None = explicit
        else:
            start = Path.cwd() if dockerfile == "-" else Path(os.path.abspath(dockerfile)).parent
            path = find(start)
        if path not in self._cache:
            self._cache[path] = Settings() if path is None else load(path, self.known_ids)
        return self._cache[path]
