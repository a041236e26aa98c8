from django.urls import path

from marketdata import apis

urlpatterns = [
    path("stocks", apis.StockListApi.as_view(), name="api-stocks"),
    path("stocks/<str:symbol>", apis.StockDetailApi.as_view(), name="api-stock"),
    path("stocks/<str:symbol>/candles", apis.CandlesApi.as_view(), name="api-stock-candles"),
]
