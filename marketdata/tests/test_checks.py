"""The market-data system check: a configuration that cannot work is an error naming the variable."""

from __future__ import annotations

from core.env import Secret
from marketdata.checks import provider_configured

KEY = "checks-test-key-Qz81Wm4"


def messages(errors) -> list[tuple[str, str]]:
    return [(e.id, e.msg) for e in errors]


def test_the_simulator_needs_nothing(settings):
    settings.MARKETDATA_PROVIDER = "simulated"
    settings.MARKETDATA_API_KEY = Secret("")
    settings.MARKETDATA_API_KEY_FILE = None

    assert provider_configured() == []


def test_a_provider_that_needs_a_key_and_has_none_is_an_error(settings):
    settings.MARKETDATA_PROVIDER = "finnhub"
    settings.MARKETDATA_API_KEY = Secret("")
    settings.MARKETDATA_API_KEY_FILE = None

    assert messages(provider_configured()) == [
        (
            "marketdata.E001",
            "MARKETDATA_PROVIDER=finnhub needs MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE",
        )
    ]


def test_a_key_and_a_key_file_at_once_is_an_error(settings, tmp_path):
    key_file = tmp_path / "finnhub.key"
    key_file.write_text(KEY)
    settings.MARKETDATA_PROVIDER = "finnhub"
    settings.MARKETDATA_API_KEY = Secret(KEY)
    settings.MARKETDATA_API_KEY_FILE = str(key_file)

    assert messages(provider_configured()) == [
        ("marketdata.E001", "set MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE, not both")
    ]


def test_an_empty_key_file_is_an_error_that_names_it_without_the_key(settings, tmp_path):
    key_file = tmp_path / "empty.key"
    key_file.write_text("\n")
    settings.MARKETDATA_PROVIDER = "finnhub"
    settings.MARKETDATA_API_KEY = Secret("")
    settings.MARKETDATA_API_KEY_FILE = str(key_file)

    assert messages(provider_configured()) == [
        ("marketdata.E001", f"MARKETDATA_API_KEY_FILE={str(key_file)!r} is empty")
    ]


def test_a_readable_key_file_passes(settings, tmp_path):
    key_file = tmp_path / "finnhub.key"
    key_file.write_text(f"{KEY}\n")
    settings.MARKETDATA_PROVIDER = "finnhub"
    settings.MARKETDATA_API_KEY = Secret("")
    settings.MARKETDATA_API_KEY_FILE = str(key_file)

    assert provider_configured() == []
