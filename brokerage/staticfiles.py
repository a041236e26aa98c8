"""The static files' storage: content-hashed names and compressed copies, under DEBUG too."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """`collectstatic` writes hashed, compressed copies and a manifest; pages then link the
    hashed names, which WhiteNoise serves compressed and cached for a year (immutable).

    Django links plain names under DEBUG, which `make run` is, and those went out uncompressed
    with max-age=0: so with a manifest the hashed name is linked whatever DEBUG says (runstack
    collects at every start). Without a manifest, or with one older than a source file (tests
    after an edit, a checkout before its next collectstatic), the plain name is linked and
    WhiteNoise's finders serve the source file: never a stale copy.
    """

    manifest_strict = False

    def load_manifest(self) -> tuple[dict[str, str], str]:
        hashed, manifest_hash = super().load_manifest()
        if hashed and self._older_than_sources():
            return {}, ""
        return hashed, manifest_hash

    def _older_than_sources(self) -> bool:
        try:
            written = os.path.getmtime(self.path(self.manifest_name))
        except OSError:
            return True
        for folder in settings.STATICFILES_DIRS:
            for path in Path(folder).rglob("*"):
                if path.is_file() and path.stat().st_mtime > written:
                    return True
        return False

    def url(self, name, force=False):
        if not self.hashed_files:
            return StaticFilesStorage.url(self, name)
        try:
            return super().url(name, force=True)
        except ValueError:  # a file added since the last collectstatic
            return StaticFilesStorage.url(self, name)
