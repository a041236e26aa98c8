"""The stock universe and its reference prices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from core.fields import price_field

# Alpaca's form: class shares with a dot (BRK.B), never a slash, which no URL path segment,
# channel-layer group or Alpaca client accepts.
SYMBOL_VALIDATOR = RegexValidator(
    r"^[A-Z0-9][A-Z0-9.\-]{0,11}$", "Capital letters, digits, '.' and '-' (class shares: BRK.B)."
)


def default_band_pct() -> Decimal:
    """The band a new stock starts with: `PRICE_BAND_PCT` (staff change each stock's after)."""
    return settings.PRICE_BAND_PCT


def symbol_dot_form(symbol: str) -> str:
    """A symbol as stored: upper case, a class share written with a dot (CRD/B -> CRD.B)."""
    return symbol.strip().upper().replace("/", ".")


def price_change(price: Decimal | None, previous_close: Decimal | None) -> Decimal | None:
    """Change since the previous close (None without both)."""
    if price is None or not previous_close:
        return None
    return price - previous_close


def price_change_pct(price: Decimal | None, previous_close: Decimal | None) -> Decimal | None:
    """Change since the previous close, in percent to two decimals (None without both)."""
    change = price_change(price, previous_close)
    if change is None or previous_close is None:  # `change` is None without one
        return None
    return (change / previous_close * 100).quantize(Decimal("0.01"))


class Stock(models.Model):
    """A listed stock: what may be traded, in which increments, around which reference price."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        HALTED = "halted", "Halted"

    class Exchange(models.TextChoices):
        """Primary listing venues, in Alpaca's names (its SDKs refuse any other)."""

        NASDAQ = "NASDAQ", "NASDAQ"
        NYSE = "NYSE", "NYSE"
        ARCA = "ARCA", "NYSE Arca"
        AMEX = "AMEX", "NYSE American"
        BATS = "BATS", "Cboe BZX"
        OTC = "OTC", "OTC (no listing)"

    symbol = models.CharField(max_length=12, unique=True, validators=[SYMBOL_VALIDATOR])
    name = models.CharField(max_length=200)
    isin = models.CharField(max_length=12, blank=True)
    # Where the stock is listed in the wider market (bots pick stocks by it); trades here all
    # happen on this exchange's own book whatever it says.
    exchange = models.CharField(
        max_length=8,
        choices=Exchange.choices,
        default=Exchange.OTC,
        help_text="The primary listing exchange, as Alpaca names it.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    tick_size = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0.01"))
    lot_size = models.PositiveIntegerField(default=1, help_text="Orders are whole multiples of it.")
    band_pct = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=default_band_pct,
        help_text="Orders must be priced within this fraction of the reference price.",
    )
    reference_price = price_field(null=True, blank=True)
    previous_close = price_field(null=True, blank=True)
    price_source = models.CharField(max_length=32, blank=True)
    price_updated_at = models.DateTimeField(null=True, blank=True)
    price_stale = models.BooleanField(default=False)
    # The session's range of reference prices, kept by the price pull so that the market
    # overview needs no scan of the day's history; `day` is the market-local date it covers.
    day = models.DateField(null=True, blank=True)
    day_high = price_field(null=True, blank=True)
    day_low = price_field(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(condition=Q(tick_size__gt=0), name="tick_size_positive"),
            models.CheckConstraint(condition=Q(lot_size__gt=0), name="lot_size_positive"),
            models.CheckConstraint(
                condition=Q(band_pct__gt=0) & Q(band_pct__lte=1), name="band_pct_in_range"
            ),
            models.CheckConstraint(
                condition=Q(reference_price__isnull=True) | Q(reference_price__gt=0),
                name="reference_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol

    @property
    def is_halted(self) -> bool:
        return self.status == self.Status.HALTED

    @property
    def change(self) -> Decimal | None:
        """Change since the previous close."""
        return price_change(self.reference_price, self.previous_close)

    @property
    def change_pct(self) -> Decimal | None:
        """Change since the previous close, in percent."""
        return price_change_pct(self.reference_price, self.previous_close)


class PriceBar(models.Model):
    """One minute of a stock's reference prices: the history behind candles with no trades.

    The pull folds every price it stores into its minute's bar (open on the first, high and
    low as they come, close on the last), so history costs one row per symbol a minute
    however often prices are pulled.
    """

    # No index of its own: the (stock, start) constraint below serves every read by stock.
    stock = models.ForeignKey(
        Stock, on_delete=models.CASCADE, related_name="price_bars", db_index=False
    )
    start = models.DateTimeField()
    open = price_field()
    high = price_field()
    low = price_field()
    close = price_field()
    source = models.CharField(max_length=32)

    class Meta:
        constraints = [
            # Also the index that candles read by: one stock, a time range.
            models.UniqueConstraint(fields=["stock", "start"], name="one_bar_per_stock_minute"),
            models.CheckConstraint(
                condition=Q(low__gt=0) & Q(low__lte=F("high")), name="bar_prices_positive"
            ),
        ]
        # Retention deletes by time alone, across stocks.
        indexes = [models.Index(fields=["start"], name="price_bars_by_start_idx")]

    def __str__(self) -> str:
        return f"{self.stock_id} {self.close} @ {self.start:%Y-%m-%d %H:%M}"
