"""The case reference is computed by the database from the primary key, in the INSERT (no second UPDATE).
A generated column cannot be altered into: the old column goes and the new one is computed for every row,
by the rule every reference was already written with (format_reference)."""

from django.db import migrations, models

import complaints.models.cases


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_case_owner_recent_index"),
    ]

    operations = [
        migrations.RemoveField(model_name="case", name="reference"),
        migrations.AddField(
            model_name="case",
            name="reference",
            field=models.GeneratedField(
                db_persist=True,
                expression=complaints.models.cases.reference_of_pk(),
                output_field=models.CharField(max_length=20),
                unique=True,
            ),
        ),
    ]
