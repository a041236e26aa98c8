"""Each stock's primary listing exchange, filled in from the shipped universe's `exchange`."""

import csv
from pathlib import Path

from django.db import migrations, models

UNIVERSE = Path(__file__).resolve().parent.parent / "data" / "universe.csv"


def exchanges_from_universe(apps, schema_editor):
    Stock = apps.get_model("marketdata", "Stock")
    with open(UNIVERSE, newline="") as f:
        listed = {r["symbol"].replace("/", "."): r["exchange"] for r in csv.DictReader(f)}
    by_exchange: dict[str, list[str]] = {}
    for symbol in Stock.objects.values_list("symbol", flat=True):
        if symbol in listed:
            by_exchange.setdefault(listed[symbol], []).append(symbol)
    for exchange, symbols in by_exchange.items():
        Stock.objects.filter(symbol__in=symbols).update(exchange=exchange)


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0003_class_shares_dot_form"),
    ]

    operations = [
        migrations.AddField(
            model_name="stock",
            name="exchange",
            field=models.CharField(
                choices=[
                    ("NASDAQ", "NASDAQ"),
                    ("NYSE", "NYSE"),
                    ("ARCA", "NYSE Arca"),
                    ("AMEX", "NYSE American"),
                    ("BATS", "Cboe BZX"),
                    ("OTC", "OTC (no listing)"),
                ],
                default="OTC",
                help_text="The primary listing exchange, as Alpaca names it.",
                max_length=8,
            ),
        ),
        migrations.RunPython(exchanges_from_universe, migrations.RunPython.noop),
    ]
