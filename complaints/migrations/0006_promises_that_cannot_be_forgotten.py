import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_intake_identity_and_trust"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="promise", old_name="reschedule_reason", new_name="reason"),
        migrations.AlterField(
            model_name="promise",
            name="made_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="promise",
            name="kind",
            field=models.CharField(
                choices=[("commitment", "Something staff promised"), ("reply", "Our reply")],
                default="commitment",
                max_length=12,
            ),
        ),
        migrations.AddField(model_name="promise", name="overdue_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AlterField(
            model_name="promise",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("kept", "Kept"),
                    ("rescheduled", "Rescheduled"),
                    ("broken", "Broken"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="open",
                max_length=12,
            ),
        ),
    ]
