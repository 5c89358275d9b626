import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_identities(apps, schema_editor):
    """Messages stored before: their Message-ID, or (none given) a hash of what was kept."""
    InboundEmail = apps.get_model("complaints", "InboundEmail")
    RejectedEmail = apps.get_model("complaints", "RejectedEmail")
    for email in InboundEmail.objects.filter(identity="").iterator():
        email.identity = email.message_id or f"stored-before-identities:{email.pk}"
        email.save(update_fields=["identity"])
    for email in RejectedEmail.objects.filter(identity="").iterator():
        email.identity = "sha256:" + hashlib.sha256(bytes(email.raw)).hexdigest()
        if RejectedEmail.objects.filter(identity=email.identity).exists():
            email.identity = f"{email.identity}:{email.pk}"
        email.save(update_fields=["identity"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_incident_update_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="intake_match",
            field=models.CharField(
                blank=True,
                choices=[
                    ("new_customer", "New customer"),
                    ("email", "Matched an existing customer by email address"),
                    ("phone", "Matched an existing customer by phone number only: identity not verified"),
                    ("unverified_sender", "Email that failed the mail server's sender checks: not verified"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("updated", "Updated"),
                    ("taken", "Taken"),
                    ("handed_over", "Handed Over"),
                    ("escalated", "Escalated"),
                    ("note", "Note"),
                    ("message_out", "Message Out"),
                    ("message_in", "Message In"),
                    ("message_in_unverified", "Unverified message"),
                    ("call_logged", "Call Logged"),
                    ("promise_made", "Promise Made"),
                    ("promise_kept", "Promise Kept"),
                    ("promise_rescheduled", "Promise Rescheduled"),
                    ("promise_broken", "Promise Broken"),
                    ("promise_warned", "Promise Warned"),
                    ("status_changed", "Status Changed"),
                    ("resolved", "Resolved"),
                    ("reopened", "Reopened"),
                    ("closed", "Closed"),
                    ("rated", "Rated"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("new_case", "Opened a new case"),
                    ("reply", "Added to a case"),
                    ("unverified", "Added to a case, sender not verified"),
                    ("automatic", "Ignored: auto-reply or bounce"),
                    ("duplicate", "Ignored: already received"),
                ],
                max_length=12,
            ),
        ),
        migrations.RemoveConstraint(model_name="inboundemail", name="inbound_email_message_id_unique"),
        migrations.AddField(
            model_name="inboundemail", name="identity", field=models.CharField(default="", max_length=300),
            preserve_default=False,
        ),
        migrations.AddField(model_name="inboundemail", name="raw", field=models.BinaryField(blank=True, null=True)),
        migrations.AddField(
            model_name="rejectedemail", name="identity", field=models.CharField(default="", max_length=300),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rejectedemail", name="from_address", field=models.CharField(blank=True, max_length=254)
        ),
        migrations.AddField(model_name="rejectedemail", name="subject", field=models.CharField(blank=True, max_length=250)),
        migrations.AddField(
            model_name="rejectedemail",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rejected_emails_turned_into",
                to="complaints.case",
            ),
        ),
        migrations.AddField(
            model_name="rejectedemail",
            name="converted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="size",
            field=models.PositiveIntegerField(help_text="The size of the message as received; raw may be cut short."),
        ),
        migrations.RunPython(fill_identities, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="inboundemail",
            constraint=models.UniqueConstraint(fields=("identity",), name="inbound_email_identity_unique"),
        ),
        migrations.AddConstraint(
            model_name="rejectedemail",
            constraint=models.UniqueConstraint(fields=("identity",), name="rejected_email_identity_unique"),
        ),
    ]
