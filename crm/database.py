"""What every app needs of the database beyond the ORM: which unique rule an error broke, and an INSERT
that gives way to one."""

from django.db import IntegrityError, router
from django.db.models import Model
from django.db.models.constants import OnConflict


def unique_violation(error: IntegrityError) -> str:
    """Which unique rule an INSERT broke: the constraint's name on PostgreSQL; on SQLite, which names
    only the columns, "table.column". Callers compare against both, to tell a duplicate they expect
    from any other integrity error."""
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None and diag.constraint_name:
        return diag.constraint_name
    text = str(error)
    prefix = "UNIQUE constraint failed: "
    return text.removeprefix(prefix).split(",")[0].strip() if text.startswith(prefix) else ""


def insert_unless_conflict(instance: Model) -> bool:
    """INSERT one new row, or nothing when a unique rule already holds its twin (ON CONFLICT DO NOTHING), in
    one statement and without a savepoint: True with the primary key set when it went in, False when it
    did not (read the row that is there). bulk_create(ignore_conflicts=True) cannot tell which; this asks
    Django's own insert for the RETURNING it does for save()."""
    meta = instance._meta
    fields = [field for field in meta.local_concrete_fields if not field.generated and field is not meta.auto_field]
    returning = meta.db_returning_fields
    rows = type(instance)._base_manager._insert(  # type: ignore[attr-defined]  # save()'s own insert
        [instance], fields=fields, returning_fields=returning, on_conflict=OnConflict.IGNORE
    )
    if not rows or rows[0] is None:  # nothing came back: the conflict kept the row out
        return False
    for field, value in zip(returning, rows[0], strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = router.db_for_write(type(instance))
    return True
