from django.urls import path

from marketdata import views

urlpatterns = [
    path("", views.market, name="home"),
]
