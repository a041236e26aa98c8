from decimal import Decimal

import pytest

from core.env import ConfigError, env_bool, env_decimal, env_int, env_list


@pytest.mark.parametrize(
    "raw,expected", [("true", True), ("1", True), ("No", False), ("off", False)]
)
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "2", "yes please", "enabled"])
def test_a_malformed_boolean_is_an_error_not_false(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ConfigError, match="FLAG"):
        env_bool("FLAG", False)


def test_unset_and_empty_mean_the_default(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert env_bool("FLAG", False) is False


def test_numbers_are_checked(monkeypatch):
    monkeypatch.setenv("N", "abc")
    with pytest.raises(ConfigError):
        env_int("N", 1)
    monkeypatch.setenv("N", "-3")
    with pytest.raises(ConfigError, match="at least"):
        env_int("N", 1, minimum=0)
    monkeypatch.setenv("CASH", "NaN")
    with pytest.raises(ConfigError):
        env_decimal("CASH", "1")
    monkeypatch.setenv("CASH", "2500.50")
    assert env_decimal("CASH", "1") == Decimal("2500.50")


def test_lists_split_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_rates_are_parsed_strictly(monkeypatch):
    from core.env import ConfigError, env_rate

    for raw, expected in [
        ("200/min", (200, 60)),
        ("10/s", (10, 1)),
        ("5/10s", (5, 10)),
        ("off", None),
    ]:
        monkeypatch.setenv("SOME_RATE", raw)
        assert env_rate("SOME_RATE", "1/s") == expected
    for junk in ("200", "0/min", "ten/min", "5/fortnight"):
        monkeypatch.setenv("SOME_RATE", junk)
        with pytest.raises(ConfigError):
            env_rate("SOME_RATE", "1/s")
