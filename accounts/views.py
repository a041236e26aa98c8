"""Sign-up, log-in and API key pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ApiKeyCreateForm, SignUpForm
from accounts.services import api_key_create, api_key_revoke, user_sign_up
from core.errors import DomainError
from core.forms import form_add_domain_error


def sign_up(request):
    """Create a user and their paper-money account, then sign them in."""
    if request.user.is_authenticated:
        return redirect("portfolio")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_sign_up(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email") or "",
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your paper-money account is open.")
        return redirect("portfolio")
    return render(
        request,
        "accounts/sign_up.html",
        {"form": form, "starting_cash": settings.STARTING_CASH},
    )


def locked_out(request, response=None, credentials=None):
    """django-axes' answer once a username has had too many wrong passwords from this address:
    the log-in page again, with the reason as the form's error (429)."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    # Unbound: validating the form again would ask the (locked) authentication backends again.
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    form._errors = ErrorDict(
        {
            NON_FIELD_ERRORS: form.error_class(
                [
                    f"Too many failed log-in attempts for this account. Try again in {minutes} minutes."
                ]
            )
        }
    )
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.POST.get("next", "")},
        status=429,
    )


@login_required
def api_keys(request):
    """List the user's keys and create a new one; the secret is shown once, on this response."""
    form = ApiKeyCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = api_key_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            created = {"key_id": key.key_id, "secret": secret, "name": key.name}
            form = ApiKeyCreateForm()
    keys = request.user.api_keys.all()
    return render(
        request, "accounts/api_keys.html", {"form": form, "keys": keys, "created": created}
    )


@login_required
@require_POST
def api_key_revoke_view(request, key_id: str):
    """Revoke a key; programs using it are refused from now on."""
    try:
        api_key_revoke(user=request.user, key_id=key_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Key {key_id} revoked.")
    return redirect("api-keys")
