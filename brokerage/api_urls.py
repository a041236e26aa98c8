"""All REST endpoints under /api/v1/, collected from the apps."""

from django.urls import include, path

urlpatterns = [
    path("", include("marketdata.api_urls")),
    path("", include("trading.api_urls")),
]
