from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        program_hook_register()


def program_hook_register() -> None:
    """Make `program import` write the catalog and `program export` read it (loyalty.program_hooks).
    Also called by tests that reset the process-wide hook."""
    from loyalty.program_hooks import rewards_handler_register
    from rewards.selectors import reward_catalog_export
    from rewards.services.catalog import reward_catalog_import

    rewards_handler_register(
        import_rewards=reward_catalog_import, export_rewards=reward_catalog_export
    )
