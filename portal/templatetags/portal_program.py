"""What the portal's pages say of the program in force, for pages whose view is not ours
(allauth's sign-up)."""

from django import template
from django.utils import timezone

from loyalty.scoring import event_bonus_rule
from loyalty.selectors.program import program_in_force

register = template.Library()


@register.simple_tag
def signup_bonus_points() -> int | None:
    """The points the program gives on joining today, None when it gives none: the sign-up
    page promises a bonus only when there is one."""
    program = program_in_force()
    if program is None:
        return None
    rule = event_bonus_rule(program=program, event="signup", at=timezone.now())
    return rule.points if rule is not None and rule.points else None
