from django.urls import path

from trading import views

urlpatterns = [
    path("stocks/<str:symbol>/", views.stock_detail, name="stock"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("orders/", views.order_history, name="orders"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel_view, name="order-cancel"),
]
