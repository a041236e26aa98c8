"""The API key never shows: not in errors, tracebacks, log records or reprs."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

import pytest
import requests
import responses

from marketdata.providers import PROVIDERS, Provider, ProviderError, get_provider

from .conftest import FAKE_KEY, FakeClock

KEYED = [name for name, provider in PROVIDERS.items() if provider.needs_key]
HOSTS = {
    "finnhub": "https://finnhub.io",
    "alphavantage": "https://www.alphavantage.co",
    "polygon": "https://api.polygon.io",
    "twelvedata": "https://api.twelvedata.com",
}
LEAKY_URL = f"/query?function=GLOBAL_QUOTE&symbol=IBM&apikey={FAKE_KEY}&token={FAKE_KEY}"

# Each failure is built so that a careless adapter would repeat the key: requests puts the
# URL in its exception texts, and some providers echo the request back in error bodies.
FAILURES: dict[str, dict[str, Any]] = {
    "timeout": {
        "body": requests.exceptions.ReadTimeout(
            f"HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=5) {LEAKY_URL}"
        )
    },
    "connection": {
        "body": requests.exceptions.ConnectionError(
            f"Max retries exceeded with url: {LEAKY_URL} (Caused by NameResolutionError)"
        )
    },
    "other-request-error": {
        "body": requests.exceptions.TooManyRedirects(f"Exceeded 30 redirects: {LEAKY_URL}")
    },
    "unexpected-error": {"body": ValueError(f"cannot send {LEAKY_URL}")},
    "server-error": {"status": 500, "json": {"error": f"internal error for {LEAKY_URL}"}},
    "rate-limited": {
        "status": 429,
        "json": {"status": "ERROR", "error": f"slow down, key {FAKE_KEY}"},
    },
    "refused": {"status": 401, "json": {"message": f"invalid key {FAKE_KEY}", "status": "error"}},
    "junk": {"body": f"<html>proxy error {LEAKY_URL}</html>"},
    "echoing-error-body": {
        "json": {
            "Note": f"key {FAKE_KEY} has made too many calls",
            "Error Message": f"bad call with apikey={FAKE_KEY}",
            "status": "error",
            "code": 429,
            "message": f"key {FAKE_KEY} out of credits",
            "error": f"key {FAKE_KEY}",
        }
    },
}


def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def assert_no_key(text: str) -> None:
    assert FAKE_KEY not in text


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("name", KEYED)
def test_no_failure_shows_the_api_key(
    name: str,
    failure: str,
    clock: FakeClock,
    http: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http.add(responses.GET, re.compile(re.escape(HOSTS[name]) + ".*"), **FAILURES[failure])
    caplog.set_level(logging.DEBUG)
    provider = get_provider(name, FAKE_KEY, clock=clock)

    with pytest.raises(ProviderError) as caught:
        provider.fetch(["AAPL", "MSFT"])

    for error in chain(caught.value):
        assert_no_key(str(error))
        assert_no_key(repr(error))
    assert_no_key("".join(traceback.format_exception(caught.value)))
    assert_no_key(caplog.text)
    for record in caplog.records:
        assert_no_key(record.getMessage())
        assert_no_key(str(record.exc_info))
    assert len(http.calls) >= 1  # the failure really came from a call


@pytest.mark.parametrize("name", KEYED)
def test_a_provider_does_not_show_its_key_when_printed(name: str) -> None:
    provider: Provider = get_provider(name, FAKE_KEY)

    assert_no_key(repr(provider))
    assert_no_key(str(provider))
    assert_no_key(repr(vars(provider)))


def test_urllib3s_request_line_is_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    get_provider("alphavantage", FAKE_KEY)
    caplog.set_level(logging.DEBUG)

    # The line urllib3 writes for every request, query string included.
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "https",
        "www.alphavantage.co",
        443,
        "GET",
        f"/query?function=GLOBAL_QUOTE&symbol=IBM&apikey={FAKE_KEY}",
        "HTTP/1.1",
        200,
        312,
    )

    assert "apikey=***" in caplog.text
    assert_no_key(caplog.text)


def test_a_logged_traceback_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    get_provider("alphavantage", FAKE_KEY)

    try:
        raise RuntimeError(f"something printed the URL {LEAKY_URL}")
    except RuntimeError:
        logging.getLogger("marketdata.providers").exception("while reading %s", LEAKY_URL)

    assert "RuntimeError" in caplog.text
    assert_no_key(caplog.text)


def test_a_bad_configuration_message_does_not_repeat_a_key_pasted_as_the_name() -> None:
    with pytest.raises(ProviderError) as caught:
        get_provider(FAKE_KEY, None)

    assert_no_key(str(caught.value))


def test_a_bad_configuration_message_repeats_a_mistyped_name() -> None:
    with pytest.raises(ProviderError, match="'finhub' is not a provider"):
        get_provider("finhub", FAKE_KEY)
