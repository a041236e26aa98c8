"""Tells the OpenAPI schema how API keys authenticate (two headers, as Alpaca's)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["ApiKeyId", "ApiSecretKey"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "APCA-API-KEY-ID"},
            {"type": "apiKey", "in": "header", "name": "APCA-API-SECRET-KEY"},
        ]
