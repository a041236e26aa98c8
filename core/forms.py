"""The HTML edge of domain errors: a refusal shown on the form fields it concerns."""

from __future__ import annotations

from django import forms

from core.errors import DomainError


def form_add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Put a refused action's message on each named field the form has, or above the form."""
    placed = False
    for name in exc.fields:
        if name in form.fields:
            form.add_error(name, exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
