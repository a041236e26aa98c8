"""Create the demo users, the house account and the stock universe. Safe to run again."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, User
from accounts.services import account_open

DEMO_PASSWORD = "demo-pass-123"
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
            for username, staff in DEMO_USERS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(
                        username=username,
                        password=DEMO_PASSWORD,
                        is_staff=staff,
                        is_superuser=staff,
                    )
                if not Account.objects.filter(user=user).exists():
                    account_open(user=user)
        self.stdout.write(
            f"demo log-ins: alice, bob, carol (traders) and staff (admin), password {DEMO_PASSWORD}"
        )
