"""Configuration: discovery (walk up to the repository root), validation, and flags winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockslim.cli import main
from dockslim.config import ConfigError, Resolver, Settings, find, load, merge
from dockslim.options import RunOptions

IDS = ["maintainer-to-label", "add-to-copy", "merge-runs"]
SEED = "FROM python:3\nMAINTAINER me\nRUN a\nRUN b\n"


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "Dockerfile").write_text(SEED)
    return tmp_path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_found_by_walking_up_nearest_first(repo):
    api = repo / "services" / "api"
    assert find(api) is None
    (repo / "pyproject.toml").write_text("[tool.dockslim]\nignore = ['merge-runs']\n")
    assert find(api) == repo / "pyproject.toml"
    (repo / "services" / ".dockslim.toml").write_text("select = ['merge-runs']\n")
    assert find(api) == repo / "services" / ".dockslim.toml"


def test_dockslim_toml_wins_over_pyproject_in_one_folder(repo):
    (repo / "pyproject.toml").write_text("[tool.dockslim]\nignore = ['merge-runs']\n")
    (repo / ".dockslim.toml").write_text("ignore = ['add-to-copy']\n")
    assert find(repo / "services" / "api") == repo / ".dockslim.toml"


def test_pyproject_without_our_table_does_not_count(repo):
    (repo / "services" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "pyproject.toml").write_text("[tool.dockslim]\nignore = ['merge-runs']\n")
    assert find(repo / "services" / "api") == repo / "pyproject.toml"


def test_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / ".dockslim.toml").write_text("ignore = ['merge-runs']\n")  # outside the repo
    inner = tmp_path / "repo"
    (inner / ".git").mkdir(parents=True)
    assert find(inner) is None


def test_unknown_key_suggests_the_closest(tmp_path):
    path = tmp_path / ".dockslim.toml"
    path.write_text("unsafe_fixes = true\n")
    with pytest.raises(ConfigError, match="unknown key 'unsafe_fixes' \\(did you mean 'unsafe-fixes'\\?\\)"):
        load(path, IDS)
    path.write_text("ignroe = ['merge-runs']\n")
    with pytest.raises(ConfigError, match="did you mean 'ignore'"):
        load(path, IDS)


@pytest.mark.parametrize("body, message", [
    ("select = ['merge-run']", "unknown pass id 'merge-run' in 'select' \\(did you mean 'merge-runs'\\?\\)"),
    ("unsafe-fixes = 'yes'", "'unsafe-fixes' must be true or false"),
    ("cache-style = 'mounts'", "did you mean 'mount'"),
    ("ignore = 3", "must be a list of pass ids"),
    ("per-path-ignores = ['x']", "must be a table"),
    ("package-map = { libpq-dev = 3 }", "package-map.libpq-dev"),
    ("select = [", "invalid TOML"),
])
def test_invalid_values(tmp_path, body, message):
    path = tmp_path / ".dockslim.toml"
    path.write_text(body + "\n")
    with pytest.raises(ConfigError, match=message):
        load(path, IDS)


def test_all_keys_parse(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.dockslim]\n"
        "select = ['merge-runs', 'add-to-copy']\nignore = ['maintainer-to-label']\n"
        "unsafe-fixes = true\ncache-style = 'mount'\n"
        "[tool.dockslim.per-path-ignores]\n'legacy/*' = ['merge-runs']\n'Dockerfile.dev' = ['add-to-copy']\n"
        "[tool.dockslim.package-map]\nlibpq-dev = 'postgresql-dev'\nbuild-essential = ['build-base', 'linux-headers']\n")
    s = load(path, IDS)
    assert s.select == ("merge-runs", "add-to-copy") and s.ignore == ("maintainer-to-label",)
    assert s.unsafe_fixes is True and s.cache_style == "mount"
    assert s.package_map == (("libpq-dev", ("postgresql-dev",)), ("build-essential", ("build-base", "linux-headers")))
    assert s.ignores_for(str(tmp_path / "legacy" / "a" / "Dockerfile")) == ("merge-runs",)
    assert s.ignores_for(str(tmp_path / "x" / "Dockerfile.dev")) == ("add-to-copy",)
    assert s.ignores_for(str(tmp_path / "Dockerfile")) == ()


def test_flags_win():
    s = Settings(Path("/r/.dockslim.toml"), select=("merge-runs",), ignore=("add-to-copy",),
                 unsafe_fixes=True, cache_style="mount")
    eff = merge(s, RunOptions(), "/r/Dockerfile")
    assert (eff.select, eff.ignore, eff.unsafe_fixes, eff.cache_style) == \
        (("merge-runs",), ("add-to-copy",), True, "mount")
    eff = merge(s, RunOptions(select=("add-to-copy",), ignore=("merge-runs",), unsafe_fixes=False,
                              cache_style="cleanup"), "/r/Dockerfile")
    # --select add-to-copy overrides the file's ignore of it; --ignore adds
    assert (eff.select, eff.ignore, eff.unsafe_fixes, eff.cache_style) == \
        (("add-to-copy",), ("merge-runs",), False, "cleanup")


def test_cli_uses_the_nearest_configuration(repo, capsys):
    (repo / ".dockslim.toml").write_text("ignore = ['merge-runs']\n")
    code, out, _ = run(["check", repo / "services" / "api" / "Dockerfile"], capsys)
    assert code == 1 and "maintainer-to-label" in out and "merge-runs" not in out
    # flags win: --select names merge-runs explicitly
    code, out, _ = run(["check", repo / "services" / "api" / "Dockerfile", "--select", "merge-runs"], capsys)
    assert "merge-runs" in out and "maintainer-to-label" not in out
    # --isolated ignores the file; --config names another one
    code, out, _ = run(["check", repo / "services" / "api" / "Dockerfile", "--isolated"], capsys)
    assert "merge-runs" in out and "maintainer-to-label" in out
    other = repo / "other.toml"
    other.write_text("select = ['maintainer-to-label']\n")
    code, out, _ = run(["check", repo / "services" / "api" / "Dockerfile", "--config", other], capsys)
    assert "maintainer-to-label" in out and "merge-runs" not in out


def test_cli_per_path_ignores_and_unsafe_flag(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.dockslim.per-path-ignores]\n'services/*' = ['maintainer-to-label']\n")
    code, out, _ = run(["check", repo / "services" / "api" / "Dockerfile"], capsys)
    assert "maintainer-to-label" not in out and "merge-runs" in out


def test_cli_reports_config_errors_with_exit_2(repo, capsys):
    (repo / ".dockslim.toml").write_text("selct = ['merge-runs']\n")
    code, _, err = run(["check", repo / "services" / "api" / "Dockerfile"], capsys)
    assert code == 2
    assert ".dockslim.toml: unknown key 'selct' (did you mean 'select'?)" in err
    code, _, err = run(["check", repo / "services" / "api" / "Dockerfile", "--config", repo / "nope.toml"], capsys)
    assert code == 2 and "no such configuration file" in err


def test_unsafe_fixes_from_configuration_and_no_unsafe_flag(repo, capsys):
    api = repo / "services" / "api"
    (api / "Dockerfile").write_text("FROM a\nADD missing.txt /x\n")  # not in the context: unsafe fix only
    code, out, _ = run(["fix", api / "Dockerfile", "--select", "add-to-copy"], capsys)
    assert code == 0 and out == ""
    (repo / ".dockslim.toml").write_text("unsafe-fixes = true\n")
    code, out, _ = run(["fix", api / "Dockerfile", "--select", "add-to-copy"], capsys)
    assert code == 1 and "+COPY missing.txt /x" in out
    code, out, _ = run(["fix", api / "Dockerfile", "--select", "add-to-copy", "--no-unsafe-fixes"], capsys)
    assert code == 0 and out == ""


def test_resolver_reads_each_file_once(repo):
    (repo / ".dockslim.toml").write_text("ignore = ['merge-runs']\n")
    r = Resolver(IDS)
    a = r.for_dockerfile(str(repo / "services" / "api" / "Dockerfile"))
    assert r.for_dockerfile(str(repo / "services" / "Dockerfile")) is a
