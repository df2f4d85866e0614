"""The composers of every message Tessera sends (campaigns.composers.registry); importing the
package registers the program notices'."""

from campaigns.composers import automations, campaign, notices
from campaigns.composers.registry import (
    CAMPAIGN,
    Composer,
    Outdated,
    address_of,
    composer,
    composer_get,
    composer_register,
    composer_unregister,
    purpose_of,
)

__all__ = [
    "CAMPAIGN",
    "Composer",
    "Outdated",
    "address_of",
    "automations",
    "campaign",
    "composer",
    "composer_get",
    "composer_register",
    "composer_unregister",
    "notices",
    "purpose_of",
]
