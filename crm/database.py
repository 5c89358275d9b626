"""What every app needs to know of a database error."""

from django.db import IntegrityError


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
