"""The lab's choice of registries, without an engine: which apt sources and trust store a config
layer carries, the loopback mirror's configuration, the base families and the Rust toolchain's layout."""

from __future__ import annotations

import os

import pytest

from tests.integration import lab


def test_source_uris_reads_one_line_and_deb822_sources():
    sources = {
        "a.list": "deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian bookworm main\n"
                  "# deb http://commented.example/x bookworm main\ndeb-src http://src.example/ bookworm main\n"
                  "deb https://b.example/debian bookworm-updates main\n",
        "debian.sources": "Types: deb\n# http://snapshot.example/ comment\nURIs: http://c.example/debian\n"
                          "Suites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/k.gpg\n",
    }
    assert lab.source_uris(sources) == ["http://a.example/debian", "https://b.example/debian",
                                        "http://c.example/debian"]


def test_a_real_registries_layer_carries_the_hosts_sources_keyrings_and_trust_store(tmp_path, monkeypatch):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm\nSigned-By: {tmp_path}/k.gpg\n")
    (tmp_path / "sources.list.d" / "old.list.disabled").write_text("deb http://never.example/ x y\n")
    (tmp_path / "k.gpg").write_bytes(b"key")
    (tmp_path / "bundle.crt").write_bytes(b"bundle")
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "proxy.crt").write_bytes(b"proxy ca")
    monkeypatch.setattr(lab, "HOST_APT_SOURCES", tmp_path / "sources.list")
    monkeypatch.setattr(lab, "HOST_APT_SOURCES_D", tmp_path / "sources.list.d")
    monkeypatch.setattr(lab, "HOST_CA_BUNDLE", tmp_path / "bundle.crt")
    monkeypatch.setattr(lab, "HOST_LOCAL_CAS", tmp_path / "cas")
    files = lab._config_files(lab.Registries(real=True))
    root = str(tmp_path).lstrip("/")
    assert files["etc/apt/sources.list.d/debian.sources"].startswith("Types: deb")
    assert not any("disabled" in name for name in files)
    assert files[f"{root}/k.gpg"] == b"key"
    assert files[f"{root}/bundle.crt"] == b"bundle" and files[f"{root}/cas/proxy.crt"] == b"proxy ca"
    assert f"cert = {tmp_path}/bundle.crt" in files["etc/pip.conf"]
    assert "http://deb.example/debian" in lab.Registries(real=True).describe()


def test_the_loopback_mirror_is_named_with_the_reason(monkeypatch):
    monkeypatch.setenv("DOCKSLIM_LAB_REGISTRIES", "loopback")
    why = lab.registries_reason()
    assert why == "DOCKSLIM_LAB_REGISTRIES=loopback"
    registries = lab.Registries(real=False, port=4321, why_not_real=why)
    files = lab._config_files(registries)
    assert files["etc/apt/sources.list"] == "deb [trusted=yes] http://127.0.0.1:4321/apt ./\n"
    assert "index-url = http://127.0.0.1:4321/pypi/simple/" in files["etc/pip.conf"]
    assert registries.describe() == ("loopback mirror on 127.0.0.1:4321 "
                                     "(real registries not used: DOCKSLIM_LAB_REGISTRIES=loopback)")


def test_extra_base_families_are_opt_in(monkeypatch):
    monkeypatch.delenv("DOCKSLIM_LAB_BASES", raising=False)
    assert lab.families_wanted() == ("default",)
    assert lab.stand_ins(lab.families_wanted())["python:3.11"] == "python:3.11-slim-bookworm"
    monkeypatch.setenv("DOCKSLIM_LAB_BASES", "rust, debian")
    assert lab.families_wanted() == ("default", "debian", "rust")
    assert lab.families_wanted("all") == tuple(lab.FAMILIES)
    assert lab.families_wanted("") == ("default",)
    with pytest.raises(lab.LabUnavailable, match="no lab base family alpine"):
        lab.families_wanted("alpine")
    tags = lab.stand_ins(lab.families_wanted("all"))
    assert tags["python:3.11"] == "python:3.11-bookworm"  # the python family's full image wins
    assert tags["debian:latest"] == tags["debian:trixie-slim"] == "rootfs:trixie"
    assert tags["rust:1.70-slim-bookworm"] == tags["rust:slim"] == "rust:1.95-slim-bookworm"
    # Every base a tag names is made by a recipe, whose parents are made too.
    for base in set(tags.values()) | {r.parent for r in lab.RECIPES.values()}:
        assert base.startswith("rootfs:") and base.split(":")[1] in lab.SUITES or base in lab.RECIPES


def test_trixie_bases_get_the_host_sources_renamed(tmp_path, monkeypatch):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\n\n"
        "Types: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\n")
    (tmp_path / "bundle.crt").write_bytes(b"bundle")
    monkeypatch.setattr(lab, "HOST_APT_SOURCES", tmp_path / "sources.list")
    monkeypatch.setattr(lab, "HOST_APT_SOURCES_D", tmp_path / "sources.list.d")
    monkeypatch.setattr(lab, "HOST_CA_BUNDLE", tmp_path / "bundle.crt")
    monkeypatch.setattr(lab, "HOST_LOCAL_CAS", tmp_path / "cas")
    text = lab._config_files(lab.Registries(real=True), "trixie")["etc/apt/sources.list.d/debian.sources"]
    assert "Suites: trixie trixie-updates\n" in text and "Suites: trixie-security\n" in text
    assert "bookworm" not in text
    with pytest.raises(lab.LabUnavailable, match="only carries bookworm"):
        lab._config_files(lab.Registries(real=False, port=1, why_not_real="test"), "trixie")


def test_the_rust_toolchain_is_laid_out_as_in_the_official_image(tmp_path, monkeypatch):
    """Only cargo, rustc and rust-std (rustup's minimal profile) are copied, by their manifests."""
    host = tmp_path / "host" / "1.95.0-x86_64-unknown-linux-gnu"
    rustlib = host / "lib" / "rustlib"
    rustlib.mkdir(parents=True)
    for component, path in (("cargo", "bin/cargo"), ("rustc", "bin/rustc"),
                            ("rust-std", "lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd.rlib"),
                            ("rust-docs", "share/doc/rust/html/index.html")):
        (host / path).parent.mkdir(parents=True, exist_ok=True)
        (host / path).write_text(component)
        (rustlib / f"manifest-{component}-x86_64-unknown-linux-gnu").write_text(f"file:{path}\n")
    (rustlib / "multirust-channel-manifest.toml").write_text("")
    (rustlib / "rust-installer-version").write_text("3\n")
    bin_dir = tmp_path / "cargo" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "rustup").write_text("rustup")
    (bin_dir / "cargo").symlink_to("rustup")
    monkeypatch.setattr(lab, "RUST_TOOLCHAIN", host)
    monkeypatch.setattr(lab, "RUSTUP", bin_dir / "rustup")
    lab._rust_context(tmp_path / "ctx")
    out = tmp_path / "ctx" / "rust"
    toolchain = out / "rustup" / "toolchains" / "1.95.0-x86_64-unknown-linux-gnu"
    assert (toolchain / "bin" / "cargo").read_text() == "cargo"
    assert (toolchain / "lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd.rlib").is_file()
    assert not (toolchain / "share" / "doc").exists()
    assert (toolchain / "lib/rustlib/components").read_text().split() == [
        "cargo-x86_64-unknown-linux-gnu", "rustc-x86_64-unknown-linux-gnu", "rust-std-x86_64-unknown-linux-gnu"]
    assert 'default_toolchain = "1.95.0-x86_64-unknown-linux-gnu"' in (out / "rustup" / "settings.toml").read_text()
    assert os.readlink(out / "cargo" / "bin" / "cargo") == "rustup"
    assert lab._rust_version() == "1.95.0"
