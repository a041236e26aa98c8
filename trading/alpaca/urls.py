"""`/api/v2/`: Alpaca's trading API paths (and, beside them, its market-data paths)."""

from django.urls import path, re_path

from trading.alpaca import apis, data, errors

urlpatterns = [
    path("account", apis.AccountApi.as_view(), name="v2-account"),
    path("account/configurations", apis.ConfigurationsApi.as_view(), name="v2-configurations"),
    path("account/portfolio/history", apis.PortfolioHistoryApi.as_view(), name="v2-history"),
    path("account/activities", apis.ActivitiesApi.as_view(), name="v2-activities"),
    path(
        "account/activities/<str:activity_type>",
        apis.ActivitiesApi.as_view(),
        name="v2-activities-of-type",
    ),
    path("watchlists", apis.WatchlistsApi.as_view(), name="v2-watchlists"),
    path("watchlists:by_name", apis.WatchlistByNameApi.as_view(), name="v2-watchlist-by-name"),
    path("watchlists/<str:watchlist_id>", apis.WatchlistApi.as_view(), name="v2-watchlist"),
    path(
        "watchlists/<str:watchlist_id>/<str:symbol>",
        apis.WatchlistSymbolApi.as_view(),
        name="v2-watchlist-symbol",
    ),
    path("orders", apis.OrdersApi.as_view(), name="v2-orders"),
    path("orders:by_client_order_id", apis.OrderByClientIdApi.as_view(), name="v2-order-by-cid"),
    path("orders/<str:order_id>", apis.OrderApi.as_view(), name="v2-order"),
    path("positions", apis.PositionsApi.as_view(), name="v2-positions"),
    path("positions/<str:symbol_or_asset_id>", apis.PositionApi.as_view(), name="v2-position"),
    path("assets", apis.AssetsApi.as_view(), name="v2-assets"),
    path("assets/<str:symbol_or_asset_id>", apis.AssetApi.as_view(), name="v2-asset"),
    path("clock", apis.ClockApi.as_view(), name="v2-clock"),
    path("calendar", apis.CalendarApi.as_view(), name="v2-calendar"),
    # Market data (StockHistoricalDataClient): the multi-symbol paths, then one symbol's.
    path("stocks/bars", data.BarsApi.as_view(), name="v2-bars"),
    path("stocks/bars/latest", data.LatestBarApi.as_view(), name="v2-bars-latest"),
    path("stocks/trades", data.TradesApi.as_view(), name="v2-trades"),
    path("stocks/trades/latest", data.LatestTradeApi.as_view(), name="v2-trades-latest"),
    path("stocks/quotes", data.QuotesApi.as_view(), name="v2-quotes"),
    path("stocks/quotes/latest", data.LatestQuoteApi.as_view(), name="v2-quotes-latest"),
    path("stocks/snapshots", data.SnapshotsApi.as_view(), name="v2-snapshots"),
    path("stocks/<str:symbol>/bars", data.BarsApi.as_view(), name="v2-symbol-bars"),
    path(
        "stocks/<str:symbol>/bars/latest",
        data.LatestBarApi.as_view(),
        name="v2-symbol-bars-latest",
    ),
    path("stocks/<str:symbol>/trades", data.TradesApi.as_view(), name="v2-symbol-trades"),
    path(
        "stocks/<str:symbol>/trades/latest",
        data.LatestTradeApi.as_view(),
        name="v2-symbol-trades-latest",
    ),
    path("stocks/<str:symbol>/quotes", data.QuotesApi.as_view(), name="v2-symbol-quotes"),
    path(
        "stocks/<str:symbol>/quotes/latest",
        data.LatestQuoteApi.as_view(),
        name="v2-symbol-quotes-latest",
    ),
    path("stocks/<str:symbol>/snapshot", data.SnapshotsApi.as_view(), name="v2-symbol-snapshot"),
    re_path(r"^.*$", errors.not_found_json),
]
