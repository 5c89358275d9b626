from django.db import migrations

# Customer search (CustomerQuerySet.search) filters with icontains, which PostgreSQL runs as
# UPPER(column) LIKE UPPER(%q%): trigram indexes on exactly those expressions serve it.
COLUMNS = ["full_name", "preferred_name", "email", "phone"]


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_search_trgm "
            f"ON crm_customer USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_customer_name_trigram")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
