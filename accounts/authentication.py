"""DRF authentication by API key headers, as Alpaca's trading bots send them."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from accounts.services import api_key_authenticate

KEY_HEADER = "HTTP_APCA_API_KEY_ID"
SECRET_HEADER = "HTTP_APCA_API_SECRET_KEY"


def credentials_from_headers(headers: dict[str, str]) -> tuple[str, str] | None:
    """Return (key id, secret) from WSGI-style META keys, or None if no key id is sent."""
    key_id = headers.get(KEY_HEADER, "").strip()
    if not key_id:
        return None
    return key_id, headers.get(SECRET_HEADER, "").strip()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates `APCA-API-KEY-ID` + `APCA-API-SECRET-KEY`; no headers means try the session."""

    def authenticate(self, request):
        creds = credentials_from_headers(request.META)
        if creds is None:
            return None
        key_id, secret = creds
        if not secret:
            raise exceptions.AuthenticationFailed("APCA-API-SECRET-KEY is missing.")
        key = api_key_authenticate(key_id=key_id, secret=secret)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown, revoked or mismatched API key.")
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'APCA-API-KEY-ID realm="api"'
