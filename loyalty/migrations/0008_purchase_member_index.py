import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """(member, purchased_at) carries the amounts, so a segment's windowed counts and sums read
    the index alone (campaigns.segment_query); the member's own index goes, as this one leads
    with it. The new index is built before the old ones are dropped."""

    dependencies = [
        ("loyalty", "0007_program_communications"),
        ("members", "0007_purchase_above_limit"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(
                fields=["member", "purchased_at"],
                include=("amount", "refunded_amount", "channel"),
                name="loyalty_purchase_member_time",
            ),
        ),
        migrations.RemoveIndex(
            model_name="purchase",
            name="loyalty_pur_member__d5ce6b_idx",
        ),
        migrations.AlterField(
            model_name="purchase",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="purchases",
                to="members.member",
            ),
        ),
    ]
