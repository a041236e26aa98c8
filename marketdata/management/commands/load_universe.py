from django.core.management.base import BaseCommand

from marketdata.services import universe_load


class Command(BaseCommand):
    help = "Load the shipped stock universe (the demo set by default, --all for every symbol)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Load all ~7,000 symbols.")

    def handle(self, *args, **options):
        result = universe_load(everything=options["all"])
        self.stdout.write(
            f"universe: {result.total} symbols ({result.created} new, {result.updated} updated)"
        )
