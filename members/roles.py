"""The staff roles: Django groups and the permissions each grants.

The superuser needs no group (a superuser has every permission). A staff account is `is_staff`
(it may open the staff console and the admin) and belongs to one of these groups, which decide
what it may do there. The groups are installed by a migration (members 0005, again in 0006 for
blocking members) and kept in step by `roles_install`: a change to ROLE_PERMISSIONS ships with a
migration that runs it again.
"""

from __future__ import annotations

CASHIER = "cashier"
MANAGER = "manager"
MARKETER = "marketer"

# "app_label.codename". Custom permissions are declared on members.Member.Meta; the model
# permissions (add/change/delete/view) are Django's, for the admin.
_CASHIER = [
    "members.view_member",
    "members.enrol_member",
    "members.record_purchase",
    "members.consume_voucher",
    "members.adjust_points",
]

_PROGRAM_MODELS = ["loyalty.program", "loyalty.tier", "loyalty.earningrule", "rewards.reward"]
_RECORD_MODELS = [
    "loyalty.programversion",
    "loyalty.loyaltyaccount",
    "loyalty.purchase",
    "loyalty.refund",
    "loyalty.ledgerentry",
    "loyalty.tierchange",
    "rewards.redemption",
    "rewards.voucher",
    "members.consentchange",
    "members.staffaction",
]


def _model_permissions(models: list[str], actions: list[str]) -> list[str]:
    return [
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label in models
        for action in actions
    ]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    CASHIER: _CASHIER,
    MANAGER: [
        *_CASHIER,
        "members.change_member",
        "members.refund_purchase",
        "members.record_purchase_above_limit",
        "members.adjust_points_any",
        "members.block_member",
        "members.review_referrals",
        "members.import_data",
        "members.export_data",
        # The marketer's segment and campaign pages too (issue 13: marketers and managers).
        "members.manage_segments",
        "members.manage_campaigns",
        # The analytics pages (issue 16: marketers and managers).
        "members.view_analytics",
        # Catalog and program configuration in the admin; the records are read-only there
        # (the ledger changes only through services).
        *_model_permissions(_PROGRAM_MODELS, ["add", "change", "delete", "view"]),
        *_model_permissions(_RECORD_MODELS, ["view"]),
    ],
    MARKETER: [
        # Members read-only: the console's search and member page, no action.
        "members.view_member",
        "members.view_analytics",
        "members.manage_segments",
        "members.manage_campaigns",
        *_model_permissions(_PROGRAM_MODELS, ["view"]),
    ],
}


def roles_install(apps=None, *, missing_ok: bool = False) -> None:
    """Create the role groups and set each one's permissions to exactly ROLE_PERMISSIONS.
    Idempotent. `apps` is a migration's historical registry (None: the live one). `missing_ok`
    grants what exists and skips permissions a later migration declares (that migration runs
    this again); otherwise an unknown permission is an error."""
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after the last migration (post_migrate); a fresh
    # database runs this migration before that, so create the ones the roles need now.
    for app_label in {"members", "loyalty", "rewards"}:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = getattr(app_config, "models_module", None) or True
        create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        wanted = set(names)
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type").filter(
                content_type__app_label__in={name.split(".")[0] for name in wanted}
            )
            if f"{permission.content_type.app_label}.{permission.codename}" in wanted
        ]
        found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        missing = wanted - found
        if missing and not missing_ok:
            raise LookupError(f"role {role}: unknown permissions {sorted(missing)}")
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)
