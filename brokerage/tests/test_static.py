"""Static files over the wire: hashed names, compressed, cached for a year — under DEBUG too."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

YEAR_IMMUTABLE = "max-age=315360000, public, immutable"


@pytest.fixture
def collected(tmp_path, settings):
    """`make run`'s static set-up: DEBUG, WhiteNoise's autorefresh, collectstatic at start."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    with override_settings(DEBUG=True, WHITENOISE_AUTOREFRESH=True):
        yield tmp_path / "static"


def _assets(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html)))


@pytest.mark.django_db
def test_pages_link_hashed_files_served_compressed_and_immutable(collected):
    client = Client()
    html = client.get("/").content.decode()
    assets = _assets(html)

    assert "/static/dist/markets_page.js" not in assets
    assert any(re.fullmatch(r"/static/dist/markets_page\.[0-9a-f]{12}\.js", a) for a in assets)
    assert any(a.startswith("/static/css/site.") for a in assets)
    for asset in assets:
        response = client.get(asset, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200, asset
        assert response["Content-Encoding"] in ("gzip", "br"), asset
        assert response["Cache-Control"] == YEAR_IMMUTABLE, asset
        assert "Accept-Encoding" in response["Vary"], asset
        body = b"".join(response.streaming_content)
        assert (
            int(response["Content-Length"])
            == len(body)
            < os.path.getsize(collected / asset.removeprefix("/static/"))
        ), asset


@pytest.mark.django_db
def test_a_manifest_older_than_a_source_file_is_ignored_rather_than_served_stale(
    collected, settings
):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.templatetags.static import static

    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", static("css/site.css"))
    manifest = collected / "staticfiles.json"
    # Written a minute before the newest source file was last changed (however old the
    # checkout is).
    newest = max(
        path.stat().st_mtime
        for folder in settings.STATICFILES_DIRS
        for path in Path(folder).rglob("*")
        if path.is_file()
    )
    os.utime(manifest, (newest - 60, newest - 60))
    staticfiles_storage._wrapped = type(staticfiles_storage._wrapped)()  # a process starting

    assert static("css/site.css") == "/static/css/site.css"


def test_without_a_manifest_pages_link_plain_names(tmp_path, settings):
    from django.templatetags.static import static

    settings.STATIC_ROOT = tmp_path / "empty"
    assert static("dist/stock_page.js") == "/static/dist/stock_page.js"
