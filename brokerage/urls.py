"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from brokerage.health import healthz

urlpatterns = [
    path("", include("marketdata.urls")),
    path("", include("accounts.urls")),
    path("", include("trading.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("brokerage.api_urls")),
    path("api/v2/", include("trading.alpaca.urls")),
    # The same views at the host root: Alpaca's SDKs are given a host and append `/v2` (the
    # names resolve to the `/api/v2/` paths above, which come first).
    path("v2/", include("trading.alpaca.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# JSON, not HTML, for a missing page or a crash under /api/ (DEBUG off).
handler404 = "brokerage.api_errors.page_not_found"
handler500 = "brokerage.api_errors.server_error"
