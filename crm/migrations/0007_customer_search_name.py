from django.db import migrations, models

from crm.search import search_key

BATCH = 2000
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_search_name_trgm ON crm_customer USING gin (search_name gin_trgm_ops)"
)
DROP_INDEX = "DROP INDEX IF EXISTS customer_search_name_trgm"


def fill_search_names(apps, schema_editor):
    """Existing customers get their search key (the model sets it on every save from now on)."""
    Customer = apps.get_model("crm", "Customer")
    batch = []
    for customer in Customer.objects.only("pk", "full_name", "preferred_name").iterator(chunk_size=BATCH):
        customer.search_name = search_key(f"{customer.full_name} {customer.preferred_name}")[:400]
        batch.append(customer)
        if len(batch) == BATCH:
            Customer.objects.bulk_update(batch, ["search_name"])
            batch = []
    Customer.objects.bulk_update(batch, ["search_name"])


# Name search and similar names read search_name now: the trigram indexes on the raw name columns
# (migrations 0003, 0004) would only slow every write down.
REPLACED_INDEXES = {
    "customer_full_name_trgm": "(full_name gin_trgm_ops)",
    "customer_full_name_search_trgm": "((UPPER(full_name::text)) gin_trgm_ops)",
    "customer_preferred_name_search_trgm": "((UPPER(preferred_name::text)) gin_trgm_ops)",
}


def create_trigram_index(apps, schema_editor):
    # Name search (CustomerQuerySet.search: search_name LIKE '%word%') and similar names use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)
        for name in REPLACED_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)
        for name, columns in REPLACED_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON crm_customer USING gin {columns}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_bulk_emails")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="search_name",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Full and preferred name as search compares them.",
                max_length=400,
            ),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
