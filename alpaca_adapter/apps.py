from django.apps import AppConfig

# Alpaca's SDKs are given a host and append `/v2/...` themselves, so Alpaca's API answers at
# the host root as well as under `/api` (one set of views, two mounts: `brokerage.urls`).
MOUNTS = ("api/v2/", "v2/")


class AlpacaAdapterConfig(AppConfig):
    name = "alpaca_adapter"
    verbose_name = "Alpaca-compatible API"

    def ready(self) -> None:
        # The project's 404/500 handlers and input guard answer under our paths in our shape.
        from alpaca_adapter import errors
        from core.http import ApiDialect, dialect_register

        dialect_register(
            ApiDialect(
                prefixes=tuple("/" + mount.rstrip("/") for mount in MOUNTS),
                error=errors.error_json,
                not_found=errors.not_found_json,
                server_error=errors.server_error_json,
            )
        )
