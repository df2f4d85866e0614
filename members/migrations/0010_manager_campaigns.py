from django.db import migrations


def roles_reinstall(apps, schema_editor):
    # The manager role now grants manage_campaigns.
    from members.roles import roles_install

    roles_install(apps, missing_ok=True)  # a later migration may declare more


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_time_zone_consents"),
    ]

    operations = [
        migrations.RunPython(roles_reinstall, migrations.RunPython.noop),
    ]
