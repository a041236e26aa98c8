from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/api-keys/", views.api_keys, name="api-keys"),
    path(
        "settings/api-keys/<str:key_id>/revoke/", views.api_key_revoke_view, name="api-key-revoke"
    ),
]
