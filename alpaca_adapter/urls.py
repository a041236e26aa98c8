"""`/v2/` (mounted at `/api/v2/` and `/v2/`): Alpaca's trading and market-data paths."""

from django.urls import path, re_path

from alpaca_adapter import errors
from alpaca_adapter.apis import account, assets, market_data, orders, positions, watchlists

urlpatterns = [
    path("account", account.AccountApi.as_view(), name="v2-account"),
    path("account/configurations", account.ConfigurationsApi.as_view(), name="v2-configurations"),
    path("account/portfolio/history", account.PortfolioHistoryApi.as_view(), name="v2-history"),
    path("account/activities", account.ActivitiesApi.as_view(), name="v2-activities"),
    path(
        "account/activities/<str:activity_type>",
        account.ActivitiesApi.as_view(),
        name="v2-activities-of-type",
    ),
    path("watchlists", watchlists.WatchlistsApi.as_view(), name="v2-watchlists"),
    path(
        "watchlists:by_name", watchlists.WatchlistByNameApi.as_view(), name="v2-watchlist-by-name"
    ),
    path("watchlists/<str:watchlist_id>", watchlists.WatchlistApi.as_view(), name="v2-watchlist"),
    path(
        "watchlists/<str:watchlist_id>/<str:symbol>",
        watchlists.WatchlistSymbolApi.as_view(),
        name="v2-watchlist-symbol",
    ),
    path("orders", orders.OrdersApi.as_view(), name="v2-orders"),
    path("orders:by_client_order_id", orders.OrderByClientIdApi.as_view(), name="v2-order-by-cid"),
    path("orders/<str:order_id>", orders.OrderApi.as_view(), name="v2-order"),
    path("positions", positions.PositionsApi.as_view(), name="v2-positions"),
    path("positions/<str:symbol_or_asset_id>", positions.PositionApi.as_view(), name="v2-position"),
    path("assets", assets.AssetsApi.as_view(), name="v2-assets"),
    path("assets/<str:symbol_or_asset_id>", assets.AssetApi.as_view(), name="v2-asset"),
    path("clock", assets.ClockApi.as_view(), name="v2-clock"),
    path("calendar", assets.CalendarApi.as_view(), name="v2-calendar"),
    # Market data (StockHistoricalDataClient): the multi-symbol paths, then one symbol's.
    path("stocks/bars", market_data.BarsApi.as_view(), name="v2-bars"),
    path("stocks/bars/latest", market_data.LatestBarApi.as_view(), name="v2-bars-latest"),
    path("stocks/trades", market_data.TradesApi.as_view(), name="v2-trades"),
    path("stocks/trades/latest", market_data.LatestTradeApi.as_view(), name="v2-trades-latest"),
    path("stocks/quotes", market_data.QuotesApi.as_view(), name="v2-quotes"),
    path("stocks/quotes/latest", market_data.LatestQuoteApi.as_view(), name="v2-quotes-latest"),
    path("stocks/snapshots", market_data.SnapshotsApi.as_view(), name="v2-snapshots"),
    path("stocks/<str:symbol>/bars", market_data.BarsApi.as_view(), name="v2-symbol-bars"),
    path(
        "stocks/<str:symbol>/bars/latest",
        market_data.LatestBarApi.as_view(),
        name="v2-symbol-bars-latest",
    ),
    path("stocks/<str:symbol>/trades", market_data.TradesApi.as_view(), name="v2-symbol-trades"),
    path(
        "stocks/<str:symbol>/trades/latest",
        market_data.LatestTradeApi.as_view(),
        name="v2-symbol-trades-latest",
    ),
    path("stocks/<str:symbol>/quotes", market_data.QuotesApi.as_view(), name="v2-symbol-quotes"),
    path(
        "stocks/<str:symbol>/quotes/latest",
        market_data.LatestQuoteApi.as_view(),
        name="v2-symbol-quotes-latest",
    ),
    path(
        "stocks/<str:symbol>/snapshot",
        market_data.SnapshotsApi.as_view(),
        name="v2-symbol-snapshot",
    ),
    re_path(r"^.*$", errors.not_found_json),
]
