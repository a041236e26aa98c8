"""Cheaper writes for the price pull, which rewrites every stock row and a bar per symbol."""

import django.db.models.deletion
from django.db import migrations, models


def stock_pages_half_free(apps, schema_editor):
    # With pages left half free, PostgreSQL writes a row's new version beside the old one (a
    # HOT update) and touches none of the stock table's three indexes; with full pages every
    # refresh moved each row and gave every index a new entry.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE marketdata_stock SET (fillfactor = 50)")


def stock_pages_full(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE marketdata_stock RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0005_stock_band_default")]

    operations = [
        migrations.RunPython(stock_pages_half_free, stock_pages_full, elidable=False),
        # The (stock, start) unique constraint is the index that reads by stock use; the
        # foreign key's own index on stock alone only cost every inserted bar a third entry.
        migrations.AlterField(
            model_name="pricebar",
            name="stock",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="price_bars",
                to="marketdata.stock",
            ),
        ),
    ]
