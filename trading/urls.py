from django.urls import path

from trading import auction_views, views

urlpatterns = [
    path("stocks/<str:symbol>/", views.stock_detail, name="stock"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("orders/", views.order_history, name="orders"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("auctions/", auction_views.auctions_list, name="auctions"),
    path("auctions/mine/", auction_views.my_auctions, name="my-auctions"),
    path("auctions/<int:auction_id>/", auction_views.auction_detail, name="auction"),
]
