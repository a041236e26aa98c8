from django.urls import path

from trading import views
from trading.auctions import views as auction_views

urlpatterns = [
    path("stocks/<str:symbol>/", views.stock_detail, name="stock"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/summary/", views.portfolio_summary, name="portfolio-summary"),
    path("portfolio/equity.json", views.portfolio_equity, name="portfolio-equity"),
    path("activity/", views.activity, name="activity"),
    path("stocks/<str:symbol>/watch/", views.watch_toggle, name="watch-toggle"),
    path("orders/", views.order_history, name="orders"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("auctions/", auction_views.auctions_list, name="auctions"),
    path("auctions/mine/", auction_views.my_auctions, name="my-auctions"),
    path("auctions/<int:auction_id>/", auction_views.auction_detail, name="auction"),
    path("auctions/<int:auction_id>/live/", auction_views.auction_live, name="auction-live"),
]
