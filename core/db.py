"""Writing several rows of one table in one statement, cheaply."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def rows_update(rows: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of `rows` (one model's, already in the database) in one UPDATE.

    One row is a plain `save(update_fields=...)`. Several are one statement, a CASE on the
    primary key per field: what Django's `bulk_update` writes, without its per-value
    expression objects, which cost more than the round trip they save (measured: 2.8 ms for
    two rows against 1.0 ms for two saves). Fields' `pre_save` runs, so `auto_now` stamps.
    """
    if not rows:
        return
    if len(rows) == 1:
        rows[0].save(update_fields=list(fields))
        return
    meta = rows[0]._meta
    pk = meta.pk
    assert pk is not None
    qn = connection.ops.quote_name
    pk_column = qn(str(pk.column))
    ids = [pk.get_db_prep_value(row.pk, connection) for row in rows]
    whens = " ".join(["WHEN %s THEN %s"] * len(rows))
    sets, params = [], []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        sets.append(f"{qn(str(field.column))} = CASE {pk_column} {whens} END")
        for row_id, row in zip(ids, rows, strict=True):
            params += [row_id, field.get_db_prep_save(field.pre_save(row, False), connection)]
    placeholders = ", ".join(["%s"] * len(ids))
    sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {pk_column} IN ({placeholders})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
