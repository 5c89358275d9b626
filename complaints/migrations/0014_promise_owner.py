import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def owners_from_cases(apps, schema_editor):
    """Every promise gets its case's owner now (the field's meaning from here on)."""
    Case = apps.get_model("complaints", "Case")
    Promise = apps.get_model("complaints", "Promise")
    case_owner = Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("owner_id")[:1])
    Promise.objects.update(owner_id=case_owner)


class Migration(migrations.Migration):
    """Promises carry their case's owner, so a lead's figures count the team's promises by index."""

    dependencies = [
        ("complaints", "0013_case_owner_status_index_covers_counters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="promise",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(owners_from_cases, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="promise",
            index=models.Index(
                condition=models.Q(("status", "open")), fields=["owner", "warn_at"], name="promise_owner_open_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="promise",
            index=models.Index(
                condition=models.Q(("settled_at__isnull", False)),
                fields=["owner", "settled_at"],
                name="promise_owner_settled_idx",
            ),
        ),
    ]
