"""Where the client's URL and key come from, and how the file is kept private."""

from __future__ import annotations

import stat

import pytest

from client.config import Config, ConfigError, config_path, write_file


def test_the_file_is_written_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "deep" / "config.toml"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)

    write_file(Config("http://example.test:8000", "BKKEY", 'se"cret\\'), path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Config.load(path, environ={}) == Config("http://example.test:8000", "BKKEY", 'se"cret\\')


def test_the_environment_wins_over_the_file(tmp_path):
    path = tmp_path / "config.toml"
    write_file(Config("http://a.test", "BKFILE", "file-secret"), path)

    config = Config.load(
        path,
        environ={
            "APCA_API_KEY_ID": "BKENV",
            "APCA_API_SECRET_KEY": "env",
            "BROKERAGE_URL": "b.test/",
        },
    )

    assert config == Config("http://b.test", "BKENV", "env")


def test_no_file_means_the_local_server_and_no_key(tmp_path):
    config = Config.load(tmp_path / "missing.toml", environ={})

    assert config == Config("http://127.0.0.1:8000", "", "")
    assert not config.has_key


def test_the_path_follows_brokerage_config_then_xdg(tmp_path):
    assert config_path({"BROKERAGE_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "brokerage" / "config.toml"


def test_a_broken_file_is_named_in_one_message(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[server\nurl = ")

    with pytest.raises(ConfigError, match=f"cannot read {path}"):
        Config.load(path, environ={})
