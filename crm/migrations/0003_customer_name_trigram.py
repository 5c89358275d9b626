from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

CREATE_INDEX = "CREATE INDEX IF NOT EXISTS customer_full_name_trgm ON crm_customer USING gin (full_name gin_trgm_ops)"
DROP_INDEX = "DROP INDEX IF EXISTS customer_full_name_trgm"


def create_trigram_index(apps, schema_editor):
    # Similar-name search (crm.selectors.customers_similar) uses it; SQLite has a fallback instead.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_staff_roles")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
