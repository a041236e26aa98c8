"""Writes on accounts: opening an account, moving cash, API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Account, ApiKey, CashEntry, User
from core import streams, words
from core.db import Prepared, rows_update
from core.errors import DomainError

CENT = Decimal("0.01")
_KEY_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def user_sign_up(*, username: str, password: str, email: str = "") -> User:
    """Create a user; their account opens with the starting cash in the same transaction
    (`accounts.signals`: whatever creates a user, the admin and `createsuperuser` too)."""
    with transaction.atomic():
        return User.objects.create_user(username=username, password=password, email=email)


def _new_account_number() -> str:
    return "BK" + "".join(secrets.choice("0123456789") for _ in range(10))


def account_open(*, user: User, opening_cash: Decimal | None = None) -> Account:
    """Open the user's account; the opening deposit is its first ledger entry.

    Called for every new user but the house by the `post_save` receiver in `accounts.signals`.
    """
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
    entry = cash_move(
        account=account,
        amount=amount,
        kind=kind,
        memo=memo,
        reference=reference,
        created_by=created_by,
    )
    account.save(update_fields=["cash", "updated_at"])
    entry.save(force_insert=True)
    return entry


def cash_move(
    *,
    account: Account,
    amount: Decimal,
    kind: str,
    memo: str = "",
    reference: str = "",
    created_by: User | None = None,
) -> CashEntry:
    """`cash_post` in memory: the locked account's cash moves, its entry is returned unsaved.

    The caller writes both, after every move of the transaction is applied: the accounts
    with `accounts_save`, the entries in one insert (trading's settlement `Ledger.write`
    inserts them with the trades).
    """
    account.cash += amount
    if account.cash < 0:
        raise DomainError("insufficient_cash", "This would make the cash balance negative.")
    if account.reserved_cash > account.cash:
        raise DomainError(
            "cash_reserved",
            "This would take cash that open orders or bids have reserved.",
        )
    return CashEntry(
        account=account,
        amount=amount,
        balance_after=account.cash,
        kind=kind,
        memo=memo,
        reference=reference,
        created_by=created_by,
    )


# --------------------------------------------------------------------------- reservations
# Cash that open orders and bids may spend is *reserved*: it stays in `cash` but is no longer
# available. The database refuses reserved > cash on every row it writes, so a transaction
# writes reservations it lowers before cash moves that spend what they released.


def accounts_lock(user_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the users' accounts (select_for_update), ascending id, in one query.

    Every transaction that locks several accounts takes them here, once: the one lock order
    means two transactions can never wait on each other's accounts.
    """
    ids = sorted(set(user_ids))
    prepared = _ACCOUNTS_LOCK.get(len(ids))
    locked = prepared.all(*ids) if prepared else _accounts_locking(*ids)
    return {a.user_id: a for a in locked}


def _accounts_locking(*user_ids: int) -> QuerySet[Account]:
    return Account.objects.select_for_update().filter(user_id__in=user_ids).order_by("id")


# One to three accounts (an order and its makers, a bid and the leader it beats, fees):
# compiled once for each count (core.db.Prepared); more go through the ORM.
_ACCOUNTS_LOCK = {n: Prepared(_accounts_locking, *[int] * n) for n in (1, 2, 3)}


def no_account() -> DomainError:
    return DomainError("no_account", "You have no trading account.")


def insufficient_cash(needed: Decimal, available: Decimal) -> DomainError:
    return DomainError(
        "insufficient_buying_power",
        f"Not enough buying power: this needs {words.dollars(needed)} and you have "
        f"{words.dollars(available)}.",
    )


def cash_reserve(*, account: Account, amount: Decimal) -> None:
    """Reserve `amount` of a locked account's available cash, in memory (see reservations_save).

    Refuses with `insufficient_buying_power` when the account has less available.
    """
    if account.available_cash < amount:
        raise insufficient_cash(amount, account.available_cash)
    account.reserved_cash += amount


def cash_release(*, account: Account, amount: Decimal) -> None:
    """Release `amount` of a locked account's reservation, in memory (see reservations_save)."""
    account.reserved_cash -= amount


def reservations_save(accounts: Mapping[int, Account], before: Mapping[int, Decimal]) -> None:
    """Write the reservations that changed since `before` ({user id: reserved_cash})."""
    _accounts_write([a for uid, a in accounts.items() if a.reserved_cash != before[uid]])


def balances(accounts: Mapping[int, Account]) -> dict[int, tuple[Decimal, Decimal]]:
    """{user id: (cash, reserved cash)}: what `accounts_save` compares with."""
    return {uid: (a.cash, a.reserved_cash) for uid, a in accounts.items()}


def accounts_save(
    accounts: Mapping[int, Account], before: Mapping[int, tuple[Decimal, Decimal]]
) -> None:
    """Write the locked accounts whose cash or reservation changed since `before` (from
    `balances`), each row once with its final figures, in one statement.

    One write per row: the database checks reserved <= cash on the row as written, the end
    state of the transaction, whatever order the moves were applied in.
    """
    _accounts_write([a for uid, a in accounts.items() if (a.cash, a.reserved_cash) != before[uid]])


def _accounts_write(changed: list[Account]) -> None:
    rows_update(changed, ["cash", "reserved_cash", "updated_at"])


def cash_reserve_now(*, user_id: int, amount: Decimal) -> None:
    """Reserve cash of an account the transaction has not locked, in one conditional UPDATE.

    The row lock the UPDATE takes must be the transaction's only account lock (one row has no
    lock order to break).
    """
    reserved = Account.objects.filter(
        user_id=user_id, cash__gte=F("reserved_cash") + amount
    ).update(reserved_cash=F("reserved_cash") + amount, updated_at=timezone.now())
    if not reserved:
        account = Account.objects.filter(user_id=user_id).first()
        if account is None:
            raise no_account()
        raise insufficient_cash(amount, account.available_cash)


def cash_release_now(*, user_id: int, amount: Decimal) -> None:
    """Release part of an unlocked account's reservation in one relative UPDATE (one row)."""
    Account.objects.filter(user_id=user_id).update(
        reserved_cash=F("reserved_cash") - amount, updated_at=timezone.now()
    )


def house_account_id() -> int:
    """The house's user id (fees, house auctions): the one `is_house` user, created if missing."""
    house = User.objects.filter(is_house=True).values_list("id", flat=True).first()
    if house is not None:
        return house
    # Never "the user called house": anybody may have signed up under that name.
    for username in ("house", f"house-{uuid.uuid4().hex[:8]}"):
        try:
            # A savepoint: two first fee-paying trades on two symbols may both get here; the
            # loser's insert fails on the one-house-user constraint and it uses the winner.
            with transaction.atomic():
                house_user = User.objects.create(username=username, is_house=True, is_active=False)
                Account.objects.create(user=house_user, account_number="BK0000000000")
                return house_user.id
        except IntegrityError:
            house = User.objects.filter(is_house=True).values_list("id", flat=True).first()
            if house is not None:
                return house
    raise RuntimeError("could not create the house account")


def account_adjust_cash(
    *, account_id: uuid.UUID, amount: Decimal, memo: str, by: User | None = None
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
        raise DomainError("not_found", "No such API key.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        stream_access_end(user_id=user.pk, key_id=key.key_id)
    return key


def stream_access_end(
    *,
    user_id: int,
    key_id: str | None = None,
    session_key: str | None = None,
    every_session: bool = False,
) -> None:
    """On commit, close the private streams that one key, one session, every session or (none
    said) every right of the user opened: open sockets learn it within a second
    (`core.streams.access_revoked`)."""
    transaction.on_commit(
        lambda: streams.access_revoked(
            user_id=user_id, key_id=key_id, session_key=session_key, every_session=every_session
        )
    )


# Every API request's first statement: compiled once (core.db.Prepared).
_KEY_WITH_USER = Prepared(
    lambda key_id: ApiKey.objects.select_related("user").filter(key_id=key_id)[:1], str
)


def api_key_authenticate(*, key_id: str, secret: str) -> ApiKey | None:
    """Return the active key matching the id and secret, or None."""
    # Key ids are short and printable; anything else (a NUL, which PostgreSQL refuses in text,
    # or a megabyte of junk) matches no key and must not reach the database.
    if not (0 < len(key_id) <= 64 and key_id.isascii() and key_id.isprintable()):
        return None
    key = _KEY_WITH_USER.first(key_id)
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
