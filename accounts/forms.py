"""Browser forms for signing up and managing API keys."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


class SignUpForm(UserCreationForm):
    """Username, optional e-mail and a password checked by the configured validators."""

    email = forms.EmailField(required=False, help_text="Optional.")

    class Meta:
        model = User
        fields = ("username", "email")


class ApiKeyCreateForm(forms.Form):
    """Name a new API key so it can be told apart later."""

    name = forms.CharField(max_length=100, help_text="For example: momentum-bot")
