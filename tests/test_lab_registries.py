"""The lab's choice of registries, without an engine: which apt sources and trust store a config
layer carries, and the loopback mirror's configuration."""

from __future__ import annotations

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
