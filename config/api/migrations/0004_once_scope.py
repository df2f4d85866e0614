"""IdempotencyRecord becomes the one record of a request that must happen once (config.once):
keyed by scope (an API key's, a member's, a staff user's) instead of by API key only."""

import django.db.models.deletion
from django.db import migrations, models


def scopes_fill(apps, schema_editor):
    Record = apps.get_model("api", "IdempotencyRecord")
    for record in Record.objects.filter(scope="").only("pk", "api_key_id").iterator():
        Record.objects.filter(pk=record.pk).update(scope=f"api-key:{record.api_key_id}")


class Migration(migrations.Migration):
    dependencies = [("api", "0003_idempotency_purge_schedule")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="scope",
            field=models.CharField(
                default="", help_text="Whose keys: `api-key:7`, `member:12`...", max_length=100
            ),
            preserve_default=False,
        ),
        migrations.RunPython(scopes_fill, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="idempotencyrecord", name="idempotency_key_unique_per_api_key"
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(
                fields=("scope", "key"), name="once_key_unique_per_scope"
            ),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="api.apikey",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="method",
            field=models.CharField(blank=True, max_length=8),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="path",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="fingerprint",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of what was asked (API: method, path, body).",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=models.JSONField(help_text="The first outcome, replayed.", null=True),
        ),
    ]
