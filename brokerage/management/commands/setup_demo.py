"""Create the stock universe, the house account, demo users with shares, and a market maker's
resting orders on the featured stocks, so a newcomer finds live books. Safe to run again."""

from decimal import Decimal

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, User
from accounts.services import account_adjust_cash, account_open
from marketdata.models import Stock
from marketdata.selectors import FEATURED
from marketdata.services import history_backfill
from trading.demo import MAKER, MAKER_SHARES, demo_bidders, maker_quote
from trading.models import OPEN_STATUSES, Order, Position
from trading.services import position_grant

DEMO_PASSWORD = "demo-pass-123"
MAKER_CASH = Decimal("10000000.00")
DEMO_SHARES = 100
BACKFILL_ELSEWHERE_MINUTES = 120
DEMO_USERS = [
    # username, staff
    ("alice", False),
    ("bob", False),
    ("carol", False),
    ("staff", True),
]


class Command(BaseCommand):
    help = "Load the stock universe and create demo log-ins (alice, bob, carol, staff)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Load every symbol, not the demo set."
        )
        parser.add_argument("--no-users", action="store_true", help="Only load the universe.")

    def handle(self, *args, **options):
        call_command(
            "load_universe", **({"all": True} if options["all"] else {}), stdout=self.stdout
        )
        with transaction.atomic():
            house, _ = User.objects.get_or_create(
                username="house", defaults={"is_house": True, "is_active": False}
            )
            if not Account.objects.filter(user=house).exists():
                account_open(user=house, opening_cash=0)
            if options["no_users"]:
                return
            for username, staff in [*DEMO_USERS, (MAKER, False)]:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(
                        username=username,
                        password=DEMO_PASSWORD,
                        is_staff=staff,
                        is_superuser=staff,
                    )
                    # The account opened with the starting cash; the market maker needs more.
                    if username == MAKER:
                        account = Account.objects.get(user=user)
                        account_adjust_cash(
                            account_id=account.pk,
                            amount=MAKER_CASH - account.cash,
                            memo="Market maker's float",
                        )
                if not Account.objects.filter(user=user).exists():
                    account_open(user=user)
            demo_bidders()  # the auction demo's own bidders: accounts nobody logs in to
        self._stock_up()
        # One-minute history, so a new site's charts and sparklines are full from the start: a
        # day for the featured stocks, two hours (the sparklines' span) for the rest.
        priced = Stock.objects.filter(reference_price__isnull=False)
        written = history_backfill(stocks=list(priced.filter(symbol__in=FEATURED)))
        written += history_backfill(
            stocks=list(priced.exclude(symbol__in=FEATURED)), minutes=BACKFILL_ELSEWHERE_MINUTES
        )
        if written:
            self.stdout.write(f"back-filled {written:,} one-minute bars of history")
        self.stdout.write(
            f"demo log-ins: alice, bob, carol (traders) and staff (admin), password {DEMO_PASSWORD}"
        )

    def _stock_up(self) -> None:
        """Give each trader shares of the featured stocks and let the maker quote them."""
        stocks = list(Stock.objects.filter(symbol__in=FEATURED, reference_price__isnull=False))
        users = {
            u.username: u
            for u in User.objects.filter(username__in=[*(n for n, s in DEMO_USERS if not s), MAKER])
        }
        for stock in stocks:
            for username, user in users.items():
                if not Position.objects.filter(user=user, stock=stock, qty__gt=0).exists():
                    position_grant(
                        user=user,
                        symbol=stock.symbol,
                        qty=MAKER_SHARES if username == MAKER else DEMO_SHARES,
                        memo="Demo shares",
                    )
            maker = users.get(MAKER)
            if (
                maker is None
                or Order.objects.filter(user=maker, stock=stock, status__in=OPEN_STATUSES).exists()
            ):
                continue
            assert stock.reference_price is not None  # only priced stocks were fetched
            maker_quote(maker, stock)
