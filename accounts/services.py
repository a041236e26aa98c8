"""Writes on accounts: opening an account, moving cash, API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ApiKey, CashEntry, User
from core.errors import DomainError

CENT = Decimal("0.01")
_KEY_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def user_sign_up(*, username: str, password: str, email: str = "") -> User:
    """Create a user and open their account with the starting cash, in one transaction."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email)
        account_open(user=user)
    return user


def _new_account_number() -> str:
    return "BK" + "".join(secrets.choice("0123456789") for _ in range(10))


def account_open(*, user: User, opening_cash: Decimal | None = None) -> Account:
    """Open the user's account; the opening deposit is its first ledger entry."""
    amount = settings.STARTING_CASH if opening_cash is None else opening_cash
    with transaction.atomic():
        account = Account.objects.create(user=user, account_number=_new_account_number())
        if amount:
            cash_post(
                account=account, amount=amount, kind=CashEntry.Kind.OPENING, memo="Opening deposit"
            )
    return account


def cash_post(
    *,
    account: Account,
    amount: Decimal,
    kind: str,
    memo: str = "",
    reference: str = "",
    created_by: User | None = None,
) -> CashEntry:
    """Move cash in or out of an account the caller has locked (select_for_update), with its
    ledger entry."""
    account.cash += amount
    if account.cash < 0:
        raise DomainError("insufficient_cash", "This would make the cash balance negative.")
    if account.reserved_cash > account.cash:
        raise DomainError(
            "cash_reserved",
            "This would take cash that open orders or bids have reserved.",
        )
    account.save(update_fields=["cash", "updated_at"])
    return CashEntry.objects.create(
        account=account,
        amount=amount,
        balance_after=account.cash,
        kind=kind,
        memo=memo,
        reference=reference,
        created_by=created_by,
    )


def account_adjust_cash(
    *, account_id, amount: Decimal, memo: str, by: User | None = None
) -> CashEntry:
    """Staff adjustment: credit (positive) or debit (negative) an account's cash."""
    if not amount.is_finite() or amount == 0:
        raise DomainError("invalid_amount", "The amount must be a non-zero number.")
    if amount != amount.quantize(CENT):
        raise DomainError("invalid_amount", "The amount must be in whole cents.")
    if not memo.strip():
        raise DomainError("memo_required", "Say why the cash is adjusted.")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        return cash_post(
            account=account,
            amount=amount,
            kind=CashEntry.Kind.ADJUSTMENT,
            memo=memo.strip(),
            created_by=by,
        )


def _hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is safe here; a slow password hash would
    # add hundreds of milliseconds to every API request.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, user: User, name: str) -> tuple[ApiKey, str]:
    """Create an API key; returns the key and its secret, which is never shown again."""
    name = name.strip()
    if not name:
        raise DomainError("name_required", "Give the key a name.", fields={"name": ["Required."]})
    if user.api_keys.filter(revoked_at__isnull=True).count() >= 20:
        raise DomainError("too_many_keys", "Revoke a key before creating more than 20.")
    key_id = "BK" + "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(18))
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user, name=name[:100], key_id=key_id, secret_hash=_hash_secret(secret)
    )
    return key, secret


def api_key_revoke(*, user: User, key_id: str) -> ApiKey:
    """Revoke one of the user's keys; a revoked key authenticates nothing."""
    key = ApiKey.objects.filter(user=user, key_id=key_id).first()
    if key is None:
        raise DomainError("not_found", "No such API key.", status=404)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, key_id: str, secret: str) -> ApiKey | None:
    """Return the active key matching the id and secret, or None."""
    key = ApiKey.objects.select_related("user").filter(key_id=key_id).first()
    if key is None or key.revoked_at is not None or not key.user.is_active:
        return None
    if not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    now = timezone.now()
    # Write last-used at most once a minute: a bot placing many orders must not turn every
    # request into an extra UPDATE.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
