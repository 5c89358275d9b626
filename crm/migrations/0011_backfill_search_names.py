"""Customers created by a public complaint or a first email were written without their search name (their
INSERT was not save(), which sets it), so staff could not find them by name: set it for every such row."""

from django.db import migrations

from crm.search import search_key

BATCH = 2000


def backfill_search_names(apps, schema_editor):
    Customer = apps.get_model("crm", "Customer")
    missing = Customer.objects.filter(search_name="").exclude(full_name="", preferred_name="").order_by("pk")
    last_id = 0
    while batch := list(missing.filter(pk__gt=last_id).only("full_name", "preferred_name")[:BATCH]):
        for customer in batch:
            customer.search_name = search_key(f"{customer.full_name} {customer.preferred_name}")[:400]
        Customer.objects.bulk_update(batch, ["search_name"])
        last_id = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_staff_time_zone")]

    operations = [migrations.RunPython(backfill_search_names, migrations.RunPython.noop)]
