from campaigns.models.automations import (
    AUTOMATIONS,
    MAIN,
    Automation,
    AutomationCode,
    AutomationSpec,
)
from campaigns.models.campaigns import Campaign, CampaignChannel, CampaignState
from campaigns.models.delivery import Delivery, DeliveryPurpose, DeliveryStatus, SkipReason
from campaigns.models.referrals import Referral, ReferralReason, ReferralStatus
from campaigns.models.segments import Segment, SegmentMatch
from campaigns.models.surveys import Survey

__all__ = [
    "AUTOMATIONS",
    "MAIN",
    "Automation",
    "AutomationCode",
    "AutomationSpec",
    "Campaign",
    "CampaignChannel",
    "CampaignState",
    "Delivery",
    "DeliveryPurpose",
    "DeliveryStatus",
    "Referral",
    "ReferralReason",
    "ReferralStatus",
    "Segment",
    "SegmentMatch",
    "SkipReason",
    "Survey",
]
