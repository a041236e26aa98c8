from django.urls import path

from trading import apis
from trading.auctions import apis as auction_apis

urlpatterns = [
    path("orders", apis.OrdersApi.as_view(), name="api-orders"),
    path(
        "orders:by_client_order_id",
        apis.OrderByClientIdApi.as_view(),
        name="api-order-by-client-id",
    ),
    path("orders/<str:order_id>", apis.OrderDetailApi.as_view(), name="api-order"),
    path("account", apis.AccountApi.as_view(), name="api-account"),
    path("positions", apis.PositionsApi.as_view(), name="api-positions"),
    path("positions/<str:symbol>", apis.PositionDetailApi.as_view(), name="api-position"),
    path("fills", apis.FillsApi.as_view(), name="api-fills"),
    path("stocks/<str:symbol>/book", apis.BookApi.as_view(), name="api-book"),
    path("stocks/<str:symbol>/trades", apis.StockTradesApi.as_view(), name="api-stock-trades"),
    path("auctions", auction_apis.AuctionsApi.as_view(), name="api-auctions"),
    path("auctions/bids", auction_apis.MyBidsApi.as_view(), name="api-my-bids"),
    path("auctions/<str:auction_id>", auction_apis.AuctionDetailApi.as_view(), name="api-auction"),
    path(
        "auctions/<str:auction_id>/bids",
        auction_apis.AuctionBidsApi.as_view(),
        name="api-auction-bids",
    ),
]
