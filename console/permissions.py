"""Who may do what in the staff console. The permissions are declared on members.Member.Meta and
granted by the roles (members.roles); the superuser has them all."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

VIEW_MEMBERS = "members.view_member"
ENROL = "members.enrol_member"
RECORD_PURCHASE = "members.record_purchase"
RECORD_PURCHASE_ABOVE_LIMIT = "members.record_purchase_above_limit"
REFUND = "members.refund_purchase"
ADJUST = "members.adjust_points"
ADJUST_ANY = "members.adjust_points_any"
CONSUME_VOUCHER = "members.consume_voucher"
BLOCK = "members.block_member"
MANAGE_SEGMENTS = "members.manage_segments"
MANAGE_CAMPAIGNS = "members.manage_campaigns"
REVIEW_REFERRALS = "members.review_referrals"
VIEW_ANALYTICS = "members.view_analytics"


class ActionNotAllowed(PermissionDenied):
    """The actor's role does not allow the action. A PermissionDenied, so that a view which
    lets it through answers 403."""

    code = "not_allowed"

    def __init__(self, permission: str):
        self.permission = permission
        super().__init__(_("Your role does not allow this action."))


def staff_can(actor, permission: str) -> bool:
    """Staff (not a member who happens to hold a permission) whose role grants `permission`."""
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and actor.is_staff
        and actor.has_perm(permission)
    )


def staff_permission_require(actor, permission: str) -> None:
    if not staff_can(actor, permission):
        raise ActionNotAllowed(permission)
