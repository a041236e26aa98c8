"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alpaca_adapter.apps import MOUNTS as ALPACA_MOUNTS
from brokerage.health import healthz

urlpatterns = [
    path("", include("marketdata.urls")),
    path("", include("accounts.urls")),
    path("", include("trading.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("brokerage.api_urls")),
    # Alpaca's API under `/api` and at the host root (its SDKs append `/v2` to a host); the
    # names resolve to the first mount.
    *(path(mount, include("alpaca_adapter.urls")) for mount in ALPACA_MOUNTS),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# JSON, not HTML, for a missing page or a crash under /api/ (DEBUG off).
handler404 = "brokerage.api_errors.page_not_found"
handler500 = "brokerage.api_errors.server_error"
