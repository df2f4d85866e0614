from django.db import migrations, models


def days_start_over(apps, schema_editor):
    """The days summed so far lack the new column: sum them again from the first entry (the
    next ledger_days_advance does; the figures read the entries themselves until then)."""
    apps.get_model("analytics", "LedgerDay").objects.all().delete()
    apps.get_model("analytics", "LedgerDaysState").objects.update(floor=0)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0007_ledger_days_schedule")]

    operations = [
        migrations.AddField(
            model_name="ledgerday",
            name="net",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(days_start_over, migrations.RunPython.noop),
    ]
