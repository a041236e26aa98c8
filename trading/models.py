"""Orders, trades, positions, the share ledger and the per-symbol book state."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.fields import price_field
from trading.auctions import rules

OPEN_STATUSES = ("new", "partially_filled")


class Side(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class BookState(models.Model):
    """Per-symbol counters; its row lock serializes matching on one symbol across processes."""

    stock = models.OneToOneField("marketdata.Stock", on_delete=models.CASCADE, primary_key=True)
    book_seq = models.BigIntegerField(default=0, help_text="Bumped once per changed price level.")
    trade_seq = models.BigIntegerField(default=0)
    order_seq = models.BigIntegerField(default=0, help_text="Time priority of resting orders.")
    last_price = price_field(null=True, blank=True)
    last_trade_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"book of {self.stock_id}"


class BookLevel(models.Model):
    """Total resting quantity at one price on one side: the aggregated order book."""

    stock = models.ForeignKey("marketdata.Stock", on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    price = price_field()
    qty = models.BigIntegerField()
    orders = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stock", "side", "price"], name="one_level_per_price"),
            models.CheckConstraint(
                condition=Q(qty__gt=0) & Q(orders__gt=0), name="level_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.qty} @ {self.price}"


# Why an order left the book (`Order.reason`), as the pages say it.
ORDER_REASON_WORDS = {
    "user_requested": "by you",
    "staff_requested": "by staff",
    "day_order_expired": "the day ended",
    "ioc_remainder": "immediate or cancel: the rest could not fill at once",
    "market_remainder": "the rest found no price inside today's band",
    "self_trade_prevention": "it would have traded with your own order",
    "replaced": "replaced by a new order",
}
# Why a bid was refused or ended (`Bid.reason`), as the pages say it.
BID_REASON_WORDS = {
    "bid_too_low": "under the minimum bid",
    "bid_not_higher": "not above your own maximum",
    "auction_ended": "after the end",
    "auction_not_open": "the auction was not taking bids",
    "own_auction": "your own auction",
    "insufficient_buying_power": "not enough buying power",
    "invalid_price": "not a valid price",
    "outbid": "another bidder's maximum was higher",
    "raised": "you raised your maximum",
    "no_account": "no trading account",
}


class Order(models.Model):
    """An instruction to buy or sell; it rests on the book until filled, cancelled or expired."""

    class Type(models.TextChoices):
        MARKET = "market", "Market"
        LIMIT = "limit", "Limit"

    class TimeInForce(models.TextChoices):
        DAY = "day", "Day"
        GTC = "gtc", "Good till canceled"
        IOC = "ioc", "Immediate or cancel"
        FOK = "fok", "Fill or kill"

    class Status(models.TextChoices):
        NEW = "new", "New"
        PARTIALLY_FILLED = "partially_filled", "Partially filled"
        FILLED = "filled", "Filled"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Expired"
        REPLACED = "replaced", "Replaced"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_order_id = models.CharField(max_length=128)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    stock = models.ForeignKey("marketdata.Stock", on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=8, choices=Type.choices)
    time_in_force = models.CharField(max_length=4, choices=TimeInForce.choices)
    limit_price = price_field(null=True, blank=True)
    qty = models.BigIntegerField()
    filled_qty = models.BigIntegerField(default=0)
    filled_notional = price_field(default=0)
    filled_avg_price = price_field(null=True, blank=True)
    fees = price_field(default=0)
    reserved_cash = price_field(
        default=0, help_text="Cash held for the unfilled part of a resting buy."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    reason = models.CharField(
        max_length=64, blank=True, help_text="Why it was canceled or rejected."
    )
    seq = models.BigIntegerField(default=0, help_text="Time priority within its price level.")
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_order_id"], name="client_order_id_per_user"
            ),
            models.CheckConstraint(condition=Q(qty__gt=0), name="order_qty_positive"),
            models.CheckConstraint(
                condition=Q(filled_qty__gte=0) & Q(filled_qty__lte=F("qty")),
                name="filled_within_qty",
            ),
            models.CheckConstraint(
                condition=Q(reserved_cash__gte=0), name="order_reserved_not_negative"
            ),
        ]
        indexes = [
            # The matching query: open orders of one side of one symbol, best price, oldest first.
            models.Index(
                fields=["stock", "side", "limit_price", "seq"],
                condition=Q(status__in=OPEN_STATUSES),
                name="open_book_idx",
            ),
            models.Index(fields=["user", "-created_at"], name="orders_by_user_idx"),
            models.Index(
                fields=["time_in_force"],
                condition=Q(status__in=OPEN_STATUSES),
                name="open_by_tif_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.qty} {self.stock_id} ({self.status})"

    @property
    def remaining_qty(self) -> int:
        return self.qty - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reason_words(self) -> str:
        """Why it left the book, in a trader's words (its `reason` is a code for programs)."""
        return ORDER_REASON_WORDS.get(self.reason, self.reason.replace("_", " "))


class Trade(models.Model):
    """One execution: a resting (maker) order against an incoming (taker) order, or an auction's
    close (an auction print, with no orders)."""

    stock = models.ForeignKey("marketdata.Stock", on_delete=models.PROTECT, related_name="trades")
    seq = models.BigIntegerField(help_text="Per-symbol trade sequence.")
    price = price_field()
    qty = models.BigIntegerField()
    buy_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="buy_trades"
    )
    sell_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="sell_trades"
    )
    auction = models.OneToOneField(
        "Auction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="print",
        help_text="Set on an auction print: the lot sold at an auction's close.",
    )
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    maker_side = models.CharField(max_length=4, choices=Side.choices)
    buyer_fee = price_field(default=0)
    seller_fee = price_field(default=0)
    executed_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stock", "seq"], name="trade_seq_per_stock"),
            models.CheckConstraint(condition=Q(qty__gt=0) & Q(price__gt=0), name="trade_positive"),
            models.CheckConstraint(
                condition=(
                    Q(auction__isnull=True, buy_order__isnull=False, sell_order__isnull=False)
                    | Q(auction__isnull=False, buy_order__isnull=True, sell_order__isnull=True)
                ),
                name="trade_of_orders_or_auction",
            ),
        ]
        indexes = [
            models.Index(fields=["stock", "-seq"], name="trades_by_stock_idx"),
            models.Index(fields=["stock", "executed_at"], name="trades_by_time_idx"),
            models.Index(fields=["buyer", "-executed_at"], name="trades_by_buyer_idx"),
            models.Index(fields=["seller", "-executed_at"], name="trades_by_seller_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.qty} {self.stock_id} @ {self.price}"

    @property
    def notional(self):
        return self.price * self.qty


class Position(models.Model):
    """Shares of one stock held by one user; `reserved_qty` is held by open sell orders."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions"
    )
    stock = models.ForeignKey(
        "marketdata.Stock", on_delete=models.PROTECT, related_name="positions"
    )
    qty = models.BigIntegerField(default=0)
    reserved_qty = models.BigIntegerField(default=0)
    avg_cost = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    realized_pl = price_field(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "stock"], name="one_position_per_stock"),
            models.CheckConstraint(condition=Q(qty__gte=0), name="no_short_positions"),
            models.CheckConstraint(
                condition=Q(reserved_qty__gte=0) & Q(reserved_qty__lte=F("qty")),
                name="reserved_within_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.qty} {self.stock_id}"

    @property
    def available_qty(self) -> int:
        return self.qty - self.reserved_qty


class ShareEntry(models.Model):
    """One movement of shares; a position's quantity is the sum of its entries."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Staff grant"
        TRADE = "trade", "Trade settlement"
        AUCTION = "auction", "Auction settlement"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stock = models.ForeignKey("marketdata.Stock", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    qty = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    reference = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "share entries"
        indexes = [models.Index(fields=["user", "stock", "created_at"], name="shares_by_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.qty} {self.stock_id} for {self.user_id}"


class Auction(models.Model):
    """A lot of shares offered for a fixed time to the highest bidder (proxy bidding)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        NO_SALE = "no_sale", "No sale"
        CANCELED = "canceled", "Canceled"

    class Increment(models.TextChoices):
        LADDER = "ladder", "Price ladder"
        FIXED = "fixed", "Fixed"

    stock = models.ForeignKey("marketdata.Stock", on_delete=models.PROTECT, related_name="auctions")
    qty = models.BigIntegerField(help_text="Shares in the lot; bids are per share for all of them.")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auctions_selling"
    )
    reserve_price = price_field(help_text="Hidden: the lowest price per share the lot sells at.")
    start_price = price_field(help_text="The lowest first bid per share.")
    increment_rule = models.CharField(
        max_length=8, choices=Increment.choices, default=Increment.LADDER
    )
    fixed_increment = price_field(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    original_ends_at = models.DateTimeField()
    soft_close_seconds = models.PositiveIntegerField(default=30)
    max_extension_seconds = models.PositiveIntegerField(default=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # The standing of the bidding, kept on the row (changed only under its lock).
    current_price = price_field(null=True, blank=True)
    leading_bid = models.ForeignKey(
        "Bid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    runner_up_max = price_field(null=True, blank=True)
    bid_count = models.IntegerField(default=0)
    bidder_numbers = models.JSONField(
        default=dict,
        blank=True,
        help_text='{bidder id: N}: "bidder N" on the public stream, by first accepted bid.',
    )
    seq = models.BigIntegerField(default=0, help_text="Bumped once per event on its stream.")
    winning_bid = models.ForeignKey(
        "Bid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_lateness_ms = models.IntegerField(
        null=True, blank=True, help_text="How long after its end the close ran."
    )
    # A close that failed is set aside with its reason for staff, retried by the sweep every
    # AUCTION_CLOSE_RETRY_SECONDS, and never holds up another auction's close.
    close_error = models.CharField(max_length=500, blank=True, default="")
    close_failures = models.PositiveIntegerField(default=0)
    close_failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="auction_qty_positive"),
            models.CheckConstraint(
                condition=Q(reserve_price__gt=0) & Q(start_price__gt=0),
                name="auction_prices_positive",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="auction_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["ends_at"],
                condition=Q(status__in=["scheduled", "open"]),
                name="auctions_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"auction {self.pk}: {self.qty} {self.stock_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.OPEN)

    @property
    def reserve_met(self) -> bool:
        return self.current_price is not None and self.current_price >= self.reserve_price

    @property
    def terms(self) -> rules.Terms:
        """What the auction's prices follow, for the pure rules (`trading.auctions.rules`)."""
        fixed = self.fixed_increment if self.increment_rule == self.Increment.FIXED else None
        return rules.Terms(
            tick=self.stock.tick_size,
            start_price=self.start_price,
            reserve_price=self.reserve_price,
            fixed_increment=fixed,
        )

    @property
    def soft_close(self) -> rules.SoftClose:
        return rules.SoftClose(
            window=timedelta(seconds=self.soft_close_seconds),
            max_extension=timedelta(seconds=self.max_extension_seconds),
        )


class Bid(models.Model):
    """A bidder's maximum price per share on an auction; every bid is kept, refused ones too."""

    class Status(models.TextChoices):
        LEADING = "leading", "Leading"
        OUTBID = "outbid", "Outbid"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        REFUSED = "refused", "Refused"
        CANCELED = "canceled", "Canceled"

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bids"
    )
    max_price = price_field(null=True, blank=True)
    price = price_field(null=True, blank=True, help_text="The price the bid stood at when placed.")
    reserved_cash = price_field(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=64, blank=True, help_text="Why it was refused or ended.")
    seq = models.BigIntegerField(default=0, help_text="The auction event that announced it.")
    placed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_cash__gte=0), name="bid_reserved_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["auction", "-placed_at"], name="bids_by_auction_idx"),
            models.Index(fields=["bidder", "-placed_at"], name="bids_by_bidder_idx"),
        ]

    def __str__(self) -> str:
        return f"bid {self.pk} of {self.bidder_id} on {self.auction_id}: {self.max_price}"

    @property
    def reason_words(self) -> str:
        """Why it was refused or ended, in a bidder's words."""
        return BID_REASON_WORDS.get(self.reason, self.reason.replace("_", " "))


class Watchlist(models.Model):
    """A named list of stocks a user follows (Alpaca's watchlists)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlists"
    )
    name = models.CharField(max_length=64)
    stocks = models.ManyToManyField("marketdata.Stock", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="one_watchlist_name_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.user_id}"


class TradingConfiguration(models.Model):
    """A user's trading settings (Alpaca's account configurations); no row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trading_configuration"
    )
    suspend_trade = models.BooleanField(
        default=False, help_text="The user has suspended their own trading through /api/v2."
    )
    trade_confirm_email = models.CharField(max_length=8, default="all")
    dtbp_check = models.CharField(max_length=8, default="entry")
    pdt_check = models.CharField(max_length=8, default="entry")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"trading configuration of {self.user_id}"


# The alerts wing's models live beside its code; imported here so the app registers them.
from trading.alerts.models import Notification, PriceAlert  # noqa: E402

__all__ = ["Notification", "PriceAlert"]
