"""Staff tools: users, accounts with cash adjustments, the cash ledger, API keys."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.models import Account, ApiKey, CashEntry, User
from accounts.services import account_adjust_cash
from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.forms import form_add_domain_error


@admin.register(User)
class BrokerageUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "is_house", "date_joined")
    list_filter = ("is_staff", "is_active", "is_house")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Brokerage", {"fields": ("is_house",)}))


class CashAdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=16, decimal_places=2, help_text="Positive credits, negative debits."
    )
    memo = forms.CharField(max_length=200, help_text="Why (kept in the ledger).")


class CashEntryInline(admin.TabularInline):
    model = CashEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "amount", "balance_after", "memo", "reference", "created_by")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0
    show_change_link = False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("account_number", "user", "cash", "reserved_cash", "created_at")
    search_fields = ("account_number", "user__username", "user__email")
    readonly_fields = (
        "account_number",
        "user",
        "cash",
        "reserved_cash",
        "created_at",
        "updated_at",
    )
    inlines = [CashEntryInline]
    change_form_template = "admin/accounts/account/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False  # accounts open at sign-up, with their ledger entry

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # money never disappears with a row

    def get_urls(self):
        return [
            path(
                "<uuid:account_id>/adjust-cash/",
                self.admin_site.admin_view(self.adjust_cash_view),
                name="accounts_account_adjust_cash",
            ),
            *super().get_urls(),
        ]

    def adjust_cash_view(self, request, account_id):
        account = Account.objects.select_related("user").get(pk=account_id)
        if not request.user.has_perm("accounts.change_account"):
            messages.error(request, "You may not adjust cash.")
            return redirect(reverse("admin:accounts_account_change", args=[account_id]))
        form = CashAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                account_adjust_cash(
                    account_id=account.pk,
                    amount=Decimal(form.cleaned_data["amount"]),
                    memo=form.cleaned_data["memo"],
                    by=request.user,
                )
            except InvalidOperation:
                form.add_error("amount", "Not a number.")
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, "Cash adjusted.")
                return redirect(reverse("admin:accounts_account_change", args=[account_id]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust cash of {account}",
            "account": account,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/account/adjust_cash.html", context)


@admin.register(CashEntry)
class CashEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "kind", "amount", "balance_after", "memo", "reference")
    list_filter = ("kind",)
    search_fields = ("account__account_number", "account__user__username", "reference")
    list_select_related = ("account__user",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("key_id", "name", "user", "created_at", "last_used_at", "revoked_at")
    search_fields = ("key_id", "name", "user__username")
    exclude = ("secret_hash",)
    readonly_fields = ("key_id", "user", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False  # a secret is shown once to its owner, so keys are made on the key page
