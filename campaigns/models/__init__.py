from campaigns.models.campaigns import Campaign, CampaignChannel, CampaignState
from campaigns.models.delivery import Delivery, DeliveryPurpose, DeliveryStatus, SkipReason
from campaigns.models.segments import Segment, SegmentMatch

__all__ = [
    "Campaign",
    "CampaignChannel",
    "CampaignState",
    "Delivery",
    "DeliveryPurpose",
    "DeliveryStatus",
    "Segment",
    "SegmentMatch",
    "SkipReason",
]
