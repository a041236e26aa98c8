from django.urls import path

from marketdata import views

urlpatterns = [
    path("", views.market, name="home"),
    path("search/suggest.json", views.stock_suggest, name="stock-suggest"),
]
