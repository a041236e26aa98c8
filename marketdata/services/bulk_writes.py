"""Statements that write many rows at once: the stocks' prices, the minute bars of history.

Django's `bulk_update` and `bulk_create` spend milliseconds of Python per row; the price pull
writes thousands of rows a round, so these build one statement per table (per chunk on SQLite).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Field, Subquery
from django.db.models.options import Options

from marketdata.models import PriceBar, Stock
from marketdata.selectors import PricedStock

PRUNE_CHUNK = 100_000

# (stock id, time, price, source): one reference price for the history.
PricePoint = tuple[int, datetime, Decimal, str]


def _concrete_field(meta: Options[Any], name: str) -> Field[Any, Any]:
    """A field with a column of its own (`get_field` also answers relations and such)."""
    field = meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _column(field: Field[Any, Any]) -> str:
    assert field.column is not None, field.name
    return field.column


def stocks_bulk_set(stocks: list[PricedStock], fields: list[str]) -> None:
    """UPDATE many stocks' `fields` in one statement joined to the new values.

    Django's bulk_update builds a CASE WHEN per row and field, which costs milliseconds of
    Python per row: 3,000 stocks would take seconds. PostgreSQL gets one parameter per column
    (UPDATE ... FROM UNNEST(...), see `_pg_columns`) whatever the number of rows; SQLite
    (3.33+) gets UPDATE ... FROM (VALUES ...), whose columns it names column1, column2, ...,
    in chunks that keep under its limit on parameters (250,000 in Python's own build).
    """
    if not stocks:
        return
    meta = Stock._meta
    columns = [meta.pk, *(_concrete_field(meta, name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = [f"column{i}" for i in range(1, len(columns) + 1)]
    assignments = ", ".join(
        f"{quote(_column(field))} = v.{name}"
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    where = f" WHERE {table}.{quote(_column(meta.pk))} = v.column1"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays, params = _pg_columns(
                columns, [[getattr(s, f.attname) for s in stocks] for f in columns]
            )
            source = f"UNNEST({arrays}) AS v({', '.join(names)})"
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {source}{where}", params)
            return
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        size = _sqlite_rows_per_statement(len(columns))
        for chunk in range(0, len(stocks), size):
            part = stocks[chunk : chunk + size]
            source = f"(VALUES {', '.join([row] * len(part))}) AS v"
            params = [
                field.get_db_prep_save(getattr(stock, field.attname), connection)
                for stock in part
                for field in columns
            ]
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {source}{where}", params)


def _sqlite_rows_per_statement(columns: int) -> int:
    """How many rows of `columns` parameters one SQLite statement may carry."""
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // columns)


_PG_NULL = "N"  # no number, date, time or t/f is written so


def _pg_columns(fields: list[Field[Any, Any]], columns: list[list[Any]]) -> tuple[str, list[Any]]:
    """Arrays for UNNEST, one parameter per column, and the parameters.

    Adapting a list of 7,000 Decimals or datetimes element by element (Django's
    get_db_prep_save, then psycopg's array dumper) took most of a refresh's time; a column of
    numbers, times, dates or booleans goes instead as one comma-joined text that the server
    splits (`string_to_array`) and casts. Text columns, which could hold a comma, stay lists.
    """
    arrays: list[str] = []
    params: list[Any] = []
    null = _PG_NULL
    for field, values in zip(fields, columns, strict=True):
        db_type = field.db_type(connection)
        kind = field.get_internal_type()
        if kind in ("CharField", "TextField"):
            arrays.append(f"%s::{db_type}[]")
            params.append(values)
            continue
        if kind == "BooleanField":
            texts = [null if v is None else "t" if v else "f" for v in values]
        elif kind in ("DateTimeField", "DateField"):  # ISO 8601, with the offset if any
            texts = [null if v is None else v.isoformat() for v in values]
        else:  # integers and Decimals
            texts = [null if v is None else str(v) for v in values]
        arrays.append(f"string_to_array(%s, ',', '{null}')::{db_type}[]")
        params.append(",".join(texts))
    return ", ".join(arrays), params


def price_bars_record(*, prices: list[PricePoint]) -> int:
    """Fold reference prices, given in time order, into their minutes' bars; returns bars written.

    One INSERT ... ON CONFLICT DO UPDATE (per chunk on SQLite): a new minute opens a bar, a
    later price in a minute already stored raises its high, lowers its low and becomes its close.
    """
    folded: dict[tuple[int, datetime], list] = {}
    for stock_id, when, price, source in prices:
        start = when.replace(second=0, microsecond=0)
        bar = folded.get((stock_id, start))
        if bar is None:
            folded[(stock_id, start)] = [stock_id, start, price, price, price, price, source]
        else:
            bar[3], bar[4], bar[5], bar[6] = max(bar[3], price), min(bar[4], price), price, source
    rows = list(folded.values())
    if connection.vendor == "postgresql":
        if rows:
            _upsert_bars(rows)
    else:
        size = _sqlite_rows_per_statement(7)
        for chunk in range(0, len(rows), size):
            _upsert_bars(rows[chunk : chunk + size])
    return len(rows)


def _upsert_bars(rows: list[list]) -> None:
    meta = PriceBar._meta
    fields = [
        _concrete_field(meta, n)
        for n in ("stock", "start", "open", "high", "low", "close", "source")
    ]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    high, low, close, source = (quote(_column(f)) for f in fields[3:])
    columns = ", ".join(quote(_column(f)) for f in fields)
    if connection.vendor == "postgresql":
        arrays, params = _pg_columns(fields, [[row[i] for row in rows] for i in range(len(fields))])
        source_rows = f"SELECT * FROM UNNEST({arrays})"
        greatest, least = "GREATEST", "LEAST"
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        source_rows = f"VALUES {', '.join([row] * len(rows))}"
        params = [f.get_db_prep_save(r[i], connection) for r in rows for i, f in enumerate(fields)]
        greatest, least = "MAX", "MIN"  # SQLite's two-argument MAX and MIN are scalar
    sql = (
        f"INSERT INTO {table} ({columns}) {source_rows}"
        f" ON CONFLICT ({quote(_column(fields[0]))}, {quote(_column(fields[1]))}) DO UPDATE SET"
        f" {high} = {greatest}({table}.{high}, EXCLUDED.{high}),"
        f" {low} = {least}({table}.{low}, EXCLUDED.{low}),"
        f" {close} = EXCLUDED.{close}, {source} = EXCLUDED.{source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def price_history_prune(*, before: datetime, limit: int = PRUNE_CHUNK) -> int:
    """Delete up to `limit` of the oldest minute bars of history that start before `before`."""
    oldest = PriceBar.objects.filter(start__lt=before).order_by("start").values("pk")[:limit]
    deleted, _ = PriceBar.objects.filter(pk__in=Subquery(oldest)).delete()
    return deleted
