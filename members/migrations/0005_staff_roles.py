"""Install the staff roles (cashier, manager, marketer) as groups with their permissions."""

from django.db import migrations


def install(apps, schema_editor):
    from members.roles import roles_install

    # Permissions declared by later migrations (0006's block_member) do not exist yet here;
    # those migrations install the roles again.
    roles_install(apps, missing_ok=True)


def uninstall(apps, schema_editor):
    from members.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_staff_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The roles grant permissions on these apps' models: they must exist first.
        ("loyalty", "0004_periodic_tasks"),
        ("rewards", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
