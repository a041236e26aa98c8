"""What every `/v2` view shares: the project's authentication, Alpaca's error shape."""

from __future__ import annotations

from rest_framework.views import APIView

from alpaca_adapter import errors


class AlpacaApi(APIView):
    """Every `/v2` view: the project's authentication, Alpaca's error shape."""

    # Documented by Alpaca's own reference (and the README), not in our OpenAPI schema.
    schema = None

    def get_exception_handler(self):
        return errors.exception_handler
