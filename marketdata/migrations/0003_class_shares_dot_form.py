"""Class shares in Alpaca's dot form: CRD/B becomes CRD.B (unless CRD.B is already listed)."""

import django.core.validators
from django.db import migrations, models


def slash_to_dot(apps, schema_editor):
    Stock = apps.get_model("marketdata", "Stock")
    for stock in Stock.objects.filter(symbol__contains="/"):
        dotted = stock.symbol.replace("/", ".")
        if not Stock.objects.filter(symbol=dotted).exists():
            Stock.objects.filter(pk=stock.pk).update(symbol=dotted)


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0002_price_history"),
    ]

    operations = [
        migrations.RunPython(slash_to_dot, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="stock",
            name="symbol",
            field=models.CharField(
                max_length=12,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z0-9][A-Z0-9.\\-]{0,11}$",
                        "Capital letters, digits, '.' and '-' (class shares: BRK.B).",
                    )
                ],
            ),
        ),
    ]
