from campaigns.models.campaigns import Campaign, CampaignChannel, CampaignState
from campaigns.models.delivery import Delivery, DeliveryPurpose, DeliveryStatus, SkipReason

__all__ = [
    "Campaign",
    "CampaignChannel",
    "CampaignState",
    "Delivery",
    "DeliveryPurpose",
    "DeliveryStatus",
    "SkipReason",
]
