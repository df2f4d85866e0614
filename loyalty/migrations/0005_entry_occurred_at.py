"""Ledger entries carry when what they record happened (`occurred_at`), and the member's list is
indexed on it.

Existing rows are dated from what they record: an earn entry from its purchase's purchased_at, a
refund entry from the refund's time, an expiry entry from the latest expiry date of the lots it
took (points expire on their date, not when the job ran), anything else from created_at. The
append-only trigger is switched off for that one UPDATE, inside this migration's transaction.

Indexes: (member, -created_at) is replaced, not kept beside the new one; the member_id and
created_at indexes go too, since the new index leads with member and nothing orders entries by
created_at alone (the admin lists by pk). Every purchase pays for every index on this table.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BACKFILL = """
UPDATE loyalty_ledgerentry AS e SET occurred_at = COALESCE(
    CASE
        WHEN e.kind = 'earn' THEN
            (SELECT p.purchased_at FROM loyalty_purchase p WHERE p.id = e.purchase_id)
        WHEN e.kind = 'refund' THEN
            (SELECT r.created_at FROM loyalty_refund r WHERE r.id = e.refund_id)
        WHEN e.kind = 'expire' THEN
            (SELECT MAX(l.expires_at) FROM loyalty_lotallocation a
             JOIN loyalty_pointslot l ON l.id = a.lot_id
             WHERE a.entry_id = e.id AND l.expires_at <= e.created_at)
    END,
    e.created_at)
"""


def backfill(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE loyalty_ledgerentry DISABLE TRIGGER loyalty_ledger_append_only"
        )
    schema_editor.execute(BACKFILL)
    if postgres:
        schema_editor.execute(
            "ALTER TABLE loyalty_ledgerentry ENABLE TRIGGER loyalty_ledger_append_only"
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0004_periodic_tasks"), ("members", "0005_staff_roles")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="occurred_at",
            field=models.DateTimeField(null=True, verbose_name="occurred at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ledgerentry",
            name="occurred_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="occurred at"
            ),
        ),
        migrations.AlterModelOptions(
            name="ledgerentry",
            options={
                "ordering": ("-occurred_at", "-pk"),
                "verbose_name": "ledger entry",
                "verbose_name_plural": "ledger entries",
            },
        ),
        migrations.RemoveIndex(model_name="ledgerentry", name="loyalty_led_member__a522d0_idx"),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                fields=["member", "-occurred_at", "-id"], name="loyalty_entry_member_occurred"
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created at"
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="members.member",
            ),
        ),
    ]
