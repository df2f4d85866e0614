from django.db import migrations


def roles_reinstall(apps, schema_editor):
    # The manager role now grants view_analytics.
    from members.roles import roles_install

    roles_install(apps, missing_ok=True)  # a later migration may declare more


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0015_consent_source_import"),
    ]

    operations = [
        migrations.RunPython(roles_reinstall, migrations.RunPython.noop),
    ]
